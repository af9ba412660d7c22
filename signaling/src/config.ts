// Signaling (media node) settings from the environment, with clear errors for bad values.
import { DEFAULT_MIN_FREE_DISK_MB } from '@duet/api/free-disk';
import { join } from 'node:path';
import { loadMediaConfig, type MediaConfig } from '@duet/sfu';
import { DEFAULT_TIMINGS, type RoomTimings } from './room/timings.ts';
import { DEFAULT_BOARD_LIMITS, type BoardLimits } from './room/room-board.ts';
import { loadNodeConfig, loadShutdownConfig, type NodeConfig, type ShutdownConfig } from './node/node-config.ts';
import { parseJoinKeySet } from './transport/join-keys.ts';
import { LOG_LEVELS, type LogLevel } from './log.ts';
import { parseTrustProxy, type SocketLimitsConfig } from './transport/socket-limits.ts';
import { SIGNALING_SECRET_VARS, checkSecrets, metricsExposureProblem, withNodeSecret } from '@duet/api/secrets';

export { SIGNALING_SECRET_VARS };

function nodeSecretOf(env: NodeJS.ProcessEnv): string | null {
  const secret = env.NODE_SECRET;
  if (secret === undefined || secret === '') return null;
  if (!env.NODE_ID) throw new SignalingConfigError('NODE_SECRET needs NODE_ID (the secret is derived from the node id)');
  if (!/^[0-9a-f]{64}$/.test(secret)) throw new SignalingConfigError('NODE_SECRET must be 64 hex characters: HMAC-SHA256(INTERNAL_HOOK_SECRET, "duet-node-secret/v1:<NODE_ID>") (deploy/RUNBOOK.md "Add a media node")');
  return secret;
}

/** How this node authenticates to the API: its own credential, or the shared internal secret. */
export function apiCredentialOf(config: Pick<SignalingConfig, 'node' | 'nodeSecret' | 'internalHookSecret'>): string {
  return config.node && config.nodeSecret ? `dn1:${config.node.id}:${config.nodeSecret}` : config.internalHookSecret;
}

export interface SignalingConfig {
  host: string;
  port: number;
  /** Base URL of the API's internal endpoints (lesson facts, lifecycle hooks). */
  apiInternalUrl: string;
  /** JOIN_TOKEN_PUBLIC_KEYS: a JWKS pinning the join-token keys; null = fetch GET /v1/join-keys. */
  joinTokenPublicKeys: string | null;
  /** JOIN_TOKEN_SECRET is set here although a node does not need it (a startup warning). */
  joinTokenSecretSet: boolean;
  internalHookSecret: string;
  /** When false every lesson runs through the SFU (operators behind strict NATs, tests). */
  p2pEnabled: boolean;
  /** P2P lessons: the second person joins on SFU transports preconnected at pre-join, then moves to P2P. */
  p2pInstantJoin: boolean;
  media: MediaConfig;
  heartbeatMs: number;
  /** A pinging client silent this long is shown to the other side as reconnecting. */
  quietMs: number;
  helloTimeoutMs: number;
  /** A pre-join socket (`standby`) that has not joined is closed after this long. */
  standbyTimeoutMs: number;
  /** Pre-join route probes (sfu.probe): each transport's lifetime, and how many at once on the node. */
  probes: { lifetimeMs: number; maxOpen: number };
  timings: RoomTimings;
  /** BOARD_MAX_DOC_BYTES (one lesson's whiteboard budget), BOARD_PERSIST_MS (save delay). */
  board: BoardLimits;
  /** Per-connection message rate cap (token bucket); `kindScale` scales the per-kind buckets. */
  rate: { perSecond: number; burst: number; kindScale: number };
  /** Sockets per client address / per seat / not yet authenticated, and TRUST_PROXY. */
  sockets: SocketLimitsConfig;
  /** Where hooks wait on disk until the API acknowledges them. */
  hookSpoolDir: string;
  /** /readyz fails when the spool's filesystem has less free space (MiB; 0 = no check). */
  minFreeDiskMb: number;
  /** Registration with the API as one of many nodes (NODE_ID...); null = not registered. */
  node: NodeConfig | null;
  /**
   * NODE_SECRET (needs NODE_ID): this node's own credential, HMAC(INTERNAL_HOOK_SECRET, node id)
   * (deploy/RUNBOOK.md "Add a media node"). With it the node signs hooks and calls the API as itself, and the
   * API lets it act only for lessons placed on it; INTERNAL_HOOK_SECRET is then not needed here.
   */
  nodeSecret: string | null;
  shutdown: ShutdownConfig;
  /** LOG_LEVEL: fatal|error|warn|info|debug|trace|silent (default info). */
  logLevel: LogLevel;
  /** When set, /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; required beyond loopback. */
  metricsToken: string | null;
}

export class SignalingConfigError extends Error {}

