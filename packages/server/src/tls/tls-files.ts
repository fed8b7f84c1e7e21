/**
 * TLS for the HTTP API: certificate, key and CA read from files (never given inline, so no
 * secret passes through a command line), re-read on reload (SIGHUP): new connections get the
 * new pair, open ones keep theirs. With `verifyIncoming`, a client must present a certificate
 * signed by the CA (mutual TLS), as Consul's `verify_incoming`.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '@rosterjs/roster';

/** TLS settings of the server. */
export interface TlsOptions {
  /** PEM certificate chain of the server. */
  readonly certFile: string;
  /** PEM private key of the server. */
  readonly keyFile: string;
  /** PEM CA certificates that sign client certificates (required with `verifyIncoming`). */
  readonly caFile?: string;
  /** Require a client certificate signed by `caFile`; default false. */
  readonly verifyIncoming?: boolean;
}

/** What `https.createServer` / `setSecureContext` take. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
}

/**
 * Reads the files. @throws InvalidArgumentError naming the option (`tls.certFile` …) when a
 * file cannot be read or `verifyIncoming` has no CA.
 */
export function readTls(options: TlsOptions): TlsMaterial {
  const read = (field: string, path: string | undefined): Buffer => {
    if (typeof path !== 'string' || path === '') throw new InvalidArgumentError(`tls.${field}`, 'must be a file path');
    try {
      return readFileSync(path);
    } catch (error) {
      throw new InvalidArgumentError(`tls.${field}`, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  };
  const verify = options.verifyIncoming ?? false;
  if (verify && options.caFile === undefined) throw new InvalidArgumentError('tls.caFile', 'is required with verifyIncoming');
  return {
    cert: read('certFile', options.certFile),
    key: read('keyFile', options.keyFile),
    ...(options.caFile === undefined ? {} : { ca: read('caFile', options.caFile) }),
    requestCert: verify,
    rejectUnauthorized: verify,
  };
}
