// A participant's seat in a room (kept through a reconnect grace), the connection interface the
// room talks through, and the errors room calls raise.
import { randomBytes } from 'node:crypto';
import type { JoinClaims } from '@duet/api/tokens';
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
  /** After an upgrade to P2P (instant join): this side shows the other's P2P media. */
  p2pReady?: boolean;
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

/** The seat a join takes: a resume of the same client (`sameClient`) keeps its token and media state. */
export function newSeat(claims: JoinClaims, conn: RoomConnection, previous: Seat | undefined, sameClient: boolean): Seat {
  return {
    role: claims.role,
    userId: claims.userId,
    name: claims.name,
    avatarUrl: claims.avatarUrl,
    audio: previous?.audio ?? true,
    video: previous?.video ?? true,
    screen: sameClient ? (previous?.screen ?? false) : false,
    conn,
    resumeToken: previous && sameClient ? previous.resumeToken : randomBytes(18).toString('base64url'),
    grace: undefined,
    p2pConnected: sameClient ? (previous?.p2pConnected ?? false) : false,
    speaking: false,
    sfuReady: sameClient ? (previous?.sfuReady ?? false) : false,
  };
}
