// Issue 12, item 6: a media host may run with its own NODE_SECRET instead of the shared
// INTERNAL_HOOK_SECRET; `duet doctor` accepts that and still insists on a well-formed secret.
import { describe, expect, it } from 'vitest';
import { checkSecrets } from '../../src/cli/doctor.ts';

const JOIN = 'j'.repeat(40);
describe('duet doctor and NODE_SECRET', () => {
  it('accepts a media host and its recorder holding only their node secret', () => {
    const env = { JOIN_TOKEN_SECRET: JOIN, NODE_ID: 'media-1', NODE_SECRET: 'a'.repeat(64) };
    expect(checkSecrets(env, ['media', 'recorder'])).toMatchObject({ status: 'ok' });
  });
  it('refuses a malformed node secret and a host with neither secret', () => {
    expect(checkSecrets({ JOIN_TOKEN_SECRET: JOIN, NODE_ID: 'media-1', NODE_SECRET: 'not-hex' }, ['media']).status).toBe('fail');
    expect(checkSecrets({ JOIN_TOKEN_SECRET: JOIN, NODE_ID: 'media-1' }, ['media'])).toMatchObject({ status: 'fail', detail: expect.stringContaining('INTERNAL_HOOK_SECRET missing') });
  });
});
