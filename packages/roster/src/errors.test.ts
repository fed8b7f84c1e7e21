import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  ClosedError,
  ErrorCode,
  InvalidArgumentError,
  isRosterError,
  LeaseLostError,
  NoInstancesError,
  NotFoundError,
  RegistryUnavailableError,
  RetriesExhaustedError,
  RosterError,
  TimeoutError,
} from './errors.js';

describe('errors', () => {
  it.each([
    [new InvalidArgumentError('port', 'bad'), ErrorCode.InvalidArgument, false, 'InvalidArgumentError'],
    [new NotFoundError('x'), ErrorCode.NotFound, false, 'NotFoundError'],
    [new NoInstancesError('orders'), ErrorCode.NoInstances, true, 'NoInstancesError'],
    [new RegistryUnavailableError('down'), ErrorCode.RegistryUnavailable, true, 'RegistryUnavailableError'],
    [new LeaseLostError('gone'), ErrorCode.LeaseLost, false, 'LeaseLostError'],
    [new TimeoutError('slow'), ErrorCode.Timeout, true, 'TimeoutError'],
    [new RetriesExhaustedError(3), ErrorCode.RetriesExhausted, false, 'RetriesExhaustedError'],
    [new ClosedError(), ErrorCode.Closed, false, 'ClosedError'],
    [new AbortedError('why'), ErrorCode.Aborted, false, 'AbortedError'],
  ])('%s has code, retryable and name', (error, code, retryable, name) => {
    expect(error).toBeInstanceOf(RosterError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(error.name).toBe(name);
    expect(isRosterError(error)).toBe(true);
  });

  it('keeps the cause', () => {
    const cause = new Error('ECONNREFUSED');
    expect(new RegistryUnavailableError('down', { cause }).cause).toBe(cause);
  });

  it('isRosterError is brand-based, not instanceof-based', () => {
    expect(isRosterError(new Error('x'))).toBe(false);
    expect(isRosterError({ code: ErrorCode.NotFound })).toBe(false);
    expect(isRosterError(null)).toBe(false);
    const foreign = Object.assign(new Error('from another copy'), { [Symbol.for('roster.error')]: true });
    expect(isRosterError(foreign)).toBe(true);
  });

  it('every code is documented in docs/errors.md', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    for (const code of Object.values(ErrorCode)) expect(doc).toContain(code);
  });
});
