import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cacheQueryKey, ResponseCache } from './response-cache.js';

describe('ResponseCache', () => {
  it('hits only at the same version and evicts the least recently used beyond its bounds', () => {
    const cache = new ResponseCache(100, 3);
    cache.set('a', 'v1', Buffer.from('aa'));
    expect(cache.get('a', 'v1')?.toString()).toBe('aa');
    expect(cache.get('a', 'v2')).toBeUndefined();
    expect(cache.get('a', 'v1')).toBeUndefined();
    cache.set('a', 'v', Buffer.from('1'));
    cache.set('b', 'v', Buffer.from('2'));
    cache.set('c', 'v', Buffer.from('3'));
    cache.get('a', 'v');
    cache.set('d', 'v', Buffer.from('4'));
    expect(cache.get('b', 'v')).toBeUndefined();
    expect(cache.get('a', 'v')).toBeDefined();
    cache.set('big', 'v', Buffer.alloc(26));
    expect(cache.get('big', 'v')).toBeUndefined();
    expect(cache.bytes).toBeLessThanOrEqual(100);
  });

  it('keys queries canonically, ignoring parameters that do not shape the body', () => {
    expect(cacheQueryKey(new URLSearchParams('tag=b&tag=a&index=5&wait=1s&stale=&token=x&passing=1'))).toBe('passing=1&tag=a&tag=b');
    expect(cacheQueryKey(new URLSearchParams('pretty'))).toBe('pretty=');
  });

  it('compresses a cached version once for every reader, and counts and forgets its bytes', async () => {
    const cache = new ResponseCache(10_000, 10);
    const body = Buffer.from(JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ i, x: 'same text' }))));
    cache.set('k', 'v1', body);
    const first = cache.gzip('k', 'v1', body);
    expect(cache.gzip('k', 'v1', body)).toBe(first);
    const gz = await first;
    expect(gunzipSync(gz).equals(body)).toBe(true);
    expect(cache.bytes).toBe(body.length + gz.length);
    // Another version, or a body that is not the cached one: compressed for that caller only.
    expect(cache.gzip('k', 'v2', body)).not.toBe(first);
    const other = Buffer.from(body);
    expect(cache.gzip('k', 'v1', other)).not.toBe(first);
    // A new version replaces the entry and its compressed bytes.
    cache.set('k', 'v2', Buffer.from('[]'));
    expect(cache.bytes).toBe(2);
  });
});
