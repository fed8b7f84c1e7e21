/**
 * EtcdConnection: the etcd v3 calls the backend makes, over the `etcd3` client (an optional
 * peer dependency, loaded on first use so that `roster` never needs it). It owns the wire
 * details: member failover (etcd3's pool), the require-leader flag, deadlines, cancellation
 * and the mapping of etcd errors to roster errors. Everything above it speaks in values.
 */
import type * as Etcd3Module from 'etcd3';
import type {
  Etcd3,
  ICompare,
  IDuplexStream,
  IKeyValue,
  ILeaseKeepAliveRequest,
  ILeaseKeepAliveResponse,
  IOptions,
  IRequestOp,
  IResponseHeader,
  IWatchRequest,
  IWatchResponse,
} from 'etcd3';
import {
  AbortedError,
  AccessDeniedError,
  ClosedError,
  InvalidArgumentError,
  isRosterError,
  RegistryUnavailableError,
  type RosterError,
} from '../../errors.js';
import { callOnMembers, skipFailingMember } from './etcd-failover.js';
import type { EtcdSettings } from './etcd-options.js';
import { safeString } from '../../internal/safe-string.js';

type Etcd3Lib = typeof Etcd3Module;
type FaultHandling = Required<NonNullable<IOptions['faultHandling']>>;

let loading: Promise<Etcd3Lib> | undefined;

/** Loads `etcd3` once. @throws InvalidArgumentError (field `url`) when it is not installed. */
function loadEtcd3(): Promise<Etcd3Lib> {
  loading ??= import('etcd3').then(
    (mod) => (mod as unknown as { default?: Etcd3Lib }).default ?? (mod as unknown as Etcd3Lib),
    (error: unknown) => {
      loading = undefined;
      throw new InvalidArgumentError('url', 'the etcd backend needs the etcd3 package (an optional peer dependency): npm install etcd3', {
        cause: error,
      });
    },
  );
  return loading;
}

/** A watch stream as the grpc client gives it (cancel is grpc-js's). */
export type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse> & { cancel?(): void };

/** One key as read from etcd, revisions as numbers. */
export interface EtcdKv {
  readonly key: string;
  readonly value: string;
  readonly modRevision: number;
  /** Lease id (decimal string), `'0'` for none. */
  readonly lease: string;
}

/** A range answer: the store revision it was read at and the keys. */
export interface EtcdRange {
  readonly revision: number;
  readonly kvs: readonly EtcdKv[];
  readonly count: number;
}

/** Converts etcd3's key-value record. */
export function toKv(kv: IKeyValue): EtcdKv {
  return { key: kv.key.toString(), value: kv.value.toString(), modRevision: Number(kv.mod_revision), lease: String(kv.lease ?? '0') };
}

/** Revision in a response header. */
export function headerRevision(header: IResponseHeader | undefined): number {
  return Number(header?.revision ?? 0);
}

const abortError = (signal: AbortSignal): RosterError => (isRosterError(signal.reason) ? signal.reason : new AbortedError(signal.reason));

/** The connection to one etcd cluster. */
export class EtcdConnection {
  readonly #lib: Etcd3Lib;
  readonly #client: Etcd3;
  readonly #timeoutMs: number;
  #closed = false;

  private constructor(lib: Etcd3Lib, client: Etcd3, timeoutMs: number) {
    this.#lib = lib;
    this.#client = client;
    this.#timeoutMs = timeoutMs;
  }

