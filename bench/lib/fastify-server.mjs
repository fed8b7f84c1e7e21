// A bare Fastify hello world (the Fastify roster serve uses, default options, no logger): a
// reference between the bare Node `http` server and roster serve in the server benchmark, to
// tell the framework's share of roster's per-request cost from roster's own. Own process, like
// the others; prints `listening on http://127.0.0.1:<port>` when ready.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const hello = Buffer.from('hello world\n');
const handler = (_request, reply) => {
  reply.header('Content-Type', 'text/plain; charset=utf-8').send(hello);
};
app.get('/', handler);
app.put('/', handler);
app.server.keepAliveTimeout = 75_000;
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening on ${address}\n`);
const stop = () => app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
