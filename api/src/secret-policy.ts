// One rule for every secret of every role (api, signaling, recorder): a value copied from an
// example (`CHANGE_ME…`), a well-known word, a run of one or two characters or a too-short value
// is refused at start, with the variable's name and never the value. Each role lists its secret
// variables (API_SECRET_VARS…) and calls checkSecrets once, so a new secret is one more name.
import { createHash, timingSafeEqual } from 'node:crypto';

/** Values printed in the repository's docs, examples and tests of the past: never valid secrets. */
const WELL_KNOWN = new Set(
  [
    'secret',
    'changeme',
    'change-me',
    'change_me',
    'password',
    'passw0rd',
    'default',
    'example',
    'test',
    'admin',
    'duet',
    'letmein',
    'qwerty',
    'minioadmin',
    'your-secret-here',
    'supersecret',
    '0123456789abcdef',
    '0123456789abcdef0123456789abcdef',
    'abcdefghijklmnopqrstuvwxyz',
    // The AWS documentation's example credentials.
    'AKIAIOSFODNN7EXAMPLE',
    'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  ].map((v) => v.toLowerCase()),
);

/** Markers of an unfilled template value, wherever they appear in it. */
const PLACEHOLDER = /change[_ -]?me|replace[_ -]?me|your[_ -]?(secret|key|token)|<[^>]*>|^todo\b|^fixme\b/i;

/** Why `value` is not acceptable as a secret, or null when it is. */
export function weakSecretReason(value: string, minLength: number): string | null {
  const v = value.trim();
  if (PLACEHOLDER.test(v)) return 'is still a placeholder (CHANGE_ME…) from an example: generate one with `openssl rand -base64 48`';
  if (WELL_KNOWN.has(v.toLowerCase()) || WELL_KNOWN.has(v.toLowerCase().replace(/[^a-z0-9]/g, ''))) return 'is a well-known value: generate one with `openssl rand -base64 48`';
  if (v.length < minLength) return `must be at least ${minLength} characters (got ${v.length})`;
  // "aaaa…", "abab…", "0000…": long but guessable.
  if (new Set(v).size < 6) return 'has too few distinct characters (a repeated pattern): generate one with `openssl rand -base64 48`';
  // A well-known word repeated ("secretsecretsecret…") or padded with a counter ("password123…").
  const core = v.toLowerCase().replace(/[^a-z]/g, '');
  for (const w of ['secret', 'password', 'changeme']) {
    if (core.length > 0 && core.replaceAll(w, '') === '') return 'is a well-known word repeated: generate one with `openssl rand -base64 48`';
  }
  return null;
}

export interface SecretSpec {
  name: string;
  minLength: number;
  /** False: the variable may be absent (the feature it enables is off). */
  required: boolean;
  /** A comma list of secrets (JOIN_TOKEN_VERIFY_SECRETS): each entry is checked. */
  list?: boolean;
}

/**
 * Every secret variable of each role, in one place: the roles' config loaders and `duet doctor`
 * check exactly these. (Webhook endpoint secrets and the DATABASE_URL password are checked where
 * the API parses them.) A new secret is one more line here.
 */
export const API_SECRET_VARS: readonly SecretSpec[] = [
  { name: 'DUET_API_KEY', minLength: 24, required: true },
  { name: 'JOIN_TOKEN_SECRET', minLength: 32, required: true },
  { name: 'JOIN_TOKEN_VERIFY_SECRETS', minLength: 32, required: false, list: true },
  { name: 'INTERNAL_HOOK_SECRET', minLength: 32, required: true },
  { name: 'URL_SIGNING_SECRET', minLength: 32, required: false },
  { name: 'TURN_SECRET', minLength: 16, required: false },
  { name: 'METRICS_TOKEN', minLength: 16, required: false },
  { name: 'S3_ACCESS_KEY_ID', minLength: 3, required: false },
  { name: 'S3_SECRET_ACCESS_KEY', minLength: 8, required: false },
];
// No JOIN_TOKEN_SECRET: a media node verifies join tokens with the API's public keys (/v1/join-keys).
export const SIGNALING_SECRET_VARS: readonly SecretSpec[] = [
  { name: 'INTERNAL_HOOK_SECRET', minLength: 32, required: true },
  { name: 'METRICS_TOKEN', minLength: 16, required: false },
];
export const RECORDER_SECRET_VARS: readonly SecretSpec[] = [
  { name: 'INTERNAL_HOOK_SECRET', minLength: 32, required: true },
  { name: 'S3_ACCESS_KEY_ID', minLength: 3, required: false },
  { name: 'S3_SECRET_ACCESS_KEY', minLength: 8, required: false },
  { name: 'METRICS_TOKEN', minLength: 16, required: false },
];

/**
 * A media host may hold its node's own NODE_SECRET (with NODE_ID) instead of the shared
 * INTERNAL_HOOK_SECRET (issue 12 item 6): then NODE_SECRET is the one checked.
 */
export function withNodeSecret(env: Record<string, string | undefined>, specs: readonly SecretSpec[]): readonly SecretSpec[] {
  const ownSecret = !env.INTERNAL_HOOK_SECRET && !!env.NODE_SECRET && !!env.NODE_ID;
  if (!ownSecret) return specs;
  return specs.map((s) => (s.name === 'INTERNAL_HOOK_SECRET' ? { name: 'NODE_SECRET', minLength: 64, required: true } : s));
}

/**
 * Problems with the secrets in `env`, one line each, naming the variable (never its value).
 * Absent optional secrets are fine; absent required ones are reported as required.
 */
export function checkSecrets(env: Record<string, string | undefined>, specs: readonly SecretSpec[]): string[] {
  const problems: string[] = [];
  for (const s of specs) {
    const raw = env[s.name];
    if (raw === undefined || raw.trim() === '') {
      if (s.required) problems.push(`${s.name} is required (at least ${s.minLength} characters)`);
      continue;
    }
    if (s.list) {
      const entries = raw.split(',').map((x) => x.trim());
      entries.forEach((v, i) => {
        const problem = v === '' ? null : checkSecretValue(entries.length === 1 ? s.name : `${s.name} entry ${i + 1}`, v, s.minLength);
        if (problem) problems.push(problem);
      });
      continue;
    }
    const why = weakSecretReason(raw, s.minLength);
    if (why) problems.push(`${s.name} ${why}`);
  }
  return problems;
}

/** One secret found somewhere else than its own variable (a JSON list entry, a URL's password). */
export function checkSecretValue(label: string, value: string, minLength: number): string | null {
  const why = weakSecretReason(value, minLength);
  return why ? `${label} ${why}` : null;
}

/**
 * Production (NODE_ENV=production, as the systemd units and the container image set, or
 * DUET_ENV=production) requires secrets that development derives or leaves out.
 */
export function isProduction(env: Record<string, string | undefined>): boolean {
  return env.NODE_ENV?.trim() === 'production' || env.DUET_ENV?.trim() === 'production';
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Metrics (lesson counts, node names, load) are for the operator: a role listening beyond
 * loopback must protect them with METRICS_TOKEN. Returns the problem, or null.
 */
export function metricsExposureProblem(hostVar: string, host: string, metricsToken: string | null | undefined, metricsEnabled = true): string | null {
  if (!metricsEnabled || (metricsToken && metricsToken.trim() !== '') || isLoopbackHost(host)) return null;
  return `METRICS_TOKEN is required when ${hostVar} (${host}) is not a loopback address${hostVar === 'API_HOST' ? ' (or set METRICS_ENABLED=false)' : ''}`;
}

/** `Authorization: Bearer <token>` compared in constant time (as digests, so length does not leak). */
export function bearerMatches(authorization: string | string[] | undefined, token: string): boolean {
  const m = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return m !== null && timingSafeEqual(digest(m[1]!), digest(token));
}
