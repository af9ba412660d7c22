// deploy/nginx/duet.conf under Debian's nginx: `nginx -t` accepts it, then a real nginx serves
// it (self-signed certificate made here) in front of a stand-in API and media node on loopback:
// HTTPS reaches the API with the forwarding headers, HTTP redirects to HTTPS, /ws upgrades to a
// WebSocket end to end, and the media node's /internal/ endpoints stay unreachable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { freePort } from '@duet/deploy/testing';
import { run } from './support/exec.ts';
import { NGINX, nginxMainConfig, sandboxSite } from './support/nginx-sandbox.ts';

let dir: string;
let cert: string;
let httpsPort: number;
let httpPort: number;
let mediaHostPort: number;
let api: Server;
let media: Server;
let nginx: ChildProcess | undefined;
const apiHits: IncomingMessage[] = [];
const mediaHits: string[] = [];

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  const u = new URL(url);
  const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { ca: cert, servername: 'lessons.example.com', headers: { host: 'lessons.example.com', ...headers } });
  return new Promise((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duet-nginx-'));
  mkdirSync(join(dir, 'tls'));
  mkdirSync(join(dir, 'tmp'));
  const gen = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=lessons.example.com',
    '-addext', 'subjectAltName=DNS:lessons.example.com', '-keyout', join(dir, 'tls/privkey.pem'), '-out', join(dir, 'tls/fullchain.pem')]);
  expect(gen.code, gen.stderr).toBe(0);
  cert = readFileSync(join(dir, 'tls/fullchain.pem'), 'utf8');

  // Stand-ins for the API (HTTP) and the media node (HTTP + WebSocket echo at /ws).
  api = createServer((req, res) => {
    apiHits.push(req);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, path: req.url }));
  });
  media = createServer((req, res) => {
    mediaHits.push(req.url ?? '');
    res.writeHead(200).end('media');
  });
  const wss = new WebSocketServer({ server: media, path: '/ws' });
  wss.on('connection', (ws, req) => {
    mediaHits.push(`ws ${req.url} upgrade=${req.headers.upgrade} proto=${req.headers['x-forwarded-proto']}`);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const [apiPort, mediaPort] = [await freePort(), await freePort()];
  [httpsPort, httpPort, mediaHostPort] = [await freePort(), await freePort(), await freePort()];
  await new Promise<void>((r) => api.listen(apiPort, '127.0.0.1', () => r()));
  await new Promise<void>((r) => media.listen(mediaPort, '127.0.0.1', () => r()));
  writeFileSync(join(dir, 'duet.conf'), sandboxSite(dir, { https: httpsPort, http: httpPort, api: apiPort, media: mediaPort }));
  // The media host's config, on its own port (both files load into one nginx here).
  writeFileSync(join(dir, 'duet-media.conf'), sandboxSite(dir, { https: mediaHostPort, http: 0, api: 0, media: mediaPort }, 'duet-media.conf'));
  writeFileSync(join(dir, 'sites.conf'), `include ${dir}/duet.conf;\ninclude ${dir}/duet-media.conf;\n`);
  writeFileSync(join(dir, 'nginx.conf'), nginxMainConfig(dir, join(dir, 'sites.conf')));
});

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    nginx.kill('SIGQUIT');
    await new Promise((r) => setTimeout(r, 300));
    if (nginx.exitCode === null) nginx.kill('SIGKILL');
  }
  api?.close();
  media?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('nginx config', () => {
  it('passes nginx -t', async () => {
    const r = await run(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')]);
    expect(r.stderr).toContain('syntax is ok');
    expect(r.stderr).toContain('test is successful');
    expect(r.code).toBe(0);
  });

  it('nginx -t rejects a broken copy (the check can fail)', async () => {
    const broken = join(dir, 'broken.conf');
    writeFileSync(broken, readFileSync(join(dir, 'duet.conf'), 'utf8').replace('proxy_http_version 1.1;', 'proxy_http_version 1.1'));
    writeFileSync(join(dir, 'nginx-broken.conf'), nginxMainConfig(dir, broken));
    const r = await run(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx-broken.conf')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/emerg/);
  });

  it('serves TLS for the API, redirects HTTP, upgrades /ws and hides /internal/', async () => {
    nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    nginx.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    // Ready when the TLS port answers.
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await get(`https://127.0.0.1:${httpsPort}/healthz`);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`nginx did not start: ${out} ${String(err)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    const health = await get(`https://127.0.0.1:${httpsPort}/healthz`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ ok: true, path: '/healthz' });
    expect(health.headers['strict-transport-security']).toBe('max-age=63072000');
    const seen = apiHits.at(-1)!;
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers.host).toBe('lessons.example.com');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');

    const room = await get(`https://127.0.0.1:${httpsPort}/session/abc`);
    expect(JSON.parse(room.body).path).toBe('/session/abc');

    const redirect = await get(`http://127.0.0.1:${httpPort}/session/abc?x=1`);
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('https://lessons.example.com/session/abc?x=1');

    const internal = await get(`https://127.0.0.1:${httpsPort}/internal/rooms/x`);
    expect(internal.status).toBe(404);
    expect(mediaHits.some((h) => h.startsWith('/internal'))).toBe(false);

    const ws = new WebSocket(`wss://127.0.0.1:${httpsPort}/ws`, ['duet.v1.json'], {
      ca: cert,
      headers: { host: 'lessons.example.com' },
      // TLS option passed through to tls.connect: verify the certificate for the site's name.
      ...({ servername: 'lessons.example.com' } as object),
    });
    const echoed = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('{"type":"hello"}'));
      ws.once('message', (data) => resolve(data.toString()));
      ws.once('error', reject);
      setTimeout(() => reject(new Error('no WebSocket echo through nginx')), 10_000);
    });
    expect(ws.protocol).toBe('duet.v1.json');
    ws.close();
    expect(echoed).toBe('{"type":"hello"}');
    expect(mediaHits).toContain('ws /ws upgrade=websocket proto=https');

    // The media host's own TLS endpoint: /ws upgrades, nothing else is exposed.
    const hits = mediaHits.length;
    const nodeWs = new WebSocket(`wss://127.0.0.1:${mediaHostPort}/ws`, ['duet.v1.msgpack'], {
      ca: cert,
      headers: { host: 'lessons.example.com' },
      ...({ servername: 'lessons.example.com' } as object),
    });
    const viaNode = await new Promise<string>((resolve, reject) => {
      nodeWs.once('open', () => nodeWs.send('ping'));
      nodeWs.once('message', (data) => resolve(data.toString()));
      nodeWs.once('error', reject);
      setTimeout(() => reject(new Error('no WebSocket echo through the media host config')), 10_000);
    });
    nodeWs.close();
    expect(viaNode).toBe('ping');
    for (const path of ['/healthz', '/internal/rooms/x', '/']) {
      expect((await get(`https://127.0.0.1:${mediaHostPort}${path}`)).status, path).toBe(404);
    }
    expect(mediaHits.slice(hits).filter((h) => !h.startsWith('ws '))).toEqual([]);
  });
});
