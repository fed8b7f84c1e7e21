/**
 * Runs the real `dig` (Debian dnsutils) against a DNS server on loopback and parses its output:
 * status, flags, section counts and the records of each section. Not part of the build.
 */
import { execFile } from 'node:child_process';

/** One record line of dig's output: `name ttl class type data...`. */
export interface DigRecord {
  readonly name: string;
  readonly ttl: number;
  readonly type: string;
  /** The data fields (e.g. SRV: priority, weight, port, target). */
  readonly data: readonly string[];
}

/** dig's view of one answer. */
export interface DigResult {
  readonly status: string;
  readonly flags: readonly string[];
  readonly answer: readonly DigRecord[];
  readonly authority: readonly DigRecord[];
  /** Without the OPT pseudo-record. */
  readonly additional: readonly DigRecord[];
  /** True when dig saw TC over UDP and retried over TCP. */
  readonly retriedOverTcp: boolean;
  /** The EDNS UDP size of the reply's OPT record, if any. */
  readonly ednsUdp: number | undefined;
  readonly raw: string;
}

/** `dig @127.0.0.1 -p <port> <args...>` with short timeouts; rejects when dig fails. */
export function dig(port: number, ...args: string[]): Promise<DigResult> {
  return new Promise((resolve, reject) => {
    execFile('dig', ['@127.0.0.1', '-p', String(port), '+time=5', '+tries=2', ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`dig ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
      else resolve(parseDig(stdout));
    });
  });
}

/** Parses dig's default output. */
export function parseDig(raw: string): DigResult {
  const status = /status: (\w+)/.exec(raw)?.[1];
  if (status === undefined) throw new Error(`no answer in dig output:\n${raw}`);
  const flags = (/;; flags: ([^;]*);/.exec(raw)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  const sections: Record<string, DigRecord[]> = { ANSWER: [], AUTHORITY: [], ADDITIONAL: [] };
  let current: DigRecord[] | undefined;
  for (const line of raw.split('\n')) {
    const header = /^;; (\w+) SECTION:/.exec(line);
    if (header) {
      current = sections[header[1]!];
      continue;
    }
    if (line.trim() === '' || line.startsWith(';')) {
      if (line.trim() === '') current = undefined;
      continue;
    }
    if (!current) continue;
    const [name, ttl, , type, ...data] = line.split(/\s+/);
    current.push({ name: name!, ttl: Number(ttl), type: type!, data });
  }
  const edns = /; EDNS: version: \d+, flags:[^;]*; udp: (\d+)/.exec(raw);
  return {
    status,
    flags,
    answer: sections.ANSWER!,
    authority: sections.AUTHORITY!,
    additional: sections.ADDITIONAL!,
    retriedOverTcp: raw.includes('Truncated, retrying in TCP mode'),
    ednsUdp: edns ? Number(edns[1]) : undefined,
    raw,
  };
}
