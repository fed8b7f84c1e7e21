#!/usr/bin/env node
// wake-raw.mjs: 1,000 held requests woken at once, read by a minimal HTTP/1.1 reader over raw
// sockets instead of undici — so that the load client's own cost per answer (parsing each
// header into a JavaScript object, reading each body into a Buffer) does not set the time of the
// last answer. Three sides, rounds rotated: roster serve (`GET /v1/health/service/wake?index=N`,
// woken by a durable re-registration), the bare Node server answering hello world (`/hold`), and
// the bare server answering with roster's header list and body size (`/hold?like=N`).
//
//   node bench/lib/wake-raw.mjs [rounds] [--undici] [--warmup N]
//   (default 20 rounds, after 40 untimed rounds per side: fewer leave roster serve's V8 compiling
//   its wake path in the timed rounds, D192)
//
// Prints per side the median time from the change (or release) to the last complete answer, the
// server's CPU time over it (/proc schedstat, all threads, and of it the main thread's: the rest is
// mostly V8's garbage-collection helpers) and this process's (the reader's).
// `--undici` reads with undici instead, as bench (c) does (a Pool of 1,008 connections, each
// answer's body read into a Buffer): the reader's CPU then shows what the answers cost it.
// Loopback only; every wait is bounded; both servers are stopped and every connection closed.
import net from 'node:net';
import { Pool } from 'undici';
import { httpPool, registration, send } from './clients.mjs';
import { cpuThreadsMs, startBare, startRoster } from './procs.mjs';
import { median } from './stats.mjs';

