// Attack: behind the shipped nginx every request reaches the API from 127.0.0.1, so one client's
// anonymous flood spends every client's budget (a school's students locked out by a stranger), and a
// client-supplied X-Forwarded-For must not let the flooder pick a fresh address per request.
// Defence: nginx sends the client's own address ($remote_addr, never a list the client started);
// the API trusts exactly that hop (TRUST_PROXY, set by compose, k8s and api.env.example).
// Here a real nginx (the shipped duet.conf) fronts the real API; clients bind to distinct
// loopback addresses (127.0.0.2, 127.0.0.3) to be two people.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, loadApiConfig, type ApiServer } from '@duet/api';
import { freePort } from '@duet/deploy/testing';
import { parse } from 'yaml';
import { DEPLOY_DIR, run } from '../support/exec.ts';
import { NGINX, nginxMainConfig, sandboxSite } from '../support/nginx-sandbox.ts';


/** TRUST_PROXY as each shipped deployment sets it for the API. */
function shippedTrustProxy(): Record<string, string | undefined> {
  const compose = parse(readFileSync(join(DEPLOY_DIR, 'compose/compose.yaml'), 'utf8'));
  // deploy/k8s/duet.yaml is the Helm chart's rendered output (api.trustProxy).
  const k8s = readFileSync(join(DEPLOY_DIR, 'k8s/duet.yaml'), 'utf8').split(/^---$/m).map((d) => parse(d)).find((d) => d?.kind === 'ConfigMap' && d?.metadata?.name === 'duet-api');
  const example = /^TRUST_PROXY=(.*)$/m.exec(readFileSync(join(DEPLOY_DIR, 'env/api.env.example'), 'utf8'))?.[1];
  return { compose: compose.services.api.environment?.TRUST_PROXY, k8s: k8s?.data?.TRUST_PROXY, example };
}

describe('the shipped deployments set TRUST_PROXY', () => {
  it('compose, k8s and the systemd env example, each accepted by the API config', () => {
    for (const [where, value] of Object.entries(shippedTrustProxy())) {
      expect(value, where).toBeTruthy();
      expect(() => loadApiConfig({ DATABASE_URL: 'pglite:memory', DUET_API_KEY: 'k'.repeat(8) + 'ey-7f3a9c2e51d84b6a0e', JOIN_TOKEN_SECRET: 'join-7f3a9c2e51d84b6a0e2f91c3d5e7a9b1', INTERNAL_HOOK_SECRET: 'hook-7f3a9c2e51d84b6a0e2f91c3d5e7a9b1', TRUST_PROXY: String(value) }), where).not.toThrow();
    }
  });
});

describe('client addresses through the shipped nginx', () => {
  let dir: string;
  let cert: string;
  let httpsPort: number;
  let api: ApiServer;
  let nginx: ChildProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'duet-nginx-xff-'));
    mkdirSync(join(dir, 'tls'));
    mkdirSync(join(dir, 'tmp'));
    const gen = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=lessons.example.com',
      '-addext', 'subjectAltName=DNS:lessons.example.com', '-keyout', join(dir, 'tls/privkey.pem'), '-out', join(dir, 'tls/fullchain.pem')]);
    expect(gen.code, gen.stderr).toBe(0);
    cert = readFileSync(join(dir, 'tls/fullchain.pem'), 'utf8');

    const apiPort = await freePort();
    [httpsPort] = [await freePort()];
    api = createApiServer(
      loadApiConfig({
        DATABASE_URL: 'pglite:memory',
        API_HOST: '127.0.0.1',
        API_PORT: String(apiPort),
        OBJECTS_DIR: join(dir, 'objects'),
        DUET_API_KEY: 'duet-key-7f3a9c2e51d84b6a0e2f',
        JOIN_TOKEN_SECRET: 'join-7f3a9c2e51d84b6a0e2f91c3d5e7a9b1',
        INTERNAL_HOOK_SECRET: 'hook-7f3a9c2e51d84b6a0e2f91c3d5e7a9b1',
        LOG_LEVEL: 'silent',
        RATE_LIMIT_MAX: '3',
        TRUST_PROXY: shippedTrustProxy().compose!,
      }),
      { lessonJobs: false },
    );
    await api.start();

    const site = sandboxSite(dir, { https: httpsPort, http: await freePort(), api: apiPort, media: await freePort() });
    writeFileSync(join(dir, 'duet.conf'), site);
    writeFileSync(join(dir, 'nginx.conf'), nginxMainConfig(dir, join(dir, 'duet.conf')));
    nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await get('127.0.0.1', '/healthz');
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`nginx did not start: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx!.once('exit', r));
      nginx.kill('SIGQUIT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      if (nginx.exitCode === null) nginx.kill('SIGKILL');
    }
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function get(from: string, path: string, headers: Record<string, string> = {}): Promise<number> {
    const req = httpsRequest(`https://127.0.0.1:${httpsPort}${path}`, { ca: cert, servername: 'lessons.example.com', localAddress: from, headers: { host: 'lessons.example.com', ...headers } });
    return new Promise((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('gives each client its own anonymous budget, and ignores the X-Forwarded-For a client sends', async () => {
    const path = '/v1/sessions/some-lesson/chat';
    const flooder: number[] = [];
    // The flooder rotates a forged X-Forwarded-For: nginx replaces it, so all count as 127.0.0.2.
    for (let i = 0; i < 5; i++) flooder.push(await get('127.0.0.2', path, { 'x-forwarded-for': `198.51.100.${i}` }));
    expect(flooder).toEqual([401, 401, 401, 429, 429]);
    // Someone else behind the same nginx is not locked out by it.
    expect(await get('127.0.0.3', path)).toBe(401);
  });
});
