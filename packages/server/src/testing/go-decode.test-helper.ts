/**
 * Decoding JSON answers the way the Go `consul/api` v1.18 client (the one Prometheus 2.42 pins)
 * does, for wire-replay tests of clients we cannot run. Go's `encoding/json` fails on a wrong
 * JSON type (a string into an int, 1.5 into an int, a negative number into a uint64, an object
 * into a string); `api.ReadableDuration` inside a check `Definition` fails on anything but a Go
 * duration string or a number (also on `""` and `null`). On top of Go, our replays are stricter
 * on purpose: a key must match a field exactly (Go would match case-insensitively) and a key the
 * struct does not have is reported (Go would drop it silently), so a misspelt or invented field
 * in an answer fails the test instead of quietly reaching the client as a zero value.
 */
import { parseGoDuration } from '@rosterjs/roster';

/** A Go type, as far as decoding is concerned. */
export type GoType =
  | { readonly kind: 'string' | 'int' | 'uint64' | 'bool' | 'any' | 'duration' }
  | { readonly kind: 'slice' | 'map' | 'ptr'; readonly of: GoType }
  | {
      readonly kind: 'struct';
      readonly name: string;
      readonly fields: Readonly<Record<string, GoType>>;
      /** Keys real Consul sends that this api version has no field for (Go ignores them). */
      readonly ignored?: readonly string[];
    };

const string: GoType = { kind: 'string' };
const int: GoType = { kind: 'int' };
const uint64: GoType = { kind: 'uint64' };
const bool: GoType = { kind: 'bool' };
const any: GoType = { kind: 'any' };
const duration: GoType = { kind: 'duration' };
const slice = (of: GoType): GoType => ({ kind: 'slice', of });
const map = (of: GoType): GoType => ({ kind: 'map', of });
const ptr = (of: GoType): GoType => ({ kind: 'ptr', of });

/** api.Node */
export const GoNode: GoType = {
  kind: 'struct',
  name: 'api.Node',
  fields: {
    ID: string,
    Node: string,
    Address: string,
    Datacenter: string,
    TaggedAddresses: map(string),
    Meta: map(string),
    CreateIndex: uint64,
    ModifyIndex: uint64,
    Partition: string,
    PeerName: string,
  },
};

const GoServiceAddress: GoType = { kind: 'struct', name: 'api.ServiceAddress', fields: { Address: string, Port: int } };
const GoAgentWeights: GoType = { kind: 'struct', name: 'api.AgentWeights', fields: { Passing: int, Warning: int } };

/** api.AgentService (agent/services values, health entries' Service). */
export const GoAgentService: GoType = {
  kind: 'struct',
  name: 'api.AgentService',
  fields: {
    Kind: string,
    ID: string,
    Service: string,
    Tags: slice(string),
    Meta: map(string),
    Port: int,
    Address: string,
    SocketPath: string,
    TaggedAddresses: map(GoServiceAddress),
    Weights: GoAgentWeights,
    EnableTagOverride: bool,
    CreateIndex: uint64,
    ModifyIndex: uint64,
    ContentHash: string,
    Proxy: ptr(map(any)),
    Connect: ptr(map(any)),
    PeerName: string,
    Namespace: string,
    Partition: string,
    Datacenter: string,
  },
};

/** api.HealthCheckDefinition (custom UnmarshalJSON: durations are api.ReadableDuration). */
const GoHealthCheckDefinition: GoType = {
  kind: 'struct',
  name: 'api.HealthCheckDefinition',
  fields: {
    HTTP: string,
    Header: map(slice(string)),
    Method: string,
    Body: string,
    TLSServerName: string,
    TLSSkipVerify: bool,
    TCP: string,
    UDP: string,
    GRPC: string,
    GRPCUseTLS: bool,
    Interval: duration,
    Timeout: duration,
    DeregisterCriticalServiceAfter: duration,
  },
  // Consul's own structs.HealthCheckDefinition has it; api v1.18 does not.
  ignored: ['DisableRedirects'],
};

/** api.HealthCheck */
export const GoHealthCheck: GoType = {
  kind: 'struct',
  name: 'api.HealthCheck',
  fields: {
    Node: string,
    CheckID: string,
    Name: string,
    Status: string,
    Notes: string,
    Output: string,
    ServiceID: string,
    ServiceName: string,
    ServiceTags: slice(string),
    Type: string,
    Namespace: string,
    Partition: string,
    ExposedPort: int,
    PeerName: string,
    Definition: GoHealthCheckDefinition,
    CreateIndex: uint64,
    ModifyIndex: uint64,
  },
  // Consul's structs.HealthCheck has top-level Interval/Timeout strings; api v1.18 does not.
  ignored: ['Interval', 'Timeout'],
};

