// Adds one whole `npm test` run to the flake hunt's record: every file of the run becomes a row of
// a hunt report (the format of scripts/flake-hunt.sh), mode `suite`, its run number the one given.
// A full run is each file's run under the suite's own load (two lanes side by side, each with its
// workers), the load CI runs it under; flake-hunt-to.sh counts these rows like the hunt's own.
//   node scripts/flake-hunt-suite.ts -n 38 -o docs/flake-hunt/suite-runs.tsv /tmp/fresh38/.duet/vitest-report.json
// A report already recorded (same run start) is not added twice.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

interface Assertion { fullName: string; status: string }
interface FileResult { name: string; startTime: number; endTime: number; status: string; message?: string; assertionResults: Assertion[] }

const HEADER = 'time\tmode\tfile\trun\tresult\tseconds\tfailed_tests\n';
const root = resolve(import.meta.dirname, '..');
const parts = (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;

function usage(msg: string): never {
  console.error(`flake-hunt-suite: ${msg}\nusage: node scripts/flake-hunt-suite.ts -n RUN -o REPORT.tsv VITEST_REPORT.json`);
  process.exit(2);
}

const args = process.argv.slice(2);
let run: string | undefined;
let out: string | undefined;
let input: string | undefined;
while (args.length) {
  const a = args.shift()!;
  if (a === '-n') run = args.shift();
  else if (a === '-o') out = args.shift();
  else input = a;
}
if (!run || !/^\d{1,6}$/.test(run)) usage('-n needs a run number');
if (!out) usage('-o REPORT is required');
if (!input || !existsSync(input)) usage(`no report at ${input ?? '(none)'}`);

const report = JSON.parse(readFileSync(input, 'utf8')) as { startTime: number; testResults: FileResult[] };
if (!Array.isArray(report.testResults) || report.testResults.length === 0) usage(`${input} has no test files`);
const at = new Date(report.startTime).toISOString().replace(/\.\d+Z$/, 'Z');
if (!existsSync(out)) writeFileSync(out, HEADER);
if (readFileSync(out, 'utf8').split('\n').some((l) => l.startsWith(`${at}\tsuite\t`))) {
  console.error(`flake-hunt-suite: the run of ${at} is already in ${out}`);
  process.exit(0);
}

// Tabs and newlines would break the row; failure messages carry both.
const cell = (s: string) => s.replace(/[\t\r\n]+/g, ' ').slice(0, 500);
const rows = report.testResults.map((f) => {
  // The report names files in the clone it ran in (any directory): the path from the part's folder on.
  const segments = f.name.split('/');
  const i = segments.findIndex((seg, k) => parts.includes(seg) && segments[k + 1] === 'test');
  if (i < 0) usage(`${f.name}: not a test file of a part (${parts.join(', ')})`);
  const file = segments.slice(i).join('/');
  const failed = f.assertionResults.filter((a) => a.status === 'failed').map((a) => a.fullName);
  const result = f.status === 'passed' ? 'pass' : 'fail';
  const why = failed.length ? failed.join(' | ') : result === 'fail' ? `(no test failed: ${f.message ?? f.status})` : '';
  return [at, 'suite', file, run, result, String(Math.round((f.endTime - f.startTime) / 1000)), cell(why)].join('\t');
});
appendFileSync(out, `${rows.sort().join('\n')}\n`);
const fails = rows.filter((r) => r.split('\t')[4] === 'fail').length;
console.error(`flake-hunt-suite: run ${run} (${at}): ${rows.length} files, ${fails} failed → ${out}`);
