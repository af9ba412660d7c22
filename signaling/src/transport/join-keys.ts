// The API's public join-token keys, by kid. A media node holds no signing secret: it verifies join
// tokens with these. Pinned (JOIN_TOKEN_PUBLIC_KEYS) or fetched from the API's GET /v1/join-keys at
// start, every 10 minutes, and on a kid it does not know — at most once per 30 s, so a flood of
// tokens naming garbage kids costs one request per 30 s, never one per token.
import type { KeyObject } from 'node:crypto';
import { publicKeyFromJwk } from '@duet/api/tokens';
import type { LogFn } from '../log.ts';

const MAX_BODY = 64 * 1024;
const MAX_KEYS = 16;
/** Between fetches while no key set has loaded yet. */
const EMPTY_GAP_MS = 250;

export class JoinKeysError extends Error {}
/** No key set could be loaded yet (the API unreachable): the client should retry, its link may be fine. */
export class JoinKeysUnavailableError extends Error {}

/** A JWKS (JSON text or parsed) to kid → key; throws on anything but Ed25519 signing keys. */
export function parseJoinKeySet(jwks: unknown): Map<string, KeyObject> {
  const set = typeof jwks === 'string' ? (JSON.parse(jwks) as unknown) : jwks;
  const list = set !== null && typeof set === 'object' ? (set as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_KEYS) throw new JoinKeysError(`a join key set is {"keys": [1..${MAX_KEYS} Ed25519 JWKs]}`);
  const keys = new Map<string, KeyObject>();
  for (const jwk of list) {
    const key = publicKeyFromJwk(jwk);
    if (!key) throw new JoinKeysError('a join key is not an Ed25519 public JWK whose kid names it');
    keys.set(key.kid, key.publicKey);
  }
  return keys;
}

export interface JoinKeyStoreOptions {
  apiInternalUrl: string;
  /** JOIN_TOKEN_PUBLIC_KEYS: a JWKS that pins the keys (never fetched). */
  pinned?: string | null;
  log?: LogFn;
  /** Minimum time between fetches caused by unknown kids. */
  minRefreshMs?: number;
  /** Periodic refresh (new keys announced by a rotation). */
  refreshEveryMs?: number;
}

export class JoinKeyStore {
  private keys = new Map<string, KeyObject>();
  private lastFetchAt = -Infinity;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Requests made to /v1/join-keys (metrics, tests). */
  fetches = 0;
  private readonly pinned: boolean;
  private readonly minRefreshMs: number;
  private readonly refreshEveryMs: number;

  private readonly opts: JoinKeyStoreOptions;

  constructor(opts: JoinKeyStoreOptions) {
    this.opts = opts;
    this.minRefreshMs = opts.minRefreshMs ?? 30_000;
    this.refreshEveryMs = opts.refreshEveryMs ?? 10 * 60_000;
    this.pinned = !!opts.pinned;
    if (opts.pinned) this.keys = parseJoinKeySet(opts.pinned);
  }

  /**
   * First fetch in the background, retried with backoff (bounded): the node starts even when the
   * API is not up yet; a token arriving before any key set loaded triggers a fetch itself.
   */
  start(): void {
    if (this.pinned) return;
    void (async () => {
      for (let attempt = 0, wait = 250; attempt < 6 && !this.stopped && this.keys.size === 0; attempt++, wait *= 2) {
        if (await this.refresh()) break;
        await new Promise((r) => setTimeout(r, wait).unref());
      }
    })();
    this.timer = setInterval(() => void this.refresh(), this.refreshEveryMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * The verifier's lookup: a known kid at once; an unknown one may refresh (rate-limited). Throws
   * JoinKeysUnavailableError while no key set has ever loaded (retryable, not a bad token).
   */
  lookup = async (kid: string): Promise<KeyObject | undefined> => {
    const known = this.keys.get(kid);
    if (known || this.pinned || this.stopped) return known;
    if (this.keys.size === 0) {
      // No key set yet (the API was down at start): wait for the next allowed fetch (≤ 250 ms).
      const wait = this.lastFetchAt + EMPTY_GAP_MS - Date.now();
      if (this.inFlight) await this.inFlight;
      else if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (this.keys.size === 0) await this.refresh();
      if (this.keys.size === 0) throw new JoinKeysUnavailableError('the join-token keys could not be loaded from the API');
    } else if (Date.now() - this.lastFetchAt >= this.minRefreshMs) {
      await this.refresh();
    } else if (this.inFlight) {
      await this.inFlight;
    }
    return this.keys.get(kid);
  };

  /** One fetch at a time; true when a key set was loaded. */
  private async refresh(): Promise<boolean> {
    if (!this.inFlight) {
      this.lastFetchAt = Date.now();
      this.fetches++;
      this.inFlight = this.fetchOnce().finally(() => {
        this.inFlight = null;
      });
    }
    const before = this.keys;
    await this.inFlight;
    return this.keys !== before;
  }

  private async fetchOnce(): Promise<void> {
    try {
      const res = await fetch(`${this.opts.apiInternalUrl}/v1/join-keys`, { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new JoinKeysError(`the API answered ${res.status}`);
      const text = await res.text();
      if (text.length > MAX_BODY) throw new JoinKeysError('the key set is too large');
      this.keys = parseJoinKeySet(text);
    } catch (err) {
      this.opts.log?.('warn', 'could not load the join-token public keys from the API', { error: (err as Error).message.slice(0, 200) });
    }
  }
}
