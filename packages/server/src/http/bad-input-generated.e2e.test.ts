/**
 * Generated bad requests (fast-check), over a real socket, against one running roster serve:
 * registrations with exactly one bad field (wrong type, bad charset, out of range, bad duration,
 * header injection, unsupported check kind), malformed and truncated JSON, unknown ids of every
 * shape (slashes, `..`, `%2F`, unicode, empty) on every id endpoint, wrong methods, bad query
 * parameters, bad check and catalog bodies. Every one must be answered with its exact 4xx and a
 * text that names what is wrong, and must change nothing: the global index is checked after each
 * request and a full state dump after each family. The last test counts them (≥ 2,000).
 */
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { parseGoDuration } from '@rosterjs/roster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateDump } from '../testing/state-dump.test-helper.js';
import { closeAll, type TestServer, testServer } from '../testing/test-server.test-helper.js';

/** A request that must be refused: its exact status and a pattern its text must match. */
interface Bad {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly status: number;
  readonly message: RegExp;
}

let t: TestServer;
let port: number;
let before: string;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const counts = { sent: 0, refused4xx: 0, other: 0, indexMoved: 0, dumpsChanged: 0 };

const SERVICE_IDS = ['w1', 'w2', 'api/1', '..', 'wéb-ü'];
const CHECK_IDS = ['service:w1', 'service:w2', 'node-check'];
const EXISTING = new Set([...SERVICE_IDS, ...CHECK_IDS, ...SERVICE_IDS.map((id) => `service:${id}`), 'serfHealth']);

function send(bad: Bad): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = bad.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(bad.body)) };
    const req = request({ host: '127.0.0.1', port, method: bad.method, path: bad.path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(bad.body);
  });
}

/** Sends one bad request and checks the refusal. */
async function refused(bad: Bad): Promise<void> {
  const index = t.server.index;
  const r = await send(bad);
  counts.sent++;
  if (r.status >= 400 && r.status < 500) counts.refused4xx++;
  else counts.other++;
  if (t.server.index !== index) counts.indexMoved++;
  const what = `${bad.method} ${bad.path} ${bad.body?.slice(0, 300) ?? ''} → ${r.status} ${r.body.slice(0, 300)}`;
  expect(r.status, what).toBe(bad.status);
  expect(r.headers['content-type'], what).toBe('text/plain; charset=utf-8');
  expect(r.body, what).toMatch(bad.message);
  expect(t.server.index, what).toBe(index);
}

/** Runs a family of generated bad requests, then compares the full state dump. */
async function family(arb: fc.Arbitrary<Bad>, numRuns: number): Promise<void> {
  await fc.assert(fc.asyncProperty(arb, refused), { numRuns });
  const after = await stateDump(t);
  if (after !== before) counts.dumpsChanged++;
  expect(after).toBe(before);
}

beforeAll(async () => {
  t = testServer();
  ({ port } = await t.server.listen());
  for (const [id, name] of [
    ['w1', 'web'],
    ['api/1', 'api'],
    ['..', 'dots'],
    ['wéb-ü', 'api'],
  ]) {
    expect((await t.req('PUT', '/v1/agent/service/register', { Name: name, ID: id, Port: 80, Check: { TTL: '10s' } })).statusCode).toBe(
      200,
    );
  }
  await t.req('PUT', '/v1/agent/service/register', {
    Name: 'web',
    ID: 'w2',
    Port: 81,
    Check: { HTTP: 'http://127.0.0.1:1/', Interval: '10s' },
  });
  await t.req('PUT', '/v1/agent/check/register', { Name: 'node-check', TTL: '1m' });
  // TTL checks get ids service:<id>; only w1's is addressed below, the others are just state.
  before = await stateDump(t);
});

afterAll(async () => {
  agent.destroy();
  await closeAll();
});

// ---------------------------------------------------------------- values

const SERVICE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 20 });
const control = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
/** A JSON value that is not a string / not a number / … (for "wrong type" fields). */
const notString = fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 }), fc.constant({ a: 1 }));
const notInt = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
  printable,
  fc.boolean(),
  fc.constant([1]),
  fc.constant({}),
);
const notBool = fc.oneof(fc.integer(), printable, fc.constant([]), fc.constant({}));
const notArray = fc.oneof(fc.integer(), printable, fc.boolean(), fc.constant({ a: 'b' }));
const notObject = fc.oneof(fc.integer(), printable, fc.boolean(), fc.array(printable, { maxLength: 2 }));
/** A string with a control character somewhere. */
const withControl = fc.tuple(printable, control, printable).map(([a, c, b]) => a + c + b);
/** A string that is not a Go duration (well-formed Unicode: it may go into a URL). */
const garbageDuration = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !parseGoDuration(s).ok);
/** A valid Go duration, 1 s – 1 h. */
const goodDuration = fc.integer({ min: 1, max: 3600 }).map((s) => `${s}s`);
/** Go's ParseBool accepts these; anything else is refused. */
const GO_BOOLS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False']);

