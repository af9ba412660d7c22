// The network lab: the servers in one network namespace, each participant (its browser) in its
// own, each participant joined to the servers by a veth link whose two directions can be
// impaired separately (profiles.ts; impair.ts does the rules). docs/network-lab.md shows its use.
//
//   servers ns: lo + 10.99.0.1/32 (where mediasoup listens and announces), routes between links
//     lab1 10.99.1.1/24 <-veth-> eth0 10.99.1.2/24  participant 1 ns (default route via .1)
//     lab2 10.99.2.1/24 <-veth-> eth0 10.99.2.2/24  participant 2 ns
//
// The test process stays in the suite's lo-only namespace. It reaches a namespace's TCP servers
// through a Unix socket (portal.ts, the process that holds the namespace). Inside a participant's
// namespace 127.0.0.1:<port> of the API and signaling relays over the veth to the servers'
// namespace (exposeServerPorts), so pages load from 127.0.0.1 (a secure context for the camera)
// while every byte, signaling included, crosses the impaired link. Nothing leaves the lab.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { applyImpairments, clearImpairments, type LinkImpairState } from './impair.ts';
import { profile as resolveProfile, type Profile, type ProfileName } from './profiles.ts';

const run = promisify(execFile);
export const SERVER_ADDRESS = '10.99.0.1';
const SBIN = 'PATH="$PATH:/usr/sbin:/sbin"';

/** A namespace held by a portal process (its pid names the namespace). */
export interface Namespace {
  pid: number;
  /** Prefix that runs a command inside: [...enter, cmd, ...args]. */
  enter: string[];
  socketPath: string;
  /** Runs a shell script inside (PATH has /usr/sbin); rejects with its stderr. */
  sh(script: string): Promise<string>;
}

export interface NetLink {
  name: string;
  index: number;
  ns: Namespace;
  /** The participant's current address (changes with changeIp). */
  address: string;
  /** The servers' side of this link (its gateway). */
  gateway: string;
  /** srv-side device name (lab<i>); the participant's device is eth0. */
  device: string;
  /** An executable that runs `binary` in this participant's namespace (for browser launchers). */
  wrapper(binary: string): string;
  /** Sets both directions to a profile (replaces the previous one; outage/udp flags included). */
  apply(p: ProfileName | Profile): Promise<void>;
  /** The profile now applied. */
  readonly current: Profile;
  /**
   * Link down for `ms`, then up. 'down': carrier lost (like Wi-Fi gone; the browser sees its
   * interface lose carrier); 'blackhole': the path silently drops all.
   * Resolves once it is back up, with the instant the link started coming back (taken
   * before the commands that bring it up): media cannot be back before it, while the time this
   * promise settles can come after the first packets under load (fresh run 12: the tutor's media
   * was back before the test marked the end, so "back" was never seen).
   */
  outage(ms: number, mode?: 'down' | 'blackhole'): Promise<number>;
  setDown(down: boolean, mode?: 'down' | 'blackhole'): Promise<void>;
  /** Moves the participant to a new address (the old one vanishes, as when a phone changes network). */
  changeIp(): Promise<string>;
}

export interface NetLab {
  serverAddress: string;
  servers: Namespace;
  dir: string;
  /** Adds a participant namespace and its link (names: [a-z0-9]{1,8}). */
  addLink(name: string): Promise<NetLink>;
  link(name: string): NetLink;
  /** A port on 127.0.0.1 (test side) that reaches host:port inside the servers' namespace. */
  forward(host: string, port: number, localPort?: number, ns?: Namespace): Promise<number>;
  /** In every participant namespace (now and later), 127.0.0.1:port relays to the same port of the servers. */
  exposeServerPorts(ports: number[]): Promise<void>;
  stop(): Promise<void>;
}

const PORTAL = join(import.meta.dirname, 'portal.ts');
const NO_V6 = 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.lo.disable_ipv6=1';

async function holdNamespace(dir: string, name: string, setup: string[]): Promise<Namespace & { proc: ChildProcess }> {
  const socketPath = join(dir, `${name}.sock`);
  const script = [...setup.map((c) => `${SBIN} ${c}`), 'exec "$0" "$1" "$2"'].join(' && ');
  const proc = spawn('unshare', ['--net', '--', 'sh', '-c', script, process.execPath, PORTAL, socketPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`namespace ${name} not ready in 10 s: ${output}`)), 10_000);
    proc.stdout!.on('data', () => output.includes('PORTAL_READY') && (clearTimeout(timer), resolve()));
    proc.once('exit', (code) => (clearTimeout(timer), reject(new Error(`namespace ${name} setup failed (${code}): ${output}`))));
  });
  const enter = ['nsenter', `--net=/proc/${proc.pid}/ns/net`, '--'];
  return {
    proc,
    pid: proc.pid!,
    enter,
    socketPath,
    async sh(s) {
      try {
        const { stdout } = await run(enter[0]!, [...enter.slice(1), 'sh', '-ec', `PATH="$PATH:/usr/sbin:/sbin"; ${s}`]);
        return stdout;
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`in namespace ${name}: ${s}\n${e.stderr ?? e.message}`);
      }
    },
  };
}

/** Asks a namespace's portal to relay host:port -> target inside it. */
function portalListen(ns: Namespace, host: string, port: number, toHost: string, toPort: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = connect(ns.socketPath, () => c.write(`LISTEN ${host} ${port} ${toHost} ${toPort}\n`));
    let answer = '';
    c.on('data', (d) => (answer += d.toString()));
    c.on('error', reject);
    c.on('close', () => (answer.startsWith('OK ') ? resolve(Number(answer.slice(3))) : reject(new Error(`relay ${host}:${port}: ${answer}`))));
  });
}

