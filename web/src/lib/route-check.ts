// Which routes to the lesson's media this network allows, tried for real before the person joins:
// - the media node's own UDP and ICE-TCP ports, no TURN: ICE against a throwaway probe transport
//   the node makes for the pre-join socket (sfu.probe, node-probe.ts);
// - a throwaway RTCPeerConnection per TURN transport the join grant lists (UDP, TCP, TLS),
//   relay-only, succeeds when the TURN server hands out a relay candidate — an allocation over that
//   transport worked, so media can flow that way.
// Plain words come from the verdict: UDP works = video calls work normally; only TCP/TLS = "your
// network blocks video calls; we will use a slower route" (naming it: TCP, or the relay);
// nothing = the call may not connect.
// Bounded: one check at a time per page, one connection per TURN transport (≤ 3) and per node
// protocol (2), each closed after ROUTE_PROBE_MS / NODE_PROBE_MS at the latest; coturn counts its
// ones against the seat's user-quota like any other, the node its probe (one per socket).
import type { ProbeInfo } from '@duet/signaling/protocol';
import { probeNodeRoute, type NodeProtocol } from './node-probe.ts';

export type RouteKind = 'udp' | 'tcp' | 'tls';

export type RouteVerdict = 'direct' | 'slower' | 'blocked' | 'unknown';

/** The slower route media takes when UDP does not work: the node over ICE-TCP, or the TURN relay. */
export type SlowerRoute = 'tcp' | 'relay-tcp' | 'relay-tls';

export interface RouteCheck {
  /** Per TURN transport: true = a relay was allocated over it, false = it failed, absent = not offered. */
  routes: Partial<Record<RouteKind, boolean>>;
  /** The media node's own candidates (no TURN): true = ICE succeeded, false = it did not, absent = not tried. */
  node?: Partial<Record<NodeProtocol, boolean>>;
  verdict: RouteVerdict;
  /** With `slower`: the route that works. */
  via?: SlowerRoute;
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

export function verdictOf(routes: RouteCheck['routes'], node: NonNullable<RouteCheck['node']> = {}): RouteVerdict {
  const tried = [...Object.values(routes), ...Object.values(node)];
  if (tried.length === 0) return 'unknown';
  if (routes.udp || node.udp) return 'direct';
  if (routes.tcp || routes.tls || node.tcp) return 'slower';
  // UDP was not offered and TCP/TLS failed, or everything failed.
  return 'blocked';
}

/** The slower route that works, the fastest first: the node itself over TCP, then the relay. */
export function slowerRoute(routes: RouteCheck['routes'], node: NonNullable<RouteCheck['node']> = {}): SlowerRoute | undefined {
  return node.tcp ? 'tcp' : routes.tcp ? 'relay-tcp' : routes.tls ? 'relay-tls' : undefined;
}

let running: Promise<RouteCheck> | null = null;

/** Node probes: asks the node for its probe transport (null: none), and tries one protocol on it. */
export interface NodeRoutes {
  probe(): Promise<ProbeInfo | null>;
  tryRoute?: (info: ProbeInfo, protocol: NodeProtocol) => Promise<boolean>;
}

/**
 * Tries every TURN transport the grant lists and, with `node`, the media node's UDP and TCP, all
 * at once; one check at a time per page.
 */
export function checkRoutes(servers: RTCIceServer[], probe = probeRelay, node?: NodeRoutes): Promise<RouteCheck> {
  if (running) return running;
  const run = (async () => {
    const kinds = [...turnRoutes(servers)];
    const [results, nodeRoutes] = await Promise.all([Promise.all(kinds.map(async ([kind, server]) => [kind, await probe(server)] as const)), node ? checkNode(node) : undefined]);
    const routes: RouteCheck['routes'] = Object.fromEntries(results);
    const verdict = verdictOf(routes, nodeRoutes);
    const via = verdict === 'slower' ? slowerRoute(routes, nodeRoutes) : undefined;
    return { routes, ...(nodeRoutes ? { node: nodeRoutes } : {}), verdict, ...(via ? { via } : {}) };
  })();
  running = run.finally(() => (running = null));
  return running;
}

/** The node's UDP and TCP on one probe transport, side by side; undefined when the node made none. */
async function checkNode(node: NodeRoutes): Promise<RouteCheck['node']> {
  const info = await node.probe().catch(() => null);
  if (!info) return undefined;
  const tryRoute = node.tryRoute ?? probeNodeRoute;
  const [udp, tcp] = await Promise.all([tryRoute(info, 'udp'), tryRoute(info, 'tcp')]);
  return { udp, tcp };
}
