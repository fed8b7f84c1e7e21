/**
 * The seed's example server, in TypeScript with roster: an HTTP service that announces itself
 * to the registry with a /health endpoint, answers /api, and deregisters when it stops.
 *
 *   node examples/dist/server.js [--port 8080] [--service my-service]
 *   node examples/dist/server.js --registry etcd://127.0.0.1:2379      # etcd instead of Consul
 *
 * The registry is `--registry`, else ROSTER_REGISTRY, else consul://127.0.0.1:8500 (roster
 * serve or Consul). What the seed does by hand, `announce()` does in one call:
 * - registers with an HTTP check the registry runs against /health (seed: Interval 10s,
 *   Timeout 3s), plus a TTL heartbeat, so a frozen or killed process is noticed too;
 * - re-registers if the registry forgot the instance (registry restarted with an empty store);
 * - on SIGTERM / SIGINT (the seed's `defer Deregister`): reports critical so clients stop
 *   picking it, waits until they can have seen that, lets requests in flight finish,
 *   deregisters, and exits.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { type Announcement, announce, attachHealth, connect, type DrainPhase } from '@rosterjs/roster';

const { values: args } = parseArgs({
  options: {
    registry: { type: 'string', default: process.env.ROSTER_REGISTRY ?? 'consul://127.0.0.1:8500' },
    service: { type: 'string', default: 'my-service' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: process.env.PORT ?? '0' },
    id: { type: 'string' },
    'check-interval': { type: 'string', default: '10s' },
  },
});

let announcement: Announcement | undefined = undefined;
let served = 0;

// The application. /health is added below by attachHealth, from the agent's own view of its health.
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/api') {
    served++;
    const body = JSON.stringify({ instance: announcement?.instance.id, pid: process.pid, served });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
});
// Before announce() returns, /health answers 503 "starting": the registry's first check may come early.
attachHealth(server, () => announcement);

await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(args.port), args.host, resolve);
});
const { port } = server.address() as AddressInfo;

const registry = connect(args.registry);
announcement = await announce({
  registry,
  service: args.service,
  server,
  ...(args.id === undefined ? {} : { id: args.id }),
  check: { http: '/health', interval: args['check-interval'], timeout: '3s' },
});
const id = announcement.instance.id;

const DRAIN_STEPS: Record<DrainPhase, string> = {
  started: 'stopping: draining',
  marked: 'reported critical: clients stop picking this instance',
  propagated: 'clients have had time to see it',
  closed: 'server closed, requests in flight finished',
  deregistered: 'deregistered',
};

announcement.onEvent((event) => {
  switch (event.type) {
    case 'drain':
      console.log(`${id}: ${DRAIN_STEPS[event.phase]}`);
      break;
    case 'drained':
      console.log(`${id}: drained in ${Math.round(event.result.endedAt - event.result.startedAt)} ms, served ${served} requests`);
      // The process ends on its own once the drain is over; close the registry client too.
      void registry.close();
      break;
    case 'forgotten':
      console.log(`${id}: the registry forgot this instance; registering again`);
      break;
    case 'restored':
      console.log(`${id}: registered again`);
      break;
  }
});

console.log(`${id} listening on http://${args.host}:${port} (pid ${process.pid}), announced to ${args.registry}`);
