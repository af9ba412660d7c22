// End-of-lesson warnings, in minutes before `ends_at` (LESSON_WARNING_MINUTES, shared by the API and
// the media node). The media node fires them; the API lists them in the join answer and accepts a
// `session.warning` hook for any minute value in range — a node configured differently from the API
// (rolling config change) must not have its hooks rejected and parked.
export const DEFAULT_WARNING_MINUTES: readonly number[] = [5, 1];
export const MAX_WARNING_MINUTES = 240;

/** Minutes in (0, 240]; fractions allowed (as the media node's config: tests use 0.1 = 6 s). */
export function isWarningMinute(m: unknown): m is number {
  return typeof m === 'number' && Number.isFinite(m) && m > 0 && m <= MAX_WARNING_MINUTES;
}

/** "10,5,1" → [10, 5, 1] (deduplicated, largest first); an error message for anything else. */
export function parseWarningMinutes(raw: string | undefined): number[] | string {
  if (raw === undefined || raw.trim() === '') return [...DEFAULT_WARNING_MINUTES];
  const list = raw.split(',').map((x) => (x.trim() === '' ? NaN : Number(x.trim())));
  if (list.length > 10 || list.some((n) => !isWarningMinute(n))) {
    return `LESSON_WARNING_MINUTES must be a comma list of up to 10 minute values in (0, ${MAX_WARNING_MINUTES}] (e.g. 10,5,1), got "${raw}"`;
  }
  return [...new Set(list)].sort((a, b) => b - a);
}
