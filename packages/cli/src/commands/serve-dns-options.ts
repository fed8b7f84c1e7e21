/**
 * The DNS flags of `roster serve` (kept apart from serve.ts): DNS is on by default on
 * 127.0.0.1:8600; `--dns-port 0` picks a free port, `-1` turns DNS off. When the HTTP port is 0
 * and no DNS port was given, DNS picks a free port too (so servers on free ports never collide on 8600).
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { DnsOptions } from '@rosterjs/server';

function dnsPort(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < -1 || n > 65_535) throw new InvalidArgumentError('must be an integer 0-65535, or -1 for off');
  return n;
}

function count(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65_535) throw new InvalidArgumentError('must be an integer 0-65535');
  return Number(value);
}

function rate(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 10_000_000) throw new InvalidArgumentError('must be an integer 0-10000000');
  return Number(value);
}

function ttlEntry(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const out = { ...previous };
  for (const entry of value.split(',').filter((e) => e !== '')) {
    const i = entry.lastIndexOf('=');
    const seconds = entry.slice(i + 1);
    if (i <= 0 || !/^\d+$/.test(seconds)) throw new InvalidArgumentError('must be <service|prefix*|*>=<seconds>');
    out[entry.slice(0, i)] = Number(seconds);
  }
  return out;
}

/** Adds the DNS flags to the serve command. */
export function addDnsOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--dns-port <port>', 'DNS port, UDP and TCP (0 = any free port, -1 = DNS off)')
        .env('ROSTER_DNS_PORT')
        .default(8600)
        .argParser(dnsPort),
    )
    .addOption(new Option('--dns-bind <address>', 'DNS listen address').env('ROSTER_DNS_BIND').default('127.0.0.1'))
    .addOption(new Option('--dns-domain <domain>', 'DNS domain answered').env('ROSTER_DNS_DOMAIN').default('consul.'))
    .addOption(
      new Option('--dns-a-record-limit <n>', 'most A/AAAA records per answer (0 = no cap)')
        .env('ROSTER_DNS_A_RECORD_LIMIT')
        .argParser(count),
    )
    .addOption(new Option('--dns-weighted-a', 'order A/AAAA answers by instance weight').env('ROSTER_DNS_WEIGHTED_A'))
    .addOption(
      new Option('--dns-service-ttl <name=seconds>', 'TTL of service answers (name, prefix* or *); repeatable, or comma-separated')
        .env('ROSTER_DNS_SERVICE_TTL')
        .argParser(ttlEntry),
    )
    .addOption(
      new Option('--dns-rate-limit <n>', 'DNS queries per second per client address (0 = no limit)')
        .env('ROSTER_DNS_RATE_LIMIT')
        .argParser(rate),
    )
    .addOption(new Option('--dns-token <secret>', 'ACL token DNS answers are filtered by (default: anonymous)').env('ROSTER_DNS_TOKEN'));
}

/** The `dns` option of createServer from the parsed flags. */
export function dnsOptionsOf(opts: Record<string, unknown>, command: Command): DnsOptions {
  const portGiven = command.getOptionValueSource('dnsPort') !== 'default';
  const port = !portGiven && opts.port === 0 ? 0 : (opts.dnsPort as number);
  return {
    port,
    bind: opts.dnsBind as string,
    domain: opts.dnsDomain as string,
    ...(opts.dnsARecordLimit === undefined ? {} : { aRecordLimit: opts.dnsARecordLimit as number }),
    ...(opts.dnsWeightedA === true ? { weightedA: true } : {}),
    ...(opts.dnsServiceTtl === undefined ? {} : { serviceTtl: opts.dnsServiceTtl as Record<string, number> }),
    ...(opts.dnsRateLimit === undefined ? {} : { rateLimit: opts.dnsRateLimit as number }),
    ...(opts.dnsToken === undefined ? {} : { token: opts.dnsToken as string }),
  };
}
