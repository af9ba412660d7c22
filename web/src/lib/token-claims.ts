// What the join token says about the person holding it. Read without verifying (the API and the
// media node verify it); the page only uses it to greet the person and pick their role's controls.
export interface TokenClaims {
  sessionId: string | null;
  userId: string | null;
  role: 'tutor' | 'student' | null;
  name: string | null;
  avatarUrl: string | null;
  expiresAt: Date | null;
}

const EMPTY: TokenClaims = { sessionId: null, userId: null, role: null, name: null, avatarUrl: null, expiresAt: null };

export function readTokenClaims(token: string | null): TokenClaims {
  const payload = token?.split('.')[1];
  if (!payload) return EMPTY;
  try {
    const b64 = payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const c = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
    return {
      sessionId: str(c.sid),
      userId: str(c.sub),
      role: c.role === 'tutor' || c.role === 'student' ? c.role : null,
      name: str(c.name),
      avatarUrl: str(c.avatar),
      expiresAt: typeof c.exp === 'number' ? new Date(c.exp * 1000) : null,
    };
  } catch {
    return EMPTY;
  }
}
