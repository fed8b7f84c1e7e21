// npm run bench: runs every benchmark program in bench/ (files named *.bench.mjs), one after
// another on this machine, and prints a markdown report with the machine it ran on.
// `npm run bench -- pick` runs only the programs whose name contains "pick".
// Each program is bounded in count and time and talks to loopback only.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const programs = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => filter.length === 0 || filter.some((p) => f.includes(p)))
  .sort();

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`# roster benchmarks\n`);
console.log(`- date: ${new Date().toISOString()}`);
console.log(`- machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`);
console.log(`- node: ${process.version}\n`);

let failed = 0;
for (const program of programs) {
  console.log(`## ${program}\n`);
  const run = spawnSync(process.execPath, ['--expose-gc', join(here, program)], { stdio: 'inherit', timeout: 15 * 60_000 });
  if (run.status !== 0) {
    failed++;
    console.log(`\n**${program} failed** (exit ${run.status ?? run.signal})\n`);
  }
}
if (programs.length === 0) console.log('no benchmark programs matched');
process.exitCode = failed > 0 ? 1 : 0;
