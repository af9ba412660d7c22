// The "Latest results" table of docs/benchmarks.md, generated from deploy/bench/results/*.json
// (what each bench last wrote) by `npm run generate`; deploy/test/bench-doc.test.ts fails when the
// page and the result files disagree.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const RESULTS = resolve(import.meta.dirname, '../deploy/bench/results');
export const BEGIN = '<!-- BEGIN GENERATED RESULTS (npm run generate) -->';
export const END = '<!-- END GENERATED RESULTS -->';

interface Result {
  name: string;
  date: string;
  cpus?: number;
  metrics: Record<string, unknown>;
  ratios?: Record<string, unknown>;
}

const fmt = (v: unknown) => (typeof v === 'number' ? String(v) : typeof v === 'string' || typeof v === 'boolean' ? String(v) : null);

export function renderResults(): string {
  const out = [BEGIN, ''];
  for (const file of readdirSync(RESULTS).filter((f) => f.endsWith('.json')).sort()) {
    const r = JSON.parse(readFileSync(join(RESULTS, file), 'utf8')) as Result;
    const pairs = [...Object.entries(r.metrics ?? {}), ...Object.entries(r.ratios ?? {})]
      .map(([k, v]) => [k, fmt(v)] as const)
      .filter((p): p is readonly [string, string] => p[1] !== null);
    out.push(`### ${r.name} (\`deploy/bench/results/${file}\`, ${r.date.slice(0, 16).replace('T', ' ')} UTC, ${r.cpus ?? '?'} CPUs)`, '');
    out.push(pairs.map(([k, v]) => `\`${k}\` ${v}`).join(' · '), '');
  }
  out.push(END);
  return out.join('\n');
}

/** The page with its generated block replaced by a fresh one. */
export function withFreshResults(page: string): string {
  const a = page.indexOf(BEGIN);
  const b = page.indexOf(END);
  if (a < 0 || b < a) throw new Error('docs/benchmarks.md has lost its generated-results markers');
  return page.slice(0, a) + renderResults() + page.slice(b + END.length);
}
