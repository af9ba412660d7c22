// Where a webhook endpoint created through the API may point (issue 16 item 3). The rules of the
// env endpoints (WEBHOOK_ENDPOINTS: http/https only; redirects are never followed) apply, plus what
// an API caller must not be able to reach through us (SSRF): no credentials in the URL, and no
// loopback, private, link-local (cloud metadata 169.254.169.254), CGNAT, multicast or unspecified
// address — checked on the literal host here and on every address the name resolves to at each
// delivery (webhook-http.ts), so a DNS answer that changes later cannot point inside either.
// WEBHOOK_ALLOW_PRIVATE_URLS=true lifts the address rule (a marketplace on the same private network,
// tests on loopback).
import { isIP } from 'node:net';

export const WEBHOOK_URL_MAX_LENGTH = 2000;

/** Why `raw` is not an acceptable endpoint URL, or null. */
export function webhookUrlProblem(raw: string, opts: { allowPrivate: boolean; requireHttps: boolean }): string | null {
  if (raw.length > WEBHOOK_URL_MAX_LENGTH) return `url is longer than ${WEBHOOK_URL_MAX_LENGTH} characters`;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'url is not a valid URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'url must be http(s)';
  if (opts.requireHttps && u.protocol !== 'https:') return 'url must be https in production';
  if (u.username || u.password) return 'url must not carry credentials (user:password@)';
  if (u.hash) return 'url must not have a #fragment';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!opts.allowPrivate) {
    if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) return 'url must not point at a local or internal name';
    if (isIP(host) && isBlockedAddress(host)) return 'url must not point at a loopback, private, link-local or other non-public address';
  }
  return null;
}

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}
const V4_BLOCKED: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];

function v4Blocked(ip: string): boolean {
  const n = v4ToInt(ip);
  return V4_BLOCKED.some(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(v4ToInt(base) / 2 ** (32 - bits)));
}

/** Expands an IPv6 address to its 8 groups (numbers). */
function v6Groups(ip: string): number[] | null {
  let s = ip.toLowerCase().split('%')[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = v4ToInt(v4[1]!);
    s = s.slice(0, -v4[1]!.length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const groups = tail !== undefined ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  if (groups.length !== 8) return null;
  return groups.map((g) => parseInt(g, 16));
}

/** Loopback, private, link-local, CGNAT, documentation, multicast, unspecified — and IPv6 spellings of them. */
export function isBlockedAddress(ip: string): boolean {
  if (isIP(ip) === 4) return v4Blocked(ip);
  const g = v6Groups(ip);
  if (!g) return true;
  const embeddedV4 = `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  if (g.slice(0, 6).every((x) => x === 0)) return true; // ::, ::1 and IPv4-compatible
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return v4Blocked(embeddedV4); // ::ffff:a.b.c.d
  if (g[0] === 0x64 && g[1] === 0xff9b) return v4Blocked(embeddedV4); // NAT64
  if ((g[0]! & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((g[0]! & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((g[0]! & 0xff00) === 0xff00) return true; // multicast
  if (g[0] === 0x2001 && g[1] === 0x0db8) return true; // documentation
  if (g[0] === 0x2002 || (g[0] === 0x2001 && g[1] === 0)) return true; // 6to4 / Teredo can reach IPv4 inside
  return false;
}
