// Exponential backoff for webhook retries: base·2^(n-1) after the n-th failed attempt, capped, with
// jitter (a random point in the upper half), so the retries of many deliveries that failed together
// (a receiver outage) do not all come back at the same instant.
export function retryDelayMs(failedAttempts: number, baseMs: number, maxMs: number): number {
  const exponent = Math.max(0, Math.min(failedAttempts - 1, 40));
  return Math.min(baseMs * 2 ** exponent, maxMs);
}

/** retryDelayMs spread over [delay/2, delay]; `random` in [0, 1) (tests pass their own). */
export function jitteredRetryDelayMs(failedAttempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const delay = retryDelayMs(failedAttempts, baseMs, maxMs);
  return Math.round(delay / 2 + (delay / 2) * Math.min(Math.max(random(), 0), 1));
}
