// What the room needs from either media path (P2P or SFU).
import type { MediaStatsSummary } from './stats.ts';

export type TrackSource = 'camera' | 'microphone' | 'screen';

export interface RemoteMediaHandlers {
  onTrack(track: MediaStreamTrack, source: TrackSource): void;
  onTrackEnded(track: MediaStreamTrack): void;
  onConnectionState?(state: 'connecting' | 'connected' | 'failed' | 'closed'): void;
}

export interface MediaSession {
  readonly kind: 'p2p' | 'sfu';
  start(): Promise<void>;
  setTrackEnabled(kind: 'audio' | 'video', enabled: boolean): void;
  stats(): Promise<MediaStatsSummary>;
  close(): void;
}
