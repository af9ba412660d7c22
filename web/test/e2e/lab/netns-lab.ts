// A network namespace for browsers that will not run on `lo` alone. Firefox gathers no ICE
// candidates at all in a namespace that has only loopback (it treats the network as down); it
// does in one with a veth pair whose ends have addresses and a default route via the other end
// (shared notes: firefox-webrtc.md). The test process stays in the suite's lo-only namespace;
// this makes a child namespace with such a pair — both ends inside it, so nothing leaves it —
// where the stack and the browsers run (`nsenter --net`), and reaches its TCP servers through a
// Unix socket (lab/portal.ts), since sockets on the filesystem cross network namespaces.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The lab's own addresses (a veth pair inside the lab namespace; never the machine's interface). */
export const LAB_ADDRESS = '10.99.9.1';
const PEER_ADDRESS = '10.99.9.2';
const SBIN = 'PATH="$PATH:/usr/sbin:/sbin"';

const SETUP = [
  'ip link set lo up',
  // No IPv6 (as in the lo-only namespace): candidates stay on the lab's IPv4 addresses.
  'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.lo.disable_ipv6=1',
  'ip link add duet0 type veth peer name duet1',
  `ip addr add ${LAB_ADDRESS}/24 dev duet0`,
  `ip addr add ${PEER_ADDRESS}/24 dev duet1`,
  'ip link set duet0 up',
  'ip link set duet1 up',
  `ip route add default via ${PEER_ADDRESS} dev duet0`,
].map((c) => `${SBIN} ${c}`).join(' && ');

export interface Lab {
  /** Where the namespace's servers listen (and mediasoup announces). */
  address: string;
  /** Prefix that runs a command inside the lab: [...enter, cmd, ...args]. */
  enter: string[];
  /** An executable script that runs `binary` inside the lab with its arguments (for launchers). */
  wrapper(binary: string): string;
  /**
   * A port on 127.0.0.1 (test side) that reaches host:port inside the lab; `localPort` asks for
   * that port (a server that checks its Host header, like Firefox's remote agent, needs its own).
   */
  forward(host: string, port: number, localPort?: number): Promise<number>;
  /**
   * The other way: 127.0.0.1:port inside the lab reaches 127.0.0.1:port on the test side (a server
   * the test process runs itself, e.g. an in-process API), so a page URL reads the same on both.
   * Only startLab has it (a netlab view does not).
   */
  expose?(port: number): Promise<void>;
  dir: string;
  stop(): Promise<void>;
}

export async function startLab(): Promise<Lab> {
  const dir = mkdtempSync(join(tmpdir(), 'duet-lab-'));
  const socketPath = join(dir, 'portal.sock');
  const portal = join(import.meta.dirname, 'portal.ts');
  // Root (CI) unshares directly; otherwise the suite already runs as root of its own user namespace.
  const holder: ChildProcess = spawn('unshare', ['--net', '--', 'sh', '-c', `${SETUP} && exec "$0" "$1" "$2"`, process.execPath, portal, socketPath], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  holder.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  holder.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lab namespace not ready in 10 s: ${output}`)), 10_000);
    holder.stdout!.on('data', () => output.includes('PORTAL_READY') && (clearTimeout(timer), resolve()));
    holder.once('exit', (code) => (clearTimeout(timer), reject(new Error(`lab namespace setup failed (${code}): ${output}`))));
  });
  const enter = ['nsenter', `--net=/proc/${holder.pid}/ns/net`, '--'];
  const servers: Server[] = [];

  return {
    address: LAB_ADDRESS,
    enter,
    dir,
    wrapper(binary) {
      const file = join(dir, `in-lab-${binary.replace(/\W+/g, '_')}`);
      writeFileSync(file, `#!/bin/sh\nexec ${enter.join(' ')} ${binary} "$@"\n`);
      chmodSync(file, 0o755);
      return file;
    },
    async forward(host, port, localPort = 0) {
      const server = createServer((client) => {
        const upstream = connect(socketPath, () => {
          upstream.write(`${host} ${port}\n`);
          client.pipe(upstream);
          upstream.pipe(client);
        });
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      servers.push(server);
      await new Promise<void>((r) => server.listen(localPort, '127.0.0.1', () => r()));
      return (server.address() as { port: number }).port;
    },
    async expose(port) {
      // Test side: a Unix socket (it crosses namespaces) piped to the server here.
      const path = join(dir, `out-${port}.sock`);
      const out = createServer((c) => {
        const upstream = connect({ host: '127.0.0.1', port });
        c.pipe(upstream);
        upstream.pipe(c);
        upstream.on('error', () => c.destroy());
        c.on('error', () => upstream.destroy());
        c.on('close', () => upstream.destroy());
        upstream.on('close', () => c.destroy());
      });
      servers.push(out);
      await new Promise<void>((r) => out.listen(path, () => r()));
      // Lab side: the portal listens on the same port and relays to that socket.
      await new Promise<void>((resolve, reject) => {
        const c = connect(socketPath, () => c.write(`LISTEN 127.0.0.1 ${port} unix ${path}\n`));
        let answer = '';
        c.on('data', (d) => (answer += d.toString()));
        c.on('error', reject);
        c.on('close', () => (answer.startsWith('OK ') ? resolve() : reject(new Error(`expose ${port}: ${answer}`))));
      });
    },
    async stop() {
      for (const s of servers) s.close();
      if (holder.exitCode === null) {
        holder.stdin!.end();
        await new Promise((r) => {
          const t = setTimeout(() => (holder.kill('SIGKILL'), r(undefined)), 3_000);
          holder.once('exit', () => (clearTimeout(t), r(undefined)));
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
