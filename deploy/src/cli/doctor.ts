// `duet doctor`: checks a host before (or while) it runs Duet, from the same environment the
// services read: the mediasoup worker binary really starts, FFmpeg is usable, the ports are
// free (or held by a healthy Duet), the announced media address is one clients can reach, the
// database answers, object storage accepts a write. Secrets are checked for presence and
// length, never printed.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createObjectStore, loadStorageConfig, StorageConfigError, type StorageConfig } from '@duet/api/storage';
import { API_SECRET_VARS, RECORDER_SECRET_VARS, SIGNALING_SECRET_VARS, checkSecrets as checkSecretPolicy, withNodeSecret, type SecretSpec } from '@duet/api/secrets';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces, cpus } from 'node:os';
import { join, resolve } from 'node:path';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';
export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
}

type Env = Record<string, string | undefined>;
export type Role = 'api' | 'media' | 'recorder';

function exec(cmd: string, args: string[], timeoutMs = 15_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolveExec) => {
    let out = '';
    let child;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolveExec({ code: null, out: (err as Error).message });
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', (err) => {
      clearTimeout(timer);
      resolveExec({ code: null, out: err.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolveExec({ code, out });
    });
  });
}

export async function checkWorker(env: Env): Promise<CheckResult> {
  const bin = env.MEDIASOUP_WORKER_BIN;
  if (!bin) return { name: 'worker', status: 'fail', detail: 'MEDIASOUP_WORKER_BIN is not set (path of the mediasoup-worker built by sfu/scripts/build-worker.sh)' };
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    return { name: 'worker', status: 'fail', detail: `${bin} is missing or not executable` };
  }
  // Start a real worker and ask it something: proves the binary, its libraries (libsrtp2) and
  // the JS/worker protocol versions match.
  try {
    const mediasoup = await import('mediasoup');
    const worker = await mediasoup.createWorker({ workerBin: bin, logLevel: 'none' });
    try {
      const router = await worker.createRouter({ mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }] });
      router.close();
      const started = `mediasoup ${mediasoup.version} worker starts and creates a router (${bin})`;
      // The node offers Opus RED only with Duet's worker build (sfu/src/codecs.ts probes it the same way).
      const { probeAudioRed } = await import('@duet/sfu');
      if (await probeAudioRed(worker)) return { name: 'worker', status: 'ok', detail: `${started}; it forwards Opus RED` };
      return {
        name: 'worker',
        status: 'warn',
        detail: `${started}, but it does not forward Opus RED (a stock mediasoup worker?): SFU lessons will send plain Opus, whose audio suffers more on lossy links. Build it with sfu/scripts/build-worker.sh`,
      };
    } finally {
      worker.close();
    }
  } catch (err) {
    return { name: 'worker', status: 'fail', detail: `${bin} does not start: ${(err as Error).message}` };
  }
}

export async function checkFfmpeg(env: Env): Promise<CheckResult> {
  const bin = env.FFMPEG_PATH || 'ffmpeg';
  const v = await exec(bin, ['-hide_banner', '-version']);
  if (v.code !== 0) return { name: 'ffmpeg', status: 'fail', detail: `${bin} does not run (${v.out.trim().split('\n')[0] || `exit ${v.code}`}); apt-get install ffmpeg` };
  const muxers = await exec(bin, ['-hide_banner', '-muxers']);
  const missing = ['webm', 'matroska'].filter((m) => !new RegExp(`\\s${m}\\s`).test(muxers.out));
  const version = /ffmpeg version (\S+)/.exec(v.out)?.[1] ?? 'unknown version';
  if (missing.length > 0) return { name: 'ffmpeg', status: 'fail', detail: `ffmpeg ${version} lacks muxers: ${missing.join(', ')}` };
  // The recorder probes finished files for their duration.
  const probe = env.FFPROBE_PATH || 'ffprobe';
  const p = await exec(probe, ['-hide_banner', '-version']);
  if (p.code !== 0) return { name: 'ffmpeg', status: 'fail', detail: `${probe} does not run (${p.out.trim().split('\n')[0] || `exit ${p.code}`})` };
  return { name: 'ffmpeg', status: 'ok', detail: `ffmpeg ${version} with webm and matroska muxers, and ffprobe` };
}

function tcpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const srv = createServer();
    srv.once('error', () => resolveFree(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolveFree(true)));
  });
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const sock = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    sock.once('error', () => resolveFree(false));
    sock.bind({ address: host, port, exclusive: true }, () => sock.close(() => resolveFree(true)));
  });
}

