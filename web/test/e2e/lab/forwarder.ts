// Runs inside a participant namespace (locked-lab.ts): listens on 127.0.0.1:<port> for each port
// given and forwards every connection through the lab's portal (a Unix socket, which crosses
// network namespaces) to 127.0.0.1:<port> in the servers' namespace. So the room's page is still
// served from 127.0.0.1 (a secure context for getUserMedia) while its media crosses the veth link.
import { connect, createServer } from 'node:net';

const [socketPath, ...ports] = process.argv.slice(2);
if (!socketPath || ports.length === 0) throw new Error('usage: forwarder.ts <portal socket> <port>...');
let listening = 0;
for (const port of ports.map(Number)) {
  const server = createServer((client) => {
    const upstream = connect(socketPath, () => {
      upstream.write(`127.0.0.1 ${port}\n`);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(port, '127.0.0.1', () => ++listening === ports.length && console.log('FORWARDER_READY'));
}
// The test process holds our stdin: when it goes away, so does the namespace.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
