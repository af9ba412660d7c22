// Runs the shipped coturn config (deploy/coturn/turnserver.conf) on loopback for tests: the
// production file with only addresses, ports, secrets and TLS swapped, plus the two lines that
// let a relay reach 127.0.0.1 (which the production file denies).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSocket } from 'node:dgram';
import { freePort } from './free-port.ts';

export const COTURN_CONFIG = resolve(import.meta.dirname, '../../coturn/turnserver.conf');

/** coturn REST API credentials, the scheme the API uses (TURN_SECRET). */
export function turnRestCredentials(secret: string, userId: string, ttlSeconds: number, now = Date.now()): { username: string; credential: string } {
  const username = `${Math.floor(now / 1000) + ttlSeconds}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

export interface Coturn {
  port: number;
  realm: string;
  /** turn: URLs for RTCIceServer / TURN_URLS (UDP and TCP). */
  urls: string[];
  /** turns: URL (TURN over TLS) when started with `tls`. */
  tlsUrl: string | undefined;
  config: string;
  logs(): string;
  stop(): Promise<void>;
}

const OVERRIDDEN = new Set(['listening-port', 'tls-listening-port', 'listening-ip', 'relay-ip', 'external-ip', 'min-port', 'max-port', 'realm', 'static-auth-secret', 'cert', 'pkey', 'cipher-list', 'log-file', 'pidfile']);

/** The shipped config with placeholders filled for a loopback test run. */
export interface CoturnTls {
  cert: string;
  pkey: string;
  /** The TLS listener's port (the shipped config: 443). */
  port: number;
}

export function loopbackCoturnConfig(opts: { port: number; secrets: string[]; realm: string; minPort: number; maxPort: number; dir: string; ip?: string; tls?: CoturnTls }): string {
  const ip = opts.ip ?? '127.0.0.1';
  const kept = readFileSync(COTURN_CONFIG, 'utf8')
    .split('\n')
    .filter((line) => !OVERRIDDEN.has(line.trim().split('=')[0]!.trim()));
  return [
    ...kept,
    '# --- loopback test overrides (deploy/src/testing/coturn.ts) ---',
    `listening-ip=${ip}`,
    `relay-ip=${ip}`,
    `listening-port=${opts.port}`,
    `min-port=${opts.minPort}`,
    `max-port=${opts.maxPort}`,
    `realm=${opts.realm}`,
    ...opts.secrets.map((s) => `static-auth-secret=${s}`),
    ...(opts.tls ? [`tls-listening-port=${opts.tls.port}`, `cert=${opts.tls.cert}`, `pkey=${opts.tls.pkey}`] : ['no-tls']),
    'no-dtls',
    // Everything in the test lives on one address: allow exactly that, against the production denial.
    'allow-loopback-peers',
    'allowed-peer-ip=127.0.0.1',
    ...(ip === '127.0.0.1' ? [] : [`allowed-peer-ip=${ip}`]),
    `pidfile=${join(opts.dir, 'turnserver.pid')}`,
    'log-file=stdout',
    '',
  ].join('\n');
}

async function udpPortBound(port: number): Promise<boolean> {
  const sock = createSocket('udp4');
  return new Promise((resolveBound) => {
    sock.once('error', () => resolveBound(true)); // EADDRINUSE: coturn holds it
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolveBound(false)));
  });
}

/**
 * `ip`/`enter`: listen on that address inside another network namespace (a command prefix such as
 * nsenter); `tls`: also TURN over TLS (turns:) on `tls.port`.
 */
/** A TCP listener on `port` in the namespace `enter` leads into (ss from iproute2). */
function tcpListening(enter: string[], port: number): boolean {
  const [cmd, ...args] = [...enter, 'sh', '-c', 'PATH="$PATH:/usr/sbin:/sbin" ss -Hltn'];
  const out = spawnSync(cmd!, args, { encoding: 'utf8' }).stdout ?? '';
  return out.split('\n').some((l) => l.split(/\s+/)[3]?.endsWith(`:${port}`));
}

export async function startCoturn(opts: { secrets: string[]; realm?: string; bin?: string; ip?: string; enter?: string[]; tls?: CoturnTls }): Promise<Coturn> {
  const dir = mkdtempSync(join(tmpdir(), 'duet-coturn-'));
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.enter ? 3478 : await freePort();
  // A relay range unlikely to collide with other tests' ephemeral ports.
  const minPort = 50000 + Math.floor(Math.random() * 100) * 100;
  const realm = opts.realm ?? 'duet.test';
  const config = loopbackCoturnConfig({ port, secrets: opts.secrets, realm, minPort, maxPort: minPort + 99, dir, ip, ...(opts.tls ? { tls: opts.tls } : {}) });
  const file = join(dir, 'turnserver.conf');
  writeFileSync(file, config, { mode: 0o600 });
  let output = '';
  const [cmd, ...args] = [...(opts.enter ?? []), opts.bin ?? '/usr/bin/turnserver', '-c', file];
  const child: ChildProcess = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const deadline = Date.now() + 15_000;
  const ready = opts.enter ? async () => tcpListening(opts.enter!, opts.tls?.port ?? port) : async () => udpPortBound(port);
  while (!(await ready())) {
    if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`turnserver did not listen on ${ip}:${port} in 15 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    realm,
    urls: [`turn:${ip}:${port}?transport=udp`, `turn:${ip}:${port}?transport=tcp`],
    tlsUrl: opts.tls ? `turns:${ip}:${opts.tls.port}?transport=tcp` : undefined,
    config,
    logs: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise<void>((r) => {
          const t = setTimeout(() => (child.kill('SIGKILL'), r()), 5_000);
          child.once('exit', () => (clearTimeout(t), r()));
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
