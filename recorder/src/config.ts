// Recorder settings from the environment, with clear errors for bad values.
import { resolve } from 'node:path';
import { DEFAULT_MIN_FREE_DISK_MB } from '@duet/api/free-disk';
import { RECORDER_SECRET_VARS, checkSecrets, metricsExposureProblem, withNodeSecret } from '@duet/api/secrets';

export { RECORDER_SECRET_VARS };

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
  /** RECORDING_KEEP_SEGMENTS=1: keep the raw segments in object storage after the composed file is ready. */
  keepSegments: boolean;
  /** SIGTERM: live recordings close and upload their segments within this time, then the process exits. */
  drainDeadlineMs: number;
  /** /readyz fails when the work dir's filesystem has less free space (MiB; 0 = no check). */
  minFreeDiskMb: number;
  /** Segment and final-file uploads keep retrying through a storage outage this long before the recording fails. */
  uploadDeadlineMs: number;
  /** Composes (finalize's FFmpeg) running at once on this recorder; the rest wait in the queue. */
  composeConcurrency: number;
  /** Niceness of compose FFmpeg runs: 19 leaves the CPU to live lessons. */
  composeNice: number;
  /** When set, /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; required beyond loopback. */
  metricsToken: string | null;
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

/** Hours, fractions allowed (tests use seconds' worth). */
function hours(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new RecorderConfigError(`${name} must be a number of hours in [${min}, ${max}], got "${v}"`);
  return n;
}

export function loadRecorderConfig(env: NodeJS.ProcessEnv = process.env): RecorderConfig {
  // Next to a media node with its own NODE_SECRET (issue 12 item 6), the recorder uses that secret
  // both ways (the node's calls, its hooks to the API as that node) and needs no shared secret.
  const weak = checkSecrets(env, withNodeSecret(env, RECORDER_SECRET_VARS));
  if (weak.length > 0) throw new RecorderConfigError(weak.join('; '));
  const ownNode = !env.INTERNAL_HOOK_SECRET && env.NODE_SECRET && env.NODE_ID ? env.NODE_ID : null;
  const secret = (ownNode ? env.NODE_SECRET : env.INTERNAL_HOOK_SECRET)!;
  const apiInternalUrl = env.API_INTERNAL_URL || 'http://127.0.0.1:8080';
  try {
    new URL(apiInternalUrl);
  } catch {
    throw new RecorderConfigError(`API_INTERNAL_URL must be a URL, got "${apiInternalUrl}"`);
  }
  const dataDir = env.DUET_DATA_DIR || resolve('data');
  const host = env.RECORDER_HOST || '127.0.0.1';
  const metricsToken = env.METRICS_TOKEN?.trim() || null;
  const exposed = metricsExposureProblem('RECORDER_HOST', host, metricsToken);
  if (exposed) throw new RecorderConfigError(exposed);
  return {
    host,
    metricsToken,
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
    keepSegments: flag(env, 'RECORDING_KEEP_SEGMENTS'),
    drainDeadlineMs: int(env, 'RECORDER_DRAIN_DEADLINE_MS', 60_000, 0, 3600_000),
    minFreeDiskMb: int(env, 'MIN_FREE_DISK_MB', DEFAULT_MIN_FREE_DISK_MB, 0, 1_000_000_000),
    composeConcurrency: int(env, 'RECORDER_COMPOSE_CONCURRENCY', 1, 1, 64),
    composeNice: int(env, 'RECORDER_COMPOSE_NICE', 19, 0, 19),
    uploadDeadlineMs: hours(env, 'RECORDER_UPLOAD_DEADLINE_HOURS', 24, 0.001, 24 * 30) * 3_600_000,
  };
}
