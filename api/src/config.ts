// API configuration from environment variables. Every problem is collected and reported at once, so
// an operator fixes a bad deployment in one round. The API key itself is never kept: only its
// SHA-256, which requests are compared against in constant time.
import { createHash, createHmac } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNodeRegistryConfig, type NodeRegistryConfig } from './nodes/node-config.ts';
import { loadOpsConfig, type OpsConfig } from './ops/ops-config.ts';
import { EVENT_TYPES, isEventType } from './events/event.ts';
import { DEFAULT_WARNING_MINUTES, parseWarningMinutes } from './domain/warning-minutes.ts';
import { parseStorageConfig, type StorageConfig } from './storage/storage-config.ts';
import { API_SECRET_VARS, checkSecrets, checkSecretValue, isProduction, metricsExposureProblem } from './secret-policy.ts';
import { loadLimitsConfig, type LimitsConfig } from './limits-config.ts';
import { DEFAULT_RESOURCE_CONTENT_TYPES } from './domain/resource-content-types.ts';
import type { DatabaseConfig } from './db/database-config.ts';

export { API_SECRET_VARS, DEFAULT_RESOURCE_CONTENT_TYPES };
export type { DatabaseConfig };

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface WebhookEndpoint {
  url: string;
  secret: string;
  /** Event types sent to this endpoint; null = all. */
  types: string[] | null;
}

export interface MediaNode {
  id: string;
  signalingUrl: string;
  /** Where the API reaches the node's HTTP port (revocations); derived from signalingUrl by default. */
  internalUrl: string;
}

/** ws(s)://host:port/ws → http(s)://host:port: the node serves HTTP and the socket on one port. */
export function internalUrlOf(signalingUrl: string): string {
  try {
    const u = new URL(signalingUrl);
    return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
  } catch {
    return ''; // the signaling URL itself is reported as invalid
  }
}

export interface TurnConfig {
  urls: string[];
  secret: string;
  ttlSeconds: number;
}

