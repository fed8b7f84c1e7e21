/**
 * `roster watch <service>`: the instances of a service now, then every change as it happens
 * (added, removed, changed with the fields that changed), until Ctrl-C.
 */
import { Command, Option } from 'commander';
import { diffSnapshots, type Instance, type Snapshot } from '@rosterjs/roster';
import { cliAction } from '../cli-action.js';
import { CliError } from '../cli-error.js';
import { ExitCode } from '../exit-code.js';
import { changedFields, formatMeta, hostPort } from '../format-instance.js';
import { countHealth, describeCounts } from '../health-counts.js';
import { type RegistryOptions, withRegistry, withRegistryOptions } from '../registry-option.js';
import { shutdownSignals } from '../shutdown-signals.js';
import { type Style, styleFor } from '../style.js';

interface WatchOptions extends RegistryOptions {
  readonly json?: boolean;
}

const time = (at: Date) => at.toTimeString().slice(0, 8);

function describeChange(field: string, before: Instance, after: Instance, style: Style): string {
  switch (field) {
    case 'health':
      return `health ${style.health(before.health)} → ${style.health(after.health)}`;
    case 'address':
      return `address ${hostPort(before)} → ${hostPort(after)}`;
    case 'weight':
      return `weight ${before.weight} → ${after.weight}`;
    case 'zone':
      return `zone ${before.zone || '-'} → ${after.zone || '-'}`;
    case 'tags':
      return `tags ${before.tags.join(',') || '-'} → ${after.tags.join(',') || '-'}`;
    default:
      return `meta ${formatMeta(before.meta)} → ${formatMeta(after.meta)}`;
  }
}

/** Writes the human lines of one snapshot (the first: the whole state; later: what changed). */
function printHuman(previous: Snapshot | undefined, snapshot: Snapshot, style: Style): void {
  const at = style.dim(time(new Date()));
  const out: string[] = [];
  if (previous === undefined) {
    const counts = countHealth(snapshot.instances);
    const n = snapshot.instances.length;
    out.push(`${at}  ${snapshot.service}: ${n} ${n === 1 ? 'instance' : 'instances'}${n > 0 ? ` (${describeCounts(counts, style)})` : ''}`);
    for (const i of snapshot.instances) out.push(`${at}    ${i.id}  ${hostPort(i)}  ${style.health(i.health)}`);
  } else {
    const diff = diffSnapshots(previous, snapshot);
    for (const i of diff.added) out.push(`${at}  ${style.added('+')} ${i.id}  ${hostPort(i)}  ${style.health(i.health)}`);
    for (const i of diff.removed) out.push(`${at}  ${style.removed('-')} ${i.id}  ${hostPort(i)}`);
    for (const { before, after } of diff.changed) {
      const what = changedFields(before, after).map((f) => describeChange(f, before, after, style));
      out.push(`${at}  ~ ${after.id}  ${what.join(', ')}`);
    }
  }
  if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
}

/** Writes the JSON lines of one snapshot: `snapshot` first, then `added`/`removed`/`changed`. */
function printJson(previous: Snapshot | undefined, snapshot: Snapshot): void {
  const at = new Date().toISOString();
  const base = { at, service: snapshot.service, revision: snapshot.revision };
  const lines: unknown[] = [];
  if (previous === undefined) {
    lines.push({ type: 'snapshot', ...base, instances: snapshot.instances });
  } else {
    const diff = diffSnapshots(previous, snapshot);
    for (const instance of diff.added) lines.push({ type: 'added', ...base, instance });
    for (const instance of diff.removed) lines.push({ type: 'removed', ...base, instance });
    for (const { before, after } of diff.changed) {
      lines.push({ type: 'changed', ...base, fields: changedFields(before, after), before, after });
    }
  }
  for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** How often a failing watch checks whether the registry is back. */
const RECOVERY_POLL_MS = 1_000;

/** The `watch` command. */
export function watchCommand(): Command {
  const command = new Command('watch')
    .description('show the instances of a service, then every change live, until Ctrl-C')
    .argument('<service>', 'service name')
    .addOption(new Option('--json', 'print one JSON object per line: snapshot, then added / removed / changed'))
    .addHelpText(
      'after',
      `
Lines: "+" an instance was added, "-" removed, "~" changed (health, address, weight, zone, tags,
meta: before → after). The service need not exist yet: its first instance shows as added.
If the registry cannot be reached at start the command fails (exit 4); once running, it keeps
retrying through outages (a warning on stderr) and shows what changed meanwhile.

Examples:
  $ roster watch orders
  $ roster watch orders --json | jq -c 'select(.type == "removed") | .instance.id'`,
    );
  return withRegistryOptions(command).action(
    cliAction('watch', async (service: string, options: WatchOptions) => {
      using stop = shutdownSignals('watch');
      const style = styleFor(process.stdout);
      const warn = styleFor(process.stderr);
      let previous: Snapshot | undefined;
      let failing = false;
      await withRegistry(options, async (registry) => {
        const failed = new AbortController();
        let startError: Error | undefined;
        // While failing, a cheap list() every second notices the registry is back even when
        // nothing changed (the watch itself only speaks again at the next change).
        let recovery: NodeJS.Timeout | undefined;
        const recovered = () => {
          clearInterval(recovery);
          recovery = undefined;
          if (failing) process.stderr.write('roster watch: registry reachable again\n');
          failing = false;
        };
        const onError = (error: Error) => {
          if (previous === undefined) {
            startError = error;
            failed.abort();
          } else if (!failing) {
            failing = true;
            process.stderr.write(warn.health('warning', `roster watch: registry unreachable (${error.message}); retrying\n`));
            recovery = setInterval(() => {
              registry.list(service, { signal: AbortSignal.timeout(900) }).then(recovered, () => {});
            }, RECOVERY_POLL_MS);
          }
        };
        const signal = AbortSignal.any([stop.signal, failed.signal]);
        for await (const snapshot of registry.watch(service, { signal, onError })) {
          if (options.json) printJson(previous, snapshot);
          else printHuman(previous, snapshot, style);
          recovered();
          previous = snapshot;
        }
        clearInterval(recovery);
        if (startError !== undefined) throw startError;
      });
      if (previous === undefined && !stop.signal.aborted) throw new CliError(ExitCode.Failure, 'the registry ended the watch');
      return ExitCode.Ok;
    }),
  );
}
