/**
 * A virtualized list: only the rows in (and just around) the visible part of the scroll box are
 * rendered, so 10,000 rows cost as much as 30. Rows have one fixed height.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** Props of {@link VirtualList}. */
export interface VirtualListProps<T> {
  readonly items: readonly T[];
  readonly rowHeight: number;
  readonly keyOf: (item: T) => string | number;
  readonly render: (item: T) => ComponentChildren;
  readonly class?: string;
  readonly rowClass?: string;
}

const OVERSCAN = 6;

/** The list; its height comes from CSS (it fills its box). */
export function VirtualList<T>({ items, rowHeight, keyOf, render, class: cls, rowClass }: VirtualListProps<T>) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(800);
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const measure = () => setHeight(el.clientHeight || 800);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((top + height) / rowHeight) + OVERSCAN);
  const rows = [];
  for (let i = first; i < last; i++) {
    const item = items[i] as T;
    rows.push(
      <div key={keyOf(item)} class={`vrow ${rowClass ?? ''}`} style={{ top: `${i * rowHeight}px`, height: `${rowHeight}px` }}>
        {render(item)}
      </div>,
    );
  }
  return (
    <div ref={box} class={`vlist ${cls ?? ''}`} onScroll={(e) => setTop((e.currentTarget as HTMLDivElement).scrollTop)}>
      <div class="vspace" style={{ height: `${items.length * rowHeight}px` }}>
        {rows}
      </div>
    </div>
  );
}
