// Signaling capacity bench (issue 14 item 5), on demand: one media node holds N authenticated idle
// participants (real lesson seats, msgpack subprotocol, hello → seated, P2P reported connected)
// at rising levels, then churns joins (connect → hello → seated → leave) at a set rate while the
// top level is held. The same client processes, levels and churn drive a bare `ws` echo server in
// the same run (the `vs_bare_ws` ratios). Writes deploy/bench/results/signaling.json.
//   . .duet/env.sh && flock /tmp/duet-bench.lock bash scripts/in-lo-netns.sh node deploy/bench/signaling/run.ts \
//     [--levels 1000,2500,5000,7500,10000] [--rate 200] [--churn-s 15] [--clients 4] [--settle-s 20] [--out file]
//     [--node-env K=V,…] [--api-env K=V,…]
// Memory per idle connection: the server process's RSS (and V8 heap) after a full GC at each
// level once it has been idle --settle-s seconds (default 20), least-squares slope over the
// levels; the same right after each ramp is kept too (`kb_per_connection_after_ramp`). The
// mediasoup worker is its own process and holds nothing for a P2P lesson. Client CPU/memory are their own processes', reported apart.
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { machine, ratio } from '../machine.ts';
import { MEDIA_NODE_FLAGS } from '@duet/signaling/launch';
import type { Command, Seat } from './clients.ts';
import { cpuMsOf, forkProbed, freePort, machineBusyMs, measure, ROOT, startDuetStack, stopChild, waitFor, type Probe } from './stack.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const LEVELS = arg('levels', '1000,2500,5000,7500,10000').split(',').map(Number).filter((n) => n > 0 && n <= 20_000).sort((a, b) => a - b);
const RATE = Math.min(Number(arg('rate', '200')), 1000);
const CHURN_S = Math.min(Number(arg('churn-s', '15')), 120);
const CLIENTS = Math.max(1, Math.min(Number(arg('clients', '4')), 16));
// Idle time at each level before the settled measurement (V8's memory reducer shrinks a heap that
// stopped allocating after ~8 s; an idle participant is what is left then).
const SETTLE_S = Math.max(0, Math.min(Number(arg('settle-s', '20')), 120));
// --node-env K=V[,K=V]: extra environment for the media node only (e.g. MALLOC_ARENA_MAX=2), recorded.
const envArg = (name: string) => Object.fromEntries(arg(name, '').split(',').filter((kv) => /^[A-Z_][A-Z0-9_]*=/.test(kv)).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const NODE_ENV = envArg('node-env');
// --api-env K=V[,K=V]: extra environment for the API only (e.g. LOG_LEVEL=warn), recorded.
const API_ENV = envArg('api-env');
const OUT = arg('out', join(ROOT, 'deploy/bench/results/signaling.json'));
/** Sockets per source address: under the node's default cap of 200 per address. */
const PER_ADDRESS = 150;
// Every churn join takes a fresh seat: a lesson both people have left is completed (the API
// refuses it from then on), so a churned join is someone joining a new lesson, as in real life.
const CHURN_LESSONS = Math.ceil((RATE * CHURN_S) / 2);
const DEADLINE = setTimeout(() => {
  console.error('signaling bench: 20 minute limit reached');
  process.exit(1);
}, 20 * 60_000);
DEADLINE.unref();

const log = (msg: string) => console.error(`[signaling-bench] ${new Date().toISOString().slice(11, 19)} ${msg}`);

class ClientPool {
  readonly procs: ChildProcess[];
  private nextAddress = 0;
  constructor(n: number) {
    this.procs = Array.from({ length: n }, () => fork(join(ROOT, 'deploy/bench/signaling/clients.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }
  /** Fresh source addresses 127.1.x.y (all of 127/8 is loopback). */
  addresses(n: number): string[] {
    return Array.from({ length: n }, () => {
      const i = this.nextAddress++;
      return `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    });
  }
  ask<T>(proc: ChildProcess, c: Command): Promise<T> {
    return new Promise((res) => {
      proc.once('message', (m) => res(m as T));
      proc.send(c);
    });
  }
  all<T>(make: (i: number) => Command): Promise<T[]> {
    return Promise.all(this.procs.map((p, i) => this.ask<T>(p, make(i))));
  }
  async close(): Promise<void> {
    await this.all(() => ({ cmd: 'close' }));
    await Promise.all(this.procs.map((p) => (p.exitCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
  }
}

const split = <T>(xs: T[], n: number): T[][] => Array.from({ length: n }, (_, i) => xs.filter((_, j) => j % n === i));
const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

/** Least-squares slope (bytes per connection) and the fit's intercept. */
function fit(points: { n: number; bytes: number }[]): { slope: number; intercept: number } {
  const mx = points.reduce((s, p) => s + p.n, 0) / points.length;
  const my = points.reduce((s, p) => s + p.bytes, 0) / points.length;
  const sxy = points.reduce((s, p) => s + (p.n - mx) * (p.bytes - my), 0);
  const sxx = points.reduce((s, p) => s + (p.n - mx) ** 2, 0);
  const slope = sxx ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx };
}

interface HoldReply { held: number; failed: number; errors: Record<string, number>; seconds: number; open: number }
interface ChurnReply { attempted: number; latencies: number[]; errors: Record<string, number>; skipped: number; seconds: number }
interface UsageReply { cpuMs: number; rss: number; open: number }

async function runTarget(name: string, server: ChildProcess, url: string, holdSeats: Seat[], churnSeats: Seat[], api?: ChildProcess, dbCpuMs?: () => number) {
  const clients = new ClientPool(CLIENTS);
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const base = await measure(server);
    // The fit runs over the held levels only: the first level also pays the server's warm-up
    // (JIT code, lazily loaded modules, the API client's pools), which is not per connection.
    const points: { n: number; rss: number; heap: number; live: number; rampRss: number }[] = [];
    const levels: Record<string, unknown>[] = [];
    let held = 0;
    let maxHeld = 0;
    let failedAt: number | null = null;
    for (const level of LEVELS) {
      const more = holdSeats.slice(held, level);
      if (more.length < level - held) throw new Error(`not enough seats for level ${level}`);
      const parts = split(more, CLIENTS);
      const replies = await clients.all<HoldReply>((i) => ({ cmd: 'hold', seats: parts[i]!, url, addresses: clients.addresses(Math.ceil(parts[i]!.length / PER_ADDRESS)), perAddress: PER_ADDRESS }));
      const ok = replies.reduce((s, r) => s + r.held, 0);
      const errors: Record<string, number> = {};
      for (const r of replies) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
      held += ok;
      await new Promise((r) => setTimeout(r, 2000)); // let the joins' hooks and timers settle
      const usage = await clients.all<UsageReply>(() => ({ cmd: 'usage' }));
      const open = usage.reduce((s, u) => s + u.open, 0);
      const ramp = await measure(server);
      // Then idle: only the node's pings run; what is resident after that is the idle cost.
      await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
      const m = await measure(server);
      // SIGBENCH_HEAP_SNAPSHOT=<dir>: a heap snapshot of the server at each level (what a held participant keeps).
      const snapshots = process.env.SIGBENCH_HEAP_SNAPSHOT;
      if (snapshots) await new Promise((r) => { server.once('message', r); server.send({ snapshotTo: join(snapshots, `${name}-${level}.heapsnapshot`) }); });
      const seconds = Math.max(...replies.map((r) => r.seconds));
      levels.push({ level, held: open, failed: level - open, errors, ramp_s: r1(seconds), server_rss_mb_after_ramp: r1(ramp.rss / 2 ** 20), server_heap_physical_mb_after_ramp: r1(ramp.heapPhysical / 2 ** 20), server_rss_mb: r1(m.rss / 2 ** 20), server_heap_mb: r1(m.heapUsed / 2 ** 20), server_heap_total_mb: r1(m.heapTotal / 2 ** 20), server_external_mb: r1(m.external / 2 ** 20), server_heap_physical_mb: r1(m.heapPhysical / 2 ** 20), server_resident_kb_by_mapping: m.smaps });
      log(`${name}: level ${level}: ${open} open (${JSON.stringify(errors)}), ramp ${r1(seconds)} s, rss ${r1(ramp.rss / 2 ** 20)} MB after it, ${r1(m.rss / 2 ** 20)} MB after ${SETTLE_S} s idle, heap ${r1(m.heapUsed / 2 ** 20)} MB`);
      if (open < level) {
        failedAt = level;
        break;
      }
      maxHeld = open;
      points.push({ n: open, rss: m.rss, heap: m.heapUsed, live: m.heapUsed + m.external, rampRss: ramp.rss });
    }
    // Churn while the highest level is held.
    const cpu0 = await measure(server);
    const api0 = cpuMsOf(api?.pid);
    const db0 = dbCpuMs?.() ?? NaN;
    const all0 = machineBusyMs();
    const cli0 = await clients.all<UsageReply>(() => ({ cmd: 'usage' }));
    const churnParts = split(churnSeats, CLIENTS);
    // SIGBENCH_CPU_PROF=<dir>: V8 CPU profiles of the server (and the API) during the churn (where a join's time goes).
    const prof = process.env.SIGBENCH_CPU_PROF;
    if (prof) for (const p of [server, api]) p?.send('profile-start');
    // SIGBENCH_PERF=<dir>: a system-wide `perf record` during the churn (every process, kernel
    // included: where the machine's CPU goes per join, by process and library).
    const perfDir = process.env.SIGBENCH_PERF;
    const perf = perfDir ? spawn('perf', ['record', '-a', '-g', '-F', '499', '-o', join(perfDir, `${name}-churn.perf.data`)], { stdio: 'ignore' }) : undefined;
    server.send('loop-start');
    const churn = await clients.all<ChurnReply>((i) => ({ cmd: 'churn', seats: churnParts[i]!, url, addresses: clients.addresses(2), rate: RATE / CLIENTS, seconds: CHURN_S }));
    const loopDelay = await new Promise<{ p50: number; p99: number; max: number } | null>((res) => {
      const t = setTimeout(() => res(null), 10_000);
      const on = (m: { loop?: { p50: number; p99: number; max: number } | null }) => {
        if (!('loop' in m)) return;
        clearTimeout(t);
        server.off('message', on);
        res(m.loop ?? null);
      };
      server.on('message', on);
      server.send('loop');
    });
    if (perf) {
      const done = new Promise((r) => perf.once('exit', r));
      perf.kill('SIGINT');
      await done;
    }
    if (prof) {
      const stop = (p: ChildProcess, file: string) => new Promise((r) => { p.once('message', r); p.send({ profileTo: join(prof, file) }); });
      await stop(server, `${name}-churn.cpuprofile`);
      if (api) await stop(api, `${name}-api-churn.cpuprofile`);
    }
    const cpu1 = await measure(server);
    const api1 = cpuMsOf(api?.pid);
    const db1 = dbCpuMs?.() ?? NaN;
    const all1 = machineBusyMs();
    const cli1 = await clients.all<UsageReply>(() => ({ cmd: 'usage' }));
    // Duet: the hooks of the churn (each join and leave is one) the node has not delivered yet are
    // work the churn caused; wait for the spool to empty and count the CPU until then too.
    let hooksPendingAtEnd: number | null = null;
    let hooksDrainedS: number | null = null;
    let drained: { server: number; api: number; db: number; all: number } | null = null;
    if (api) {
      const metricsUrl = url.replace(/^ws/, 'http').replace(/\/ws$/, '/metrics');
      const pending = async () => Number(/^duet_node_pending_hooks(?:\{[^}]*\})? (\d+)/m.exec(await (await fetch(metricsUrl)).text())?.[1] ?? NaN);
      const t0 = performance.now();
      hooksPendingAtEnd = await pending();
      // The churn's leaves close their sockets up to 2 s after the last join: wait those out first.
      await new Promise((r) => setTimeout(r, 2_500));
      while ((await pending()) > 0 && performance.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 100));
      hooksDrainedS = r1((performance.now() - t0) / 1000);
      const cpu2 = await measure(server);
      drained = { server: cpu2.cpuMs - cpu0.cpuMs, api: cpuMsOf(api.pid) - api0, db: (dbCpuMs?.() ?? NaN) - db0, all: machineBusyMs() - all0 };
    }
    const lat = churn.flatMap((c) => c.latencies).sort((a, b) => a - b);
    const churnErrors: Record<string, number> = {};
    for (const c of churn) for (const [k, v] of Object.entries(c.errors)) churnErrors[k] = (churnErrors[k] ?? 0) + v;
    const churnSeconds = Math.max(...churn.map((c) => c.seconds));
    const stillOpen = cli1.reduce((s, u) => s + u.open, 0);
    const attempted = churn.reduce((s, c) => s + c.attempted, 0);
    log(`${name}: churn ${lat.length}/${attempted} ok in ${r1(churnSeconds)} s, p50 ${r1(pct(lat, 0.5))} ms, p99 ${r1(pct(lat, 0.99))} ms, errors ${JSON.stringify(churnErrors)}, held still open ${stillOpen}`);
    const rss = fit(points.map((p) => ({ n: p.n, bytes: p.rss })));
    const heap = fit(points.map((p) => ({ n: p.n, bytes: p.heap })));
    const live = fit(points.map((p) => ({ n: p.n, bytes: p.live })));
    const rampRss = fit(points.map((p) => ({ n: p.n, bytes: p.rampRss })));
    const cliCpuMs = cli1.reduce((s, u) => s + u.cpuMs, 0) - cli0.reduce((s, u) => s + u.cpuMs, 0);
    return {
      max_participants: maxHeld,
      failed_at_level: failedAt,
      kb_per_idle_connection: r2(rss.slope / 1024),
      kb_per_connection_after_ramp: r2(rampRss.slope / 1024),
      heap_kb_per_idle_connection: r2(heap.slope / 1024),
      live_kb_per_idle_connection: r2(live.slope / 1024),
      server_rss_mb_idle: r1(base.rss / 2 ** 20),
      server_rss_mb_at_max: r1((points.at(-1)?.rss ?? base.rss) / 2 ** 20),
      handshake_p50_ms: r2(pct(lat, 0.5)),
      handshake_p99_ms: r2(pct(lat, 0.99)),
      handshake_max_ms: r2(lat.at(-1) ?? NaN),
      churn_joins: lat.length,
      churn_failed: attempted - lat.length,
      churn_errors: churnErrors,
      churn_joins_per_s: r1(lat.length / churnSeconds),
      churn_held_while: maxHeld,
      held_still_open_after_churn: stillOpen,
      // How long the server's ready callbacks waited during the churn (its event loop's delay, ms).
      server_event_loop_delay_ms_during_churn: loopDelay,
      hooks_pending_at_churn_end: hooksPendingAtEnd,
      hooks_all_delivered_s_after_churn: hooksDrainedS,
      // Everything the churn cost, the hooks delivered after it included (the leaves' too).
      server_cpu_ms_per_join_with_hooks: drained ? r2(drained.server / Math.max(1, lat.length)) : null,
      api_cpu_ms_per_join_with_hooks: drained ? r2(drained.api / Math.max(1, lat.length)) : null,
      db_cpu_ms_per_join_with_hooks: drained ? r2(drained.db / Math.max(1, lat.length)) : null,
      machine_cpu_ms_per_join_with_hooks: drained ? r2(drained.all / Math.max(1, lat.length)) : null,
      server_cpu_cores_during_churn: r2((cpu1.cpuMs - cpu0.cpuMs) / 1000 / churnSeconds),
      server_cpu_ms_per_join: r2((cpu1.cpuMs - cpu0.cpuMs) / Math.max(1, lat.length)),
      // The API answers the node's seat checks, lesson and chat reads and its hooks (same cores).
      api_cpu_cores_during_churn: api ? r2((api1 - api0) / 1000 / churnSeconds) : null,
      api_cpu_ms_per_join: api ? r2((api1 - api0) / Math.max(1, lat.length)) : null,
      // PostgreSQL (postmaster and backends): the API's statements run there, on the same cores.
      db_cpu_cores_during_churn: dbCpuMs ? r2((db1 - db0) / 1000 / churnSeconds) : null,
      db_cpu_ms_per_join: dbCpuMs ? r2((db1 - db0) / Math.max(1, lat.length)) : null,
      clients_cpu_cores_during_churn: r2(cliCpuMs / 1000 / churnSeconds),
      // Everything busy on the machine (the kernel's loopback work included): what is left of its cores.
      machine_cpu_cores_during_churn: r2((all1 - all0) / 1000 / churnSeconds),
      clients_rss_mb: r1(cli1.reduce((s, u) => s + u.rss, 0) / 2 ** 20),
      levels,
    };
  } finally {
    await clients.close();
  }
}

async function versions() {
  const pkg = async (p: string) => (JSON.parse(await readFile(join(ROOT, 'node_modules', p, 'package.json'), 'utf8')) as { version: string }).version;
  return { node: process.version, ws: await pkg('ws'), msgpackr: await pkg('msgpackr'), mediasoup: await pkg('mediasoup').catch(() => null), duet_commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim() };
}

async function main(): Promise<void> {
  const started = Date.now();
  const top = LEVELS.at(-1)!;
  log(`levels ${LEVELS.join(',')}, churn ${RATE}/s for ${CHURN_S} s, ${CLIENTS} client processes`);
  const duet = await startDuetStack(NODE_ENV, API_ENV);
  let duetResult;
  let seatsMade;
  try {
    const t0 = Date.now();
    const seats = await duet.seats(Math.ceil(top / 2) + CHURN_LESSONS);
    seatsMade = { lessons: seats.length / 2, seconds: r1((Date.now() - t0) / 1000) };
    log(`${seats.length / 2} lessons (${seats.length} seats) through the API in ${seatsMade.seconds} s`);
    const churnSeats = seats.slice(seats.length - 2 * CHURN_LESSONS);
    duetResult = await runTarget('duet', duet.node, duet.wsUrl, seats.slice(0, top), churnSeats, duet.api, duet.dbCpuMs);
    (seatsMade as Record<string, unknown>).held = duetResult.max_participants;
  } finally {
    await duet.stop();
  }
  // The baseline, same clients and shape; it ignores the (long-expired-by-then) tokens it is sent.
  const port = await freePort();
  const bare = forkProbed(join(ROOT, 'deploy/bench/signaling/bare-echo.ts'), [String(port)], process.env);
  let bareResult;
  try {
    await waitFor(`http://127.0.0.1:${port}/`, 'the bare ws server');
    const fake = (i: number): Seat => ({ token: `bench.${'x'.repeat(400)}.${i}`, ticket: 'y'.repeat(43) });
    bareResult = await runTarget('bare', bare, `ws://127.0.0.1:${port}/ws`, Array.from({ length: top }, (_, i) => fake(i)), Array.from({ length: 2 * CHURN_LESSONS }, (_, i) => fake(i)));
  } finally {
    await stopChild(bare);
  }
  const d = duetResult;
  const b = bareResult;
  const result = {
    name: 'signaling',
    date: new Date().toISOString(),
    node: process.version,
    cpus: machine().cpus,
    machine: machine(),
    versions: await versions(),
    metrics: {
      max_participants: d.max_participants,
      kb_per_idle_connection: d.kb_per_idle_connection,
      kb_per_connection_after_ramp: d.kb_per_connection_after_ramp,
      heap_kb_per_idle_connection: d.heap_kb_per_idle_connection,
      live_kb_per_idle_connection: d.live_kb_per_idle_connection,
      handshake_p50_ms: d.handshake_p50_ms,
      handshake_p99_ms: d.handshake_p99_ms,
      churn_joins_per_s: d.churn_joins_per_s,
      churn_failed: d.churn_failed,
      server_cpu_ms_per_join: d.server_cpu_ms_per_join,
      bare_max_participants: b.max_participants,
      bare_kb_per_idle_connection: b.kb_per_idle_connection,
      bare_kb_per_connection_after_ramp: b.kb_per_connection_after_ramp,
      bare_live_kb_per_idle_connection: b.live_kb_per_idle_connection,
      bare_handshake_p50_ms: b.handshake_p50_ms,
      bare_handshake_p99_ms: b.handshake_p99_ms,
      levels_tried: LEVELS.join(','),
      settle_s: SETTLE_S,
      churn_rate_per_s: RATE,
      churn_s: CHURN_S,
    },
    // Duet ÷ bare ws (flat keys, so docs/benchmarks.md's generated table shows them).
    ratios: {
      vs_bare_ws_max_participants: ratio(d.max_participants, b.max_participants),
      vs_bare_ws_kb_per_idle_connection: ratio(d.kb_per_idle_connection, b.kb_per_idle_connection),
      vs_bare_ws_handshake_p50: ratio(d.handshake_p50_ms, b.handshake_p50_ms),
      vs_bare_ws_handshake_p99: ratio(d.handshake_p99_ms, b.handshake_p99_ms),
      vs_livekit: null,
    },
    vs_livekit_note:
      "not measured: LiveKit's signaling is protobuf over its own /rtc WebSocket, and a LiveKit participant that joins is given a PeerConnection offer it must answer " +
      '(the server allocates ICE/DTLS state per participant at join); an idle LiveKit participant is not a signaling-only object as a seated Duet P2P participant is, so the same clients cannot drive both fairly',
    goals: { max_participants: 5000, kb_per_idle_connection: 20, handshake_p99_ms: 50, meets: { max_participants: d.max_participants >= 5000, kb_per_idle_connection: d.kb_per_idle_connection <= 20, handshake_p99_ms: d.handshake_p99_ms <= 50 } },
    duet: d,
    bare_ws: b,
    setup: {
      seats: seatsMade,
      client_processes: CLIENTS,
      sockets_per_source_address: PER_ADDRESS,
      api_load_test_settings: { RATE_LIMIT_KEY_MAX: '10000000' },
      node_env: NODE_ENV,
      api_env: API_ENV,
      node_flags: MEDIA_NODE_FLAGS,
      node_settings: 'as production starts it (node_flags, signaling/src/launch.ts); settings at their defaults (one mediasoup worker, LOG_LEVEL=info to /dev/null, per-address/pre-auth/rate caps at their defaults)',
      idle_participant: 'seated by hello (token + seat ticket from POST /join), both seats of each lesson, P2P reported connected; only the node\'s 15 s ws pings after that',
      churn_join: `connect → hello → seated reply (the timed handshake) → leave, open loop at the rate; each join a fresh seat of ${CHURN_LESSONS} other lessons (both seats of each)`,
    },
    baseline: 'a bare `ws` server (same subprotocol, one msgpack reply per frame, no auth, no room), same client processes, levels and churn, same run',
    wall_s: Math.round((Date.now() - started) / 1000),
  };
  await mkdir(join(OUT, '..'), { recursive: true });
  await writeFile(OUT, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify({ metrics: result.metrics, ratios: result.ratios, goals: result.goals.meets }, null, 2));
}

await main();
