/**
 * A replay of Prometheus v2.42's Consul service discovery (discovery/consul/consul.go on Go
 * consul/api v1.18), step by step, for wire-replay tests: the exact URLs it requests (Go sorts
 * query parameters by key: `index`, `node-meta`, `stale`, `tag`, `wait`), the answers decoded as
 * strictly as Go does (see go-decode), the "same index → no update" rule, and the target labels
 * it computes. Prometheus' own timing (refresh_interval ticks, 15 s retry sleeps) is left to the
 * test, which calls one round at a time.
 */
import { GoAgentSelf, GoCatalogServices, goDecode, GoList, GoServiceEntry } from './go-decode.test-helper.js';

/** The consul_sd_configs fields that change requests or labels. */
export interface ConsulSdConfig {
  /** Configured datacenter; when empty it is read once from agent/self. */
  readonly datacenter?: string;
  readonly services?: readonly string[];
  readonly tags?: readonly string[];
  readonly nodeMeta?: Readonly<Record<string, string>>;
  /** Default `,`. */
  readonly tagSeparator?: string;
  /** Default true (Prometheus' default). */
  readonly allowStale?: boolean;
}

/** An HTTP GET as the replay needs it. */
export type HttpGet = (url: string) => Promise<{ status: number; headers: Record<string, unknown>; body: string }>;

/** A Prometheus target group (`Source` plus group labels and one label set per target). */
export interface TargetGroup {
  readonly source: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly targets: readonly Readonly<Record<string, string>>[];
}

interface Check {
  CheckID: string;
  Status: string;
}
interface Entry {
  Node: { Node: string; Address: string; Meta?: Record<string, string> | null; TaggedAddresses?: Record<string, string> | null };
  Service: {
    ID: string;
    Address: string;
    Port: number;
    Tags?: string[] | null;
    Meta?: Record<string, string> | null;
    Namespace?: string;
    Partition?: string;
  };
  Checks?: Check[] | null;
}

/** Go api.HealthChecks.AggregatedStatus (maintenance > critical > warning > passing; unknown → ""). */
export function aggregatedStatus(checks: readonly Check[]): string {
  let maintenance = false;
  let critical = false;
  let warning = false;
  for (const c of checks) {
    if (c.CheckID === '_node_maintenance' || c.CheckID.startsWith('_service_maintenance:')) {
      maintenance = true;
      continue;
    }
    if (c.Status === 'critical') critical = true;
    else if (c.Status === 'warning') warning = true;
    else if (c.Status !== 'passing') return '';
  }
  return maintenance ? 'maintenance' : critical ? 'critical' : warning ? 'warning' : 'passing';
}

/** strutil.SanitizeLabelName */
const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');

/** net.JoinHostPort */
const joinHostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** The labels of one target, as consulService.watch computes them (empty values dropped, as Prometheus does). */
export function targetLabels(e: Entry, tagSeparator: string): Record<string, string> {
  const tags = tagSeparator + (e.Service.Tags ?? []).join(tagSeparator) + tagSeparator;
  const addr = joinHostPort(e.Service.Address !== '' ? e.Service.Address : e.Node.Address, e.Service.Port);
  const labels: Record<string, string> = {
    __address__: addr,
    __meta_consul_address: e.Node.Address,
    __meta_consul_node: e.Node.Node,
    __meta_consul_namespace: e.Service.Namespace ?? '',
    __meta_consul_partition: e.Service.Partition ?? '',
    __meta_consul_tags: tags,
    __meta_consul_service_address: e.Service.Address,
    __meta_consul_service_port: String(e.Service.Port),
    __meta_consul_service_id: e.Service.ID,
    __meta_consul_health: aggregatedStatus(e.Checks ?? []),
  };
  for (const [k, v] of Object.entries(e.Node.Meta ?? {})) labels[`__meta_consul_metadata_${sanitize(k)}`] = v;
  for (const [k, v] of Object.entries(e.Service.Meta ?? {})) labels[`__meta_consul_service_metadata_${sanitize(k)}`] = v;
  for (const [k, v] of Object.entries(e.Node.TaggedAddresses ?? {})) labels[`__meta_consul_tagged_address_${sanitize(k)}`] = v;
  for (const [k, v] of Object.entries(labels)) if (v === '') delete labels[k];
  return labels;
}

/** Go's url.Values.Encode(): keys sorted, values in insertion order, QueryEscape'd. */
function encode(params: [string, string][]): string {
  const keys = [...new Set(params.map(([k]) => k))].sort();
  const esc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return keys.flatMap((k) => params.filter(([key]) => key === k).map(([, v]) => `${esc(k)}=${esc(v)}`)).join('&');
}