export async function startNetLab(): Promise<NetLab> {
  const dir = mkdtempSync(join(tmpdir(), 'duet-netlab-'));
  const held: ChildProcess[] = [];
  const servers = await holdNamespace(dir, 'servers', [
    'ip link set lo up',
    NO_V6,
    `ip addr add ${SERVER_ADDRESS}/32 dev lo`,
    'sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0',
  ]);
  held.push(servers.proc);
  const links = new Map<string, NetLink>();
  const exposed: number[] = [];
  const tcpServers: Server[] = [];
  const delayers: ChildProcess[] = [];

  async function addLink(name: string): Promise<NetLink> {
    if (!/^[a-z0-9]{1,8}$/.test(name) || links.has(name)) throw new Error(`bad or duplicate link name "${name}"`);
    const index = links.size + 1;
    const device = `lab${index}`;
    const gateway = `10.99.${index}.1`;
    const ns = await holdNamespace(dir, name, ['ip link set lo up', NO_V6]);
    held.push(ns.proc);
    await servers.sh(
      `ip link add ${device} type veth peer name eth0 netns ${ns.pid}; ip addr add ${gateway}/24 dev ${device}; ip link set ${device} up; ` +
        `sysctl -qw net.ipv4.conf.${device}.rp_filter=0 net.ipv4.neigh.${device}.unres_qlen_bytes=3000`,
    );
    let address = `10.99.${index}.2`;
    let hostPart = 2;
    // A small unresolved-neighbour queue (~3 packets, as on real hosts): with the default 200 kB,
    // a link without carrier holds seconds of packets and delivers them late when it comes back.
    await ns.sh(`sysctl -qw net.ipv4.neigh.eth0.unres_qlen_bytes=3000; ip addr add ${address}/24 dev eth0; ip link set eth0 up; ip route add default via ${gateway} dev eth0`);
    for (const port of exposed) await portalListen(ns, '127.0.0.1', port, SERVER_ADDRESS, port);
    const state: LinkImpairState = { index, device, servers, ns, delayers, applied: resolveProfile('clean'), down: false };
    await clearImpairments(state);
    const link: NetLink = {
      name,
      index,
      ns,
      gateway,
      device,
      get address() {
        return address;
      },
      get current() {
        return state.applied;
      },
      wrapper(binary) {
        const file = join(dir, `in-${name}-${binary.replace(/\W+/g, '_')}`);
        writeFileSync(file, `#!/bin/sh\nexec ${ns.enter.join(' ')} ${binary} "$@"\n`);
        chmodSync(file, 0o755);
        return file;
      },
      async apply(p) {
        await applyImpairments(state, resolveProfile(p));
      },
      async setDown(down, mode = 'down') {
        if (state.down === down) return;
        state.down = down;
        // Everything in flight is lost, as on a real cut: a veth without carrier would instead
        // hold packets and deliver them late when it comes back. So the link also drops all
        // traffic while down, and the drop ends only after the carrier is back.
        if (down) await applyImpairments(state, state.applied, true);
        if (mode === 'down') await servers.sh(`ip link set ${device} ${down ? 'down' : 'up'}`);
        if (!down) await applyImpairments(state, state.applied, false);
      },
      async outage(ms, mode = 'down') {
        await link.setDown(true, mode);
        await new Promise((r) => setTimeout(r, ms));
        const upAt = Date.now();
        await link.setDown(false, mode);
        return upAt;
      },
      async changeIp() {
        hostPart = hostPart >= 250 ? 3 : hostPart + 1;
        const next = `10.99.${index}.${hostPart}`;
        await ns.sh(`ip addr del ${address}/24 dev eth0; ip addr add ${next}/24 dev eth0; ip route replace default via ${gateway} dev eth0`);
        address = next;
        return next;
      },
    };
    links.set(name, link);
    return link;
  }

  return {
    serverAddress: SERVER_ADDRESS,
    servers,
    dir,
    addLink,
    link(name) {
      const l = links.get(name);
      if (!l) throw new Error(`no lab link "${name}"`);
      return l;
    },
    async forward(host, port, localPort = 0, ns = servers) {
      const server = createServer((client) => {
        const upstream = connect(ns.socketPath, () => {
          upstream.write(`${host} ${port}\n`);
          client.pipe(upstream);
          upstream.pipe(client);
        });
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      tcpServers.push(server);
      await new Promise<void>((r) => server.listen(localPort, '127.0.0.1', () => r()));
      return (server.address() as { port: number }).port;
    },
    async exposeServerPorts(ports) {
      for (const port of ports) {
        if (exposed.includes(port)) continue;
        exposed.push(port);
        // The servers listen on 127.0.0.1 in their namespace: a relay on the lab address reaches them.
        await portalListen(servers, SERVER_ADDRESS, port, '127.0.0.1', port);
        for (const l of links.values()) await portalListen(l.ns, '127.0.0.1', port, SERVER_ADDRESS, port);
      }
    },
    async stop() {
      for (const s of tcpServers) s.close();
      for (const d of delayers) d.stdin?.end();
      for (const proc of held.reverse()) {
        if (proc.exitCode !== null) continue;
        proc.stdin!.end();
        await new Promise((r) => {
          const t = setTimeout(() => (proc.kill('SIGKILL'), r(undefined)), 3_000);
          proc.once('exit', () => (clearTimeout(t), r(undefined)));
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
