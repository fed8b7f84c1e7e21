/**
 * addressTowards(): the address `roster register` gives an instance when `--address` is not
 * set — the local address this machine uses to reach the registry. A registry on loopback means
 * the service is reached on loopback too (127.0.0.1); otherwise the route to the registry picks
 * the interface (a TCP connection is opened and closed, nothing is sent). The machine's first
 * external address was wrong whenever the registry and the service were on 127.0.0.1.
 */
import { isIP, connect as tcpConnect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { defaultAddress } from '@rosterjs/roster';

const TIMEOUT_MS = 3_000;

/** The registry's first host and port from a `--registry` URL (consul://, http(s)://, etcd://), or undefined. */
export function registryEndpoint(registryUrl: string): { host: string; port: number } | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/,?]+)(?::(\d+))?/i.exec(registryUrl);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  const host = m[2]!.replace(/^\[|\]$/g, '');
  const defaults: Record<string, number> = { consul: 8500, http: 80, 'consul+https': 443, https: 443, etcd: 2379, 'etcd+https': 2379 };
  const port = m[3] === undefined ? defaults[scheme] : Number(m[3]);
  return port === undefined ? undefined : { host, port };
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * The address to register for this machine, as seen from the registry at `registryUrl`:
 * loopback for a loopback registry, else the local end of a connection to it; this machine's
 * first external IPv4 address (as `announce()` chooses) when the registry cannot be reached.
 */
export async function addressTowards(registryUrl: string): Promise<string> {
  const endpoint = registryEndpoint(registryUrl);
  if (endpoint === undefined || isLoopback(endpoint.host)) return endpoint?.host === '::1' ? '::1' : '127.0.0.1';
  const local = await new Promise<string | undefined>((resolve) => {
    const socket = tcpConnect({ host: endpoint.host, port: endpoint.port, timeout: TIMEOUT_MS });
    const done = (address: string | undefined) => {
      socket.destroy();
      resolve(address);
    };
    socket.once('connect', () => done(socket.localAddress));
    socket.once('timeout', () => done(undefined));
    socket.once('error', () => done(undefined));
  });
  if (local === undefined) return defaultAddress(undefined, networkInterfaces());
  return local.startsWith('::ffff:') ? local.slice(7) : local;
}