// ---------------------------------------------------------------- one bad field of a registration

type BadField = [field: string, value: unknown, message: RegExp];
const decodeOf = (goField: string) =>
  new RegExp(`^Request decode failed: json: cannot unmarshal \\w+ into Go struct field structs\\.${goField} of type `);
const invalidService = (field: string) => new RegExp(`^Invalid service: ${field}`);

/** A bad TTL and its refusal; `goType` is the struct whose field a wrong JSON type is reported on. */
const badTtlOf = (goType: string): fc.Arbitrary<[unknown, RegExp]> =>
  fc.oneof(
    goodDuration.map((d): [unknown, RegExp] => [`-${d}`, /^Invalid check: TTL must be > 0 for TTL checks$/]),
    // Not 0: a check whose only field is a zero TTL is Consul's empty CheckType, which is skipped
    // (the registration is accepted without it; agent-service-routes.test.ts).
    fc.integer({ min: -1e15, max: -1 }).map((n): [unknown, RegExp] => [n, /^Invalid check: TTL must be > 0 for TTL checks$/]),
    garbageDuration.map((s): [unknown, RegExp] => [s, /^Request decode failed: time: /]),
    fc.integer({ min: 1, max: 999 }).map((ms): [unknown, RegExp] => [`${ms}ms`, /^Invalid check: TTL: must be at least 1000 ms/]),
    fc
      .integer({ min: 597, max: 2_000_000 })
      .map((h): [unknown, RegExp] => [`${h}h`, /^(Invalid check: TTL: must be at most|Request decode failed: time: invalid duration)/]),
    notString.filter((v) => typeof v !== 'number').map((v): [unknown, RegExp] => [v, decodeOf(`${goType}\\.TTL`)]),
  );
const badTtl = badTtlOf('CheckType');

const badHttpCheck: fc.Arbitrary<[object, RegExp]> = fc.oneof(
  fc
    .constantFrom('ftp://h/', 'file:///etc/passwd', 'gopher://h', 'not a url', '//h/x', 'http//h')
    .map((u): [object, RegExp] => [{ HTTP: u }, /^Invalid check: HTTP: /]),
  fc
    .tuple(withControl, fc.constantFrom('\r\nHost: evil', ' HTTP/1.1', '\t'))
    .map(([s, inj]): [object, RegExp] => [
      { HTTP: `http://127.0.0.1:1/${s}${inj}` },
      /^Invalid check: HTTP: must not contain white space or control characters$/,
    ]),
  fc
    .tuple(printable, fc.constantFrom('\r', '\n', '\u0000'), printable)
    .map(([a, c, b]): [object, RegExp] => [
      { Header: { 'X-Test': [a + c + b] } },
      /^Invalid check: Header\.X-Test\[0\]: must not contain CR, LF or NUL \(header injection\)$/,
    ]),
  fc
    .tuple(printable, fc.constantFrom(' ', ':', '\r\n', '(', '"', 'é'))
    .map(([a, c]): [object, RegExp] => [{ Header: { [`X${a}${c}`]: ['v'] } }, /^Invalid check: Header\..* is not a valid header name$/s]),
  fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((m) => !/^[A-Z]{1,16}$/.test(m))
    .map((m): [object, RegExp] => [{ Method: m }, /^Invalid check: Method: must be an upper-case HTTP method/]),
  goodDuration.map((d): [object, RegExp] => [{ Interval: `-${d}` }, /^Invalid check: Interval must be > 0/]),
  garbageDuration.map((d): [object, RegExp] => [{ Interval: d }, /^Request decode failed: time: /]),
  goodDuration.map((d): [object, RegExp] => [{ Timeout: `-${d}` }, /^Invalid check: Timeout must not be negative$/]),
  goodDuration.map((d): [object, RegExp] => [{ TTL: d }, /^Invalid check: Interval and TTL cannot both be specified$/]),
  fc
    .integer({ min: 65_537, max: 1e9 })
    .map((n): [object, RegExp] => [{ OutputMaxSize: n }, /^Invalid check: OutputMaxSize must be at most 65536$/]),
);

