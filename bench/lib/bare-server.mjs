// The bare Node `http` server the server benchmark compares roster serve with. Run as its own
// process so that its RSS and CPU time can be read from /proc. Prints
// `listening on http://127.0.0.1:<port>` when ready.
//
//   /              hello world: reads the request body (if any), answers 200 "hello world"
//   /bytes?n=N     N bytes from a preallocated buffer (the floor of sending an answer that big)
//   /hold          held until a POST /release, which answers every held request (the floor of
//                  answering many held long polls at once); GET /held says how many are held
import { createServer } from 'node:http';

const hello = Buffer.from('hello world\n');
const text = { 'Content-Type': 'text/plain; charset=utf-8' };
const blobs = new Map();
let held = [];

const server = createServer((req, res) => {
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
    let blob = blobs.get(n);
    if (!blob) {
      blob = Buffer.alloc(n, 'x');
      blobs.set(n, blob);
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': n });
    res.end(blob);
  } else if (url.pathname === '/hold') {
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
      r.writeHead(200, { ...text, 'Content-Length': hello.length });
      r.end(hello);
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
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
