// The room's WebSocket to its media node: msgpack frames, request/response by id, notifications,
// and an app-level ping so a dead socket is noticed even when the browser hides TCP trouble.
import { decode, encode, SUBPROTOCOL_MSGPACK, PROTOCOL_VERSION } from '@duet/signaling/protocol';
import type { ClientMessage, ClientMessageType, ErrorBody, Notification, ResponseData, ServerMessage } from '@duet/signaling/protocol';

type Payload<T extends ClientMessageType> = Omit<Extract<ClientMessage, { t: T }>, 't' | 'id'>;

export class SignalingError extends Error {
  readonly code: string;
  constructor(error: ErrorBody) {
    super(error.message);
    this.code = error.code;
  }
}

export class SignalingClient {
  private ws: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (d: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(n: Notification) => void>();
  private closeListeners = new Set<(code: number, reason: string) => void>();
  private pingTimer: ReturnType<typeof setInterval> | undefined;

  onNotification(fn: (n: Notification) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onClose(fn: (code: number, reason: string) => void): void {
    this.closeListeners.add(fn);
  }

  async connect(url: string, token: string): Promise<ResponseData['hello']> {
    const ws = new WebSocket(url, [SUBPROTOCOL_MSGPACK]);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error('could not reach the video service'));
    });
    ws.onmessage = (ev) => this.onFrame(ev.data as ArrayBuffer);
    ws.onclose = (ev) => {
      clearInterval(this.pingTimer);
      for (const p of this.pending.values()) p.reject(new Error('connection closed'));
      this.pending.clear();
      for (const fn of this.closeListeners) fn(ev.code, ev.reason);
    };
    const hello = await this.request('hello', { v: PROTOCOL_VERSION, token });
    this.pingTimer = setInterval(() => void this.request('ping', {}).catch(() => undefined), 10_000);
    return hello;
  }

  request<T extends ClientMessageType>(t: T, payload: Payload<T>): Promise<ResponseData[T]> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not connected'));
    const id = this.nextId++;
    return new Promise<ResponseData[T]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (d: unknown) => void, reject });
      ws.send(encode('msgpack', { t, id, ...payload }) as Uint8Array<ArrayBuffer>);
    });
  }

  close(): void {
    clearInterval(this.pingTimer);
    this.ws?.close(1000);
  }

  private onFrame(data: ArrayBuffer): void {
    let msg: ServerMessage;
    try {
      msg = decode('msgpack', new Uint8Array(data)) as ServerMessage;
    } catch {
      return;
    }
    if (msg.t === 'response') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.data);
      else p.reject(new SignalingError(msg.error));
      return;
    }
    for (const fn of this.listeners) fn(msg);
  }
}
