/**
 * TLS material of a registry client (the Consul and etcd backends): a CA, a client certificate
 * and its key, each given as PEM (`ca`, `cert`, `key`) or as a file path (`caFile`, `certFile`,
 * `keyFile`), or read from environment variables the backend names (Consul's `CONSUL_CACERT`,
 * `CONSUL_CLIENT_CERT`, `CONSUL_CLIENT_KEY`; etcdctl's `ETCDCTL_CACERT`, `ETCDCTL_CERT`,
 * `ETCDCTL_KEY`). Files are read once, at construction; an unreadable file or one that holds no
 * PEM block is an InvalidArgumentError naming the option (or variable) and the path.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { InvalidArgumentError } from '../errors.js';
import * as v from '../internal/options.js';

/** TLS settings of a registry client. Each of CA, certificate and key: PEM or a file, not both. */
export interface RegistryTlsOptions {
  /** CA certificate(s), PEM, that signed the registry's certificate; default: the system roots. */
  readonly ca?: string | Buffer;
  /** Path of a PEM file with the CA certificate(s). */
  readonly caFile?: string;
  /** Client certificate chain, PEM, for a registry that verifies clients (mutual TLS). Needs a key. */
  readonly cert?: string | Buffer;
  /** Path of a PEM file with the client certificate chain. */
  readonly certFile?: string;
  /** Private key of the client certificate, PEM. */
  readonly key?: string | Buffer;
  /** Path of a PEM file with the private key. */
  readonly keyFile?: string;
}

/** The material read: PEM buffers, each absent when not given. */
export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** Environment variable names for the CA, the certificate and the key files. */
export interface TlsEnvNames {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Consul's variables (as the consul CLI reads them). */
export const CONSUL_TLS_ENV: TlsEnvNames = { ca: 'CONSUL_CACERT', cert: 'CONSUL_CLIENT_CERT', key: 'CONSUL_CLIENT_KEY' };
/** etcdctl's variables. */
export const ETCD_TLS_ENV: TlsEnvNames = { ca: 'ETCDCTL_CACERT', cert: 'ETCDCTL_CERT', key: 'ETCDCTL_KEY' };

const pem = v.optional(
  v.either(
    v.string(1),
    v.satisfies<Buffer>((x) => Buffer.isBuffer(x), 'a Buffer'),
    'must be PEM text (a string or a Buffer)',
  ),
);
const path = v.optional(v.string(1, 4096, /^[^\0]*$/, 'a file path'));

/** The checks of the fields of {@link RegistryTlsOptions}. */
export const TLS_FIELDS = { ca: pem, caFile: path, cert: pem, certFile: path, key: pem, keyFile: path };

/** The check of {@link RegistryTlsOptions}. */
export const TLS_OPTIONS = v.object(TLS_FIELDS);

/** A name a server certificate is verified against: a DNS name or an IP address. */
export const serverNameCheck: v.Check<string> = v.string(1, 253, /^[A-Za-z0-9_.:-]+$/, 'a host name or IP address');

/**
 * The TLS connect options that verify the server's certificate against `name` instead of the
 * URL's host, and send it as SNI (an IP address is verified but not sent: SNI carries host names
 * only, RFC 6066), as Go's `tls.Config.ServerName` does for Consul's `tls_server_name`.
 */
export function serverNameConnect(name: string): Pick<tls.ConnectionOptions, 'servername' | 'checkServerIdentity'> {
  return {
    ...(isIP(name) === 0 ? { servername: name } : {}),
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(name, cert),
  };
}

/**
 * Reads a PEM file named by `source` (an option path like `tls.caFile`, or a variable name).
 * @throws InvalidArgumentError naming `source` and `file`: unreadable, empty, or no PEM block.
 */
export function readPemFile(file: string, source: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new InvalidArgumentError(source, `cannot read ${JSON.stringify(file)} (${code})`, { cause: error });
  }
  if (!bytes.includes('-----BEGIN ')) throw new InvalidArgumentError(source, `${JSON.stringify(file)} holds no PEM block (-----BEGIN …)`);
  return bytes;
}

/**
 * The material of `options` (validated by {@link TLS_OPTIONS} at `at`), each piece not given
 * there taken from the variable in `env` when one is named and set. Undefined when nothing is given.
 * @throws InvalidArgumentError: PEM and file both given, a certificate without its key (or the
 *   reverse), or a file that cannot be read.
 */
export function tlsMaterial(
  options: RegistryTlsOptions | undefined,
  at: string,
  env?: TlsEnvNames,
  environment: NodeJS.ProcessEnv = process.env,
): TlsMaterial | undefined {
  const o = options ?? {};
  const piece = (name: 'ca' | 'cert' | 'key'): Buffer | undefined => {
    const inline = o[name];
    const file = o[`${name}File`];
    if (inline !== undefined && file !== undefined) {
      throw new InvalidArgumentError(`${at}.${name}File`, `give ${at}.${name} (PEM) or ${at}.${name}File (a path), not both`);
    }
    if (inline !== undefined) return Buffer.from(inline);
    if (file !== undefined) return readPemFile(file, `${at}.${name}File`);
    const variable = env?.[name];
    const fromEnv = variable === undefined ? undefined : environment[variable];
    return fromEnv === undefined || fromEnv === '' ? undefined : readPemFile(fromEnv, variable as string);
  };
  const material = { ca: piece('ca'), cert: piece('cert'), key: piece('key') };
  if ((material.cert === undefined) !== (material.key === undefined)) {
    throw new InvalidArgumentError(
      material.cert === undefined ? `${at}.cert` : `${at}.key`,
      `a client certificate needs its key and the key its certificate${env ? ` (or ${env.cert} and ${env.key})` : ''}`,
    );
  }
  if (material.ca === undefined && material.cert === undefined) return undefined;
  return Object.fromEntries(Object.entries(material).filter(([, value]) => value !== undefined)) as TlsMaterial;
}