const unsupportedCheck = fc
  .constantFrom<[object, string]>(
    [{ Args: ['/bin/true'], Interval: '10s' }, 'script'],
    [{ Script: '/bin/true', Interval: '10s' }, 'script'],
    [{ GRPC: '127.0.0.1:1', Interval: '10s' }, 'gRPC'],
    [{ DockerContainerID: 'abc', Shell: '/bin/sh', Args: ['x'], Interval: '10s' }, 'script'],
    [{ UDP: '127.0.0.1:1', Interval: '10s' }, 'UDP'],
    [{ H2PING: '127.0.0.1:1', Interval: '10s' }, 'H2PING'],
    [{ AliasService: 'web' }, 'alias'],
    [{ OSService: 'sshd', Interval: '10s' }, 'OSService'],
  )
  .map(([c, kind]): [object, RegExp] => [c, new RegExp(`^Invalid check: ${kind} checks are not supported`)]);

/** One bad field, with the pattern of its refusal. */
const badField: fc.Arbitrary<BadField> = fc.oneof(
  // Name
  notString.map((v): BadField => ['Name', v, decodeOf('ServiceDefinition\\.Name')]),
  fc.constant<BadField>(['Name', '', /^Missing service name$/]),
  fc
    .string({ unit: 'binary', minLength: 1, maxLength: 80 })
    .filter((s) => !SERVICE_NAME.test(s) || s.length > 63)
    .map((s): BadField => ['Name', s, invalidService('Name: ')]),
  // ID (an empty ID means "the name": not bad)
  notString.map((v): BadField => ['ID', v, decodeOf('ServiceDefinition\\.ID')]),
  withControl.map((s): BadField => ['ID', s, /^Invalid service: ID: must not contain control characters$/]),
  fc
    .tuple(fc.constantFrom(' ', '\u00a0', '\u3000'), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 10 }))
    .map(([ws, s]): BadField => [
      'ID',
      ws + s.replace(/[\s\u0000-\u001f\u007f]/g, 'x'),
      /^Invalid service: ID: must not start or end with white space$/,
    ]),
  fc.integer({ min: 129, max: 400 }).map((n): BadField => ['ID', 'i'.repeat(n), /^Invalid service: ID: must be at most 128 characters/]),
  fc
    .constantFrom('\ud800', 'a\udbff', '\udc00b', 'x\udfffy')
    .map((s): BadField => ['ID', s, /^Invalid service: ID: must be well-formed Unicode/]),
  // Port
  notInt.map((v): BadField => ['Port', v, decodeOf('ServiceDefinition\\.Port')]),
  fc
    .oneof(fc.integer({ max: -1 }), fc.integer({ min: 65_536 }))
    .map((p): BadField => ['Port', p, /^Invalid service: Port: must be between 0 and 65535/]),
  // Address (an empty address means "the node's": not bad)
  fc.constantFrom('0.0.0.0', '::', '[::]').map((a): BadField => ['Address', a, /^Invalid service address$/]),
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
    .filter((a) => a !== '0.0.0.0' && a !== '::' && a !== '[::]' && isIP(a) === 0 && !HOST_NAME.test(a))
    .map((a): BadField => ['Address', a, invalidService('Address: ')]),
  notString.map((v): BadField => ['Address', v, decodeOf('ServiceDefinition\\.Address')]),
  // Tags
  notArray.map((v): BadField => ['Tags', v, decodeOf('ServiceDefinition\\.Tags')]),
  fc
    .tuple(
      fc.array(
        printable.filter((s) => s !== ''),
        { maxLength: 3 },
      ),
      notString,
    )
    .map(([ok, v]): BadField => ['Tags', [...ok, v], decodeOf('ServiceDefinition\\.Tags')]),
  fc
    .integer({ min: 65, max: 100 })
    .map((n): BadField => ['Tags', Array.from({ length: n }, (_, i) => `t${i}`), /^Invalid service: Tags: must have at most 64 entries/]),
  fc
    .oneof(
      fc.constant(''),
      withControl,
      fc.integer({ min: 256, max: 600 }).map((n) => 'x'.repeat(n)),
    )
    .map((tag): BadField => [
      'Tags',
      ['ok', tag],
      /^Invalid service: Tags\[1\]: must (be 1 to 255 characters|not contain control characters)$/,
    ]),
  // Meta
  notObject.map((v): BadField => ['Meta', v, decodeOf('ServiceDefinition\\.Meta')]),
  notString.map((v): BadField => ['Meta', { k: v }, decodeOf('ServiceDefinition\\.Meta')]),
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
    .filter((k) => !/^[A-Za-z0-9_-]+$/.test(k) && k !== '__proto__')
    .map((k): BadField => ['Meta', { [k]: 'v' }, /^Invalid Service Meta: Meta\..* key must be 1 to 128 characters/s]),
  fc
    .string({ unit: 'grapheme-ascii', maxLength: 10 })
    .filter((s) => /^[A-Za-z0-9_-]*$/.test(s))
    .map((s): BadField => [
      'Meta',
      { [`consul-${s}`]: 'v' },
      /^Invalid Service Meta: Meta\.consul-.*: keys starting with "consul-" are reserved$/,
    ]),
  fc
    .integer({ min: 513, max: 2000 })
    .map((n): BadField => ['Meta', { k: 'v'.repeat(n) }, /^Invalid Service Meta: Meta\.k: value must be at most 512 characters$/]),
  fc
    .integer({ min: 65, max: 90 })
    .map((n): BadField => [
      'Meta',
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'])),
      /^Invalid Service Meta: Meta: must have at most 64 keys/,
    ]),
  // Weights
  fc.integer({ max: 0 }).map((p): BadField => ['Weights', { Passing: p, Warning: 1 }, /^Invalid Weights: Passing must be greater than 0$/]),
  fc
    .integer({ max: -1 })
    .map((w): BadField => ['Weights', { Passing: 1, Warning: w }, /^Invalid Weights: Warning must be greater or equal than 0$/]),
  fc
    .integer({ min: 65_536 })
    .map((p): BadField => [
      'Weights',
      { Passing: p, Warning: 1 },
      /^Invalid Weights: Passing or Warning must be less or equal than 65535$/,
    ]),
  notInt.map((v): BadField => ['Weights', { Passing: v }, decodeOf('Weights\\.Passing')]),
  notObject.map((v): BadField => ['Weights', v, decodeOf('ServiceDefinition\\.Weights')]),
  // EnableTagOverride, Kind, TaggedAddresses
  notBool.map((v): BadField => ['EnableTagOverride', v, decodeOf('ServiceDefinition\\.EnableTagOverride')]),
  fc.string({ minLength: 1, maxLength: 20 }).map((k): BadField => ['Kind', k, /^Invalid service: Kind: .* is not supported/s]),
  notObject.map((v): BadField => ['TaggedAddresses', v, /^Request decode failed: json: cannot unmarshal into TaggedAddresses of type/]),
  notObject.map((v): BadField => [
    'TaggedAddresses',
    { lan: v },
    /^Request decode failed: json: cannot unmarshal into TaggedAddresses\.lan of type/,
  ]),
  fc
    .oneof(fc.integer({ max: -1 }), fc.integer({ min: 65_536 }))
    .map((p): BadField => ['TaggedAddresses', { lan: { Address: '10.0.0.1', Port: p } }, /^Invalid service: TaggedAddresses\.lan: /]),
  // Check / Checks
  badTtl.map(([v, m]): BadField => ['Check', { TTL: v }, m]),
  badHttpCheck.map(([c, m]): BadField => ['Check', { HTTP: 'http://127.0.0.1:1/', Interval: '10s', ...c }, m]),
  unsupportedCheck.map(([c, m]): BadField => ['Check', c, m]),
  fc
    .string({ maxLength: 12 })
    .filter((s) => !['', 'passing', 'warning', 'critical'].includes(s))
    .map((s): BadField => ['Check', { TTL: '10s', Status: s }, /^Status for checks must 'passing', 'warning', 'critical'$/]),
  fc.constant<BadField>(['Check', { Notes: 'no kind' }, /^Invalid check: TTL must be > 0 for TTL checks$/]),
  notObject.map((v): BadField => ['Check', v, decodeOf('ServiceDefinition\\.Check')]),
  fc
    .integer({ min: 33, max: 50 })
    .map((n): BadField => [
      'Checks',
      Array.from({ length: n }, () => ({ TTL: '10s' })),
      /^Invalid service: Checks: must have at most 32 entries/,
    ]),
  fc
    .tuple(fc.nat(3), badTtl)
    .map(([i, [v, m]]): BadField => ['Checks', [...Array.from({ length: i }, () => ({ TTL: '10s' })), { TTL: v }], m]),
  notArray.map((v): BadField => ['Checks', v, decodeOf('ServiceDefinition\\.Checks')]),
);

