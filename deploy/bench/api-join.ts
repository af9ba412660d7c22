// Benchmark: the marketplace join path (create lesson → mint two tokens → join both, k6) against
// the API on a real PostgreSQL, next to a bare Fastify route measured with the same k6 load in the
// same run. Writes deploy/bench/results/api-join.json. On demand only (about a minute):
//   . .duet/env.sh && node deploy/bench/api-join.ts [--vus 20] [--duration 20s] [--workers N]
// --workers N > 1 runs the API as `node api/src/main.ts` with API_WORKERS=N (node:cluster).
import { execFile, spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import postgres from 'postgres';
import { createApiServer, loadApiConfig } from '@duet/api';
import { startPostgresServer } from '../../api/test/support/postgres-server.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const run = promisify(execFile);
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const VUS = arg('vus', '20');
const DURATION = arg('duration', '20s');
const WORKERS = Number(arg('workers', '1'));

interface Summary {
  metrics: Record<string, { values: Record<string, number> }>;
}

async function k6(bin: string, script: string, env: Record<string, string>, out: string): Promise<Summary> {
  await new Promise<void>((res, rej) => {
    const child = spawn(bin, ['run', '--quiet', '--no-usage-report', script], {
      env: { ...process.env, ...env, VUS, DURATION, SUMMARY_FILE: out },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('exit', (code) => (code === 0 ? res() : rej(new Error(`k6 ${script} exited with ${code}`))));
  });
  return JSON.parse(await readFile(out, 'utf8')) as Summary;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the API at ${url} did not become ready`);
}

const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN);

async function main(): Promise<void> {
  const { stdout } = await run('bash', [join(HERE, 'install-k6.sh')]);
  const k6bin = stdout.trim().split('\n').pop()!;
  const work = await mkdtemp(join(tmpdir(), 'duet-bench-'));
  const pg = await startPostgresServer();
  try {
    // The baseline: a bare Fastify POST route (JSON body in, small JSON out), no logging.
    const bare = Fastify({ logger: false });
    bare.post('/bare', async () => ({ ok: true }));
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
    const bareSummary = await k6(k6bin, join(ROOT, 'deploy/k6/bare-route.js'), { BASE_URL: bareUrl }, join(work, 'bare.json'));
    await bare.close();

    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    await admin.unsafe('create database duet_bench');
    await admin.end();
    const dbUrl = new URL(pg.url);
    dbUrl.pathname = '/duet_bench';
    const apiKey = 'bench-api-key-0123456789abcdef';
    const apiEnv: Record<string, string> = {
      DATABASE_URL: dbUrl.toString(),
      API_HOST: '127.0.0.1',
      API_PORT: '0',
      DUET_API_KEY: apiKey,
      JOIN_TOKEN_SECRET: 'bench-join-token-secret-0123456789abcdef',
      INTERNAL_HOOK_SECRET: 'bench-internal-hook-secret-0123456789abcd',
      OBJECTS_DIR: join(work, 'objects'),
      LOG_LEVEL: 'warn',
      // The limiter stays on (it is per client address and lesson); k6 comes from one address.
      RATE_LIMIT_MAX: '1000000',
    };
    let apiSummary: Summary;
    if (WORKERS > 1) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const child = spawn(process.execPath, [join(ROOT, 'api/src/main.ts')], {
        env: { ...process.env, ...apiEnv, API_PORT: String(port), API_WORKERS: String(WORKERS) },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      try {
        await waitReady(url);
        apiSummary = await k6(k6bin, join(ROOT, 'deploy/k6/marketplace-join.js'), { BASE_URL: url, API_KEY: apiKey }, join(work, 'api.json'));
      } finally {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    } else {
      const api = createApiServer(loadApiConfig(apiEnv));
      const { url } = await api.start();
      try {
        apiSummary = await k6(k6bin, join(ROOT, 'deploy/k6/marketplace-join.js'), { BASE_URL: url, API_KEY: apiKey }, join(work, 'api.json'));
      } finally {
        await api.close();
      }
    }

    const dur = seconds(DURATION);
    const joins = apiSummary.metrics.joins!.values.count!;
    const jd = apiSummary.metrics.join_duration!.values;
    const bareReqs = bareSummary.metrics.http_reqs!.values.count!;
    const bd = bareSummary.metrics.http_req_duration!.values;
    const joinsPerS = joins / dur;
    const bareRps = bareReqs / dur;
    const result = {
      name: 'api-join',
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      metrics: {
        joins_per_s: Math.round(joinsPerS),
        p50_ms: Number(jd.med!.toFixed(2)),
        p99_ms: Number(jd['p(99)']!.toFixed(2)),
        marketplace_path_req_per_s: Math.round(apiSummary.metrics.http_reqs!.values.count! / dur),
        checks_passed_rate: apiSummary.metrics.checks!.values.rate!,
        bare_fastify_req_per_s: Math.round(bareRps),
        bare_fastify_p50_ms: Number(bd.med!.toFixed(2)),
        bare_fastify_p99_ms: Number(bd['p(99)']!.toFixed(2)),
        vus: Number(VUS),
        api_workers: WORKERS,
        duration_s: dur,
      },
      ratios: { vs_bare_fastify: Number((joinsPerS / bareRps).toFixed(3)) },
      baseline:
        'bare Fastify POST route returning {ok:true} (no logging, no database), same k6 VUs and duration, same machine, same run; ' +
        'joins run on a real PostgreSQL with the full API (auth, join window, jti redemption, node placement), k6 on the same cores',
    };
    await mkdir(join(HERE, 'results'), { recursive: true });
    await writeFile(join(HERE, 'results/api-join.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await pg.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
