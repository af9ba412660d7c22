// How a hook sender reads the API's answer (shared by the media node's HookSender and the
// recorder's HookClient). Only a request the API calls malformed is ever given up on; anything
// else — 401/403 (secret rotation, clock skew), 404/409 (the API not caught up yet), 408/429,
// 5xx — may succeed later and is retried.
export const MALFORMED_STATUSES: ReadonlySet<number> = new Set([400, 413, 415, 422]);

export function hookOutcome(status: number): 'ok' | 'retry' | 'malformed' {
  if (status >= 200 && status < 300) return 'ok';
  return MALFORMED_STATUSES.has(status) ? 'malformed' : 'retry';
}

/**
 * The skew in seconds (positive: the sender's clock is behind the API's) when the API refused the
 * hook with `signature_expired`, from the `server_time` it sends back; undefined otherwise.
 */
export function skewOf(status: number, body: string, now = Date.now()): number | undefined {
  if (status !== 401) return undefined;
  try {
    const err = (JSON.parse(body) as { error?: { code?: string; server_time?: string; skew_seconds?: number } }).error;
    if (err?.code !== 'signature_expired') return undefined;
    if (typeof err.skew_seconds === 'number') return err.skew_seconds;
    const server = Date.parse(err.server_time ?? '');
    return Number.isNaN(server) ? 0 : Math.round((server - now) / 1000);
  } catch {
    return undefined;
  }
}
