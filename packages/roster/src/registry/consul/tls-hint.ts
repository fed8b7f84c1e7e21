/**
 * What to do about a connection failure that looks like a TLS problem: a hint appended to the
 * RegistryUnavailableError's message (the error stays retryable, decision D112). It names the
 * settings in all three places they can be given: the `tls` option, the CLI flag, Consul's variable.
 */
import { safeString } from '../../internal/safe-string.js';

/** Node's codes for a server certificate that cannot be verified. */
const VERIFY_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function codeOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && VERIFY_CODES.has(code)) return code;
  }
  return undefined;
}

/**
 * `''`, or ` (…)` saying what to check, for `error` on a connection to `protocol` (`http:` /
 * `https:`); `clientCertificate`: whether one was configured.
 */
export function tlsHint(error: unknown, protocol: string, clientCertificate: boolean): string {
  const code = protocol === 'https:' ? codeOf(error) : undefined;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return " (TLS: the registry's certificate does not name the host of the URL; give the name it holds: tls.serverName, --tls-server-name or CONSUL_TLS_SERVER_NAME)";
  }
  if (code !== undefined) {
    return " (TLS: the registry's certificate cannot be verified; give the CA that signed it: tls.caFile, --ca-file or CONSUL_CACERT)";
  }
  const closed = /other side closed|ECONNRESET|socket hang up/i.test(error instanceof Error ? error.message : safeString(error));
  if (!closed) return '';
  if (protocol === 'https:' && !clientCertificate) {
    return ' (a registry with TLS verify-incoming closes connections without a client certificate: tls.certFile and tls.keyFile, --cert-file and --key-file, or CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY)';
  }
  if (protocol === 'http:') return ' (if the registry serves TLS, use an https:// or consul+https:// URL)';
  return '';
}
