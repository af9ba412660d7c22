// docs/sizing.md quotes figures derived from the committed benchmark results
// (deploy/src/sizing.ts over deploy/bench/results/*.json). Each table row names its figure's key;
// the number in the row must be the one the files give today, every figure must be quoted, and
// the worked example must match the chart's default requests.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { requestsFor, sizing } from '../src/sizing.ts';
import { DEPLOY_DIR, REPO_ROOT } from './support/exec.ts';

const GUIDE = join(REPO_ROOT, 'docs/sizing.md');

/** Flattens sizing() to `group.key` → number. */
function figures(): Map<string, number> {
  const out = new Map<string, number>();
  for (const [group, values] of Object.entries(sizing())) {
    if (group === 'sources') continue;
    for (const [k, v] of Object.entries(values as Record<string, number>)) out.set(`${group}.${k}`, v);
  }
  return out;
}

/** Rows `| what | 3.85 millicores / … | `key` / `key2` |`: the keys paired with the numbers, in order. */
function quoted(markdown: string): { key: string; value: number }[] {
  const rows: { key: string; value: number }[] = [];
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 5) continue;
    const keys = [...cells[3]!.matchAll(/`([a-zA-Z]+\.[a-zA-Z0-9]+)`/g)].map((m) => m[1]!);
    if (keys.length === 0) continue;
    const numbers = [...cells[2]!.matchAll(/-?\d+(?:\.\d+)?/g)].map((m) => Number(m[0]));
    expect(numbers.length, line).toBe(keys.length);
    keys.forEach((key, i) => rows.push({ key, value: numbers[i]! }));
  }
  return rows;
}

describe('docs/sizing.md', () => {
  const guide = readFileSync(GUIDE, 'utf8');

  it('quotes every benchmark-derived figure, each as the benchmark files give it', () => {
    const want = figures();
    const rows = quoted(guide);
    expect(rows.length).toBeGreaterThan(10);
    for (const { key, value } of rows) {
      expect(want.has(key), `unknown figure ${key}`).toBe(true);
      expect(value, key).toBe(want.get(key));
    }
    const missing = [...want.keys()].filter((k) => k !== 'api.benchCpus' && !rows.some((r) => r.key === k));
    expect(missing).toEqual([]);
  });

  it('a drifted number is caught (the check can fail)', () => {
    const sfu = figures().get('mediaNode.sfuMillicoresPerLesson')!;
    const drifted = guide.replace(`| ${sfu} millicores |`, `| ${sfu + 1} millicores |`);
    expect(drifted).not.toBe(guide);
    const row = quoted(drifted).find((r) => r.key === 'mediaNode.sfuMillicoresPerLesson')!;
    expect(row.value).not.toBe(figures().get(row.key));
  });

  it("the worked example's requests are the Helm chart's defaults", () => {
    const values = parse(readFileSync(join(DEPLOY_DIR, 'helm/duet/values.yaml'), 'utf8'));
    const r = requestsFor();
    expect(values.media.resources.requests.cpu).toBe(r.media.cpu);
    expect(values.recorder.resources.requests).toMatchObject(r.recorder);
    expect(values.api.resources.requests.cpu).toBe(r.api.cpu);
    expect(guide).toContain(`${r.media.cpu} for the media container`);
    expect(guide).toContain(`${r.recorder.cpu} and ${r.recorder.memory.replace('Mi', ' MiB')} for the recorder`);
    const s = sizing();
    // 100 lessons, 25 recorded, as the example computes it.
    const mediaWork = 75 * s.mediaNode.sfuMillicoresPerLesson + 25 * s.mediaNode.recordedMillicoresPerLesson;
    expect(guide).toContain(`≈ ${Math.round(mediaWork / 100) * 100} millicores`);
    expect(guide).toContain(`100 × ${s.mediaNode.mbpsInPerLesson.toFixed(2)} ≈ ${Math.round(100 * s.mediaNode.mbpsInPerLesson)} Mbit/s`);
    expect(guide).toContain(`~${Math.round(25 * s.recorder.segmentGbPerRecordedHour)} GB of segments`);
  });
});