function required(env: NodeJS.ProcessEnv, name: string): string {
  return env[name] ?? '';
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

function joinTokenPublicKeys(env: NodeJS.ProcessEnv): string | null {
  const v = env.JOIN_TOKEN_PUBLIC_KEYS?.trim();
  if (!v) return null;
  try {
    parseJoinKeySet(v);
  } catch (err) {
    throw new SignalingConfigError(`JOIN_TOKEN_PUBLIC_KEYS must be the JSON of GET /v1/join-keys: ${(err as Error).message.slice(0, 200)}`);
  }
  return v;
}

function trustProxy(env: NodeJS.ProcessEnv) {
  const parsed = parseTrustProxy(env.TRUST_PROXY);
  if (parsed instanceof Error) throw new SignalingConfigError(parsed.message);
  return parsed;
}

export function loadSignalingConfig(env: NodeJS.ProcessEnv = process.env): SignalingConfig {
  const weak = checkSecrets(env, withNodeSecret(env, SIGNALING_SECRET_VARS));
  if (weak.length > 0) throw new SignalingConfigError(weak.join('; '));
  const apiInternalUrl = env.API_INTERNAL_URL || 'http://127.0.0.1:8080';
  try {
    new URL(apiInternalUrl);
  } catch {
    throw new SignalingConfigError(`API_INTERNAL_URL must be a URL, got "${apiInternalUrl}"`);
  }
  const host = env.SIGNALING_HOST || '127.0.0.1';
  const metricsToken = env.METRICS_TOKEN?.trim() || null;
  const exposed = metricsExposureProblem('SIGNALING_HOST', host, metricsToken);
  if (exposed) throw new SignalingConfigError(exposed);
  const port = int(env, 'SIGNALING_PORT', 8090, 0, 65535);
  const media = loadMediaConfig(env);
  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new SignalingConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  return {
    logLevel,
    metricsToken,
    host,
    port,
    apiInternalUrl: apiInternalUrl.replace(/\/$/, ''),
    joinTokenPublicKeys: joinTokenPublicKeys(env),
    joinTokenSecretSet: !!env.JOIN_TOKEN_SECRET,
    // With NODE_SECRET the node never uses the shared secret (its recorder gets NODE_SECRET too).
    internalHookSecret: env.NODE_SECRET && !env.INTERNAL_HOOK_SECRET ? env.NODE_SECRET : required(env, 'INTERNAL_HOOK_SECRET'),
    nodeSecret: nodeSecretOf(env),
    p2pEnabled: bool(env, 'P2P_ENABLED', true),
    p2pInstantJoin: bool(env, 'P2P_INSTANT_JOIN', false),
    media,
    heartbeatMs: int(env, 'SIGNALING_HEARTBEAT_MS', 15_000, 1_000, 120_000),
    quietMs: int(env, 'SIGNALING_QUIET_MS', 3_000, 1_000, 120_000),
    helloTimeoutMs: int(env, 'SIGNALING_HELLO_TIMEOUT_MS', 10_000, 500, 120_000),
    standbyTimeoutMs: int(env, 'SIGNALING_STANDBY_TIMEOUT_MS', 20 * 60_000, 1_000, 24 * 3_600_000),
    probes: {
      lifetimeMs: int(env, 'SIGNALING_PROBE_LIFETIME_MS', 8_000, 500, 60_000),
      maxOpen: int(env, 'SIGNALING_MAX_PROBES', 64, 0, 100_000),
    },
    timings: {
      graceMs: int(env, 'RECONNECT_GRACE_MS', DEFAULT_TIMINGS.graceMs, 500, 15 * 60_000),
      p2pConnectTimeoutMs: int(env, 'P2P_ICE_TIMEOUT_MS', DEFAULT_TIMINGS.p2pConnectTimeoutMs, 500, 120_000),
      switchTimeoutMs: int(env, 'P2P_SWITCH_TIMEOUT_MS', DEFAULT_TIMINGS.switchTimeoutMs, 500, 120_000),
      warningMinutes: minutesList(env, 'LESSON_WARNING_MINUTES', DEFAULT_TIMINGS.warningMinutes),
      scheduleRefreshMs: int(env, 'LESSON_SCHEDULE_REFRESH_MS', DEFAULT_TIMINGS.scheduleRefreshMs, 1_000, 3_600_000),
    },
    board: {
      maxDocBytes: int(env, 'BOARD_MAX_DOC_BYTES', DEFAULT_BOARD_LIMITS.maxDocBytes, 64 * 1024, 16 * 1024 * 1024),
      persistMs: int(env, 'BOARD_PERSIST_MS', DEFAULT_BOARD_LIMITS.persistMs, 100, 600_000),
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
    minFreeDiskMb: int(env, 'MIN_FREE_DISK_MB', DEFAULT_MIN_FREE_DISK_MB, 0, 1_000_000_000),
    node: loadNodeConfig(env, { host, port, mediaAddress: media.announcedAddress, workers: media.numWorkers }),
    shutdown: loadShutdownConfig(env),
  };
}
