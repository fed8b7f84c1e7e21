// The bare Node `http` server the server benchmark compares roster serve with. Run as its own
// process so that its RSS and CPU time can be read from /proc. Prints
// `listening on http://127.0.0.1:<port>` when ready.
//
//   /              hello world: reads the request body (if any), answers 200 "hello world"
//   /bytes?n=N     N bytes from a preallocated buffer (the floor of sending an answer that big)
//   /hold          held until a POST /release, which answers every held request (the floor of
//                  answering many held long polls at once); GET /held says how many are held
//   /hold?like=N   the same, answered with the header list roster serve sends with a woken
//                  blocking query (X-Consul-Index and friends, Vary, Content-Type) and an N-byte
//                  body: the floor of sending the same bytes as roster's answer
//   PUT /durable   reads the body, writes it to a log file and answers once an fdatasync on the
//                  libuv pool that started after the write has completed (group commit: one sync
//                  in flight, the writes made meanwhile share the next): the floor of a durable
//                  acknowledgement that keeps the event loop free (DURABLE_DIR: where the log goes)
import { closeSync, fdatasync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const hello = Buffer.from('hello world\n');
const text = { 'Content-Type': 'text/plain; charset=utf-8' };
const blobs = new Map();
let held = [];
/** Per held response: the body size of its `like` answer (undefined: hello world). */
const likeOf = new WeakMap();
/** What roster serve sends with a woken query, names and values as it writes them. */
const consulHead = (n) => [
  'x-consul-default-acl-policy',
  'allow',
  'x-consul-index',
  '12345',
  'x-consul-knownleader',
  'true',
  'x-consul-lastcontact',
  '0',
  'x-consul-effective-consistency',
  'leader',
  'vary',
  'Accept-Encoding',
  'content-type',
  'application/json',
  'content-length',
  String(n),
];
const heads = new Map();
const blob = (n) => {
  let b = blobs.get(n);
  if (!b) {
    b = Buffer.alloc(n, 'x');
    blobs.set(n, b);
  }
  return b;
};

// The durable floor's log: preallocated (an overwrite syncs faster than an append), written round.
const logDir = mkdtempSync(join(process.env.DURABLE_DIR ?? tmpdir(), 'bare-durable-'));
const logFd = openSync(join(logDir, 'log'), 'w+');
const LOG_BYTES = 8 * 2 ** 20;
for (let at = 0; at < LOG_BYTES; at += 2 ** 20) writeSync(logFd, Buffer.alloc(2 ** 20), 0, 2 ** 20, at);
let logAt = 0;
let syncing = false;
/** Answers waiting for a sync that starts after their write. */
let unsynced = [];
const startSync = () => {
  if (syncing || unsynced.length === 0) return;
  syncing = true;
  const covered = unsynced;
  unsynced = [];
  fdatasync(logFd, (error) => {
    syncing = false;
    for (const res of covered) {
      res.writeHead(error ? 500 : 200, { 'Content-Type': 'application/json', 'Content-Length': 4 });
      res.end(error ? 'fail' : 'true');
    }
    startSync();
  });
};
const durable = (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (logAt + body.length > LOG_BYTES) logAt = 0;
    logAt += writeSync(logFd, body, 0, body.length, logAt);
    unsynced.push(res);
    startSync();
  });
};

const server = createServer((req, res) => {
  if (req.url === '/durable') {
    durable(req, res);
    return;
  }
  if (req.url === '/') {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { ...text, 'Content-Length': hello.length });
      res.end(hello);
    });
    return;
  }
  req.resume();
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/bytes') {
    const n = Math.min(Number(url.searchParams.get('n')) || 0, 64 * 2 ** 20);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': n });
    res.end(blob(n));
  } else if (url.pathname === '/hold') {
    const like = url.searchParams.get('like');
    if (like !== null) likeOf.set(res, Math.min(Number(like) || 0, 2 ** 20));
    held.push(res);
    res.on('close', () => {
      if (!res.writableFinished) held = held.filter((r) => r !== res);
    });
  } else if (url.pathname === '/held') {
    res.writeHead(200, text);
    res.end(String(held.length));
  } else if (url.pathname === '/release') {
    const all = held;
    held = [];
    for (const r of all) {
      const n = likeOf.get(r);
      if (n === undefined) {
        r.writeHead(200, { ...text, 'Content-Length': hello.length });
        r.end(hello);
      } else {
        let head = heads.get(n);
        if (!head) {
          head = consulHead(n);
          heads.set(n, head);
        }
        r.writeHead(200, head);
        r.end(blob(n));
      }
    }
    res.writeHead(200, text);
    res.end(String(all.length));
  } else {
    res.writeHead(404, text);
    res.end('not found\n');
  }
});
server.keepAliveTimeout = 75_000;
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
const stop = () => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  server.close(() => {
    closeSync(logFd);
    rmSync(logDir, { recursive: true, force: true });
    process.exit(0);
  });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