/** Key spellings the decoder must treat alike (python-consul sends lower case). */
const keyCase = fc.constantFrom<(k: string) => string>(
  (k) => k,
  (k) => k.toLowerCase(),
  (k) => k.toUpperCase(),
);

const VALID_REGISTRATION: Record<string, unknown> = {
  Name: 'gen',
  ID: 'gen-1',
  Address: '127.0.0.1',
  Port: 8080,
  Tags: ['t'],
  Meta: { k: 'v' },
  Check: { TTL: '10s' },
};

const badRegistration: fc.Arbitrary<Bad> = fc.tuple(badField, keyCase).map(([[field, value, message], cased]) => {
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(VALID_REGISTRATION)) if (k !== field && !(field === 'Checks' && k === 'Check')) body[cased(k)] = v;
  body[cased(field)] = value;
  return { method: 'PUT', path: '/v1/agent/service/register', body: JSON.stringify(body), status: 400, message };
});

// ---------------------------------------------------------------- malformed JSON

const ALNUM = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'), minLength: 1, maxLength: 12 });
/** A valid body text made only of alphanumeric values (so every `{}[]:,"` in it is structure). */
const validText = fc
  .record({
    Name: ALNUM,
    ID: ALNUM,
    Port: fc.integer({ min: 1, max: 65_535 }),
    Tags: fc.array(ALNUM, { maxLength: 3 }),
    Meta: fc.dictionary(ALNUM, ALNUM, { maxKeys: 3 }),
  })
  .map((o) => JSON.stringify(o));
