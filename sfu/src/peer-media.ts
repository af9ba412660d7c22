// One participant's media inside a MediaRoom (its transports, producers, consumers), the caps
// that bound it, and the errors the room answers with.
import type { types } from 'mediasoup';
import type { TransportParams } from './media-room.ts';

type Json = Record<string, unknown>;

export interface PeerMedia {
  transports: Map<string, types.WebRtcTransport>;
  producers: Map<string, types.Producer>;
  consumers: Map<string, types.Consumer>;
  /** The tail of this participant's request queue, and how many wait in it. */
  queue: Promise<unknown>;
  queued: number;
  /** Throttles: when a consumer last asked for a keyframe / a transport last restarted ICE. */
  lastKeyFrame: Map<string, number>;
  lastRestartIce: Map<string, number>;
}

export const assertRoomFor = (peer: PeerMedia, direction: string): void => {
  const same = [...peer.transports.values()].filter((t) => (t.appData as { direction?: string }).direction === direction).length;
  if (same >= MEDIA_LIMITS.transportsPerDirection) throw new MediaLimitError(`too many ${direction} transports for this participant`);
};

/** Files a transport under its participant (dropped again on close); its parameters for the client. */
export function keep(peer: PeerMedia, transport: types.WebRtcTransport): TransportParams {
  peer.transports.set(transport.id, transport);
  transport.observer.once('close', () => {
    peer.transports.delete(transport.id);
    peer.lastRestartIce.delete(transport.id);
  });
  const { id, iceParameters, iceCandidates, dtlsParameters } = transport;
  return { transportId: id, iceParameters: iceParameters as unknown as Json, iceCandidates: iceCandidates as unknown as Json[], dtlsParameters: dtlsParameters as unknown as Json };
}

/** A request the SFU refused (unknown id, wrong owner, bad parameters): safe to show the client. */
export class MediaError extends Error {}
/** A request refused by a cap or throttle (one participant cannot exhaust the worker). */
export class MediaLimitError extends MediaError {}

/** What one participant may hold at most, and how often it may ask for costly things. */
export const MEDIA_LIMITS = {
  /** Per direction (a send and a recv transport are needed; one spare for a rebuild). */
  transportsPerDirection: 2,
  /** Requests of one participant queued behind each other (see serial()). */
  queuedRequests: 32,
  /** A consumer's keyframe requests (resumeConsumer on a running consumer) at most this often. */
  keyFrameIntervalMs: 1_000,
  /** A transport's ICE restarts at most this often. */
  restartIceIntervalMs: 1_000,
};

