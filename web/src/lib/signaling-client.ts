// The room's WebSocket to its media node: msgpack frames, request/response by id, notifications,
// an app-level ping so a dead socket is noticed even when the browser hides TCP trouble, and
// resume: when the socket drops, it reconnects with the join token plus the seat's resume token
// for as long as the server keeps the seat, and reports reconnecting / resumed / lost.
import { decode, encode, SUBPROTOCOL_MSGPACK, PROTOCOL_VERSION } from '@duet/signaling/protocol';
import type { ClientMessage, ClientMessageType, ErrorBody, HelloData, Notification, ResponseData, ServerMessage, StandbyData } from '@duet/signaling/protocol';

type Payload<T extends ClientMessageType> = Omit<Extract<ClientMessage, { t: T }>, 't' | 'id'>;

export class SignalingError extends Error {
  readonly code: string;
  constructor(error: ErrorBody) {
    super(error.message);
    this.code = error.code;
  }
}

/** Close codes after which resuming makes no sense. */
const FINAL_CLOSE_CODES = new Set([1000, 1008, 4001, 4002, 4005]);
/** Errors to a resume hello that mean the seat or the lesson is gone. */
const FINAL_HELLO_ERRORS = new Set([
  'lesson_unavailable',
  'token_invalid',
  'token_expired',
  'token_missing',
  'unsupported_version',
  'token_superseded',
  'token_already_used',
  'token_not_redeemed',
  'participant_revoked',
]);
/**
 * Often enough that the server notices a silent socket within seconds (its quiet sweep,
 * SIGNALING_QUIET_MS, 3 s): with 2 s pings and 4.5 s of quiet, a 5 s cut in the lab was shown
 * as "reconnecting" only when the last ping happened to fall early enough (1 run of 3), since
 * the silence counts from the last frame, not from the cut.
 */
const PING_MS = 1_000;
/** One resume attempt (connect + hello) at most this long: on a cut link a connect can hang for minutes. */
const RESUME_ATTEMPT_MS = 4_000;
/** How long a resume waits for the API's "where is the lesson now?" before trying the node it knows. */
const RELOCATE_WAIT_MS = 1_000;
/** How long the join click waits for a standby socket that is still coming up. */
export const STANDBY_WAIT_MS = 3_000;

/** Resolves with `value` after `ms`. */
export const delay = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));
const PING_TIMEOUT_MS = 8_000;

