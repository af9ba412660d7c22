// One source for every environment variable: the config schemas of the parts. docs/env.md is
// generated from them (`npm run generate`), and a variable read in any part's source but missing
// from every schema fails here, as does a hand edit of docs/env.md.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderEnvDoc, undocumentedEnvVars, ENV_SCHEMAS } from '../../scripts/env-doc.ts';

const ROOT = resolve(import.meta.dirname, '../..');

describe('environment reference', () => {
  it('documents every variable the parts read', () => {
    expect(undocumentedEnvVars()).toEqual([]);
  });

  it('docs/env.md is exactly what the schemas generate', () => {
    expect(renderEnvDoc() === readFileSync(resolve(ROOT, 'docs/env.md'), 'utf8'), 'docs/env.md is stale: run `npm run generate`').toBe(true);
  });

  it('lists each variable once', () => {
    const names = ENV_SCHEMAS.flatMap((s) => s.vars.flatMap((v) => v.names));
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    // The README's env table moved here: it must not come back.
    expect(readFileSync(resolve(ROOT, 'README.md'), 'utf8')).not.toMatch(/^\| variable \| used by \|/m);
  });
});

describe('benchmarks page', () => {
  it('shows exactly the latest numbers of deploy/bench/results/*.json (run `npm run generate`)', async () => {
    const { withFreshResults } = await import('../../scripts/bench-doc.ts');
    const page = readFileSync(resolve(ROOT, 'docs/benchmarks.md'), 'utf8');
    expect(withFreshResults(page) === page, 'docs/benchmarks.md results are stale: run `npm run generate`').toBe(true);
  });
});
