// One participant's WebSocket: framing, caps, authentication state, request/response plumbing.
// Everything a client sends passes decode -> size/rate caps -> schema -> handler; any failure
// becomes an error reply, never an exception that escapes to the process.
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { JoinClaims } from '@duet/api/tokens';
import { decode, encode, FrameScanError, type Framing } from '../protocol/codec.ts';
import { APP_DATA_FRAME_OVERHEAD, MAX_APP_DATA_BYTES, MAX_FRAME_BYTES } from '../protocol/constants.ts';
import type { ClientMessage, ErrorBody, ErrorCode, Notification, ServerMessage } from '../protocol/index.ts';
import type { Room, RoomConnection } from '../room/room.ts';
import { KindLimiter, RateLimiter } from './rate-limiter.ts';
import { Rejections, type RejectionReason } from './rejections.ts';
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
  /** Every refusal by reason (duet_node_rejections_total). */
  rejections: Rejections;
}

export interface RateCap {
  perSecond: number;
  burst: number;
  /** Multiplies the per-kind buckets (KIND_RATES); default 1. */
  kindScale?: number;
}

/** Seat accounting (sockets per seat): returns the older sockets it closed to make room. */
export interface SeatAccounting {
  admit(conn: Connection, seatKey: string): Connection[];
}

const SCAN_REASONS: Record<FrameScanError['problem'], RejectionReason> = {
  extension: 'frame_extension',
  too_deep: 'frame_too_deep',
  bad_length: 'frame_bad_length',
  bad_type: 'frame_bad_type',
  truncated: 'frame_malformed',
  trailing: 'frame_malformed',
};

/** A handler's result: the response data, and what to do once the response is sent. */
export interface Reply {
  data: unknown;
  after?: () => void;
}
export type Handler = (conn: Connection, message: ClientMessage) => Promise<Reply>;

/** What a standby socket may send before its `join` (the sfu.* two: instant join, its own transports only). */
const STANDBY_MESSAGES = new Set<ClientMessage['t']>(['ping', 'leave', 'sfu.preconnect', 'sfu.connectTransport', 'sfu.probe']);

export class Connection implements RoomConnection {
  readonly id = randomUUID();
  claims: JoinClaims | undefined;
  room: Room | undefined;
  alive = true;
  /** Which tick of the heartbeat interval pings this socket (server.ts). */
  heartbeatSlice = 0;
  /** When the last frame came, how many app pings it sent, and whether it went quiet (server.ts). */
  lastFrameAt = Date.now();
  pings = 0;
  quiet = false;
  /** Set by a successful `standby`: the token `join` seats with, its seat ticket and claims. */
  standbyToken: string | undefined;
  standbyTicket: string | undefined;
  standbyClaims: JoinClaims | undefined;
  /** Instant join: the room holding this standby socket's preconnected transports (dropped on close). */
  preconnected: { room: Room; key: string } | undefined;
  private authenticating = false;
  private readonly ws: WebSocket;
  /** The socket is corked until the end of this tick (see send); the uncork that ends it. */
  private uncork: (() => void) | undefined;
  private readonly framing: Framing;
  private readonly limiter: RateLimiter;
  private readonly kindLimiter: KindLimiter;
  /** Set by the server: sockets per seat. */
  seats: SeatAccounting | undefined;
  /** `session/role` once this socket stands by or is seated. */
  seatKey: string | undefined;
  private rejectedByRate = 0;
  private readonly stats: ConnectionStats;
  /** A refusal the handler decided (counted in duet_node_rejections_total). */
  countRejection(reason: RejectionReason): void {
    this.stats.rejections.count(reason);
  }
  private readonly handler: Handler;
  private readonly baseLog: Logger;
  private bindings: Record<string, string>;
  private childLog: Logger | undefined;
  /**
   * conn_id, then (after hello) session_id, role and user_id as bindings. Made on first use: a
   * pino child and its serialized bindings are ~1 KB, and most idle participants never log.
   */
  get log(): Logger {
    return (this.childLog ??= this.baseLog.child(this.bindings));
  }

  constructor(ws: WebSocket, framing: Framing, handler: Handler, stats: ConnectionStats, log: Logger, rate: RateCap = { perSecond: 40, burst: 80 }) {
    this.limiter = new RateLimiter(rate.perSecond, rate.burst);
    this.kindLimiter = new KindLimiter(rate.kindScale ?? 1);
    this.ws = ws;
    this.framing = framing;
    this.handler = handler;
    this.stats = stats;
    this.baseLog = log;
    this.bindings = { conn_id: this.id };
  }

  /** After a successful hello: every later line of this connection names the lesson and seat. */
  seated(claims: JoinClaims): void {
    this.standbyToken = undefined;
    this.standbyTicket = undefined;
    this.standbyClaims = undefined;
    this.admitToSeat(claims);
    this.bindings = { conn_id: this.id, session_id: claims.sessionId, role: claims.role, user_id: claims.userId };
    this.childLog = undefined;
  }

  /** A pre-join socket (`standby`): closed with 4003 unless it joins within timeoutMs. */
  standBy(token: string, ticket: string | undefined, claims: JoinClaims, timeoutMs: number): void {
    this.admitToSeat(claims);
    this.standbyToken = token;
    this.standbyTicket = ticket;
    this.standbyClaims = claims;
    setTimeout(() => !this.claims && this.close(4003, 'standby expired'), timeoutMs).unref();
  }

