// A real S3-protocol server for tests (moto, installed by scripts/install-test-tools.sh), started
// on loopback with one empty bucket. Each call starts its own server, so suites never share state.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.ts';

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The storage environment variables that point a Duet process at this server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function serverBinary(): string {
  const fromEnv = process.env.DUET_S3_SERVER_BIN;
  if (fromEnv) return fromEnv;
  const recorded = resolve(REPO_ROOT, '.duet/test-tools.env');
  if (existsSync(recorded)) {
    const line = readFileSync(recorded, 'utf8').split('\n').find((l) => l.startsWith('DUET_S3_SERVER_BIN='));
    const bin = line?.slice('DUET_S3_SERVER_BIN='.length).trim();
    if (bin && existsSync(bin)) return bin;
  }
  throw new Error('S3 test server not installed: run `bash scripts/install-test-tools.sh` (npm test does it)');
}

async function waitUntilUp(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`S3 test server exited with ${child.exitCode}: ${output()}`);
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`S3 test server did not start within 30 s: ${output()}`);
}

export async function startS3Server(bucket = 'duet-test'): Promise<S3TestServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(serverBinary(), ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (b: Buffer) => (log = (log + b.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    await waitUntilUp(endpoint, child, () => log);
    const res = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
    if (!res.ok) throw new Error(`could not create bucket ${bucket}: HTTP ${res.status}`);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const creds = { region: 'us-east-1', accessKeyId: 'duet-test-access', secretAccessKey: 'duet-test-secret' };
  return {
    endpoint,
    bucket,
    ...creds,
    env: {
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: creds.region,
      S3_ACCESS_KEY_ID: creds.accessKeyId,
      S3_SECRET_ACCESS_KEY: creds.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    },
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
