// A Duet cluster as separate processes for end-to-end tests: the API and media nodes (signaling +
// SFU) on their own loopback addresses, sharing one set of secrets, each process's log kept (tail)
// for failure messages. Used by the multi-node and recorded-failover tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { freePort } from '@duet/deploy/testing';
import { waitFor } from './browser.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');

export interface MediaNodeProcess {
  id: string;
  ip: string;
  wsUrl: string;
  child: ChildProcess;
}

export interface ApiReply {
  status: number;
  body: any;
}

export class Cluster {
  readonly secrets = {
    DUET_API_KEY: `duet_${randomBytes(16).toString('hex')}`,
    JOIN_TOKEN_SECRET: randomBytes(32).toString('hex'),
    INTERNAL_HOOK_SECRET: randomBytes(32).toString('hex'),
  };
  readonly logs = new Map<string, string>();
  readonly children: ChildProcess[] = [];
  apiUrl = '';
  private readonly dir: string;
  private readonly logTail: number;

  constructor(dir: string, opts: { logTail?: number } = {}) {
    this.dir = dir;
    this.logTail = opts.logTail ?? 20_000;
  }

  /** Spawns `node <script>` from the repo root with the cluster's secrets; output goes to `logs`. */
  start(name: string, script: string, env: Record<string, string>): ChildProcess {
    const child = spawn(process.execPath, [join(REPO_ROOT, script)], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.secrets, LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.logs.set(name, '');
    const add = (c: Buffer) => this.logs.set(name, (this.logs.get(name)! + c.toString()).slice(-this.logTail));
    child.stdout!.on('data', add);
    child.stderr!.on('data', add);
    this.children.push(child);
    return child;
  }

  /** The API on PGlite in the cluster's directory, accepting media nodes on `nodeIps`; resolves when ready. */
  async startApi(nodeIps: string[], env: Record<string, string> = {}): Promise<string> {
    const port = await freePort();
    this.apiUrl = `http://127.0.0.1:${port}`;
    this.start('api', 'api/src/main.ts', {
      DATABASE_URL: `pglite:${join(this.dir, 'pglite')}`,
      API_PORT: String(port),
      NODE_HEARTBEAT_TIMEOUT_MS: '10000', // generous on a shared machine; a dead node is found by the probe much sooner
      NODE_CONNECT_SRC: nodeIps.map((ip) => `ws://${ip}:*`).join(' '),
      RATE_LIMIT_MAX: '100000',
      ...env,
    });
    await waitFor('the API', async () => (await fetch(`${this.apiUrl}/readyz`).catch(() => null))?.ok, 60_000);
    return this.apiUrl;
  }

  /** One media node (signaling + one mediasoup worker) listening and announcing on `ip`. */
  async startMediaNode(id: string, ip: string, env: Record<string, string> = {}): Promise<MediaNodeProcess> {
    const port = await freePort();
    const child = this.start(id, 'signaling/src/main.ts', {
      NODE_ID: id,
      NODE_CAPACITY: '40',
      NODE_HEARTBEAT_MS: '1000',
      SIGNALING_HOST: ip,
      SIGNALING_PORT: String(port),
      MEDIA_LISTEN_IP: ip,
      MEDIA_PORT_BASE: '0',
      MEDIASOUP_WORKERS: '1',
      API_INTERNAL_URL: this.apiUrl,
      HOOK_SPOOL_DIR: join(this.dir, `spool-${id}`),
      ...env,
    });
    return { id, ip, wsUrl: `ws://${ip}:${port}/ws`, child };
  }

  async waitForHealthyNodes(count: number, timeoutMs = 90_000): Promise<void> {
    await waitFor(`${count} healthy nodes`, async () => {
      const list = await this.api('GET', '/v1/nodes');
      return list.body.nodes?.filter((n: any) => n.health === 'healthy').length === count;
    }, timeoutMs);
  }

  /** A JSON call to the API, with the marketplace key unless another bearer token is given. */
  async api(method: string, path: string, body?: unknown, token = this.secrets.DUET_API_KEY): Promise<ApiReply> {
    const res = await fetch(this.apiUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  /** SIGTERM (when `graceMs` > 0) then SIGKILL for every process still running. */
  async stop(graceMs = 0): Promise<void> {
    const running = () => this.children.filter((c) => c.exitCode === null && c.signalCode === null);
    if (graceMs > 0) {
      for (const c of running()) c.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, graceMs));
    }
    for (const c of running()) c.kill('SIGKILL');
  }
}
