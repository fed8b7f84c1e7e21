// roster serve for the fan-out benchmark, as its own process (so /proc/<pid> gives its CPU time):
// createServer with the connection and held-query limits raised above the 10,000 blocking
// queries the benchmark holds, per client too, and no request rate limit (the CLI has no flags
// for all of them). Prints
// `listening on http://127.0.0.1:<port>` when ready; stops on SIGTERM/SIGINT.
//   node bench/lib/fanout-server.mjs <data dir> <sync: full|normal>
import { createServer } from '@rosterjs/server';

const [dataDir, sync = 'full'] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: fanout-server.mjs <data dir> [full|normal]');
const server = createServer({
  dataDir,
  sync,
  port: 0,
  logLevel: 'warn',
  nodeName: 'bench',
  maxConnections: 16_000,
  maxHeldQueries: 16_000,
  // All 10,000 held queries come from one client address (the benchmark process).
  maxHeldQueriesPerClient: 16_000,
  rateLimit: false,
  maxWatchStreams: 1000,
});
const { url } = await server.listen();
process.stdout.write(`listening on ${url}\n`);
const stop = () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
