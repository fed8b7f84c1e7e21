// Server CPU time to answer `holders` held blocking queries woken by one change
// (GET /v1/health/service/w?index=N), against the bare Node floor: the bare server answering as
// many held requests at once (bench/lib/bare-server.mjs /hold + /release). CPU from
// /proc/<pid>/task/*/schedstat, so a loaded machine stretches wall time but less so this.
// Bounded: `rounds` rounds (the first `warmup` not counted), 30 s per wait.
// Also runnable alone (starts roster serve --sync full and the bare server, stops both):
//   node bench/lib/wake-cpu.mjs [rounds]
// prints the CPU per round of 1,000 answers for roster, the bare floor, and the bare server
// answering with roster's header list and body size (`like`).
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { registration, send } from './clients.mjs';
import { cpuPreciseMs, startBare, startRoster } from './procs.mjs';
import { median } from './stats.mjs';

async function until(what, ok) {
  const deadline = performance.now() + 30_000;
  while (!(await ok())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** `{ roster, bare }`: median CPU ms per round of `holders` answers; `ratio` roster / bare. */
export async function measureWakeCpu({ rosterUrl, rosterPid, bareUrl, barePid, holders = 1000, rounds = 12, warmup = 2, like = false }) {
  const ctl = new Pool(rosterUrl, { connections: 4 });
  const bareCtl = new Pool(bareUrl, { connections: 4 });
  const hold = new Pool(rosterUrl, { connections: holders + 8, headersTimeout: 0, bodyTimeout: 0 });
  const bareHold = new Pool(bareUrl, { connections: holders + 8, headersTimeout: 0, bodyTimeout: 0 });
  const roster = [];
  const bare = [];
  const same = [];
  let port = 1;
  let likeBytes = 0;
  try {
    await send(ctl, 'PUT', '/v1/agent/service/register', registration('wake', 'wake-0', port++));
    for (let round = 0; round < rounds; round++) {
      const index = Number((await send(ctl, 'GET', '/v1/health/service/wake')).headers['x-consul-index']);
      const pending = Array.from({ length: holders }, () => send(hold, 'GET', `/v1/health/service/wake?index=${index}&wait=60s`));
      await until(`${holders} held queries`, async () => {
        const body = (await send(ctl, 'GET', '/v1/agent/metrics?format=prometheus')).body.toString();
        return Number(/^roster_blocking_queries_held (\d+)/m.exec(body)?.[1] ?? 0) >= holders;
      });
      await sleep(100);
      const c0 = cpuPreciseMs(rosterPid);
      await send(ctl, 'PUT', '/v1/agent/service/register', registration('wake', 'wake-0', port++));
      const answers = await Promise.all(pending);
      if (round >= warmup) roster.push(cpuPreciseMs(rosterPid) - c0);
      likeBytes = answers[0].body.length;

      const held = Array.from({ length: holders }, () => send(bareHold, 'GET', '/hold'));
      await until(`${holders} held requests (bare)`, async () => Number((await send(bareCtl, 'GET', '/held')).body.toString()) >= holders);
      await sleep(100);
      const b0 = cpuPreciseMs(barePid);
      await send(bareCtl, 'POST', '/release');
      await Promise.all(held);
      if (round >= warmup) bare.push(cpuPreciseMs(barePid) - b0);
      if (like) {
        const sameHeld = Array.from({ length: holders }, () => send(bareHold, 'GET', `/hold?like=${likeBytes}`));
        await until(
          `${holders} held requests (bare, like)`,
          async () => Number((await send(bareCtl, 'GET', '/held')).body.toString()) >= holders,
        );
        await sleep(100);
        const s0 = cpuPreciseMs(barePid);
        await send(bareCtl, 'POST', '/release');
        await Promise.all(sameHeld);
        if (round >= warmup) same.push(cpuPreciseMs(barePid) - s0);
      }
    }
  } finally {
    await Promise.allSettled([ctl, bareCtl, hold, bareHold].map((p) => p.destroy()));
  }
  const r = { roster: median(roster), bare: median(bare), holders, rounds: roster.length };
  return { ...r, ratio: r.roster / r.bare, ...(like ? { bareSameBytes: median(same), likeBytes } : {}) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const roster = await startRoster({ sync: 'full', base: os.tmpdir() });
  const bare = await startBare();
  try {
    const rounds = Number(process.argv[2] ?? 12);
    const r = await measureWakeCpu({
      rosterUrl: roster.url,
      rosterPid: roster.pid,
      bareUrl: bare.url,
      barePid: bare.pid,
      rounds,
      like: true,
    });
    const load = os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
    console.log(
      `server CPU per ${r.holders} woken answers (median of ${r.rounds} rounds): roster ${r.roster.toFixed(1)} ms, bare Node ${r.bare.toFixed(1)} ms (${r.ratio.toFixed(2)}×), bare Node with roster's header list and ${r.likeBytes} B bodies ${r.bareSameBytes.toFixed(1)} ms (${(r.roster / r.bareSameBytes).toFixed(2)}×); load ${load}`,
    );
  } finally {
    await roster.stop();
    await bare.stop();
  }
}
