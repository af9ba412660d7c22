// What the room needs from either media path (P2P or SFU).
import type { MediaStatsSummary } from './stats.ts';

export type TrackSource = 'camera' | 'microphone' | 'screen';

export interface RemoteMediaHandlers {
  onTrack(track: MediaStreamTrack, source: TrackSource): void;
  onTrackEnded(track: MediaStreamTrack, source?: TrackSource): void;
  onConnectionState?(state: 'connecting' | 'connected' | 'failed' | 'closed'): void;
}

export interface MediaSession {
  readonly kind: 'p2p' | 'sfu';
  start(): Promise<void>;
  setTrackEnabled(kind: 'audio' | 'video', enabled: boolean): void;
  /** Starts (track) or stops (null) sending a screen share as a third track. */
  setScreen(track: MediaStreamTrack | null): Promise<void>;
  /** A device switch: sends `next` wherever `old` was sent (no renegotiation). */
  replaceTrack(old: MediaStreamTrack, next: MediaStreamTrack): Promise<void>;
  /** The signaling connection came back after a drop: get the media path going again. */
  resumed(): Promise<void>;
  stats(): Promise<MediaStatsSummary>;
  /** Every getStats() report of the path (quality/sample.ts reads them). */
  rawStats(): Promise<RTCStatsReport[]>;
  close(): void;
}
