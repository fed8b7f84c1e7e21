/**
 * A corpus of hostile requests, sent byte for byte over real sockets to a running roster serve:
 * malformed and truncated JSON, wrong types, bodies over the limit, deep nesting, invalid and
 * unicode names and ids, ids with `/`, `%2F` and `..`, empty ids, negative, huge and garbage
 * durations, unknown check ids, wrong methods, header injection through check definitions,
 * slow and cut-off bodies. Each must get its 4xx with a text naming what is wrong, and the
 * server's state (a full dump) must be exactly what it was. Ids with `/` and `..` are legal
 * (Consul clients use them): they must round-trip, never be resolved into another endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawConnection, type RawResponse, rawRequest } from '../testing/raw-http.test-helper.js';
import { stateDump } from '../testing/state-dump.test-helper.js';
import { closeAll, type TestServer, testServer } from '../testing/test-server.test-helper.js';

const TEXT = 'text/plain; charset=utf-8';
const MIB = 1024 * 1024;

let t: TestServer;
let port: number;
let before: string;

/** The request bytes: `method target` with a body (Content-Length) and extra header lines. */
function http(method: string, target: string, body?: string | Buffer, headers = ''): Buffer {
  const b = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body);
  const length = body === undefined ? '' : `Content-Length: ${b.length}\r\n`;
  return Buffer.concat([Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: roster\r\n${headers}${length}\r\n`), b]);
}

const send = (method: string, target: string, body?: string | Buffer, headers?: string): Promise<RawResponse> =>
  rawRequest(port, http(method, target, body, headers));

const register = (body: object) => send('PUT', '/v1/agent/service/register', JSON.stringify(body));
const check = (c: object) => ({ Name: 'web', ID: 'w9', Check: c });
const http10 = (c: object) => check({ HTTP: 'http://127.0.0.1:1/', Interval: '10s', ...c });
const nested = (open: string, close: string, depth: number, inner = '') => open.repeat(depth) + inner + close.repeat(depth);

beforeAll(async () => {
  t = testServer();
  ({ port } = await t.server.listen());
  for (const body of [
    { Name: 'web', ID: 'w1', Port: 80, Tags: ['a'], Check: { TTL: '10s' } },
    { Name: 'web', ID: 'w2', Port: 81, Check: { HTTP: 'http://127.0.0.1:1/', Interval: '10s' } },
    { Name: 'api', ID: 'api/1', Port: 82 },
    { Name: 'api', ID: 'wéb-ü 🚀', Port: 83 },
    { Name: 'dots', ID: '..', Port: 84 },
  ]) {
    expect((await t.req('PUT', '/v1/agent/service/register', body)).statusCode).toBe(200);
  }
  expect((await t.req('PUT', '/v1/agent/check/register', { Name: 'node-check', TTL: '1m' })).statusCode).toBe(200);
  before = await stateDump(t);
});

afterAll(closeAll);

/** [what, request, status, the message (exact, or a pattern)] */
type Row = [string, () => Promise<RawResponse>, number, string | RegExp];

const DECODE = /^Request decode failed: /;

const CORPUS: Row[] = [
  // Malformed and truncated JSON.
  ['truncated object', () => send('PUT', '/v1/agent/service/register', '{"Name":'), 400, DECODE],
  ['unclosed object', () => send('PUT', '/v1/agent/service/register', '{"Name":"web"'), 400, DECODE],
  ['trailing comma', () => send('PUT', '/v1/agent/service/register', '{"Name":"web",}'), 400, DECODE],
  ['single quotes', () => send('PUT', '/v1/agent/service/register', "{'Name':'web'}"), 400, DECODE],
  ['two values', () => send('PUT', '/v1/agent/service/register', '{"Name":"web"}}'), 400, DECODE],
  ['empty body', () => send('PUT', '/v1/agent/service/register', ''), 400, 'Request decode failed: EOF'],
  ['no body at all', () => send('PUT', '/v1/agent/service/register'), 400, 'Request decode failed: EOF'],
  ['white space only', () => send('PUT', '/v1/agent/service/register', ' \r\n\t '), 400, 'Request decode failed: EOF'],
  ['invalid UTF-8', () => send('PUT', '/v1/agent/service/register', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 400, DECODE],
  ['NUL bytes', () => send('PUT', '/v1/agent/service/register', Buffer.alloc(16)), 400, DECODE],
  [
    'an array',
    () => send('PUT', '/v1/agent/service/register', '[]'),
    400,
    'Request decode failed: json: cannot unmarshal array into Go value of type structs.ServiceDefinition',
  ],
  ['a string', () => send('PUT', '/v1/agent/service/register', '"web"'), 400, /cannot unmarshal string into Go value/],
  [
    'a number',
    () => send('PUT', '/v1/agent/check/register', '42'),
    400,
    /cannot unmarshal number into Go value of type structs.CheckDefinition/,
  ],
  ['truncated check update', () => send('PUT', '/v1/agent/check/update/service:w1', '{"Status":"pass'), 400, DECODE],
  ['truncated catalog registration', () => send('PUT', '/v1/catalog/register', '{"Node":"node-a","Address":'), 400, DECODE],

  // Wrong types (named by field, in Go's wording).
  ['Port as a string', () => register({ Name: 'web', Port: '80' }), 400, /structs\.ServiceDefinition\.Port of type int$/],
  [
    'fractional Port',
    () => register({ Name: 'web', Port: 80.5 }),
    400,
    /unmarshal number into Go struct field structs\.ServiceDefinition\.Port/,
  ],
  ['negative Port', () => register({ Name: 'web', Port: -1 }), 400, 'Invalid service: Port: must be between 0 and 65535, got -1'],
  ['Port over 65535', () => register({ Name: 'web', Port: 70_000 }), 400, /Port: must be between 0 and 65535/],
  ['Name as a number', () => register({ Name: 5 }), 400, /structs\.ServiceDefinition\.Name of type string$/],
  ['ID as an object', () => register({ Name: 'web', ID: {} }), 400, /structs\.ServiceDefinition\.ID of type string$/],
  ['Tags as a string', () => register({ Name: 'web', Tags: 'a,b' }), 400, /structs\.ServiceDefinition\.Tags of type \[\]string$/],
  [
    'a number in Tags',
    () => register({ Name: 'web', Tags: [1] }),
    400,
    /unmarshal number into Go struct field structs\.ServiceDefinition\.Tags/,
  ],
  ['Meta as an array', () => register({ Name: 'web', Meta: [] }), 400, /structs\.ServiceDefinition\.Meta of type map\[string\]string$/],
  [
    'a number in Meta',
    () => register({ Name: 'web', Meta: { k: 1 } }),
    400,
    /unmarshal number into Go struct field structs\.ServiceDefinition\.Meta/,
  ],
  [
    'Weights.Passing as a string',
    () => register({ Name: 'web', Weights: { Passing: '1' } }),
    400,
    /structs\.Weights\.Passing of type int$/,
  ],
  [
    'Check as a string',
    () => register({ Name: 'web', Check: 'ttl' }),
    400,
    /structs\.ServiceDefinition\.Check of type structs\.CheckType$/,
  ],
  ['Checks as an object', () => register({ Name: 'web', Checks: {} }), 400, /Checks of type \[\]structs\.CheckType$/],
  ['EnableTagOverride as a string', () => register({ Name: 'web', EnableTagOverride: 'yes' }), 400, /EnableTagOverride of type bool$/],
  [
    'TaggedAddresses entry as a string',
    () => register({ Name: 'web', TaggedAddresses: { lan: 'x' } }),
    400,
    /TaggedAddresses\.lan of type structs\.ServiceAddress$/,
  ],
  [
    'check Status as a number',
    () => send('PUT', '/v1/agent/check/update/service:w1', '{"Status":1}'),
    400,
    /structs\.checkUpdate\.Status|agent\.checkUpdate\.Status/,
  ],
  ['Header values as a number', () => register(http10({ Header: { X: [1] } })), 400, /Header\.X of type string$/],

  // Bodies over the limit, deep nesting.
  [
    'a body of 1 MiB + 1 byte',
    () => send('PUT', '/v1/agent/service/register', Buffer.alloc(MIB + 1, 0x20)),
    413,
    `Request body too large (limit ${MIB} bytes)`,
  ],
  [
    'a 4 MiB body announced by Content-Length',
    () => send('PUT', '/v1/agent/service/register', Buffer.alloc(4 * MIB, 0x20)),
    413,
    `Request body too large (limit ${MIB} bytes)`,
  ],
  [
    '100,000 nested arrays',
    () => send('PUT', '/v1/agent/service/register', nested('[', ']', 100_000)),
    400,
    /cannot unmarshal array into Go value/,
  ],
  [
    '100,000 nested arrays in Meta',
    () => send('PUT', '/v1/agent/service/register', `{"Name":"web","Meta":${nested('[', ']', 100_000)}}`),
    400,
    /Meta of type map\[string\]string$/,
  ],
  [
    '100,000 nested objects in a check',
    () => send('PUT', '/v1/agent/service/register', `{"Name":"web","Check":${nested('{"Check":', '}', 100_000, '{}')}}`),
    400,
    /^(Request decode failed: |Invalid check: )/,
  ],
  ['unterminated nesting', () => send('PUT', '/v1/agent/service/register', '{"Name":"web","Meta":' + '['.repeat(50_000)), 400, DECODE],

  // Invalid and unicode names and ids.
  ['missing Name', () => register({ ID: 'x' }), 400, 'Missing service name'],
  ['unicode Name', () => register({ Name: 'wéb' }), 400, /^Invalid service: Name: "wéb" is not a valid service name/],
  ['emoji Name', () => register({ Name: '🚀' }), 400, /^Invalid service: Name: "🚀" is not a valid service name/],
  ['Name with a space', () => register({ Name: 'my web' }), 400, /^Invalid service: Name: "my web" is not a valid service name/],
  ['Name with a slash', () => register({ Name: 'a/b' }), 400, /^Invalid service: Name: "a\/b"/],
  ['Name of 64 characters', () => register({ Name: 'a'.repeat(64) }), 400, 'Invalid service: Name: must be at most 63 characters, got 64'],
  ['ID with a NUL', () => register({ Name: 'web', ID: 'a\u0000b' }), 400, 'Invalid service: ID: must not contain control characters'],
  ['ID with a newline', () => register({ Name: 'web', ID: 'a\nb' }), 400, 'Invalid service: ID: must not contain control characters'],
  [
    'ID with a leading space',
    () => register({ Name: 'web', ID: ' w1' }),
    400,
    'Invalid service: ID: must not start or end with white space',
  ],
  [
    'ID of 129 characters',
    () => register({ Name: 'web', ID: 'x'.repeat(129) }),
    400,
    'Invalid service: ID: must be at most 128 characters, got 129',
  ],
  [
    'ID with an unpaired surrogate',
    () => send('PUT', '/v1/agent/service/register', '{"Name":"web","ID":"a\\ud800"}'),
    400,
    /^Invalid service: ID: must be well-formed Unicode/,
  ],
  [
    'CheckID with a tab',
    () => register(check({ CheckID: 'c\t1', TTL: '10s' })),
    400,
    'Invalid check: CheckID: must not contain control characters',
  ],
  [
    'check ID with an unpaired surrogate',
    () => send('PUT', '/v1/agent/check/register', '{"Name":"c","ID":"\\udc00","TTL":"1m"}'),
    400,
    /^Invalid check: CheckID: must be well-formed Unicode/,
  ],
  [
    'a tag with a NUL',
    () => register({ Name: 'web', Tags: ['a\u0000'] }),
    400,
    'Invalid service: Tags[0]: must not contain control characters',
  ],
  ['an empty tag', () => register({ Name: 'web', Tags: [''] }), 400, 'Invalid service: Tags[0]: must be 1 to 255 characters'],
  [
    '65 tags',
    () => register({ Name: 'web', Tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }),
    400,
    'Invalid service: Tags: must have at most 64 entries, got 65',
  ],
  ['a meta key with a space', () => register({ Name: 'web', Meta: { 'a b': 'v' } }), 400, /^Invalid Service Meta: Meta\.a b: key must be/],
  [
    'a reserved meta key',
    () => register({ Name: 'web', Meta: { 'consul-x': 'v' } }),
    400,
    'Invalid Service Meta: Meta.consul-x: keys starting with "consul-" are reserved',
  ],
  [
    'a meta value of 513 characters',
    () => register({ Name: 'web', Meta: { k: 'v'.repeat(513) } }),
    400,
    'Invalid Service Meta: Meta.k: value must be at most 512 characters',
  ],
  [
    '65 meta pairs',
    () => register({ Name: 'web', Meta: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) }),
    400,
    /^Invalid Service Meta: Meta: must have at most 64 keys/,
  ],
  [
    '33 checks',
    () => register({ Name: 'web', Checks: Array.from({ length: 33 }, () => ({ TTL: '10s' })) }),
    400,
    'Invalid service: Checks: must have at most 32 entries, got 33',
  ],
  ['address 0.0.0.0', () => register({ Name: 'web', Address: '0.0.0.0' }), 400, 'Invalid service address'],
  [
    'address with a space',
    () => register({ Name: 'web', Address: 'a b' }),
    400,
    /^Invalid service: Address: "a b" is neither an IP address nor a host name/,
  ],
  ['Weights.Passing 0', () => register({ Name: 'web', Weights: { Passing: 0 } }), 400, 'Invalid Weights: Passing must be greater than 0'],
  [
    'a service mesh Kind',
    () => register({ Name: 'web', Kind: 'connect-proxy' }),
    400,
    /^Invalid service: Kind: "connect-proxy" is not supported/,
  ],

  // Empty ids, ids with `/`, `%2F` and `..`: taken literally, never resolved into another route.
  [
    'empty service id (deregister)',
    () => send('PUT', '/v1/agent/service/deregister/'),
    404,
    'Unknown service ID "". Ensure that the service ID is passed, not the service name.',
  ],
  [
    'empty check id (pass)',
    () => send('PUT', '/v1/agent/check/pass/'),
    404,
    'Unknown check ID "". Ensure that the check ID is passed, not the check name.',
  ],
  ['empty service id (maintenance)', () => send('PUT', '/v1/agent/service/maintenance/?enable=true'), 400, 'Missing service ID'],
  ['empty service name (health)', () => send('GET', '/v1/health/service/'), 400, 'Missing service name'],
  ['empty node name', () => send('GET', '/v1/catalog/node/'), 400, 'Missing node name'],
  [
    '`..` into another endpoint',
    () => send('PUT', '/v1/agent/service/deregister/../register'),
    404,
    'Unknown service ID "../register". Ensure that the service ID is passed, not the service name.',
  ],
  ['`..%2F..%2F` encoded', () => send('PUT', '/v1/agent/service/deregister/..%2F..%2Fself'), 404, /^Unknown service ID "\.\.\/\.\.\/self"/],
  [
    '`%2e%2e` into a check of another service',
    () => send('PUT', '/v1/agent/check/pass/%2e%2e/service:w1'),
    404,
    /^Unknown check ID "\.\.\/service:w1"/,
  ],
  ['`..` between two ids', () => send('GET', '/v1/agent/service/w1/../w2'), 404, 'unknown service ID: w1/../w2'],
  ['a slash id that does not exist', () => send('PUT', '/v1/agent/service/deregister/api/2'), 404, /^Unknown service ID "api\/2"/],
  [
    'bad percent-encoding',
    () => send('PUT', '/v1/agent/service/deregister/%zz'),
    400,
    'Invalid URL path: bad percent-encoding in "/v1/agent/service/deregister/%zz"',
  ],
  [
    'an encoded unpaired surrogate',
    () => send('PUT', '/v1/agent/service/deregister/%ED%A0%80'),
    400,
    /^Invalid URL path: bad percent-encoding/,
  ],
  [
    'an id of 9,000 characters',
    () => send('PUT', `/v1/agent/service/deregister/${'x'.repeat(9000)}`),
    404,
    /^Unknown service ID "x{9000}"/,
  ],
  ['an encoded NUL', () => send('GET', '/v1/agent/service/w1%00'), 404, 'unknown service ID: w1\u0000'],

  // Negative, huge and garbage durations.
  ['negative TTL', () => register(check({ TTL: '-10s' })), 400, 'Invalid check: TTL must be > 0 for TTL checks'],
  ['TTL as a negative number', () => register(check({ TTL: -5 })), 400, 'Invalid check: TTL must be > 0 for TTL checks'],
  [
    'TTL that overflows int64',
    () => register(check({ TTL: '99999999h' })),
    400,
    'Request decode failed: time: invalid duration "99999999h"',
  ],
  ['TTL 1e300 ns', () => register(check({ TTL: 1e300 })), 400, /^Invalid check: TTL: must be at most 2147483647 ms/],
  ['TTL of 25 days', () => register(check({ TTL: '600h' })), 400, /^Invalid check: TTL: must be at most 2147483647 ms/],
  ['TTL in days', () => register(check({ TTL: '1d' })), 400, 'Request decode failed: time: unknown unit "d" in duration "1d"'],
  ['TTL with a space', () => register(check({ TTL: '10 s' })), 400, /^Request decode failed: time: /],
  ['empty TTL', () => register(check({ TTL: '' })), 400, 'Request decode failed: time: invalid duration ""'],
  ['TTL as a boolean', () => register(check({ TTL: true })), 400, /structs\.CheckType\.TTL of type time\.Duration$/],
  [
    'negative Interval',
    () => register(http10({ Interval: '-1s' })),
    400,
    'Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks',
  ],
  ['garbage Interval', () => register(http10({ Interval: 'soon' })), 400, 'Request decode failed: time: invalid duration "soon"'],
  ['Interval of 30 days', () => register(http10({ Interval: '720h' })), 400, /^Invalid check: Interval: must be at most/],
  [
    'Interval and TTL',
    () => register(check({ TTL: '10s', Interval: '10s' })),
    400,
    'Invalid check: Interval and TTL cannot both be specified',
  ],
  ['negative Timeout', () => register(http10({ Timeout: '-1s' })), 400, 'Invalid check: Timeout must not be negative'],
  ['huge Timeout', () => register(http10({ Timeout: '9999h' })), 400, /^Invalid check: Timeout: must be at most/],
  [
    'negative DeregisterCriticalServiceAfter',
    () => register(check({ TTL: '10s', DeregisterCriticalServiceAfter: '-1m' })),
    400,
    'Invalid check: DeregisterCriticalServiceAfter must not be negative',
  ],
  [
    'garbage DeregisterCriticalServiceAfter',
    () => register(check({ TTL: '10s', DeregisterCriticalServiceAfter: 'never' })),
    400,
    'Request decode failed: time: invalid duration "never"',
  ],
  ['garbage ?wait', () => send('GET', '/v1/catalog/services?index=1&wait=abc'), 400, 'Invalid wait time'],
  ['?wait without a unit', () => send('GET', '/v1/health/service/web?index=1&wait=10'), 400, 'Invalid wait time'],
  ['negative ?index', () => send('GET', '/v1/catalog/services?index=-1'), 400, 'Invalid index'],
  ['?index over 2^64', () => send('GET', '/v1/catalog/services?index=18446744073709551616'), 400, 'Invalid index'],
  ['?index garbage', () => send('GET', '/v1/health/checks/web?index=ten'), 400, 'Invalid index'],

  // Unknown check ids, bad statuses.
  [
    'pass of an unknown check',
    () => send('PUT', '/v1/agent/check/pass/nope'),
    404,
    'Unknown check ID "nope". Ensure that the check ID is passed, not the check name.',
  ],
  ['warn of an unknown check', () => send('PUT', '/v1/agent/check/warn/nope?note=x'), 404, /^Unknown check ID "nope"/],
  ['fail of an unknown check (GET)', () => send('GET', '/v1/agent/check/fail/nope'), 404, /^Unknown check ID "nope"/],
  ['update of an unknown check', () => send('PUT', '/v1/agent/check/update/nope', '{"Status":"passing"}'), 404, /^Unknown check ID "nope"/],
  ['deregister of an unknown check', () => send('PUT', '/v1/agent/check/deregister/nope'), 404, /^Unknown check ID "nope"/],
  ['pass of serfHealth', () => send('PUT', '/v1/agent/check/pass/serfHealth'), 404, /^Unknown check ID "serfHealth"/],
  ['deregister of serfHealth', () => send('PUT', '/v1/agent/check/deregister/serfHealth'), 404, /^Unknown check ID "serfHealth"/],
  [
    'a check id given as a name',
    () => send('PUT', "/v1/agent/check/pass/Service%20'web'%20check"),
    404,
    /^Unknown check ID "Service 'web' check"/,
  ],
  [
    'update with status maintenance',
    () => send('PUT', '/v1/agent/check/update/service:w1', '{"Status":"maintenance"}'),
    400,
    "Invalid check status: 'maintenance'",
  ],
  ['update without status', () => send('PUT', '/v1/agent/check/update/service:w1', '{"Output":"x"}'), 400, "Invalid check status: ''"],
  [
    'registration with status unknown',
    () => register(check({ TTL: '10s', Status: 'unknown' })),
    400,
    "Status for checks must 'passing', 'warning', 'critical'",
  ],
  [
    'check for an unknown service',
    () => send('PUT', '/v1/agent/check/register', '{"Name":"c","TTL":"1m","ServiceID":"nope"}'),
    404,
    'ServiceID "nope" does not exist',
  ],
  ['check without a name', () => send('PUT', '/v1/agent/check/register', '{"TTL":"1m"}'), 400, 'Missing check name'],
  [
    'check registered as serfHealth',
    () => send('PUT', '/v1/agent/check/register', '{"Name":"serfHealth","TTL":"1m"}'),
    400,
    'Check ID "serfHealth" is reserved',
  ],
  [
    'deregister of an unknown service',
    () => send('PUT', '/v1/agent/service/deregister/nope'),
    404,
    'Unknown service ID "nope". Ensure that the service ID is passed, not the service name.',
  ],
  [
    'maintenance of an unknown service',
    () => send('PUT', '/v1/agent/service/maintenance/nope?enable=true'),
    404,
    /^Unknown service ID "nope"/,
  ],

  // Wrong methods (405 with Allow), unknown endpoints.
  ['POST to register', () => send('POST', '/v1/agent/service/register', '{"Name":"web"}'), 405, 'method POST not allowed'],
  ['DELETE of a service', () => send('DELETE', '/v1/agent/service/deregister/w1'), 405, 'method DELETE not allowed'],
  ['PATCH of a check', () => send('PATCH', '/v1/agent/check/pass/service:w1'), 405, 'method PATCH not allowed'],
  ['PUT to a read', () => send('PUT', '/v1/health/service/web', '[]'), 405, 'method PUT not allowed'],
  ['GET to register', () => send('GET', '/v1/agent/service/register'), 405, 'method GET not allowed'],
  ['GET to maintenance', () => send('GET', '/v1/agent/service/maintenance/w1?enable=true'), 405, 'method GET not allowed'],
  ['GET to check update', () => send('GET', '/v1/agent/check/update/service:w1'), 405, 'method GET not allowed'],
  ['POST to catalog register', () => send('POST', '/v1/catalog/register', '{}'), 405, 'method POST not allowed'],
  ['DELETE to status', () => send('DELETE', '/v1/status/leader'), 405, 'method DELETE not allowed'],
  [
    'an endpoint roster does not have',
    () => send('PUT', '/v1/kv/key', 'value'),
    404,
    'Invalid URL path: not a recognized HTTP API endpoint\n',
  ],
  [
    'a method HTTP does not have',
    () => send('BREW', '/v1/agent/self'),
    400,
    'Bad request: malformed HTTP: Invalid method encountered (HPE_INVALID_METHOD)',
  ],

  // Header injection through check definitions (the server makes these requests).
  [
    'CR LF in the check URL',
    () => register(http10({ HTTP: 'http://127.0.0.1:1/\r\nHost: evil' })),
    400,
    'Invalid check: HTTP: must not contain white space or control characters',
  ],
  [
    'a space in the check URL',
    () => register(http10({ HTTP: 'http://127.0.0.1:1/ HTTP/1.1' })),
    400,
    'Invalid check: HTTP: must not contain white space or control characters',
  ],
  [
    'a non-HTTP check URL',
    () => register(http10({ HTTP: 'file:///etc/passwd' })),
    400,
    'Invalid check: HTTP: must be an http or https URL, got file:',
  ],
  [
    'CR LF in a header value',
    () => register(http10({ Header: { 'X-A': ['a\r\nInjected: 1'] } })),
    400,
    'Invalid check: Header.X-A[0]: must not contain CR, LF or NUL (header injection)',
  ],
  [
    'LF in a header value string',
    () => register(http10({ Header: { Host: 'evil\n' } })),
    400,
    'Invalid check: Header.Host[0]: must not contain CR, LF or NUL (header injection)',
  ],
  [
    'CR LF in a header name',
    () => register(http10({ Header: { 'X\r\nY': ['a'] } })),
    400,
    'Invalid check: Header.X\\r\\nY: is not a valid header name',
  ],
  [
    'CR LF in the method',
    () => register(http10({ Method: 'GET /admin HTTP/1.1\r\n' })),
    400,
    /^Invalid check: Method: must be an upper-case HTTP method/,
  ],
  [
    'CR LF in the TLS server name',
    () => register(http10({ TLSServerName: 'a\r\nb' })),
    400,
    'Invalid check: TLSServerName: "a\\r\\nb" is not a host name',
  ],
  [
    'CR LF in a TCP target',
    () => register(check({ TCP: '127.0.0.1:80\r\n', Interval: '10s' })),
    400,
    /^Invalid check: TCP: must be "host:port"/,
  ],
  [
    'CR LF in a standalone check URL',
    () => send('PUT', '/v1/agent/check/register', JSON.stringify({ Name: 'c', HTTP: 'http://a/\r\nX: y', Interval: '10s' })),
    400,
    /^Invalid check: HTTP: must not contain/,
  ],
  [
    'a script check',
    () => register(check({ Args: ['/bin/sh', '-c', 'id'], Interval: '10s' })),
    400,
    'Invalid check: script checks are not supported (roster never runs commands)',
  ],

  // Query parameters.
  [
    '?stale and ?consistent',
    () => send('GET', '/v1/catalog/services?stale&consistent'),
    400,
    'Cannot specify ?stale with ?consistent, conflicting semantics.',
  ],
  ['?passing=maybe', () => send('GET', '/v1/health/service/web?passing=maybe'), 400, 'Invalid value for ?passing'],
  ['?enable missing', () => send('PUT', '/v1/agent/service/maintenance/w1'), 400, 'Missing value for enable'],
  ['?enable=maybe', () => send('PUT', '/v1/agent/maintenance?enable=maybe'), 400, 'Invalid value for enable: "maybe"'],
  [
    'a filter that does not parse',
    () => send('GET', '/v1/health/service/web?filter=Service.ID%20%3D%3D'),
    400,
    /^Failed to create boolean expression evaluator: expected a value at position/,
  ],
  [
    'a filter over 4096 characters',
    () => send('GET', `/v1/agent/services?filter=${'a'.repeat(4097)}`),
    400,
    /expression longer than 4096 characters/,
  ],
  [
    'a filter nested 100 deep',
    () => send('GET', `/v1/agent/checks?filter=${encodeURIComponent(nested('(', ')', 100, 'Status == "passing"'))}`),
    400,
    /expression nested too deeply/,
  ],
  [
    'a backtracking regular expression',
    () => send('GET', `/v1/catalog/services?filter=${encodeURIComponent('ServiceID matches "(a+)+$"')}`),
    400,
    /nested quantifiers are not supported/,
  ],

  // Catalog writes.
  [
    'catalog registration for another node',
    () => send('PUT', '/v1/catalog/register', '{"Node":"other","Address":"10.0.0.1"}'),
    400,
    'Unknown node "other": roster serve has one node, "node-a"',
  ],
  ['catalog registration without a node', () => send('PUT', '/v1/catalog/register', '{"Address":"10.0.0.1"}'), 400, 'Must provide node'],
  [
    'catalog registration without an address',
    () => send('PUT', '/v1/catalog/register', '{"Node":"node-a"}'),
    400,
    'Must provide address if SkipNodeUpdate is not set',
  ],
  [
    'catalog check with a bad status',
    () => send('PUT', '/v1/catalog/register', '{"Node":"node-a","Address":"a","Check":{"Name":"c","Status":"ok"}}'),
    400,
    "Invalid check status: 'ok'",
  ],
  [
    'catalog deregistration for another node',
    () => send('PUT', '/v1/catalog/deregister', '{"Node":"other"}'),
    400,
    'Unknown node "other": roster serve has one node, "node-a"',
  ],
];

describe('a corpus of hostile requests over real sockets', () => {
  it.each(CORPUS)('%s', async (_what, request, status, message) => {
    const r = await request();
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toBe(TEXT);
    if (typeof message === 'string') expect(r.body).toBe(message);
    else expect(r.body).toMatch(message);
  });

  it('changed nothing: the full state dump is what it was', async () => {
    expect(await stateDump(t)).toBe(before);
  });
});

describe('cut-off and slow bodies', () => {
  it('a body cut off before its Content-Length (client half-closes) gets nothing done and hangs nothing', async () => {
    const c = await RawConnection.open(port);
    c.write(http('PUT', '/v1/agent/service/register', undefined, 'Content-Length: 100\r\n'));
    c.write('{"Name":"cut","ID":"cut-1"');
    c.socket.end();
    await c.waitClosed(5000);
    const r = await send('GET', '/v1/status/leader');
    expect(r.status).toBe(200);
    expect(await stateDump(t)).toBe(before);
  });

  it('a malformed body trickled byte by byte is answered 400 once complete, while others are served', async () => {
    const body = '{"Name":"web","Port":"eighty"}';
    const c = await RawConnection.open(port);
    c.write(http('PUT', '/v1/agent/service/register', undefined, `Content-Length: ${body.length}\r\n`));
    for (const ch of body) {
      c.write(ch);
      expect((await send('GET', '/v1/status/peers')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const r = await c.read();
    c.close();
    expect([r.status, r.body]).toEqual([
      400,
      'Request decode failed: json: cannot unmarshal string into Go struct field structs.ServiceDefinition.Port of type int',
    ]);
    expect(await stateDump(t)).toBe(before);
  });

  it('a chunked body over the limit gets 413', async () => {
    const c = await RawConnection.open(port);
    c.write('PUT /v1/agent/service/register HTTP/1.1\r\nHost: roster\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    for (let sent = 0; sent <= MIB + chunk.length && !c.closed; sent += chunk.length) {
      c.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    }
    const answer = await c.read();
    c.close();
    expect([answer.status, answer.body]).toEqual([413, `Request body too large (limit ${MIB} bytes)`]);
    expect(await stateDump(t)).toBe(before);
  });
});

describe('the two deliberate 5xx answers (Consul returns them; clients match on them)', () => {
  it('TTL update of a check that is not a TTL check: 500 with Consul wording; another datacenter: 500', async () => {
    const r = await send('PUT', '/v1/agent/check/pass/service:w2');
    expect([r.status, r.headers['content-type'], r.body]).toEqual([500, TEXT, 'CheckID "service:w2" does not have associated TTL']);
    const dc = await send('GET', '/v1/catalog/services?dc=dc2');
    expect([dc.status, dc.body]).toEqual([500, 'No path to datacenter']);
    expect(await stateDump(t)).toBe(before);
  });
});

describe('ids with `/`, `%2F`, `..`, unicode: legal, and they round-trip', () => {
  it('reads and removes each by its raw and by its encoded path, and never touches another', async () => {
    const s = testServer();
    const { port: p } = await s.server.listen();
    const raw = (method: string, target: string) => rawRequest(p, http(method, target));
    for (const id of ['api/1', '..', '../w1', 'a/./b', 'wéb-ü 🚀', '%2F', 'w1']) {
      expect((await s.req('PUT', '/v1/agent/service/register', { Name: 'web', ID: id, Check: { TTL: '1m' } })).statusCode, id).toBe(200);
    }
    const ids = async () => Object.keys(await s.get('/v1/agent/services')).sort();
    const all = ['%2F', '..', '../w1', 'a/./b', 'api/1', 'w1', 'wéb-ü 🚀'];
    expect(await ids()).toEqual(all);
    // Raw slashes and dot segments reach the server unresolved (a raw socket does not normalize).
    expect(JSON.parse((await raw('GET', '/v1/agent/service/api/1')).body).ID).toBe('api/1');
    expect(JSON.parse((await raw('GET', '/v1/agent/service/..')).body).ID).toBe('..');
    expect(JSON.parse((await raw('GET', '/v1/agent/service/../w1')).body).ID).toBe('../w1');
    expect(JSON.parse((await raw('GET', '/v1/agent/service/a/./b')).body).ID).toBe('a/./b');
    expect(JSON.parse((await raw('GET', '/v1/agent/service/%252F')).body).ID).toBe('%2F');
    expect(JSON.parse((await raw('GET', `/v1/agent/service/${encodeURIComponent('wéb-ü 🚀')}`)).body).ID).toBe('wéb-ü 🚀');
    // A TTL pass addressed to `../w1`'s check changes that check, not w1's.
    expect((await raw('PUT', '/v1/agent/check/pass/service:../w1')).status).toBe(200);
    const checks = await s.get<Record<string, { Status: string }>>('/v1/agent/checks');
    expect([checks['service:../w1']?.Status, checks['service:w1']?.Status]).toEqual(['passing', 'critical']);
    // Deregistrations, one each: raw `..` removes `..` only; `%2F` encoded removes `api/1`.
    expect((await raw('PUT', '/v1/agent/service/deregister/..')).status).toBe(200);
    expect(await ids()).toEqual(all.filter((i) => i !== '..'));
    expect((await raw('PUT', '/v1/agent/service/deregister/api%2F1')).status).toBe(200);
    expect((await raw('PUT', '/v1/agent/service/deregister/../w1')).status).toBe(200);
    expect((await raw('PUT', '/v1/agent/service/deregister/a%2F.%2Fb')).status).toBe(200);
    expect((await raw('PUT', '/v1/agent/service/deregister/%252F')).status).toBe(200);
    expect((await raw('PUT', `/v1/agent/service/deregister/${encodeURIComponent('wéb-ü 🚀')}`)).status).toBe(200);
    expect(await ids()).toEqual(['w1']);
    // An empty ID in the body means "the name" (Consul).
    expect((await s.req('PUT', '/v1/agent/service/register', { Name: 'named', ID: '' })).statusCode).toBe(200);
    expect(await ids()).toEqual(['named', 'w1']);
  });
});
