// What every result file records about the run: the machine, its load, and a spread that is not
// the best run (min, quartiles, median, max over every counted repetition).
import { cpus, loadavg, totalmem } from 'node:os';

export function machine(): { cpus: number; cpu_model: string; mem_gb: number; loadavg_1m: number } {
  return { cpus: cpus().length, cpu_model: cpus()[0]?.model.trim() ?? 'unknown', mem_gb: Math.round(totalmem() / 2 ** 30), loadavg_1m: Math.round(loadavg()[0]! * 10) / 10 };
}

export interface Spread {
  n: number;
  min: number;
  p25: number;
  median: number;
  p75: number;
  max: number;
}

const at = (sorted: number[], q: number): number => {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
};

export function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) throw new Error('spread of no samples');
  const r = (x: number) => Math.round(x);
  return { n: s.length, min: r(s[0]!), p25: r(at(s, 0.25)), median: r(at(s, 0.5)), p75: r(at(s, 0.75)), max: r(s.at(-1)!) };
}

/** a / b to two decimals (null when b is missing or zero). */
export const ratio = (a: number, b: number | undefined): number | null => (b ? Math.round((a / b) * 100) / 100 : null);
