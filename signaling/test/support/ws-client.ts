// A minimal protocol client for tests: either framing, requests by id, notifications collected.
import { WebSocket } from 'ws';
import { decode, encode, SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK, type Framing } from '../../src/protocol/index.ts';
import type { Notification, ServerMessage } from '../../src/protocol/index.ts';

export class TestClient {
  readonly ws: WebSocket;
  readonly framing: Framing;
  readonly notifications: Notification[] = [];
  readonly responses = new Map<number, Extract<ServerMessage, { t: 'response' }>>();
  private nextId = 1;
  private waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(ws: WebSocket, framing: Framing) {
    this.ws = ws;
    this.framing = framing;
    ws.on('message', (data, isBinary) => {
      const msg = decode(framing, isBinary ? new Uint8Array(data as Buffer) : (data as Buffer).toString('utf8')) as ServerMessage;
      if (msg.t === 'response') this.responses.set(msg.id, msg);
      else this.notifications.push(msg);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(url: string, framing: Framing = 'json'): Promise<TestClient> {
    const ws = new WebSocket(url, [framing === 'json' ? SUBPROTOCOL_JSON : SUBPROTOCOL_MSGPACK]);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new TestClient(ws, framing);
  }

  sendRaw(frame: string | Buffer | Uint8Array): void {
    this.ws.send(frame);
  }

  async request(t: string, payload: Record<string, unknown> = {}): Promise<Extract<ServerMessage, { t: 'response' }>> {
    const id = this.nextId++;
    this.ws.send(encode(this.framing, { t, id, ...payload }));
    return this.until(() => this.responses.get(id));
  }

  async until<T>(fn: () => T | undefined | null | false, timeoutMs = 5_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out; notifications so far: ${JSON.stringify(this.notifications).slice(0, 500)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  next<T extends Notification['t']>(t: T, timeoutMs = 5_000): Promise<Extract<Notification, { t: T }>> {
    return this.until(() => this.notifications.find((n) => n.t === t) as Extract<Notification, { t: T }> | undefined, timeoutMs);
  }

  close(): void {
    this.ws.close();
  }
}

/** The clients a test file opened, closed together in its afterAll. */
export class ClientPool {
  private readonly clients: TestClient[] = [];

  async open(url: string, framing: Framing = 'json'): Promise<TestClient> {
    const c = await TestClient.open(url, framing);
    this.clients.push(c);
    return c;
  }

  closeAll(): void {
    for (const c of this.clients) c.close();
  }
}
