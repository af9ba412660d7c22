// Measures a lab link with udp-probe.ts: a server in the servers' namespace, the client in the
// participant's. What the tests (and docs/network-lab.md) use to prove a profile does what it says.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { NetLab, NetLink } from './netlab.ts';
import { aheadOfLoad } from './lab-priority.ts';

const PROBE = join(import.meta.dirname, 'udp-probe.ts');

export interface EchoResult {
  sent: number;
  received: number;
  lossPct: number;
  rtt: { min: number; p10: number; p50: number; p90: number; max: number };
}

export interface Prober {
  port: number;
  echo(link: NetLink, count?: number, intervalMs?: number): Promise<EchoResult>;
  /** kbit/s the participant receives when the server sends `kbit` for `ms`. */
  down(link: NetLink, kbit: number, ms: number): Promise<number>;
  /** kbit/s the server receives when the participant sends `kbit` for `ms`. */
  up(link: NetLink, kbit: number, ms: number): Promise<number>;
  stop(): void;
}

function runJson<T>(enter: string[], args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(enter[0]!, [...enter.slice(1), process.execPath, PROBE, ...args]);
    aheadOfLoad(p.pid);
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`udp-probe ${args.join(' ')}: ${code} ${err}`))));
  });
}

export async function startProber(lab: NetLab, port = 9000): Promise<Prober> {
  const server: ChildProcess = spawn(lab.servers.enter[0]!, [...lab.servers.enter.slice(1), process.execPath, PROBE, 'server', lab.serverAddress, String(port)]);
  aheadOfLoad(server.pid);
  await new Promise<void>((ok, fail) => {
    const t = setTimeout(() => fail(new Error('udp-probe server not ready')), 10_000);
    server.stdout!.once('data', () => (clearTimeout(t), ok()));
  });
  const addr = [lab.serverAddress, String(port)];
  return {
    port,
    echo: (link, count = 200, intervalMs = 5) => runJson<EchoResult>(link.ns.enter, ['echo', ...addr, String(count), String(intervalMs)]),
    down: async (link, kbit, ms) => (await runJson<{ kbps: number }>(link.ns.enter, ['down', ...addr, String(kbit), String(ms)])).kbps,
    up: async (link, kbit, ms) => (await runJson<{ kbps: number }>(link.ns.enter, ['up', ...addr, String(kbit), String(ms)])).kbps,
    stop: () => void server.kill(),
  };
}
