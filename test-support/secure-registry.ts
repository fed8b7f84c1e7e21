/**
 * Set-up shared by the suites that reach roster serve over TLS, with or without ACLs (the
 * library's Consul backend and the CLI): the client variables to clear so that the host's
 * environment cannot leak into a case, the `orders` ACL they test tokens against, and a real
 * roster serve on 127.0.0.1 with its own data dir, stopped and removed by `close()`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AclConfig, createServer, parseAclConfig, type RosterServer, type ServerOptions } from '@rosterjs/server';

/** Every variable through which the Consul backend (and so the CLI) takes a token or TLS settings. */
export const CONSUL_CLIENT_VARIABLES = [
  'ROSTER_TOKEN',
  'CONSUL_HTTP_TOKEN',
  'CONSUL_HTTP_TOKEN_FILE',
  'CONSUL_CACERT',
  'CONSUL_CLIENT_CERT',
  'CONSUL_CLIENT_KEY',
  'CONSUL_TLS_SERVER_NAME',
] as const;

/** An environment overlay that unsets each of {@link CONSUL_CLIENT_VARIABLES} (for a child process). */
export const CLEAN_CONSUL_ENV: Readonly<Record<(typeof CONSUL_CLIENT_VARIABLES)[number], undefined>> = Object.fromEntries(
  CONSUL_CLIENT_VARIABLES.map((name) => [name, undefined]),
) as Record<(typeof CONSUL_CLIENT_VARIABLES)[number], undefined>;

/**
 * Default deny; `write` may write the service `orders`, `read` may read every service whose name
 * starts with `orders` (both may read every node); `management`, when given, holds
 * `global-management`.
 */
export function ordersAcl(secrets: { write: string; read: string; management?: string }): AclConfig {
  return parseAclConfig({
    default_policy: 'deny',
    policies: {
      'orders-read': { service_prefix: { orders: { policy: 'read' } }, node_prefix: { '': { policy: 'read' } } },
      'orders-write': { service: { orders: { policy: 'write' } }, node_prefix: { '': { policy: 'read' } } },
    },
    tokens: [
      { secret_id: secrets.write, policies: ['orders-write'] },
      { secret_id: secrets.read, policies: ['orders-read'] },
      ...(secrets.management === undefined ? [] : [{ secret_id: secrets.management, policies: ['global-management'] }]),
    ],
  });
}

/** A running roster serve reached over https. */
export interface SecureRegistry {
  readonly server: RosterServer;
  /** `consul+https://127.0.0.1:<port>`. */
  readonly url: string;
  /** Its own temporary folder (the data dir is `data` inside it); removed by `close()`. */
  readonly dir: string;
  /** Stops the server and removes the folder. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts roster serve on 127.0.0.1 (port 0, `sync: 'normal'`, silent) with the given TLS (and
 * ACL, …) options, in a new temporary folder named after `name`.
 */
export async function startSecureRegistry(
  name: string,
  options: Pick<ServerOptions, 'tls'> & Partial<Omit<ServerOptions, 'port' | 'dataDir'>>,
): Promise<SecureRegistry> {
  const dir = await mkdtemp(join(tmpdir(), `roster-${name}-`));
  const server = createServer({ port: 0, dataDir: join(dir, 'data'), logLevel: 'silent', sync: 'normal', ...options });
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    })());
  try {
    const address = await server.listen();
    return { server, url: `consul+https://127.0.0.1:${address.port}`, dir, close };
  } catch (error) {
    await close();
    throw error;
  }
}
