/**
 * Generated malformed DNS packets (fast-check) against a real roster serve over real UDP and TCP
 * sockets: no crash, no SERVFAIL; every packet is either dropped (shorter than a header, a
 * response, over the size limit) or answered with a well-formed reply to its ID — FORMERR when it
 * cannot be decoded or does not carry exactly one question, NOTIMP for another opcode.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RosterServer } from '../index.js';

const MAX_QUERY_BYTES = 1024;
const NAMES = [
  'web.service.consul',
  '_web._tcp.service.consul',
  'node-a.node.consul',
  '7f000001.addr.consul',
  'example.com',
  'consul',
  'x',
];
const TYPES = ['A', 'AAAA', 'SRV', 'ANY', 'TXT', 'SOA', 'NS', 'PTR', 'AXFR', 'MX'] as const;

const validQuery = fc
  .record({ id: fc.nat(65_535), name: fc.constantFrom(...NAMES), type: fc.constantFrom(...TYPES), edns: fc.boolean(), rd: fc.boolean() })
  .map(({ id, name, type, edns, rd }) =>
    dnsPacket.encode({
      id,
      type: 'query',
      flags: rd ? dnsPacket.RECURSION_DESIRED : 0,
      questions: [{ name, type: type as 'A' }],
      additionals: edns
        ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }]
        : [],
    }),
  );

/** A header with the given counts and flags, followed by `body`. */
function withHeader(id: number, flags: number, counts: readonly number[], body: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(flags, 2);
  counts.forEach((c, i) => header.writeUInt16BE(c, 4 + 2 * i));
  return Buffer.concat([header, body]);
}

const malformed: fc.Arbitrary<Buffer> = fc.oneof(
  // Random bytes of any length.
  fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
  // A valid query with bytes overwritten.
  fc.tuple(validQuery, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 8 })).map(([q, edits]) => {
    const b = Buffer.from(q);
    for (const [at, value] of edits) b[at % b.length] = value;
    return b;
  }),
  // A valid query cut short, or with trailing garbage.
  fc.tuple(validQuery, fc.nat()).map(([q, n]) => q.subarray(0, n % q.length)),
  fc.tuple(validQuery, fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([q, tail]) => Buffer.concat([q, tail])),
  // Section counts that lie.
  fc.tuple(validQuery, fc.array(fc.nat(65_535), { minLength: 4, maxLength: 4 })).map(([q, counts]) => {
    const b = Buffer.from(q);
    counts.forEach((c, i) => b.writeUInt16BE(c, 4 + 2 * i));
    return b;
  }),
  // Any flags: QR, opcodes, Z, rcodes in a query.
  fc.tuple(validQuery, fc.nat(65_535)).map(([q, flags]) => {
    const b = Buffer.from(q);
    b.writeUInt16BE(flags, 2);
    return b;
  }),
  // Compression pointers: to itself, forward, past the end, chains.
  fc.tuple(fc.nat(65_535), fc.array(fc.nat(0x3fff), { minLength: 1, maxLength: 4 })).map(([id, targets]) => {
    const body = Buffer.concat(targets.map((t) => Buffer.from([0xc0 | (t >> 8), t & 0xff])));
    return withHeader(id, 0, [1, 0, 0, 0], Buffer.concat([body, Buffer.from([0, 1, 0, 1])]));
  }),
  // Labels of arbitrary bytes (non-ASCII, dots, zero bytes, lengths that overrun).
  fc
    .tuple(fc.nat(65_535), fc.array(fc.uint8Array({ maxLength: 70 }), { minLength: 1, maxLength: 6 }), fc.nat(255))
    .map(([id, labels, len]) => {
      const body = Buffer.concat([
        ...labels.map((l) => Buffer.concat([Buffer.from([l.length === 0 ? len : l.length]), Buffer.from(l)])),
        Buffer.from([0, 0, 1, 0, 1]),
      ]);
      return withHeader(id, 0x0100, [1, 0, 0, 0], body);
    }),
  // Reserved label types (0x40, 0x80) and OPT records with bad lengths.
  fc.tuple(validQuery, fc.constantFrom(0x40, 0x80), fc.uint8Array({ maxLength: 30 })).map(([q, type, rest]) => {
    const b = Buffer.from(q);
    b[12] = type | (b[12]! & 0x3f);
    return Buffer.concat([b, rest]);
  }),
  // Oversized datagrams.
  fc
    .tuple(validQuery, fc.integer({ min: MAX_QUERY_BYTES + 1, max: 2000 }))
    .map(([q, size]) => Buffer.concat([q, Buffer.alloc(size - q.length)])),
);

