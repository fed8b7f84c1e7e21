/**
 * The options every command that talks to a registry has: `--registry URL` (or
 * `ROSTER_REGISTRY`), the credentials (`--token-file`; ROSTER_TOKEN, CONSUL_HTTP_TOKEN,
 * CONSUL_HTTP_TOKEN_FILE as the library reads them), TLS (`--ca-file`, `--cert-file`,
 * `--key-file`, `--tls-server-name`; CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY,
 * CONSUL_TLS_SERVER_NAME for Consul-API registries,
 * ETCDCTL_CACERT, ETCDCTL_CERT, ETCDCTL_KEY for etcd) and `--debug`; and the one way commands
 * open the registry: `connect()`, so every backend `connect()` knows works in every command.
 *
 * A secret is never taken from the command line, where every user of the host can read it
 * (ps): `--token` exists only to refuse it and say where a token goes; a `?token=` or a
 * `user:password@` in a `--registry` given as an argument is refused the same way
 * (ROSTER_REGISTRY may carry them).
 */
import { type Command, Option } from 'commander';
import { type ConnectOptions, connect, isRosterError, type Registry } from '@rosterjs/roster';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-code.js';
import { probeRegistry } from './registry-probe.js';

/** Where commands look when neither `--registry` nor `ROSTER_REGISTRY` is given: roster serve's (and Consul's) default address. */
export const DEFAULT_REGISTRY = 'consul://127.0.0.1:8500';

/** The options added by {@link withRegistryOptions}, as commander parses them. */
export interface RegistryOptions {
  readonly registry: string;
  readonly tokenFile?: string;
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  /** The name the registry's certificate is verified against (Consul-API registries). */
  readonly tlsServerName?: string;
  /** Only ever set to refuse it (a token on the command line). */
  readonly token?: string;
  /** Where `--registry` came from (`cli`, `env`, `default`), set before the action runs. */
  readonly registrySource?: string;
  readonly debug?: boolean;
}

/** The registry a command talks to: its URL and the options of its backend. */
export interface RegistryTarget {
  readonly url: string;
  readonly options: ConnectOptions;
}

/** Adds the registry options (see the file comment) to `command`. */
export function withRegistryOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--registry <url>',
        'registry to talk to: consul://host:port (roster serve, Consul), consul+https://host:port, etcd://host:port[,host:port], etcd+https://…',
      )
        .env('ROSTER_REGISTRY')
        .default(DEFAULT_REGISTRY),
    )
    .addOption(new Option('--token-file <file>', 'file holding the ACL token (or ROSTER_TOKEN, CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE)'))
    .addOption(new Option('--ca-file <file>', 'PEM CA that signed the registry certificate (or CONSUL_CACERT / ETCDCTL_CACERT)'))
    .addOption(new Option('--cert-file <file>', 'PEM client certificate for mutual TLS (or CONSUL_CLIENT_CERT / ETCDCTL_CERT)'))
    .addOption(new Option('--key-file <file>', 'PEM key of --cert-file (or CONSUL_CLIENT_KEY / ETCDCTL_KEY)'))
    .addOption(
      new Option(
        '--tls-server-name <name>',
        "name the registry's certificate is verified against, and sent as SNI, instead of the URL's host (or CONSUL_TLS_SERVER_NAME)",
      ),
    )
    .addOption(new Option('--token <secret>').hideHelp())
    .addOption(new Option('--debug', 'on failure, print the stack trace too'))
    .hook('preAction', (cmd) => {
      cmd.setOptionValue('registrySource', cmd.getOptionValueSource('registry'));
    });
}

const TLS_FLAGS: Record<string, string> = {
  caFile: '--ca-file',
  certFile: '--cert-file',
  keyFile: '--key-file',
  tokenFile: '--token-file',
  serverName: '--tls-server-name',
};

/**
 * The target of `options`.
 * @throws CliError (usage): a token on the command line, a secret in a `--registry` argument,
 *   TLS files for a registry URL that is not https, `--token-file` with etcd.
 */
