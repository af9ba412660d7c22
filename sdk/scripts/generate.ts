// npm run generate: refresh everything generated from a single source, then commit the result.
//   api/openapi.json   ← the document the API serves (routes + api/src/http/openapi-*.ts)
//   sdk/src/schema.ts  ← openapi-typescript over api/openapi.json
//   docs/env.md        ← the config schemas of every part (scripts/env-doc.ts)
//   docs/benchmarks.md ← its results block, from deploy/bench/results/*.json (scripts/bench-doc.ts)
//   docs/events.md     ← the event catalogue (api/src/events/events-doc.ts)
// Tests fail while any of these differs from what this script would write.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { documentText, servedOpenApiDocument } from './openapi-document.ts';
import { schemaTypes } from './schema-types.ts';
import { renderEnvDoc } from '../../scripts/env-doc.ts';
import { withFreshResults } from '../../scripts/bench-doc.ts';
import { readFileSync } from 'node:fs';
import { EVENTS_DOC_PATH, renderEventsDoc } from '../../api/src/events/events-doc.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const text = documentText(await servedOpenApiDocument());
writeFileSync(resolve(ROOT, 'api/openapi.json'), text);
writeFileSync(resolve(ROOT, 'sdk/src/schema.ts'), await schemaTypes(text));
writeFileSync(resolve(ROOT, 'docs/env.md'), renderEnvDoc());
const bench = resolve(ROOT, 'docs/benchmarks.md');
writeFileSync(bench, withFreshResults(readFileSync(bench, 'utf8')));
writeFileSync(EVENTS_DOC_PATH, renderEventsDoc());
console.log('wrote api/openapi.json, sdk/src/schema.ts, docs/env.md, docs/benchmarks.md (results), docs/events.md');
