// API key scopes (issue 16 item 2). A key holds one or more scopes; every /v1 route declares the one
// it needs (api/src/http/route-scopes.ts). `read` routes are open to every key: a key that may
// write lessons or operate may also read them. The DUET_API_KEY bootstrap key holds all three.
export const API_KEY_SCOPES = ['lessons', 'operator', 'read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * What a route needs: a key scope, `participant` (join tokens only: no API key may call it) or
 * `public` (no credential at all).
 */
export type RouteScope = ApiKeyScope | 'participant' | 'public';

export function isApiKeyScope(v: unknown): v is ApiKeyScope {
  return typeof v === 'string' && (API_KEY_SCOPES as readonly string[]).includes(v);
}

/** Whether a key holding `held` may call a route that needs `needed`. */
export function scopeAllows(held: readonly ApiKeyScope[], needed: RouteScope): boolean {
  if (needed === 'public') return true;
  if (needed === 'participant') return false;
  if (needed === 'read') return held.length > 0;
  return held.includes(needed);
}
