// Attendance arithmetic: time present is the union of a participant's intervals (an open interval
// counts until `now`), so overlaps from clock skew between hooks are never counted twice.
export interface Interval {
  joinedAt: Date;
  leftAt: Date | null;
}

export function presentSeconds(intervals: readonly Interval[], now: Date): number {
  const spans = intervals
    .map((i) => [i.joinedAt.getTime(), (i.leftAt ?? now).getTime()] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let start = -Infinity;
  let end = -Infinity;
  for (const [a, b] of spans) {
    if (a > end) {
      if (end > start) total += end - start;
      start = a;
      end = b;
    } else if (b > end) {
      end = b;
    }
  }
  if (end > start) total += end - start;
  return Math.floor(total / 1000);
}
