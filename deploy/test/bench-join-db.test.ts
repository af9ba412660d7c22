// The join database-load benchmark (deploy/bench/api-join-db.ts, on demand) keeps working: a small
// run on a real PostgreSQL writes the results format docs/sizing.md reads, with plausible figures
// (a join is at least one transaction and writes its single-use token).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, run } from './support/exec.ts';

describe('api-join-db benchmark (smoke)', () => {
  it('measures transactions, rows and database CPU per join and writes api-join-db.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-bench-db-'));
    try {
      const out = join(dir, 'api-join-db.json');
      const r = await run(process.execPath, [join(REPO_ROOT, 'deploy/bench/api-join-db.ts'), '--joins', '20', '--out', out], { timeoutMs: 90_000 });
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(readFileSync(out, 'utf8'));
      expect(report).toMatchObject({ name: 'api-join-db', node: process.version, baseline: expect.stringContaining('pg_stat_database') });
      expect(report.metrics.joins).toBe(20);
      expect(report.metrics.db_transactions_per_join).toBeGreaterThanOrEqual(1);
      expect(report.metrics.db_rows_written_per_join).toBeGreaterThanOrEqual(1);
      expect(report.metrics.db_rows_read_per_join).toBeGreaterThan(0);
      expect(report.metrics.db_cpu_ms_per_join).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
