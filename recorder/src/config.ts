// Recorder settings from the environment, with clear errors for bad values.
import { resolve } from 'node:path';

export interface RecorderConfig {
  host: string;
  port: number;
  /** Shared with the API and media nodes: authenticates the recorder's HTTP API and signs its hooks. */
  internalHookSecret: string;
  /** Base URL of the API's internal endpoints (recording hooks go to `${apiInternalUrl}/internal/hooks`). */
  apiInternalUrl: string;
  /** Local working directory: segments stay here until their upload is confirmed. */
  workDir: string;
  segmentSeconds: number;
  /** A recording nobody re-attaches to for this long after its room emptied is finalized. */
  idleStopMs: number;
  ffmpegPath: string;
  ffprobePath: string;
  /** Address FFmpeg listens on for RTP (mediasoup sends there). */
  rtpAddress: string;
  /** Keep local segments and FFmpeg logs after a recording is ready (debugging). */
  keepLocal: boolean;
  /** RECORDING_KEEP_SEGMENTS=1: keep the raw segments in object storage after the composed file is ready. */
  keepSegments: boolean;
  /** SIGTERM: live recordings close and upload their segments within this time, then the process exits. */
  drainDeadlineMs: number;
}

export class RecorderConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new RecorderConfigError(`${name} must be an integer in [${min}, ${max}], got "${v}"`);
  return n;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = env[name];
  if (v === undefined || v === '' || v === '0') return false;
  if (v === '1') return true;
  throw new RecorderConfigError(`${name} must be 0 or 1, got "${v}"`);
}

export function loadRecorderConfig(env: NodeJS.ProcessEnv = process.env): RecorderConfig {
  const secret = env.INTERNAL_HOOK_SECRET;
  if (!secret) throw new RecorderConfigError('INTERNAL_HOOK_SECRET is required');
  if (secret.length < 32) throw new RecorderConfigError('INTERNAL_HOOK_SECRET must be at least 32 characters');
  const apiInternalUrl = env.API_INTERNAL_URL || 'http://127.0.0.1:8080';
  try {
    new URL(apiInternalUrl);
  } catch {
    throw new RecorderConfigError(`API_INTERNAL_URL must be a URL, got "${apiInternalUrl}"`);
  }
  const dataDir = env.DUET_DATA_DIR || resolve('data');
  return {
    host: env.RECORDER_HOST || '127.0.0.1',
    port: int(env, 'RECORDER_PORT', 8095, 0, 65535),
    internalHookSecret: secret,
    apiInternalUrl: apiInternalUrl.replace(/\/$/, ''),
    workDir: resolve(env.RECORDER_WORK_DIR || resolve(dataDir, 'recorder')),
    segmentSeconds: int(env, 'RECORDER_SEGMENT_SECONDS', 10, 1, 600),
    idleStopMs: int(env, 'RECORDER_IDLE_STOP_MS', 60_000, 0, 24 * 3600_000),
    ffmpegPath: env.FFMPEG_PATH || 'ffmpeg',
    ffprobePath: env.FFPROBE_PATH || 'ffprobe',
    rtpAddress: '127.0.0.1',
    keepLocal: env.RECORDER_KEEP_LOCAL === '1',
    keepSegments: flag(env, 'RECORDING_KEEP_SEGMENTS'),
    drainDeadlineMs: int(env, 'RECORDER_DRAIN_DEADLINE_MS', 60_000, 0, 3600_000),
  };
}
