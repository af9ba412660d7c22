// The signaling protocol: ONE discriminated union (on `t`) shared by signaling and web.
// Client->server messages are TypeBox schemas (validated on arrival); server->client
// messages are plain types the server constructs. Media parameters (RTP/DTLS/ICE) are
// opaque JSON objects here: the SFU validates them; no mediasoup object ever crosses.
import { Type, type Static } from '@sinclair/typebox';

import { MAX_BOARD_STATE_VECTOR_BASE64, MAX_BOARD_UPDATE_BASE64, MAX_CHAT_TEXT, PROTOCOL_VERSION } from './constants.ts';
import type { ErrorCode } from './errors.ts';

const Id = Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 });
const Opaque = Type.Record(Type.String(), Type.Unknown());
const MediaSource = Type.Union([Type.Literal('camera'), Type.Literal('microphone'), Type.Literal('screen')]);
const MediaKind = Type.Union([Type.Literal('audio'), Type.Literal('video')]);
const Base64 = (maxLength: number) => Type.String({ maxLength, pattern: '^[A-Za-z0-9+/]*={0,2}$' });
const ShortId = Type.String({ minLength: 1, maxLength: 128 });
const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });
/** Which local track is which, by transceiver mid (P2P) so the other side can tell camera from screen. */
const TrackSources = Type.Record(Type.String({ maxLength: 16 }), MediaSource, { maxProperties: 8 });

export const P2PSignalSchema = Type.Union([
  Type.Object({ kind: Type.Literal('offer'), sdp: Type.String({ maxLength: 48_000 }), sources: Type.Optional(TrackSources) }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('answer'), sdp: Type.String({ maxLength: 48_000 }), sources: Type.Optional(TrackSources) }, { additionalProperties: false }),
  Type.Object(
    {
      kind: Type.Literal('candidate'),
      candidate: Type.Object(
        {
          candidate: Type.String({ maxLength: 1024 }),
          sdpMid: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
          sdpMLineIndex: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 64 }), Type.Null()])),
          usernameFragment: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
]);

/** One producer prepared at pre-join, made by the server with the `join` (camera or microphone only). */
const JoinProduce = Type.Object(
  { source: Type.Union([Type.Literal('camera'), Type.Literal('microphone')]), kind: MediaKind, rtpParameters: Opaque },
  { additionalProperties: false },
);

const req = <T extends string, P extends Record<string, any>>(t: T, props: P) =>
  Type.Object({ t: Type.Literal(t), id: Id, ...props }, { additionalProperties: false });