/** One Prometheus Consul SD instance. */
export class PrometheusConsulSd {
  /** Every URL requested, in order. */
  readonly requests: string[] = [];
  /** What was sent on the discovery channel, one element per send. */
  readonly updates: TargetGroup[][] = [];
  /** Decode problems found in answers (must stay empty). */
  readonly problems: string[] = [];
  /** The datacenter label (configured or read from agent/self). */
  datacenter = '';
  #catalogIndex = 0;
  readonly #serviceIndex = new Map<string, number>();
  /** Services whose watcher runs (the keys of Prometheus' `services` map). */
  readonly watched = new Set<string>();
  readonly #get: HttpGet;
  readonly #config: ConsulSdConfig;

  constructor(get: HttpGet, config: ConsulSdConfig = {}) {
    this.#get = get;
    this.#config = config;
    this.datacenter = config.datacenter ?? '';
  }

  async #call(path: string, params: [string, string][], type: Parameters<typeof goDecode>[1]) {
    const c = this.#config;
    const all: [string, string][] = [...params];
    if (c.datacenter) all.push(['dc', c.datacenter]);
    for (const [k, v] of Object.entries(c.nodeMeta ?? {})) all.push(['node-meta', `${k}:${v}`]);
    const query = encode(all);
    const url = query === '' ? path : `${path}?${query}`;
    this.requests.push(url);
    const r = await this.#get(url);
    if (r.status !== 200) throw new Error(`Unexpected response code: ${r.status} (${r.body})`);
    const body = JSON.parse(r.body) as unknown;
    this.problems.push(...goDecode(body, type).map((p) => `${url} ${p}`));
    // api.parseQueryMeta: a missing header is index 0.
    const header = r.headers['x-consul-index'];
    return { body, index: header === undefined ? 0 : Number(header) };
  }

  #blocking(index: number): [string, string][] {
    const p: [string, string][] = [];
    if (this.#config.allowStale ?? true) p.push(['stale', '']);
    if (index !== 0) p.push(['index', String(index)]);
    p.push(['wait', '120000ms']);
    return p;
  }

  /** Start-up: reads the datacenter from agent/self unless configured. */
  async initialize(): Promise<void> {
    if (this.datacenter !== '') return;
    const { body } = await this.#call('/v1/agent/self', [], GoAgentSelf);
    const dc = (body as { Config?: { Datacenter?: unknown } }).Config?.Datacenter;
    if (typeof dc !== 'string') throw new Error(`invalid value '${String(dc)}' for Config.Datacenter`);
    this.datacenter = dc;
  }

  /** One round of the catalog loop (watchServices). Returns false when the index did not move. */
  async catalogRound(): Promise<boolean> {
    const { body, index } = await this.#call('/v1/catalog/services', this.#blocking(this.#catalogIndex), GoCatalogServices);
    if (index === this.#catalogIndex) return false;
    this.#catalogIndex = index;
    const services = body as Record<string, string[]>;
    const wantedTags = this.#config.tags ?? [];
    const wantedNames = this.#config.services ?? [];
    for (const [name, tags] of Object.entries(services)) {
      if (wantedNames.length > 0 && !wantedNames.includes(name)) continue;
      if (!wantedTags.every((t) => tags.includes(t))) continue;
      this.watched.add(name);
    }
    for (const name of [...this.watched]) {
      if (!Object.hasOwn(services, name)) {
        this.watched.delete(name);
        this.#serviceIndex.delete(name);
        this.updates.push([{ source: name, labels: {}, targets: [] }]);
      }
    }
    if (this.watched.size === 0) this.updates.push([{ source: '', labels: {}, targets: [] }]);
    return true;
  }

  /** One round of a service's loop (consulService.watch). Returns false when the index did not move. */
  async serviceRound(name: string): Promise<boolean> {
    const last = this.#serviceIndex.get(name) ?? 0;
    const params = this.#blocking(last);
    for (const t of this.#config.tags ?? []) params.push(['tag', t]);
    const { body, index } = await this.#call(`/v1/health/service/${name}`, params, GoList(GoServiceEntry));
    if (index === last) return false;
    this.#serviceIndex.set(name, index);
    const separator = this.#config.tagSeparator ?? ',';
    this.updates.push([
      {
        source: name,
        labels: { __meta_consul_service: name, __meta_consul_dc: this.datacenter },
        targets: (body as Entry[]).map((e) => targetLabels(e, separator)),
      },
    ]);
    return true;
  }

  /** The newest target group sent for `source`. */
  latest(source: string): TargetGroup | undefined {
    for (let i = this.updates.length - 1; i >= 0; i--) {
      const group = this.updates[i]!.find((g) => g.source === source);
      if (group) return group;
    }
    return undefined;
  }
}
