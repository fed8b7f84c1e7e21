/** Reverse-lookup names (`in-addr.arpa`, `ip6.arpa`) to the address they name. */

/** The IP address a PTR name names (`10.2.0.192.in-addr.arpa` → `192.0.2.10`); undefined for any other name. */
export function reverseAddress(name: string): string | undefined {
  const lower = name.toLowerCase().replace(/\.$/, '');
  if (lower.endsWith('.in-addr.arpa')) {
    const labels = lower.slice(0, -'.in-addr.arpa'.length).split('.');
    if (labels.length !== 4 || !labels.every((l) => /^(?:0|[1-9]\d{0,2})$/.test(l) && Number(l) <= 255)) return undefined;
    return labels.reverse().join('.');
  }
  if (lower.endsWith('.ip6.arpa')) {
    const nibbles = lower.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(parseInt(hex.slice(i, i + 4), 16).toString(16));
    return groups.join(':');
  }
  return undefined;
}
