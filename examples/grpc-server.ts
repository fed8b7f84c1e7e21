/**
 * The gRPC example server: a grpc-js Greeter that announces itself to the registry, serves the
 * standard gRPC health service from its announcement, and on SIGTERM / SIGINT drains (reports
 * critical, waits for clients to see it, lets calls in flight finish, deregisters) and exits.
 *
 *   node examples/dist/grpc-server.js [--registry consul://127.0.0.1:8500] [--service greeter]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { announce, connect } from '@rosterjs/roster';
import { addGrpcHealthService } from '@rosterjs/roster/grpc';

const { values: args } = parseArgs({
  options: {
    registry: { type: 'string', default: process.env.ROSTER_REGISTRY ?? 'consul://127.0.0.1:8500' },
    service: { type: 'string', default: 'greeter' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
  },
});

const definition = protoLoader.loadSync(fileURLToPath(new URL('../greeter.proto', import.meta.url)));
const { Greeter } = grpc.loadPackageDefinition(definition).greeter as { Greeter: grpc.ServiceClientConstructor };

const server = new grpc.Server();
let id = '';
let served = 0;
server.addService(Greeter.service, {
  SayHello(call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
    served++;
    callback(null, { message: `hello ${call.request.name}`, instance: id });
  },
});
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync(`${args.host}:${args.port}`, grpc.ServerCredentials.createInsecure(), (error, p) =>
    error ? reject(error) : resolve(p),
  ),
);

const registry = connect(args.registry);
// `port` is required with a grpc-js Server; the drain uses tryShutdown (bounded by drain.timeoutMs).
const announcement = await announce({ registry, service: args.service, address: args.host, port, server, drain: { propagationMs: 1000 } });
addGrpcHealthService(server, announcement);
id = announcement.instance.id;

announcement.onEvent((event) => {
  if (event.type === 'drain') console.log(`${id}: drain ${event.phase}`);
  if (event.type === 'drained') {
    console.log(`${id}: drained, served ${served} calls`);
    void registry.close();
  }
});
console.log(`${id} listening on grpc://${args.host}:${port} (pid ${process.pid}), announced to ${args.registry}`);
