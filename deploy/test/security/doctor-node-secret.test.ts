// Issue 12, item 6: a media host may run with its own NODE_SECRET instead of the shared
// INTERNAL_HOOK_SECRET; `duet doctor` accepts that and still insists on a well-formed secret.
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSecrets } from '../../src/cli/doctor.ts';

// Real-looking secrets: the secret policy refuses repeated characters and well-known values.
const JOIN = randomBytes(30).toString('base64url');
const NODE_SECRET = createHmac('sha256', randomBytes(32)).update('duet-node-secret/v1:media-1').digest('hex');
describe('duet doctor and NODE_SECRET', () => {
  it('accepts a media host and its recorder holding only their node secret', () => {
    const env = { JOIN_TOKEN_SECRET: JOIN, NODE_ID: 'media-1', NODE_SECRET };
    expect(checkSecrets(env, ['media', 'recorder'])).toMatchObject({ status: 'ok' });
  });
  it('does not ask a media host for JOIN_TOKEN_SECRET (it verifies with the API public keys); the API still needs it', () => {
    expect(checkSecrets({ NODE_ID: 'media-1', NODE_SECRET }, ['media', 'recorder'])).toMatchObject({ status: 'ok' });
    expect(checkSecrets({ NODE_ID: 'media-1', NODE_SECRET }, ['api'])).toMatchObject({ status: 'fail', detail: expect.stringContaining('JOIN_TOKEN_SECRET is required') });
  });
  it('refuses a malformed node secret and a host with neither secret', () => {
    expect(checkSecrets({ JOIN_TOKEN_SECRET: JOIN, NODE_ID: 'media-1', NODE_SECRET: 'not-hex' }, ['media']).status).toBe('fail');
    expect(checkSecrets({ JOIN_TOKEN_SECRET: JOIN, NODE_ID: 'media-1' }, ['media'])).toMatchObject({ status: 'fail', detail: expect.stringContaining('INTERNAL_HOOK_SECRET is required') });
  });
});
