import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MinHeap } from './min-heap.js';

describe('MinHeap', () => {
  it('pops in order whatever order things were pushed in, and says when it is empty', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 200 }), (xs) => {
        const heap = new MinHeap<number>((a, b) => a < b);
        for (const x of xs) heap.push(x);
        expect(heap.size).toBe(xs.length);
        const out: number[] = [];
        while (heap.size > 0) out.push(heap.pop()!);
        expect(out).toEqual([...xs].sort((a, b) => a - b));
        expect(heap.pop()).toBeUndefined();
        expect(heap.peek()).toBeUndefined();
      }),
    );
  });

  it('keeps its order across interleaved pushes and pops, retain and reset', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('push' as const), x: fc.integer({ min: 0, max: 99 }) }),
            fc.record({ op: fc.constant('pop' as const) }),
            fc.record({ op: fc.constant('retainEven' as const) }),
            fc.record({ op: fc.constant('reset' as const), xs: fc.array(fc.integer({ min: 0, max: 99 }), { maxLength: 20 }) }),
          ),
          { maxLength: 120 },
        ),
        (ops) => {
          const heap = new MinHeap<{ at: number }>((a, b) => a.at < b.at);
          let model: number[] = [];
          for (const o of ops) {
            if (o.op === 'push') {
              heap.push({ at: o.x });
              model.push(o.x);
            } else if (o.op === 'pop') {
              model.sort((a, b) => a - b);
              expect(heap.pop()?.at).toBe(model.shift());
            } else if (o.op === 'retainEven') {
              heap.retain((item) => item.at % 2 === 0);
              model = model.filter((x) => x % 2 === 0);
            } else {
              heap.reset(o.xs.map((at) => ({ at })));
              model = [...o.xs];
            }
            expect(heap.size).toBe(model.length);
            expect(heap.peek()?.at).toBe(model.length > 0 ? Math.min(...model) : undefined);
          }
        },
      ),
    );
  });
});
