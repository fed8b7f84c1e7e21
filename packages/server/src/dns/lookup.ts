/**
 * Answers one DNS question from the catalog (spec consul-dns.md §2–§5, §7): services (A, AAAA,
 * SRV, tag filters, RFC 2782 names), the node, `.addr.` names, SOA/NS of the domain and PTR of
 * known addresses. Names outside the domain are refused (no recursion). Pure over the catalog:
 * randomness and time are injected.
 */
import { isIP } from 'node:net';
import type { Answer } from 'dns-packet';
import { bare, type DnsAnswer, Rcode } from './dns-answer.js';
import type { DnsAccess } from './dns-access.js';
import { type DnsCatalog, readable } from './dns-instances.js';
import { nameLength } from './fit-answer.js';
import type { PreparedInstances } from './prepared-instances.js';
import type { ResolvedDnsOptions } from './dns-options.js';
import { addressRecord, bareName, metaTxtRecords, nodeTarget, soaRecord } from './dns-records.js';
import { addressOfHex, hexOfAddress } from './hex-address.js';
import { type ParsedName, parseQueryName } from './parse-query-name.js';
import { reverseAddress } from './reverse-address.js';
import { serviceTtl } from './service-ttl.js';
import { randomOrder, weightedShuffle } from './shuffle.js';

/** What a lookup reads. */
export interface LookupContext {
  readonly catalog: DnsCatalog;
  readonly options: ResolvedDnsOptions;
  readonly datacenter: string;
  readonly access: DnsAccess;
  /** Random numbers in [0, 1) (answer order). */
  readonly random: () => number;
  /** Current time in ms (SOA serial). */
  readonly now: () => number;
  /** Per-service answers prepared once per catalog change. */
  readonly prepared: PreparedInstances;
}

/**
 * How much of an answer can be sent: a lookup may stop building answers once it has one more
 * than fits (so the cut is still seen), which saves work for big services.
 */
export interface Room {
  readonly maxAnswers: number;
  /** Bytes for the records (answers with their extras). */
  readonly maxBytes: number;
  /** Bytes taken by everything else. */
  readonly fixedBytes: number;
}

const UNLIMITED: Room = { maxAnswers: Infinity, maxBytes: Infinity, fixedBytes: 0 };

/** A question as decoded: the name as sent (no trailing dot), the type's mnemonic (`A`, `SRV`, `ANY`, `UNKNOWN_99`). */
export interface DnsQuestion {
  readonly name: string;
  readonly type: string;
}

/** The answer to `question` (class IN). Never throws for any name or type. */
export function lookup(question: DnsQuestion, ctx: LookupContext, room: Room = UNLIMITED): DnsAnswer {
  const { options } = ctx;
  const domains = options.altDomain === undefined ? [options.domain] : [options.domain, options.altDomain];
  const parsed = parseQueryName(question.name, question.type, { domains, datacenter: ctx.datacenter });
  if (parsed.kind === 'outside') {
    if (question.type === 'PTR' || question.type === 'ANY') {
      const address = reverseAddress(question.name);
      if (address !== undefined) return ptrAnswer(question, address, ctx);
    }
    return bare(Rcode.REFUSED, false);
  }
  const { domain } = parsed;
  switch (question.type) {
    case 'AXFR':
    case 'IXFR':
      return bare(Rcode.NOTIMP, true);
    case 'SOA':
      return {
        ...bare(Rcode.NOERROR, true),
        answers: [soaRecord(domain, ctx.now())],
        authorities: [nsRecord(domain, ctx)],
        additionals: glue(domain, ctx),
      };
    case 'NS':
      return { ...bare(Rcode.NOERROR, true), answers: [nsRecord(domain, ctx)], additionals: glue(domain, ctx) };
  }
  switch (parsed.kind) {
    case 'service':
      return serviceAnswer(question, parsed, ctx, room);
    case 'node':
      return nodeAnswer(question, parsed.node, domain, ctx);
    case 'addr':
      return addrAnswer(question, parsed.hex, domain, ctx);
    default:
      return nameError(domain, ctx);
  }
}

function nameError(domain: string, ctx: LookupContext): DnsAnswer {
  return { ...bare(Rcode.NXDOMAIN, true), authorities: [soaRecord(domain, ctx.now())] };
}

function noData(domain: string, ctx: LookupContext): DnsAnswer {
  return { ...bare(Rcode.NOERROR, true), authorities: [soaRecord(domain, ctx.now())] };
}

function nsRecord(domain: string, ctx: LookupContext): Answer {
  const target = nodeTarget(ctx.catalog.node.name, ctx.datacenter, domain);
  return { type: 'NS', name: bareName(domain), ttl: ctx.options.nodeTtl, data: target };
}

function glue(domain: string, ctx: LookupContext): Answer[] {
  const { node } = ctx.catalog;
  if (isIP(node.address) === 0) return [];
  return [addressRecord(nodeTarget(node.name, ctx.datacenter, domain), node.address, ctx.options.nodeTtl)];
}

