// The contract in the repo: the document the API serves equals the committed api/openapi.json
// (regenerate with `npm run generate`), and it is complete — a unique operationId, a summary and
// examples on every operation (each example valid against its schema), and a webhooks section with
// every webhook type of the event catalogue.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_TYPES } from '../src/http/openapi-webhooks.ts';
import { startApiOn, type TestApi } from './support/harness.ts';

const COMMITTED = resolve(import.meta.dirname, '../openapi.json');
const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head'];

describe('OpenAPI contract', () => {
  let api: TestApi;
  let served: Record<string, any>;
  beforeAll(async () => {
    api = await startApiOn('pglite');
    served = (await api.request('GET', '/docs/json')).body;
  });
  afterAll(() => api?.close());

  it('serves exactly the committed api/openapi.json (run `npm run generate` after changing routes)', () => {
    const committed = readFileSync(COMMITTED, 'utf8');
    expect(`${JSON.stringify(served, null, 2)}\n` === committed, 'api/openapi.json is stale: run `npm run generate` and commit').toBe(true);
  });

  it('names, summarizes and exemplifies every operation, each example valid against its schema', () => {
    const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
    (addFormats as unknown as typeof addFormats.default)(ajv);
    ajv.addSchema({ $id: 'doc', components: served.components }, 'doc');
    const check = (schema: unknown, value: unknown) => {
      const s = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
      return ajv.validate(s, value) ? null : ajv.errorsText();
    };
    const problems: string[] = [];
    const ids = new Set<string>();
    let operations = 0;
    for (const [path, item] of Object.entries<Record<string, any>>(served.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        operations++;
        const where = `${method.toUpperCase()} ${path}`;
        if (typeof op.operationId !== 'string' || !/^[a-z][A-Za-z0-9]+$/.test(op.operationId)) problems.push(`${where}: no camelCase operationId`);
        else if (ids.has(op.operationId)) problems.push(`${where}: duplicate operationId ${op.operationId}`);
        ids.add(op.operationId);
        if (typeof op.summary !== 'string' || op.summary.length < 8) problems.push(`${where}: no summary`);
        for (const [type, media] of Object.entries<any>(op.requestBody?.content ?? {})) {
          if (!type.includes('json')) continue;
          if (media.example === undefined) problems.push(`${where}: no request example`);
          else if (check(media.schema, media.example)) problems.push(`${where}: request example invalid: ${check(media.schema, media.example)}`);
        }
        for (const [code, res] of Object.entries<any>(op.responses ?? {})) {
          const media = res.content?.['application/json'];
          if (!/^2\d\d$/.test(code) || !media) continue;
          if (media.example === undefined) problems.push(`${where} ${code}: no response example`);
          else if (check(media.schema, media.example)) problems.push(`${where} ${code}: response example invalid: ${check(media.schema, media.example)}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(operations).toBeGreaterThan(40);
  });

  it('has a webhooks section with every event type, each with its envelope and a valid example', () => {
    expect(Object.keys(served.webhooks).sort()).toEqual([...WEBHOOK_TYPES].sort());
    expect(WEBHOOK_TYPES).toContain('ping');
    for (const type of WEBHOOK_TYPES) {
      const body = served.webhooks[type].post.requestBody.content['application/json'];
      const schema = served.components.schemas[body.schema.$ref.split('/').pop()];
      expect(schema.properties.type.const).toBe(type);
      expect(body.example).toMatchObject({ type, id: expect.any(String), api_version: expect.any(String), data: expect.any(Object) });
      expect(typeof body.example.session_id === 'string' || body.example.session_id === null).toBe(true);
      expect(served.webhooks[type].post.parameters.map((p: any) => p.name)).toEqual(['duet-signature', 'duet-event-id']);
    }
  });
});
