// API configuration from environment variables. Every problem is collected and reported at once, so
// an operator fixes a bad deployment in one round. The API key itself is never kept: only its
// SHA-256, which requests are compared against in constant time.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type DatabaseConfig =
  | { kind: 'pglite'; /** null = in memory (tests) */ dataDir: string | null }
  | { kind: 'postgres'; url: string };

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface WebhookEndpoint {
  url: string;
  secret: string;
}

export interface ApiConfig {
  host: string;
  port: number;
  /** Base for join URLs; null = derived from the address the server actually listens on. */
  publicUrl: string | null;
  database: DatabaseConfig;
  apiKeySha256: Buffer;
  joinTokenSecret: string;
  internalHookSecret: string;
  joinEarlyMinutes: number;
  joinTokenTtlSeconds: number;
  signalingPublicUrl: string;
  iceServers: IceServer[];
  webhookEndpoints: WebhookEndpoint[];
  webhookPollMs: number;
  webhookTimeoutMs: number;
  webhookRetryBaseMs: number;
  webhookRetryMaxMs: number;
  webhookMaxAttempts: number;
  webDistDir: string;
  logLevel: string;
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
  const secret = (name: string, minLength: number): string => {
    const v = env[name];
    if (v === undefined || v === '') problems.push(`${name} is required (at least ${minLength} characters)`);
    else if (v.length < minLength) problems.push(`${name} must be at least ${minLength} characters (got ${v.length})`);
    return v ?? '';
  };
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
    database = { kind: 'postgres', url: dbUrl };
  } else {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL, "pglite:memory" or "pglite:<dir>"');
    database = { kind: 'pglite', dataDir: null };
  }

  const apiKey = secret('DUET_API_KEY', 24);
  const joinTokenSecret = secret('JOIN_TOKEN_SECRET', 32);
  const internalHookSecret = secret('INTERNAL_HOOK_SECRET', 32);
  // One leaked secret must not unlock the other role: hook senders cannot mint join tokens.
  if (joinTokenSecret && joinTokenSecret === internalHookSecret) {
    problems.push('JOIN_TOKEN_SECRET and INTERNAL_HOOK_SECRET must differ');
  }
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
    if (o.secret.length < 16) problems.push(`WEBHOOK_ENDPOINTS[${i}].secret must be at least 16 characters`);
    const u = url(`WEBHOOK_ENDPOINTS[${i}].url`, o.url, ['http:', 'https:']);
    if (webhookEndpoints.some((w) => w.url === u)) problems.push(`WEBHOOK_ENDPOINTS[${i}].url is listed twice`);
    webhookEndpoints.push({ url: u, secret: o.secret });
  });

  const logLevel = str('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const config: ApiConfig = {
    host,
    port,
    publicUrl,
    database,
    apiKeySha256: sha256(apiKey),
    joinTokenSecret,
    internalHookSecret,
    joinEarlyMinutes: int('JOIN_EARLY_MINUTES', 15, 0, 24 * 60),
    // Short-lived by design: the marketplace mints a token when the user clicks "join".
    joinTokenTtlSeconds: int('JOIN_TOKEN_TTL_SECONDS', 4 * 3600, 60, 24 * 3600),
    signalingPublicUrl: url('SIGNALING_PUBLIC_URL', str('SIGNALING_PUBLIC_URL') ?? 'ws://127.0.0.1:8090/ws', [
      'ws:',
      'wss:',
    ]),
    iceServers,
    webhookEndpoints,
    webhookPollMs: int('WEBHOOK_POLL_MS', 1000, 10, 60_000),
    webhookTimeoutMs: int('WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    webhookRetryBaseMs: int('WEBHOOK_RETRY_BASE_MS', 1000, 10, 3_600_000),
    webhookRetryMaxMs: int('WEBHOOK_RETRY_MAX_MS', 300_000, 10, 86_400_000),
    webhookMaxAttempts: int('WEBHOOK_MAX_ATTEMPTS', 30, 1, 1000),
    webDistDir: resolve(str('WEB_DIST_DIR') ?? resolve(REPO_ROOT, 'web/dist')),
    logLevel,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