export interface ApiConfig {
  host: string;
  port: number;
  /** Base for join URLs; null = derived from the address the server actually listens on. */
  publicUrl: string | null;
  database: DatabaseConfig;
  /** Object storage for resources and recordings (OBJECTS_DIR, or S3_* when S3_BUCKET is set). */
  storage: StorageConfig;
  apiKeySha256: Buffer;
  joinTokenSecret: string;
  /** JOIN_TOKEN_VERIFY_SECRETS: older (or next) secrets whose public keys still verify, never sign (rotation). */
  joinTokenVerifySecrets: string[];
  internalHookSecret: string;
  joinEarlyMinutes: number;
  /** Cap on a join token's life; it also ends when the lesson's join window can last no longer. */
  joinTokenTtlSeconds: number;
  signalingPublicUrl: string;
  /** Media nodes lessons are placed on (MEDIA_NODES, or one node "default" at SIGNALING_PUBLIC_URL). */
  mediaNodes: MediaNode[];
  iceServers: IceServer[];
  stunUrls: string[];
  /** coturn REST credentials (TURN_URLS + TURN_SECRET); null = no TURN. */
  turn: TurnConfig | null;
  /** HMAC key for signed download URLs (derived from JOIN_TOKEN_SECRET unless URL_SIGNING_SECRET). */
  urlSigningKey: Buffer;
  signedUrlTtlSeconds: number;
  maxExtensionMinutes: number;
  /** End warnings in minutes before ends_at (LESSON_WARNING_MINUTES, as the media node). */
  warningMinutes: number[];
  /** How often the no-show / auto-end job looks for due lessons. */
  lessonJobsIntervalMs: number;
  /** RECORDING_RETENTION_DAYS: finished recordings older than this are deleted by a job; null = kept forever. */
  recordingRetentionDays: number | null;
  /** Each join token joins once (409 token_already_used on reuse). */
  joinTokenSingleUse: boolean;
  /** CORS: the web origin allowed to call the API from a browser; null = same origin only. */
  webOrigin: string | null;
  /** Origins allowed to embed the room page in an iframe (FRAME_ANCESTORS). */
  frameAncestors: string[];
  rateLimitMax: number;
  rateLimitWindowMs: number;
  resourceMaxBytes: number;
  resourceContentTypes: string[];
  webhookMaxAgeSeconds: number;
  webhookEndpoints: WebhookEndpoint[];
  webhookPollMs: number;
  webhookTimeoutMs: number;
  webhookRetryBaseMs: number;
  webhookRetryMaxMs: number;
  webhookMaxAttempts: number;
  /** Endpoints created through the API: WEBHOOK_ALLOW_PRIVATE_URLS, WEBHOOK_DISABLE_AFTER_DAYS, https in production. */
  webhookApi: { allowPrivateUrls: boolean; disableAfterDays: number; requireHttps: boolean };
  webDistDir: string;
  logLevel: string;
  /** HTTP worker processes (API_WORKERS, node:cluster); 1 = this process serves. PostgreSQL only. */
  workers: number;
  /** Registered media nodes: heartbeats, placement policy, drain (api/src/nodes). */
  nodes: NodeRegistryConfig;
  /** Graceful shutdown and metrics (api/src/ops). */
  ops: OpsConfig;
  /** TRUST_PROXY, per-caller rate limits and per-lesson quotas (api/src/limits-config.ts). */
  limits: LimitsConfig;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid API configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

type Env = Record<string, string | undefined>;

export function loadApiConfig(env: Env = process.env): ApiConfig {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };
  problems.push(...checkSecrets(env, API_SECRET_VARS));
  const secret = (name: string): string => env[name] ?? '';
  const url = (name: string, value: string, protocols: string[]): string => {
    try {
      const u = new URL(value);
      if (!protocols.includes(u.protocol)) throw new Error('protocol');
      return value;
    } catch {
      problems.push(`${name} must be a ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL (got "${value}")`);
      return value;
    }
  };
  const json = (name: string): unknown[] => {
    const raw = str(name);
    if (raw === undefined) return [];
    try {
      const v: unknown = JSON.parse(raw);
      if (Array.isArray(v)) return v;
    } catch {
      // reported below
    }
    problems.push(`${name} must be a JSON array`);
    return [];
  };

  const host = str('API_HOST') ?? '127.0.0.1';
  const port = int('API_PORT', 8080, 0, 65535);
  const publicUrlRaw = str('PUBLIC_URL');
  // Join URLs append "/session/<id>", so a trailing slash would double up.
  const publicUrl =
    publicUrlRaw === undefined ? null : url('PUBLIC_URL', publicUrlRaw, ['http:', 'https:']).replace(/\/+$/, '');

  let database: DatabaseConfig;
  const dbUrl = str('DATABASE_URL');
  if (dbUrl === undefined) {
    database = { kind: 'pglite', dataDir: resolve(str('DUET_DATA_DIR') ?? './data', 'pglite') };
  } else if (dbUrl === 'pglite:memory') {
    database = { kind: 'pglite', dataDir: null };
  } else if (dbUrl.startsWith('pglite:')) {
    database = { kind: 'pglite', dataDir: resolve(dbUrl.slice('pglite:'.length)) };
  } else if (/^postgres(ql)?:\/\//.test(dbUrl)) {
    const password = (() => {
      try {
        return decodeURIComponent(new URL(dbUrl).password);
      } catch {
        return '';
      }
    })();
    // Only the placeholder test: the database's own password rules are the database's business.
    if (password && /change[_ -]?me/i.test(password)) problems.push('DATABASE_URL still has its CHANGE_ME placeholder password');
    database = { kind: 'postgres', url: dbUrl, poolMax: int('DATABASE_POOL_MAX', 10, 1, 1000) };
  } else {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL, "pglite:memory" or "pglite:<dir>"');
    database = { kind: 'pglite', dataDir: null };
  }

  const storage = parseStorageConfig(env as NodeJS.ProcessEnv, resolve(str('DUET_DATA_DIR') ?? './data'));
  problems.push(...storage.problems);

