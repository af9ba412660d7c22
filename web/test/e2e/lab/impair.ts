// The rules behind a profile, for one lab link (netlab.ts). Each impairment acts where a real
// network would, never in the sending socket's own output path (a drop there makes sendto fail
// with EPERM: the sender sees an error, not a loss; shared notes network-lab.md):
//   up (participant -> servers/other participant), in the servers' namespace on packets from lab<i>:
//     loss and UDP block: nftables prerouting (priority -300, before anything else);
//     delay/jitter: iptables-legacy mangle PREROUTING -> NFQUEUE <i> -> nfq-delay;
//     rate: tbf on the participant's eth0 egress.
//   down (toward the participant), in the participant's namespace on packets from eth0:
//     loss/UDP block: nftables prerouting; delay: NFQUEUE 0 -> nfq-delay; rate: tbf on lab<i> egress.
// Both ends of the veth are ours, so both rate caps are egress qdiscs (no IFB needed).
import { spawn, type ChildProcess } from 'node:child_process';
import { aheadOfLoad } from './lab-priority.ts';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Direction, Profile } from './profiles.ts';
import type { Namespace } from './netlab.ts';

export interface LinkImpairState {
  index: number;
  device: string;
  servers: Namespace;
  ns: Namespace;
  /** Every delayer started (the lab ends them all). */
  delayers: ChildProcess[];
  applied: Profile;
  down: boolean;
  delayUp?: ChildProcess;
  delayDown?: ChildProcess;
}

/** The nfq-delay binary scripts/install-test-tools.sh built. */
export function nfqDelayPath(): string {
  if (process.env.DUET_NFQ_DELAY) return process.env.DUET_NFQ_DELAY;
  const recorded = resolve(import.meta.dirname, '../../../../.duet/test-tools.env');
  const line = existsSync(recorded) ? readFileSync(recorded, 'utf8').split('\n').find((l) => l.startsWith('DUET_NFQ_DELAY=')) : undefined;
  if (line) return line.slice('DUET_NFQ_DELAY='.length);
  throw new Error('nfq-delay is not built: run bash scripts/install-test-tools.sh');
}

function nftRules(iface: string, d: Direction, p: Profile, blackhole: boolean): string[] {
  const rules: string[] = [];
  if (blackhole) rules.push(`iifname "${iface}" drop`);
  if (p.udpBlocked) rules.push(`iifname "${iface}" meta l4proto udp drop`);
  const permille = Math.round((d.lossPct ?? 0) * 10);
  if (permille > 0) rules.push(`iifname "${iface}" numgen random mod 1000 < ${permille} drop`);
  return rules;
}

async function setNft(ns: Namespace, table: string, rules: string[]): Promise<void> {
  // One table per link and namespace, rebuilt whole: a profile switch is atomic per direction.
  const script = [`table inet ${table}`, `delete table inet ${table}`, `table inet ${table} {`, '  chain pre {', '    type filter hook prerouting priority -300;', ...rules.map((r) => `    ${r}`), '  }', '}'].join('\n');
  await ns.sh(`nft -f - <<'EOF'\n${script}\nEOF`);
}

async function setRate(ns: Namespace, dev: string, kbit: number | undefined): Promise<void> {
  if (!kbit) return void (await ns.sh(`tc qdisc del dev ${dev} root 2>/dev/null || true`));
  // 20 ms of data per burst (at least 3 kB, ~2 full packets); the queue holds up to 200 ms.
  const burst = Math.max(3000, Math.round((kbit * 1000) / 8 * 0.02));
  await ns.sh(`tc qdisc replace dev ${dev} root tbf rate ${kbit}kbit burst ${burst} latency 200ms`);
}

async function startDelayer(state: LinkImpairState, ns: Namespace, queue: number, d: Direction): Promise<ChildProcess> {
  const proc = spawn(ns.enter[0]!, [...ns.enter.slice(1), nfqDelayPath(), String(queue), String(d.delayMs ?? 0), String(d.jitterMs ?? 0)], { stdio: ['pipe', 'pipe', 'pipe'] });
  state.delayers.push(proc);
  aheadOfLoad(proc.pid);
  let out = '';
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise<void>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`nfq-delay ${queue} not ready: ${out}`)), 5_000);
    proc.stdout!.once('data', () => (clearTimeout(t), ok()));
    proc.once('exit', (code) => (clearTimeout(t), fail(new Error(`nfq-delay ${queue} exited ${code}: ${out}`))));
  });
  proc.stdout!.resume();
  return proc;
}

async function setDelay(state: LinkImpairState, side: 'up' | 'down', d: Direction): Promise<void> {
  const ns = side === 'up' ? state.servers : state.ns;
  const iface = side === 'up' ? state.device : 'eth0';
  const queue = side === 'up' ? state.index : 0;
  const key = side === 'up' ? 'delayUp' : 'delayDown';
  const rule = `PREROUTING -i ${iface} -j NFQUEUE --queue-num ${queue} --queue-bypass`;
  const wanted = (d.delayMs ?? 0) > 0 || (d.jitterMs ?? 0) > 0;
  const running = state[key];
  if (wanted) {
    if (running) running.stdin!.write(`${d.delayMs ?? 0} ${d.jitterMs ?? 0}\n`);
    else state[key] = await startDelayer(state, ns, queue, d);
    await ns.sh(`iptables-legacy -t mangle -C ${rule} 2>/dev/null || iptables-legacy -t mangle -A ${rule}`);
  } else {
    // The delayer stays (idle) and lets go of what it holds; new packets skip it.
    await ns.sh(`while iptables-legacy -t mangle -D ${rule} 2>/dev/null; do :; done`);
    running?.stdin!.write('0 0\n');
  }
}

/** Puts profile `p` on the link (both directions); `blackhole` drops everything (an outage without link loss). */
export async function applyImpairments(state: LinkImpairState, p: Profile, blackhole = false): Promise<void> {
  await Promise.all([
    setNft(state.servers, `lab${state.index}`, nftRules(state.device, p.up, p, blackhole)),
    setNft(state.ns, 'lab', nftRules('eth0', p.down, p, blackhole)),
    setRate(state.ns, 'eth0', p.up.rateKbit),
    setRate(state.servers, state.device, p.down.rateKbit),
    setDelay(state, 'up', p.up),
    setDelay(state, 'down', p.down),
  ]);
  state.applied = p;
}

export async function clearImpairments(state: LinkImpairState): Promise<void> {
  await applyImpairments(state, { name: 'clean', down: {}, up: {} });
}
