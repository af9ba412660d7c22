import { describe, expect, it } from 'vitest';
import { readRoomLocation } from '../src/lib/location.ts';

function fakes(pathname: string, hash = '') {
  const store = new Map<string, string>();
  const replaced: string[] = [];
  return {
    loc: { pathname, search: '', hash },
    storage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) },
    hist: { replaceState: (_: unknown, __: string, url?: string | URL | null) => void replaced.push(String(url)) },
    store,
    replaced,
  };
}

describe('readRoomLocation', () => {
  it('takes the token from the fragment, keeps it for reloads and cleans the address bar', () => {
    const f = fakes('/session/abc-123', '#token=eyJ.x.y');
    expect(readRoomLocation(f.loc, f.storage, f.hist)).toEqual({ sessionId: 'abc-123', token: 'eyJ.x.y' });
    expect(f.replaced).toEqual(['/session/abc-123']);
    // Reload: no fragment any more, the token comes from session storage.
    const again = readRoomLocation({ ...f.loc, hash: '' }, f.storage, f.hist);
    expect(again).toEqual({ sessionId: 'abc-123', token: 'eyJ.x.y' });
  });

  it('has no lesson outside /session/:id and no token without a link', () => {
    const f = fakes('/elsewhere', '#token=t');
    expect(readRoomLocation(f.loc, f.storage, f.hist)).toEqual({ sessionId: null, token: null });
    const g = fakes('/session/xyz');
    expect(readRoomLocation(g.loc, g.storage, g.hist)).toEqual({ sessionId: 'xyz', token: null });
  });

  it('where storage is denied (third-party iframe) the token stays in the fragment', () => {
    const f = fakes('/session/abc', '#token=eyJ.x.y');
    const denied = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('denied'); } };
    expect(readRoomLocation(f.loc, denied, f.hist)).toEqual({ sessionId: 'abc', token: 'eyJ.x.y' });
    expect(f.replaced).toEqual([]);
    expect(readRoomLocation(f.loc, null, f.hist).token).toBe('eyJ.x.y');
  });
});
