// A response and the notifications its request causes, sent in one tick, leave the node in one
// socket write (transport/connection.ts corks the socket until the end of the tick); a frame sent
// in a later tick still goes out on its own, and one sent just before the socket is dropped is not lost. Real ws server and client on loopback; the server
// socket's writes are counted where Node hands them to the kernel.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Connection, type ConnectionStats, type Handler } from '../src/transport/connection.ts';
import { Rejections } from '../src/transport/rejections.ts';
import { createLog } from '../src/log.ts';
import type { Notification } from '../src/protocol/index.ts';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

async function pair(handler: Handler): Promise<{ client: WebSocket; frames: unknown[]; writes: () => number; server: () => Connection }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const stats: ConnectionStats = { frames: 0, badFrames: 0, rateLimited: 0, rejections: new Rejections() };
  let writes = 0;
  let conn: Connection | undefined;
  wss.on('connection', (ws) => {
    // Count what reaches the kernel: one _writeGeneric per write or writev system call.
    const socket = (ws as unknown as { _socket: { _writeGeneric: (...a: unknown[]) => unknown } })._socket;
    const real = socket._writeGeneric.bind(socket);
    socket._writeGeneric = (...a: unknown[]) => {
      writes++;
      return real(...a);
    };
    conn = new Connection(ws, 'json', handler, stats, createLog({ level: 'silent' }));
    ws.on('message', (data, isBinary) => conn!.onFrame(Buffer.from(data as Buffer), isBinary));
  });
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const frames: unknown[] = [];
  client.on('message', (d) => frames.push(JSON.parse(String(d))));
  await new Promise<void>((r, j) => client.once('open', () => r()).once('error', j));
  closers.push(() => {
    client.terminate();
    wss.close();
  });
  while (!conn) await new Promise((r) => setTimeout(r, 5));
  writes = 0;
  return { client, frames, writes: () => writes, server: () => conn! };
}

const note = (n: number) => ({ t: 'chat.message', message: { id: String(n) } }) as unknown as Notification;

describe('connection writes', () => {
  it('a response and the two notifications after it: three frames, in order, one write', async () => {
    const p = await pair(async (conn) => ({ data: { ok: 1 }, after: () => (conn.notify(note(1)), conn.notify(note(2))) }));
    p.server().claims = { sessionId: 's', role: 'tutor', userId: 'u' } as never; // seated: requests are handled
    p.client.send(JSON.stringify({ t: 'ping', id: 7 }));
    while (p.frames.length < 3) await new Promise((r) => setTimeout(r, 5));
    expect(p.frames).toEqual([{ t: 'response', id: 7, ok: true, req: 'ping', data: { ok: 1 } }, note(1), note(2)]);
    expect(p.writes()).toBe(1);
  });

  it('a frame sent right before the socket is dropped in the same tick still goes out (a node shutting down)', async () => {
    const p = await pair(async () => ({ data: null }));
    const closed = new Promise<number>((r) => p.client.once('close', (code) => r(code)));
    p.server().notify(note(1));
    p.server().notify(note(2));
    p.server().terminate();
    await closed;
    expect(p.frames).toEqual([note(1), note(2)]);
  });

  it('a frame sent right before a close in the same tick arrives, then the close code', async () => {
    const p = await pair(async () => ({ data: null }));
    const closed = new Promise<number>((r) => p.client.once('close', (code) => r(code)));
    p.server().notify(note(1));
    p.server().close(1001, 'moved');
    expect(await closed).toBe(1001);
    expect(p.frames).toEqual([note(1)]);
  });

  it('frames sent in later ticks are not held back: each goes out', async () => {
    const p = await pair(async () => ({ data: null }));
    p.server().notify(note(1));
    await new Promise((r) => setTimeout(r, 20));
    expect(p.frames).toEqual([note(1)]);
    p.server().notify(note(2));
    await new Promise((r) => setImmediate(r));
    p.server().notify(note(3));
    while (p.frames.length < 3) await new Promise((r) => setTimeout(r, 5));
    expect(p.frames).toEqual([note(1), note(2), note(3)]);
    expect(p.writes()).toBe(3);
  });
});