/** Every message a client may send. The first one on a socket must be `hello` (or `standby`). */
export const ClientMessageSchema = Type.Union([
  // `resume`: the resumeToken of an earlier hello on this seat, after a network drop; the seat
  // (and in SFU mode the server-side transports) are kept for the grace period.
  // `ticket`: the seat ticket POST /join returned (`seat_ticket`); required with
  // JOIN_TOKEN_SINGLE_USE, where the link alone no longer opens a seat once it joined.
  req('hello', {
    v: Type.Literal(PROTOCOL_VERSION),
    token: Type.String({ minLength: 1, maxLength: 4096 }),
    ticket: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    resume: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  }),
  // A socket opened ahead of time (the pre-join screen): the token is checked, no seat is taken,
  // nobody is told. `join` on the same socket then takes the seat (answering what hello would),
  // so the join click costs one round trip instead of a connect plus hello. Only `ping`, `join`
  // and `leave` (closes it) are accepted before the join; unjoined, the server closes it after
  // `StandbyData.timeoutMs` (close code 4003).
  req('standby', {
    v: Type.Literal(PROTOCOL_VERSION),
    token: Type.String({ minLength: 1, maxLength: 4096 }),
    ticket: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  }),
  // `rtpCapabilities`: the device's receive capabilities (a device loaded with the standby's
  // router capabilities). In an SFU room the answer then carries this side's transports and
  // consumers ready-made (HelloData.sfu.prepared), and the other side's later producers arrive
  // as `sfu.newConsumer` instead of `sfu.newProducer` (no sfu.createTransport/sfu.consume trips).
  // `produce` (instant join): the camera and microphone producers this side prepared at pre-join
  // on its preconnected send transport (their RTP parameters; nothing was sent). The server makes
  // them as part of the join — the seat, the adopted transports and the producers in one step —
  // so the other side gets them without an sfu.produce round trip after the click. Only used when
  // the join adopts this socket's preconnected transports (otherwise ignored: the client produces
  // the usual way); at most one per source, never the screen (HelloData.sfu.prepared.producers).
  // `preconnected: true` (instant join): adopt this socket's preconnected transports. Only the
  // client knows whether its side of them is ready (ICE and DTLS started on its own two
  // connections); without it the node drops them and makes new ones, so a client never ends up
  // with a second connection to a transport its first one already connected (DTLS refused).
  req('join', { rtpCapabilities: Type.Optional(Opaque), produce: Type.Optional(Type.Array(JoinProduce, { maxItems: 2 })), preconnected: Type.Optional(Type.Boolean()) }),
  req('ping', {}),
  req('leave', {}),
  req('media.state', { audio: Type.Boolean(), video: Type.Boolean(), screen: Type.Optional(Type.Boolean()) }),
  // P2P only: this side hears itself speaking (from its own audio level); the server elects the
  // active speaker (the SFU uses an AudioLevelObserver instead).
  req('media.speaking', { speaking: Type.Boolean() }),
  req('p2p.signal', { signal: P2PSignalSchema }),
  // P2P health as this side sees it. `failed` means ICE failed and (for the offerer) one ICE
  // restart did not fix it: the server then switches the room to the SFU.
  req('p2p.status', { state: Type.Union([Type.Literal('connected'), Type.Literal('restarting'), Type.Literal('failed')]) }),
  req('sfu.capabilities', {}),
  // Instant join, on a standby socket only (before `join`), once: a send and a receive transport
  // on the lesson's router made now, so the client connects ICE and DTLS (sfu.connectTransport,
  // also allowed there for these two) while the person is still on the pre-join screen. Nothing
  // is produced, consumed or announced: the other side cannot tell. `join` then adopts them
  // (HelloData.sfu.prepared names the same transports). Refused with `wrong_mode` unless the
  // lesson's room is live on this node and in SFU mode, or a P2P room where one person waits
  // alone: a join on a preconnected socket then starts the lesson on the SFU (reason
  // `instant_join`) and moves it to P2P make before break once both receive media (`p2p_upgrade`).
  req('sfu.preconnect', {}),
  // Pre-join route check, on a standby socket only (before `join`), any lesson mode: a throwaway
  // transport on the node's media ports that only answers ICE (no DTLS, nothing sent or relayed),
  // so the browser can try the node's own UDP and ICE-TCP candidates without TURN. Closed by the
  // server after `lifetimeMs`, at the join, or when the socket closes. One open per socket at a
  // time (`rate_limited` while one is open), 3 at once then one per 5 s, a node-wide cap
  // (SIGNALING_MAX_PROBES); `already_authenticated` on a seated socket.
  req('sfu.probe', {}),
  req('sfu.createTransport', { direction: Type.Union([Type.Literal('send'), Type.Literal('recv')]) }),
  req('sfu.connectTransport', { transportId: ShortId, dtlsParameters: Opaque }),
  req('sfu.restartIce', { transportId: ShortId }),
  req('sfu.produce', { transportId: ShortId, kind: MediaKind, rtpParameters: Opaque, source: MediaSource }),
  req('sfu.closeProducer', { producerId: ShortId }),
  req('sfu.consume', { producerId: ShortId, rtpCapabilities: Opaque }),
  req('sfu.resumeConsumer', { consumerId: ShortId }),
  // SFU mode: this side has the other's SFU media flowing, so a P2P connection can be closed (a
  // p2p -> sfu switch), or P2P can be brought up behind it (an instant join: `instant_join`).
  req('sfu.ready', {}),
  // The sfu -> p2p upgrade after an instant join (mode p2p, reason `p2p_upgrade`): this side now
  // shows the other's P2P media; once both said so the server closes the SFU side (`sfu.close`).
  req('p2p.ready', {}),
  req('chat.send', { messageId: Uuid, text: Type.String({ minLength: 1, maxLength: MAX_CHAT_TEXT }) }),
  req('app.data', { topic: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' }), data: Type.Unknown() }),
  // Whiteboard (Yjs CRDT, docs/whiteboard.md). `sync`: this side's state vector; the answer is
  // what it lacks. `update`: one Yjs update, applied by the node (which holds the merged doc)
  // and relayed to the other side. `lock` (tutor only): the node refuses the student's updates.
  req('board.sync', { sv: Base64(MAX_BOARD_STATE_VECTOR_BASE64) }),
  req('board.update', { update: Type.String({ minLength: 4, maxLength: MAX_BOARD_UPDATE_BASE64, pattern: '^[A-Za-z0-9+/]*={0,2}$' }) }),
  req('board.lock', { locked: Type.Boolean() }),
  // Tutor only.
  req('lesson.end', {}),
]);

export type ClientMessage = Static<typeof ClientMessageSchema>;
export type ClientMessageType = ClientMessage['t'];
export type ClientMessageOf<T extends ClientMessageType> = Extract<ClientMessage, { t: T }>;
export type P2PSignal = Static<typeof P2PSignalSchema>;
export type MediaSourceName = Static<typeof MediaSource>;
export type MediaKindName = Static<typeof MediaKind>;
export type JoinProduce = Static<typeof JoinProduce>;
export type Role = 'tutor' | 'student';
export type RoomMode = 'waiting' | 'p2p' | 'sfu';
/** Why the room is in its mode now. */
export type ModeReason = 'alone' | 'both_present' | 'peer_left' | 'recorded' | 'p2p_disabled' | 'p2p_failed' | 'p2p_timeout' | 'media_restarted' | 'peer_resumed' | 'instant_join' | 'p2p_upgrade';
export type Presence = 'present' | 'reconnecting' | 'absent';
export type EndReason = 'ended_by_tutor' | 'time_up' | 'replaced' | 'ended' | 'cancelled';

export interface PeerInfo {
  role: Role;
  userId: string;
  name: string;
  avatarUrl: string | null;
  audio: boolean;
  video: boolean;
  screen: boolean;
  presence: Presence;
}

export interface LessonInfo {
  sessionId: string;
  recording: boolean;
  scheduledStart: string;
  scheduledEnd: string;
  /** When the room ends itself: scheduled end plus any extension the tutor granted. */
  endsAt: string;
  /** The server's clock at the time of this message, so clients can correct for skew. */
  serverNow: string;
  /** Warnings are sent this many minutes before endsAt. */
  warningMinutes: number[];
}

export interface ChatMessage {
  id: string;
  role: Role;
  userId: string;
  name: string;
  text: string;
  sentAt: string;
}

export interface TransportInfo {
  transportId: string;
  iceParameters: Record<string, unknown>;
  iceCandidates: Record<string, unknown>[];
  dtlsParameters: Record<string, unknown>;
}

/** sfu.probe: what the browser needs to try ICE against the probe transport (no transport id: nothing else can be done with it). */
export interface ProbeInfo {
  iceParameters: Record<string, unknown>;
  iceCandidates: Record<string, unknown>[];
  dtlsParameters: Record<string, unknown>;
  /** The server closes it this long after making it. */
  lifetimeMs: number;
}

export interface ConsumerInfo {
  consumerId: string;
  producerId: string;
  kind: MediaKindName;
  source: MediaSourceName;
  rtpParameters: Record<string, unknown>;
}

export interface ProducerAnnouncement {
  producerId: string;
  kind: MediaKindName;
  source: MediaSourceName;
  role: Role;
}

export interface HelloData {
  you: PeerInfo;
  peer: PeerInfo | null;
  lesson: LessonInfo;
  mode: RoomMode;
  /** Present it as `resume` in the next hello after a drop to get this seat (and its media) back. */
  resumeToken: string;
  /** True when this hello took back a seat kept during the grace period. */
  resumed: boolean;
  /** How long a dropped participant keeps its seat. */
  graceMs: number;
  /** Chat history, oldest first (empty when the lesson service cannot be reached). */
  chat: ChatMessage[];
  /** The current active speaker, if any. */
  speaker: Role | null;
  /**
   * In SFU mode: what `sfu.capabilities` would answer, so the client sets up its transports
   * without that extra round trip. Absent in the other modes.
   */
  sfu?: SfuHello;
}

/** The answer to `standby`: how long the server keeps the socket without a `join`. */
export interface StandbyData {
  timeoutMs: number;
  /**
   * The router's capabilities, to load the device now: when the lesson starts on the SFU, and in
   * P2P lessons too (an instant join starts on the SFU, see sfu.preconnect).
   */
  sfu?: { routerRtpCapabilities: Record<string, unknown> };
}

/** A consumer the server created for this side (paused: resume it once its track is wired). */
export type RemoteConsumer = ConsumerInfo & { role: Role };

/** SFU media set up by the server during `join` (see the join request). */
export interface SfuPrepared {
  send: TransportInfo;
  recv: TransportInfo;
  consumers: RemoteConsumer[];
  /** Instant join: the producers the join made from its `produce` (absent or partial: produce the rest). */
  producers?: { source: MediaSourceName; producerId: string }[];
}

export type SfuHello = ResponseData['sfu.capabilities'] & { prepared?: SfuPrepared };

/** The `data` of a successful response, per request type. */
export interface ResponseData {
  hello: HelloData;
  standby: StandbyData;
  join: HelloData;
  ping: { now: number };
  leave: Record<string, never>;
  'media.state': Record<string, never>;
  'media.speaking': Record<string, never>;
  'p2p.signal': Record<string, never>;
  'p2p.status': { mode: RoomMode };
  'sfu.capabilities': { routerRtpCapabilities: Record<string, unknown>; producers: ProducerAnnouncement[] };
  'sfu.preconnect': { send: TransportInfo; recv: TransportInfo };
  'sfu.probe': ProbeInfo;
  'sfu.createTransport': TransportInfo;
  'sfu.connectTransport': Record<string, never>;
  'sfu.restartIce': { iceParameters: Record<string, unknown> };
  'sfu.produce': { producerId: string };
  'sfu.closeProducer': Record<string, never>;
  'sfu.consume': ConsumerInfo;
  'sfu.resumeConsumer': Record<string, never>;
  'sfu.ready': Record<string, never>;
  'p2p.ready': Record<string, never>;
  'chat.send': { message: ChatMessage };
  'app.data': Record<string, never>;
  'lesson.end': Record<string, never>;
  /** `update`: the node's doc minus what the state vector covers; `sv`: the node's state vector. */
  'board.sync': BoardState;
  'board.update': { bytes: number };
  'board.lock': { locked: boolean };
}

/** The whiteboard as the node holds it (base64 Yjs encodings). */
export interface BoardState {
  update: string;
  sv: string;
  locked: boolean;
  /** Bytes the lesson's board holds of its `maxBytes` budget. */
  bytes: number;
  maxBytes: number;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

export type Response =
  | { [K in ClientMessageType]: { t: 'response'; id: number; ok: true; req: K; data: ResponseData[K] } }[ClientMessageType]
  | { t: 'response'; id: number; ok: false; error: ErrorBody };

/** Server-initiated messages. */
export type Notification =
  | { t: 'error'; error: ErrorBody } // for frames that carry no usable request id
  | { t: 'peer.joined'; peer: PeerInfo; resumed: boolean }
  | { t: 'peer.left'; role: Role; reason: 'left' | 'disconnected' | 'grace_expired' }
  /** The other side dropped (seat kept for `graceMs`), or came back (`present`). */
  | { t: 'peer.presence'; role: Role; presence: 'reconnecting' | 'present'; graceMs?: number }
  | { t: 'peer.mediaState'; role: Role; audio: boolean; video: boolean; screen: boolean }
  /**
   * The media path. `initiator`: in p2p, this side offers. Switching p2p -> sfu is make before
   * break: keep the P2P connection until the SFU media flows (then send `sfu.ready`), and close
   * it on `p2p.close`. `media_restarted`: the SFU router was rebuilt; set the SFU session up again.
   * `instant_join` (sfu, a P2P room): the lesson starts on the SFU; send `sfu.ready` once its media
   * flows. `p2p_upgrade` (p2p): bring P2P up while the SFU session keeps carrying the media, show
   * the P2P media once it arrives (then send `p2p.ready`), close the SFU session on `sfu.close`.
   */
  | { t: 'mode'; mode: RoomMode; initiator: boolean; reason: ModeReason }
  /** Both sides have SFU media: the P2P connection can go. */
  | { t: 'p2p.close' }
  /** After a `p2p_upgrade`, both sides show P2P media: the SFU session can go (the server dropped its side). */
  | { t: 'sfu.close' }
  /** P2P in trouble on the other side: the offerer should restart ICE now. */
  | { t: 'p2p.restartIce' }
  | { t: 'p2p.signal'; signal: P2PSignal }
  | ({ t: 'sfu.newProducer' } & ProducerAnnouncement)
  /** A producer of the other side, already consumed for this side (see `join`); resume it. */
  | ({ t: 'sfu.newConsumer' } & RemoteConsumer)
  | { t: 'sfu.producerClosed'; producerId: string }
  /**
   * Your simulcast camera `producerId` need not encode above spatial layer `maxSpatialLayer`
   * (0 = the smallest): nobody takes more now. Encodings above it may be turned off (`active:
   * false`) until a later one raises it. At most one a second per producer; once capped, repeated
   * every 10 s (a repeat of the current layer changes nothing) (sfu/src/sender-cap.ts).
   */
  | { t: 'sfu.senderLayers'; producerId: string; maxSpatialLayer: number }
  | { t: 'speaker'; role: Role | null }
  | { t: 'chat.message'; message: ChatMessage }
  | { t: 'app.data'; from: Role; topic: string; data: unknown }
  /** A whiteboard update from the other side (base64 Yjs update). */
  | { t: 'board.update'; from: Role; update: string }
  | { t: 'board.lock'; locked: boolean }
  /** The end moved (the tutor extended the lesson). */
  | { t: 'lesson.schedule'; endsAt: string; serverNow: string }
  | { t: 'lesson.warning'; minutesLeft: number; endsAt: string; serverNow: string }
  | { t: 'session.ended'; reason: EndReason }
  /**
   * This media node is going away (drained past its deadline, or shutting down): call the API's
   * join again and connect to the signaling URL it returns (another node); no resume token there.
   */
  | { t: 'reconnect'; reason: 'node_drained' | 'node_shutdown' }
  /**
   * The marketplace removed this participant from the lesson: the socket closes next with
   * CLOSE_REMOVED (4005) and every link of the seat minted so far stops working.
   */
  | { t: 'removed'; reason: 'revoked' };

export type ServerMessage = Response | Notification;
