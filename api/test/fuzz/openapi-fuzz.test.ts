// Schema-driven fuzz of every operation in the served OpenAPI document (/docs/json): requests built
// by fast-check from each operation's own parameter and body schemas — valid values, nearly-valid
// ones, and junk — with each kind of credential. Every answer must be < 500 and match the response
// schema the document declares for its status. Bounded: FUZZ_RUNS requests per operation (default
// 20) from a fixed seed (FUZZ_SEED to explore others; a failure prints the seed and the request).
import fc from 'fast-check';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../src/events/signature.ts';
import { API_KEY, DB_KINDS, HOOK_SECRET, createLesson, mintToken, startApiOn, type TestApi } from '../support/harness.ts';
import { responseMismatches } from '../support/response-check.ts';
import { nearlyFor, paramFor, validFor, type Schema } from './schema-arbitrary.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const SEED = Number(process.env.FUZZ_SEED ?? 20261205);
const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head'] as const;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
ajv.addFormat('binary', true);

interface Operation {
  method: (typeof METHODS)[number];
  path: string;
  op: any;
}

interface FuzzRequest {
  path: string;
  query: string;
  auth: 'api_key' | 'tutor' | 'student' | 'internal' | 'none' | 'garbage';
  body: { kind: 'json'; value: unknown } | { kind: 'raw'; text: string } | { kind: 'multipart'; name: string; type: string; bytes: Uint8Array } | { kind: 'none' };
}

// The operations are known only once the API serves its document; it is the same for every
// database, so it is read here from a throwaway server to name one test per operation.
const probe = await startApiOn('pglite');
const doc = (await probe.request('GET', '/docs/json')).body;
await probe.close();
const operations: Operation[] = Object.entries<Record<string, any>>(doc.paths).flatMap(([path, item]) =>
  METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] })),
);

function requestArbitrary(o: Operation, fixtures: Record<string, string>): fc.Arbitrary<FuzzRequest> {
  const params: any[] = o.op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const pathArb = fc
    .tuple(
      ...pathParams.map((p) => {
        const known = fixtures[`${o.path.startsWith('/v1/sessions') ? 'session' : 'other'}:${p.name}`];
        return known ? fc.oneof({ weight: 3, arbitrary: fc.constant(known) }, { weight: 1, arbitrary: paramFor(p.schema) }) : paramFor(p.schema);
      }),
    )
    .map((values) => pathParams.reduce((path, p, i) => path.replace(`{${p.name}}`, encodeURIComponent(values[i] || 'x')), o.path));
  const queryArb = fc
    .tuple(...queryParams.map((p) => fc.option(paramFor(p.schema), { nil: undefined, freq: 2 })), fc.option(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), { nil: undefined, freq: 4 }))
    .map((values) => {
      const q = new URLSearchParams();
      queryParams.forEach((p, i) => values[i] !== undefined && q.set(p.name, values[i] as string));
      const extra = values[queryParams.length] as [string, string] | undefined;
      if (extra && extra[0]) q.set(extra[0], extra[1]);
      return q.size ? `?${q}` : '';
    });
  const content = o.op.requestBody?.content ?? {};
  let bodyArb: fc.Arbitrary<FuzzRequest['body']> = fc.constant({ kind: 'none' as const });
  if (content['application/json']) {
    const schema: Schema = content['application/json'].schema;
    bodyArb = fc.oneof(
      { weight: 4, arbitrary: validFor(schema).map((value) => ({ kind: 'json' as const, value })) },
      { weight: 3, arbitrary: nearlyFor(schema).map((value) => ({ kind: 'json' as const, value })) },
      { weight: 1, arbitrary: fc.constantFrom('{', '[]', 'null', '{"a":', '\u0000', '"x"').map((text) => ({ kind: 'raw' as const, text })) },
    );
  } else if (content['multipart/form-data']) {
    bodyArb = fc.record({
      kind: fc.constant('multipart' as const),
      name: fc.oneof(fc.constantFrom('notes.pdf', 'a.png', '../../x', ''), fc.string({ maxLength: 20 })),
      type: fc.constantFrom('application/pdf', 'image/png', 'text/html', 'application/x-msdownload', ''),
      bytes: fc.uint8Array({ maxLength: 2000 }),
    });
  }
  // Mostly the credential the operation asks for (to get past the door), sometimes any other.
  const schemes = (o.op.security ?? []).flatMap((s: Record<string, unknown>) => Object.keys(s));
  const intended: FuzzRequest['auth'] = schemes.includes('internalSecret') ? 'internal' : schemes.includes('apiKey') ? 'api_key' : 'none';
  const authArb = fc.oneof(
    { weight: 3, arbitrary: fc.constant(intended) },
    { weight: 2, arbitrary: fc.constantFrom<FuzzRequest['auth']>('api_key', 'tutor', 'student', 'internal', 'none', 'garbage') },
  );
  return fc.record({ path: pathArb, query: queryArb, auth: authArb, body: bodyArb });
}

