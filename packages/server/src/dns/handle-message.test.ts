/**
 * handleMessage in process, table-driven, over a real Catalog: header checks, response codes,
 * EDNS0, sizes and the answers of spec consul-dns.md §10 (E1–E4).
 */
import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../catalog/catalog.js';
import { checkRecord, type NodeInfo, instanceRecord, STATIC_DEFINITION } from '../catalog/types.js';
import { OPEN_ACCESS } from './dns-access.js';
import { resolveDnsOptions } from './dns-options.js';
import { handleMessage, type MessageContext } from './handle-message.js';
import { PreparedInstances } from './prepared-instances.js';

const node: NodeInfo = { id: 'id', name: 'n1', address: '10.0.0.1', datacenter: 'dc1', meta: {}, createIndex: 1, modifyIndex: 1 };
const service = (id: string, address: string, port: number, weights = { passing: 1, warning: 1 }) =>
  instanceRecord({ id, name: 'web', tags: [], address, port, meta: {}, taggedAddresses: {}, weights, enableTagOverride: false }, 2, 2);

function context(errors: unknown[] = [], catalog?: MessageContext['catalog']): MessageContext {
  const state = {
    node,
    instances: [service('web-1', '', 8080), service('web-2', '192.0.2.10', 9090, { passing: 10, warning: 1 })],
    checks: [
      checkRecord(
        { id: 'c2', name: 'c2', notes: '', serviceId: 'web-2', status: 'warning', output: '', definition: STATIC_DEFINITION },
        3,
        3,
      ),
    ],
    indexes: { current: 3, tables: {} },
  };
  return {
    catalog: catalog ?? new Catalog(state),
    options: resolveDnsOptions({})!,
    datacenter: 'dc1',
    access: OPEN_ACCESS,
    random: Math.random,
    now: () => 1_718_000_000_000,
    prepared: new PreparedInstances(),
    onError: (error) => errors.push(error),
  };
}

const OPT: dnsPacket.OptAnswer = {
  type: 'OPT',
  name: '.',
  udpPayloadSize: 1232,
  extendedRcode: 0,
  ednsVersion: 0,
  flags: 0,
  flag_do: false,
  options: [],
};

function ask(name: string, type: string, more: { edns?: boolean; transport?: 'udp' | 'tcp'; ctx?: MessageContext } = {}) {
  const query = dnsPacket.encode({
    id: 42,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as 'A' }],
    additionals: more.edns === false ? [] : [OPT],
  });
  const reply = handleMessage(query, more.transport ?? 'udp', more.ctx ?? context());
  return dnsPacket.decode(reply!) as dnsPacket.DecodedPacket & { rcode: string };
}

