/**
 * Shared fixtures of the agent's tests (not exported by the package): a memory registry on a
 * FakeClock, a recorder of what the registry held after each change, and a scripted lag source.
 */
import type { HealthStatus } from '../model.js';
import { memoryRegistry } from '../registry/memory.js';
import { MemoryStore } from '../registry/memory-store.js';
import type { Registry } from '../registry/registry.js';
import { FakeClock } from '../testing/fake-clock.js';
import type { LagSource } from './lag-watchdog.js';

/** One line per registry change of `service`: `<id>:<health>` of each instance, or `-` for none. */
export function recordRegistry(store: MemoryStore, service: string): string[] {
  const seen: string[] = [];
  store.subscribe(service, (s) => {
    const line = s.instances.map((i) => `${i.id}:${i.health}`).join(',') || '-';
    if (seen.at(-1) !== line) seen.push(line);
  });
  return seen;
}

/** A memory registry on a FakeClock, and what it held over time. */
export function memoryFixture(service = 'orders') {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const registry: Registry = memoryRegistry({ store });
  const history = recordRegistry(store, service);
  const health = (id: string): HealthStatus | 'absent' => store.snapshot(service).instances.find((i) => i.id === id)?.health ?? 'absent';
  return { clock, store, registry, history, health };
}

/** A lag source that returns the queued samples, then 0. */
export function scriptedLag(samples: number[] = []): LagSource & { push(...ms: number[]): void; stopped: boolean } {
  const queue = [...samples];
  return {
    stopped: false,
    sample: () => queue.shift() ?? 0,
    push(...ms: number[]) {
      queue.push(...ms);
    },
    stop() {
      this.stopped = true;
    },
  };
}
