// Types of bench/lib/soak.mjs, for the CI soak test (packages/server/src/soak.e2e.test.ts).

/** One sample of the server process. */
export interface SoakSample {
  /** Seconds since the load started. */
  readonly t: number;
  readonly rss: number;
  readonly fds: number;
  readonly heapUsed: number;
  /** Event-loop delay p99 of the last window, ms (prom-client's value minus its 10 ms timer). */
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
  readonly heartbeats: number;
  readonly heartbeatsMissed: number;
  readonly registrations: number;
  readonly deregistrations: number;
  readonly watcherAnswers: number;
  readonly watcherWakes: number;
  readonly errors: number;
}

export interface SoakCounts {
  readonly heartbeats: number;
  readonly heartbeatsMissed: number;
  readonly registrations: number;
  readonly deregistrations: number;
  readonly watcherAnswers: number;
  readonly watcherWakes: number;
  readonly errors: number;
}

export interface SoakResult {
  readonly seconds: number;
  readonly counts: SoakCounts;
  readonly errors: readonly string[];
  readonly samples: readonly SoakSample[];
}

export interface SoakOptions {
  readonly url: string;
  readonly pid: number;
  readonly seconds?: number;
  readonly services?: number;
  readonly heartbeatsPerSecond?: number;
  readonly watchers?: number;
  readonly churnPerSecond?: number;
  readonly sampleEveryMs?: number;
  readonly heartbeatConnections?: number;
  readonly maxHeartbeatsInFlight?: number;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

export interface Growth {
  /** Highest sample of the window vs the highest between warm-up and the window (the verdict). */
  readonly peak: number;
  readonly peakBefore: number;
  readonly peakWindow: number;
  readonly trend: number;
  readonly endpoints: number;
  readonly from: number;
  readonly to: number;
  readonly samples: number;
}

export interface SoakVerdict {
  readonly ok: boolean;
  readonly checks: readonly { readonly what: string; readonly value: number; readonly ok: boolean; readonly limit: string }[];
  readonly rss: Growth;
  readonly fds: Growth;
  readonly loopP99: number;
}

export declare const EVENT_LOOP_RESOLUTION_MS: number;
export declare const FULL_LOAD: Readonly<
  Required<Pick<SoakOptions, 'seconds' | 'services' | 'heartbeatsPerSecond' | 'watchers' | 'churnPerSecond' | 'sampleEveryMs'>>
>;
export declare function rssOf(pid: number): number;
export declare function fdsOf(pid: number): number;
export declare function runSoak(options: SoakOptions): Promise<SoakResult>;
export declare function growth(samples: readonly SoakSample[], key: 'rss' | 'fds' | 'heapUsed', windowS: number, fromS?: number): Growth;
export declare function judgeSoak(
  result: SoakResult,
  limits?: { warmupS?: number; windowS?: number; maxGrowth?: number; maxLoopP99Ms?: number },
): SoakVerdict;
export declare function soakSvg(samples: readonly SoakSample[], options?: { title?: string }): string;
