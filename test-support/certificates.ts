/**
 * Throw-away certificates for TLS tests, made with openssl in a temp dir (P-256 keys): a CA, and
 * certificates signed by it or self-signed, with the subjectAltNames a test needs. The same
 * openssl steps as `makeTestCertificates` (etcd.ts), for tests that need other names or
 * a self-signed server. Remove `dir` in an afterAll.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM text of one issued certificate and its key, with their file paths. */
export interface IssuedCertificate {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** A directory where certificates are issued. */
export interface CertificateWorkshop {
  readonly dir: string;
  /**
   * Issues `name`: signed by the certificate `ca` (issued here before, with `isCa`), or
   * self-signed when `ca` is undefined. `san` like `IP:127.0.0.1,DNS:orders.internal`.
   */
  issue(
    name: string,
    options?: { readonly ca?: string; readonly san?: string; readonly isCa?: boolean; readonly days?: number },
  ): IssuedCertificate;
}

/** Creates a workshop in a new temp dir. */
export function certificateWorkshop(): CertificateWorkshop {
  const dir = mkdtempSync(join(tmpdir(), 'roster-certs-'));
  const f = (name: string) => join(dir, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  return {
    dir,
    issue(name, options = {}) {
      openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f(`${name}.key`)]);
      openssl(['req', '-new', '-key', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`]);
      const ext = [options.isCa ? 'basicConstraints=critical,CA:TRUE' : 'basicConstraints=CA:FALSE'];
      if (options.san !== undefined) ext.push(`subjectAltName=${options.san}`);
      writeFileSync(f(`${name}.ext`), `${ext.join('\n')}\n`);
      const days = String(options.days ?? 1);
      const signer =
        options.ca === undefined
          ? ['-signkey', f(`${name}.key`)]
          : ['-CA', f(`${options.ca}.crt`), '-CAkey', f(`${options.ca}.key`), '-CAcreateserial'];
      openssl(['x509', '-req', '-in', f(`${name}.csr`), ...signer, '-out', f(`${name}.crt`), '-days', days, '-extfile', f(`${name}.ext`)]);
      return {
        cert: readFileSync(f(`${name}.crt`), 'utf8'),
        key: readFileSync(f(`${name}.key`), 'utf8'),
        certFile: f(`${name}.crt`),
        keyFile: f(`${name}.key`),
      };
    },
  };
}
