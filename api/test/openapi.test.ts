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
      '/internal/hooks',
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

  it('serves Swagger UI at /docs', async () => {
    const res = await fetch(`${api.url}/docs/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger');
  });
});
