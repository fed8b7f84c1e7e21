/**
 * What DNS may show (spec consul-dns.md §8). DNS requests carry no token: answers are filtered
 * by the rights of one configured token (`dns.token`), else the anonymous token. Filtered, never
 * refused: what may not be read is answered as if it did not exist.
 */

/** Read rights of the token DNS answers with. */
export interface DnsAccess {
  /** True when instances of `service` may be shown. */
  service(name: string): boolean;
  /** True when the node `name` may be shown. */
  node(name: string): boolean;
  /** True when everything may be shown (ACLs off): lets callers skip the per-name questions. */
  readonly everything?: boolean;
}

/** Everything visible (ACLs off). */
export const OPEN_ACCESS: DnsAccess = { service: () => true, node: () => true, everything: true };
