// Join tokens are EdDSA (Ed25519) with a kid: the API signs, GET /v1/join-keys publishes the public
// keys, and verification accepts only EdDSA under a known kid. Rotation: JOIN_TOKEN_VERIFY_SECRETS.
import { createHmac, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApiConfig } from '../../src/config.ts';
import { joinKeyOf, publicKeyFromJwk } from '../../src/tokens/join-token.ts';
import { DB_KINDS, HOOK_SECRET, JOIN_SECRET, createLesson, createTestDatabase, mintToken, startApi, startApiOn, testEnv, type TestApi } from '../support/harness.ts';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const parts = (token: string) => token.split('.') as [string, string, string];
const headerOf = (token: string) => JSON.parse(Buffer.from(parts(token)[0], 'base64url').toString());
const hs256 = (key: Buffer | string, header: object, payload: string) => {
  const input = `${b64(header)}.${payload}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
};

describe.each(DB_KINDS)('join-token keys (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());

  const join = (id: string, token: string) => api.request('POST', `/v1/sessions/${id}/join`, { token });

  it('signs EdDSA with a kid that /v1/join-keys publishes (public, cacheable, documented)', async () => {
    const lesson = await createLesson(api);
    const token = await mintToken(api, lesson.id, 'student');
    const header = headerOf(token);
    expect(header).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: joinKeyOf(JOIN_SECRET).kid });
    expect(header.kid).toMatch(/^[A-Za-z0-9_-]{16}$/);

    const res = await api.request('GET', '/v1/join-keys'); // no credential
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('max-age=60');
    expect(res.body.keys).toEqual([{ kty: 'OKP', crv: 'Ed25519', kid: header.kid, x: expect.any(String), alg: 'EdDSA', use: 'sig' }]);
    // The published key alone verifies the token: nothing secret is needed to check one.
    const key = publicKeyFromJwk(res.body.keys[0])!;
    const [h, p, s] = parts(token);
    expect(verify(null, Buffer.from(`${h}.${p}`), key.publicKey, Buffer.from(s, 'base64url'))).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain(JOIN_SECRET);
    expect((await join(lesson.id, token)).status).toBe(200);

    const doc = await api.request('GET', '/docs/json');
    const op = doc.body.paths['/v1/join-keys'].get;
    expect(op.responses['200'].content['application/json'].schema.properties.keys).toBeDefined();
    expect(op.security).toEqual([]);
  });

  it('refuses HS256 (the old HMAC of JOIN_TOKEN_SECRET), alg none, HS256 keyed with the public key, and unknown kids', async () => {
    const lesson = await createLesson(api);
    const token = await mintToken(api, lesson.id, 'tutor');
    const [, p] = parts(token);
    const { kid, x } = joinKeyOf(JOIN_SECRET);
    const forged = [
      hs256(JOIN_SECRET, { alg: 'HS256', typ: 'JWT' }, p), // what a token looked like before
      hs256(JOIN_SECRET, { alg: 'HS256', typ: 'JWT', kid }, p),
      `${b64({ alg: 'none', typ: 'JWT', kid })}.${p}.`,
      `${b64({ alg: 'none', kid })}.${p}.${parts(token)[2]}`,
      // Algorithm confusion: HMAC keyed with the (public) key bytes, in each form a verifier might use.
      hs256(Buffer.from(x, 'base64url'), { alg: 'HS256', typ: 'JWT', kid }, p),
      hs256(x, { alg: 'HS256', typ: 'JWT', kid }, p),
      hs256(joinKeyOf(JOIN_SECRET).publicKey.export({ format: 'pem', type: 'spki' }) as string, { alg: 'HS256', typ: 'JWT', kid }, p),
      // EdDSA under the known kid but another key; and under its own (unknown) kid.
      (() => {
        const other = generateKeyPairSync('ed25519');
        const input = `${b64({ alg: 'EdDSA', typ: 'JWT', kid })}.${p}`;
        return `${input}.${sign(null, Buffer.from(input), other.privateKey).toString('base64url')}`;
      })(),
      (() => {
        const other = generateKeyPairSync('ed25519');
        const input = `${b64({ alg: 'EdDSA', typ: 'JWT', kid: 'AAAAAAAAAAAAAAAA' })}.${p}`;
        return `${input}.${sign(null, Buffer.from(input), other.privateKey).toString('base64url')}`;
      })(),
      // The genuine signature, the kid removed or changed: the header is signed too.
      `${b64({ alg: 'EdDSA', typ: 'JWT' })}.${p}.${parts(token)[2]}`,
    ];
    for (const t of forged) {
      const res = await join(lesson.id, t);
      expect(res.status, t).toBe(401);
      expect(res.body.error.code).toBe('token_invalid');
    }
    expect((await join(lesson.id, token)).status).toBe(200);
  });
});

describe('rotating the join-token key (pglite)', () => {
  const OLD = JOIN_SECRET;
  const NEW = `rotated-${randomBytes(24).toString('hex')}`;
  it('keeps old tokens valid while the old secret is in JOIN_TOKEN_VERIFY_SECRETS, refuses them after', async () => {
    const db = await createTestDatabase('pglite', { persistent: true });
    try {
      let api = await startApi(db.url); // before the rotation: signs with OLD
      const lesson = await createLesson(api);
      const oldToken = await mintToken(api, lesson.id, 'student');
      await api.close();

      // (a) every instance also accepts NEW, still signs with OLD
      api = await startApi(db.url, { JOIN_TOKEN_VERIFY_SECRETS: NEW });
      expect((await api.request('GET', '/v1/join-keys')).body.keys.map((k: { kid: string }) => k.kid)).toEqual([joinKeyOf(OLD).kid, joinKeyOf(NEW).kid]);
      await api.close();

      // (b) swap: sign with NEW, still accept OLD
      api = await startApi(db.url, { JOIN_TOKEN_SECRET: NEW, JOIN_TOKEN_VERIFY_SECRETS: OLD });
      const newToken = await mintToken(api, lesson.id, 'tutor');
      expect(headerOf(newToken).kid).toBe(joinKeyOf(NEW).kid);
      expect((await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token: oldToken })).status).toBe(200);
      expect((await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token: newToken })).status).toBe(200);
      await api.close();

      // (c) OLD dropped: its tokens are refused, NEW ones still join
      api = await startApi(db.url, { JOIN_TOKEN_SECRET: NEW });
      const refused = await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token: oldToken });
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('token_invalid');
      expect((await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token: newToken })).status).toBe(200);
      await api.close();
    } finally {
      await db.drop();
    }
  });

  it('checks each JOIN_TOKEN_VERIFY_SECRETS entry like a secret', () => {
    expect(() => loadApiConfig(testEnv('pglite:memory', { JOIN_TOKEN_VERIFY_SECRETS: `${NEW},short` }))).toThrow(/JOIN_TOKEN_VERIFY_SECRETS entry 2/);
    expect(loadApiConfig(testEnv('pglite:memory', { JOIN_TOKEN_VERIFY_SECRETS: ` ${NEW} , ` })).joinTokenVerifySecrets).toEqual([NEW]);
    // A hook sender's secret must never become a join-token key (one leak must not unlock both).
    expect(() => loadApiConfig(testEnv('pglite:memory', { JOIN_TOKEN_VERIFY_SECRETS: HOOK_SECRET }))).toThrow(/JOIN_TOKEN_VERIFY_SECRETS must differ/);
  });
});
