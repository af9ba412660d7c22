// Runs inside the lab namespace (see netns-lab.ts): the way in for the test process, which stays in
// the lo-only namespace. A Unix socket lives in the filesystem, not in a network namespace, so a
// connection to it from outside is forwarded here to a TCP address inside. Each connection starts
// with one line "host port\n"; the rest is piped both ways. Only addresses inside the lab are
// reachable (the namespace has nothing else).
// A connection whose line is "LISTEN <host> <port> <target host> <target port>" instead makes a
// relay inside the namespace (host:port -> target), answers "OK <port>" and closes: the network
// lab (netlab.ts) uses it so a browser's namespace reaches the servers' namespace over the veth.
// A target host of "unix" makes the target port a Unix socket path: the way out, to a server in the
// test process's namespace (netns-lab.ts `expose`).
import { createServer, connect, type Socket } from 'node:net';
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
    const words = head.subarray(0, nl).toString().trim().split(' ');
    if (words[0] === 'LISTEN') return relay(client, words.slice(1));
    const [host, port] = words;
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
function pipeTo(client: Socket, host: string, port: string): void {
  const upstream = connect(host === 'unix' ? { path: port } : { host, port: Number(port) }, () => {
    client.pipe(upstream);
    upstream.pipe(client);
  });
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
}

function relay(control: Socket, [host, port, toHost, toPort]: string[]): void {
  const listener = createServer((c) => pipeTo(c, toHost!, toPort!));
  listener.on('error', (err) => control.end(`ERR ${err.message}\n`));
  listener.listen(Number(port), host, () => control.end(`OK ${(listener.address() as { port: number }).port}\n`));
}

server.listen(socketPath, () => console.log('PORTAL_READY'));
// The test process holds our stdin: when it goes away, so does the namespace.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
