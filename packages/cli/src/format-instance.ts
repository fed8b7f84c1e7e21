/** How instances look in the CLI's tables and change lines. */
import type { Instance } from '@rosterjs/roster';
import type { Style } from './style.js';

/** `host:port`, with IPv6 hosts in brackets. */
export function hostPort(instance: Pick<Instance, 'address' | 'port'>): string {
  return instance.address.includes(':') ? `[${instance.address}]:${instance.port}` : `${instance.address}:${instance.port}`;
}

/** `k=v,k=v`, or `-` when empty. */
export function formatMeta(meta: Readonly<Record<string, string>>): string {
  const entries = Object.entries(meta);
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

/** The columns of `roster instances`. */
export const INSTANCE_HEADER: readonly string[] = ['ID', 'ADDRESS', 'HEALTH', 'WEIGHT', 'ZONE', 'TAGS', 'META'];

/** One row of `roster instances`. */
export function instanceRow(instance: Instance, style: Style): string[] {
  return [
    instance.id,
    hostPort(instance),
    style.health(instance.health),
    String(instance.weight),
    instance.zone || '-',
    instance.tags.length === 0 ? '-' : instance.tags.join(','),
    formatMeta(instance.meta),
  ];
}

/** The fields that differ between two versions of an instance, in display order. */
export function changedFields(before: Instance, after: Instance): string[] {
  const fields: string[] = [];
  if (before.health !== after.health) fields.push('health');
  if (before.address !== after.address || before.port !== after.port) fields.push('address');
  if (before.weight !== after.weight) fields.push('weight');
  if (before.zone !== after.zone) fields.push('zone');
  if (before.tags.join('\u0000') !== after.tags.join('\u0000')) fields.push('tags');
  if (formatMeta(before.meta) !== formatMeta(after.meta)) fields.push('meta');
  return fields;
}