/** api.ServiceEntry (health/service items). */
export const GoServiceEntry: GoType = {
  kind: 'struct',
  name: 'api.ServiceEntry',
  fields: { Node: ptr(GoNode), Service: ptr(GoAgentService), Checks: slice(ptr(GoHealthCheck)) },
};

/** api.CatalogService (catalog/service items). */
export const GoCatalogService: GoType = {
  kind: 'struct',
  name: 'api.CatalogService',
  fields: {
    ID: string,
    Node: string,
    Address: string,
    Datacenter: string,
    TaggedAddresses: map(string),
    NodeMeta: map(string),
    ServiceID: string,
    ServiceName: string,
    ServiceAddress: string,
    ServiceTaggedAddresses: map(GoServiceAddress),
    ServiceTags: slice(string),
    ServiceMeta: map(string),
    ServicePort: int,
    ServiceWeights: GoAgentWeights,
    ServiceEnableTagOverride: bool,
    ServiceProxy: ptr(map(any)),
    CreateIndex: uint64,
    Checks: slice(ptr(GoHealthCheck)),
    ModifyIndex: uint64,
    Namespace: string,
    Partition: string,
  },
  // structs.ServiceNode's Kind (api v1.18 has no ServiceKind field on CatalogService).
  ignored: ['ServiceKind'],
};

/** `Agent().Self()`: `map[string]map[string]interface{}`. */
export const GoAgentSelf: GoType = map(map(any));
/** `Catalog().Services()`: `map[string][]string`. */
export const GoCatalogServices: GoType = map(slice(string));
/** `[]*ServiceEntry`, `[]*CatalogService`, `HealthChecks`, `map[string]*AgentService`. */
export const GoList = (of: GoType): GoType => slice(ptr(of));
export const GoMap = (of: GoType): GoType => map(ptr(of));

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'number' ? 'number' : typeof v;
}

/**
 * Decodes `value` as `type`; returns every problem (empty = the Go client decodes it, and no
 * field is unknown). Paths look like `[0].Checks[1].Definition.Interval`.
 */
export function goDecode(value: unknown, type: GoType, path = ''): string[] {
  const problems: string[] = [];
  const wrong = (what: string) => problems.push(`${path || '.'}: cannot unmarshal ${jsonKind(value)} into ${what}`);
  // Go leaves the zero value for null, except for types with their own UnmarshalJSON.
  if (value === null && type.kind !== 'duration') return problems;
  switch (type.kind) {
    case 'any':
      break;
    case 'string':
      if (typeof value !== 'string') wrong('string');
      break;
    case 'bool':
      if (typeof value !== 'boolean') wrong('bool');
      break;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) wrong('int');
      break;
    case 'uint64':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) wrong('uint64');
      break;
    case 'duration':
      // api.ReadableDuration.UnmarshalJSON: a quoted Go duration, or a bare number of nanoseconds.
      if (typeof value === 'number') break;
      if (typeof value !== 'string' || !parseGoDuration(value).ok)
        problems.push(`${path}: invalid api.ReadableDuration ${JSON.stringify(value)}`);
      break;
    case 'ptr':
      problems.push(...goDecode(value, type.of, path));
      break;
    case 'slice':
      if (!Array.isArray(value)) wrong('slice');
      else value.forEach((v, i) => problems.push(...goDecode(v, type.of, `${path}[${i}]`)));
      break;
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) wrong('map');
      else for (const [k, v] of Object.entries(value as object)) problems.push(...goDecode(v, type.of, `${path}[${JSON.stringify(k)}]`));
      break;
    case 'struct': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        wrong(type.name);
        break;
      }
      for (const [k, v] of Object.entries(value as object)) {
        const field = Object.hasOwn(type.fields, k) ? type.fields[k] : undefined;
        if (field) problems.push(...goDecode(v, field, `${path}.${k}`));
        else if (!type.ignored?.includes(k)) problems.push(`${path}.${k}: unknown field of ${type.name}`);
      }
      break;
    }
  }
  return problems;
}
