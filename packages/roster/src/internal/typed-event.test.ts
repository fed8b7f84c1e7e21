import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHANNELS } from '../diagnostics.js';
import { TypedEvent } from './typed-event.js';

const reported: unknown[] = [];
const onReport = (message: unknown) => reported.push(message);
afterEach(() => {
  diagnostics.unsubscribe(CHANNELS.listenerError, onReport);
  reported.length = 0;
  vi.restoreAllMocks();
});

describe('TypedEvent', () => {
  it('calls listeners in subscription order; the disposer removes one subscription, idempotently', () => {
    const event = new TypedEvent<number>('test:order');
    const seen: string[] = [];
    const twice = (n: number) => seen.push(`twice:${n}`);
    event.subscribe((n) => seen.push(`a:${n}`));
    const offFirst = event.subscribe(twice);
    event.subscribe(twice);
    event.emit(1);
    offFirst();
    offFirst();
    event.emit(2);
    expect(seen).toEqual(['a:1', 'twice:1', 'twice:1', 'a:2', 'twice:2']);
    expect(event.size).toBe(2);
    event.clear();
    event.emit(3);
    expect(seen).toHaveLength(5);
  });

  it('a listener that throws is reported on the channel and to onListenerError; the others still run', () => {
    diagnostics.subscribe(CHANNELS.listenerError, onReport);
    const owner: unknown[] = [];
    const event = new TypedEvent<string>('test:isolated', { onListenerError: (e) => owner.push(e) });
    const bug = new Error('bug');
    const seen: string[] = [];
    event.subscribe(() => {
      throw bug;
    });
    event.subscribe((v) => seen.push(v));
    expect(() => event.emit('x')).not.toThrow();
    expect(seen).toEqual(['x']);
    expect(reported).toEqual([{ event: 'test:isolated', error: bug }]);
    expect(owner).toEqual([bug]);
  });

  it('a throwing onListenerError is isolated too', () => {
    const event = new TypedEvent<string>('test:reporter', {
      onListenerError: () => {
        throw new Error('reporter bug');
      },
    });
    const seen: string[] = [];
    event.subscribe(() => {
      throw new Error('bug');
    });
    event.subscribe((v) => seen.push(v));
    expect(() => event.emit('y')).not.toThrow();
    expect(seen).toEqual(['y']);
  });

  it('with nobody observing, a throw becomes a process warning, never an uncaught exception', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const event = new TypedEvent<number>('test:unobserved');
    event.subscribe(() => {
      throw new Error('lonely bug');
    });
    event.emit(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('test:unobserved listener threw');
    expect(warn.mock.calls[0]?.[1]).toEqual({ type: 'RosterListenerError' });
  });

  it('subscribing or unsubscribing during an emit takes effect from the next emit', () => {
    const event = new TypedEvent<number>('test:reentrant');
    const seen: string[] = [];
    let offB: () => void = () => {};
    event.subscribe((n) => {
      seen.push(`a:${n}`);
      offB();
      event.subscribe((m) => seen.push(`late:${m}`));
    });
    offB = event.subscribe((n) => seen.push(`b:${n}`));
    event.emit(1);
    expect(seen).toEqual(['a:1', 'b:1']);
  });

  it('refuses a listener that is not a function', () => {
    const event = new TypedEvent<number>('test:bad');
    expect(() => event.subscribe(42 as unknown as () => void)).toThrow(expect.objectContaining({ code: 'ROSTER_ERR_INVALID_ARGUMENT' }));
  });
});
