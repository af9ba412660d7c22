// Participants on links of their own, for connectivity tests (UDP blocked, as on school and office
// networks). The servers live in the lab namespace (netns-lab.ts); each participant gets a
// namespace joined to it by a veth pair, with no forwarding between participants, so a P2P lesson
// can only go through a relay. The participant's page still loads from 127.0.0.1 (forwarder.ts,
// through the lab's Unix-socket portal), so it is a secure context; its media crosses the link.
// Addresses are 10.99.<20+i>.0/24, inside namespaces this test made; never the machine's network.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from './netns-lab.ts';

const SBIN = 'PATH="$PATH:/usr/sbin:/sbin"';

export interface ParticipantNet {
  /** The participant's own address on its link. */
  address: string;
  /** An executable that runs `binary` inside the participant's namespace (a browser launcher). */
  wrapper(binary: string): string;
  stop(): Promise<void>;
}

function sh(script: string): void {
  const r = spawnSync('sh', ['-c', `set -e; ${script}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`lab command failed (${r.status}): ${script}\n${r.stderr}`);
}

const netOf = (pid: number) => `nsenter --net=/proc/${pid}/ns/net --`;

export function labPid(lab: Lab): number {
  const arg = lab.enter.find((a) => a.startsWith('--net=/proc/'));
  return Number(/\/proc\/(\d+)\//.exec(arg ?? '')?.[1]);
}

/** A participant namespace on link `index` (0..9) whose 127.0.0.1:<port> reach the lab's. */
export async function addParticipantNet(lab: Lab, index: number, ports: number[]): Promise<ParticipantNet> {
  const net = `10.99.${20 + index}`;
  const forwarder = join(import.meta.dirname, 'forwarder.ts');
  const holder: ChildProcess = spawn(
    'unshare',
    ['--net', '--', 'sh', '-c', `${SBIN} ip link set lo up && ${SBIN} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 && exec "$@"`, 'sh', process.execPath, forwarder, join(lab.dir, 'portal.sock'), ...ports.map(String)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  holder.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  holder.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`participant namespace not ready in 10 s: ${output}`)), 10_000);
    holder.stdout!.on('data', () => output.includes('FORWARDER_READY') && (clearTimeout(timer), resolve()));
    holder.once('exit', (code) => (clearTimeout(timer), reject(new Error(`participant namespace failed (${code}): ${output}`))));
  });
  const srv = labPid(lab);
  const pid = holder.pid!;
  participantPids.add(pid);
  const [a, b] = [`lk${index}s`, `lk${index}c`];
  sh(`${SBIN}; export PATH
    ip link add ${a} type veth peer name ${b}
    ip link set ${a} netns ${srv}
    ip link set ${b} netns ${pid}
    ${netOf(srv)} ip addr add ${net}.1/24 dev ${a}
    ${netOf(srv)} ip link set ${a} up
    ${netOf(srv)} sysctl -qw net.ipv4.ip_forward=0
    ${netOf(pid)} ip addr add ${net}.2/24 dev ${b}
    ${netOf(pid)} ip link set ${b} up
    ${netOf(pid)} ip route add default via ${net}.1 dev ${b}`);
  return {
    address: `${net}.2`,
    wrapper(binary) {
      const file = join(lab.dir, `in-${b}-${binary.replace(/\W+/g, '_')}`);
      writeFileSync(file, `#!/bin/sh\nexec ${netOf(pid)} ${binary} "$@"\n`);
      chmodSync(file, 0o755);
      return file;
    },
    async stop() {
      participantPids.delete(pid);
      if (holder.exitCode !== null) return;
      holder.stdin!.end();
      await new Promise((r) => {
        const t = setTimeout(() => (holder.kill('SIGKILL'), r(undefined)), 3_000);
        holder.once('exit', () => (clearTimeout(t), r(undefined)));
      });
    },
  };
}

/**
 * UDP blocked on every participant link, both ways (nftables, dropping on each receiving side:
 * the lab's input from the links, and each participant's input): only TCP gets through, as behind
 * a firewall that allows web traffic alone. Traffic inside the servers' namespace is untouched.
 */
export function blockUdp(lab: Lab, blocked: boolean): void {
  for (const pid of [labPid(lab), ...participantPids]) {
    const nft = `${netOf(pid)} nft`;
    sh(`${SBIN}; export PATH; ${nft} delete table inet duetlab 2>/dev/null || true`);
    if (blocked) {
      sh(`${SBIN}; export PATH
        ${nft} add table inet duetlab
        ${nft} add chain inet duetlab in '{ type filter hook input priority 0; }'
        ${nft} add rule inet duetlab in iifname 'lk*' meta l4proto udp drop`);
    }
  }
}

/** Participant namespaces alive now (their links get the same rules as the lab's side). */
const participantPids = new Set<number>();
