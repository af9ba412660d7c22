// The signaling bench's stack: a throwaway PostgreSQL, the API (`node api/src/main.ts`) and one
// media node (`node signaling/src/main.ts`, one mediasoup worker), each its own process, so the
// node's memory and CPU are its own. Lessons and seats come through the public API with the
// marketplace key, as a marketplace makes them: create → mint a token per seat → POST /join
// (which hands out the seat ticket the node checks at hello).
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { startPostgresServer } from '../../../api/test/support/postgres-server.ts';
import type { Seat } from './clients.ts';
import { freePort } from '@duet/deploy/testing';
import { MEDIA_NODE_FLAGS, MEDIA_NODE_MAIN } from '@duet/signaling/launch';

export { freePort };

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '../../..');
export const PROBE = join(HERE, 'probe.ts');
/** SIGBENCH_PERF (run.ts): the servers write /tmp/perf-<pid>.map so `perf report` names JavaScript functions. */
const PERF_FLAGS = process.env.SIGBENCH_PERF ? ['--perf-basic-prof-only-functions'] : [];

export interface Probe {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** V8's heap pages actually resident, and what V8 itself malloc'ed (KB). */
  heapPhysical: number;
  mallocedKb: number;
  /** Resident KB by kind of mapping (/proc/self/smaps): [heap], anon, file, … */
  smaps: Record<string, number>;
  arrayBuffers: number;
  cpuMs: number;
}


/** A server process with the probe preloaded (IPC: 'measure' → memory after GC, CPU time). */
export function forkProbed(script: string, args: string[], env: Record<string, string | undefined>, nodeFlags: readonly string[] = []): ChildProcess {
  return fork(script, args, { env: env as NodeJS.ProcessEnv, execArgv: [...nodeFlags, '--expose-gc', '--import', PROBE], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
}

export function measure(child: ChildProcess): Promise<Probe> {
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error('probe did not answer')), 30_000);
    const on = (m: Probe & { probe?: boolean }) => {
      if (!m.probe) return;
      clearTimeout(t);
      child.off('message', on);
      res(m);
    };
    child.on('message', on);
    child.send('measure');
  });
}

/** CPU time (ms) of a process from /proc (user + system; clock ticks are 100 Hz on Linux). */
export function cpuMsOf(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

/**
 * CPU time (ms) of a process and its direct children, living (their own time) and exited (the
 * parent's cutime/cstime): PostgreSQL's postmaster and its backends.
 */
export function treeCpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  const fields = (p: number | string) => {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  };
  try {
    const own = fields(pid);
    let ms = (Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])) * 10;
    for (const p of readdirSync('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      try {
        const f = fields(p);
        if (Number(f[1]) === pid) ms += (Number(f[11]) + Number(f[12])) * 10;
      } catch {
        // exited meanwhile
      }
    }
    return ms;
  } catch {
    return NaN;
  }
}

/** Busy CPU time (ms) of the whole machine so far, from /proc/stat (all but idle and iowait). */
export function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - f[3]! - f[4]!) * 10;
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

