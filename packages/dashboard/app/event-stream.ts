/**
 * The live connection: `GET /v1/roster/events` read as server-sent events through fetch (so the
 * token goes in a header; EventSource cannot send one). When the stream ends or fails (a server
 * restart), it reconnects by itself with backoff and says so through `onState`; each (re)open
 * is reported to `onOpen`, where the caller reloads the state it may have missed.
 */
import type { Api } from './api.js';
import type { RosterEvent } from './wire.js';

/** What the connection is doing. */
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'refused';

/** Callbacks of {@link openEventStream}. */
export interface StreamHandlers {
  /** The stream is open (first time and after every reconnect). */
  onOpen(): void;
  onEvent(event: RosterEvent): void;
  onState(state: StreamState, detail?: string): void;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 3000;

/** Opens the stream; returns the function that closes it for good. */
export function openEventStream(api: Api, handlers: StreamHandlers): () => void {
  let stopped = false;
  let abort: AbortController | undefined;
  let failures = 0;
  const run = async () => {
    while (!stopped) {
      handlers.onState(failures === 0 ? 'connecting' : 'reconnecting');
      abort = new AbortController();
      try {
        const res = await fetch('/v1/roster/events', { headers: api.headers(), signal: abort.signal, cache: 'no-store' });
        if (!res.ok || res.body === null) {
          const text = (await res.text()).trim();
          handlers.onState('refused', `${res.status} ${text}`);
        } else {
          failures = 0;
          handlers.onState('live');
          handlers.onOpen();
          await readEvents(res.body, handlers.onEvent);
        }
      } catch {
        // The server went away (restart, network): retried below.
      }
      if (stopped) return;
      failures++;
      handlers.onState('reconnecting');
      const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(failures - 1, 4));
      await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random() / 2)));
    }
  };
  void run();
  return () => {
    stopped = true;
    abort?.abort();
  };
}

/** Reads `event:`/`data:` blocks until the body ends. */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: RosterEvent) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (data === '') continue;
      try {
        onEvent(JSON.parse(data) as RosterEvent);
      } catch {
        // A block that is not JSON is skipped; the next reload repairs the state.
      }
    }
  }
}
