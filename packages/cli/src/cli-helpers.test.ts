/** The CLI's pure helpers: option parsers, colour decisions, tables, health summaries, error mapping. */
import { InvalidArgumentError as CommanderInvalidArgument } from 'commander';
import {
  AccessDeniedError,
  InvalidArgumentError,
  type Instance,
  NotFoundError,
  RegistryUnavailableError,
  TimeoutError,
} from '@rosterjs/roster';
import { describe, expect, it } from 'vitest';
import { collectKeyValue, collectList, parseDuration, parsePort, parseWeight } from './arg-parsers.js';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-code.js';
import { changedFields, hostPort } from './format-instance.js';
import { formatTable } from './format-table.js';
import { countHealth, serviceHealth } from './health-counts.js';
import { describeError, exitCodeOf } from './report-error.js';
import { colorsEnabled, stripStyle, styleFor } from './style.js';

const stream = (isTTY: boolean, hasColors = true) => ({ isTTY, hasColors: () => hasColors }) as unknown as NodeJS.WriteStream;
const instance = (over: Partial<Instance>): Instance => ({
  id: 'a',
  service: 's',
  address: '10.0.0.1',
  port: 80,
  tags: [],
  meta: {},
  weight: 1,
  zone: '',
  health: 'passing',
  ...over,
});

describe('option parsers', () => {
  it.each([
    ['1', 1],
    ['65535', 65_535],
  ])('parsePort(%s) = %d', (text, port) => expect(parsePort(text)).toBe(port));
  it.each(['0', '65536', '8o', '-1', '1.5', ''])('parsePort(%j) is refused', (text) => {
    expect(() => parsePort(text)).toThrow(CommanderInvalidArgument);
  });
  it.each(['10s', '500ms', '1m30s'])('parseDuration(%s) is accepted as is', (text) => expect(parseDuration(text)).toBe(text));
  it.each(['10', 's', '0s', '-1s', ''])('parseDuration(%j) is refused (a unit is required, > 0)', (text) => {
    expect(() => parseDuration(text)).toThrow(/like 10s/);
  });
  it('parseWeight bounds', () => {
    expect(parseWeight('3')).toBe(3);
    expect(() => parseWeight('0')).toThrow(CommanderInvalidArgument);
  });
  it('collectKeyValue keeps = in values and refuses entries without a key', () => {
    expect(collectKeyValue('b=x=y', collectKeyValue('a=1'))).toEqual({ a: '1', b: 'x=y' });
    expect(collectKeyValue('empty=')).toEqual({ empty: '' });
    expect(() => collectKeyValue('=v')).toThrow(/key=value/);
    expect(() => collectKeyValue('novalue')).toThrow(/key=value/);
  });
  it('collectList takes repeats and commas', () => expect(collectList('c', collectList('a,b,'))).toEqual(['a', 'b', 'c']));
});

describe('colours', () => {
  it.each([
    [{}, stream(true), true],
    [{}, stream(false), false],
    [{}, stream(true, false), false],
    [{ NO_COLOR: '1' }, stream(true), false],
    [{ NO_COLOR: '' }, stream(true), true],
    [{ FORCE_COLOR: '1' }, stream(false), true],
    [{ FORCE_COLOR: '0' }, stream(true), false],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, stream(false), true],
  ])('env %j on a stream %o → %s', (env, s, expected) => expect(colorsEnabled(s, env)).toBe(expected));

  it('styles health only when enabled', () => {
    expect(styleFor(stream(false), {}).health('critical')).toBe('critical');
    const on = styleFor(stream(true), {});
    expect(on.health('warning', '2 warning')).toBe('\u001b[33m2 warning\u001b[39m');
    expect(stripStyle(on.bold(on.health('passing')))).toBe('passing');
  });
});

describe('formatTable', () => {
  it('pads every column but the last to its widest cell, ignoring colour codes', () => {
    const red = '\u001b[31mcritical\u001b[39m';
    expect(
      formatTable(
        ['ID', 'HEALTH', 'TAGS'],
        [
          ['a-long-id', red, 'x'],
          ['b', 'passing', ''],
        ],
      ),
    ).toBe(`ID         HEALTH    TAGS\na-long-id  ${red}  x\nb          passing\n`);
  });
});

describe('health summaries', () => {
  it.each([
    [['passing', 'passing'], 'passing'],
    [['passing', 'critical'], 'warning'],
    [['warning'], 'warning'],
    [['critical', 'critical'], 'critical'],
    [[], 'critical'],
  ] as const)('%j → %s', (healths, expected) => {
    expect(serviceHealth(countHealth(healths.map((health, i) => instance({ id: String(i), health }))))).toBe(expected);
  });
  it('changedFields lists what differs, in display order', () => {
    const a = instance({});
    expect(changedFields(a, a)).toEqual([]);
    const b = instance({ health: 'critical', port: 81, tags: ['x'], meta: { k: 'v' } });
    expect(changedFields(a, b)).toEqual(['health', 'address', 'tags', 'meta']);
  });
  it('hostPort brackets IPv6', () => expect(hostPort({ address: '::1', port: 80 })).toBe('[::1]:80'));
});

describe('errors → exit codes', () => {
  it.each([
    [new InvalidArgumentError('port', 'bad'), ExitCode.Usage],
    [new NotFoundError('no'), ExitCode.NotFound],
    [new RegistryUnavailableError('down'), ExitCode.Unavailable],
    [new TimeoutError('slow'), ExitCode.Unavailable],
    [new AccessDeniedError('no token'), ExitCode.Failure],
    [new CliError(ExitCode.NotFound, 'x'), ExitCode.NotFound],
    [new Error('bug'), ExitCode.Failure],
  ])('%s → %d', (error, code) => expect(exitCodeOf(error)).toBe(code));
  it('explains unreachable registries and unexpected errors', () => {
    expect(describeError(new RegistryUnavailableError('GET x: connect ECONNREFUSED'))).toBe(
      'cannot reach the registry: GET x: connect ECONNREFUSED (is it running? choose it with --registry or ROSTER_REGISTRY)',
    );
    expect(describeError(new Error('boom'))).toBe('boom (unexpected: run again with --debug for the stack trace)');
  });
});
