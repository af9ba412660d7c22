// A participant's seat in a room (kept through a reconnect grace), the connection interface the
// room talks through, and the errors room calls raise.
import type { PeerInfo, Notification, Role } from '../protocol/index.ts';

export interface RoomConnection {
  readonly id: string;
  notify(message: Notification): void;
  close(code: number, reason: string): void;
}

export class RoomError extends Error {
  readonly code: 'wrong_mode' | 'no_peer' | 'media_error' | 'forbidden' | 'payload_too_large' | 'lesson_ended' | 'service_unavailable' | 'rate_limited' | 'board_full' | 'board_locked' | 'invalid_message';
  constructor(code: RoomError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export interface Seat {
  role: Role;
  userId: string;
  name: string;
  avatarUrl: string | null;
  audio: boolean;
  video: boolean;
  screen: boolean;
  /** null while the participant is away within the grace period. */
  conn: RoomConnection | null;
  resumeToken: string;
  grace: ReturnType<typeof setTimeout> | undefined;
  p2pConnected: boolean;
  speaking: boolean;
  sfuReady: boolean;
}

export const other = (role: Role): Role => (role === 'tutor' ? 'student' : 'tutor');

/** What the other side (and the hello) may know about a seat. */
export function peerInfo(seat: Seat): PeerInfo {
  return {
    role: seat.role,
    userId: seat.userId,
    name: seat.name,
    avatarUrl: seat.avatarUrl,
    audio: seat.audio,
    video: seat.video,
    screen: seat.screen,
    presence: seat.conn ? 'present' : 'reconnecting',
  };
}
