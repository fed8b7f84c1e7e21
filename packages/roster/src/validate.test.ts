import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { LIMITS } from './limits.js';
import { validateRegistration } from './validate.js';

const base = { service: 'orders', address: '10.0.0.5', port: 8080 };

describe('validateRegistration: good input is normalized', () => {
  it('fills every default', () => {
    expect(validateRegistration(base)).toEqual({
      service: 'orders',
      id: 'orders-10.0.0.5-8080',
      address: '10.0.0.5',
      port: 8080,
      tags: [],
      meta: {},
      weight: 1,
      zone: '',
      checks: [],
      ttlMs: 0,
    });
  });

  it.each([
    ['Go duration string', '10s', 10_000],
    ['composite Go duration', '1m30s', 90_000],
    ['milliseconds as a number', 2500, 2500],
    ['Go ms units', '120000ms', 120_000],
  ])('ttl as %s', (_, ttl, ms) => {
    expect(validateRegistration({ ...base, ttl }).ttlMs).toBe(ms);
  });

  it('derives check ids and names the way Consul does', () => {
    const one = validateRegistration({ ...base, id: 'o-1', checks: [{ kind: 'ttl', ttl: '5s' }] });
    expect(one.checks[0]).toMatchObject({ id: 'service:o-1', name: "Service 'orders' check", status: 'critical' });
    const two = validateRegistration({
      ...base,
      id: 'o-1',
      checks: [
        { kind: 'http', url: 'http://10.0.0.5:8080/health', interval: '10s' },
        { kind: 'tcp', target: '10.0.0.5:8080', interval: 5000, timeout: '1s' },
      ],
    });
    expect(two.checks.map((c) => c.id)).toEqual(['service:o-1:1', 'service:o-1:2']);
    expect(two.checks[0]).toMatchObject({ kind: 'http', intervalMs: 10_000, timeoutMs: 10_000, method: 'GET' });
    expect(two.checks[1]).toMatchObject({ kind: 'tcp', intervalMs: 5000, timeoutMs: 1000 });
  });

  it('caps the default check timeout at the interval', () => {
    const r = validateRegistration({ ...base, checks: [{ kind: 'http', url: 'http://a/h', interval: '2s' }] });
    expect(r.checks[0]).toMatchObject({ timeoutMs: 2000 });
  });

  it('accepts IPv6 addresses, host names, ids with slashes and unicode', () => {
    expect(validateRegistration({ ...base, address: '::1' }).address).toBe('::1');
    expect(validateRegistration({ ...base, address: 'orders-1.internal' }).address).toBe('orders-1.internal');
    expect(validateRegistration({ ...base, id: 'web/1 ünïcode' }).id).toBe('web/1 ünïcode');
    expect(validateRegistration({ ...base, id: 'web-🚀' }).id).toBe('web-🚀');
  });

  it('accepts the limits themselves', () => {
    const r = validateRegistration({
      ...base,
      service: 'a'.repeat(LIMITS.serviceNameMax),
      id: 'i'.repeat(LIMITS.idMax),
      tags: Array.from({ length: LIMITS.tagsMax }, (_, i) => `t${i}`),
      meta: Object.fromEntries(Array.from({ length: LIMITS.metaPairsMax }, (_, i) => [`k${i}`, 'v'.repeat(LIMITS.metaValueMax)])),
      weight: LIMITS.weightMax,
      port: 65_535,
      ttl: LIMITS.durationMaxMs,
    });
    expect(r.tags).toHaveLength(LIMITS.tagsMax);
  });
});