  /** Creates the etcd3 client (no network I/O yet: etcd3 dials lazily). */
  static async open(settings: EtcdSettings): Promise<EtcdConnection> {
    const lib = await loadEtcd3();
    const timeoutMs = settings.requestTimeoutMs;
    const attemptMs = Math.max(100, Math.floor(timeoutMs / 3));
    const options: IOptions = {
      hosts: [...settings.hosts],
      dialTimeout: timeoutMs,
      // Every call carries `hasleader: true` (clientv3's WithRequireLeader): a member that has
      // lost its leader answers "no leader" at once instead of holding the call until a timeout,
      // and cancels watch streams, so a partitioned member can never feed a watch silently.
      grpcOptions: {
        // The metadata object is etcd3's, made for this client's calls (shared between calls when
        // auth is on): setting the same flag on it again is harmless and saves a copy per call.
        callInvocationTransformer: <P extends { metadata: { set(k: string, v: string): void } }>(props: P): P => {
          props.metadata.set('hasleader', 'true');
          return props;
        },
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
      },
      // A deadline per attempt, so an attempt lost with a dead leader leaves time for another.
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + attemptMs }),
      faultHandling: {
        global: callOnMembers(settings.hosts.length + 1, lib.isRecoverableError) as unknown as FaultHandling['global'],
        host: () =>
          skipFailingMember({
            failures: 3,
            cooldownMs: 1000,
            now: () => settings.clock.now(),
            isTransient: lib.isRecoverableError,
          }) as unknown as ReturnType<FaultHandling['host']>,
      },
    };
    if (settings.auth) options.auth = { username: settings.auth.username, password: settings.auth.password };
    if (settings.tls) {
      const buf = (v: string | Buffer | undefined) => (v === undefined ? undefined : Buffer.from(v));
      options.credentials = {
        rootCertificate: buf(settings.tls.ca) as Buffer,
        privateKey: buf(settings.tls.key),
        certChain: buf(settings.tls.cert),
      };
    }
    return new EtcdConnection(lib, new lib.Etcd3(options), timeoutMs);
  }

  /** True when `error` (a roster error from this connection, or its cause) says the lease is gone. */
  isLeaseNotFound(error: unknown): boolean {
    const cause = isRosterError(error) ? error.cause : error;
    return cause instanceof this.#lib.EtcdLeaseInvalidError;
  }

  /** Maps anything etcd3 or grpc throws to the roster error a caller should see. */
  toRosterError(error: unknown, what: string): RosterError {
    if (isRosterError(error)) return error;
    const lib = this.#lib;
    const message = error instanceof Error ? error.message : safeString(error);
    if (this.#closed || error instanceof lib.ClientClosedError) return new ClosedError('etcd registry');
    if (error instanceof lib.EtcdAuthenticationFailedError)
      return new AccessDeniedError(`etcd refused the user name or password (${what})`, { cause: error });
    if (error instanceof lib.EtcdPermissionDeniedError || /etcdserver: permission denied/.test(message))
      return new AccessDeniedError(`the etcd user may not ${what} (grant it read-write on the key prefix)`, { cause: error });
    if (/user name is empty|authentication is not enabled/.test(message))
      return new InvalidArgumentError('username', `etcd: ${message}`, { cause: error });
    // Unreachable members, no leader, timeouts, open circuit breakers, server errors: transient.
    return new RegistryUnavailableError(`${what}: ${message}`, { cause: error });
  }

  /** Runs one call with the request timeout and the caller's signal; maps its errors. */
  #call<T>(what: string, signal: AbortSignal | undefined, run: (onCancel: (cancel: () => void) => void) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new ClosedError('etcd registry'));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<T>((resolve, reject) => {
      let cancel: (() => void) | undefined;
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        finish();
        cancel?.();
        reject(abortError(signal as AbortSignal));
      };
      const timer = setTimeout(() => {
        finish();
        cancel?.();
        reject(new RegistryUnavailableError(`${what}: no answer from etcd within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      run((c) => {
        cancel = c;
      }).then(
        (value) => {
          finish();
          resolve(value);
        },
        (error: unknown) => {
          finish();
          reject(this.toRosterError(error, what));
        },
      );
    });
  }

  /** Reads `key` (or the range [key, end)) linearizably. */
  range(
    what: string,
    key: Buffer,
    options: { end?: Buffer; keysOnly?: boolean; countOnly?: boolean; revision?: number },
    signal?: AbortSignal,
  ): Promise<EtcdRange> {
    return this.#call(what, signal, async () => {
      const res = await this.#client.kv.range({
        key,
        range_end: options.end,
        keys_only: options.keysOnly,
        count_only: options.countOnly,
        revision: options.revision,
      });
      return { revision: headerRevision(res.header), kvs: res.kvs.map(toKv), count: Number(res.count) };
    });
  }

  /** Puts `value` at `key` (attached to `lease` unless `'0'`); resolves with the new revision. */
  put(what: string, key: Buffer, value: string, lease: string, signal?: AbortSignal): Promise<number> {
    return this.#call(what, signal, async () => {
      const res = await this.#client.kv.put({ key, value: Buffer.from(value), lease: lease === '0' ? undefined : lease });
      return headerRevision(res.header);
    });
  }

  /** Deletes `key`; resolves with what was there (undefined: nothing). */
  deleteKey(what: string, key: Buffer, signal?: AbortSignal): Promise<EtcdKv | undefined> {
    return this.#call(what, signal, async () => {
      const res = await this.#client.kv.deleteRange({ key, prev_kv: true });
      const prev = res.prev_kvs[0];
      return Number(res.deleted) > 0 && prev ? toKv(prev) : undefined;
    });
  }

  /** Runs `success` if every comparison holds; resolves with whether it did and the revision. */
  txn(what: string, compare: ICompare[], success: IRequestOp[], signal?: AbortSignal): Promise<{ succeeded: boolean; revision: number }> {
    return this.#call(what, signal, async () => {
      const res = await this.#client.kv.txn({ compare, success, failure: [] });
      return { succeeded: res.succeeded, revision: headerRevision(res.header) };
    });
  }

  /** Grants a lease of `ttlSeconds`; resolves with its id. */
  grant(ttlSeconds: number, signal?: AbortSignal): Promise<string> {
    return this.#call('grant lease', signal, async () => String((await this.#client.leaseClient.leaseGrant({ TTL: ttlSeconds })).ID));
  }

  /** Revokes a lease (its keys go with it); resolves false when there was no such lease. */
  revoke(id: string, signal?: AbortSignal): Promise<boolean> {
    return this.#call('revoke lease', signal, async () => {
      try {
        await this.#client.leaseClient.leaseRevoke({ ID: id });
        return true;
      } catch (error) {
        if (error instanceof this.#lib.EtcdLeaseInvalidError) return false;
        throw error;
      }
    });
  }

  /**
   * Renews a lease once, on a keepalive stream opened for this one request and closed after the
   * answer. Resolves with the remaining TTL in seconds: 0 means the lease is gone.
   */
  keepAliveOnce(id: string, signal?: AbortSignal): Promise<number> {
    return this.#call('keep lease alive', signal, async (onCancel) => {
      const stream: IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse> & { cancel?(): void } =
        await this.#client.leaseClient.leaseKeepAlive({ deadline: Date.now() + this.#timeoutMs });
      onCancel(() => stream.cancel?.());
      return new Promise<number>((resolve, reject) => {
        stream.on('data', (res) => {
          resolve(Number(res.TTL));
          stream.end();
        });
        stream.on('error', (error: Error) => reject(this.#lib.castGrpcError(error)));
        stream.on('end', () => reject(new RegistryUnavailableError('keepalive stream ended without an answer')));
        stream.write({ ID: id });
      });
    });
  }

  /** Opens a watch stream (require-leader) on some member. */
  async openWatch(signal?: AbortSignal): Promise<WatchStream> {
    return this.#call('open watch', signal, () => this.#client.watchClient.watch() as Promise<WatchStream>);
  }

  /** Closes every channel; calls in flight fail, later calls throw ClosedError. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.close();
  }
}
