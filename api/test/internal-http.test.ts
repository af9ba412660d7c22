// The lean HTTP client the media node and the recorder call the API with (ops/internal-http.ts): sockets are kept alive and reused,
// every call is bounded in time and size, a kept-alive socket the server closed under a request
// is retried once on a fresh socket, and a failure on a fresh socket is not retried.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InternalHttpError, internalRequest } from '../src/ops/internal-http.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, socket: Socket) => void): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  server = createServer((req, res) => handler(req, res, req.socket));
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString()));
    req.on('end', () => resolve(s));
  });

describe('internalRequest', () => {
  it('sends method, headers and body, returns status, headers and body, and reuses one socket', async () => {
    const seen: { method?: string; auth?: string; body: string }[] = [];
    const { url, connections } = await serve(async (req, res) => {
      seen.push({ method: req.method, auth: req.headers.authorization, body: await readBody(req) });
      res.setHeader('duet-board-locked', 'true');
      res.end(JSON.stringify({ ok: seen.length }));
    });
    for (let i = 1; i <= 3; i++) {
      const r = await internalRequest(`${url}/x`, { method: 'POST', headers: { authorization: 'Bearer s', 'content-type': 'application/json' }, body: `{"n":${i}}` });
      expect(r.status).toBe(200);
      expect(r.headers['duet-board-locked']).toBe('true');
      expect(r.json<{ ok?: number }>({})).toEqual({ ok: i });
    }
    expect(seen.map((s) => s.body)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect(seen.every((s) => s.method === 'POST' && s.auth === 'Bearer s')).toBe(true);
    expect(connections()).toBe(1);
  });

  it('gives a fallback for a body that is not JSON, and the raw bytes', async () => {
    const { url } = await serve((_req, res) => {
      res.statusCode = 502;
      res.end('<html>bad gateway</html>');
    });
    const r = await internalRequest(url);
    expect(r.status).toBe(502);
    expect(r.json({ fallback: true })).toEqual({ fallback: true });
    expect(r.text()).toBe('<html>bad gateway</html>');
  });

  it('gives up on an API that does not answer within the timeout', async () => {
    const { url } = await serve(() => {
      // never answers
    });
    const t0 = Date.now();
    await expect(internalRequest(url, { timeoutMs: 300 })).rejects.toThrow(InternalHttpError);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('refuses an answer larger than its cap instead of buffering it', async () => {
    const { url } = await serve((_req, res) => {
      res.write(Buffer.alloc(64 * 1024));
      res.end(Buffer.alloc(64 * 1024));
    });
    await expect(internalRequest(url, { maxBytes: 100 * 1024 })).rejects.toThrow(/larger than 102400 bytes/);
    const r = await internalRequest(url, { maxBytes: 128 * 1024 });
    expect(r.body.length).toBe(128 * 1024);
  });

  it('reports an unreachable API as an InternalHttpError', async () => {
    const { url } = await serve((_req, res) => res.end());
    await new Promise((r) => server!.close(r));
    server = undefined;
    await expect(internalRequest(url)).rejects.toThrow(InternalHttpError);
  });

  it('retries once, on a fresh socket, a request whose kept-alive socket the server closed under it', async () => {
    let requests = 0;
    const { url, connections } = await serve((_req, res, socket) => {
      requests++;
      // The second request arrives on the kept-alive socket: the server drops it unanswered, as
      // a server closing an idle socket just as a request goes out does.
      if (requests === 2) return socket.destroy();
      res.end(JSON.stringify({ n: requests }));
    });
    expect((await internalRequest(url)).json({})).toEqual({ n: 1 });
    expect((await internalRequest(url)).json({})).toEqual({ n: 3 });
    expect(requests).toBe(3);
    expect(connections()).toBe(2);
  });

  it('does not retry a failure on a fresh socket', async () => {
    let requests = 0;
    const { url } = await serve((_req, _res, socket) => {
      requests++;
      socket.destroy();
    });
    await expect(internalRequest(url)).rejects.toThrow(InternalHttpError);
    expect(requests).toBe(1);
  });

  it('refuses a protocol other than http and https', async () => {
    await expect(internalRequest('file:///etc/passwd')).rejects.toThrow(/unsupported protocol file:/);
  });
});
