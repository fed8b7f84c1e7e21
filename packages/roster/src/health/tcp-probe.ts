/**
 * The TCP probe: connect, then close at once (Consul's CheckTCP). Nothing is sent.
 */
import net from 'node:net';
import { describe } from '../internal/options.js';
import { MAX_TIMER_MS } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import { abortText, errorText, type Probe, probeTimeout } from './probe.js';
import { guardedLookup, type LookupFunction, refusedTarget, TargetRefusedError, type TargetPolicy } from './target-guard.js';

/** What a TCP probe connects to. */
export interface TcpProbeSpec {
  /** `host:port`, `1.2.3.4:port` or `[v6 address]:port`. */
  readonly target: string;
  /** Time limit of the connect (name lookup included), in ms. */
  readonly timeoutMs: number;
  /** Name resolution (default `dns.lookup`), wrapped by the check-target guard (target-guard.ts). */
  readonly lookup?: LookupFunction;
  /** The check's own target rules on top of the always-on ones (target-policy.ts). */
  readonly targets?: TargetPolicy;
}

/** A parsed `host:port` target. */
export interface TcpTarget {
  /** Host name or IP address, without brackets. */
  readonly host: string;
  readonly port: number;
}

/**
 * Splits `host:port` or `[v6]:port` into its parts.
 * @throws InvalidArgumentError (field `target`) when it is not of that form or the port is not 1–65535.
 */
export function parseTcpTarget(target: string): TcpTarget {
  // The port is after the last colon; brackets around the host are optional, so `::1:80` is
  // accepted like validateRegistration accepts it (Go would want `[::1]:80`).
  const m = typeof target === 'string' ? /^(.+):(\d{1,5})$/.exec(target) : null;
  const host = m?.[1]?.replace(/^\[(.+)\]$/, '$1');
  const port = Number(m?.[2]);
  if (host === undefined || /[[\]\s]/.test(host) || !(port >= 1 && port <= 65_535)) {
    throw new InvalidArgumentError(
      'target',
      `must be "host:port" or "[ipv6]:port" with a port of 1–65535, got ${typeof target === 'string' ? JSON.stringify(target) : typeof target}`,
    );
  }
  return { host, port };
}

/**
 * Creates a probe that opens one TCP connection per run and closes it as soon as it is up.
 * Connected → `passing` with output `TCP connect <target>: Success`; refused, unreachable,
 * name not found or not connected within `timeoutMs` → `critical` with
 * `TCP connect <target>: <error text>` (e.g. `connect ECONNREFUSED 127.0.0.1:9`, `timed out after 10s`).
 * The socket is destroyed in every case.
 *
 * @throws InvalidArgumentError (at creation) for a bad target or timeout.
 */
export function tcpProbe(spec: TcpProbeSpec): Probe {
  if (typeof spec !== 'object' || spec === null) throw new InvalidArgumentError('spec', 'must be an object');
  const { host, port } = parseTcpTarget(spec.target);
  const timeoutMs = spec.timeoutMs;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)) {
    throw new InvalidArgumentError('timeoutMs', `must be > 0 and ≤ ${MAX_TIMER_MS} ms, got ${describe(timeoutMs)}`);
  }
  const label = `TCP connect ${spec.target}`;
  const lookup = guardedLookup(spec.lookup, spec.targets);

  return (signal) =>
    new Promise((resolve) => {
      if (signal.aborted) {
        resolve({ status: 'critical', output: `${label}: ${abortText(signal.reason)}` });
        return;
      }
      // A refused literal never gets a socket; a name is checked by `lookup` before connecting.
      const rule = refusedTarget(host, spec.targets);
      if (rule !== undefined) {
        resolve({ status: 'critical', output: `${label}: ${new TargetRefusedError(host, rule).message}` });
        return;
      }
      const socket = net.connect({ host, port, lookup });
      let done = false;
      const finish = (error?: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.removeListener('connect', onConnect);
        socket.destroy();
        resolve(
          error === undefined ? { status: 'passing', output: `${label}: Success` } : { status: 'critical', output: `${label}: ${error}` },
        );
      };
      const onConnect = () => finish();
      const onAbort = () => finish(abortText(signal.reason));
      const timer = setTimeout(() => finish(abortText(probeTimeout(timeoutMs))), timeoutMs);
      timer.unref();
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', onConnect);
      // Stays attached after finish: a destroyed socket may still report an error.
      socket.on('error', (error) => finish(errorText(error)));
    });
}
