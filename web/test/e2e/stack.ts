// Starts the whole platform the way `npm start` does (deploy/src/all-in-one.ts, as a child
// process) on free loopback ports, plus a marketplace webhook receiver, for end-to-end tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { verify } from '@duet/api/events';
import { freePort } from '@duet/deploy/testing';
import { deriveNodeSecret } from '@duet/api/node-secret';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');

export interface ReceivedWebhook {
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  body: { id: string; type: string; session_id: string; created_at: string; data: Record<string, unknown> };
  signatureValid: boolean;
}

export interface Stack {
  apiUrl: string;
  wsUrl: string;
  signalingUrl: string;
  apiKey: string;
  internalSecret: string;
  /** The media node's own credential (npm start gives the node NODE_ID=local + NODE_SECRET, never
   *  INTERNAL_HOOK_SECRET): what its /internal/* routes and its recorder accept. */
  nodeSecret: string;
  webhooks: ReceivedWebhook[];
  logs: () => string;
  stop(): Promise<void>;
}

/** WebRTC gathers candidates on every interface: refuse to run outside a lo-only namespace. */
export function assertLoopbackOnly(): void {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (!a.internal) throw new Error(`end-to-end tests must run in a network namespace with only lo (found ${name} ${a.address}); use scripts/in-lo-netns.sh`);
    }
  }
}


async function startReceiver(secret: string, sink: ReceivedWebhook[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const header = req.headers['duet-signature'];
      sink.push({
        headers: req.headers,
        raw,
        body: JSON.parse(raw),
        signatureValid: verify(secret, raw, Array.isArray(header) ? header[0] : header).ok,
      });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/duet` };
}

/** `enter`: a command prefix the stack runs under (e.g. nsenter into a test's own namespace). */
export async function startStack(extraEnv: Record<string, string> = {}, opts: { enter?: string[] } = {}): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'duet-e2e-'));
  const webhookSecret = randomBytes(24).toString('hex');
  const webhooks: ReceivedWebhook[] = [];
  const receiver = await startReceiver(webhookSecret, webhooks);
  const [apiPort, signalingPort] = [await freePort(), await freePort()];
  const apiKey = `duet_test_${randomBytes(16).toString('hex')}`;
  const internalSecret = randomBytes(32).toString('hex');
  let output = '';
  const [cmd, ...args] = [...(opts.enter ?? []), process.execPath, join(REPO_ROOT, 'deploy/src/all-in-one.ts')];
  const child: ChildProcess = spawn(cmd!, args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DUET_DATA_DIR: dataDir,
      API_PORT: String(apiPort),
      SIGNALING_PORT: String(signalingPort),
      MEDIA_PORT_BASE: '0',
      MEDIASOUP_WORKERS: '1',
      DUET_DEMO_LESSON: '0',
      DUET_PRINT_READY: '1',
      DUET_LOG_STDOUT: '1',
      DUET_API_KEY: apiKey,
      JOIN_TOKEN_SECRET: randomBytes(32).toString('hex'),
      INTERNAL_HOOK_SECRET: internalSecret,
      WEBHOOK_ENDPOINTS: JSON.stringify([{ url: receiver.url, secret: webhookSecret }]),
      WEBHOOK_POLL_MS: '200',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const ready = await new Promise<{ apiUrl: string; wsUrl: string }>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack did not start in 60 s:\n${output}`)), 60_000);
    const onData = () => {
      const m = /DUET_READY (\{.*\})/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolveReady(JSON.parse(m[1]!));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stack exited with ${code}:\n${output}`));
    });
  });
  return {
    apiUrl: ready.apiUrl,
    wsUrl: ready.wsUrl,
    signalingUrl: ready.wsUrl.replace(/^ws/, 'http').replace(/\/ws$/, ''),
    apiKey,
    internalSecret,
    nodeSecret: deriveNodeSecret(extraEnv.INTERNAL_HOOK_SECRET ?? internalSecret, extraEnv.NODE_ID ?? 'local'),
    webhooks,
    logs: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => {
          const t = setTimeout(() => (child.kill('SIGKILL'), r(undefined)), 10_000);
          child.once('exit', () => (clearTimeout(t), r(undefined)));
        });
      }
      await new Promise<void>((r) => receiver.server.close(() => r()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
