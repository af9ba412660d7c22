// Watchable at once (issue 15): when the lesson ends, the recording is playable from its copied
// per-track segments, already in object storage (uploaded as they closed), with no transcode. The
// recorder publishes `playback.json` next to them: every track with its segments placed on one
// lesson clock (the same placement compose.ts uses), which the API serves (signed segment URLs)
// and the web player (web/src/player) plays with Media Source Extensions, one element per track
// following one clock. The composed MP4 follows later, off the live path (compose-queue.ts); once
// it is ready the API serves it instead (the raw segments may then leave storage).
import type { RtpCodec } from './sdp.ts';
import { placedRuns } from './compose.ts';
import { storagePrefix, type Manifest } from './manifest.ts';

export const PLAYBACK_FILE = 'playback.json';

export interface PlaybackTrack {
  trackId: string;
  role: 'tutor' | 'student';
  source: 'camera' | 'microphone' | 'screen';
  kind: 'audio' | 'video';
  /** What MediaSource.isTypeSupported / addSourceBuffer take. */
  mimeType: string;
  /** Segments in lesson-clock order: `startS` on the lesson clock, `durationS` as FFmpeg listed it. */
  segments: { key: string; startS: number; durationS: number }[];
}

export interface PlaybackManifest {
  version: 1;
  recordingId: string;
  lessonId: string;
  /** Lesson-clock seconds from the first media to the last. */
  durationS: number;
  /** Wall-clock ms of lesson-clock 0. */
  t0Ms: number;
  tracks: PlaybackTrack[];
  /** Tracks the browser cannot play from segments (H.264 in Matroska): in the composed MP4 only. */
  skipped: string[];
}

export function playbackKey(lessonId: string, recordingId: string): string {
  return `${storagePrefix(lessonId, recordingId)}/${PLAYBACK_FILE}`;
}

/** WebM codecs MSE plays in Chromium and Firefox; anything else stays out of segment playback. */
export function mseType(kind: 'audio' | 'video', codec: RtpCodec, container: 'webm' | 'matroska'): string | null {
  if (container !== 'webm') return null;
  const name = codec.mimeType.split('/')[1]?.toLowerCase();
  if (kind === 'video' && (name === 'vp8' || name === 'vp9')) return `video/webm; codecs="${name}"`;
  if (kind === 'audio' && name === 'opus') return 'audio/webm; codecs="opus"';
  return null;
}

/** The playback manifest of a stopped recording: only segments confirmed in storage. */
export function buildPlayback(m: Manifest): PlaybackManifest | null {
  const { runs, t0, durationS } = placedRuns(m);
  if (runs.length === 0) return null;
  const tracks = new Map<string, PlaybackTrack>();
  const skipped = new Set<string>();
  for (const r of runs) {
    const type = mseType(r.track.kind, r.track.codec, r.track.container);
    if (!type) {
      skipped.add(r.track.trackId);
      continue;
    }
    let t = tracks.get(r.track.trackId);
    if (!t) {
      t = { trackId: r.track.trackId, role: r.track.role, source: r.track.source, kind: r.track.kind, mimeType: type, segments: [] };
      tracks.set(r.track.trackId, t);
    }
    for (const s of r.run.segments) {
      if (!s.uploaded || s.removed) continue;
      t.segments.push({ key: s.key, startS: round(r.offset + s.startS), durationS: round(s.endS - s.startS) });
    }
  }
  for (const t of tracks.values()) t.segments.sort((a, b) => a.startS - b.startS);
  return { version: 1, recordingId: m.recordingId, lessonId: m.lessonId, durationS: round(durationS), t0Ms: t0, tracks: [...tracks.values()].filter((t) => t.segments.length > 0), skipped: [...skipped] };
}

const round = (n: number) => Math.round(n * 1000) / 1000;
