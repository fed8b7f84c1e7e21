// Server CPU time to answer `holders` held blocking queries woken by one change
// (GET /v1/health/service/w?index=N), against the bare Node floor: the bare server answering as
// many held requests at once (bench/lib/bare-server.mjs /hold + /release). CPU from
// /proc/<pid>/task/*/schedstat, so a loaded machine stretches wall time but less so this.
// Bounded: `rounds` rounds (the first `warmup` not counted), 30 s per wait.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { registration, send } from './clients.mjs';
import { cpuPreciseMs } from './procs.mjs';
import { median } from './stats.mjs';

async function until(what, ok) {
  const deadline = performance.now() + 30_000;
  while (!(await ok())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** `{ roster, bare }`: median CPU ms per round of `holders` answers; `ratio` roster / bare. */
export async function measureWakeCpu({ rosterUrl, rosterPid, bareUrl, barePid, holders = 1000, rounds = 12, warmup = 2 }) {
  const ctl = new Pool(rosterUrl, { connections: 4 });
  const bareCtl = new Pool(bareUrl, { connections: 4 });
  const hold = new Pool(rosterUrl, { connections: holders + 8, headersTimeout: 0, bodyTimeout: 0 });
  const bareHold = new Pool(bareUrl, { connections: holders + 8, headersTimeout: 0, bodyTimeout: 0 });
  const roster = [];
  const bare = [];
  let port = 1;
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
      await Promise.all(pending);
      if (round >= warmup) roster.push(cpuPreciseMs(rosterPid) - c0);

      const held = Array.from({ length: holders }, () => send(bareHold, 'GET', '/hold'));
      await until(`${holders} held requests (bare)`, async () => Number((await send(bareCtl, 'GET', '/held')).body.toString()) >= holders);
      await sleep(100);
      const b0 = cpuPreciseMs(barePid);
      await send(bareCtl, 'POST', '/release');
      await Promise.all(held);
      if (round >= warmup) bare.push(cpuPreciseMs(barePid) - b0);
    }
  } finally {
    await Promise.allSettled([ctl, bareCtl, hold, bareHold].map((p) => p.destroy()));
  }
  const r = { roster: median(roster), bare: median(bare), holders, rounds: roster.length };
  return { ...r, ratio: r.roster / r.bare };
}
