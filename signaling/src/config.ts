// Signaling (media node) settings from the environment, with clear errors for bad values.
import { join } from 'node:path';
import { loadMediaConfig, type MediaConfig } from '@duet/sfu';
import { DEFAULT_TIMINGS, type RoomTimings } from './room/timings.ts';
import { loadNodeConfig, loadShutdownConfig, type NodeConfig, type ShutdownConfig } from './node/node-config.ts';
import { LOG_LEVELS, type LogLevel } from './log.ts';
import { parseTrustProxy, type SocketLimitsConfig } from './transport/socket-limits.ts';

export interface SignalingConfig {
  host: string;
  port: number;
  /** Base URL of the API's internal endpoints (lesson facts, lifecycle hooks). */
  apiInternalUrl: string;
  joinTokenSecret: string;
  internalHookSecret: string;
  /** When false every lesson runs through the SFU (operators behind strict NATs, tests). */
  p2pEnabled: boolean;
  media: MediaConfig;
  heartbeatMs: number;
  helloTimeoutMs: number;
  /** A pre-join socket (`standby`) that has not joined is closed after this long. */
  standbyTimeoutMs: number;
  timings: RoomTimings;
  /** Per-connection message rate cap (token bucket); `kindScale` scales the per-kind buckets. */
  rate: { perSecond: number; burst: number; kindScale: number };
  /** Sockets per client address / per seat / not yet authenticated, and TRUST_PROXY. */
  sockets: SocketLimitsConfig;
  /** Where hooks wait on disk until the API acknowledges them. */
  hookSpoolDir: string;
  /** Registration with the API as one of many nodes (NODE_ID...); null = not registered. */
  node: NodeConfig | null;
  shutdown: ShutdownConfig;
  /** LOG_LEVEL: fatal|error|warn|info|debug|trace|silent (default info). */
  logLevel: LogLevel;
}

export class SignalingConfigError extends Error {}

function required(env: NodeJS.ProcessEnv, name: string, minLength: number): string {
  const v = env[name];
  if (!v) throw new SignalingConfigError(`${name} is required`);
  if (v.length < minLength) throw new SignalingConfigError(`${name} must be at least ${minLength} characters`);
  return v;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(v.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(v.toLowerCase())) return false;
  throw new SignalingConfigError(`${name} must be true or false, got "${v}"`);
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new SignalingConfigError(`${name} must be an integer in [${min}, ${max}], got "${v}"`);
  return n;
}

function minutesList(env: NodeJS.ProcessEnv, name: string, fallback: number[]): number[] {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const list = v.split(',').map((x) => Number(x.trim()));
  if (list.some((n) => !(n > 0 && n <= 240))) throw new SignalingConfigError(`${name} must be a comma list of minutes in (0, 240], got "${v}"`);
  return [...new Set(list)].sort((a, b) => b - a);
}

function trustProxy(env: NodeJS.ProcessEnv) {
  const parsed = parseTrustProxy(env.TRUST_PROXY);
  if (parsed instanceof Error) throw new SignalingConfigError(parsed.message);
  return parsed;
}

export function loadSignalingConfig(env: NodeJS.ProcessEnv = process.env): SignalingConfig {
  const apiInternalUrl = env.API_INTERNAL_URL || 'http://127.0.0.1:8080';
  try {
    new URL(apiInternalUrl);
  } catch {
    throw new SignalingConfigError(`API_INTERNAL_URL must be a URL, got "${apiInternalUrl}"`);
  }
  const host = env.SIGNALING_HOST || '127.0.0.1';
  const port = int(env, 'SIGNALING_PORT', 8090, 0, 65535);
  const media = loadMediaConfig(env);
  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new SignalingConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  return {
    logLevel,
    host,
    port,
    apiInternalUrl: apiInternalUrl.replace(/\/$/, ''),
    joinTokenSecret: required(env, 'JOIN_TOKEN_SECRET', 32),
    internalHookSecret: required(env, 'INTERNAL_HOOK_SECRET', 32),
    p2pEnabled: bool(env, 'P2P_ENABLED', true),
    media,
    heartbeatMs: int(env, 'SIGNALING_HEARTBEAT_MS', 15_000, 1_000, 120_000),
    helloTimeoutMs: int(env, 'SIGNALING_HELLO_TIMEOUT_MS', 10_000, 500, 120_000),
    standbyTimeoutMs: int(env, 'SIGNALING_STANDBY_TIMEOUT_MS', 20 * 60_000, 1_000, 24 * 3_600_000),
    timings: {
      graceMs: int(env, 'RECONNECT_GRACE_MS', DEFAULT_TIMINGS.graceMs, 500, 15 * 60_000),
      p2pConnectTimeoutMs: int(env, 'P2P_ICE_TIMEOUT_MS', DEFAULT_TIMINGS.p2pConnectTimeoutMs, 500, 120_000),
      switchTimeoutMs: int(env, 'P2P_SWITCH_TIMEOUT_MS', DEFAULT_TIMINGS.switchTimeoutMs, 500, 120_000),
      warningMinutes: minutesList(env, 'LESSON_WARNING_MINUTES', DEFAULT_TIMINGS.warningMinutes),
      scheduleRefreshMs: int(env, 'LESSON_SCHEDULE_REFRESH_MS', DEFAULT_TIMINGS.scheduleRefreshMs, 1_000, 3_600_000),
    },
    rate: {
      perSecond: int(env, 'SIGNALING_RATE_PER_SEC', 40, 1, 1_000_000),
      burst: int(env, 'SIGNALING_RATE_BURST', 80, 1, 1_000_000),
      kindScale: int(env, 'SIGNALING_RATE_KIND_SCALE', 1, 1, 1_000_000),
    },
    sockets: {
      perAddress: int(env, 'SIGNALING_MAX_SOCKETS_PER_ADDRESS', 200, 1, 1_000_000),
      perSeat: int(env, 'SIGNALING_MAX_SOCKETS_PER_SEAT', 4, 1, 1_000),
      preAuth: int(env, 'SIGNALING_MAX_PREAUTH_SOCKETS', 2_000, 1, 1_000_000),
      trustProxy: trustProxy(env),
    },
    hookSpoolDir: env.HOOK_SPOOL_DIR || join(env.DUET_DATA_DIR || 'data', 'hook-spool'),
    node: loadNodeConfig(env, { host, port, mediaAddress: media.announcedAddress, workers: media.numWorkers }),
    shutdown: loadShutdownConfig(env),
  };
}
