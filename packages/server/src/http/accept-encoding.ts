/** `Accept-Encoding` (RFC 9110 §12.5.3): does the client take a gzip answer? */

/**
 * True when `header` accepts gzip: `gzip` (or `x-gzip`) listed with a q-value above 0, or `*`
 * above 0 without gzip refused by name. Absent or empty: false (identity only).
 */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text === '') return false;
  let star = false;
  for (const item of text.split(',')) {
    const [name = '', ...params] = item.split(';');
    const coding = name.trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const [k = '', v = ''] = p.split('=');
      if (k.trim().toLowerCase() === 'q') q = Number(v.trim());
    }
    const accepted = Number.isFinite(q) && q > 0;
    if (coding === 'gzip' || coding === 'x-gzip') return accepted;
    if (coding === '*') star = accepted;
  }
  return star;
}
