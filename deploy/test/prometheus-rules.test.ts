// The alert and recording rules (deploy/prometheus/duet.rules.yaml) pass `promtool check rules`
// and their unit tests (`promtool test rules`, deploy/prometheus/tests), and every metric they
// select is one the running processes export (or a named outside exporter's).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEPLOY_DIR, run } from './support/exec.ts';
import { EXTERNAL_METRICS, promqlMetricNames, scrapeFamilies, seriesNames, startStack, type Stack } from './support/metric-names.ts';
import { PROMTOOL } from './support/tools.ts';

const PROM_DIR = join(DEPLOY_DIR, 'prometheus');
const RULES = join(PROM_DIR, 'duet.rules.yaml');
const UNIT_TESTS = join(PROM_DIR, 'tests', 'duet.test.yaml');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}
const rules = (): Rule[] => (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

function promtoolPresent() {
  expect(existsSync(PROMTOOL), `${PROMTOOL} missing: Debian package prometheus (scripts/bootstrap.sh)`).toBe(true);
}

describe('Prometheus rules', () => {
  it('pass promtool check rules, and the example scrape config (promtool check config) has every job they name', async () => {
    promtoolPresent();
    const r = await run(PROMTOOL, ['check', 'rules', RULES]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`SUCCESS: ${rules().length} rules found`));
    // The example scrape config that names the jobs the rules expect, with the rules loaded.
    // --syntax-only: the token file it names exists only on a real Prometheus host.
    const cfg = await run(PROMTOOL, ['check', 'config', '--syntax-only', join(PROM_DIR, 'prometheus.yaml')]);
    expect(cfg.code, cfg.stdout + cfg.stderr).toBe(0);
    const jobs = [...readFileSync(join(PROM_DIR, 'prometheus.yaml'), 'utf8').matchAll(/job_name: (\S+)/g)].map((m) => m[1]);
    for (const job of new Set([...readFileSync(RULES, 'utf8').matchAll(/job="([\w-]+)"/g)].map((m) => m[1]))) expect(jobs, `scrape job ${job}`).toContain(job);
  });

  it('pass their unit tests (promtool test rules), and the unit tests fail when a rule breaks', async () => {
    promtoolPresent();
    const ok = await run(PROMTOOL, ['test', 'rules', UNIT_TESTS]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    // Every alert has a unit test.
    const tested = new Set([...readFileSync(UNIT_TESTS, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    for (const r of rules()) if (r.alert) expect(tested.has(r.alert), `${r.alert} has no promtool unit test`).toBe(true);
    // A weakened threshold or a broken expression is caught.
    const dir = mkdtempSync(join(tmpdir(), 'duet-rules-'));
    try {
      mkdirSync(join(dir, 'tests'));
      cpSync(UNIT_TESTS, join(dir, 'tests', 'duet.test.yaml'));
      const text = readFileSync(RULES, 'utf8');
      const mutants: [string, string][] = [
        ['worker CPU threshold', text.replace('(duet_mediasoup_worker_cpu_percent) > 85', '(duet_mediasoup_worker_cpu_percent) > 99')],
        ['join failures count client errors', text.replace('result=~"media_node_unavailable|', 'result=~"token_expired|media_node_unavailable|')],
        ['media node down never fires', text.replace('up{job="duet-media"} == 0', 'up{job="duet-medias"} == 0')],
        ['lesson freeze threshold', text.replace('duet_lesson_freeze_seconds_bucket{le="10"}', 'duet_lesson_freeze_seconds_bucket{le="60"}')],
      ];
      for (const [what, mutant] of mutants) {
        expect(mutant, what).not.toBe(text);
        writeFileSync(join(dir, 'duet.rules.yaml'), mutant);
        const r = await run(PROMTOOL, ['test', 'rules', join(dir, 'tests', 'duet.test.yaml')]);
        expect(r.code, `${what}: ${r.stdout}`).not.toBe(0);
      }
      writeFileSync(join(dir, 'duet.rules.yaml'), text.replace('expr: sum(rate(duet_joins_total[5m]))', 'expr: sum(rate(duet_joins_total[5m])'));
      expect((await run(PROMTOOL, ['check', 'rules', join(dir, 'duet.rules.yaml')])).code, 'unbalanced parenthesis').not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('against the running processes', () => {
    let stack: Stack;
    let exported: Set<string>;
    beforeAll(async () => {
      stack = await startStack();
      const fam = await scrapeFamilies(stack.urls);
      exported = seriesNames([...fam.api, ...fam.node, ...fam.recorder]);
    });
    afterAll(() => stack?.close());

    it('every metric a rule selects is exported by Duet, recorded by a rule, or a named outside exporter', () => {
      const recorded = new Set(rules().flatMap((r) => (r.record ? [r.record] : [])));
      const unknown: string[] = [];
      for (const r of rules()) {
        for (const name of promqlMetricNames(r.expr)) {
          if (!exported.has(name) && !recorded.has(name) && !EXTERNAL_METRICS.has(name)) unknown.push(`${r.alert ?? r.record}: ${name}`);
        }
      }
      expect(unknown).toEqual([]);
    });
  });
});