describe('handleMessage', () => {
  it('E1: A without EDNS0: both instances (the node address for the one without its own), flags qr aa rd', () => {
    const r = ask('web.service.consul', 'A', { edns: false });
    expect([r.rcode, r.flag_qr, r.flag_aa, r.flag_rd, r.flag_ra, r.flag_tc]).toEqual(['NOERROR', true, true, true, false, false]);
    expect(r.answers!.map((a) => (a as { data: string }).data).sort()).toEqual(['10.0.0.1', '192.0.2.10']);
    expect(r.additionals).toEqual([]);
  });

  it('E2: SRV with targets n1.node.dc1.consul and c000020a.addr.dc1.consul, glue, the warning weight, the OPT echoed', () => {
    const r = ask('_web._tcp.service.consul', 'SRV');
    expect(r.answers!.map((a) => (a as dnsPacket.SrvAnswer).data).sort((a, b) => a.port - b.port)).toEqual([
      { priority: 1, weight: 1, port: 8080, target: 'n1.node.dc1.consul' },
      { priority: 1, weight: 1, port: 9090, target: 'c000020a.addr.dc1.consul' },
    ]);
    expect(
      r
        .additionals!.filter((a) => a.type === 'A')
        .map((a) => `${a.name} ${(a as { data: string }).data}`)
        .sort(),
    ).toEqual(['c000020a.addr.dc1.consul 192.0.2.10', 'n1.node.dc1.consul 10.0.0.1']);
    expect(r.additionals!.find((a) => a.type === 'OPT')).toMatchObject({ udpPayloadSize: 1232, ednsVersion: 0 });
  });

  it('E3/E4: NXDOMAIN and empty NOERROR carry the SOA; node SRV is an empty NOERROR without SOA; outside is REFUSED without AA', () => {
    const nx = ask('nosuch.service.consul', 'A');
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.authorities).toEqual([
      {
        name: 'consul',
        type: 'SOA',
        ttl: 0,
        class: 'IN',
        flush: false,
        data: {
          mname: 'ns.consul',
          rname: 'hostmaster.consul',
          serial: 1_718_000_000,
          refresh: 3600,
          retry: 600,
          expire: 86_400,
          minimum: 0,
        },
      },
    ]);
    const empty = ask('web.service.consul', 'AAAA');
    expect([empty.rcode, empty.answers!.length, empty.authorities![0]!.type]).toEqual(['NOERROR', 0, 'SOA']);
    const nodeSrv = ask('n1.node.consul', 'SRV');
    expect([nodeSrv.rcode, nodeSrv.answers!.length, nodeSrv.authorities!.length]).toEqual(['NOERROR', 0, 0]);
    const out = ask('example.com', 'A');
    expect([out.rcode, out.flag_aa, out.answers!.length, out.authorities!.length]).toEqual(['REFUSED', false, 0, 0]);
    expect(ask('consul', 'AXFR').rcode).toBe('NOTIMP');
  });

  it('.addr.: matching type in the answer, other types in the additional section; bad hex is NXDOMAIN', () => {
    expect(ask('c000020a.addr.dc1.consul', 'A').answers).toMatchObject([{ type: 'A', data: '192.0.2.10' }]);
    const srv = ask('c000020a.addr.consul', 'SRV');
    expect([srv.rcode, srv.answers!.length]).toEqual(['NOERROR', 0]);
    expect(srv.additionals!.filter((a) => a.type !== 'OPT')).toMatchObject([{ type: 'A', data: '192.0.2.10' }]);
    expect(ask('c00002.addr.consul', 'A').rcode).toBe('NXDOMAIN');
  });

  it('header checks: short and responses dropped, undecodable and QDCOUNT ≠ 1 FORMERR, opcodes NOTIMP, other classes REFUSED', () => {
    const ctx = context();
    const query = dnsPacket.encode({ id: 7, type: 'query', questions: [{ name: 'web.service.consul', type: 'A' }] });
    expect(handleMessage(query.subarray(0, 11), 'udp', ctx)).toBeUndefined();
    const response = Buffer.from(query);
    response[2]! |= 0x80;
    expect(handleMessage(response, 'udp', ctx)).toBeUndefined();
    const rcode = (b: Buffer | undefined) => (dnsPacket.decode(b!) as unknown as { rcode: string; id: number }).rcode;
    expect(rcode(handleMessage(query.subarray(0, 20), 'udp', ctx))).toBe('FORMERR');
    const twoQuestions = dnsPacket.encode({
      id: 7,
      type: 'query',
      questions: [
        { name: 'a.consul', type: 'A' },
        { name: 'b.consul', type: 'A' },
      ],
    });
    expect(rcode(handleMessage(twoQuestions, 'udp', ctx))).toBe('FORMERR');
    expect(rcode(handleMessage(dnsPacket.encode({ id: 7, type: 'query' }), 'udp', ctx))).toBe('FORMERR');
    const notify = Buffer.from(query);
    notify[2] = 4 << 3;
    expect(rcode(handleMessage(notify, 'udp', ctx))).toBe('NOTIMP');
    const chaos = dnsPacket.encode({ id: 7, type: 'query', questions: [{ name: 'version.bind', type: 'TXT', class: 'CH' }] });
    expect(rcode(handleMessage(chaos, 'udp', ctx))).toBe('REFUSED');
    const binaryLabel = Buffer.concat([query.subarray(0, 12), Buffer.from([3, 0x77, 0x00, 0xff, 0, 0, 1, 0, 1])]);
    expect(rcode(handleMessage(binaryLabel, 'udp', ctx))).toBe('FORMERR');
  });

  it('an exception while answering is SERVFAIL and reported, never thrown', () => {
    const errors: unknown[] = [];
    const broken = {
      get node(): NodeInfo {
        throw new Error('boom');
      },
      instancesOf: () => [],
      contentVersion: () => '1',
      healthOf: () => 'passing' as const,
      instances: () => [][Symbol.iterator](),
    } as unknown as MessageContext['catalog'];
    const r = ask('web.service.consul', 'A', { ctx: context(errors, broken) });
    expect(r.rcode).toBe('SERVFAIL');
    expect(errors).toHaveLength(1);
  });

  it('sizes: without EDNS0 3 answers and TC; over TCP everything', () => {
    const many = {
      node,
      instances: Array.from({ length: 50 }, (_, i) => service(`w${i}`, `10.1.0.${i + 1}`, 80)),
      checks: [],
      indexes: { current: 3, tables: {} },
    };
    const ctx = context([], new Catalog(many));
    const udp = ask('web.service.consul', 'A', { edns: false, ctx });
    expect([udp.answers!.length, udp.flag_tc]).toEqual([3, true]);
    const tcp = ask('web.service.consul', 'A', { edns: false, ctx, transport: 'tcp' });
    expect([tcp.answers!.length, tcp.flag_tc]).toEqual([50, false]);
    const edns = ask('web.service.consul', 'SRV', { ctx });
    expect(edns.flag_tc).toBe(true);
    expect(dnsPacket.encodingLength(edns)).toBeLessThanOrEqual(1232);
    // Every kept SRV record still has its glue; the authority section was dropped.
    expect(edns.additionals!.filter((a) => a.type === 'A')).toHaveLength(edns.answers!.length);
  });
});
