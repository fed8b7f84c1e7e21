import { describe, expect, it } from 'vitest';
import { etcdSettings, parseEtcdUrl } from './etcd-options.js';

describe('etcd URL', () => {
  it.each([
    ['etcd://127.0.0.1:2379', { hosts: ['127.0.0.1:2379'], secure: false }],
    ['etcd://h1:2379,h2:2380,h3', { hosts: ['h1:2379', 'h2:2380', 'h3:2379'], secure: false }],
    ['etcd+https://a.example.com', { hosts: ['a.example.com:2379'], secure: true }],
    ['etcd+http://[::1]:2379/', { hosts: ['[::1]:2379'], secure: false }],
    ['etcd://root:p%40ss:w@h1', { hosts: ['h1:2379'], secure: false, username: 'root', password: 'p@ss:w' }],
    ['https://h1:2379,h2:2379', { hosts: ['h1:2379', 'h2:2379'], secure: true }],
  ])('%s', (url, expected) => {
    expect(parseEtcdUrl(url)).toEqual(expected);
  });

  it.each([
    ['consul://h:8500', /scheme must be/],
    ['etcd://', /at least one host/],
    ['etcd://h1,,h2', /at least one host/],
    ['etcd://h1:0', /port of "h1:0"/],
    ['etcd://h1:2379/prefix', /not an etcd URL/],
    ['etcd://bad_host!', /not host:port/],
    ['h1:2379', /not an etcd URL/],
  ])('rejects %s', (url, message) => {
    expect(() => parseEtcdUrl(url)).toThrow(message);
  });
});

describe('etcd settings', () => {
  it('fills defaults', () => {
    const s = etcdSettings({});
    expect(s).toMatchObject({
      hosts: ['http://127.0.0.1:2379'],
      prefix: '/roster/services/',
      auth: undefined,
      requestTimeoutMs: 5000,
      checkEveryMs: 10_000,
      backoff: { baseMs: 100, maxMs: 3000 },
    });
  });

  it('TLS options make every host https; options override URL credentials', () => {
    const s = etcdSettings({ url: 'etcd://u:p@h1,h2', tls: { ca: 'PEM' }, username: 'admin', password: 'secret' });
    expect(s.hosts).toEqual(['https://h1:2379', 'https://h2:2379']);
    expect(s.auth).toEqual({ username: 'admin', password: 'secret' });
  });

  it.each([
    [{ prefix: '' }, 'prefix'],
    [{ prefix: '/roster' }, 'prefix'],
    [{ password: 'x' }, 'username'],
    [{ username: '', password: 'x' }, 'username'],
    [{ tls: { key: 'k' } }, 'tls.cert'],
    [{ requestTimeoutMs: -1 }, 'requestTimeoutMs'],
    [{ checkEveryMs: 10 }, 'checkEveryMs'],
    [{ backoff: { baseMs: 0, maxMs: 10 } }, 'backoff.baseMs'],
    [{ backoff: { baseMs: 100, maxMs: 10 } }, 'backoff.maxMs'],
  ])('rejects %j naming %s', (options, field) => {
    expect(() => etcdSettings(options)).toThrow(expect.objectContaining({ code: 'ROSTER_ERR_INVALID_ARGUMENT', field }));
  });
});
