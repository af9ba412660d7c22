// The OpenAPI document exactly as the API serves it at /docs/json: an in-process API on an
// in-memory database (nothing listens), asked through Fastify's inject. Used by the generator and
// by the test that compares the served document with the committed one.
import { loadApiConfig } from '../../api/src/config.ts';
import { createApiServer } from '../../api/src/server.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Placeholder credentials of an API that never listens; long and distinct so the secret policy accepts them.
const ENV = {
  DATABASE_URL: 'pglite:memory',
  DUET_API_KEY: 'openapi-generator-api-key-7f3a9c2e5b1d',
  JOIN_TOKEN_SECRET: 'openapi-generator-join-secret-4e8b2a6c9d0f',
  INTERNAL_HOOK_SECRET: 'openapi-generator-hook-secret-1c5e9a3b7d2f',
  LOG_LEVEL: 'silent',
  OBJECTS_DIR: join(tmpdir(), 'duet-openapi-objects'),
};

/** The document as served; its JSON text (2-space indent, trailing newline) is what gets committed. */
export async function servedOpenApiDocument(): Promise<Record<string, unknown>> {
  const server = createApiServer(loadApiConfig(ENV), { lessonJobs: false });
  try {
    await server.app.ready();
    const res = await server.app.inject({ method: 'GET', url: '/docs/json' });
    if (res.statusCode !== 200) throw new Error(`/docs/json answered ${res.statusCode}`);
    return res.json();
  } finally {
    await server.app.close();
  }
}

export const documentText = (doc: unknown): string => `${JSON.stringify(doc, null, 2)}\n`;