const WRITE_BODIES = [
  '/v1/agent/service/register',
  '/v1/agent/check/register',
  '/v1/agent/check/update/service:w1',
  '/v1/catalog/register',
  '/v1/catalog/deregister',
];
const DECODE = /^Request decode failed: /;

const malformedJson: fc.Arbitrary<Bad> = fc.oneof(
  // A proper prefix of an object text never closes the object.
  fc.tuple(validText, fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...WRITE_BODIES)).map(([text, at, path]) => {
    const cut = 1 + Math.floor(at * (text.length - 1));
    return { method: 'PUT', path, body: text.slice(0, Math.min(cut, text.length - 1)), status: 400, message: DECODE };
  }),
  // One structural character replaced breaks the text.
  fc.tuple(validText, fc.nat(), fc.constantFrom('x', '#', "'", '\\'), fc.constantFrom(...WRITE_BODIES)).map(([text, n, ch, path]) => {
    const structural = [...text].flatMap((c, i) => ('{}[]:,"'.includes(c) ? [i] : []));
    const i = structural[n % structural.length]!;
    return { method: 'PUT', path, body: text.slice(0, i) + ch + text.slice(i + 1), status: 400, message: DECODE };
  }),
  // Valid JSON that is not an object.
  fc
    .tuple(fc.oneof(fc.array(fc.integer(), { maxLength: 3 }), fc.integer(), printable, fc.boolean()), fc.constantFrom(...WRITE_BODIES))
    .map(([v, path]) => ({
      method: 'PUT',
      path,
      body: JSON.stringify(v),
      status: 400,
      message: /^Request decode failed: json: cannot unmarshal (array|number|string|boolean) into Go value of type /,
    })),
);

// ---------------------------------------------------------------- unknown ids in paths

const idPart = fc.oneof(
  fc.constantFrom('..', '.', '', '%2F', '%', '?', '#', 'w1', 'service:w1', 'api', ' ', '%00'),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
);
/** Ids of every shape: slashes, dot segments, percent signs, unicode, empty. */
const unknownId = fc
  .array(idPart, { minLength: 1, maxLength: 5 })
  .map((parts) => parts.join('/'))
  .filter((id) => !EXISTING.has(id));
/** How the id goes into the path: npm (all encoded), python (slash and colon raw), raw dot segments. */
const encodeId = fc.constantFrom<(id: string) => string>(
  (id) => encodeURIComponent(id),
  (id) => id.split('/').map(encodeURIComponent).join('/').replace(/%3A/g, ':'),
  (id) =>
    id
      .split('/')
      .map((seg) => (seg === '..' || seg === '.' ? seg : encodeURIComponent(seg)))
      .join('/'),
);
const quote = (id: string) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const serviceNotFound = (id: string) =>
  new RegExp(`^Unknown service ID "${quote(id)}"\\. Ensure that the service ID is passed, not the service name\\.$`);
