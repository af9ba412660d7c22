// Regenerates deploy/compose/schema/compose-spec.json: the Compose Specification JSON schema
// shipped in PyPI docker-compose==1.29.2 (compose/config/compose_spec.json, Apache-2.0), made
// loadable by Ajv's 2019-09 validator and brought up to one later addition of the spec:
//   - the informational `id` keywords (an old draft's spelling of $id) are dropped;
//   - the top-level `name` (project name, in the spec since 2022) is allowed.
//
//   pip download docker-compose==1.29.2 --no-deps -d /tmp/dc && unzip -p /tmp/dc/*.whl compose/config/compose_spec.json > /tmp/compose_spec.json
//   node deploy/scripts/vendor-compose-schema.ts /tmp/compose_spec.json
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const src = process.argv[2];
if (!src) {
  console.error('usage: node deploy/scripts/vendor-compose-schema.ts <compose_spec.json>');
  process.exit(2);
}
const schema = JSON.parse(readFileSync(src, 'utf8')) as Record<string, any>;
const strip = (node: unknown): void => {
  if (Array.isArray(node)) return node.forEach(strip);
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (typeof o.id === 'string') delete o.id;
  for (const v of Object.values(o)) strip(v);
};
strip(schema);
delete schema.$schema;
schema.properties.name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$', description: 'Project name (Compose Specification, 2022).' };
const out = resolve(import.meta.dirname, '../compose/schema/compose-spec.json');
mkdirSync(resolve(out, '..'), { recursive: true });
writeFileSync(out, `${JSON.stringify(schema, null, 1)}\n`);
console.log(`wrote ${out}`);
