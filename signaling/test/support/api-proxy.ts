// A real HTTP hop between the media node and the real API, for tests: it records every hook the
// node sends (with the API's answer) and can play an outage (connections refused at the socket).
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SeenHook {
  id: string;
  type: string;
  session_id: string;
  data: Record<string, unknown>;
  status: number;
}

export interface ApiProxy {
  url: string;
  hooks: SeenHook[];
  /** Every request the node made, in order (`POST /internal/sessions/…/seat-check?include=lesson`). */
  requests: string[];
  /** While down, every connection is destroyed before any answer. */
  setDown(down: boolean): void;
  /** Plays an API that predates the seat check's `?include=lesson`: the query is not passed on. */
  setOldSeatCheck(old: boolean): void;
  close(): Promise<void>;
}

export async function startApiProxy(target: () => string): Promise<ApiProxy> {
  let down = false;
  let oldSeatCheck = false;
  const hooks: SeenHook[] = [];
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (down) return req.socket.destroy();
    requests.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const base = new URL(target());
      const fwd = request(
        { host: base.hostname, port: base.port, path: oldSeatCheck ? req.url!.replace(/\/seat-check\?include=lesson$/, '/seat-check') : req.url, method: req.method, headers: { ...req.headers, host: base.host } },
        (up) => {
          const out: Buffer[] = [];
          up.on('data', (c: Buffer) => out.push(c));
          up.on('end', () => {
            if (req.method === 'POST' && req.url === '/internal/hooks') {
              try {
                const e = JSON.parse(body.toString('utf8'));
                hooks.push({ id: e.id, type: e.type, session_id: e.session_id, data: e.data, status: up.statusCode ?? 0 });
              } catch {
                // not ours to judge
              }
            }
            res.writeHead(up.statusCode ?? 502, up.headers).end(Buffer.concat(out));
          });
        },
      );
      fwd.on('error', () => res.writeHead(502).end());
      fwd.end(body);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    if (down) s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hooks,
    requests,
    setDown(v: boolean) {
      down = v;
      if (v) for (const s of sockets) s.destroy();
    },
    setOldSeatCheck(v: boolean) {
      oldSeatCheck = v;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
