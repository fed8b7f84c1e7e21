/**
 * The server's logger: pino, writing either JSON lines (for machines: a log collector, a file,
 * a pipe) or readable lines (for a person at a terminal). Secrets are redacted by key wherever
 * they appear in a log object; the messages themselves never contain them.
 */
import pino, { type Logger } from 'pino';
import { formatLogLine } from './format-log-line.js';

/** How log lines look: `json` (one JSON object per line, ISO time) or `pretty` (readable text). */
export type LogFormat = 'json' | 'pretty';

/** Keys whose values are never logged, at any depth pino redacts (top level and one below). */
export const REDACTED_KEYS: readonly string[] = ['token', 'secret', 'password', 'authorization', 'x-consul-token', 'tokens'];

/** Where lines go: anything with `write(line)` (default: stdout). */
export interface LogSink {
  write(line: string): unknown;
}

/**
 * A pino logger at `level` writing `format` lines to `sink`; `redact` adds pino redaction paths.
 * In `pretty` mode every line is `HH:MM:SS.mmm LEVEL message key=value …`.
 */
export function createLogger(level: string, format: LogFormat, sink: LogSink = process.stdout, redact: readonly string[] = []): Logger {
  const paths = [...new Set([...REDACTED_KEYS.flatMap((k) => [`["${k}"]`, `*["${k}"]`]), ...redact])];
  const options = {
    level,
    base: { name: 'roster' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths, censor: '[redacted]' },
  };
  if (format === 'json') return pino(options, sink === process.stdout ? pino.destination({ fd: 1, sync: true }) : sink);
  return pino(options, { write: (line: string) => sink.write(formatLogLine(line)) });
}

/** A child of `logger` that logs only at `floor` or above (and never below `logger`'s own level). */
export function atLeast(logger: Logger, floor: 'warn' | 'error'): Logger {
  const own = logger.levels.values[logger.level] ?? Infinity;
  const min = logger.levels.values[floor]!;
  return logger.child({}, { level: own >= min ? logger.level : floor });
}

/**
 * A child of `logger` that also logs `level` lines when `logger` is quieter (the start-up line
 * shows at `--log-level warn`); `silent` stays silent.
 */
export function atMost(logger: Logger, level: 'info'): Logger {
  if (logger.level === 'silent') return logger;
  const own = logger.levels.values[logger.level] ?? 0;
  return own <= logger.levels.values[level]! ? logger : logger.child({}, { level });
}
