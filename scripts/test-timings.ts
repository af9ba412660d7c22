// Prints where a whole run's time went, per vitest project: its files, the sum of their durations,
// its span (first file's start to last file's end, from the run's start) and its slowest files.
// Run by scripts/test.sh after the lanes are merged; `node scripts/test-timings.ts [report.json]`
// reads .duet/vitest-report.json by default. Projects are told apart by path, as the configs
// include them (recorder/test/*.e2e.test.ts is recorder-e2e, web/test/e2e is e2e).
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

type FileResult = { name: string; startTime: number; endTime: number; status: string };
const root = resolve(import.meta.dirname, '..');
const file = process.argv[2] ?? resolve(root, '.duet/vitest-report.json');
const report = JSON.parse(readFileSync(file, 'utf8')) as { testResults: FileResult[] };

function projectOf(path: string): string {
  if (path.startsWith('web/test/e2e/')) return 'e2e';
  if (path.startsWith('recorder/test/') && path.endsWith('.e2e.test.ts')) return 'recorder-e2e';
  return path.split('/')[0]!;
}

const files = report.testResults.map((r) => ({ path: relative(root, r.name).replace(/^(\.\.\/)+[^/]+\//, ''), start: r.startTime, end: r.endTime, s: (r.endTime - r.startTime) / 1000 }));
if (files.length === 0) process.exit(0);
const t0 = Math.min(...files.map((f) => f.start));
const byProject = new Map<string, typeof files>();
for (const f of files) byProject.set(projectOf(f.path), [...(byProject.get(projectOf(f.path)) ?? []), f]);
console.log(`[test] time per project (run span ${((Math.max(...files.map((f) => f.end)) - t0) / 1000).toFixed(0)} s):`);
for (const [project, list] of [...byProject].sort((a, b) => a[0].localeCompare(b[0]))) {
  const sum = list.reduce((a, f) => a + f.s, 0);
  const from = (Math.min(...list.map((f) => f.start)) - t0) / 1000;
  const to = (Math.max(...list.map((f) => f.end)) - t0) / 1000;
  const slowest = [...list].sort((a, b) => b.s - a.s).slice(0, 3).map((f) => `${f.path.split('/').pop()} ${f.s.toFixed(0)} s`);
  console.log(
    `  ${project.padEnd(13)} ${String(list.length).padStart(3)} files  sum ${sum.toFixed(0).padStart(4)} s  ` +
      `span ${from.toFixed(0).padStart(4)}–${to.toFixed(0).padEnd(4)} s  slowest: ${slowest.join(', ')}`,
  );
}