const checkNotFound = (id: string) =>
  new RegExp(`^Unknown check ID "${quote(id)}"\\. Ensure that the check ID is passed, not the check name\\.$`);
const exact = (s: string) => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

const unknownIdRequest: fc.Arbitrary<Bad> = fc.tuple(unknownId, encodeId, fc.nat(7)).map(([id, enc, which]) => {
  const p = enc(id);
  switch (which) {
    case 0:
      return { method: 'PUT', path: `/v1/agent/service/deregister/${p}`, status: 404, message: serviceNotFound(id) };
    case 1:
      return { method: 'GET', path: `/v1/agent/service/deregister/${p}`, status: 404, message: serviceNotFound(id) };
    case 2:
      return id === ''
        ? { method: 'PUT', path: `/v1/agent/service/maintenance/${p}?enable=true`, status: 400, message: /^Missing service ID$/ }
        : { method: 'PUT', path: `/v1/agent/service/maintenance/${p}?enable=true`, status: 404, message: serviceNotFound(id) };
    case 3:
      return { method: 'GET', path: `/v1/agent/service/${p}`, status: 404, message: exact(`unknown service ID: ${id}`) };
    case 4:
      return {
        method: 'PUT',
        path: `/v1/agent/check/${['pass', 'warn', 'fail'][id.length % 3]}/${p}?note=x`,
        status: 404,
        message: checkNotFound(id),
      };
    case 5:
      return { method: 'GET', path: `/v1/agent/check/pass/${p}`, status: 404, message: checkNotFound(id) };
    case 6:
      return {
        method: 'PUT',
        path: `/v1/agent/check/update/${p}`,
        body: '{"Status":"passing","Output":"x"}',
        status: 404,
        message: checkNotFound(id),
      };
    default:
      return { method: 'PUT', path: `/v1/agent/check/deregister/${p}`, status: 404, message: checkNotFound(id) };
  }
});

// ---------------------------------------------------------------- wrong methods

const ROUTES: [string, string[]][] = [
  ['/v1/agent/service/register', ['PUT']],
  ['/v1/agent/service/deregister/w9', ['PUT', 'GET']],
  ['/v1/agent/service/maintenance/w1?enable=true', ['PUT']],
  ['/v1/agent/check/register', ['PUT']],
  ['/v1/agent/check/deregister/c9', ['PUT', 'GET']],
  ['/v1/agent/check/pass/service:w1', ['PUT', 'GET']],
  ['/v1/agent/check/update/service:w1', ['PUT']],
  ['/v1/agent/maintenance?enable=true', ['PUT']],
  ['/v1/catalog/register', ['PUT']],
  ['/v1/catalog/deregister', ['PUT']],
  ['/v1/agent/services', ['GET']],
  ['/v1/agent/service/w1', ['GET']],
  ['/v1/agent/checks', ['GET']],
  ['/v1/agent/self', ['GET']],
  ['/v1/agent/members', ['GET']],
  ['/v1/catalog/services', ['GET']],
  ['/v1/catalog/service/web', ['GET']],
  ['/v1/catalog/nodes', ['GET']],
  ['/v1/health/service/web', ['GET']],
  ['/v1/health/checks/web', ['GET']],
  ['/v1/health/state/any', ['GET']],
  ['/v1/status/leader', ['GET']],
  ['/v1/status/peers', ['GET']],
];
const wrongMethod: fc.Arbitrary<Bad> = fc
  .tuple(fc.constantFrom(...ROUTES), fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH'), fc.option(validText, { nil: undefined }))
  .filter(([[, allowed], method]) => !allowed.includes(method))
  .map(([[path], method, body]) => ({ method, path, body, status: 405, message: exact(`method ${method} not allowed`) }));

// ---------------------------------------------------------------- query parameters

const READS = [
  '/v1/catalog/services',
  '/v1/catalog/service/web',
  '/v1/catalog/nodes',
  '/v1/health/service/web',
  '/v1/health/checks/web',
  '/v1/health/state/any',
];
const FILTERS = [
  'Service.ID == "w1"',
  'Checks.Status != "passing"',
  'Service.Tags contains "a"',
  '"a" in Service.Tags',
  'Node.Meta.rack is empty',
];
const brokenFilter = fc
  .tuple(fc.constantFrom(...FILTERS), fc.nat(5))
  .map(([f, how]) => [`(${f}`, `${f})`, `${f} and`, `not`, `${f} ==`, `${f} and "x`][how]!);
const q = (s: string) => encodeURIComponent(s);

const badQuery: fc.Arbitrary<Bad> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(...READS),
      fc.oneof(
        fc.integer({ max: -1 }).map(String),
        printable.filter((s) => s !== '' && !/^\d+$/.test(s)),
        fc.bigInt({ min: 2n ** 64n, max: 2n ** 80n }).map(String),
      ),
    )
    .map(([path, index]) => ({ method: 'GET', path: `${path}?index=${q(index)}`, status: 400, message: /^Invalid index$/ })),
  fc
    .tuple(
      fc.constantFrom(...READS),
      garbageDuration.filter((s) => s !== ''),
    )
    .map(([path, wait]) => ({ method: 'GET', path: `${path}?index=1&wait=${q(wait)}`, status: 400, message: /^Invalid wait time$/ })),
  fc
    .tuple(fc.constantFrom(...READS), fc.constantFrom('stale&consistent', 'consistent=1&stale=1', 'stale=&consistent='))
    .map(([path, flags]) => ({
      method: 'GET',
      path: `${path}?${flags}`,
      status: 400,
      message: /^Cannot specify \?stale with \?consistent, conflicting semantics\.$/,
    })),
  printable
    .filter((s) => s !== '' && !GO_BOOLS.has(s))
    .map((v) => ({ method: 'GET', path: `/v1/health/service/web?passing=${q(v)}`, status: 400, message: /^Invalid value for \?passing$/ })),
  fc.tuple(fc.constantFrom(...READS, '/v1/agent/services', '/v1/agent/checks'), brokenFilter).map(([path, f]) => ({
    method: 'GET',
    path: `${path}?filter=${q(f)}`,
    status: 400,
    message: /^Failed to create boolean expression evaluator: /,
  })),
  fc
    .tuple(
      fc.constantFrom('/v1/agent/service/maintenance/w1', '/v1/agent/maintenance'),
      printable.filter((s) => !GO_BOOLS.has(s)),
    )
    .map(([path, v]) => ({
      method: 'PUT',
      path: `${path}?enable=${q(v)}&reason=x`,
      status: 400,
      message: v === '' ? /^Missing value for enable$/ : exact(`Invalid value for enable: "${v}"`),
    })),
);

