// Prints one coverage line per part from vitest's json-summary (.duet/coverage/coverage-summary.json)
// and exits 1 when a part is below its threshold in coverage.thresholds.ts. Run by scripts/test.sh
// after vitest; vitest itself also holds the same thresholds.
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { COVERAGE_PARTS, type CoveragePart } from '../coverage.thresholds.ts';

type Metric = { total: number; covered: number };
type FileSummary = Record<'lines' | 'statements' | 'functions' | 'branches', Metric>;

const root = resolve(import.meta.dirname, '..');
const file = process.argv[2] ?? resolve(root, '.duet/coverage/coverage-summary.json');
const summary = JSON.parse(readFileSync(file, 'utf8')) as Record<string, FileSummary>;

const totals = new Map<CoveragePart, FileSummary & { files: number }>();
for (const [path, s] of Object.entries(summary)) {
  if (path === 'total') continue;
  const part = relative(root, path).split('/')[0] as CoveragePart;
  if (!(part in COVERAGE_PARTS)) continue;
  const t = totals.get(part) ?? {
    files: 0,
    lines: { total: 0, covered: 0 },
    statements: { total: 0, covered: 0 },
    functions: { total: 0, covered: 0 },
    branches: { total: 0, covered: 0 },
  };
  t.files++;
  for (const k of ['lines', 'statements', 'functions', 'branches'] as const) {
    t[k].total += s[k].total;
    t[k].covered += s[k].covered;
  }
  totals.set(part, t);
}

const pct = (m: Metric) => (m.total === 0 ? 100 : (100 * m.covered) / m.total);
let failed = false;
for (const part of Object.keys(COVERAGE_PARTS) as CoveragePart[]) {
  const t = totals.get(part);
  const want = COVERAGE_PARTS[part].lines;
  if (!t) {
    console.log(`coverage ${part.padEnd(9)} not measured (no files)  FAIL`);
    failed = true;
    continue;
  }
  const lines = pct(t.lines);
  const ok = lines >= want;
  failed ||= !ok;
  console.log(
    `coverage ${part.padEnd(9)} lines ${lines.toFixed(1).padStart(5)} % (min ${want})  statements ${pct(t.statements).toFixed(1)} %` +
      `  functions ${pct(t.functions).toFixed(1)} %  branches ${pct(t.branches).toFixed(1)} %  ${t.files} files  ${ok ? 'ok' : 'FAIL'}`,
  );
}
process.exit(failed ? 1 : 0);
