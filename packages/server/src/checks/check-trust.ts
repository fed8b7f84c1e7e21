/**
 * What https HTTP checks trust: Node's default roots (its bundled Mozilla list and the file in
 * NODE_EXTRA_CA_CERTS) plus the operator's check CA (`--check-ca-file`, by default the server's
 * own `--tls-ca-file`, D177), so that turning TLS on with a private CA does not make every https
 * check of an instance holding a certificate from that CA critical, and a check of a target with
 * a public certificate keeps passing. The store is built once (not per probe) and re-read on
 * reload; checks use the new one from their next run.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { InvalidArgumentError } from '@rosterjs/roster';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The trust store of the server's https checks; `context()` undefined means Node's default roots. */
export class CheckTrust {
  readonly #file: string | undefined;
  #context: tls.SecureContext | undefined;

  /**
   * Reads `file` (PEM, one or more CA certificates); undefined: Node's default roots only.
   * @throws InvalidArgumentError `checkCaFile` when the file cannot be read or holds no certificate.
   */
  constructor(file: string | undefined) {
    this.#file = file;
    this.#context = file === undefined ? undefined : buildContext(file);
  }

  /** The CA file, undefined when none. */
  get file(): string | undefined {
    return this.#file;
  }

  /** The store for the next probe. */
  context(): tls.SecureContext | undefined {
    return this.#context;
  }

  /** Re-reads the file; on an error the store in force stays. @throws InvalidArgumentError as the constructor. */
  reload(): void {
    if (this.#file !== undefined) this.#context = buildContext(this.#file);
  }
}

function buildContext(file: string): tls.SecureContext {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError('checkCaFile', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const own = text.match(PEM_CERTIFICATE) ?? [];
  if (own.length === 0) throw new InvalidArgumentError('checkCaFile', `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  for (const [i, pem] of own.entries()) {
    try {
      new X509Certificate(pem);
    } catch (error) {
      throw new InvalidArgumentError('checkCaFile', `certificate ${i + 1} in ${file} cannot be parsed: ${(error as Error).message}`);
    }
  }
  // Giving `ca` replaces Node's default roots: they are listed again, extra ones included.
  return tls.createSecureContext({ ca: [...tls.rootCertificates, ...extraRoots(), ...own] });
}

/** The certificates of NODE_EXTRA_CA_CERTS (Node adds them to its default roots), [] when unset or unreadable. */
function extraRoots(): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (file === undefined || file === '') return [];
  try {
    return readFileSync(file, 'utf8').match(PEM_CERTIFICATE) ?? [];
  } catch {
    return []; // Node itself only warns about an unreadable file
  }
}
