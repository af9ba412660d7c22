// Which routes to the lesson's media this network allows, tried for real before the person joins:
// a throwaway RTCPeerConnection per TURN transport the join grant lists (UDP, TCP, TLS), relay-only,
// succeeds when the TURN server hands out a relay candidate — an allocation over that transport
// worked, so media can flow that way. Plain words come from the verdict: UDP works = video calls
// work normally; only TCP/TLS = "your network blocks video calls; we will use a slower route";
// nothing = the call may not connect.
// Bounded: one check at a time per page, one connection per transport (≤ 3), each closed after
// ROUTE_PROBE_MS at the latest; coturn counts them against the seat's user-quota like any other.
export type RouteKind = 'udp' | 'tcp' | 'tls';

export type RouteVerdict = 'direct' | 'slower' | 'blocked' | 'unknown';

export interface RouteCheck {
  /** Per transport: true = a relay was allocated over it, false = it failed, absent = not offered. */
  routes: Partial<Record<RouteKind, boolean>>;
  verdict: RouteVerdict;
}

export const ROUTE_PROBE_MS = 6_000;

/** One RTCIceServer per TURN transport (the first URL of each kind), with its credentials. */
export function turnRoutes(servers: RTCIceServer[]): Map<RouteKind, RTCIceServer> {
  const out = new Map<RouteKind, RTCIceServer>();
  for (const server of servers) {
    for (const url of [server.urls].flat()) {
      const kind: RouteKind | null = url.startsWith('turns:') ? 'tls' : url.startsWith('turn:') ? (/transport=tcp/i.test(url) ? 'tcp' : 'udp') : null;
      if (!kind || out.has(kind)) continue;
      out.set(kind, { urls: url, ...(server.username ? { username: server.username } : {}), ...(server.credential ? { credential: server.credential } : {}) });
    }
  }
  return out;
}

/** A relay candidate from this server within `timeoutMs` (the connection is closed either way). */
export async function probeRelay(server: RTCIceServer, timeoutMs = ROUTE_PROBE_MS): Promise<boolean> {
  const pc = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: 'relay' });
  try {
    const relayed = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      pc.onicecandidate = (e) => {
        if (e.candidate && / typ relay/.test(e.candidate.candidate)) (clearTimeout(timer), resolve(true));
        if (!e.candidate) (clearTimeout(timer), resolve(false)); // gathering finished without one
      };
    });
    pc.createDataChannel('probe');
    await pc.setLocalDescription(await pc.createOffer());
    return await relayed;
  } catch {
    return false;
  } finally {
    pc.close();
  }
}

export function verdictOf(routes: RouteCheck['routes']): RouteVerdict {
  const tried = Object.values(routes);
  if (tried.length === 0) return 'unknown';
  if (routes.udp) return 'direct';
  if (routes.tcp || routes.tls) return 'slower';
  // UDP was not offered and TCP/TLS failed, or everything failed.
  return 'blocked';
}

let running: Promise<RouteCheck> | null = null;

/** Tries every TURN transport the grant lists at once; one check at a time per page. */
export function checkRoutes(servers: RTCIceServer[], probe = probeRelay): Promise<RouteCheck> {
  if (running) return running;
  const run = (async () => {
    const kinds = [...turnRoutes(servers)];
    const results = await Promise.all(kinds.map(async ([kind, server]) => [kind, await probe(server)] as const));
    const routes: RouteCheck['routes'] = Object.fromEntries(results);
    return { routes, verdict: verdictOf(routes) };
  })();
  running = run.finally(() => (running = null));
  return running;
}
