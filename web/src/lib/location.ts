// The join URL is /session/<id>#token=<jwt>. The token lives in the fragment so it never reaches
// server logs; we move it to sessionStorage and clean the address bar (a reload still works).
export interface RoomLocation {
  sessionId: string | null;
  token: string | null;
}

export function readRoomLocation(
  loc: Pick<Location, 'pathname' | 'search' | 'hash'> = window.location,
  storage: Pick<Storage, 'getItem' | 'setItem'> | null = sessionStorageOrNull(),
  hist: Pick<History, 'replaceState'> = window.history,
): RoomLocation {
  const m = /^\/session\/([^/]+)\/?$/.exec(loc.pathname);
  const sessionId = m ? decodeURIComponent(m[1]!) : null;
  if (!sessionId) return { sessionId: null, token: null };
  const key = `duet.token.${sessionId}`;
  const fromHash = new URLSearchParams(loc.hash.replace(/^#/, '')).get('token');
  if (fromHash) {
    // Without storage (a third-party iframe whose browser blocks it) the token stays in the
    // fragment, so a reload still works.
    if (storage && trySet(storage, key, fromHash)) hist.replaceState(null, '', loc.pathname + loc.search);
    return { sessionId, token: fromHash };
  }
  return { sessionId, token: tryGet(storage, key) };
}

/** sessionStorage, or null where the browser denies it (e.g. partitioned/blocked in iframes). */
function sessionStorageOrNull(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

function trySet(storage: Pick<Storage, 'setItem'>, key: string, value: string): boolean {
  try {
    storage.setItem(key, value);
    return true;
  } catch {
    return false;
  }
}

function tryGet(storage: Pick<Storage, 'getItem'> | null, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}
