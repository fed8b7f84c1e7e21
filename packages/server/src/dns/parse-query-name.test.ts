import { describe, expect, it } from 'vitest';
import { parseQueryName } from './parse-query-name.js';

const ctx = { domains: ['consul.', 'alt.test.'], datacenter: 'dc1' };

describe('parseQueryName', () => {
  it.each([
    ['web.service.consul', 'A', { kind: 'service', domain: 'consul.', service: 'web', tag: undefined }],
    ['WEB.Service.CONSUL.', 'A', { kind: 'service', domain: 'consul.', service: 'web', tag: undefined }],
    ['web.service.dc1.consul', 'A', { kind: 'service', domain: 'consul.', service: 'web', tag: undefined }],
    ['web.service.dc1.dc.consul', 'A', { kind: 'service', domain: 'consul.', service: 'web', tag: undefined }],
    ['v1.web.service.consul', 'A', { kind: 'service', domain: 'consul.', service: 'web', tag: 'v1' }],
    ['a.b.web.service.consul', 'A', { kind: 'service', domain: 'consul.', service: 'web', tag: 'a.b' }],
    ['_web._tcp.service.consul', 'SRV', { kind: 'service', domain: 'consul.', service: 'web', tag: undefined }],
    ['_web._udp.service.consul', 'SRV', { kind: 'service', domain: 'consul.', service: 'web', tag: 'udp' }],
    ['_web._v1.service.dc1.consul', 'SRV', { kind: 'service', domain: 'consul.', service: 'web', tag: 'v1' }],
    ['_web._tcp.consul', 'SRV', { kind: 'service', domain: 'consul.', service: 'web', tag: undefined }],
    ['_web._tcp.dc1.consul', 'SRV', { kind: 'service', domain: 'consul.', service: 'web', tag: undefined }],
    ['_web._tcp.consul', 'A', { kind: 'invalid', domain: 'consul.' }],
    ['web.service.alt.test', 'A', { kind: 'service', domain: 'alt.test.', service: 'web', tag: undefined }],
    ['n1.node.consul', 'A', { kind: 'node', domain: 'consul.', node: 'n1' }],
    ['my.host.node.dc1.consul', 'A', { kind: 'node', domain: 'consul.', node: 'my.host' }],
    ['c000020a.addr.dc1.consul', 'A', { kind: 'addr', domain: 'consul.', hex: 'c000020a' }],
    ['consul', 'SOA', { kind: 'apex', domain: 'consul.' }],
    ['service.consul', 'A', { kind: 'invalid', domain: 'consul.' }],
    ['web.service.dc2.consul', 'A', { kind: 'invalid', domain: 'consul.' }],
    ['web.service.p1.peer.consul', 'A', { kind: 'invalid', domain: 'consul.' }],
    ['web.service.a.b.consul', 'A', { kind: 'invalid', domain: 'consul.' }],
    ['x.query.consul', 'A', { kind: 'invalid', domain: 'consul.' }],
    ['web.connect.consul', 'A', { kind: 'invalid', domain: 'consul.' }],
    ['nothing.consul', 'A', { kind: 'invalid', domain: 'consul.' }],
    ['example.com', 'A', { kind: 'outside' }],
    ['notconsul', 'A', { kind: 'outside' }],
    ['web.service.xconsul', 'A', { kind: 'outside' }],
    ['.', 'A', { kind: 'outside' }],
  ])('%s %s', (name, qtype, expected) => {
    expect(parseQueryName(name, qtype, ctx)).toEqual(expected);
  });

  it('a datacenter with a dot in its name', () => {
    expect(parseQueryName('web.service.eu.west.consul', 'A', { domains: ['consul.'], datacenter: 'eu.west' })).toMatchObject({
      kind: 'service',
      service: 'web',
    });
  });
});