async function send(api: TestApi, o: Operation, r: FuzzRequest, tokens: Record<string, string>): Promise<Response> {
  const headers: Record<string, string> = {};
  const bearer = { api_key: API_KEY, tutor: tokens.tutor, student: tokens.student, internal: HOOK_SECRET, none: undefined, garbage: 'x.y.z' }[r.auth];
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  let body: BodyInit | undefined;
  if (r.body.kind === 'json') body = JSON.stringify(r.body.value) ?? 'null';
  if (r.body.kind === 'raw') body = r.body.text;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (r.body.kind === 'multipart') {
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(r.body.bytes)], { type: r.body.type }), r.body.name);
    body = form;
  }
  // Internal hooks are signed, not bearer: sign the body when the fuzz plays a media node.
  if (r.auth === 'internal' && o.path === '/internal/hooks' && typeof body === 'string') headers['duet-signature'] = sign(HOOK_SECRET, body);
  return fetch(api.url + r.path + r.query, { method: o.method.toUpperCase(), headers, body, redirect: 'manual' });
}

/** The declared media type entry matching `type`, media ranges (image/*, *\/*) included. */
function declaredMedia(content: Record<string, any>, type: string): any {
  return content[type] ?? content[`${type.split('/')[0]}/*`] ?? content['*/*'];
}

const validators = new Map<object, ValidateFunction>();
function responseProblem(o: Operation, res: Response, text: string): string | undefined {
  if (res.status >= 500) return `status ${res.status}: ${text.slice(0, 300)}`;
  const declared = o.op.responses?.[String(res.status)] ?? o.op.responses?.[`${String(res.status)[0]}XX`] ?? o.op.responses?.default;
  if (!declared) return `status ${res.status} is not declared`;
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const media = declaredMedia(declared.content ?? {}, type);
  if (o.method === 'head' || res.status === 204) return undefined;
  if (declared.content && text.length > 0 && !media) return `content-type ${type} is not declared for ${res.status}`;
  // Non-JSON bodies (files, metrics text) are declared by media type only.
  if (type !== 'application/json') return undefined;
  const schema = media?.schema;
  if (!schema) return `no JSON schema declared for ${res.status}`;
  let validate = validators.get(schema);
  if (!validate) validators.set(schema, (validate = ajv.compile(schema)));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `status ${res.status}: body is not JSON: ${text.slice(0, 100)}`;
  }
  return validate(parsed) ? undefined : `status ${res.status}: ${ajv.errorsText(validate.errors, { dataVar: 'body' })}`;
}

describe.each(DB_KINDS)('OpenAPI fuzz (%s)', (kind) => {
  let api: TestApi;
  const fixtures: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  const statuses = new Map<number, number>();
  beforeAll(async () => {
    // FUZZ_API_ENV (JSON) adds settings, e.g. rate limits high enough that the fuzz is not all 429s.
    api = await startApiOn(kind, JSON.parse(process.env.FUZZ_API_ENV ?? '{}'));
    const lesson = await createLesson(api);
    fixtures['session:id'] = lesson.id;
    tokens.tutor = await mintToken(api, lesson.id, 'tutor');
    tokens.student = await mintToken(api, lesson.id, 'student');
  });
  afterAll(() => api?.close());

  it('covers every operation of the document', () => {
    expect(operations.length).toBeGreaterThan(30);
  });

  it.each(operations.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))('%s: no 5xx, every answer as declared', async (_name, o) => {
    const problems: string[] = [];
    const samples = fc.sample(requestArbitrary(o, fixtures), { numRuns: RUNS, seed: SEED });
    for (const r of samples) {
      const res = await send(api, o, r, tokens);
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const problem = responseProblem(o, res, text);
      if (problem) problems.push(`${problem}\n    request: ${JSON.stringify({ ...r, body: r.body.kind === 'multipart' ? { ...r.body, bytes: r.body.bytes.length } : r.body })}`);
    }
    expect(problems, `seed ${SEED}`).toEqual([]);
  });

  it('no response mismatched its route schema inside the server, and the fuzz got past validation', () => {
    expect(responseMismatches).toEqual([]);
    // A fuzz that only ever hears 400/401 tests nothing behind the door: a good share must succeed.
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    const ok = [...statuses].filter(([s]) => s < 300).reduce((a, [, n]) => a + n, 0);
    console.log(`[fuzz ${kind}] ${total} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    expect(total).toBe(operations.length * RUNS);
    expect(ok / total).toBeGreaterThan(0.15);
  });
});
