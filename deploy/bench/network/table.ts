// Prints deploy/bench/results/network.json (or the file given) as a markdown table: per profile and
// contender, what the student (behind the impaired link) and the tutor received.
//   node deploy/bench/network/table.ts [results.json]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const file = process.argv[2] ?? resolve(import.meta.dirname, '../results/network.json');
const r = JSON.parse(readFileSync(file, 'utf8'));
const f = (x: number | null | undefined, d = 1) => (x == null ? '–' : Number(x).toFixed(d));
const side = (s: any) => `${f(s.audioConcealedPct)} % | ${f(s.videoFps)} | ${s.videoHeight?.median ?? '–'}p | ${s.freezeCount} / ${f(s.freezeMs / 1000)} s | ${s.mediaBackMs ?? '–'}`;
console.log('| profile | contender | student: concealed | fps | height | freezes / time | media back ms | tutor: concealed | fps | height | freezes / time | media back ms |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const [profile, cs] of Object.entries<Record<string, any>>(r.metrics)) {
  for (const [c, run] of Object.entries<any>(cs)) {
    if (!run || typeof run !== 'object') continue;
    if (run.error) {
      console.log(`| ${profile} | ${c} | failed: ${String(run.error).slice(0, 60)} |`);
      continue;
    }
    const none = (who: string) => (run.noMedia ?? []).includes(who);
    const cell = (who: string) => (none(who) ? 'no media received | – | – | – | –' : side(run[who]));
    console.log(`| ${profile} | ${c} | ${cell('student')} | ${cell('tutor')} |`);
  }
}
