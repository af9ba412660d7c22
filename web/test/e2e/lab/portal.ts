// Runs inside the lab namespace (see netns-lab.ts): the way in for the test process, which stays in
// the lo-only namespace. A Unix socket lives in the filesystem, not in a network namespace, so a
// connection to it from outside is forwarded here to a TCP address inside. Each connection starts
// with one line "host port\n"; the rest is piped both ways. Only addresses inside the lab are
// reachable (the namespace has nothing else).
import { createServer, connect } from 'node:net';
import { rmSync } from 'node:fs';

const socketPath = process.argv[2];
if (!socketPath) throw new Error('usage: portal.ts <socket path>');
rmSync(socketPath, { force: true });

const server = createServer((client) => {
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const nl = head.indexOf(10);
    if (nl < 0) {
      if (head.length > 256) client.destroy(); // a header is a few bytes
      return;
    }
    client.off('data', onData);
    client.pause();
    const [host, port] = head.subarray(0, nl).toString().trim().split(' ');
    const rest = head.subarray(nl + 1);
    const upstream = connect({ host: host!, port: Number(port) }, () => {
      if (rest.length) upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };
  client.on('data', onData);
  client.on('error', () => undefined);
});
server.listen(socketPath, () => console.log('PORTAL_READY'));
// The test process holds our stdin: when it goes away, so does the namespace.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