  /** Counts this socket for its seat (sockets per seat, standby included). */
  private admitToSeat(claims: JoinClaims): void {
    this.seatKey = `${claims.sessionId}/${claims.role}`;
    for (const _ of this.seats?.admit(this, this.seatKey) ?? []) this.stats.rejections.count('sockets_per_seat');
  }

  /** Authenticated: seated, or standing by for a join. */
  get authenticated(): boolean {
    return !!this.claims || this.standbyToken !== undefined;
  }

  notify(message: Notification): void {
    this.send(message);
  }

  /** The socket is closing or closed. */
  get closed(): boolean {
    return this.ws.readyState === this.ws.CLOSING || this.ws.readyState === this.ws.CLOSED;
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  /** Drops the socket at once (no closing handshake); what was sent before it still goes out. */
  terminate(): void {
    this.flushWrites();
    this.ws.terminate();
  }

  onFrame(data: Buffer, isBinary: boolean): void {
    this.stats.frames++;
    this.lastFrameAt = Date.now();
    if (!this.limiter.take()) return this.rateLimited(undefined, 'rate_limited');
    if (data.byteLength > MAX_FRAME_BYTES) {
      this.stats.rejections.count('frame_too_large');
      return this.fail(undefined, 'frame_too_large', `frames are limited to ${MAX_FRAME_BYTES} bytes`);
    }
    let value: unknown;
    try {
      value = decode(this.framing, isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString('utf8'));
    } catch (err) {
      // Refused by the bounded pre-scan (cheap, nothing allocated): say why; the socket stays.
      if (err instanceof FrameScanError) {
        this.stats.rejections.count(SCAN_REASONS[err.problem]);
        return this.fail(undefined, 'bad_frame', err.message);
      }
      this.stats.rejections.count('frame_malformed');
      return this.fail(undefined, 'bad_frame', this.framing === 'json' ? 'frame is not valid JSON' : 'frame is not valid msgpack');
    }
    const v = validateClientMessage(value);
    if (!v.ok) {
      this.stats.rejections.count('invalid_message');
      return this.fail(v.id, 'invalid_message', v.reason);
    }
    const message = v.message;
    if (!this.kindLimiter.take(message.t)) return this.rateLimited(message.id, 'rate_limited_kind', message.t);
    // App data is sized by its frame (never by re-serialising what the client sent).
    if (message.t === 'app.data' && data.byteLength > MAX_APP_DATA_BYTES + APP_DATA_FRAME_OVERHEAD) {
      this.stats.rejections.count('app_data_too_large');
      return this.fail(message.id, 'payload_too_large', `app data is limited to ${MAX_APP_DATA_BYTES} bytes`);
    }
    void this.dispatch(message);
  }

  private rateLimited(id: number | undefined, reason: RejectionReason, kind?: string): void {
    this.stats.rateLimited++;
    this.stats.rejections.count(reason);
    // A client that keeps flooding after being told is cut off. Per-kind refusals do not count
    // towards that: a busy app-data user is slowed down, never disconnected from the lesson.
    if (reason === 'rate_limited' && ++this.rejectedByRate > 200) {
      this.stats.rejections.count('rate_closed');
      return this.close(1008, 'rate limit exceeded');
    }
    this.fail(id, 'rate_limited', kind ? `too many ${kind} messages, slow down` : 'too many messages, slow down');
  }

  private async dispatch(message: ClientMessage): Promise<void> {
    if (message.t === 'ping') this.pings++; // standby pings too: a client that pings is a room client
    const authenticates = message.t === 'hello' || message.t === 'standby' || message.t === 'join';
    if (message.t === 'hello' || message.t === 'standby') {
      if (this.authenticated || this.authenticating) return this.fail(message.id, 'already_authenticated', 'hello was already sent on this connection');
    } else if (message.t === 'join') {
      if (this.claims || this.authenticating) return this.fail(message.id, 'already_authenticated', 'this connection has already joined');
      if (this.standbyToken === undefined) return this.fail(message.id, 'not_authenticated', 'join follows a standby on the same connection');
    } else if (!this.claims && !(this.standbyToken !== undefined && STANDBY_MESSAGES.has(message.t))) {
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
        if (err.code === 'rate_limited' && message.t.startsWith('sfu.')) this.stats.rejections.count('sfu_limit');
        if (message.t === 'board.update') {
          if (err.code === 'board_full' || err.code === 'board_locked') this.stats.rejections.count(err.code);
          else if (err.code === 'payload_too_large') this.stats.rejections.count('board_too_large');
          else if (err.code === 'invalid_message') this.stats.rejections.count('board_invalid');
        }
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
    this.corkForThisTick();
    this.ws.send(encode(this.framing, message));
  }

  /**
   * Frames sent in one tick — a response and the notifications that follow it, a `leave` answer
   * and the close frame — leave in one write instead of one system call each: the signaling
   * bench's profile at 200 joins/s put a sixth of the node's time in those writes. Corks nest
   * (ws corks around each frame too), so nothing is sent before the uncork at the end of the tick,
   * or before `flushWrites` (a socket about to be destroyed: corked bytes would die with it).
   */
  private corkForThisTick(): void {
    if (this.uncork) return;
    const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (!socket) return;
    socket.cork();
    const uncork = () => {
      if (this.uncork !== uncork) return; // already flushed
      this.uncork = undefined;
      socket.uncork();
    };
    this.uncork = uncork;
    process.nextTick(uncork);
  }

  /** Hands what this tick has sent so far to the kernel now. */
  flushWrites(): void {
    this.uncork?.();
  }
}
