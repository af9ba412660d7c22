// Attack: the operator copied an example env file (CHANGE_ME…), or a secret from the docs, or
// "secret" — anyone who read the repository can then mint join tokens, sign hooks or call the
// API as the marketplace. Also: download URLs signed with a key derived from JOIN_TOKEN_SECRET in
// production. Defence: every role refuses to start, naming the variable, exit code 2, no stack.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { API_SECRET_VARS, ConfigError, loadApiConfig } from '../../src/config.ts';
import { checkSecrets, weakSecretReason } from '../../src/secret-policy.ts';
import { API_KEY, HOOK_SECRET, JOIN_SECRET } from '../support/harness.ts';
import { expectRefused, runRole } from './role-process.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const GOOD = { DATABASE_URL: 'pglite:memory', API_HOST: '127.0.0.1', API_PORT: '0', LOG_LEVEL: 'silent', DUET_API_KEY: API_KEY, JOIN_TOKEN_SECRET: JOIN_SECRET, INTERNAL_HOOK_SECRET: HOOK_SECRET };

describe('secret policy', () => {
  it.each([
    ['CHANGE_ME_join_token_secret_at_least_32_characters', /placeholder/],
    ['change-me-please-0123456789abcdefghij', /placeholder/],
    ['<generate with openssl rand -base64 48>', /placeholder/],
    ['secret', /well-known/],
    ['ChangeMe', /well-known|placeholder/],
    ['0123456789abcdef0123456789abcdef', /well-known/],
    ['a'.repeat(64), /distinct/],
    ['ab'.repeat(32), /distinct/],
    ['secretsecretsecretsecretsecretsecret', /well-known word repeated|distinct/],
    ['password1234password1234password1234', /well-known word repeated/],
    ['short-but-random', /at least 32/],
  ])('refuses %j', (value, why) => {
    expect(weakSecretReason(value, 32)).toMatch(why);
  });

  it('accepts generated secrets', () => {
    expect(weakSecretReason('kq3Jx0_2vW9sYb8nH4tL1mE6pZ7cR5aD-fGuIoQyXwT', 32)).toBeNull();
    expect(checkSecrets(GOOD, API_SECRET_VARS)).toEqual([]);
  });

  it('covers every API secret variable with the same rule', () => {
    for (const { name, minLength } of API_SECRET_VARS) {
      const env = { ...GOOD, [name]: `CHANGE_ME_${'q'.repeat(minLength)}` };
      expect(() => loadApiConfig(env), name).toThrow(new RegExp(`${name} is still a placeholder`));
    }
    expect(() => loadApiConfig({ ...GOOD, WEBHOOK_ENDPOINTS: JSON.stringify([{ url: 'https://m.example.test/h', secret: 'CHANGE_ME_webhook_secret' }]) })).toThrow(
      /WEBHOOK_ENDPOINTS\[0\]\.secret is still a placeholder/,
    );
    expect(() => loadApiConfig({ ...GOOD, DATABASE_URL: 'postgres://duet:CHANGE_ME@127.0.0.1:5432/duet' })).toThrow(/DATABASE_URL still has its CHANGE_ME placeholder/);
  });
});

describe('URL_SIGNING_SECRET in production', () => {
  it('is required when NODE_ENV or DUET_ENV is production, derived otherwise', () => {
    for (const prod of [{ NODE_ENV: 'production' }, { DUET_ENV: 'production' }]) {
      let err: unknown;
      try {
        loadApiConfig({ ...GOOD, ...prod });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.join('\n')).toMatch(/URL_SIGNING_SECRET is required in production/);
      expect(() => loadApiConfig({ ...GOOD, ...prod, URL_SIGNING_SECRET: 'url-signing-7f3a9c2e51d84b6a0e2f91c3' })).not.toThrow();
    }
    // Development and the all-in-one `npm start` keep deriving it.
    expect(loadApiConfig(GOOD).urlSigningKey).toHaveLength(32);
    // Its own key, not a copy of another secret.
    expect(() => loadApiConfig({ ...GOOD, NODE_ENV: 'production', URL_SIGNING_SECRET: JOIN_SECRET })).toThrow(/URL_SIGNING_SECRET must differ/);
  });
});

describe('the API process refuses to start', () => {
  it('on a CHANGE_ME placeholder copied from deploy/env/api.env.example', async () => {
    const value = 'CHANGE_ME_internal_hook_secret_at_least_32_chars';
    expectRefused(await runRole(MAIN, { ...GOOD, INTERNAL_HOOK_SECRET: value }), 'INTERNAL_HOOK_SECRET', value);
  });

  it('on a well-known value', async () => {
    expectRefused(await runRole(MAIN, { ...GOOD, DUET_API_KEY: 'x'.repeat(40) }), 'DUET_API_KEY', 'x'.repeat(40));
    expectRefused(await runRole(MAIN, { ...GOOD, TURN_URLS: 'turn:t.example.test:3478', TURN_SECRET: 'changeme' }), 'TURN_SECRET');
  });

  it('in production without its own URL_SIGNING_SECRET', async () => {
    expectRefused(await runRole(MAIN, { ...GOOD, NODE_ENV: 'production' }), 'URL_SIGNING_SECRET');
  });
});
