// Plain data for component tests: a lesson as the API returns it and room states as the
// controller exposes them.
import type { Lesson } from '../src/lib/lesson-api.ts';
import { readPageConfig } from '../src/lib/page-config.ts';

export const config = readPageConfig('', 'http://127.0.0.1/');

export function lesson(over: Partial<Lesson> = {}): Lesson {
  return {
    id: 'l1',
    title: 'Algebra II',
    status: 'scheduled',
    recording: false,
    scheduled_start: '2026-11-23T10:00:00Z',
    scheduled_end: '2026-11-23T10:45:00Z',
    join_opens_at: '2026-11-23T09:45:00Z',
    join_closes_at: '2026-11-23T10:45:00Z',
    can_join: true,
    started_at: null,
    ended_at: null,
    tutor: { id: 't1', name: 'Tara Tutor', avatar_url: null },
    student: { id: 's1', name: 'Sam Student', avatar_url: null },
    ...over,
  };
}

/** A stand-in for a MediaStream with tracks of the given kinds (happy-dom has no WebRTC). */
export function fakeStream(kinds: ('audio' | 'video')[]): MediaStream {
  const tracks = kinds.map((kind) => ({ kind, readyState: 'live', enabled: true, getSettings: () => ({ deviceId: `${kind}-1` }) }));
  const stream = {
    getTracks: () => tracks,
    getVideoTracks: () => tracks.filter((t) => t.kind === 'video'),
    getAudioTracks: () => tracks.filter((t) => t.kind === 'audio'),
  };
  // happy-dom checks srcObject's type; its MediaStream prototype with our tracks passes.
  const Ctor = (globalThis as { MediaStream?: { prototype: object } }).MediaStream;
  if (Ctor) Object.setPrototypeOf(stream, Ctor.prototype);
  return Object.assign(stream, stream) as unknown as MediaStream;
}

import type { RoomState } from '../src/room-controller.ts';

export function roomState(over: Partial<RoomState> = {}): RoomState {
  return {
    phase: 'room',
    join: null,
    error: null,
    mode: 'p2p',
    peer: { role: 'tutor', userId: 't1', name: 'Tara Tutor', avatarUrl: null, audio: true, video: true, screen: false, presence: 'present' },
    local: fakeStream(['audio', 'video']),
    remote: fakeStream(['audio', 'video']),
    micOn: true,
    camOn: true,
    media: 'connected',
    modeReason: 'both_present',
    peerPresence: 'present',
    reconnecting: false,
    lesson: { endsAt: '2026-11-23T10:45:00Z', scheduledStart: '2026-11-23T10:00:00Z', scheduledEnd: '2026-11-23T10:45:00Z', clockOffsetMs: 0 },
    warning: null,
    ended: null,
    chat: [],
    chatPending: [],
    speaker: null,
    role: 'student',
    screenOn: false,
    localScreen: null,
    remoteScreen: null,
    ...over,
  } as RoomState;
}
