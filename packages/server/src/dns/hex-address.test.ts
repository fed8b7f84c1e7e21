import { describe, expect, it } from 'vitest';
import { addressOfHex, hexOfAddress } from './hex-address.js';
import { reverseAddress } from './reverse-address.js';
import { serviceTtl } from './service-ttl.js';

describe('hex .addr. labels', () => {
  it.each([
    ['192.0.2.10', 'c000020a'],
    ['127.0.0.1', '7f000001'],
    ['::1', '00000000000000000000000000000001'],
    ['2001:db8::ff00:42:8329', '20010db8000000000000ff0000428329'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
  ])('%s ↔ %s', (address, hex) => {
    expect(hexOfAddress(address)).toBe(hex);
    const back = addressOfHex(hex)!;
    expect(hexOfAddress(back.address)).toBe(hex);
  });

  it('rejects other labels', () => {
    expect(hexOfAddress('example.com')).toBeUndefined();
    for (const hex of ['', 'c00002', 'c000020a0', 'zz00020a', '0'.repeat(31)]) expect(addressOfHex(hex)).toBeUndefined();
  });

  it('reverse names', () => {
    expect(reverseAddress('10.2.0.192.in-addr.arpa')).toBe('192.0.2.10');
    expect(reverseAddress(`${'1.'}${'0.'.repeat(31)}ip6.arpa`)).toBe('0:0:0:0:0:0:0:1');
    for (const name of ['2.0.192.in-addr.arpa', '256.2.0.192.in-addr.arpa', '01.2.0.192.in-addr.arpa', 'x.ip6.arpa', 'example.com'])
      expect(reverseAddress(name)).toBeUndefined();
  });

  it('service TTLs: exact name, longest prefix*, *, else 0', () => {
    const ttls = { web: 30, 'we*': 20, 'w*': 10, '*': 5 };
    expect(serviceTtl('WEB', ttls)).toBe(30);
    expect(serviceTtl('west', ttls)).toBe(20);
    expect(serviceTtl('wx', ttls)).toBe(10);
    expect(serviceTtl('db', ttls)).toBe(5);
    expect(serviceTtl('db', {})).toBe(0);
  });
});