const HOLDERS = 1000;
const args = process.argv.slice(2);
const viaUndici = args.includes('--undici');
const warmupAt = args.indexOf('--warmup');
const warmup = warmupAt >= 0 ? Number(args[warmupAt + 1]) : 40;
const rounds = Number(args.find((a, i) => !a.startsWith('--') && (warmupAt < 0 || i !== warmupAt + 1)) ?? 20);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const roster = await startRoster({ sync: 'full', args: ['--rate-limit', 'off'] });
const bare = await startBare();
const rosterCtl = httpPool(roster.url, 4);
const bareCtl = httpPool(bare.url, 4);
const sockets = [];
const pools = [];
try {
  const connect = (url) => {
    const { hostname, port } = new URL(url);
    return Array.from({ length: HOLDERS }, () => {
      const socket = net.connect(Number(port), hostname);
      socket.setMaxListeners(0);
      socket.on('error', (error) => console.error(`socket: ${error.message}`));
      sockets.push(socket);
      return socket;
    });
  };
  /** An undici pool standing in for the raw sockets: `holdAll` then sends through it. */
  const pool = (url) => {
    const p = new Pool(url, { connections: HOLDERS + 8, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 120_000 });
    pools.push(p);
    return p;
  };
  const rosterSockets = viaUndici ? pool(roster.url) : connect(roster.url);
  const bareSockets = viaUndici ? pool(bare.url) : connect(bare.url);
  let port = 40_000;
  const change = () => send(rosterCtl, 'PUT', '/v1/agent/service/register', registration('wake', 'wake-0', port++));
  await change();
  const likeBytes = (await send(rosterCtl, 'GET', '/v1/health/service/wake')).body.length;

  /** Sends `request` on every socket (or HOLDERS times through the pool); resolves, per request, when its whole answer has arrived. */
  const holdAll = (list, request) => {
    if (!Array.isArray(list)) {
      const path = request.split(' ')[1];
      return Array.from({ length: HOLDERS }, async () => {
        const res = await list.request({ method: 'GET', path });
        Buffer.from(await res.body.arrayBuffer());
        if (res.statusCode !== 200) throw new Error(`GET ${path}: HTTP ${res.statusCode}`);
        return performance.now();
      });
    }
    return list.map(
      (socket) =>
        new Promise((resolve, reject) => {
          let buf = Buffer.alloc(0);
          let need = -1;
          const timer = setTimeout(() => {
            socket.off('data', onData);
            reject(new Error('no answer within 30 s'));
          }, 30_000);
          const onData = (chunk) => {
            buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
            if (need < 0) {
              const end = buf.indexOf('\r\n\r\n');
              if (end < 0) return;
              const m = /content-length: *(\d+)/i.exec(buf.subarray(0, end).toString('latin1'));
              need = end + 4 + Number(m?.[1] ?? 0);
            }
            if (buf.length >= need) {
              socket.off('data', onData);
              clearTimeout(timer);
              resolve(performance.now());
            }
          };
          socket.on('data', onData);
          socket.write(request);
        }),
    );
  };
  const until = async (what, count) => {
    const deadline = performance.now() + 15_000;
    while ((await count()) < HOLDERS) {
      if (performance.now() > deadline) throw new Error(`not every request was held: ${what}`);
      await sleep(5);
    }
  };
  const rosterHeld = async () => {
    const text = (await send(rosterCtl, 'GET', '/v1/agent/metrics?format=prometheus')).body.toString();
    return Number(/^roster_blocking_queries_held (\d+)/m.exec(text)?.[1] ?? 0);
  };
  const bareHeld = async () => Number((await send(bareCtl, 'GET', '/held')).body.toString());
  /**
   * One round: hold, wait until all are held, trigger; [last answer ms, server CPU ms, of it the
   * main thread's, reader CPU ms].
   */
  const round = async (list, request, held, pid, trigger) => {
    const answers = holdAll(list, request);
    await until(request.split(' ')[1], held);
    await sleep(20);
    const cpu0 = cpuThreadsMs(pid);
    const own0 = process.cpuUsage();
    const t0 = performance.now();
    await trigger();
    const times = await Promise.all(answers);
    const own = process.cpuUsage(own0);
    const cpu = cpuThreadsMs(pid);
    return [Math.max(...times) - t0, cpu.all - cpu0.all, cpu.main - cpu0.main, (own.user + own.system) / 1000];
  };
  const sides = {
    roster: async () => {
      const index = Number((await send(rosterCtl, 'GET', '/v1/health/service/wake')).headers['x-consul-index']);
      const request = `GET /v1/health/service/wake?index=${index}&wait=60s HTTP/1.1\r\nHost: roster\r\n\r\n`;
      return round(rosterSockets, request, rosterHeld, roster.pid, change);
    },
    'bare hello': () =>
      round(bareSockets, 'GET /hold HTTP/1.1\r\nHost: bare\r\n\r\n', bareHeld, bare.pid, () => send(bareCtl, 'POST', '/release')),
    'bare same bytes': () =>
      round(bareSockets, `GET /hold?like=${likeBytes} HTTP/1.1\r\nHost: bare\r\n\r\n`, bareHeld, bare.pid, () =>
        send(bareCtl, 'POST', '/release'),
      ),
  };
  const names = Object.keys(sides);
  for (let i = 0; i < Math.max(1, warmup); i++) for (const name of names) await sides[name]();
  const results = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length];
      results[name].push(await sides[name]());
    }
  }
  const floor = median(results['bare hello'].map((r) => r[0]));
  const reader = viaUndici ? 'undici (as bench (c))' : 'raw sockets';
  console.log(
    `${HOLDERS} held requests woken at once, read with ${reader}; median of ${rounds} rounds after ${warmup} untimed (roster's body: ${likeBytes} B)`,
  );
  for (const name of names) {
    const [last, cpu, main, own] = [0, 1, 2, 3].map((k) => median(results[name].map((r) => r[k])));
    console.log(
      `  ${name.padEnd(16)} last answer ${last.toFixed(2)} ms (${(last / floor).toFixed(2)}× hello), server CPU ${cpu.toFixed(1)} ms (main thread ${main.toFixed(1)}, other threads ${(cpu - main).toFixed(1)}), reader CPU ${own.toFixed(1)} ms`,
    );
  }
} finally {
  for (const socket of sockets) socket.destroy();
  for (const p of pools) await p.destroy();
  await rosterCtl.close();
  await bareCtl.close();
  await roster.stop();
  await bare.stop();
}
