#!/usr/bin/env node
// wake-raw.mjs: 1,000 held requests woken at once, read by a minimal HTTP/1.1 reader over raw
// sockets instead of undici — so that the load client's own cost per answer (parsing each
// header into a JavaScript object, reading each body into a Buffer) does not set the time of the
// last answer. Three sides, rounds rotated: roster serve (`GET /v1/health/service/wake?index=N`,
// woken by a durable re-registration), the bare Node server answering hello world (`/hold`), and
// the bare server answering with roster's header list and body size (`/hold?like=N`).
//
//   node bench/lib/wake-raw.mjs [rounds]     (default 20; after one untimed round per side)
//
// Prints per side the median time from the change (or release) to the last complete answer, and
// the server's CPU time over it (/proc schedstat, all threads). Loopback only; every wait is
// bounded; both servers are stopped and every socket closed at the end.
import net from 'node:net';
import { httpPool, registration, send } from './clients.mjs';
import { cpuPreciseMs, startBare, startRoster } from './procs.mjs';
import { median } from './stats.mjs';

const HOLDERS = 1000;
const rounds = Number(process.argv[2] ?? 20);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const roster = await startRoster({ sync: 'full', args: ['--rate-limit', 'off'] });
const bare = await startBare();
const rosterCtl = httpPool(roster.url, 4);
const bareCtl = httpPool(bare.url, 4);
const sockets = [];
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
  const rosterSockets = connect(roster.url);
  const bareSockets = connect(bare.url);
  let port = 40_000;
  const change = () => send(rosterCtl, 'PUT', '/v1/agent/service/register', registration('wake', 'wake-0', port++));
  await change();
  const likeBytes = (await send(rosterCtl, 'GET', '/v1/health/service/wake')).body.length;

  /** Sends `request` on every socket; resolves, per socket, when a whole answer (head + Content-Length bytes) has arrived. */
  const holdAll = (list, request) =>
    list.map(
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
  /** One round: hold, wait until all are held, trigger; [last answer ms, server CPU ms]. */
  const round = async (list, request, held, pid, trigger) => {
    const answers = holdAll(list, request);
    await until(request.split(' ')[1], held);
    await sleep(20);
    const cpu0 = cpuPreciseMs(pid);
    const t0 = performance.now();
    await trigger();
    const times = await Promise.all(answers);
    return [Math.max(...times) - t0, cpuPreciseMs(pid) - cpu0];
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
  for (const name of names) await sides[name]();
  const results = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length];
      results[name].push(await sides[name]());
    }
  }
  const floor = median(results['bare hello'].map((r) => r[0]));
  console.log(`${HOLDERS} held requests woken at once, read over raw sockets; median of ${rounds} rounds (roster's body: ${likeBytes} B)`);
  for (const name of names) {
    const last = median(results[name].map((r) => r[0]));
    const cpu = median(results[name].map((r) => r[1]));
    console.log(
      `  ${name.padEnd(16)} last answer ${last.toFixed(2)} ms (${(last / floor).toFixed(2)}× hello), server CPU ${cpu.toFixed(1)} ms`,
    );
  }
} finally {
  for (const socket of sockets) socket.destroy();
  await rosterCtl.close();
  await bareCtl.close();
  await roster.stop();
  await bare.stop();
}
