/**
 * The gRPC example client: `roster:///greeter` finds the passing Greeter instances through the
 * registry and balances over them with roster_p2c_ewma (UNAVAILABLE retried). Prints one JSON
 * line per call with --json, and a summary line: calls per instance, failures.
 *
 *   node examples/dist/grpc-client.js [--registry consul://127.0.0.1:8500] [--count 20] [--json]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { connect } from '@rosterjs/roster';
import { registerGrpcResolver } from '@rosterjs/roster/grpc';

const { values: args } = parseArgs({
  options: {
    registry: { type: 'string', default: process.env.ROSTER_REGISTRY ?? 'consul://127.0.0.1:8500' },
    service: { type: 'string', default: 'greeter' },
    count: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
});

const definition = protoLoader.loadSync(fileURLToPath(new URL('../greeter.proto', import.meta.url)));
const { Greeter } = grpc.loadPackageDefinition(definition).greeter as { Greeter: grpc.ServiceClientConstructor };

const registry = connect(args.registry);
registerGrpcResolver({ registry });
const client = new Greeter(`roster:///${args.service}`, grpc.credentials.createInsecure());

type Reply = { message: string; instance: string };
const sayHello = (name: string) =>
  new Promise<Reply>((resolve, reject) =>
    client.SayHello!({ name }, { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null, reply: Reply) =>
      error ? reject(error) : resolve(reply),
    ),
  );

const summary: Record<string, number> = {};
let failed = 0;
const calls = Number(args.count);
for (let i = 0; i < calls; i++) {
  try {
    const reply = await sayHello(`call ${i}`);
    summary[reply.instance] = (summary[reply.instance] ?? 0) + 1;
    if (args.json) console.log(JSON.stringify({ instance: reply.instance, message: reply.message }));
  } catch (error) {
    failed++;
    if (args.json) console.log(JSON.stringify({ error: (error as Error).message }));
  }
}
console.log(args.json ? JSON.stringify({ calls, failed, summary }) : `${calls} calls, ${failed} failed: ${JSON.stringify(summary)}`);
client.close();
await registry.close();
