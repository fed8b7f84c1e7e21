#!/usr/bin/env node
// rss-builds.mjs: RSS per instance of roster serve builds after N registrations, without checks and
// with one TTL check each (what a fleet that heartbeats registers), one build after the other.
//
//   node bench/lib/rss-builds.mjs ROOT [ROOT…] [--count 100000]
//
// Each ROOT is a checkout with `npx tsc -b packages/roster packages/server packages/cli` done (see
// ab-builds.mjs). Every server runs with `--sync normal` and the rate limit off (a bulk load from
// one process), gets `count` registrations from 32 connections (loopback, bounded in count), and
// is read 3 s after the last one: the median of three VmRSS readings, minus the RSS before the
// load, divided by the count. Every server is stopped and its data dir removed.
import { readFileSync } from 'node:fs';
import { httpPool, registration } from './clients.mjs';
import { removeDir, spawnTracked, tempDir } from './procs.mjs';

const argv = process.argv.slice(2);
const at = argv.indexOf('--count');
const count = at >= 0 ? Number(argv[at + 1]) : 100_000;
const roots = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--count');
if (roots.length === 0 || !(count > 0)) {
  console.error('usage: node bench/lib/rss-builds.mjs ROOT [ROOT…] [--count N]');
  process.exit(2);
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

for (const root of roots) {
  for (const ttl of [undefined, '10m']) {
    const dir = tempDir(undefined, 'roster-rss-');
    const args = [`${root}/packages/cli/dist/bin.js`, 'serve', '--port', '0', '--data-dir', dir, '--log-level', 'warn'];
    const proc = spawnTracked(
      'roster',
      process.execPath,
      [...args, '--sync', 'normal', '--rate-limit', 'off'],
      /listening on (https?:\/\/\S+)/,
    );
    try {
      const [, url] = await proc.started;
      const pool = httpPool(url, 32);
      await sleep(1000);
      const before = rss(proc.child.pid);
      let next = 0;
      const deadline = Date.now() + 600_000;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < count && Date.now() < deadline) {
            const i = next++;
            const res = await pool.request({
              method: 'PUT',
              path: '/v1/agent/service/register',
              body: registration(`s${i % 100}`, `i${i}`, 1000 + (i % 5000), ttl),
            });
            await res.body.text();
            if (res.statusCode !== 200) throw new Error(`registration: HTTP ${res.statusCode}`);
          }
        }),
      );
      await sleep(3000);
      const xs = [];
      for (let i = 0; i < 3; i++) {
        xs.push(rss(proc.child.pid));
        await sleep(300);
      }
      xs.sort((a, b) => a - b);
      console.log(
        `${root}: ${ttl ? 'a TTL check each' : 'no checks'}: ${((xs[1] - before) / count).toFixed(0)} B of RSS per instance (${count} instances)`,
      );
      await pool.close();
    } finally {
      await proc.stop();
      removeDir(dir);
    }
  }
}