// ---------------------------------------------------------------- check and catalog bodies

const badCheckRegistration: fc.Arbitrary<Bad> = fc
  .oneof(
    fc.constant<[object, RegExp, number]>([{ Name: '' }, /^Missing check name$/, 400]),
    notString.map((v): [object, RegExp, number] => [{ Name: v }, decodeOf('CheckDefinition\\.Name'), 400]),
    withControl.map((s): [object, RegExp, number] => [{ ID: s }, /^Invalid check: CheckID: must not contain control characters$/, 400]),
    fc
      .integer({ min: 129, max: 300 })
      .map((n): [object, RegExp, number] => [{ ID: 'c'.repeat(n) }, /^Invalid check: CheckID: must be at most 128 characters/, 400]),
    fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
      .filter((s) => !EXISTING.has(s))
      .map((s): [object, RegExp, number] => [{ ServiceID: s }, exact(`ServiceID "${s}" does not exist`), 404]),
    fc
      .string({ maxLength: 12 })
      .filter((s) => !['', 'passing', 'warning', 'critical'].includes(s))
      .map((s): [object, RegExp, number] => [{ Status: s }, /^Bad check status$/, 400]),
    badTtlOf('CheckDefinition').map(([v, m]): [object, RegExp, number] => [{ TTL: v }, m, 400]),
    badHttpCheck.map(([c, m]): [object, RegExp, number] => [
      { TTL: undefined, HTTP: 'http://127.0.0.1:1/', Interval: '10s', ...c },
      m,
      400,
    ]),
    unsupportedCheck.map(([c, m]): [object, RegExp, number] => [{ TTL: undefined, ...c }, m, 400]),
  )
  .map(([override, message, status]) => ({
    method: 'PUT',
    path: '/v1/agent/check/register',
    body: JSON.stringify({ Name: 'gc', ID: 'gc-1', TTL: '1m', ...override }),
    status,
    message,
  }));

