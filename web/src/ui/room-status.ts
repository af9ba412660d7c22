// The room's state as the person experiences it, from the controller's facts.
import type { RoomState } from '../room-controller.ts';
import type { RoomStatus } from './room-header.tsx';

export function peerPresence(s: RoomState): 'present' | 'reconnecting' | 'absent' {
  if (!s.peer) return 'absent';
  return s.peerPresence ?? s.peer.presence ?? 'present';
}

export function roomStatus(s: RoomState): RoomStatus {
  if (s.phase === 'connecting') return 'connecting';
  if (s.reconnecting) return 'reconnecting';
  const presence = peerPresence(s);
  if (presence === 'reconnecting') return 'peer_reconnecting';
  if (presence === 'absent') return 'waiting';
  if (s.media === 'failed') return 'media_failed';
  if (s.media !== 'connected') return 'connecting';
  return 'in_progress';
}

export function hasLiveVideo(stream: MediaStream | null | undefined): boolean {
  return !!stream?.getVideoTracks().some((t) => t.readyState === 'live');
}
