// The signaling protocol: ONE discriminated union (on `t`) shared by signaling and web.
// Client->server messages are TypeBox schemas (validated on arrival); server->client
// messages are plain types the server constructs. Media parameters (RTP/DTLS/ICE) are
// opaque JSON objects here: the SFU validates them; no mediasoup object ever crosses.
import { Type, type Static } from '@sinclair/typebox';

import { PROTOCOL_VERSION } from './constants.ts';
import type { ErrorCode } from './errors.ts';

const Id = Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 });
const Opaque = Type.Record(Type.String(), Type.Unknown());
const MediaSource = Type.Union([Type.Literal('camera'), Type.Literal('microphone'), Type.Literal('screen')]);
const MediaKind = Type.Union([Type.Literal('audio'), Type.Literal('video')]);
const ShortId = Type.String({ minLength: 1, maxLength: 128 });

export const P2PSignalSchema = Type.Union([
  Type.Object({ kind: Type.Literal('offer'), sdp: Type.String({ maxLength: 48_000 }) }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('answer'), sdp: Type.String({ maxLength: 48_000 }) }, { additionalProperties: false }),
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

const req = <T extends string, P extends Record<string, any>>(t: T, props: P) =>
  Type.Object({ t: Type.Literal(t), id: Id, ...props }, { additionalProperties: false });

/** Every message a client may send. The first one on a socket must be `hello`. */
export const ClientMessageSchema = Type.Union([
  req('hello', { v: Type.Literal(PROTOCOL_VERSION), token: Type.String({ minLength: 1, maxLength: 4096 }) }),
  req('ping', {}),
  req('leave', {}),
  req('media.state', { audio: Type.Boolean(), video: Type.Boolean() }),
  req('p2p.signal', { signal: P2PSignalSchema }),
  req('sfu.capabilities', {}),
  req('sfu.createTransport', { direction: Type.Union([Type.Literal('send'), Type.Literal('recv')]) }),
  req('sfu.connectTransport', { transportId: ShortId, dtlsParameters: Opaque }),
  req('sfu.produce', { transportId: ShortId, kind: MediaKind, rtpParameters: Opaque, source: MediaSource }),
  req('sfu.consume', { producerId: ShortId, rtpCapabilities: Opaque }),
  req('sfu.resumeConsumer', { consumerId: ShortId }),
]);

export type ClientMessage = Static<typeof ClientMessageSchema>;
export type ClientMessageType = ClientMessage['t'];
export type ClientMessageOf<T extends ClientMessageType> = Extract<ClientMessage, { t: T }>;
export type P2PSignal = Static<typeof P2PSignalSchema>;
export type MediaSourceName = Static<typeof MediaSource>;
export type MediaKindName = Static<typeof MediaKind>;
export type Role = 'tutor' | 'student';
export type RoomMode = 'waiting' | 'p2p' | 'sfu';

export interface PeerInfo {
  role: Role;
  userId: string;
  name: string;
  avatarUrl: string | null;
  audio: boolean;
  video: boolean;
}

export interface LessonInfo {
  sessionId: string;
  recording: boolean;
  scheduledStart: string;
  scheduledEnd: string;
}

export interface TransportInfo {
  transportId: string;
  iceParameters: Record<string, unknown>;
  iceCandidates: Record<string, unknown>[];
  dtlsParameters: Record<string, unknown>;
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

/** The `data` of a successful response, per request type. */
export interface ResponseData {
  hello: { you: PeerInfo; peer: PeerInfo | null; lesson: LessonInfo; mode: RoomMode };
  ping: { now: number };
  leave: Record<string, never>;
  'media.state': Record<string, never>;
  'p2p.signal': Record<string, never>;
  'sfu.capabilities': { routerRtpCapabilities: Record<string, unknown>; producers: ProducerAnnouncement[] };
  'sfu.createTransport': TransportInfo;
  'sfu.connectTransport': Record<string, never>;
  'sfu.produce': { producerId: string };
  'sfu.consume': ConsumerInfo;
  'sfu.resumeConsumer': Record<string, never>;
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
  | { t: 'peer.joined'; peer: PeerInfo }
  | { t: 'peer.left'; role: Role; reason: 'left' | 'disconnected' }
  | { t: 'peer.mediaState'; role: Role; audio: boolean; video: boolean }
  | { t: 'mode'; mode: RoomMode; initiator: boolean }
  | { t: 'p2p.signal'; signal: P2PSignal }
  | ({ t: 'sfu.newProducer' } & ProducerAnnouncement)
  | { t: 'sfu.producerClosed'; producerId: string }
  | { t: 'session.ended'; reason: 'ended' | 'replaced' };

export type ServerMessage = Response | Notification;
