// An Echo instance in its own process (so a test can SIGKILL it): binds 127.0.0.1:0, prints
// "port <n>", answers Who with its id (argv[2]) after the request's delayMs or else 1–3 ms, and
// prints "who <delayMs>" as each Who call arrives (so a test knows which calls it holds).
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const id = process.argv[2] ?? 'child';
const definition = protoLoader.loadSync(fileURLToPath(new URL('./echo.proto', import.meta.url)), { keepCase: false });
const proto = grpc.loadPackageDefinition(definition).rostertest;
const server = new grpc.Server();
let seq = 0;
server.addService(proto.Echo.service, {
  Who(call, callback) {
    process.stdout.write(`who ${call.request.delayMs}\n`);
    setTimeout(() => callback(null, { instance: id, seq: seq++ }), call.request.delayMs || 1 + Math.random() * 2);
  },
  Count(call) {
    for (let i = 0; i < call.request.n; i++) call.write({ instance: id, seq: i });
    call.end();
  },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  console.log(`port ${port}`);
});