export class SignalingClient {
  private ws: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (d: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(n: Notification) => void>();
  private readonly closeListeners = new Set<(code: number, reason: string) => void>();
  private readonly reconnectingListeners = new Set<() => void>();
  private readonly resumedListeners = new Set<(hello: HelloData) => void>();
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private url = '';
  private token = '';
  /** The seat ticket from POST /join (see JoinInfo.seat_ticket), sent with standby and hello. */
  private ticket: string | undefined;
  private resumeToken: string | undefined;
  private graceMs = 30_000;
  private intentional = false;
  private reconnecting = false;
  /** Asks the API where this lesson lives now (POST /join again); null = no answer. */
  private relocate: (() => Promise<string | null>) | undefined;
  /** The node told us to move (drain deadline, shutdown): ask the API before reconnecting. */
  private moveRequested = false;
  /** A standby() socket coming up (true once authenticated); consumed by connect(). */
  private standingBy: Promise<StandbyData | null> | undefined;
  /** The standby socket until it joins (its close is nobody's business but connect()'s). */
  private standbySocket: WebSocket | undefined;

  onNotification(fn: (n: Notification) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The connection is gone for good (left, replaced, ended, or the resume window passed). */
  onClose(fn: (code: number, reason: string) => void): void {
    this.closeListeners.add(fn);
  }

  onReconnecting(fn: () => void): void {
    this.reconnectingListeners.add(fn);
  }

  onResumed(fn: (hello: HelloData) => void): void {
    this.resumedListeners.add(fn);
  }

  get isReconnecting(): boolean {
    return this.reconnecting;
  }

  /**
   * Multi-node failover: when the node is gone or moving its lessons, the next reconnect asks the
   * API for the lesson's current signaling URL; on another node the seat starts fresh (no resume).
   */
  onRelocate(fn: () => Promise<string | null>): void {
    this.relocate = fn;
  }

  /**
   * Takes the seat: `join` on the socket opened by standby() when it is still up (one round
   * trip), otherwise a new socket and `hello`.
   */
  async connect(url: string, token: string, join: Payload<'join'> = {}, ticket?: string): Promise<HelloData> {
    const standby = this.standingBy;
    this.standingBy = undefined;
    // A standby still coming up is waited for, but not for long: a fresh connect is the fallback.
    const stoodBy = standby && url === this.url && token === this.token ? await Promise.race([standby, delay(STANDBY_WAIT_MS, null)]) : null;
    if (stoodBy && this.standbySocket?.readyState === WebSocket.OPEN) {
      try {
        performance.mark('duet:join-sent');
        const hello = this.seated(await this.request('join', join));
        this.standbySocket = undefined; // seated now: a drop from here on is resumed
        return hello;
      } catch (err) {
        if (err instanceof SignalingError) throw err;
        // The standby socket died under the join: start over below.
      }
    }
    this.dropSocket();
    this.url = url;
    this.token = token;
    this.ticket = ticket;
    return this.open();
  }

  /**
   * Opens and authenticates the socket ahead of the join click (the pre-join screen), without
   * taking the seat: nobody is told until connect(). Never fails: a standby that does not come
   * up (or is closed later, e.g. after the server's standby timeout) just means connect() opens
   * a new socket.
   */
  standby(url: string, token: string, ticket?: string): Promise<StandbyData | null> {
    if (this.standingBy || this.resumeToken) return this.standingBy ?? Promise.resolve(null);
    this.url = url;
    this.token = token;
    this.ticket = ticket;
    this.standingBy = (async () => {
      try {
        const ws = await this.openSocket();
        this.standbySocket = ws;
        const data = await this.request('standby', { v: PROTOCOL_VERSION, token, ...(ticket ? { ticket } : {}) });
        if (this.standbySocket !== ws) return null; // given up on meanwhile (connect() fell back)
        this.startPing(ws);
        return data;
      } catch {
        this.dropSocket();
        return null;
      }
    })();
    return this.standingBy;
  }

  private async openSocket(): Promise<WebSocket> {
    const ws = new WebSocket(this.url, [SUBPROTOCOL_MSGPACK]);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error('could not reach the video service'));
      ws.onclose = () => reject(new Error('could not reach the video service'));
    });
    performance.mark('duet:ws-open');
    ws.onmessage = (ev) => this.onFrame(ev.data as ArrayBuffer);
    ws.onclose = (ev) => this.onSocketClosed(ws, ev.code, ev.reason);
    return ws;
  }

  private async open(): Promise<HelloData> {
    const ws = await this.openSocket();
    const hello = await this.request('hello', {
      v: PROTOCOL_VERSION,
      token: this.token,
      ...(this.ticket ? { ticket: this.ticket } : {}),
      ...(this.resumeToken ? { resume: this.resumeToken } : {}),
    });
    this.startPing(ws);
    return this.seated(hello);
  }

  private seated(hello: HelloData): HelloData {
    this.resumeToken = hello.resumeToken;
    this.graceMs = hello.graceMs;
    return hello;
  }

  /** Closes a socket that holds no seat (a standby that is not used) without any close event. */
  private dropSocket(): void {
    const ws = this.standbySocket;
    this.standbySocket = undefined;
    if (!ws) return;
    if (this.ws === ws) this.ws = undefined;
    clearInterval(this.pingTimer);
    ws.onclose = null;
    ws.onerror = null;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
  }

  private startPing(ws: WebSocket): void {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      // A ping that gets no answer in time means the path is dead even if the socket looks open.
      const timeout = setTimeout(() => ws === this.ws && this.abandon(ws, 4900, 'ping timeout'), PING_TIMEOUT_MS);
      this.request('ping', {}).then(() => clearTimeout(timeout), () => clearTimeout(timeout));
    }, PING_MS);
  }

  /**
   * Gives up on a socket whose path is dead and goes on as if it had closed. Not ws.close() and
   * wait: the browser fires 'close' only once the closing handshake ends, and on a dead path
   * (the address changed under it) that took over 20 s in the lab — the resume, and with it the
   * media's ICE restarts, waited for it.
   */
  private abandon(ws: WebSocket, code: number, reason: string): void {
    ws.onclose = null;
    ws.onerror = null;
    ws.onmessage = null;
    ws.close(code, reason);
    this.onSocketClosed(ws, code, reason);
  }

  private onSocketClosed(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    clearInterval(this.pingTimer);
    for (const p of this.pending.values()) p.reject(new Error('connection closed'));
    this.pending.clear();
    if (this.intentional) return;
    // A standby socket that closed before its join (server timeout, network): nobody is told,
    // connect() opens a new one.
    if (ws === this.standbySocket) {
      this.standbySocket = undefined;
      this.ws = undefined;
      if (this.standingBy) this.standingBy = Promise.resolve(null);
      return;
    }
    if (FINAL_CLOSE_CODES.has(code) || !this.resumeToken) return this.emitClose(code, reason);
    void this.resume();
  }

  /** Reconnects with backoff while the server still keeps the seat. */
  private async resume(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    for (const fn of this.reconnectingListeners) fn();
    const deadline = Date.now() + this.graceMs + 5_000;
    let backoff = 250;
    let attempt = 0;
    // The API's answer to "where is the lesson now?", asked once at a time (see below).
    let asked: { done: boolean; next: string | null } | undefined;
    let asking: Promise<void> | undefined;
    while (!this.intentional && Date.now() < deadline) {
      // After one failed attempt the node may be dead: ask the API where the lesson is now. Not
      // for long: on a cut link the API is as far as the node, and a request there hangs until
      // the link is back (in the lab it held the resume 13 s past the end of a 20-s cut). The
      // question stays open meanwhile; its answer counts at the next attempt.
      if (this.relocate && (this.moveRequested || attempt > 0)) {
        if (!asking) {
          const a = { done: false, next: null as string | null };
          asked = a;
          asking = this.relocate().then(
            (next) => void (a.next = next),
            () => undefined,
          ).finally(() => void (a.done = true));
        }
        // A draining node refuses anyway: its answer is worth a longer wait.
        await Promise.race([asking, delay(this.moveRequested ? RESUME_ATTEMPT_MS : RELOCATE_WAIT_MS, undefined)]);
        if (asked?.done) {
          const next = asked.next;
          asked = asking = undefined;
          if (next && next !== this.url) {
            this.url = next;
            this.resumeToken = undefined;
          }
          this.moveRequested = false;
        }
      }
      attempt++;
      try {
        const hello = await this.openWithin(RESUME_ATTEMPT_MS);
        this.reconnecting = false;
        for (const fn of this.resumedListeners) fn(hello);
        return;
      } catch (err) {
        if (err instanceof SignalingError && err.code === 'node_draining') {
          this.moveRequested = true;
          const ws = this.ws;
          if (ws) {
            ws.onclose = null; // not a final close: the loop goes on
            ws.close(1000);
          }
          backoff = 250;
        } else if (err instanceof SignalingError && FINAL_HELLO_ERRORS.has(err.code)) {
          this.reconnecting = false;
          this.ws?.close(1000);
          return this.emitClose(4002, err.code);
        }
      }
      await new Promise((r) => setTimeout(r, backoff));
      // With a relocation source, retry sooner: a dead node's lessons move within a second or two.
      backoff = Math.min(this.relocate ? 750 : 2_000, backoff * 2);
    }
    this.reconnecting = false;
    if (!this.intentional) this.emitClose(4900, 'connection_lost');
  }

  /** open(), given up after `ms` (the half-made socket is dropped without a close event). */
  private openWithin(ms: number): Promise<HelloData> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const ws = this.ws;
        if (ws) {
          ws.onclose = null;
          ws.onerror = null;
          ws.onopen = null;
          ws.close();
        }
        clearInterval(this.pingTimer);
        for (const p of this.pending.values()) p.reject(new Error('resume attempt timed out'));
        this.pending.clear();
        reject(new Error('resume attempt timed out'));
      }, ms);
    });
    return Promise.race([this.open(), timeout]).finally(() => clearTimeout(timer));
  }

  private emitClose(code: number, reason: string): void {
    for (const fn of this.closeListeners) fn(code, reason);
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
    this.intentional = true;
    this.standingBy = undefined;
    clearInterval(this.pingTimer);
    this.ws?.close(1000);
  }

  /** Test switch: the network under this socket drops (the client will resume). */
  simulateDrop(): void {
    this.ws?.close(4901, 'simulated network drop');
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
    if (msg.t === 'reconnect') this.moveRequested = true;
    for (const fn of this.listeners) fn(msg);
  }
}
