/**
 * Colours for people, never for scripts: on only when the output is a terminal that has them,
 * off with NO_COLOR (https://no-color.org), forced with FORCE_COLOR (as Node does).
 */
import type { HealthStatus } from '@rosterjs/roster';

/** Text styling for one output stream; every function returns its input unchanged when colours are off. */
export interface Style {
  readonly enabled: boolean;
  /** `text` (default: the status itself) in the colour of `status`: green, yellow, red. */
  health(status: HealthStatus, text?: string): string;
  added(text: string): string;
  removed(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

/** Whether `stream` should get colours, by FORCE_COLOR, NO_COLOR and whether it is a colour terminal. */
export function colorsEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && (typeof stream.hasColors !== 'function' || stream.hasColors());
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;
const HEALTH_COLOR: Record<HealthStatus, (text: string) => string> = {
  passing: sgr(32, 39),
  warning: sgr(33, 39),
  critical: sgr(31, 39),
};

/** The styling for `stream` (default stdout). */
export function styleFor(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): Style {
  const enabled = colorsEnabled(stream, env);
  if (!enabled) {
    return { enabled, health: (status, text = status) => text, added: plain, removed: plain, dim: plain, bold: plain };
  }
  return {
    enabled,
    health: (status, text = status) => HEALTH_COLOR[status](text),
    added: sgr(32, 39),
    removed: sgr(31, 39),
    dim: sgr(2, 22),
    bold: sgr(1, 22),
  };
}

/** `text` without colour codes (for measuring its width). */
export function stripStyle(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