export async function waitFor(url: string, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} at ${url} did not become ready`);
}

export interface DuetStack {
  apiUrl: string;
  wsUrl: string;
  node: ChildProcess;
  api: ChildProcess;
  /** CPU time (ms) of the PostgreSQL server so far (postmaster and backends). */
  dbCpuMs(): number;
  /** The API settings an operator load test needs (the rest are the defaults), for the result file. */
  loadTestSettings: Record<string, string>;
  seats(lessons: number): Promise<Seat[]>;
  stop(): Promise<void>;
}

export async function startDuetStack(nodeEnv: Record<string, string> = {}, apiEnv: Record<string, string> = {}): Promise<DuetStack> {
  const work = await mkdtemp(join(tmpdir(), 'duet-sigbench-'));
  const pg = await startPostgresServer();
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  await admin.unsafe('create database duet_sigbench');
  await admin.end();
  const dbUrl = new URL(pg.url);
  dbUrl.pathname = '/duet_sigbench';
  const [apiPort, nodePort] = [await freePort(), await freePort()];
  const apiKey = `duet_${randomBytes(16).toString('hex')}`;
  const internal = randomBytes(32).toString('hex');
  const wsUrl = `ws://127.0.0.1:${nodePort}/ws`;
  // The marketplace key's budget is 6000 requests a minute by default; creating thousands of
  // lessons in seconds is exactly what an operator's load test does, so it is raised here (and
  // only that: the anonymous and per-seat limits and every media-node cap keep their defaults).
  const loadTestSettings = { RATE_LIMIT_KEY_MAX: '10000000' };
  const common = { ...process.env, LOG_LEVEL: 'info', INTERNAL_HOOK_SECRET: internal, SIGNALING_PUBLIC_URL: wsUrl };
  const api = fork(join(ROOT, 'api/src/main.ts'), [], {
    env: { ...common, DATABASE_URL: dbUrl.toString(), API_HOST: '127.0.0.1', API_PORT: String(apiPort), DUET_API_KEY: apiKey, JOIN_TOKEN_SECRET: randomBytes(32).toString('hex'), OBJECTS_DIR: join(work, 'objects'), ...loadTestSettings, ...apiEnv },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    // The probe (profile on request) only when a profile is asked for: the API is not measured otherwise.
    ...(process.env.SIGBENCH_CPU_PROF || process.env.SIGBENCH_PERF ? { execArgv: [...PERF_FLAGS, ...(process.env.SIGBENCH_CPU_PROF ? ['--import', PROBE] : [])] } : {}),
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await waitFor(`${apiUrl}/readyz`, 'the API');
  // Started as production starts it (signaling/src/launch.ts: its V8 flags), plus the probe.
  const node = forkProbed(join(ROOT, MEDIA_NODE_MAIN), [], {
    ...common,
    SIGNALING_HOST: '127.0.0.1',
    SIGNALING_PORT: String(nodePort),
    API_INTERNAL_URL: apiUrl,
    HOOK_SPOOL_DIR: join(work, 'hook-spool'),
    MEDIASOUP_WORKERS: '1',
    MEDIA_PORT_BASE: '0',
    ...nodeEnv,
  }, [...MEDIA_NODE_FLAGS, ...PERF_FLAGS]);
  await waitFor(`http://127.0.0.1:${nodePort}/healthz`, 'the media node');

  const call = async (path: string, body: unknown, bearer: string): Promise<Record<string, unknown>> => {
    for (let attempt = 0; ; attempt++) {
      const r = await fetch(`${apiUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (r.ok) return (await r.json()) as Record<string, unknown>;
      // A refusal is a bench bug or a limit worth knowing about: say which, never hide it.
      throw new Error(`POST ${path}: ${r.status} ${(await r.text()).slice(0, 300)} (attempt ${attempt})`);
    }
  };
  let made = 0;
  async function lesson(): Promise<Seat[]> {
    const n = made++;
    const now = Date.now();
    const s = await call('/v1/sessions', { title: `sigbench ${n}`, scheduled_start: new Date(now).toISOString(), scheduled_end: new Date(now + 2 * 3600_000).toISOString(), tutor: { id: `t-${n}`, name: 'Tutor' }, student: { id: `s-${n}`, name: 'Student' } }, apiKey);
    const out: Seat[] = [];
    for (const role of ['tutor', 'student']) {
      const { token } = (await call(`/v1/sessions/${s.id as string}/tokens`, { role }, apiKey)) as { token: string };
      const grant = (await call(`/v1/sessions/${s.id as string}/join`, {}, token)) as { seat_ticket: string };
      out.push({ token, ticket: grant.seat_ticket });
    }
    return out;
  }

  return {
    apiUrl,
    wsUrl,
    node,
    api,
    loadTestSettings,
    dbCpuMs: () => treeCpuMs(pg.pid()),
    async seats(lessons) {
      const out: Seat[] = [];
      let left = lessons;
      const lane = async () => {
        while (left-- > 0) out.push(...(await lesson()));
      };
      await Promise.all(Array.from({ length: 16 }, lane));
      return out;
    },
    async stop() {
      await stopChild(node);
      await stopChild(api);
      await pg.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
}
