/**
 * Every limit roster enforces on a Registration, in one place (documented in docs/limits.md).
 * The server and every backend validate against these same numbers.
 */
import { MAX_TIMER_MS } from './clock.js';

/** Every limit `validateRegistration` enforces (and roster serve with it); listed in docs/limits.md. */
export const LIMITS = {
  /** Service name: 1–63 characters, letters, digits, `.`, `_`, `-`; starts and ends alphanumeric. */
  serviceNameMax: 63,
  /** Instance and check ids: 1–128 characters, no control characters, no surrounding spaces. */
  idMax: 128,
  /** Address: host name or IP, at most 253 characters. */
  addressMax: 253,
  tagsMax: 64,
  tagLengthMax: 255,
  metaPairsMax: 64,
  metaKeyMax: 128,
  metaValueMax: 512,
  weightMax: 65_535,
  zoneMax: 64,
  checksMax: 32,
  checkNameMax: 256,
  urlMax: 2048,
  headersMax: 32,
  headerValueMax: 1024,
  thresholdMax: 1000,
  /** Shortest check interval and TTL: 1 s. */
  intervalMinMs: 1000,
  ttlMinMs: 1000,
  /** Longest duration of any kind: Node's timer limit (~24.8 days); longer would fire at once. */
  durationMaxMs: MAX_TIMER_MS,
  /**
   * Output of `Lease.setHealth` kept: 4096 bytes (UTF-8), Consul's default `check_output_max_size`;
   * longer output is cut there, as Consul does, with a note of the full size.
   */
  checkOutputMax: 4096,
  /** Default HTTP/TCP check timeout (capped at the interval). */
  defaultCheckTimeoutMs: 10_000,
} as const;
