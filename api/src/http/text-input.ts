// U+0000 in any text input (path, query, JSON body) is refused with a 400 before a handler runs:
// PostgreSQL cannot store NUL in text, so such a value would otherwise reach the database and come
// back as a 500 (found by the OpenAPI fuzz). JSON escapes it as \u0000, so any client can send it.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';

// Bodies are bounded by the body limit, but nesting is not: stop looking (and refuse) past this.
const MAX_DEPTH = 64;

/** Why `value` is refused (naming where in it), or null. */
function findNul(value: unknown, path: string, depth: number): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? `${path} contains a NUL character (U+0000)` : null;
  if (value === null || typeof value !== 'object') return null;
  if (depth > MAX_DEPTH) return `${path} is nested more than ${MAX_DEPTH} levels deep`;
  for (const [k, v] of Object.entries(value)) {
    const why = k.includes('\u0000') ? `${path} has a key with a NUL character (U+0000)` : findNul(v, `${path}.${k}`, depth + 1);
    if (why) return why;
  }
  return null;
}

export function rejectNulCharacters(app: FastifyInstance): void {
  // preHandler: after authentication and schema validation, so their answers come first.
  app.addHook('preHandler', async (req) => {
    const why = findNul(req.params, 'params', 0) ?? findNul(req.query, 'query', 0) ?? findNul(req.body, 'body', 0);
    if (why) throw new ApiError(400, 'invalid_characters', why);
  });
}
