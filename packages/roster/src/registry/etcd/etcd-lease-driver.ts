/**
 * EtcdLeaseDriver: the lease steps of one registration, in etcd terms. KeptLease drives it
 * (one step at a time, renewals every ttl/3), so there is a single renewal mechanism; etcd3's
 * own Lease object with its keepalive timers is not used.
 *
 *   register  = grant a lease (unless ours is still alive) + put the key attached to it
 *   renew     = keepalive once + read the key: `forgotten` when the lease is gone (expired,
 *               revoked, cluster restored empty) or the key was deleted behind our back
 *   setHealth = put of the value with the new health on the same lease, if the key exists
 *   remove    = revoke the lease (the key goes with it); without a lease, delete the key if it
 *               is still the one we wrote
 *
 * A registration without TTL is a key without lease: it lives until deregistered, and renew
 * only checks that it still exists.
 */
import type { HealthStatus, Instance } from '../../model.js';
import type { LeaseDriver, RenewOutcome } from '../kept-lease.js';
import { encodeInstanceValue } from './etcd-codec.js';
import type { EtcdConnection } from './etcd-connection.js';

// etcd's Compare enums (rpc.proto), as numbers: etcd3 is loaded lazily, its enum objects are not at hand.
const TARGET_VERSION = 0;
const TARGET_MOD = 2;
const RESULT_EQUAL = 0;
const RESULT_GREATER = 1;

/** The lease steps of one registration on etcd. */
export class EtcdLeaseDriver implements LeaseDriver {
  readonly #conn: EtcdConnection;
  readonly #key: Buffer;
  readonly #instance: Instance;
  readonly #ttlSeconds: number;
  /** The etcd lease holding the key; undefined before the first grant and after it was found gone. */
  #leaseId: string | undefined;
  /** Revision of our last write of the key (to delete a lease-less key only if it is still ours). */
  #written = 0;

  /** `ttlSeconds` 0: no lease. */
  constructor(conn: EtcdConnection, key: string, instance: Instance, ttlSeconds: number) {
    this.#conn = conn;
    this.#key = Buffer.from(key);
    this.#instance = instance;
    this.#ttlSeconds = ttlSeconds;
  }

  /** The etcd lease currently holding the key (decimal id), if any. */
  get leaseId(): string | undefined {
    return this.#leaseId;
  }

  #what(step: string): string {
    return `${step} ${this.#instance.service}/${this.#instance.id}`;
  }

  async register(health: HealthStatus, output: string, signal: AbortSignal): Promise<void> {
    const value = encodeInstanceValue(this.#instance, health, output);
    if (this.#ttlSeconds === 0) {
      this.#written = await this.#conn.put(this.#what('register'), this.#key, value, '0', signal);
      return;
    }
    // Reuse our lease when it is still alive (the key was deleted, not the lease): no lease leaks.
    if (this.#leaseId !== undefined) {
      try {
        this.#written = await this.#conn.put(this.#what('register'), this.#key, value, this.#leaseId, signal);
        return;
      } catch (error) {
        if (!this.#conn.isLeaseNotFound(error)) throw error;
        this.#leaseId = undefined;
      }
    }
    const lease = await this.#conn.grant(this.#ttlSeconds, signal);
    try {
      this.#written = await this.#conn.put(this.#what('register'), this.#key, value, lease, signal);
    } catch (error) {
      // Without its key the new lease is useless: give it back (best effort; it expires anyway).
      this.#conn.revoke(lease).catch(() => {});
      throw error;
    }
    this.#leaseId = lease;
  }

  async renew(_health: HealthStatus, _output: string, signal: AbortSignal): Promise<RenewOutcome> {
    const lease = this.#leaseId;
    if (this.#ttlSeconds > 0 && lease === undefined) return 'forgotten';
    const [ttl, found] = await Promise.all([
      lease === undefined ? Promise.resolve(1) : this.#conn.keepAliveOnce(lease, signal),
      this.#conn.range(this.#what('check'), this.#key, { countOnly: true }, signal),
    ]);
    if (ttl <= 0) {
      this.#leaseId = undefined;
      return 'forgotten';
    }
    return found.count > 0 ? 'ok' : 'forgotten';
  }

  async setHealth(health: HealthStatus, output: string, signal: AbortSignal): Promise<RenewOutcome> {
    const lease = this.#leaseId ?? '0';
    if (this.#ttlSeconds > 0 && lease === '0') return 'forgotten';
    try {
      const res = await this.#conn.txn(
        this.#what('report health of'),
        [{ key: this.#key, target: TARGET_VERSION, result: RESULT_GREATER, version: 0 }],
        [{ request_put: { key: this.#key, value: Buffer.from(encodeInstanceValue(this.#instance, health, output)), lease } }],
        signal,
      );
      if (!res.succeeded) return 'forgotten';
      this.#written = res.revision;
      return 'ok';
    } catch (error) {
      if (!this.#conn.isLeaseNotFound(error)) throw error;
      this.#leaseId = undefined;
      return 'forgotten';
    }
  }

  async remove(signal: AbortSignal): Promise<void> {
    if (this.#leaseId !== undefined) {
      await this.#conn.revoke(this.#leaseId, signal);
      this.#leaseId = undefined;
      return;
    }
    if (this.#ttlSeconds > 0 || this.#written === 0) return;
    await this.#conn.txn(
      this.#what('deregister'),
      [{ key: this.#key, target: TARGET_MOD, result: RESULT_EQUAL, mod_revision: this.#written }],
      [{ request_delete_range: { key: this.#key } }],
      signal,
    );
  }
}
