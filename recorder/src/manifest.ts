// The manifest: everything known about one recording (tracks, FFmpeg runs, segments, timing,
// finalize progress). Written atomically on every change and uploaded next to the segments, so a
// restarted recorder (or an operator) can finalize from it alone.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DuetEvent } from '@duet/api/events';
import type { RtpCodec } from './sdp.ts';

export type RecordingState = 'recording' | 'finalizing' | 'ready' | 'failed';
export type Role = 'tutor' | 'student';
export type Source = 'camera' | 'microphone' | 'screen';

export interface SegmentEntry {
  /** File name inside the run directory. */
  file: string;
  /** Start and end in seconds from the run's start (`RunEntry.startMs`); the first segment starts at 0
   *  and holds the track's own offset in its timestamps (a track may start after the run). */
  startS: number;
  endS: number;
  size: number;
  key: string;
  uploaded: boolean;
  /** ffprobe could not read it (left out of the final file; the recording is partial). */
  invalid?: boolean;
}

export interface RunEntry {
  index: number;
  /** This track's segment directory for the run, relative to the recording directory. */
  dir: string;
  /** The run's FFmpeg directory (SDP, log), shared by every track of the run; absent in older manifests (= dir). */
  ffmpegDir?: string;
  /** Wall-clock ms the run's timestamps count from (FFmpeg's input start time), once media flowed. */
  startMs?: number;
  pid?: number;
  endedAt?: number;
  /** How the run ended: stopped on purpose, FFmpeg crashed, no packets for 10 s, or the recorder itself died. */
  end?: 'stopped' | 'crashed' | 'idle' | 'interrupted';
  segments: SegmentEntry[];
}

export interface TrackEntry {
  trackId: string;
  role: Role;
  source: Source;
  kind: 'audio' | 'video';
  codec: RtpCodec;
  container: 'webm' | 'matroska';
  addedAt: number;
  removedAt?: number;
  runs: RunEntry[];
}

export interface FinalizeState {
  step: 'compose' | 'upload' | 'done';
  attempts: number;
  startedAt?: number;
  outputKey?: string;
  durationSeconds?: number;
  sizeBytes?: number;
  error?: string;
}

export interface Manifest {
  version: 1;
  recordingId: string;
  lessonId: string;
  state: RecordingState;
  partial: boolean;
  partialReasons: string[];
  createdAt: number;
  stoppedAt?: number;
  segmentSeconds: number;
  tracks: TrackEntry[];
  finalize?: FinalizeState;
  failureReason?: string;
  /** Hooks not yet acknowledged by the API, delivered in order (kept across restarts). */
  pendingHooks?: DuetEvent[];
}

export const MANIFEST_FILE = 'manifest.json';

export function storagePrefix(lessonId: string, recordingId: string): string {
  return `recordings/sessions/${lessonId}/${recordingId}`;
}

export async function writeManifest(path: string, m: Manifest): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(m, null, 1));
  await rename(tmp, path);
}

export async function readManifest(path: string): Promise<Manifest> {
  const m = JSON.parse(await readFile(path, 'utf8')) as Manifest;
  if (m.version !== 1 || typeof m.recordingId !== 'string' || !Array.isArray(m.tracks)) throw new Error(`${path} is not a recording manifest`);
  return m;
}
