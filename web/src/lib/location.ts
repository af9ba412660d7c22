// The join URL is /session/<id>#token=<jwt>. The token lives in the fragment so it never reaches
// server logs; we move it to sessionStorage and clean the address bar (a reload still works).
export interface RoomLocation {
  sessionId: string | null;
  token: string | null;
}

export function readRoomLocation(
  loc: Pick<Location, 'pathname' | 'search' | 'hash'> = window.location,
  storage: Pick<Storage, 'getItem' | 'setItem'> = window.sessionStorage,
  hist: Pick<History, 'replaceState'> = window.history,
): RoomLocation {
  const m = /^\/session\/([^/]+)\/?$/.exec(loc.pathname);
  const sessionId = m ? decodeURIComponent(m[1]!) : null;
  if (!sessionId) return { sessionId: null, token: null };
  const key = `duet.token.${sessionId}`;
  const fromHash = new URLSearchParams(loc.hash.replace(/^#/, '')).get('token');
  if (fromHash) {
    storage.setItem(key, fromHash);
    hist.replaceState(null, '', loc.pathname + loc.search);
  }
  return { sessionId, token: fromHash ?? storage.getItem(key) };
}
