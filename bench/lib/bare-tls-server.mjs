// The floor of the security benchmark: a bare Node `http` or `https` server (no framework, no
// router, no ACLs) that answers each small read with the very bytes roster serve answered it with
// (status, headers and body captured from the plain roster in the same run), so that
// bare https ÷ bare http is what Node's TLS stream costs per small read on its own.
//
//   node bench/lib/bare-tls-server.mjs <answers.json> http
//   node bench/lib/bare-tls-server.mjs <answers.json> https <cert> <key> <ca>   (mutual TLS:
//        a client certificate signed by <ca> is required, as roster serve --tls-verify-incoming)
//
// answers.json: { "<path>": { "headers": { ... }, "body": "<text>" } }. Prints
// `listening on http(s)://127.0.0.1:<port>` when ready; SIGTERM closes every connection and exits.
import { readFileSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';

const [answersFile, mode, certFile, keyFile, caFile] = process.argv.slice(2);
const answers = new Map(
  Object.entries(JSON.parse(readFileSync(answersFile, 'utf8'))).map(([path, a]) => {
    const body = Buffer.from(a.body);
    return [path, { headers: { ...a.headers, 'content-length': String(body.length) }, body }];
  }),
);
const notFound = Buffer.from('not found\n');

function handle(req, res) {
  const answer = answers.get(req.url);
  if (answer === undefined) {
    res.writeHead(404, { 'content-type': 'text/plain', 'content-length': String(notFound.length) });
    res.end(notFound);
    return;
  }
  res.writeHead(200, answer.headers);
  res.end(answer.body);
}

const server =
  mode === 'https'
    ? createHttps(
        {
          cert: readFileSync(certFile),
          key: readFileSync(keyFile),
          ca: readFileSync(caFile),
          requestCert: true,
          rejectUnauthorized: true,
        },
        handle,
      )
    : createHttp(handle);
server.keepAliveTimeout = 75_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on ${mode === 'https' ? 'https' : 'http'}://127.0.0.1:${server.address().port}\n`);
});
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
