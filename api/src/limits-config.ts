// Who the API trusts for the client address (TRUST_PROXY), how fast each kind of caller may go
// (rate limits by caller: API key, seat, anonymous address) and how much one lesson may hold
// (quotas). One place for every limit, each an env variable with a default that a real lesson
// never reaches.
import { isIP } from 'node:net';

/** Fastify's trustProxy: false, a hop count, or addresses/CIDRs of the proxies in front. */
export type TrustProxy = false | number | string[];

export interface LimitsConfig {
  trustProxy: TrustProxy;
  /** Requests per window of one API key (the marketplace), over every /v1 route. */
  keyMax: number;
  /** Requests per window of one seat (lesson + role of a valid join token), over every /v1 route. */
  seatMax: number;
  /** Chat messages one lesson stores at most (CHAT_MAX_MESSAGES_PER_LESSON). */
  chatMaxPerLesson: number;
  /** A private note's length in characters at most (NOTES_MAX_CHARS). */
  notesMaxChars: number;
  /** Analytics events one seat records per lesson at most. */
  analyticsMaxPerSeat: number;
  /** Files and total bytes one lesson shares at most. */
  resourcesMaxCount: number;
  resourcesMaxTotalBytes: number;
}

type Env = Record<string, string | undefined>;

function isCidr(x: string): boolean {
  const [addr, bits, extra] = x.split('/');
  if (extra !== undefined || !addr) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

export function parseTrustProxy(raw: string | undefined, problems: string[]): TrustProxy {
  const v = raw?.trim();
  if (!v || v === 'false' || v === '0') return false;
  if (/^\d{1,2}$/.test(v)) return Number(v);
  const list = v.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = list.filter((x) => !isCidr(x));
  // `true` (trust every hop) would let any client choose its address: not offered.
  if (bad.length > 0) {
    problems.push(`TRUST_PROXY must be false, a hop count (1 = one proxy such as nginx) or a comma list of proxy addresses/CIDRs (bad: ${bad.map((b) => `"${b}"`).join(', ')})`);
    return false;
  }
  return list;
}

export function loadLimitsConfig(env: Env, problems: string[]): LimitsConfig {
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };
  return {
    trustProxy: parseTrustProxy(env.TRUST_PROXY, problems),
    keyMax: int('RATE_LIMIT_KEY_MAX', 6000, 1, 10_000_000),
    seatMax: int('RATE_LIMIT_SEAT_MAX', 600, 1, 1_000_000),
    chatMaxPerLesson: int('CHAT_MAX_MESSAGES_PER_LESSON', 5000, 1, 1_000_000),
    notesMaxChars: int('NOTES_MAX_CHARS', 20_000, 1, 20_000),
    analyticsMaxPerSeat: int('ANALYTICS_MAX_EVENTS_PER_SEAT', 2000, 1, 1_000_000),
    resourcesMaxCount: int('RESOURCES_MAX_PER_LESSON', 50, 1, 100_000),
    resourcesMaxTotalBytes: int('RESOURCES_MAX_BYTES_PER_LESSON', 500 * 1024 * 1024, 1, 1024 * 1024 * 1024 * 1024),
  };
}
