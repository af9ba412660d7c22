// LiveKit as the benches' comparison anchor: builds (or finds) livekit-server at the pinned
// version, runs it on loopback with a fresh key pair, builds and serves the test page, mints join
// tokens with livekit-server-sdk, and reports every version that shaped the figures.
// Nothing here ships with Duet; the benches import it (deploy/bench/ttff/run.ts).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
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
  /** Its signaling port (the lab exposes it to the participants' namespaces). */
  port: number;
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
/**
 * The page, served like Duet's room (api/src/http/routes/web-app.ts with the build's .br/.gz
 * copies): brotli or gzip when the browser takes it, compressed once per file at the highest
 * level. Over the network lab's thin links an uncompressed 530 KB bundle kept the page from
 * loading within 90 s while Duet's compressed one loaded.
 */
export async function servePage(dir = PAGE_DIST): Promise<{ origin: string; server: Server }> {
  const root = resolve(dir);
  const compressed = new Map<string, { br: Buffer; gzip: Buffer }>();
  const copies = (file: string) => {
    let c = compressed.get(file);
    if (!c) {
      const body = readFileSync(file);
      c = { br: brotliCompressSync(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }), gzip: gzipSync(body, { level: 9 }) };
      compressed.set(file, c);
    }
    return c;
  };
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = resolve(root, '.' + (path === '/' ? '/index.html' : path));
    if (!file.startsWith(root + '/') || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const accept = String(req.headers['accept-encoding'] ?? '');
    const encoding = /\.(js|css|html)$/.test(file) ? (/\bbr\b/.test(accept) ? 'br' : /\bgzip\b/.test(accept) ? 'gzip' : null) : null;
    if (encoding) return void res.writeHead(200, { 'content-type': type, 'content-encoding': encoding, vary: 'accept-encoding' }).end(copies(file)[encoding]);
    res.writeHead(200, { 'content-type': type });
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

/**
 * Where LiveKit runs. Default: here, on loopback. In the network lab (deploy/bench/network):
 * `enter` (the servers' namespace prefix) runs the server and the page server there, `nodeIp`
 * (the lab's server address) is the media address it announces instead of 127.0.0.1.
 */
export interface LiveKitPlace {
  enter?: string[];
  nodeIp?: string;
}

/** configBody() for a place: the announced media address, no loopback candidate off loopback. */
function placedConfig(port: number, place: LiveKitPlace): string {
  let body = configBody(port);
  if (place.nodeIp) {
    body = body.replace(/^(\s*node_ip:).*$/m, `$1 ${place.nodeIp}`).replace(/^(\s*enable_loopback_candidate:).*$/m, '$1 false');
  }
  return body;
}

/** The page server inside `enter`'s namespace (serve-page.ts), so pages load from its 127.0.0.1. */
async function servePageIn(enter: string[]): Promise<{ origin: string; stop(): Promise<void> }> {
  const [cmd, ...args] = [...enter, process.execPath, join(HERE, 'serve-page.ts')];
  const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const origin = await new Promise<string>((res, rej) => {
    let out = '';
    const t = setTimeout(() => rej(new Error('page server did not start in 10 s')), 10_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^(http:\/\/\S+)$/m.exec(out);
      if (m) (clearTimeout(t), res(m[1]!));
    });
    child.once('exit', (code) => (clearTimeout(t), rej(new Error(`page server exited with ${code}`))));
  });
  return {
    origin,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
      }),
  };
}

/** Starts livekit-server (loopback config) and the page server. Ports: LIVEKIT_PORT (+1 tcp, +2 udp). */
export async function startLiveKit(bin = livekitBinary(), place: LiveKitPlace = {}): Promise<LiveKit> {
  const apiKey = `bench${randomBytes(4).toString('hex')}`;
  const secret = randomBytes(32).toString('hex');
  const port = Number(process.env.LIVEKIT_PORT ?? 7880);
  let output = '';
  const [cmd, ...pre] = [...(place.enter ?? []), bin];
  const child: ChildProcess = spawn(cmd!, [...pre, '--config-body', placedConfig(port, place)], {
    env: { ...process.env, LIVEKIT_KEYS: `${apiKey}: ${secret}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const url = `ws://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`livekit-server exited with ${child.exitCode}:\n${output}`);
    const ok = place.enter
      ? await new Promise<boolean>((r) => {
          const [c, ...a] = [...place.enter!, 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port} 2>/dev/null || exit 1`];
          spawn(c!, a, { stdio: 'ignore' }).once('exit', (code) => r(code === 0)).once('error', () => r(false));
        })
      : await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`livekit-server did not answer on ${port} in 20 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const page = place.enter
    ? await servePageIn(place.enter)
    : await servePage().then(({ origin, server }) => ({ origin, stop: () => new Promise<void>((r) => server.close(() => r())) }));
  return {
    url,
    port,
    pageOrigin: page.origin,
    pid: child.pid!,
    logs: () => output,
    token: (room, identity) => mintToken(apiKey, secret, room, identity),
    async stop() {
      await page.stop();
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
