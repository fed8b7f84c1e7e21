/**
 * `roster serve`: starts the registry server (Consul-compatible HTTP API) and runs until
 * SIGTERM/SIGINT, then shuts down gracefully (a second signal exits at once).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { type AclOptions, createServer, isLoopback, ListenError, loadAclFile, type ServerOptions, type SyncMode } from '@rosterjs/server';
import { addDnsOptions, dnsOptionsOf } from './serve-dns-options.js';

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) throw new InvalidArgumentError('must be an integer 0-65535');
  return n;
}

function aclToken(value: string, previous: Record<string, 'read' | 'write'> = {}): Record<string, 'read' | 'write'> {
  const out = { ...previous };
  for (const entry of value.split(',').filter((e) => e !== '')) {
    const i = entry.lastIndexOf('=');
    const rights = entry.slice(i + 1);
    if (i <= 0 || (rights !== 'read' && rights !== 'write')) throw new InvalidArgumentError('must be <secret>=read or <secret>=write');
    out[entry.slice(0, i)] = rights;
  }
  return out;
}

function list(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== ''),
  ];
}

function rateLimit(value: string): { perSecond: number; burst: number } | false {
  if (value === 'off') return false;
  const m = /^(\d+(?:\.\d+)?)(?:,(\d+))?$/.exec(value);
  const perSecond = Number(m?.[1]);
  if (!m || !(perSecond > 0)) throw new InvalidArgumentError('must be <requests per second>[,<burst>] (e.g. 500,1000) or off');
  return { perSecond, burst: m[2] === undefined ? Math.max(1, Math.ceil(perSecond * 2)) : Number(m[2]) };
}

function count(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('must be an integer ≥ 0');
  return Number(value);
}

function sync(value: string): SyncMode {
  if (value !== 'full' && value !== 'normal') throw new InvalidArgumentError('must be "full" or "normal"');
  return value;
}

/** The `serve` command. */
export function serveCommand(): Command {
  const command = new Command('serve');
  command
    .description('run the registry server (Consul-compatible HTTP API, durable state in SQLite)')
    .addOption(new Option('--bind <address>', 'listen address').env('ROSTER_BIND').default('127.0.0.1'))
    .addOption(new Option('--port <port>', 'listen port (0 = any free port)').env('ROSTER_PORT').default(8500).argParser(port))
    .addOption(new Option('--data-dir <dir>', 'data directory').env('ROSTER_DATA_DIR').default('.roster-data'))
    .addOption(
      new Option('--log-level <level>', 'log level')
        .env('ROSTER_LOG_LEVEL')
        .default('info')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    )
    .addOption(
      new Option('--log-format <format>', 'log lines: pretty (readable) or json (default: pretty on a terminal, json otherwise)')
        .env('ROSTER_LOG_FORMAT')
        .choices(['pretty', 'json']),
    )
    .addOption(new Option('--node-name <name>', 'node name (default: the host name)').env('ROSTER_NODE_NAME'))
    .addOption(new Option('--node-address <address>', 'node address reported to clients').env('ROSTER_NODE_ADDRESS'))
    .addOption(new Option('--datacenter <name>', 'datacenter name').env('ROSTER_DATACENTER').default('dc1'))
    .addOption(
      new Option('--sync <mode>', 'full: fsync every commit (survives power loss); normal: survives process kill only')
        .env('ROSTER_SYNC')
        .default('full')
        .argParser(sync),
    )
    .addOption(
      new Option('--acl-file <file>', 'turn ACLs on: policies and tokens (JSON, see docs/security.md); re-read on SIGHUP').env(
        'ROSTER_ACL_FILE',
      ),
    )
    // Secrets never on the command line (every user of the host sees it in ps): only the
    // environment may carry static tokens; the flag exists to say so.
    .addOption(new Option('--acl-token <secret=rights>').env('ROSTER_ACL_TOKENS').argParser(aclToken).hideHelp())
    .addOption(
      new Option('--acl-default-policy <policy>', 'with ROSTER_ACL_TOKENS: what requests without a token may do')
        .env('ROSTER_ACL_DEFAULT_POLICY')
        .choices(['allow', 'deny']),
    )
    .addOption(
      new Option('--tls-cert-file <file>', 'serve HTTPS with this PEM certificate (re-read on SIGHUP)').env('ROSTER_TLS_CERT_FILE'),
    )
    .addOption(new Option('--tls-key-file <file>', 'the PEM key of --tls-cert-file').env('ROSTER_TLS_KEY_FILE'))
    .addOption(new Option('--tls-ca-file <file>', 'PEM CA that signs client certificates').env('ROSTER_TLS_CA_FILE'))
    .addOption(
      new Option('--tls-verify-incoming', 'require a client certificate signed by --tls-ca-file (mutual TLS)').env(
        'ROSTER_TLS_VERIFY_INCOMING',
      ),
    )
    .addOption(
      new Option(
        '--check-allow <targets>',
        "HTTP/TCP check targets allowed besides the instance's own address: CIDRs and host names, comma-separated (10.0.0.0/8,db.internal,*.svc.internal); repeatable",
      )
        .env('ROSTER_CHECK_ALLOW')
        .argParser(list),
    )
    .addOption(
      new Option(
        '--check-ca-file <file>',
        'PEM CA certificates https checks trust besides the public roots (default: --tls-ca-file when TLS is on; "none": public roots only); re-read on SIGHUP',
      ).env('ROSTER_CHECK_CA_FILE'),
    )
    .addOption(
      new Option(
        '--rate-limit <perSecond[,burst]>',
        'requests per second per client (per token with ACLs, else per address), bursts of 2× unless given; "off" turns it off (default 20000,40000)',
      )
        .env('ROSTER_RATE_LIMIT')
        .argParser(rateLimit),
    )
    .addOption(
      new Option('--max-held-queries-per-client <n>', 'blocking queries and event streams one client may hold at once (default 2048)')
        .env('ROSTER_MAX_HELD_QUERIES_PER_CLIENT')
        .argParser(count),
    )
    .addOption(new Option('--insecure', 'allow a non-loopback --bind without ACLs (a warning is logged at every start)'))
    .addOption(new Option('--strict-methods', "answer 405 to python-consul 0.7.1's GET on write endpoints, as Consul does"));
  return addDnsOptions(command).action(async (opts: Record<string, unknown>) => {
    const fail = (message: string) => {
      process.stderr.write(`roster serve: ${message}\n`);
      process.exitCode = 1;
    };
    if (command.getOptionValueSource('aclToken') === 'cli') {
      return fail(
        '--acl-token puts a secret on the command line, where every user of this host can read it (ps). ' +
          'Put tokens in an ACL file (--acl-file <file>, mode 0600) or in the ROSTER_ACL_TOKENS environment variable',
      );
    }
    if (command.getOptionValueSource('dnsToken') === 'cli') {
      return fail('--dns-token puts a secret on the command line (ps shows it); set ROSTER_DNS_TOKEN instead');
    }
    // A certificate without its key (or a key alone) is a half-given flag pair: say which half.
    if ((opts.tlsCertFile === undefined) !== (opts.tlsKeyFile === undefined)) {
      return fail(
        opts.tlsCertFile === undefined
          ? '--tls-key-file needs --tls-cert-file (ROSTER_TLS_CERT_FILE): the certificate that goes with the key'
          : '--tls-cert-file needs --tls-key-file (ROSTER_TLS_KEY_FILE): the PEM key of the certificate',
      );
    }
    const aclFile = opts.aclFile as string | undefined;
    if (aclFile !== undefined && opts.aclToken !== undefined) return fail('give --acl-file or ROSTER_ACL_TOKENS, not both');
    let acl: AclOptions | undefined;
    try {
      if (aclFile !== undefined) acl = loadAclFile(aclFile);
      else if (opts.aclToken !== undefined || opts.aclDefaultPolicy !== undefined) {
        acl = {
          tokens: (opts.aclToken ?? {}) as Record<string, 'read' | 'write'>,
          defaultPolicy: (opts.aclDefaultPolicy ?? 'deny') as 'allow' | 'deny',
        };
      }
    } catch (error) {
      return fail(error instanceof Error ? error.message : String(error));
    }
    const options: ServerOptions = {
      bind: opts.bind as string,
      port: opts.port as number,
      dataDir: opts.dataDir as string,
      logLevel: opts.logLevel as string,
      logFormat: (opts.logFormat as 'pretty' | 'json' | undefined) ?? (process.stdout.isTTY ? 'pretty' : 'json'),
      datacenter: opts.datacenter as string,
      sync: opts.sync as SyncMode,
      legacyGet: opts.strictMethods !== true,
      dns: dnsOptionsOf(opts, command),
      ...(opts.nodeName === undefined ? {} : { nodeName: opts.nodeName as string }),
      ...(opts.nodeAddress === undefined ? {} : { nodeAddress: opts.nodeAddress as string }),
      ...(acl === undefined ? {} : { acl }),
      ...(opts.insecure === true ? { insecure: true } : {}),
      ...(opts.checkAllow === undefined ? {} : { checkAllow: opts.checkAllow as string[] }),
      ...(opts.checkCaFile === undefined ? {} : { checkCaFile: opts.checkCaFile === 'none' ? false : (opts.checkCaFile as string) }),
      ...(opts.rateLimit === undefined ? {} : { rateLimit: opts.rateLimit as { perSecond: number; burst: number } | false }),
      ...(opts.maxHeldQueriesPerClient === undefined ? {} : { maxHeldQueriesPerClient: opts.maxHeldQueriesPerClient as number }),
      ...(opts.tlsCertFile === undefined && opts.tlsKeyFile === undefined
        ? {}
        : {
            tls: {
              certFile: (opts.tlsCertFile ?? '') as string,
              keyFile: (opts.tlsKeyFile ?? '') as string,
              ...(opts.tlsCaFile === undefined ? {} : { caFile: opts.tlsCaFile as string }),
              verifyIncoming: opts.tlsVerifyIncoming === true || opts.tlsVerifyIncoming === 'true',
            },
          }),
    };
    let server: ReturnType<typeof createServer>;
    try {
      server = createServer(options);
    } catch (error) {
      return fail(error instanceof Error ? error.message : String(error));
    }
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        process.stderr.write(`roster serve: ${signal} again, exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`roster serve: shutdown failed: ${String(error)}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    // SIGHUP re-reads the ACL file; a broken file keeps the tables in force and says why.
    process.on('SIGHUP', () => {
      if (server.options.tls !== undefined || server.options.checkCaFile !== undefined) {
        try {
          server.reload({ tls: true });
          const what = [
            ...(server.options.tls === undefined ? [] : ['the TLS certificate and key']),
            ...(server.options.checkCaFile === undefined ? [] : [`the check CA (${server.options.checkCaFile})`]),
          ];
          process.stderr.write(`roster serve: SIGHUP: reloaded ${what.join(' and ')}\n`);
        } catch (error) {
          process.stderr.write(
            `roster serve: SIGHUP: kept the files in force that could not be read again: ${error instanceof Error ? error.message : String(error)}\n`,
          );
        }
      }
      if (aclFile === undefined) return;
      try {
        server.reload({ acl: loadAclFile(aclFile) });
        process.stderr.write(`roster serve: SIGHUP: reloaded ${aclFile}\n`);
      } catch (error) {
        process.stderr.write(`roster serve: SIGHUP: kept the ACLs in force: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    });
    try {
      // The server logs the one start-up line (address, data dir, index, DNS) in the chosen format.
      await server.listen();
      if (server.options.insecure && !isLoopback(server.options.bind) && server.options.acl === undefined) {
        process.stderr.write(
          `roster serve: WARNING: --insecure: listening on ${server.options.bind} without ACLs; anyone who reaches it can register, deregister and redirect services\n`,
        );
      }
    } catch (error) {
      process.stderr.write(`roster serve: ${listenFailure(error)}\n`);
      await server.close();
      process.exitCode = 1;
    }
  });
}

/** What to say when the server cannot listen: which listener, where, why, and the option that moves it. */
function listenFailure(error: unknown): string {
  if (!(error instanceof ListenError)) return `cannot start: ${error instanceof Error ? error.message : String(error)}`;
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  const dns = error.listener === 'DNS';
  const hint =
    code === 'EADDRNOTAVAIL'
      ? `${dns ? '--dns-bind' : '--bind'} <address> listens on another address of this host`
      : dns
        ? '--dns-port <port> answers DNS on another port; --dns-port -1 turns DNS off'
        : '--port <port> serves HTTP on another port (--port 0: any free one)';
  return `${error.message}\nroster serve: ${hint}`;
}
