// LiveKit as the benches' comparison anchor: builds (or finds) livekit-server at the pinned
// version, runs it on loopback with a fresh key pair, builds and serves the test page, mints join
// tokens with livekit-server-sdk, and reports every version that shaped the figures.
// Nothing here ships with Duet; the benches import it (deploy/bench/ttff/run.ts).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { AccessToken } from 'livekit-server-sdk';

const HERE = import.meta.dirname;
export const REPO_ROOT = resolve(HERE, '../../..');
export const LIVEKIT_VERSION = process.env.LIVEKIT_VERSION ?? 'v1.11.0';
export const CONFIG_FILE = join(HERE, 'livekit.yaml');
export const PAGE_DIR = join(HERE, 'page');
const PAGE_DIST = join(HERE, 'page', 'dist');

export interface LiveKit {
  /** ws://127.0.0.1:<port> for livekit-client. */
  url: string;
  /** A token for `identity` in `room` (publish + subscribe), valid 10 minutes. */
  token(room: string, identity: string): Promise<string>;
  /** The page's origin (http://127.0.0.1:<port>): `${pageOrigin}/?url=…&token=…`. */
  pageOrigin: string;
  pid: number;
  logs(): string;
  stop(): Promise<void>;
}

/** The binary, built on first use (deploy/bench/livekit/build-server.sh; cached by version). */
export function livekitBinary(): string {
  return execFileSync('bash', [join(HERE, 'build-server.sh')], { env: { ...process.env, LIVEKIT_VERSION }, stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
}

/** Builds the test page with the repo's web tooling (vite) into page/dist (gitignored). */
export async function buildPage(outDir = PAGE_DIST): Promise<string> {
  const { build } = await import('vite');
  // vite's build() sets process.env.NODE_ENV=production, which the Duet stacks started later in
  // the same process would inherit (and then refuse their test configuration): put it back.
  const nodeEnv = process.env.NODE_ENV;
  try {
    await build({ root: PAGE_DIR, base: './', logLevel: 'warn', configFile: false, build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2048 } });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  return outDir;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

/** A static server for the built page on 127.0.0.1 (a secure origin for getUserMedia). */
export async function servePage(dir = PAGE_DIST): Promise<{ origin: string; server: Server }> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = resolve(root, '.' + (path === '/' ? '/index.html' : path));
    if (!file.startsWith(root + '/') || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return { origin: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, server };
}

/** A LiveKit join token: this room only, publish + subscribe, 10 minutes. */
export function mintToken(apiKey: string, secret: string, room: string, identity: string): Promise<string> {
  const at = new AccessToken(apiKey, secret, { identity, ttl: '10m' });
  at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true });
  return at.toJwt();
}

/** livekit.yaml with its three ports moved to port, port+1 (TCP), port+2 (UDP); throws if a key is missing. */
export function configBody(port: number): string {
  let body = readFileSync(CONFIG_FILE, 'utf8');
  for (const [key, value] of [['port', port], ['tcp_port', port + 1], ['udp_port', port + 2]] as const) {
    const re = new RegExp(`^(\\s*${key}:)\\s*\\d+\\s*$`, 'm');
    if (!re.test(body)) throw new Error(`${CONFIG_FILE}: no ${key}`);
    body = body.replace(re, `$1 ${value}`);
  }
  return body;
}

/** Starts livekit-server (loopback config) and the page server. Ports: LIVEKIT_PORT (+1 tcp, +2 udp). */
export async function startLiveKit(bin = livekitBinary()): Promise<LiveKit> {
  const apiKey = `bench${randomBytes(4).toString('hex')}`;
  const secret = randomBytes(32).toString('hex');
  const port = Number(process.env.LIVEKIT_PORT ?? 7880);
  let output = '';
  const child: ChildProcess = spawn(bin, ['--config-body', configBody(port)], {
    env: { ...process.env, LIVEKIT_KEYS: `${apiKey}: ${secret}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const url = `ws://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`livekit-server exited with ${child.exitCode}:\n${output}`);
    const ok = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`livekit-server did not answer on ${port} in 20 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const page = await servePage();
  return {
    url,
    pageOrigin: page.origin,
    pid: child.pid!,
    logs: () => output,
    token: (room, identity) => mintToken(apiKey, secret, room, identity),
    async stop() {
      await new Promise<void>((r) => page.server.close(() => r()));
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => (child.kill('SIGKILL'), r(undefined)), 10_000);
        child.once('exit', () => (clearTimeout(t), r(undefined)));
      });
    },
  };
}

const pkgVersion = (name: string): string | null => {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
};

/** Every version behind a figure: written into each result file. */
export function versions(extra: { chromium?: string; livekitBin?: string } = {}): Record<string, string | null> {
  let server: string | null = null;
  if (extra.livekitBin) {
    try {
      server = execFileSync(extra.livekitBin, ['--version']).toString().trim();
    } catch {
      server = null;
    }
  }
  return {
    node: process.version,
    chromium: extra.chromium ?? null,
    mediasoup: pkgVersion('mediasoup'),
    'mediasoup-client': pkgVersion('mediasoup-client'),
    'livekit-server': server ?? (extra.livekitBin ? null : LIVEKIT_VERSION),
    'livekit-client': pkgVersion('livekit-client'),
    'livekit-server-sdk': pkgVersion('livekit-server-sdk'),
    duet: (() => {
      try {
        return execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']).toString().trim();
      } catch {
        return null;
      }
    })(),
  };
}
