import { describe, expect, it } from 'vitest';
import { resolveDnsOptions } from './dns-options.js';

describe('resolveDnsOptions', () => {
  it('defaults: 127.0.0.1:8600, consul., TTL 0, no A cap, 3 UDP answers, TC on', () => {
    expect(resolveDnsOptions({})).toMatchObject({
      port: 8600,
      bind: '127.0.0.1',
      domain: 'consul.',
      altDomain: undefined,
      nodeTtl: 0,
      aRecordLimit: 0,
      udpAnswerLimit: 3,
      weightedA: false,
      truncate: true,
      token: '',
      rateLimit: 10_000,
      maxQueryBytes: 4096,
    });
  });

  it('port -1 turns DNS off; domains are normalized', () => {
    expect(resolveDnsOptions({ port: -1 })).toBeUndefined();
    expect(resolveDnsOptions({ domain: 'Roster.Test', altDomain: 'alt.' })).toMatchObject({ domain: 'roster.test.', altDomain: 'alt.' });
  });

  it.each([
    [{ port: 70_000 }, 'dns.port'],
    [{ port: 1.5 }, 'dns.port'],
    [{ bind: 'localhost' }, 'dns.bind'],
    [{ domain: '' }, 'dns.domain'],
    [{ domain: 'a..b' }, 'dns.domain'],
    [{ domain: 'consul', altDomain: 'consul.' }, 'dns.altDomain'],
    [{ serviceTtl: { web: -1 } }, 'dns.serviceTtl.web'],
    [{ serviceTtl: { 'a*b': 1 } }, 'dns.serviceTtl'],
    [{ nodeTtl: 1.5 }, 'dns.nodeTtl'],
    [{ aRecordLimit: -1 }, 'dns.aRecordLimit'],
    [{ udpAnswerLimit: 9 }, 'dns.udpAnswerLimit'],
    [{ weightedA: 'yes' }, 'dns.weightedA'],
    [{ rateLimit: -5 }, 'dns.rateLimit'],
    [{ maxQueryBytes: 100 }, 'dns.maxQueryBytes'],
    [{ token: 5 }, 'dns.token'],
  ])('%j is refused naming %s', (options, name) => {
    expect(() => resolveDnsOptions(options as never)).toThrow(
      expect.objectContaining({ code: 'ROSTER_ERR_INVALID_ARGUMENT', message: expect.stringContaining(name) }),
    );
  });
});
