// The floor for the DNS benchmark: a minimal dns-packet UDP server that decodes each query and
// encodes one fixed answer (the records given once on stdin as JSON), with the query's ID and
// question. No lookup, no shuffling, no size fitting: what any dns-packet server pays at least.
// Prints "listening <port>" and runs until SIGTERM. Loopback only.
import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '../../packages/server/package.json'));
const dnsPacket = require('dns-packet');

let input = '';
for await (const chunk of process.stdin) input += chunk;
const fixed = JSON.parse(input, (key, value) =>
  value && value.type === 'Buffer' && Array.isArray(value.data) ? Buffer.from(value.data) : value,
);

const socket = createSocket('udp4');
socket.on('message', (message, remote) => {
  let query;
  try {
    query = dnsPacket.decode(message);
  } catch {
    return;
  }
  const reply = dnsPacket.encode({
    id: query.id,
    type: 'response',
    flags: fixed.flags,
    questions: query.questions,
    answers: fixed.answers,
    authorities: fixed.authorities,
    additionals: fixed.additionals,
  });
  socket.send(reply, remote.port, remote.address);
});
socket.bind(0, '127.0.0.1', () => console.log(`listening ${socket.address().port}`));
process.on('SIGTERM', () => socket.close(() => process.exit(0)));
