// Every JSON response a test receives is checked against its route's response schema. The schemas
// are closed (additionalProperties: false) and Fastify serializes with them, which silently drops
// any field they do not name: here the body as plain JSON.stringify would have sent it must match,
// and the serialized body must equal it, so a field added to a handler without its schema (or a
// schema that coerces a value) fails the test that reads it (a 500, and the list below) instead of
// silently changing the API.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
ajv.addFormat('binary', true);
const compiled = new WeakMap<object, ValidateFunction>();
/** The body as JSON.stringify would send it, per request: compared with what the serializer sent. */
const expected = new WeakMap<FastifyRequest, unknown>();

/** Mismatches seen by any server in this test process (tests can assert it stays empty). */
export const responseMismatches: string[] = [];

export function responseSchemaFor(responses: Record<string, unknown> | undefined, status: number): object | undefined {
  if (!responses) return undefined;
  const code = String(status);
  return (responses[code] ?? responses[`${code[0]}xx`] ?? responses.default) as object | undefined;
}

export function checkResponsesAgainstSchemas(app: FastifyInstance): void {
  app.addHook('preSerialization', async (req, reply, payload) => {
    const route = req.routeOptions.url;
    if (route === undefined || req.is404 || route.startsWith('/docs')) return payload;
    const where = `${req.method} ${route} → ${reply.statusCode}`;
    const schema = responseSchemaFor(req.routeOptions.schema?.response as Record<string, unknown> | undefined, reply.statusCode);
    if (!schema) {
      responseMismatches.push(`${where}: no response schema`);
      process.stderr.write(`response schema missing: ${where}\n`);
      throw new Error(`${where}: the route declares no response schema for this status`);
    }
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile(schema);
      compiled.set(schema, validate);
    }
    const plain: unknown = JSON.parse(JSON.stringify(payload));
    if (!validate(plain)) {
      const why = ajv.errorsText(validate.errors, { dataVar: 'body' });
      responseMismatches.push(`${where}: ${why}`);
      process.stderr.write(`response schema mismatch: ${where}: ${why}\n`);
      throw new Error(`${where}: the response does not match its schema (${why})`);
    }
    expected.set(req, plain);
    return payload;
  });
  // The serializer must neither drop nor change anything (a type array can coerce, an integer round).
  app.addHook('onSend', async (req, reply, payload) => {
    if (!expected.has(req) || typeof payload !== 'string') return payload;
    const want = expected.get(req);
    expected.delete(req);
    if (!isDeepStrictEqual(JSON.parse(payload), want)) {
      const where = `${req.method} ${req.routeOptions.url} → ${reply.statusCode}`;
      responseMismatches.push(`${where}: serialized body differs from the handler's`);
      process.stderr.write(`response serialization changed the body: ${where}\n  sent: ${payload}\n  want: ${JSON.stringify(want)}\n`);
      throw new Error(`${where}: the serialized body differs from the handler's`);
    }
    return payload;
  });
}
