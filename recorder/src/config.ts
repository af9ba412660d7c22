// Recorder settings from the environment, with clear errors for bad values.
import { resolve } from 'node:path';

export interface RecorderConfig {
  host: string;
  port: number;
  /** Shared with the API and media nodes: authenticates the recorder's HTTP API and signs its hooks. */
  internalHookSecret: string;
  /** NODE_ID when the recorder uses its media node's NODE_SECRET: hooks then name the node (duet-node). */
  hookNodeId: string | null;
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

export function loadRecorderConfig(env: NodeJS.ProcessEnv = process.env): RecorderConfig {
  // Next to a media node with its own NODE_SECRET (issue 12 item 6), the recorder uses that secret
  // both ways (the node's calls, its hooks to the API as that node) and needs no shared secret.
  const ownNode = !env.INTERNAL_HOOK_SECRET && env.NODE_SECRET && env.NODE_ID ? env.NODE_ID : null;
  const secret = ownNode ? env.NODE_SECRET : env.INTERNAL_HOOK_SECRET;
  if (!secret) throw new RecorderConfigError('INTERNAL_HOOK_SECRET (or NODE_ID + NODE_SECRET) is required');
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
    hookNodeId: ownNode,
    apiInternalUrl: apiInternalUrl.replace(/\/$/, ''),
    workDir: resolve(env.RECORDER_WORK_DIR || resolve(dataDir, 'recorder')),
    segmentSeconds: int(env, 'RECORDER_SEGMENT_SECONDS', 10, 1, 600),
    idleStopMs: int(env, 'RECORDER_IDLE_STOP_MS', 60_000, 0, 24 * 3600_000),
    ffmpegPath: env.FFMPEG_PATH || 'ffmpeg',
    ffprobePath: env.FFPROBE_PATH || 'ffprobe',
    rtpAddress: '127.0.0.1',
    keepLocal: env.RECORDER_KEEP_LOCAL === '1',
    drainDeadlineMs: int(env, 'RECORDER_DRAIN_DEADLINE_MS', 60_000, 0, 3600_000),
  };
}