  const apiKey = secret('DUET_API_KEY');
  const joinTokenSecret = secret('JOIN_TOKEN_SECRET');
  const internalHookSecret = secret('INTERNAL_HOOK_SECRET');
  const joinTokenVerifySecrets = [...new Set((env.JOIN_TOKEN_VERIFY_SECRETS ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '' && x !== joinTokenSecret))];
  // One leaked secret must not unlock the other role: hook senders cannot mint join tokens.
  if (joinTokenSecret && joinTokenSecret === internalHookSecret) {
    problems.push('JOIN_TOKEN_SECRET and INTERNAL_HOOK_SECRET must differ');
  }
  if (joinTokenVerifySecrets.some((s) => s === internalHookSecret || s === apiKey)) problems.push('JOIN_TOKEN_VERIFY_SECRETS must differ from INTERNAL_HOOK_SECRET and DUET_API_KEY');
  if (apiKey && (apiKey === joinTokenSecret || apiKey === internalHookSecret)) {
    problems.push('DUET_API_KEY must differ from JOIN_TOKEN_SECRET and INTERNAL_HOOK_SECRET');
  }

  const iceServers = json('ICE_SERVERS').filter((s, i): s is IceServer => {
    const o = s as Record<string, unknown> | null;
    const urls = o && typeof o === 'object' ? o.urls : undefined;
    const list = Array.isArray(urls) ? urls : [urls];
    const ok =
      list.length > 0 &&
      list.every((u) => typeof u === 'string' && /^(stun|stuns|turn|turns):/.test(u)) &&
      (o?.username === undefined || typeof o.username === 'string') &&
      (o?.credential === undefined || typeof o.credential === 'string');
    if (!ok) problems.push(`ICE_SERVERS[${i}] must be {urls: "stun:…"|"turn:…"|[…], username?, credential?}`);
    return ok;
  });

  const webhookEndpoints: WebhookEndpoint[] = [];
  json('WEBHOOK_ENDPOINTS').forEach((e, i) => {
    const o = e as Record<string, unknown> | null;
    if (!o || typeof o !== 'object' || typeof o.url !== 'string' || typeof o.secret !== 'string') {
      problems.push(`WEBHOOK_ENDPOINTS[${i}] must be {url, secret}`);
      return;
    }
    const weak = checkSecretValue(`WEBHOOK_ENDPOINTS[${i}].secret`, o.secret, 16);
    if (weak) problems.push(weak);
    const u = url(`WEBHOOK_ENDPOINTS[${i}].url`, o.url, ['http:', 'https:']);
    if (webhookEndpoints.some((w) => w.url === u)) problems.push(`WEBHOOK_ENDPOINTS[${i}].url is listed twice`);
    let types: string[] | null = null;
    if (o.types !== undefined) {
      if (!Array.isArray(o.types) || o.types.length === 0 || !o.types.every((t) => typeof t === 'string' && isEventType(t))) {
        problems.push(`WEBHOOK_ENDPOINTS[${i}].types must be a non-empty list of event types (${EVENT_TYPES.join(', ')})`);
      } else {
        types = o.types as string[];
      }
    }
    webhookEndpoints.push({ url: u, secret: o.secret, types });
  });

  const signalingPublicUrl = url('SIGNALING_PUBLIC_URL', str('SIGNALING_PUBLIC_URL') ?? 'ws://127.0.0.1:8090/ws', [
    'ws:',
    'wss:',
  ]);
  const mediaNodes: MediaNode[] = [];
  json('MEDIA_NODES').forEach((n, i) => {
    const o = n as Record<string, unknown> | null;
    if (!o || typeof o !== 'object' || typeof o.id !== 'string' || !/^[\w.-]{1,64}$/.test(o.id) || typeof o.signaling_url !== 'string') {
      problems.push(`MEDIA_NODES[${i}] must be {id: [A-Za-z0-9_.-]{1,64}, signaling_url: "ws(s)://…"}`);
      return;
    }
    if (mediaNodes.some((m) => m.id === o.id)) problems.push(`MEDIA_NODES[${i}].id is listed twice`);
    const signalingUrl = url(`MEDIA_NODES[${i}].signaling_url`, o.signaling_url, ['ws:', 'wss:']);
    const internalUrl =
      typeof o.internal_url === 'string' ? url(`MEDIA_NODES[${i}].internal_url`, o.internal_url, ['http:', 'https:']) : internalUrlOf(signalingUrl);
    mediaNodes.push({ id: o.id, signalingUrl, internalUrl });
  });
  if (mediaNodes.length === 0) {
    const internal = str('SIGNALING_INTERNAL_URL');
    mediaNodes.push({
      id: 'default',
      signalingUrl: signalingPublicUrl,
      internalUrl: internal !== undefined ? url('SIGNALING_INTERNAL_URL', internal, ['http:', 'https:']) : internalUrlOf(signalingPublicUrl),
    });
  }

