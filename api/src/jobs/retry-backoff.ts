// Exponential backoff for webhook retries: base·2^(n-1) after the n-th failed attempt, capped.
export function retryDelayMs(failedAttempts: number, baseMs: number, maxMs: number): number {
  const exponent = Math.max(0, Math.min(failedAttempts - 1, 40));
  return Math.min(baseMs * 2 ** exponent, maxMs);
}
