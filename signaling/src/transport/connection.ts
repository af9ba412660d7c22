// One participant's WebSocket: framing, caps, authentication state, request/response plumbing.
// Everything a client sends passes decode -> size/rate caps -> schema -> handler; any failure
// becomes an error reply, never an exception that escapes to the process.
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { JoinClaims } from '@duet/api/tokens';
import { decode, encode, type Framing } from '../protocol/codec.ts';
import { MAX_FRAME_BYTES } from '../protocol/constants.ts';
import type { ClientMessage, ErrorBody, ErrorCode, Notification, ServerMessage } from '../protocol/index.ts';
import type { Room, RoomConnection } from '../room/room.ts';
import { RateLimiter } from './rate-limiter.ts';
import { validateClientMessage } from './validate.ts';
import type { Logger } from '../log.ts';

export class RequestError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface ConnectionStats {
  /** Frames received (all sockets). */
  frames: number;
  /** Frames answered with bad_frame / invalid_message / frame_too_large. */
  badFrames: number;
  rateLimited: number;
}

export interface RateCap {
  perSecond: number;
  burst: number;
}

/** A handler's result: the response data, and what to do once the response is sent. */
export interface Reply {
  data: unknown;
  after?: () => void;
}
export type Handler = (conn: Connection, message: ClientMessage) => Promise<Reply>;

export class Connection implements RoomConnection {
  readonly id = randomUUID();
  claims: JoinClaims | undefined;
  room: Room | undefined;
  alive = true;
  /** Set by a successful `standby`: the token `join` seats with, its seat ticket and claims. */
  standbyToken: string | undefined;
  standbyTicket: string | undefined;
  standbyClaims: JoinClaims | undefined;
  private authenticating = false;
  private readonly ws: WebSocket;
  private readonly framing: Framing;
  private readonly limiter: RateLimiter;
  private rejectedByRate = 0;
  private readonly stats: ConnectionStats;
  private readonly handler: Handler;
  /** conn_id, then (after hello) session_id, role and user_id as bindings. */
  log: Logger;

  constructor(ws: WebSocket, framing: Framing, handler: Handler, stats: ConnectionStats, log: Logger, rate: RateCap = { perSecond: 40, burst: 80 }) {
    this.limiter = new RateLimiter(rate.perSecond, rate.burst);
    this.ws = ws;
    this.framing = framing;
    this.handler = handler;
    this.stats = stats;
    this.log = log.child({ conn_id: this.id });
  }

  /** After a successful hello: every later line of this connection names the lesson and seat. */
  seated(claims: JoinClaims): void {
    this.standbyToken = undefined;
    this.standbyTicket = undefined;
    this.standbyClaims = undefined;
    this.log = this.log.child({ session_id: claims.sessionId, role: claims.role, user_id: claims.userId });
  }

  /** A pre-join socket (`standby`): closed with 4003 unless it joins within timeoutMs. */
  standBy(token: string, ticket: string | undefined, claims: JoinClaims, timeoutMs: number): void {
    this.standbyToken = token;
    this.standbyTicket = ticket;
    this.standbyClaims = claims;
    setTimeout(() => !this.claims && this.close(4003, 'standby expired'), timeoutMs).unref();
  }

  /** Authenticated: seated, or standing by for a join. */
  get authenticated(): boolean {
    return !!this.claims || this.standbyToken !== undefined;
  }

  notify(message: Notification): void {
    this.send(message);
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  onFrame(data: Buffer, isBinary: boolean): void {
    this.stats.frames++;
    if (!this.limiter.take()) {
      this.stats.rateLimited++;
      // A client that keeps flooding after being told is cut off.
      if (++this.rejectedByRate > 200) return this.close(1008, 'rate limit exceeded');
      return this.fail(undefined, 'rate_limited', 'too many messages, slow down');
    }
    if (data.byteLength > MAX_FRAME_BYTES) return this.fail(undefined, 'frame_too_large', `frames are limited to ${MAX_FRAME_BYTES} bytes`);
    let value: unknown;
    try {
      value = decode(this.framing, isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString('utf8'));
    } catch {
      return this.fail(undefined, 'bad_frame', this.framing === 'json' ? 'frame is not valid JSON' : 'frame is not valid msgpack');
    }
    const v = validateClientMessage(value);
    if (!v.ok) return this.fail(v.id, 'invalid_message', v.reason);
    void this.dispatch(v.message);
  }

  private async dispatch(message: ClientMessage): Promise<void> {
    const authenticates = message.t === 'hello' || message.t === 'standby' || message.t === 'join';
    if (message.t === 'hello' || message.t === 'standby') {
      if (this.authenticated || this.authenticating) return this.fail(message.id, 'already_authenticated', 'hello was already sent on this connection');
    } else if (message.t === 'join') {
      if (this.claims || this.authenticating) return this.fail(message.id, 'already_authenticated', 'this connection has already joined');
      if (this.standbyToken === undefined) return this.fail(message.id, 'not_authenticated', 'join follows a standby on the same connection');
    } else if (!this.claims && !(this.standbyToken !== undefined && (message.t === 'ping' || message.t === 'leave'))) {
      return this.fail(message.id, 'not_authenticated', this.standbyToken === undefined ? 'the first message must be hello with a join token' : 'join first (this connection is standing by)');
    }
    if (authenticates) this.authenticating = true;
    try {
      const reply = await this.handler(this, message);
      if (message.t === 'standby') this.authenticating = false;
      this.send({ t: 'response', id: message.id, ok: true, req: message.t, data: reply.data } as ServerMessage);
      reply.after?.();
    } catch (err) {
      if (authenticates) this.authenticating = false;
      if (err instanceof RequestError) {
        this.log.debug({ request_id: message.id, type: message.t, code: err.code }, 'request refused');
        return this.fail(message.id, err.code, err.message);
      }
      this.log.error({ request_id: message.id, type: message.t, error: (err as Error).message }, 'request failed');
      this.fail(message.id, 'internal_error', 'the request failed on the server');
    }
  }

  /** Sends a response for `id`, or an `error` notification when the frame carried no usable id. */
  fail(id: number | undefined, code: ErrorCode, message: string): void {
    if (code === 'bad_frame' || code === 'invalid_message' || code === 'frame_too_large') this.stats.badFrames++;
    const error: ErrorBody = { code, message };
    this.send(id === undefined ? { t: 'error', error } : { t: 'response', id, ok: false, error });
  }

  private send(message: ServerMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encode(this.framing, message));
  }
}