function serviceAnswer(question: DnsQuestion, parsed: Extract<ParsedName, { kind: 'service' }>, ctx: LookupContext, room: Room): DnsAnswer {
  const { options } = ctx;
  const ttl = serviceTtl(parsed.service, options.serviceTtl);
  const prepared = ctx.prepared.get(ctx.catalog, {
    service: parsed.service,
    tag: parsed.tag,
    onlyPassing: options.onlyPassing,
    domain: parsed.domain,
    datacenter: ctx.datacenter,
    ttl,
    nodeMetaTxt: options.nodeMetaTxt,
  });
  const instances = readable(prepared, ctx.catalog.node.name, ctx.access);
  // Consul answers NXDOMAIN, not an empty NOERROR, when no instance can answer.
  if (instances.length === 0) return nameError(parsed.domain, ctx);
  const owner = nameLength(question.name);
  switch (question.type) {
    case 'SRV': {
      const answers: Answer[] = [];
      const extras: (readonly Answer[])[] = [];
      const lengths: number[] = [];
      const seen = new Set<string>();
      const budget = room.maxBytes - room.fixedBytes;
      let bytes = 0;
      for (const instance of randomOrder(instances, ctx.random)) {
        if (seen.has(instance.key)) continue;
        seen.add(instance.key);
        const length = owner + instance.srvLength + instance.glueLength;
        answers.push({ type: 'SRV', name: question.name, ttl, data: instance.srv });
        extras.push(instance.glue);
        lengths.push(length);
        bytes += length;
        if (answers.length > room.maxAnswers || bytes > budget) break;
      }
      return { ...bare(Rcode.NOERROR, true), answers, extras, lengths };
    }
    case 'A':
    case 'AAAA':
    case 'ANY':
    case 'TXT': {
      const ordered = options.weightedA ? weightedShuffle(instances, (i) => i.weight, ctx.random) : randomOrder(instances, ctx.random);
      const budget = room.maxBytes - room.fixedBytes;
      let bytes = 0;
      const answers: Answer[] = [];
      const lengths: number[] = [];
      const seen = new Set<string>();
      for (const instance of ordered) {
        const family = instance.family;
        const wanted = family === 0 || question.type === 'ANY' || question.type === 'TXT' || (family === 4) === (question.type === 'A');
        if (!wanted || seen.has(instance.address)) continue;
        seen.add(instance.address);
        answers.push(addressRecord(question.name, instance.address, ttl, family));
        lengths.push(owner + instance.addressLength);
        bytes += owner + instance.addressLength;
        if (options.aRecordLimit > 0 && answers.length >= options.aRecordLimit) break;
        if (answers.length > room.maxAnswers || bytes > budget) break;
      }
      if (answers.length === 0) return noData(parsed.domain, ctx);
      return { ...bare(Rcode.NOERROR, true), answers, lengths };
    }
    default:
      return noData(parsed.domain, ctx);
  }
}

function nodeAnswer(question: DnsQuestion, name: string, domain: string, ctx: LookupContext): DnsAnswer {
  const { node } = ctx.catalog;
  if (name !== node.name.toLowerCase() || !ctx.access.node(node.name)) return nameError(domain, ctx);
  const ttl = ctx.options.nodeTtl;
  const family = isIP(node.address);
  const address = addressRecord(question.name, node.address, ttl);
  const meta = () => metaTxtRecords(question.name, node.meta, ttl);
  switch (question.type) {
    case 'A':
    case 'AAAA': {
      if (family !== 0 && (family === 4) !== (question.type === 'A')) return noData(domain, ctx);
      return { ...bare(Rcode.NOERROR, true), answers: [address], additionals: ctx.options.nodeMetaTxt ? meta() : [] };
    }
    case 'ANY':
      return { ...bare(Rcode.NOERROR, true), answers: [address, ...meta()] };
    case 'TXT':
      return { ...bare(Rcode.NOERROR, true), answers: meta() };
    default:
      // Consul: other types on a node are an empty NOERROR without SOA.
      return bare(Rcode.NOERROR, true);
  }
}

function addrAnswer(question: DnsQuestion, hex: string, domain: string, ctx: LookupContext): DnsAnswer {
  const decoded = addressOfHex(hex);
  if (decoded === undefined) return nameError(domain, ctx);
  const record = addressRecord(question.name, decoded.address, ctx.options.nodeTtl);
  const matches = question.type === 'ANY' || (decoded.family === 4 ? question.type === 'A' : question.type === 'AAAA');
  return matches ? { ...bare(Rcode.NOERROR, true), answers: [record] } : { ...bare(Rcode.NOERROR, true), additionals: [record] };
}

function ptrAnswer(question: DnsQuestion, address: string, ctx: LookupContext): DnsAnswer {
  const { node } = ctx.catalog;
  const domain = ctx.options.domain;
  const names = new Set<string>();
  if (sameAddress(node.address, address) && ctx.access.node(node.name)) names.add(nodeTarget(node.name, ctx.datacenter, domain));
  if (ctx.access.node(node.name)) {
    for (const s of ctx.catalog.instances()) {
      if (s.address !== '' && sameAddress(s.address, address) && ctx.access.service(s.name))
        names.add(`${s.name}.service.${ctx.datacenter}.${bareName(domain)}`);
    }
  }
  if (names.size === 0) return nameError(domain, ctx);
  const answers: Answer[] = [...names].map((data) => ({ type: 'PTR', name: question.name, ttl: 0, data }));
  return { ...bare(Rcode.NOERROR, true), answers };
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const ha = hexOfAddress(a);
  return ha !== undefined && ha === hexOfAddress(b);
}
