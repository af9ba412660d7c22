// Benchmark: what one join costs PostgreSQL. An API on a real PostgreSQL (a server of its own),
// lessons created and join tokens minted first; then only the joins are measured: transactions,
// rows read and rows written per join from pg_stat_database, and the PostgreSQL server's CPU time
// per join (its postmaster's and backends' utime+stime from /proc). Writes deploy/bench/results/api-join-db.json;
// docs/sizing.md quotes it (deploy/src/sizing.ts). On demand, ~20 s:
//   . .duet/env.sh && bash scripts/in-lo-netns.sh node deploy/bench/api-join-db.ts [--joins 400]
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { createApiServer, loadApiConfig } from '@duet/api';
import { startPostgresServer } from '../../api/test/support/postgres-server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const exec = promisify(execFile);
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const JOINS = Number(arg('joins', '400'));
const OUT = arg('out', join(ROOT, 'deploy/bench/results/api-join-db.json'));
const TICK = Number((await exec('getconf', ['CLK_TCK'])).stdout.trim()) || 100;

/** CPU seconds of this PostgreSQL server: its postmaster (with reaped children) and live backends. */
function postgresCpuSeconds(port: string): number {
  const stat = (pid: string) => {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  };
  const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  const postmaster = pids.find((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return /\/postgres$/.test(argv[0] ?? '') && argv.join(' ').includes(`-p ${port}`);
    } catch {
      return false;
    }
  });
  if (!postmaster) throw new Error(`no postmaster listening on ${port}`);
  const own = stat(postmaster);
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const pid of pids) {
    try {
      const f = stat(pid);
      if (f[1] === postmaster) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / TICK;
}

const server = await startPostgresServer();
try {
  const admin = postgres(server.url, { max: 1, onnotice: () => {} });
  await admin`create database duet_bench`;
  await admin.end();
  const dbUrl = new URL(server.url);
  dbUrl.pathname = '/duet_bench';
  const apiKey = `duet_bench_${Date.now()}_0123456789abcdef`;
  const api = createApiServer(
    loadApiConfig({
      DATABASE_URL: dbUrl.toString(),
      API_HOST: '127.0.0.1',
      API_PORT: '0',
      DUET_API_KEY: apiKey,
      JOIN_TOKEN_SECRET: 'bench-join-token-secret-0123456789abcdef',
      INTERNAL_HOOK_SECRET: 'bench-internal-hook-secret-0123456789abcd',
      SIGNALING_PUBLIC_URL: 'ws://127.0.0.1:9/ws',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '1000000',
    }),
  );
  const url = (await api.start()).url;
  const call = async (path: string, token: string, body: unknown) => {
    const res = await fetch(url + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, any>;
  };
  // Setup (not measured): half as many lessons as joins, a token per participant.
  const tokens: { id: string; token: string }[] = [];
  for (let i = 0; i < JOINS / 2; i++) {
    const now = Date.now();
    const lesson = await call('/v1/sessions', apiKey, { title: `bench ${i}`, scheduled_start: new Date(now).toISOString(), scheduled_end: new Date(now + 3600_000).toISOString(), tutor: { id: `t${i}`, name: 'T' }, student: { id: `s${i}`, name: 'S' } });
    for (const role of ['tutor', 'student']) tokens.push({ id: lesson.id, token: (await call(`/v1/sessions/${lesson.id}/tokens`, apiKey, { role })).token });
  }
  const stats = postgres(dbUrl.toString(), { max: 1, onnotice: () => {} });
  const snapshot = async () => {
    await stats`select pg_stat_clear_snapshot()`;
    const [r] = await stats<{ xact: number; read: number; written: number }[]>`
      select (xact_commit + xact_rollback)::float8 as xact, (tup_returned + tup_fetched)::float8 as read,
             (tup_inserted + tup_updated + tup_deleted)::float8 as written
        from pg_stat_database where datname = 'duet_bench'`;
    return { ...r!, cpu: postgresCpuSeconds(dbUrl.port) };
  };
  // pg_stat_database is fed by each backend's pending counters (PG 15+): at transaction end, but
  // at most once a second; a backend that went idle less than a second after its last flush
  // flushes only when its idle-stats timeout fires, PGSTAT_IDLE_INTERVAL = 10 s later. So a
  // snapshot is only complete 10 s after the last transaction (a 1.5-s wait missed the last
  // joins' writes now and then: 0.9 rows written per join).
  const settle = () => new Promise((r) => setTimeout(r, 10_500));
  await settle();
  const before = await snapshot();
  const t0 = performance.now();
  for (const t of tokens) await call(`/v1/sessions/${t.id}/join`, t.token, {});
  const seconds = (performance.now() - t0) / 1000;
  await settle();
  const after = await snapshot();
  // The two stats snapshots' own transactions are subtracted.
  const per = (k: 'xact' | 'read' | 'written' | 'cpu', own = 0) => (after[k] - before[k] - own) / tokens.length;
  const round = (n: number, d: number) => Number(n.toFixed(d));
  const report = {
    name: 'api-join-db',
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    metrics: {
      joins: tokens.length,
      db_transactions_per_join: round(per('xact', 2), 2),
      db_rows_read_per_join: round(per('read'), 1),
      db_rows_written_per_join: round(per('written'), 2),
      db_cpu_ms_per_join: round(per('cpu') * 1000, 3),
      sequential_joins_per_s: round(tokens.length / seconds, 1),
    },
    baseline: 'sequential joins (one client), each its own HTTP request to the full API (token, window, single-use jti, placement) on a real PostgreSQL server of its own on the same machine; counters from pg_stat_database (rows read = tup_returned + tup_fetched) and the postmaster + backends CPU time from /proc, over the joins only',
  };
  writeFileSync(OUT, JSON.stringify(report, null, 2) + '\n');
  console.log(JSON.stringify(report.metrics));
  await stats.end();
  await api.close();
} finally {
  await server.stop();
}
