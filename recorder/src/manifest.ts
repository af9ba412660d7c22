// The manifest: everything known about one recording (tracks, FFmpeg runs, segments, timing,
// finalize progress). Written atomically on every change and uploaded next to the segments, so a
// restarted recorder (or an operator) can finalize from it alone.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DuetEvent } from '@duet/api/events';
import type { RtpCodec } from './sdp.ts';

/** `handed_over`: another media node's recorder continued this recording (lesson moved); it finalizes. */
export type RecordingState = 'recording' | 'finalizing' | 'ready' | 'failed' | 'handed_over';
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
  /** Deleted from object storage after the composed file was ready (RECORDING_KEEP_SEGMENTS unset). */
  removed?: boolean;
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
  /**
   * One recorder's part of the recording. A lesson that moves to another media node (failover,
   * drain) is continued there under the same recordingId by a new part; each part uploads its own
   * manifest to `parts/<partId>.json`, and the part that finalizes merges the earlier ones.
   */
  partId?: string;
  /** Part this one continued (its recorder died or was drained). */
  continues?: string;
  /** Runs start at this index (above every earlier part's runs, so storage keys never collide). */
  runBase?: number;
  tracks: TrackEntry[];
  /** Earlier parts' tracks (only segments confirmed in storage), merged in when finalizing. */
  earlierTracks?: TrackEntry[];
  finalize?: FinalizeState;
  failureReason?: string;
  /** Hooks not yet acknowledged by the API, delivered in order (kept across restarts). */
  pendingHooks?: DuetEvent[];
}

export const MANIFEST_FILE = 'manifest.json';

export function storagePrefix(lessonId: string, recordingId: string): string {
  return `recordings/sessions/${lessonId}/${recordingId}`;
}

export function partKey(lessonId: string, recordingId: string, partId: string): string {
  return `${storagePrefix(lessonId, recordingId)}/parts/${partId}.json`;
}

export function isManifest(m: unknown): m is Manifest {
  const x = m as Manifest;
  return typeof x === 'object' && x !== null && x.version === 1 && typeof x.recordingId === 'string' && typeof x.lessonId === 'string' && Array.isArray(x.tracks);
}

export function manifestText(m: Manifest): string {
  return JSON.stringify(m, null, 1);
}

/** Writes a manifest serialized earlier (`manifestText`), atomically. */
export async function writeManifestText(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  // The directory exists after the first write: created only when missing.
  await writeFile(tmp, text).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, text);
  });
  await rename(tmp, path);
}

export async function readManifest(path: string): Promise<Manifest> {
  const m = JSON.parse(await readFile(path, 'utf8')) as Manifest;
  if (!isManifest(m)) throw new Error(`${path} is not a recording manifest`);
  return m;
}