interface Outcome {
  readonly packet: Buffer;
  readonly reply: Buffer | undefined;
}

/** Sends each packet from its own UDP socket; collects the reply (if any) within `waitMs`. */
async function sendAll(port: number, packets: readonly Buffer[], waitMs: number): Promise<Outcome[]> {
  return Promise.all(
    packets.map(
      (packet) =>
        new Promise<Outcome>((resolve) => {
          const socket = createSocket('udp4');
          const done = (reply: Buffer | undefined) => {
            clearTimeout(timer);
            socket.close();
            resolve({ packet, reply });
          };
          const timer = setTimeout(() => done(undefined), mustDrop(packet) ? 300 : waitMs);
          socket.on('message', (reply) => done(reply));
          socket.on('error', () => done(undefined));
          socket.send(packet, port, '127.0.0.1');
        }),
    ),
  );
}

function mustDrop(packet: Buffer): boolean {
  return packet.length < 12 || (packet[2]! & 0x80) !== 0 || packet.length > MAX_QUERY_BYTES;
}

/** Checks one outcome; returns a description of what is wrong, or undefined. */
function problem({ packet, reply }: Outcome): string | undefined {
  if (mustDrop(packet)) return reply === undefined ? undefined : 'answered a packet that must be dropped';
  if (reply === undefined) return 'no answer';
  let decoded: dnsPacket.DecodedPacket & { rcode?: string };
  try {
    decoded = dnsPacket.decode(reply) as typeof decoded;
  } catch (error) {
    return `reply does not decode: ${String(error)}`;
  }
  if (decoded.id !== packet.readUInt16BE(0)) return 'reply has another ID';
  if (!decoded.flag_qr) return 'reply without QR';
  if (decoded.rcode === 'SERVFAIL') return 'SERVFAIL (an exception while answering)';
  let request: dnsPacket.DecodedPacket | undefined;
  try {
    request = dnsPacket.decode(packet);
  } catch {
    return decoded.rcode === 'FORMERR' ? undefined : `undecodable packet answered ${decoded.rcode}`;
  }
  const opcode = (packet[2]! >> 3) & 0x0f;
  if (opcode !== 0) return decoded.rcode === 'NOTIMP' ? undefined : `opcode ${opcode} answered ${decoded.rcode}`;
  if (request.questions?.length !== 1 && decoded.rcode !== 'FORMERR')
    return `QDCOUNT ${request.questions?.length} answered ${decoded.rcode}`;
  return undefined;
}