  const list = (name: string, pattern: RegExp, what: string): string[] => {
    const raw = str(name);
    if (raw === undefined) return [];
    const items = raw.split(',').map((x) => x.trim()).filter(Boolean);
    for (const x of items) if (!pattern.test(x)) problems.push(`${name}: "${x}" is not ${what}`);
    return items;
  };
  const stunUrls = list('STUN_URLS', /^stuns?:[^\s]+$/, 'a stun: or stuns: URL');
  const turnUrls = list('TURN_URLS', /^turns?:[^\s]+$/, 'a turn: or turns: URL');
  const turnSecret = str('TURN_SECRET');
  if (turnUrls.length > 0 && turnSecret === undefined) problems.push('TURN_URLS needs TURN_SECRET (coturn static-auth-secret)');
  const turnTtl = int('TURN_TTL_SECONDS', 3600, 60, 7 * 86400);

  const urlSigningSecret = str('URL_SIGNING_SECRET');
  // A leaked download URL key must not be the join-token key (nor derived from it) in production.
  if (urlSigningSecret === undefined && isProduction(env)) {
    problems.push('URL_SIGNING_SECRET is required in production (NODE_ENV or DUET_ENV = production): download URLs get their own key (at least 32 characters)');
  }
  if (urlSigningSecret !== undefined && [joinTokenSecret, internalHookSecret, apiKey].includes(urlSigningSecret)) {
    problems.push('URL_SIGNING_SECRET must differ from DUET_API_KEY, JOIN_TOKEN_SECRET and INTERNAL_HOOK_SECRET');
  }

