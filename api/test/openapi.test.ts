// The OpenAPI document is generated from the route schemas and served with Swagger UI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, startApiOn, type TestApi } from './support/harness.ts';

describe.each(DB_KINDS)('OpenAPI (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());

  it('serves an OpenAPI 3.1 document describing every public route and its schemas', async () => {
    const res = await api.request('GET', '/docs/json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/v1/sessions',
      '/v1/sessions/{id}',
      '/v1/sessions/{id}/tokens',
      '/v1/sessions/{id}/join',
      '/v1/sessions/{id}/attendance',
      '/v1/sessions/{id}/feedback',
      '/v1/sessions/{id}/notes',
      '/v1/sessions/{id}/resources',
      '/v1/sessions/{id}/resources/{rid}/content',
      '/v1/webhooks/deliveries',
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect(doc.paths['/session/{id}']).toBeUndefined();
    const create = doc.paths['/v1/sessions'].post;
    expect(create.tags).toEqual(['lessons']);
    const body = create.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['title', 'scheduled_start', 'scheduled_end', 'tutor', 'student']));
    expect(body.properties.scheduled_start).toMatchObject({ type: 'string', format: 'date-time' });
    expect(doc.paths['/v1/sessions/{id}/feedback'].post.requestBody.content['application/json'].schema.properties.rating).toMatchObject({ minimum: 1, maximum: 5 });
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('gives every operation its request schemas and a 2xx and error response schema', async () => {
    const doc = (await api.request('GET', '/docs/json')).body;
    const problems: string[] = [];
    let operations = 0;
    for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (!['get', 'put', 'post', 'patch', 'delete', 'head'].includes(method)) continue;
        operations++;
        const where = `${method.toUpperCase()} ${path}`;
        // Every operation that can take a body (POST/PUT/PATCH) declares its schema, even "no fields".
        if (['post', 'put', 'patch'].includes(method)) {
          const content = op.requestBody?.content ?? {};
          const schemas = Object.values<any>(content).map((c) => c.schema);
          if (schemas.length === 0 || schemas.some((schema) => !schema || Object.keys(schema).length === 0)) {
            problems.push(`${where}: no request-body schema`);
          }
        }
        // Path parameters are described by the params schema.
        for (const name of [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])) {
          if (!(op.parameters ?? []).some((p: any) => p.in === 'path' && p.name === name && p.schema)) problems.push(`${where}: path parameter ${name} has no schema`);
        }
        const responses = op.responses ?? {};
        const ok = Object.keys(responses).filter((code) => /^2\d\d$/.test(code));
        if (ok.length === 0) problems.push(`${where}: no 2xx response`);
        for (const code of ok) {
          const r = responses[code];
          // 204 has no body; anything else names its content schema.
          if (code !== '204' && !Object.values<any>(r.content ?? {}).some((c) => c.schema && Object.keys(c.schema).length > 0)) {
            problems.push(`${where}: ${code} has no response schema`);
          }
        }
        const errors = Object.entries<any>(responses).filter(([code]) => /^(4|5)(\d\d|XX)$/i.test(code));
        if (errors.length === 0) problems.push(`${where}: no error response`);
        for (const [code, r] of errors) {
          const schema = Object.values<any>(r.content ?? {})[0]?.schema;
          const isErrorBody = (s: any) => s?.properties?.error?.required?.includes('code');
          // /readyz answers 503 with its own body when not ready, or the error body while shutting down.
          if (!isErrorBody(schema) && !schema?.anyOf?.some(isErrorBody)) problems.push(`${where}: ${code} is not the {error: {code, message}} body`);
        }
      }
    }
    expect(operations).toBeGreaterThan(30);
    expect(problems).toEqual([]);
    // Spot checks: the lesson and join bodies as clients read them.
    const lesson = doc.paths['/v1/sessions/{id}'].get.responses['200'].content['application/json'].schema;
    expect(lesson.additionalProperties).toBe(false);
    expect(lesson.properties).toHaveProperty('can_join');
    expect(lesson.properties.started_at.type).toEqual(['string', 'null']);
    const joined = doc.paths['/v1/sessions/{id}/join'].post.responses['200'].content['application/json'].schema;
    expect(Object.keys(joined.properties)).toEqual(expect.arrayContaining(['signaling_url', 'ice_servers', 'session', 'timer']));
    const upload = doc.paths['/v1/sessions/{id}/resources'].post.requestBody.content;
    expect(upload['multipart/form-data'].schema.properties.file).toMatchObject({ type: 'string', format: 'binary' });
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await fetch(`${api.url}/docs/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger');
  });
});