describe('validateRegistration: bad input names the field', () => {
  const cases: [string, unknown, string, RegExp][] = [
    ['not an object', 'orders', 'registration', /must be an object/],
    ['null', null, 'registration', /must be an object, got null/],
    ['missing service', { address: 'a', port: 1 }, 'service', /must be a string/],
    ['empty service', { ...base, service: '' }, 'service', /must not be empty/],
    ['service too long', { ...base, service: 'a'.repeat(64) }, 'service', /at most 63/],
    ['service with a space', { ...base, service: 'my service' }, 'service', /not a valid service name/],
    ['service with a slash', { ...base, service: 'a/b' }, 'service', /not a valid service name/],
    ['service starting with a dash', { ...base, service: '-a' }, 'service', /not a valid service name/],
    ['empty id', { ...base, id: '' }, 'id', /must not be empty/],
    ['id too long', { ...base, id: 'x'.repeat(129) }, 'id', /at most 128/],
    ['id with a newline', { ...base, id: 'a\nb' }, 'id', /control characters/],
    ['id with spaces around', { ...base, id: ' a' }, 'id', /white space/],
    ['id with an unpaired surrogate', { ...base, id: 'a\ud800b' }, 'id', /well-formed Unicode/],
    ['id with an unpaired low surrogate', { ...base, id: '\udc00' }, 'id', /well-formed Unicode/],
    ['numeric id', { ...base, id: 5 }, 'id', /must be a string/],
    ['empty address', { ...base, address: '' }, 'address', /must not be empty/],
    ['0.0.0.0', { ...base, address: '0.0.0.0' }, 'address', /unspecified address/],
    ['::', { ...base, address: '::' }, 'address', /unspecified address/],
    ['address with a space', { ...base, address: 'a b' }, 'address', /neither an IP address nor a host name/],
    ['port 0', { ...base, port: 0 }, 'port', /between 1 and 65535/],
    ['port 65536', { ...base, port: 65_536 }, 'port', /between 1 and 65535/],
    ['port as a string', { ...base, port: '80' }, 'port', /must be an integer/],
    ['fractional port', { ...base, port: 80.5 }, 'port', /must be an integer/],
    ['tags not an array', { ...base, tags: 'a,b' }, 'tags', /must be an array/],
    ['too many tags', { ...base, tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }, 'tags', /at most 64/],
    ['empty tag', { ...base, tags: [''] }, 'tags[0]', /1 to 255/],
    ['tag too long', { ...base, tags: ['x'.repeat(256)] }, 'tags[0]', /1 to 255/],
    ['meta not an object', { ...base, meta: ['a'] }, 'meta', /must be an object/],
    ['meta key with a dot', { ...base, meta: { 'a.b': 'v' } }, 'meta.a.b', /key must be/],
    ['meta key reserved', { ...base, meta: { 'consul-x': 'v' } }, 'meta.consul-x', /reserved/],
    ['meta value not a string', { ...base, meta: { a: 1 } }, 'meta.a', /must be a string/],
    ['meta value too long', { ...base, meta: { a: 'v'.repeat(513) } }, 'meta.a', /at most 512/],
    [
      'too many meta keys',
      { ...base, meta: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) },
      'meta',
      /at most 64/,
    ],
    ['weight 0', { ...base, weight: 0 }, 'weight', /between 1 and 65535/],
    ['weight too big', { ...base, weight: 70_000 }, 'weight', /between 1 and 65535/],
    ['zone with a space', { ...base, zone: 'eu west' }, 'zone', /letters, digits/],
    ['ttl garbage', { ...base, ttl: 'soon' }, 'ttl', /invalid duration "soon"/],
    ['ttl without unit', { ...base, ttl: '10' }, 'ttl', /missing unit/],
    ['ttl negative', { ...base, ttl: '-5s' }, 'ttl', /at least 1000 ms/],
    ['ttl too short', { ...base, ttl: 500 }, 'ttl', /at least 1000 ms/],
    ['ttl beyond the timer limit', { ...base, ttl: '600h' }, 'ttl', /at most 2147483647 ms/],
    ['ttl NaN', { ...base, ttl: Number.NaN }, 'ttl', /finite/],
    ['ttl as an object', { ...base, ttl: {} }, 'ttl', /milliseconds \(number\) or a duration string/],
    ['checks not an array', { ...base, checks: {} }, 'checks', /must be an array/],
    ['check not an object', { ...base, checks: [1] }, 'checks[0]', /must be an object/],
    ['script check', { ...base, checks: [{ kind: 'script', args: ['sh'] }] }, 'checks[0].kind', /"http", "tcp" or "ttl"/],
    ['http check without url', { ...base, checks: [{ kind: 'http', interval: '10s' }] }, 'checks[0].url', /must be a string/],
    [
      'http check with ftp url',
      { ...base, checks: [{ kind: 'http', url: 'ftp://a/b', interval: '10s' }] },
      'checks[0].url',
      /http or https/,
    ],
    [
      'http check url with CRLF',
      { ...base, checks: [{ kind: 'http', url: 'http://a/\r\nX: y', interval: '10s' }] },
      'checks[0].url',
      /white space/,
    ],
    [
      'http check without interval',
      { ...base, checks: [{ kind: 'http', url: 'http://a/' }] },
      'checks[0].interval',
      /must be milliseconds/,
    ],
    [
      'http check interval too short',
      { ...base, checks: [{ kind: 'http', url: 'http://a/', interval: '100ms' }] },
      'checks[0].interval',
      /at least 1000/,
    ],
    [
      'http check bad method',
      { ...base, checks: [{ kind: 'http', url: 'http://a/', interval: '1s', method: 'get' }] },
      'checks[0].method',
      /upper-case/,
    ],
    [
      'header injection',
      { ...base, checks: [{ kind: 'http', url: 'http://a/', interval: '1s', headers: { 'X-A': ['ok\r\nInjected: 1'] } }] },
      'checks[0].headers.X-A[0]',
      /header injection/,
    ],
    [
      'bad header name',
      { ...base, checks: [{ kind: 'http', url: 'http://a/', interval: '1s', headers: { 'X A': 'v' } }] },
      'checks[0].headers.X A',
      /not a valid header name/,
    ],
    ['tcp check without port', { ...base, checks: [{ kind: 'tcp', target: 'host', interval: '1s' }] }, 'checks[0].target', /host:port/],
    [
      'tcp check port 0',
      { ...base, checks: [{ kind: 'tcp', target: 'host:0', interval: '1s' }] },
      'checks[0].target',
      /between 1 and 65535/,
    ],
    ['ttl check with an interval', { ...base, checks: [{ kind: 'ttl', ttl: '5s', interval: '1s' }] }, 'checks[0].interval', /no interval/],
    ['ttl check without ttl', { ...base, checks: [{ kind: 'ttl' }] }, 'checks[0].ttl', /must be milliseconds/],
    [
      'bad check status',
      { ...base, checks: [{ kind: 'ttl', ttl: '5s', status: 'maintenance' }] },
      'checks[0].status',
      /"passing", "warning" or "critical"/,
    ],
    [
      'negative threshold',
      { ...base, checks: [{ kind: 'ttl', ttl: '5s', failuresBeforeCritical: -1 }] },
      'checks[0].failuresBeforeCritical',
      /between 0/,
    ],
    [
      'warning threshold above critical',
      { ...base, checks: [{ kind: 'ttl', ttl: '5s', failuresBeforeCritical: 2, failuresBeforeWarning: 3 }] },
      'checks[0].failuresBeforeWarning',
      /must not exceed/,
    ],
    [
      'deregister-critical-after too short',
      { ...base, checks: [{ kind: 'ttl', ttl: '5s', deregisterCriticalAfter: '10ms' }] },
      'checks[0].deregisterCriticalAfter',
      /at least 1000/,
    ],
    [
      'duplicate check ids',
      {
        ...base,
        checks: [
          { kind: 'ttl', ttl: '5s', id: 'c' },
          { kind: 'ttl', ttl: '5s', id: 'c' },
        ],
      },
      'checks[1].id',
      /duplicate/,
    ],
    ['too many checks', { ...base, checks: Array.from({ length: 33 }, () => ({ kind: 'ttl', ttl: '5s' })) }, 'checks', /at most 32/],
  ];

  it.each(cases)('%s', (_, input, field, message) => {
    let caught: unknown;
    try {
      validateRegistration(input);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    const error = caught as InvalidArgumentError;
    expect(error.field).toBe(field);
    expect(error.code).toBe('ROSTER_ERR_INVALID_ARGUMENT');
    expect(error.retryable).toBe(false);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    expect(error.message).toMatch(message);
  });
});