describe('malformed DNS packets over real sockets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'roster-dns-bad-'));
  let server: RosterServer;
  let port: number;
  let sent = 0;

  beforeAll(async () => {
    server = createServer({
      port: 0,
      dataDir: dir,
      logLevel: 'silent',
      sync: 'normal',
      nodeName: 'node-a',
      dns: { port: 0, maxQueryBytes: MAX_QUERY_BYTES },
    });
    const url = (await server.listen()).url;
    port = server.dnsAddress!.port;
    const r = await fetch(`${url}/v1/agent/service/register`, {
      method: 'PUT',
      body: JSON.stringify({ Name: 'web', ID: 'web-1', Address: '127.0.0.1', Port: 80 }),
    });
    expect(r.status).toBe(200);
  });

  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('≥ 1,000 generated packets over UDP: each dropped or answered FORMERR/NOTIMP (or properly, when it happens to be valid)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(malformed, { minLength: 100, maxLength: 100 }), async (packets) => {
        sent += packets.length;
        const outcomes = await sendAll(port, packets, 5000);
        const bad = outcomes.map((o) => ({ o, why: problem(o) })).filter((x) => x.why !== undefined);
        expect(bad.map((x) => `${x.why}: ${x.o.packet.toString('hex')}`)).toEqual([]);
      }),
      { numRuns: 11, seed: Number(process.env.DNS_FUZZ_SEED ?? 16), endOnFailure: true },
    );
    expect(sent).toBeGreaterThanOrEqual(1000);
    // Still serving.
    const [ok] = await sendAll(
      port,
      [dnsPacket.encode({ id: 7, type: 'query', questions: [{ name: 'web.service.consul', type: 'A' }] })],
      5000,
    );
    expect(dnsPacket.decode(ok!.reply!).answers).toMatchObject([{ type: 'A', data: '127.0.0.1' }]);
  }, 180_000);

  it('200 generated byte streams over TCP: the server closes or answers, and keeps serving', async () => {
    const streams = fc.sample(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        malformed.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m])),
        fc.tuple(malformed, fc.nat(65_535)).map(([m, len]) => Buffer.concat([Buffer.from([len >> 8, len & 0xff]), m])),
      ),
      { numRuns: 200, seed: 16 },
    );
    for (let i = 0; i < streams.length; i += 20) {
      await Promise.all(
        streams.slice(i, i + 20).map(
          (stream) =>
            new Promise<void>((resolve) => {
              const socket = connect(port, '127.0.0.1');
              const timer = setTimeout(() => socket.destroy(), 300);
              socket.on('connect', () => socket.write(stream));
              socket.on('data', () => undefined);
              socket.on('error', () => undefined);
              socket.on('close', () => {
                clearTimeout(timer);
                resolve();
              });
            }),
        ),
      );
    }
    // A well-formed TCP query still gets its answer.
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let data = Buffer.alloc(0);
      socket.on('connect', () =>
        socket.write(dnsPacket.streamEncode({ id: 9, type: 'query', questions: [{ name: 'web.service.consul', type: 'A' }] })),
      );
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
          socket.destroy();
          resolve(data.subarray(2));
        }
      });
      socket.on('error', reject);
    });
    expect(dnsPacket.decode(reply)).toMatchObject({ id: 9, answers: [{ type: 'A', data: '127.0.0.1' }] });
  }, 120_000);

  it('a TCP client that does not read its answers is cut off after 1 MiB of them; others are served', async () => {
    const url = `http://127.0.0.1:${(server as unknown as { address: { port: number } }).address.port}`;
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        fetch(`${url}/v1/agent/service/register`, {
          method: 'PUT',
          body: JSON.stringify({ Name: 'wide', ID: `wide-${i}`, Address: `127.3.0.${i + 1}`, Port: 1000 + i }),
        }),
      ),
    );
    const query = dnsPacket.streamEncode({ id: 1, type: 'query', questions: [{ name: 'wide.service.consul', type: 'SRV' }] });
    const socket = connect(port, '127.0.0.1');
    socket.pause(); // never read
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(Buffer.concat(Array.from({ length: 4000 }, () => query))); // ~25 MB of answers: far more than the kernel buffers hold
    await new Promise((r) => setTimeout(r, 1000));
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.resume();
    await closed;
    expect(received).toBeLessThan(4000 * 4000);
    const [ok] = await sendAll(
      port,
      [dnsPacket.encode({ id: 8, type: 'query', questions: [{ name: 'wide.service.consul', type: 'A' }] })],
      5000,
    );
    expect(dnsPacket.decode(ok!.reply!).id).toBe(8);
  }, 60_000);

  it('the per-address rate limit: beyond the burst, queries are dropped without an answer', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'roster-dns-rate-'));
    const limited = createServer({ port: 0, dataDir: dir2, logLevel: 'silent', sync: 'normal', dns: { port: 0, rateLimit: 20 } });
    try {
      await limited.listen();
      const query = (id: number) => dnsPacket.encode({ id, type: 'query', questions: [{ name: 'nosuch.service.consul', type: 'A' }] });
      // 60 queries at once from 127.0.0.1 (each from its own port: the limit is per address).
      const outcomes = await sendAll(
        limited.dnsAddress!.port,
        Array.from({ length: 60 }, (_, i) => query(i + 1)),
        1000,
      );
      const answered = outcomes.filter((o) => o.reply !== undefined).length;
      expect(answered).toBeGreaterThanOrEqual(20);
      expect(answered).toBeLessThan(40); // 20 of burst, plus what refilled meanwhile (20/s)
    } finally {
      await limited.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});
