// The real API (in-memory PGlite) and a real media node, in this process, on free loopback ports.
import { randomBytes } from 'node:crypto';
import { createApiServer, loadApiConfig, type ApiServer } from '@duet/api';
import { createDemoLesson, type DemoLesson } from '@duet/deploy';
import { createSignalingServer, loadSignalingConfig, type LogFn, type Logger, type SignalingServer } from '../../src/index.ts';
import { freePort } from '@duet/deploy/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiProxy, type ApiProxy } from './api-proxy.ts';


export interface NodeStack {
  api: ApiServer;
  signaling: SignalingServer;
  apiUrl: string;
  wsUrl: string;
  httpUrl: string;
  env: Record<string, string>;
  proxy: ApiProxy;
  spoolDir: string;
  lesson(opts?: { recording?: boolean; minutes?: number }): Promise<DemoLesson & { tutorToken: string; studentToken: string }>;
  stop(): Promise<void>;
}

/**
 * `log`: where the node's pino logger writes (default: nowhere). `nodeEnv`: variables only the
 * node sees (over `extra`); `omitNodeJoinSecret`: the node gets no JOIN_TOKEN_SECRET (it needs none).
 */
export async function startNodeStack(
  extra: Record<string, string> = {},
  log?: Logger | LogFn,
  opts: { omitNodeJoinSecret?: boolean; nodeEnv?: Record<string, string> } = {},
): Promise<NodeStack> {
  const [apiPort, sigPort] = [await freePort(), await freePort()];
  // The node reaches the API through a recording proxy (hooks seen, outages on demand).
  const proxy = await startApiProxy(() => `http://127.0.0.1:${apiPort}`);
  const spoolDir = mkdtempSync(join(tmpdir(), 'duet-hook-spool-'));
  const env: Record<string, string> = {
    DATABASE_URL: 'pglite:memory',
    API_PORT: String(apiPort),
    SIGNALING_PORT: String(sigPort),
    API_INTERNAL_URL: proxy.url,
    HOOK_SPOOL_DIR: spoolDir,
    SIGNALING_PUBLIC_URL: `ws://127.0.0.1:${sigPort}/ws`,
    DUET_API_KEY: `duet_${randomBytes(16).toString('hex')}`,
    JOIN_TOKEN_SECRET: randomBytes(32).toString('hex'),
    INTERNAL_HOOK_SECRET: randomBytes(32).toString('hex'),
    MEDIASOUP_WORKERS: '1',
    MEDIA_PORT_BASE: '0',
    LOG_LEVEL: 'warn',
    RECONNECT_GRACE_MS: '1500',
    ...extra,
  };
  const fullEnv = { ...process.env, ...env };
  const nodeEnv: Record<string, string | undefined> = { ...fullEnv, ...opts.nodeEnv };
  if (opts.omitNodeJoinSecret) delete nodeEnv.JOIN_TOKEN_SECRET;
  const signaling = await createSignalingServer(loadSignalingConfig(nodeEnv), log ?? (() => undefined));
  const api = createApiServer(loadApiConfig(fullEnv));
  const { wsUrl, url: httpUrl } = await signaling.start();
  const { url: apiUrl } = await api.start();
  return {
    api,
    signaling,
    apiUrl,
    wsUrl,
    httpUrl,
    env,
    proxy,
    spoolDir,
    async lesson(opts = {}) {
      const demo = await createDemoLesson(apiUrl, env.DUET_API_KEY!, opts);
      const token = (u: string) => new URLSearchParams(new URL(u).hash.slice(1)).get('token')!;
      return { ...demo, tutorToken: token(demo.tutorUrl), studentToken: token(demo.studentUrl) };
    },
    async stop() {
      await signaling.close();
      await api.close();
      await proxy.close();
      rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}
