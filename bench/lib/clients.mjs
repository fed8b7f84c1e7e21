// Load clients of the server benchmark: undici with keep-alive for the HTTP servers (roster
// serve, bare Node), the `etcd3` npm client for etcd. Same instance data on both sides.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const require = createRequire(fileURLToPath(new URL('../../package.json', import.meta.url)));
const { Etcd3 } = require('etcd3');

/** A keep-alive connection pool to `url` (one request per connection at a time). */
export function httpPool(url, connections = 128) {
  return new Pool(url, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 120_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
}

/** Sends a request and reads the whole answer; throws unless the status is 2xx. */
export async function send(pool, method, path, body, signal) {
  const res = await pool.request({ method, path, body, signal });
  const buf = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode < 200 || res.statusCode > 299) {
    throw new Error(`${method} ${path}: HTTP ${res.statusCode} ${buf.toString().slice(0, 200)}`);
  }
  return { status: res.statusCode, headers: res.headers, body: buf };
}

/** The Consul registration body of bench instance `id` of `service` (a TTL check when `ttl` is given). */
export function registration(service, id, port, ttl) {
  return JSON.stringify({
    Name: service,
    ID: id,
    Address: '127.0.0.1',
    Port: port,
    Tags: ['bench'],
    Meta: { zone: 'z1' },
    ...(ttl ? { Check: { CheckID: `${id}:ttl`, Name: 'ttl', TTL: ttl } } : {}),
  });
}

/** The value roster's own etcd backend writes for an instance (schema 1): what an etcd registry stores per key. */
export function etcdValue(service, id, port) {
  return JSON.stringify({
    schema: 1,
    id,
    service,
    address: '127.0.0.1',
    port,
    tags: ['bench'],
    meta: { zone: 'z1' },
    weight: 1,
    zone: 'z1',
    health: 'passing',
    output: '',
  });
}

/** Key prefix of a service in etcd (as roster's etcd backend lays it out). */
export const etcdPrefix = (service) => `/roster/services/${service}/`;

/** A new etcd3 client. */
export function etcdClient(endpoint) {
  return new Etcd3({ hosts: [endpoint] });
}

/** etcd registration: lease grant + put with the lease (two round trips, both durable). Returns the lease ID. */
export async function etcdRegister(etcd, service, id, port, ttlSeconds) {
  const { ID } = await etcd.leaseClient.leaseGrant({ TTL: ttlSeconds });
  await etcd.kv.put({ key: Buffer.from(etcdPrefix(service) + id), value: Buffer.from(etcdValue(service, id, port)), lease: ID });
  return ID;
}

/**
 * A lease keep-alive stream (as a long-running client holds one): `once(id)` sends one keepalive
 * and resolves with etcd's answer. One keepalive in flight per stream.
 */
export async function keepAliveStream(etcd) {
  const stream = await etcd.leaseClient.leaseKeepAlive();
  let pending;
  stream.on('data', (res) => {
    const p = pending;
    pending = undefined;
    if (!p) return;
    if (String(res.TTL) === '0') p.reject(new Error(`lease ${res.ID} expired`));
    else p.resolve(res);
  });
  stream.on('error', (error) => {
    pending?.reject(error);
    pending = undefined;
  });
  return {
    once(id) {
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        stream.write({ ID: id });
      });
    },
    end: () => stream.end(),
  };
}