  const bool = (name: string, fallback: boolean): boolean => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };
  const webOriginRaw = str('WEB_ORIGIN');
  const webOrigin = webOriginRaw === undefined ? null : url('WEB_ORIGIN', webOriginRaw, ['http:', 'https:']).replace(/\/+$/, '');
  // Marketplace pages allowed to embed the room in an iframe (CSP frame-ancestors), as origins.
  const frameAncestors: string[] = [];
  for (const raw of (str('FRAME_ANCESTORS') ?? '').split(/[\s,]+/).filter(Boolean)) {
    try {
      const u = new URL(raw);
      if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== raw.replace(/\/+$/, '')) throw new Error('not an origin');
      frameAncestors.push(u.origin);
    } catch {
      problems.push(`FRAME_ANCESTORS: "${raw}" is not an http(s) origin such as https://school.example`);
    }
  }
  const contentTypes = (str('RESOURCE_CONTENT_TYPES') ?? DEFAULT_RESOURCE_CONTENT_TYPES.join(','))
    .split(',')
    .map((x) => x.trim().toLowerCase())
    .filter(Boolean);
  for (const t of contentTypes) {
    if (!/^[a-z0-9.+-]+\/[a-z0-9.+*-]+$/.test(t)) problems.push(`RESOURCE_CONTENT_TYPES: "${t}" is not a media type`);
  }

  const warningMinutes = parseWarningMinutes(str('LESSON_WARNING_MINUTES'));
  if (typeof warningMinutes === 'string') problems.push(warningMinutes);

  const workers = int('API_WORKERS', 1, 1, 64);
  // PGlite lives inside one process: several workers need a shared PostgreSQL.
  if (workers > 1 && database.kind !== 'postgres') problems.push('API_WORKERS > 1 needs DATABASE_URL=postgres://… (PGlite is in-process)');
  const logLevel = str('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const config: ApiConfig = {
    host,
    port,
    publicUrl,
    database,
    storage: storage.config,
    apiKeySha256: sha256(apiKey),
    joinTokenSecret,
    joinTokenVerifySecrets,
    internalHookSecret,
    joinEarlyMinutes: int('JOIN_EARLY_MINUTES', 15, 0, 24 * 60),
    // Short-lived by design: the marketplace mints a token when the user clicks "join". A token
    // expires at the end of its lesson's join window (end + the most extension allowed), this
    // being only the cap (sessions-service.ts issueJoinToken).
    joinTokenTtlSeconds: int('JOIN_TOKEN_TTL_SECONDS', 4 * 3600, 60, 24 * 3600),
    signalingPublicUrl,
    mediaNodes,
    iceServers,
    stunUrls,
    turn: turnUrls.length > 0 && turnSecret ? { urls: turnUrls, secret: turnSecret, ttlSeconds: turnTtl } : null,
    urlSigningKey: createHmac('sha256', urlSigningSecret ?? joinTokenSecret).update('duet signed urls v1').digest(),
    signedUrlTtlSeconds: int('SIGNED_URL_TTL_SECONDS', 900, 10, 7 * 86400),
    maxExtensionMinutes: int('LESSON_MAX_EXTENSION_MINUTES', 30, 0, 240),
    warningMinutes: typeof warningMinutes === 'string' ? [...DEFAULT_WARNING_MINUTES] : warningMinutes,
    lessonJobsIntervalMs: int('LESSON_JOBS_INTERVAL_MS', 15_000, 50, 3_600_000),
    recordingRetentionDays: str('RECORDING_RETENTION_DAYS') === undefined ? null : int('RECORDING_RETENTION_DAYS', 0, 1, 36_500),
    joinTokenSingleUse: bool('JOIN_TOKEN_SINGLE_USE', false),
    webOrigin,
    frameAncestors,
    rateLimitMax: int('RATE_LIMIT_MAX', 120, 1, 1_000_000),
    rateLimitWindowMs: int('RATE_LIMIT_WINDOW_MS', 60_000, 100, 3_600_000),
    resourceMaxBytes: int('RESOURCE_MAX_BYTES', 50 * 1024 * 1024, 1, 5 * 1024 * 1024 * 1024),
    resourceContentTypes: contentTypes,
    webhookMaxAgeSeconds: int('WEBHOOK_MAX_AGE_SECONDS', 3 * 86400, 60, 30 * 86400),
    webhookEndpoints,
    webhookPollMs: int('WEBHOOK_POLL_MS', 1000, 10, 60_000),
    webhookTimeoutMs: int('WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    webhookRetryBaseMs: int('WEBHOOK_RETRY_BASE_MS', 1000, 10, 3_600_000),
    webhookRetryMaxMs: int('WEBHOOK_RETRY_MAX_MS', 300_000, 10, 86_400_000),
    webhookMaxAttempts: int('WEBHOOK_MAX_ATTEMPTS', 30, 1, 1000),
    webhookApi: { allowPrivateUrls: bool('WEBHOOK_ALLOW_PRIVATE_URLS', false), disableAfterDays: int('WEBHOOK_DISABLE_AFTER_DAYS', 3, 1, 90), requireHttps: isProduction(env) },
    webDistDir: resolve(str('WEB_DIST_DIR') ?? resolve(REPO_ROOT, 'web/dist')),
    logLevel,
    workers,
    nodes: loadNodeRegistryConfig(env, problems),
    ops: loadOpsConfig(env, problems),
    limits: loadLimitsConfig(env, problems),
  };
  // Beyond loopback anyone who reaches the port could read lesson counts, node names and load.
  const exposed = metricsExposureProblem('API_HOST', host, config.ops.metricsToken, config.ops.metricsEnabled);
  if (exposed) problems.push(exposed);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
