// Everything the room screens render, as one observable state (the RoomController's Store).
import type { ChatMessage, EndReason, ModeReason, PeerInfo, Presence, Role, RoomMode } from '@duet/signaling/protocol';
import type { JoinInfo } from './lib/api.ts';

export type Phase = 'loading' | 'prejoin' | 'connecting' | 'room' | 'left' | 'error';

export interface ScreenError {
  code: string;
  title: string;
  message: string;
  retry: boolean;
}

export interface RoomState {
  phase: Phase;
  join: JoinInfo | null;
  error: ScreenError | null;
  mode: RoomMode | null;
  peer: PeerInfo | null;
  local: MediaStream | null;
  remote: MediaStream | null;
  micOn: boolean;
  camOn: boolean;
  media: 'connecting' | 'connected' | 'failed' | 'closed' | null;
  // ---- added for issue 5 (additive; the screens may read any of these) ----
  /** Why the room is in its mode (e.g. 'p2p_failed' after a switch to the server path). */
  modeReason: ModeReason | null;
  /** The other person's presence: 'reconnecting' while their seat is kept for them. */
  peerPresence: Presence;
  /** This side lost the signaling connection and is resuming. */
  reconnecting: boolean;
  /** The lesson's schedule: endsAt moves when the tutor extends; clockOffsetMs = server - local. */
  lesson: { endsAt: string; scheduledStart: string; scheduledEnd: string; clockOffsetMs: number } | null;
  /** The latest end warning (5 or 1 minutes left), with when it arrived (local ms). */
  warning: { minutesLeft: number; endsAt: string; at: number } | null;
  /** Why the lesson ended, once it has. */
  ended: EndReason | null;
  chat: ChatMessage[];
  /** Chat messages sent but not yet confirmed stored (retried on resume). */
  chatPending: { id: string; text: string; failed: boolean }[];
  /** The active speaker (null: nobody). */
  speaker: Role | null;
  /** My role in the lesson. */
  role: Role | null;
  /** Sharing my screen. */
  screenOn: boolean;
  /** My screen share preview (local) and the other side's screen share. */
  localScreen: MediaStream | null;
  remoteScreen: MediaStream | null;
}

export const INITIAL_ROOM_STATE: RoomState = {
  phase: 'loading',
  join: null,
  error: null,
  mode: null,
  peer: null,
  local: null,
  remote: null,
  micOn: true,
  camOn: true,
  media: null,
  modeReason: null,
  peerPresence: 'absent',
  reconnecting: false,
  lesson: null,
  warning: null,
  ended: null,
  chat: [],
  chatPending: [],
  speaker: null,
  role: null,
  screenOn: false,
  localScreen: null,
  remoteScreen: null,
};
