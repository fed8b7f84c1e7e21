/** formatTable(): aligned plain-text columns, the way `docker ps` and `kubectl get` print. */
import { stripStyle } from './style.js';

/**
 * Lays out `rows` under `header` in columns separated by two spaces, each as wide as its widest
 * cell (colour codes do not count). The last column is not padded. Ends with a newline.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => stripStyle(row[c] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, c) => (c === row.length - 1 ? cell : cell + ' '.repeat(Math.max(0, (widths[c] ?? 0) - stripStyle(cell).length))))
      .join('  ')
      .trimEnd();
  return `${all.map(line).join('\n')}\n`;
}