const badCheckUpdate: fc.Arbitrary<Bad> = fc.oneof(
  fc
    .string({ maxLength: 12 })
    .filter((s) => !['passing', 'warning', 'critical'].includes(s))
    .map((s) => ({
      method: 'PUT',
      path: '/v1/agent/check/update/service:w1',
      body: JSON.stringify({ Status: s, Output: 'x' }),
      status: 400,
      message: exact(`Invalid check status: '${s}'`),
    })),
  notString.map((v) => ({
    method: 'PUT',
    path: '/v1/agent/check/update/service:w1',
    body: JSON.stringify({ Status: v }),
    status: 400,
    message: /^Request decode failed: json: cannot unmarshal \w+ into Go struct field agent\.checkUpdate\.Status of type string$/,
  })),
  notString.map((v) => ({
    method: 'PUT',
    path: '/v1/agent/check/update/service:w1',
    body: JSON.stringify({ Status: 'passing', Output: v }),
    status: 400,
    message: /^Request decode failed: json: cannot unmarshal \w+ into Go struct field agent\.checkUpdate\.Output of type string$/,
  })),
);

const otherNode = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
  .filter((n) => n.toLowerCase() !== 'node-a' && n.trim() !== '');
const badCatalog: fc.Arbitrary<Bad> = fc.oneof(
  fc.tuple(otherNode, fc.constantFrom('/v1/catalog/register', '/v1/catalog/deregister')).map(([node, path]) => ({
    method: 'PUT',
    path,
    body: JSON.stringify({ Node: node, Address: '10.0.0.1', Service: { Service: 'x', Port: 1 } }),
    status: 400,
    message: exact(`Unknown node "${node}": roster serve has one node, "node-a"`),
  })),
  fc
    .constantFrom('/v1/catalog/register', '/v1/catalog/deregister')
    .map((path) => ({ method: 'PUT', path, body: '{"Address":"10.0.0.1"}', status: 400, message: /^Must provide node$/ })),
  fc.tuple(notString, fc.constantFrom('/v1/catalog/register', '/v1/catalog/deregister')).map(([v, path]) => ({
    method: 'PUT',
    path,
    body: JSON.stringify({ Node: v }),
    status: 400,
    message:
      /^Request decode failed: json: cannot unmarshal \w+ into Go struct field structs\.(RegisterRequest|DeregisterRequest)\.Node of type string$/,
  })),
  fc
    .string({ maxLength: 10 })
    .filter((s) => !['', 'passing', 'warning', 'critical'].includes(s))
    .map((s) => ({
      method: 'PUT',
      path: '/v1/catalog/register',
      body: JSON.stringify({ Node: 'node-a', Address: '127.0.0.1', Check: { Name: 'c', Status: s } }),
      status: 400,
      message: exact(`Invalid check status: '${s}'`),
    })),
);

// ---------------------------------------------------------------- the runs

const RUNS = { registration: 800, malformed: 300, ids: 500, methods: 200, query: 300, checks: 200, updates: 100, catalog: 100 };

describe('generated bad requests over a real socket: exact 4xx, a text naming the problem, no state change', () => {
  it(`registrations with one bad field (${RUNS.registration})`, () => family(badRegistration, RUNS.registration), 60_000);
  it(`malformed and truncated JSON on every write (${RUNS.malformed})`, () => family(malformedJson, RUNS.malformed), 60_000);
  it(`unknown ids of every shape on every id endpoint, never misrouted (${RUNS.ids})`, () => family(unknownIdRequest, RUNS.ids), 60_000);
  it(`wrong methods (${RUNS.methods})`, () => family(wrongMethod, RUNS.methods), 60_000);
  it(`bad query parameters (${RUNS.query})`, () => family(badQuery, RUNS.query), 60_000);
  it(`bad check registrations (${RUNS.checks})`, () => family(badCheckRegistration, RUNS.checks), 60_000);
  it(`bad check updates (${RUNS.updates})`, () => family(badCheckUpdate, RUNS.updates), 60_000);
  it(`bad catalog writes (${RUNS.catalog})`, () => family(badCatalog, RUNS.catalog), 60_000);

  it('≥ 2,000 generated, 100 % answered 4xx, the index never moved, every state dump unchanged', async () => {
    console.log(
      `bad input: ${counts.sent} generated requests, ${counts.refused4xx} answered 4xx, ${counts.other} otherwise, ` +
        `index moved ${counts.indexMoved}×, state dumps changed ${counts.dumpsChanged}×`,
    );
    expect(counts.sent).toBeGreaterThanOrEqual(2000);
    expect(counts.refused4xx).toBe(counts.sent);
    expect(counts.indexMoved).toBe(0);
    expect(counts.dumpsChanged).toBe(0);
    expect(await stateDump(t)).toBe(before);
    // The server still serves.
    expect((await t.req('GET', '/v1/agent/self')).statusCode).toBe(200);
  });
});
