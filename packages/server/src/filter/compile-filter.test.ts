import { describe, expect, it } from 'vitest';
import { compileFilter } from './compile-filter.js';
import { FilterError } from './filter-error.js';

const entry = {
  Node: { Node: 'n1', Address: '10.0.0.1', Datacenter: 'dc1', Meta: { env: 'prod', 'consul-network-segment': '' }, TaggedAddresses: {} },
  Service: {
    ID: 'web-1',
    Service: 'web',
    Port: 8080,
    Tags: ['v1', 'primary'],
    Meta: { version: '1.2' },
    EnableTagOverride: false,
    Kind: '',
  },
  Checks: [
    { CheckID: 'serfHealth', Status: 'passing', Name: 'Serf Health Status', ServiceID: '' },
    { CheckID: 'service:web-1', Status: 'critical', Name: 'http', ServiceID: 'web-1' },
  ],
};

describe('compileFilter', () => {
  it.each([
    ['Service.ID == "web-1"', true],
    ['Service.ID == web-1', true],
    ['Service.ID != "web-1"', false],
    ['Service.Port == 8080', true],
    ['Service.Port == "8081"', false],
    ['Service.EnableTagOverride == false', true],
    ['"v1" in Service.Tags', true],
    ['"v2" in Service.Tags', false],
    ['"v2" not in Service.Tags', true],
    ['Service.Tags contains "primary"', true],
    ['Service.Tags not contains "primary"', false],
    ['Service.Meta.version == "1.2"', true],
    ['Service.Meta["version"] == `1.2`', true],
    ['Service.Meta.missing is empty', true],
    ['Service.Meta is not empty', true],
    ['Service.Kind is empty', true],
    ['Node.Meta.env == prod and Service.Service == web', true],
    ['Node.Meta.env == dev or Service.Service == web', true],
    ['not (Node.Meta.env == dev)', true],
    ['Checks.Status == critical', true],
    ['Checks.Status != critical', false],
    ['Checks.CheckID contains "serfHealth"', true],
    ['Service.ID matches "^web-[0-9]+$"', true],
    ['Service.ID not matches "^db"', true],
    ['service.id == "web-1"', true],
    ['Node.Meta.consul-network-segment is empty', true],
    ['(Service.Port == 8080 or Service.Port == 1) and not Service.ID == x', true],
  ])('%s → %s', (expression, expected) => {
    expect(compileFilter(expression)!(entry)).toBe(expected);
  });

  it('keeps everything without an expression', () => {
    expect(compileFilter('')).toBeUndefined();
    expect(compileFilter(undefined)).toBeUndefined();
  });

  it.each([
    ['Service.ID ==', /expected a value/],
    ['Service.ID = "x"', /unexpected character/],
    ['Service.ID == "x', /unterminated/],
    ['(Service.ID == x', /expected "\)"/],
    ['Service.ID == x y', /unexpected input/],
    ['Service.ID matches "("', /invalid regular expression/],
    ['Service.ID is full', /expected "empty"/],
    ['Service.ID', /expected an operator/],
    ['not '.repeat(100) + 'a == b', /nested too deeply/],
  ])('rejects %s', (expression, message) => {
    expect(() => compileFilter(expression)).toThrow(FilterError);
    expect(() => compileFilter(expression)).toThrow(message);
  });
});

describe('regular expressions', () => {
  it.each([
    ['Service.ID matches "(a+)+$"', /nested quantifiers/],
    ['Service.ID matches "(x*y?)*"', /nested quantifiers/],
    ['Service.ID matches "(a|aa)+"', /nested quantifiers/],
    ['Service.ID matches "(a)\\\\1"', /backreferences/],
    ['Service.ID matches "a(?=b)"', /lookaround/],
    [`Service.ID matches "${'a'.repeat(300)}"`, /longer than 256/],
  ])('refuses %s', (expression, message) => {
    expect(() => compileFilter(expression)).toThrow(message);
  });

  it('accepts ordinary patterns', () => {
    expect(compileFilter('Service.ID matches "^(web|api)-[0-9]+$"')!({ Service: { ID: 'web-12' } })).toBe(true);
    expect(compileFilter('Service.ID matches "(ab)+"')!({ Service: { ID: 'abab' } })).toBe(true);
  });
});
