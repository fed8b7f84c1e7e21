/**
 * One pino JSON line as a readable line: `HH:MM:SS.mmm LEVEL message key=value …`, where the
 * key=value pairs are the fields the message does not already say.
 */

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** pino's own fields, not shown as key=value. */
const OWN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'v']);

/** Formats one line pino wrote (JSON, with a trailing newline); a line that is not JSON passes through. */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : '';
  const level = (LEVELS[entry.level as number] ?? String(entry.level)).padEnd(5);
  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  const extras: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (OWN.has(key)) continue;
    // A value the message already says is not repeated.
    if ((typeof value === 'string' || typeof value === 'number') && msg.includes(String(value))) continue;
    if (key === 'err' && typeof value === 'object' && value !== null) {
      const err = value as { message?: string; stack?: string };
      extras.push(`error=${JSON.stringify(err.message ?? '')}`);
      continue;
    }
    extras.push(`${key}=${typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)}`);
  }
  return `${time} ${level} ${msg}${extras.length > 0 ? `  ${extras.join(' ')}` : ''}\n`;
}