async function duetAnswers(host: string, port: number): Promise<boolean> {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  try {
    const res = await fetch(`http://${isIP(h) === 6 ? `[${h}]` : h}:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { ok?: boolean };
    return res.ok && body.ok === true;
  } catch {
    return false;
  }
}

export async function checkPorts(env: Env, roles: Role[]): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const tcp: { what: string; host: string; port: number }[] = [];
  if (roles.includes('api')) tcp.push({ what: 'API', host: env.API_HOST || '127.0.0.1', port: Number(env.API_PORT || 8080) });
  if (roles.includes('media')) tcp.push({ what: 'signaling', host: env.SIGNALING_HOST || '127.0.0.1', port: Number(env.SIGNALING_PORT || 8090) });
  if (roles.includes('recorder')) tcp.push({ what: 'recorder', host: env.RECORDER_HOST || '127.0.0.1', port: Number(env.RECORDER_PORT || 8095) });
  for (const { what, host, port } of tcp) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      out.push({ name: `port ${what}`, status: 'fail', detail: `invalid port "${port}"` });
    } else if (port === 0 || (await tcpFree(host, port))) {
      out.push({ name: `port ${what}`, status: 'ok', detail: `${host}:${port}/tcp is free` });
    } else if (await duetAnswers(host, port)) {
      out.push({ name: `port ${what}`, status: 'ok', detail: `${host}:${port}/tcp is in use by a running, healthy Duet ${what}` });
    } else {
      out.push({ name: `port ${what}`, status: 'fail', detail: `${host}:${port}/tcp is in use by another program` });
    }
  }
  if (roles.includes('media')) {
    const base = Number(env.MEDIA_PORT_BASE ?? 40000);
    const workers = Number(env.MEDIASOUP_WORKERS || cpus().length);
    const host = env.MEDIA_LISTEN_IP || '127.0.0.1';
    if (base === 0) {
      out.push({ name: 'port media', status: 'warn', detail: 'MEDIA_PORT_BASE=0: ephemeral media ports cannot be opened in a firewall (fine for tests)' });
    } else {
      const busy: string[] = [];
      for (let i = 0; i < workers; i++) {
        for (const [proto, free] of [['udp', udpFree], ['tcp', tcpFree]] as const) {
          if (!(await free(host, base + i))) busy.push(`${base + i}/${proto}`);
        }
      }
      const range = `${host}:${base}-${base + workers - 1} (udp+tcp, ${workers} worker${workers === 1 ? '' : 's'})`;
      if (busy.length === 0) out.push({ name: 'port media', status: 'ok', detail: `${range} free` });
      else if (await duetAnswers(env.SIGNALING_HOST || '127.0.0.1', Number(env.SIGNALING_PORT || 8090))) {
        out.push({ name: 'port media', status: 'ok', detail: `${range} in use by the running media node` });
      } else out.push({ name: 'port media', status: 'fail', detail: `in use by another program: ${busy.join(', ')}` });
    }
  }
  return out;
}

const PRIVATE_V4 = [/^10\./, /^192\.168\./, /^172\.(1[6-9]|2\d|3[01])\./, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./, /^169\.254\./];

export async function checkAnnouncedAddress(env: Env): Promise<CheckResult> {
  const listen = env.MEDIA_LISTEN_IP || '127.0.0.1';
  const announced = env.MEDIA_ANNOUNCED_ADDRESS || listen;
  const name = 'announced address';
  if (!isIP(listen)) return { name, status: 'fail', detail: `MEDIA_LISTEN_IP "${listen}" is not an IP address` };
  if (listen !== '0.0.0.0' && listen !== '::') {
    const local = Object.values(networkInterfaces()).flat().map((a) => a?.address);
    if (!local.includes(listen)) return { name, status: 'fail', detail: `MEDIA_LISTEN_IP ${listen} is not an address of this machine (${local.join(', ')})` };
  }
  if (announced === '0.0.0.0' || announced === '::') return { name, status: 'fail', detail: `MEDIA_ANNOUNCED_ADDRESS must be the address clients reach, not ${announced}` };
  let ip = announced;
  if (!isIP(announced)) {
    try {
      ip = (await lookup(announced)).address;
    } catch {
      return { name, status: 'fail', detail: `MEDIA_ANNOUNCED_ADDRESS ${announced} does not resolve` };
    }
  }
  const loopback = ip.startsWith('127.') || ip === '::1';
  const isPrivate = PRIVATE_V4.some((r) => r.test(ip)) || /^f[cd]/i.test(ip);
  const listenIsLoopback = listen.startsWith('127.') || listen === '::1';
  if (loopback && !listenIsLoopback) return { name, status: 'fail', detail: `announces ${announced} (loopback) while listening on ${listen}: remote clients cannot reach it` };
  if (loopback) return { name, status: 'warn', detail: `${announced} is loopback: only browsers on this machine can join (development)` };
  if (isPrivate) return { name, status: 'warn', detail: `${announced} is a private address: only clients on that network (or through TURN) reach it` };
  return { name, status: 'ok', detail: `${announced}${ip !== announced ? ` (${ip})` : ''} is a public address` };
}

/** A media node's registration identity (NODE_ID…): what the API will hand to browsers. */
export function checkNodeIdentity(env: Env): CheckResult {
  const name = 'node identity';
  const id = env.NODE_ID?.trim();
  if (!id) return { name, status: 'warn', detail: 'NODE_ID not set: this node does not register; the API uses SIGNALING_PUBLIC_URL (one media node only)' };
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) return { name, status: 'fail', detail: `NODE_ID "${id}" must match [A-Za-z0-9_.-]{1,64}` };
  const parse = (v: string | undefined, protocols: string[]): URL | null => {
    try {
      const u = new URL(v ?? '');
      return protocols.includes(u.protocol) ? u : null;
    } catch {
      return null;
    }
  };
  const pub = parse(env.NODE_PUBLIC_URL, ['ws:', 'wss:']);
  if (env.NODE_PUBLIC_URL && !pub) return { name, status: 'fail', detail: `NODE_PUBLIC_URL must be a ws:// or wss:// URL (got "${env.NODE_PUBLIC_URL}")` };
  if (env.NODE_INTERNAL_URL && !parse(env.NODE_INTERNAL_URL, ['http:', 'https:'])) {
    return { name, status: 'fail', detail: `NODE_INTERNAL_URL must be an http(s) URL (got "${env.NODE_INTERNAL_URL}")` };
  }
  if (!pub) return { name, status: 'warn', detail: `${id}: NODE_PUBLIC_URL not set, browsers get ws://<SIGNALING_HOST>:<SIGNALING_PORT>/ws (no TLS)` };
  const local = /^(127\.|localhost$|\[::1\]$)/.test(pub.hostname);
  if (pub.protocol === 'ws:' && !local) return { name, status: 'warn', detail: `${id}: ${pub.href} is not TLS; browsers on https pages refuse ws:// (use wss:// through nginx)` };
  return { name, status: 'ok', detail: `${id} registers as ${pub.href}${env.NODE_INTERNAL_URL ? ` (API probes ${env.NODE_INTERNAL_URL})` : ''}` };
}

export async function checkDatabase(env: Env): Promise<CheckResult> {
  const url = env.DATABASE_URL;
  const name = 'database';
  if (!url || url.startsWith('pglite:')) {
    if (url === 'pglite:memory') return { name, status: 'warn', detail: 'pglite:memory keeps nothing across restarts (tests only)' };
    const dir = url ? resolve(url.slice('pglite:'.length)) : resolve(env.DUET_DATA_DIR || './data', 'pglite');
    try {
      mkdirSync(dir, { recursive: true });
      const probe = join(dir, `.duet-doctor-${process.pid}`);
      writeFileSync(probe, 'ok');
      rmSync(probe);
    } catch (err) {
      return { name, status: 'fail', detail: `embedded PGlite directory ${dir} is not writable: ${(err as Error).message}` };
    }
    return { name, status: 'warn', detail: `embedded PGlite in ${dir} (writable); use PostgreSQL (DATABASE_URL) in production` };
  }
  if (!/^postgres(ql)?:\/\//.test(url)) return { name, status: 'fail', detail: 'DATABASE_URL must be postgres://… or pglite:…' };
  const { default: postgres } = await import('postgres');
  const sql = postgres(url, { max: 1, connect_timeout: 5, idle_timeout: 1, onnotice: () => undefined });
  const where = (() => {
    try {
      const u = new URL(url);
      return `${u.hostname}:${u.port || 5432}${u.pathname}`;
    } catch {
      return 'DATABASE_URL';
    }
  })();
  try {
    const [row] = await sql<{ version: string; writable: boolean }[]>`select current_setting('server_version') as version, not pg_is_in_recovery() as writable`;
    if (!row!.writable) return { name, status: 'fail', detail: `${where}: PostgreSQL ${row!.version} is a read-only replica` };
    return { name, status: 'ok', detail: `${where}: PostgreSQL ${row!.version} answers and accepts writes` };
  } catch (err) {
    // Driver messages may echo the URL; report only the code and a generic reason.
    const e = err as { code?: string; message?: string };
    const reason = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === '28P01' ? 'password authentication failed' : e.code === '3D000' ? 'database does not exist' : (e.code ?? 'unreachable');
    return { name, status: 'fail', detail: `${where}: ${reason}` };
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}

export function checkSecrets(env: Env, roles: Role[]): CheckResult {
  // The roles' own rule (@duet/api/secrets): what they would refuse at start, doctor reports.
  // A media host may hold its node's own NODE_SECRET (with NODE_ID) instead of the shared secret.
  const specs = new Map<string, SecretSpec>();
  if (roles.includes('api')) for (const s of API_SECRET_VARS) specs.set(s.name, s);
  const hostEnv = roles.includes('api') ? { ...env, NODE_SECRET: undefined } : env;
  if (roles.includes('media')) for (const s of withNodeSecret(hostEnv, SIGNALING_SECRET_VARS)) specs.set(s.name, s);
  if (roles.includes('recorder')) for (const s of withNodeSecret(hostEnv, RECORDER_SECRET_VARS)) specs.set(s.name, s);
  const problems = checkSecretPolicy(env, [...specs.values()]);
  if (specs.has('NODE_SECRET') && !/^[0-9a-f]{64}$/.test(env.NODE_SECRET ?? '')) problems.push('NODE_SECRET must be 64 hex characters (RUNBOOK "Add a media node")');
  const seen = new Map<string, string>();
  for (const name of specs.keys()) {
    const v = env[name];
    if (!v || name.startsWith('S3_')) continue;
    if (seen.has(v)) problems.push(`${name} equals ${seen.get(v)}`);
    else seen.set(v, name);
  }
  if (env.TURN_URLS && !env.TURN_SECRET) problems.push('TURN_URLS set without TURN_SECRET');
  if (problems.length > 0) return { name: 'secrets', status: 'fail', detail: problems.join('; ') };
  const set = [...specs.values()].filter((s) => s.required || env[s.name]).map((s) => s.name);
  return { name: 'secrets', status: 'ok', detail: `${set.join(', ')} set, strong enough and distinct` };
}

export interface StorageProbe {
  (env: Env): Promise<CheckResult>;
}

/** Object storage as the API and recorder use it (@duet/api/storage): write, read back, list,
 * delete a probe object under doctor/. */
export async function checkObjectStore(env: Env): Promise<CheckResult> {
  const name = 'storage';
  let config: StorageConfig;
  try {
    config = loadStorageConfig(env as NodeJS.ProcessEnv);
  } catch (err) {
    return { name, status: 'fail', detail: err instanceof StorageConfigError ? err.problems.join('; ') : (err as Error).message };
  }
  const where = config.kind === 's3' ? `S3 bucket ${config.bucket}${config.endpoint ? ` at ${config.endpoint}` : ''}` : `local objects in ${config.dir}`;
  const key = `doctor/${randomUUID()}.txt`;
  const body = `duet doctor ${new Date().toISOString()}`;
  try {
    const store = createObjectStore(config);
    await store.put(key, body, { contentType: 'text/plain' });
    try {
      const got = await store.get(key);
      const chunks: Buffer[] = [];
      for await (const c of got.body) chunks.push(Buffer.from(c as Buffer));
      if (Buffer.concat(chunks).toString('utf8') !== body) return { name, status: 'fail', detail: `${where}: read back differs from what was written` };
      if (!(await store.list('doctor/')).some((o) => o.key === key)) return { name, status: 'fail', detail: `${where}: the probe object is missing from list()` };
    } finally {
      await store.delete(key);
    }
    if ((await store.head(key)) !== null) return { name, status: 'fail', detail: `${where}: delete did not remove the probe object` };
  } catch (err) {
    const e = err as Error & { Code?: string; code?: string };
    return { name, status: 'fail', detail: `${where} is not writable: ${e.Code ?? e.code ?? e.name}: ${e.message}` };
  }
  return { name, status: 'ok', detail: `${where}: write, read, list, delete ok` };
}

export async function checkApi(env: Env): Promise<CheckResult> {
  // A media node or recorder must reach the API at API_INTERNAL_URL; elsewhere, the URL the CLI uses.
  const base = env.API_INTERNAL_URL || env.DUET_API_URL;
  if (!base) return { name: 'api', status: 'skip', detail: 'DUET_API_URL / API_INTERNAL_URL not set' };
  try {
    const res = await fetch(`${base.replace(/\/+$/, '')}/healthz`, { signal: AbortSignal.timeout(5000) });
    if (res.ok) return { name: 'api', status: 'ok', detail: `${base} answers /healthz` };
    return { name: 'api', status: 'fail', detail: `${base}/healthz answered ${res.status}` };
  } catch (err) {
    return { name: 'api', status: 'fail', detail: `${base} unreachable: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}` };
  }
}

export async function runDoctor(env: Env, roles: Role[], storage: StorageProbe): Promise<CheckResult[]> {
  const results: CheckResult[] = [checkSecrets(env, roles)];
  if (roles.includes('media')) results.push(await checkWorker(env), await checkAnnouncedAddress(env), checkNodeIdentity(env));
  if (roles.includes('recorder')) results.push(await checkFfmpeg(env));
  results.push(...(await checkPorts(env, roles)));
  if (roles.includes('api')) results.push(await checkDatabase(env));
  if (roles.includes('api') || roles.includes('recorder')) results.push(await storage(env));
  if (roles.includes('media') || roles.includes('recorder') || env.DUET_API_URL) results.push(await checkApi(env));
  return results;
}

