/** The Registration `roster register` sends, built from its options. */
import { networkInterfaces } from 'node:os';
import { defaultAddress, type HealthCheck, type Registration } from '@rosterjs/roster';
import { hostPort } from './format-instance.js';

/** The options of `roster register`, as commander parses them. */
export interface RegisterFlags {
  readonly id?: string;
  readonly address?: string;
  readonly port: number;
  readonly tag?: readonly string[];
  readonly meta?: Readonly<Record<string, string>>;
  readonly weight?: number;
  readonly zone?: string;
  readonly ttl?: string;
  readonly http?: string;
  readonly interval?: string;
  readonly httpTimeout?: string;
  readonly checkTtl?: string;
  readonly checkId?: string;
  readonly deregisterAfter?: string;
}

/** `/health` → `http://<address>:<port>/health`; full http(s) URLs as they are. */
export function checkUrl(http: string, address: string, port: number): string {
  return http.startsWith('/') ? `http://${hostPort({ address, port })}${http}` : http;
}

/**
 * The Registration for `service` and `flags`. Address default (when the caller has not resolved
 * one with `addressTowards`): this machine's first external IPv4 address, else 127.0.0.1.
 */
export function buildRegistration(service: string, flags: RegisterFlags): Registration {
  const address = flags.address ?? defaultAddress(undefined, networkInterfaces());
  const checks: HealthCheck[] = [];
  const after = flags.deregisterAfter === undefined ? {} : { deregisterCriticalAfter: flags.deregisterAfter };
  if (flags.http !== undefined) {
    checks.push({
      kind: 'http',
      url: checkUrl(flags.http, address, flags.port),
      interval: flags.interval ?? '10s',
      ...(flags.httpTimeout === undefined ? {} : { timeout: flags.httpTimeout }),
      ...after,
    });
  }
  if (flags.checkTtl !== undefined) {
    checks.push({ kind: 'ttl', ttl: flags.checkTtl, ...(flags.checkId === undefined ? {} : { id: flags.checkId }), ...after });
  }
  return {
    service,
    address,
    port: flags.port,
    ...(flags.id === undefined ? {} : { id: flags.id }),
    ...(flags.tag === undefined ? {} : { tags: flags.tag }),
    ...(flags.meta === undefined ? {} : { meta: flags.meta }),
    ...(flags.weight === undefined ? {} : { weight: flags.weight }),
    ...(flags.zone === undefined ? {} : { zone: flags.zone }),
    ...(checks.length === 0 ? {} : { checks }),
    ...(flags.ttl === undefined ? {} : { ttl: flags.ttl }),
  };
}
