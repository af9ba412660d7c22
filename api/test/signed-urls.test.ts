// Signed download URLs: exact path, expiry, tampering.
import { describe, expect, it } from 'vitest';
import { checkSignedPath, signPath } from '../src/services/signed-urls.ts';

const key = Buffer.alloc(32, 7);
const parse = (u: string) => {
  const url = new URL(u, 'http://x');
  return { path: url.pathname, query: Object.fromEntries(url.searchParams) };
};

describe('signed URLs', () => {
  it('verifies its own signature until it expires', () => {
    const { path, query } = parse(signPath(key, '/v1/files/resources/abc', 1000));
    expect(path).toBe('/v1/files/resources/abc');
    expect(checkSignedPath(key, path, query, 999)).toEqual({ ok: true, seat: null });
    expect(checkSignedPath(key, path, query, 1000)).toEqual({ ok: true, seat: null });
    expect(checkSignedPath(key, path, query, 1001)).toEqual({ ok: false, code: 'url_expired' });
  });

  it('refuses another path, a moved expiry, another key, and missing or malformed parameters', () => {
    const { path, query } = parse(signPath(key, '/v1/files/resources/abc', 1000));
    expect(checkSignedPath(key, '/v1/files/resources/abd', query, 0)).toEqual({ ok: false, code: 'url_signature_invalid' });
    expect(checkSignedPath(key, path, { ...query, exp: '5000' }, 0)).toEqual({ ok: false, code: 'url_signature_invalid' });
    expect(checkSignedPath(Buffer.alloc(32, 8), path, query, 0)).toEqual({ ok: false, code: 'url_signature_invalid' });
    expect(checkSignedPath(key, path, {}, 0)).toEqual({ ok: false, code: 'url_signature_missing' });
    expect(checkSignedPath(key, path, { exp: query.exp }, 0)).toEqual({ ok: false, code: 'url_signature_missing' });
    expect(checkSignedPath(key, path, { exp: '-1', sig: query.sig }, 0)).toEqual({ ok: false, code: 'url_signature_invalid' });
    expect(checkSignedPath(key, path, { exp: query.exp, sig: 'zz' }, 0)).toEqual({ ok: false, code: 'url_signature_invalid' });
    expect(checkSignedPath(key, path, { exp: query.exp, sig: query.sig!.toUpperCase() }, 0).ok).toBe(false);
  });

  it('binds a participant URL to its seat: the seat cannot be dropped, swapped or forged', () => {
    const seat = { role: 'student' as const, jti: '5b7d2a4e-0d1c-4a57-9d61-3c2f00000001', issuedAt: new Date(1_700_000_000_123) };
    const { path, query } = parse(signPath(key, '/v1/files/resources/abc', 1000, seat));
    expect(query.seat).toBe('student.1700000000123.5b7d2a4e-0d1c-4a57-9d61-3c2f00000001');
    expect(checkSignedPath(key, path, query, 0)).toEqual({ ok: true, seat });
    // Without the seat it would be a marketplace URL that no supersede ends: refused.
    const { seat: _dropped, ...unbound } = query;
    expect(checkSignedPath(key, path, unbound, 0)).toEqual({ ok: false, code: 'url_signature_invalid' });
    expect(checkSignedPath(key, path, { ...query, seat: query.seat!.replace('student', 'tutor') }, 0)).toEqual({ ok: false, code: 'url_signature_invalid' });
    expect(checkSignedPath(key, path, { ...query, seat: 'student.1.x\n' }, 0)).toEqual({ ok: false, code: 'url_signature_invalid' });
    expect(checkSignedPath(key, path, { ...query, seat: ['a'] }, 0)).toEqual({ ok: false, code: 'url_signature_invalid' });
  });
});
