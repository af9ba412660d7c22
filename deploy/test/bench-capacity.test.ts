// The capacity benchmark itself runs on demand (deploy/bench/capacity/run.ts). This keeps it
// working: one tiny step of real RTP through Duet's MediaRoom and a bare mediasoup router, and
// the results file in the shared benchmark format (DESIGN.md "Quality bars").
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, run } from './support/exec.ts';

describe('capacity benchmark (smoke)', () => {
  it('forwards synthetic lessons from two generator threads through both variants and writes capacity.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-bench-'));
    try {
      const out = join(dir, 'capacity.json');
      // Thresholds are loose: this checks the plumbing on a busy CI machine, not the capacity.
      const r = await run(process.execPath, [join(REPO_ROOT, 'deploy/bench/capacity/run.ts'), '--levels', '2', '--generators', '2', '--warmup-ms', '300', '--measure-ms', '1500', '--seconds', '60', '--max-loss', '0.5', '--max-p95-ms', '5000', '--max-p50-ms', '5000', '--out', out], {
        timeoutMs: 90_000,
      });
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(readFileSync(out, 'utf8'));
      expect(report).toMatchObject({ name: 'capacity', node: process.version, cpus: expect.any(Number), baseline: expect.stringContaining('bare mediasoup') });
      expect(Date.parse(report.date)).not.toBeNaN();
      expect(report.metrics.max_lessons).toBe(2);
      expect(report.metrics.generator_threads).toBe(2);
      expect(report.compared_at_lessons).toBe(2);
      expect(report.metrics.lessons_per_core).toBeGreaterThan(0);
      expect(report.ratios.vs_bare_mediasoup, JSON.stringify(report.levels)).toBeGreaterThan(0);
      // Memory per lesson is measured (worker PSS, control-plane heap); with one level the slope
      // runs from idle, so it is a number but its size at 2 lessons is noise.
      expect(report.metrics.worker_pss_mb_idle).toBeGreaterThan(1);
      expect(report.metrics.worker_pss_kb_per_lesson).toEqual(expect.any(Number));
      expect(report.metrics.control_heap_kb_per_lesson).toBeGreaterThan(0);
      expect(report.levels.map((l: { variant: string; lessons: number }) => `${l.variant}:${l.lessons}`)).toEqual(['duet:2', 'bare:2']);
      for (const level of report.levels) {
        // Media really went through: the receivers counted packets and almost none were lost.
        expect(level.loss, JSON.stringify(level)).toBeLessThan(0.5);
        expect(level.sent_pps).toBeGreaterThan(0);
        expect(level.generator_cpu_cores).toBeGreaterThan(0);
        expect(level.latency_ms.p50).toBeGreaterThan(0);
        expect(level.worker_pss_mb).toBeGreaterThan(level.variant === 'duet' ? report.metrics.worker_pss_mb_idle - 1 : 1);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