export function registryTarget(options: RegistryOptions): RegistryTarget {
  if (options.token !== undefined) {
    throw new CliError(
      ExitCode.Usage,
      '--token puts a secret on the command line, where every user of this host can read it (ps). ' +
        'Put the token in a file (--token-file <file>, mode 0600) or in the ROSTER_TOKEN or CONSUL_HTTP_TOKEN environment variable',
    );
  }
  const url = options.registry;
  // (Consul-API URLs with user:password@ are refused by the backend, with what to use instead.)
  if (options.registrySource === 'cli' && (/[?&]token=/i.test(url) || /^etcd(\+https?)?:\/\/[^/@]*:[^/@]*@/i.test(url))) {
    throw new CliError(
      ExitCode.Usage,
      '--registry carries a secret (?token= or user:password@) on the command line, where every user of this host can read it (ps). ' +
        'Give the token with --token-file <file> or ROSTER_TOKEN, or put the whole URL in the ROSTER_REGISTRY environment variable',
    );
  }
  const files = { caFile: options.caFile, certFile: options.certFile, keyFile: options.keyFile, serverName: options.tlsServerName };
  const given = Object.entries(files).filter(([, v]) => v !== undefined);
  const tls = given.length === 0 ? undefined : Object.fromEntries(given);
  const etcd = /^etcd(\+https?)?:/i.test(url);
  if (tls !== undefined && !/^(https|consul\+https|etcd\+https):/i.test(url)) {
    const flags = given.map(([k]) => TLS_FLAGS[k]).join(', ');
    throw new CliError(
      ExitCode.Usage,
      `${flags}: need an https registry URL (consul+https://, https:// or etcd+https://), got --registry ${url.split('//')[0]}//…`,
    );
  }
  if (etcd && options.tlsServerName !== undefined) {
    throw new CliError(ExitCode.Usage, '--tls-server-name: for Consul-API registries only (etcd verifies the host of its URL)');
  }
  if (etcd && options.tokenFile !== undefined) {
    throw new CliError(
      ExitCode.Usage,
      '--token-file: etcd takes a user name and password (etcd://user:password@host in ROSTER_REGISTRY), not an ACL token',
    );
  }
  if (etcd) return { url, options: tls === undefined ? {} : { etcd: { tls } } };
  return {
    url,
    options: {
      consul: { ...(options.tokenFile === undefined ? {} : { tokenFile: options.tokenFile }), ...(tls === undefined ? {} : { tls }) },
    },
  };
}

/** `consul.tls.caFile: cannot read …` → `--ca-file: cannot read …`; other fields after `--registry`. */
function usageMessage(message: string): string {
  const flag = /^(?:consul\.|etcd\.)?(?:tls\.)?(caFile|certFile|keyFile|tokenFile|serverName)\b/.exec(message);
  if (flag) return `${TLS_FLAGS[flag[1] as string]}${message.slice(flag[0].length)}`;
  if (/^[A-Z][A-Z0-9_]+: /.test(message)) return message; // an environment variable (CONSUL_CACERT: …)
  return `--registry ${message.replace(/^url: /, '')}`;
}

/**
 * A Registry client for `target` (from `connect()`).
 * @throws CliError (usage) naming the flag (or variable) whose value `connect()` refused.
 */
export function openRegistry(target: RegistryTarget): Registry {
  try {
    return connect(target.url, target.options);
  } catch (error) {
    if (isRosterError(error)) throw new CliError(ExitCode.Usage, usageMessage(error.message), { cause: error });
    throw error;
  }
}

/**
 * Runs `body` with a Registry client for the command's registry and closes the client
 * afterwards (closing never deregisters). A Consul-API URL is first checked to be a registry
 * ({@link probeRegistry}).
 * @throws CliError (usage) for a bad target; (exit 4) when it is unreachable or not a registry.
 */
export async function withRegistry<T>(options: RegistryOptions, body: (registry: Registry) => Promise<T>): Promise<T> {
  const target = registryTarget(options);
  const registry = openRegistry(target);
  try {
    await probeRegistry(target);
  } catch (error) {
    await registry.close().catch(() => {});
    throw error;
  }
  try {
    return await body(registry);
  } finally {
    await registry.close().catch(() => {});
  }
}
