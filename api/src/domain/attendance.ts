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

/** Seconds both were present at once: the intersection of the two participants' unions of intervals. */
export function overlapSeconds(a: readonly Interval[], b: readonly Interval[], now: Date): number {
  const union = (xs: readonly Interval[]) => {
    const spans = xs
      .map((i) => [i.joinedAt.getTime(), (i.leftAt ?? now).getTime()] as [number, number])
      .filter(([s, e]) => e > s)
      .sort((x, y) => x[0] - y[0]);
    const out: [number, number][] = [];
    for (const sp of spans) {
      const last = out[out.length - 1];
      if (last && sp[0] <= last[1]) last[1] = Math.max(last[1], sp[1]);
      else out.push([...sp]);
    }
    return out;
  };
  const ua = union(a);
  const ub = union(b);
  let total = 0;
  let i = 0;
  let j = 0;
  while (i < ua.length && j < ub.length) {
    const s = Math.max(ua[i]![0], ub[j]![0]);
    const e = Math.min(ua[i]![1], ub[j]![1]);
    if (e > s) total += e - s;
    if (ua[i]![1] < ub[j]![1]) i++;
    else j++;
  }
  return Math.floor(total / 1000);
}
