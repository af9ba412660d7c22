// A media node holds no join-token secret: it verifies EdDSA join tokens with the API's public keys
// (GET /v1/join-keys, or pinned with JOIN_TOKEN_PUBLIC_KEYS), accepts only EdDSA under a known kid,
// follows a key rotation, and a flood of garbage kids costs at most one key-set fetch per 30 s.
import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { joinKeyOf, mintJoinToken } from '@duet/api/tokens';
import { loadSignalingConfig } from '../../src/index.ts';
import { JoinKeyStore, JoinKeysUnavailableError } from '../../src/transport/join-keys.ts';
import { startNodeStack, type NodeStack } from '../support/stack.ts';
import { TestClient } from '../support/ws-client.ts';

const stacks: NodeStack[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of stacks.splice(0)) await s.stop();
});

async function stackWith(...args: Parameters<typeof startNodeStack>): Promise<NodeStack> {
  const s = await startNodeStack(...args);
  stacks.push(s);
  return s;
}
async function client(s: NodeStack): Promise<TestClient> {
  const c = await TestClient.open(s.wsUrl, 'json');
  clients.push(c);
  return c;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const parts = (t: string) => t.split('.') as [string, string, string];
const claimsOf = (t: string) => JSON.parse(Buffer.from(parts(t)[1], 'base64url').toString());
const hs256 = (key: Buffer | string, header: object, payload: string) => {
  const input = `${b64(header)}.${payload}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
};
/** A token with the seat's claims, signed by `secret`'s key (newest for its seat). */
async function tokenLike(t: string, secret: string): Promise<string> {
  const c = claimsOf(t);
  return (await mintJoinToken(secret, { sessionId: c.sid, userId: c.sub, role: c.role, name: c.name }, 600)).token;
}

describe('a media node without the join-token secret', () => {
  it('seats both participants with the public keys it fetched, and refuses every non-EdDSA or unknown-kid token', async () => {
    const s = await stackWith({}, undefined, { omitNodeJoinSecret: true });
    const lesson = await s.lesson();
    const { kid, x } = joinKeyOf(s.env.JOIN_TOKEN_SECRET!);
    const [, p] = parts(lesson.tutorToken);
    const other = generateKeyPairSync('ed25519');
    const edWith = (header: object) => {
      const input = `${b64(header)}.${p}`;
      return `${input}.${sign(null, Buffer.from(input), other.privateKey).toString('base64url')}`;
    };
    const bad = await client(s);
    for (const forged of [
      hs256(s.env.JOIN_TOKEN_SECRET!, { alg: 'HS256', typ: 'JWT' }, p), // the pre-EdDSA token
      hs256(s.env.JOIN_TOKEN_SECRET!, { alg: 'HS256', typ: 'JWT', kid }, p),
      `${b64({ alg: 'none', kid })}.${p}.`,
      hs256(Buffer.from(x, 'base64url'), { alg: 'HS256', typ: 'JWT', kid }, p), // HMAC keyed with the public key
      hs256(x, { alg: 'HS256', typ: 'JWT', kid }, p),
      edWith({ alg: 'EdDSA', typ: 'JWT', kid }), // known kid, another key
      edWith({ alg: 'EdDSA', typ: 'JWT', kid: 'ZZZZZZZZZZZZZZZZ' }), // unknown kid
    ]) {
      expect(await bad.request('hello', { v: 1, token: forged }), forged).toMatchObject({ ok: false, error: { code: 'token_invalid' } });
    }
    const tutor = await client(s);
    const student = await client(s);
    expect(await tutor.request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true });
    expect(await student.request('hello', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: true });
    expect(s.signaling.joinKeys.fetches).toBeGreaterThanOrEqual(1);
  });

  it('warns (and still starts) when JOIN_TOKEN_SECRET is set on the node', async () => {
    const lines: string[] = [];
    const s = await stackWith({}, (level, msg) => void lines.push(`${level} ${msg}`));
    expect(lines.some((l) => l.startsWith('warn JOIN_TOKEN_SECRET is set but a media node does not need it'))).toBe(true);
    expect(lines.join('\n')).not.toContain(s.env.JOIN_TOKEN_SECRET!);
    const lesson = await s.lesson();
    expect(await (await client(s)).request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true });
  });

  it('with JOIN_TOKEN_PUBLIC_KEYS pinned, verifies without fetching; a bad pin is a config error', async () => {
    const secret = randomBytes(32).toString('hex');
    const pinned = JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', kid: joinKeyOf(secret).kid, x: joinKeyOf(secret).x, alg: 'EdDSA', use: 'sig' }] });
    const s = await stackWith({ JOIN_TOKEN_SECRET: secret }, undefined, { omitNodeJoinSecret: true, nodeEnv: { JOIN_TOKEN_PUBLIC_KEYS: pinned } });
    const lesson = await s.lesson();
    expect(await (await client(s)).request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true });
    expect(s.signaling.joinKeys.fetches).toBe(0);
    // A pinned kid that does not name its key, or not a key set at all, is refused at start.
    const lying = JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', kid: 'AAAAAAAAAAAAAAAA', x: joinKeyOf(secret).x }] });
    for (const v of [lying, '{"keys": []}', 'not json']) {
      expect(() => loadSignalingConfig({ ...s.env, JOIN_TOKEN_PUBLIC_KEYS: v })).toThrow(/JOIN_TOKEN_PUBLIC_KEYS/);
    }
  });
});

describe('rotation at the node', () => {
  const OLD = randomBytes(32).toString('hex');
  const NEW = randomBytes(32).toString('hex');

  it('accepts a token under the old key while the API lists it in JOIN_TOKEN_VERIFY_SECRETS', async () => {
    const s = await stackWith({ JOIN_TOKEN_SECRET: NEW, JOIN_TOKEN_VERIFY_SECRETS: OLD }, undefined, { omitNodeJoinSecret: true });
    const lesson = await s.lesson();
    const oldToken = await tokenLike(lesson.studentToken, OLD);
    expect(JSON.parse(Buffer.from(parts(oldToken)[0], 'base64url').toString()).kid).toBe(joinKeyOf(OLD).kid);
    expect(await (await client(s)).request('hello', { v: 1, token: oldToken })).toMatchObject({ ok: true });
    expect(await (await client(s)).request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true });
  });

  it('refuses it once the old secret is dropped', async () => {
    const s = await stackWith({ JOIN_TOKEN_SECRET: NEW }, undefined, { omitNodeJoinSecret: true });
    const lesson = await s.lesson();
    const oldToken = await tokenLike(lesson.studentToken, OLD);
    expect(await (await client(s)).request('hello', { v: 1, token: oldToken })).toMatchObject({ ok: false, error: { code: 'token_invalid' } });
    expect(await (await client(s)).request('hello', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: true });
  });
});

describe('the key store under a garbage-kid flood', () => {
  it('fetches the key set at most once per 30 s, and still knows the real kid', async () => {
    const s = await stackWith({}, undefined, { omitNodeJoinSecret: true });
    // A store that has not loaded anything: the first unknown kid fetches, the flood after it does not.
    const store = new JoinKeyStore({ apiInternalUrl: s.apiUrl });
    const garbage = () => randomBytes(12).toString('base64url');
    await Promise.all(Array.from({ length: 50 }, () => store.lookup(garbage())));
    for (let i = 0; i < 100; i++) expect(await store.lookup(garbage())).toBeUndefined();
    expect(store.fetches).toBe(1);
    expect(await store.lookup(joinKeyOf(s.env.JOIN_TOKEN_SECRET!).kid)).toBeDefined();
    expect(store.fetches).toBe(1);

    // The same through the node's sockets: hellos naming garbage kids do not make it fetch again.
    const before = s.signaling.joinKeys.fetches;
    const lesson = await s.lesson();
    const [, p, sig] = parts(lesson.tutorToken);
    for (let c = 0; c < 5; c++) {
      const flood = await client(s);
      for (let i = 0; i < 10; i++) {
        const t = `${b64({ alg: 'EdDSA', typ: 'JWT', kid: garbage() })}.${p}.${sig}`;
        expect(await flood.request('hello', { v: 1, token: t })).toMatchObject({ ok: false, error: { code: 'token_invalid' } });
      }
    }
    expect(s.signaling.joinKeys.fetches - before).toBeLessThanOrEqual(1);
  });

  it('starts without the API and fetches on the first token (bounded while it is down)', async () => {
    const store = new JoinKeyStore({ apiInternalUrl: 'http://127.0.0.1:9' });
    store.start();
    const t0 = Date.now();
    // Retryable, not "your link is bad": the client is told service_unavailable (server.test.ts).
    await expect(store.lookup('AAAAAAAAAAAAAAAA')).rejects.toThrow(JoinKeysUnavailableError);
    expect(Date.now() - t0).toBeLessThan(6_000);
    store.stop();
  });
});
