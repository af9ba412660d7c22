// Memory of the two halves of an SFU lesson on a media node: the mediasoup worker process (its
// proportional set size, so pages shared with the other worker are split, not counted twice) and
// the control plane in the Node process (the JavaScript heap that holds rooms, transports,
// producers and consumers), read after a full garbage collection so the figure is live objects.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Proportional set size of a process in KiB (smaps_rollup), or NaN when the kernel lacks it. */
export function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

// `--expose-gc` without restarting node: set the flag, then a fresh context exposes `gc`.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (() => void) | undefined;

/** Live JavaScript heap of this thread in KiB, after a full collection. */
export function liveHeapKb(): number {
  gc?.();
  gc?.(); // a second pass frees what the first one's finalizers released
  return process.memoryUsage().heapUsed / 1024;
}

/** Least-squares slope of y over x: memory per lesson across the levels, robust to one noisy level. */
export function slope(points: { x: number; y: number }[]): number {
  const ok = points.filter((p) => Number.isFinite(p.y));
  if (ok.length < 2) return NaN;
  const mx = ok.reduce((s, p) => s + p.x, 0) / ok.length;
  const my = ok.reduce((s, p) => s + p.y, 0) / ok.length;
  const sxx = ok.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? NaN : ok.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
}
