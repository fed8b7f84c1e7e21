// Small statistics and formatting helpers for the benchmark programs.

/** Median of a list of numbers (NaN when empty). */
export function median(xs) {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank quantile, q in [0, 1] (NaN when empty). */
export function quantile(xs, q) {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** A number with a sensible number of significant digits for a table. */
export function fmt(x, unit = '') {
  if (x === undefined || Number.isNaN(x)) return 'n/a';
  const abs = Math.abs(x);
  let s;
  if (abs >= 1000) s = Math.round(x).toLocaleString('en-US');
  else if (abs >= 100) s = x.toFixed(0);
  else if (abs >= 10) s = x.toFixed(1);
  else if (abs >= 1) s = x.toFixed(2);
  else s = x.toFixed(3);
  return unit ? `${s} ${unit}` : s;
}

/** A ratio as `0.42×`. */
export const fmtRatio = (x) => (x === undefined || Number.isNaN(x) ? 'n/a' : `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`);

/** A markdown table. `rows` are arrays of cells (strings). */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
