// sdk/src/schema.ts is exactly what openapi-typescript makes of the committed api/openapi.json,
// and every route of the document is reachable through the client's typed paths.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaTypes } from '../scripts/schema-types.ts';

const ROOT = resolve(import.meta.dirname, '../..');

describe('generated client types', () => {
  it('equal a fresh openapi-typescript run over api/openapi.json (run `npm run generate`)', async () => {
    const doc = readFileSync(resolve(ROOT, 'api/openapi.json'), 'utf8');
    const fresh = await schemaTypes(doc);
    expect(fresh === readFileSync(resolve(ROOT, 'sdk/src/schema.ts'), 'utf8'), 'sdk/src/schema.ts is stale: run `npm run generate`').toBe(true);
    // Every path and webhook of the document is a key of the generated types.
    const parsed = JSON.parse(doc) as { paths: Record<string, unknown>; webhooks: Record<string, unknown> };
    for (const p of [...Object.keys(parsed.paths), ...Object.keys(parsed.webhooks)]) expect(fresh.includes(`"${p}": {`) || fresh.includes(`    ${p}: {`), p).toBe(true);
  });
});
