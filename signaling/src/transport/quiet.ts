// Quiet: a room client pings every second (web/src/lib/signaling-client.ts). When its frames stop
// while the socket still looks open (a cut link: TCP notices much later), the other participant
// is told "reconnecting" at once, and "present" with the next frame. Only clients that ping count
// (tools that never ping are never quiet); seat, attendance and hooks are untouched — a socket
// that then really closes goes through Room.leave().
import type { Connection } from './connection.ts';

/** Tells the other participant of `conn`'s lesson that it went quiet or spoke again. */
export function tellPeer(connections: Iterable<Connection>, conn: Connection, quiet: boolean): void {
  const { room, claims } = conn;
  if (!room || !claims || room.hasEnded) return;
  conn.log.info({ silent_ms: Date.now() - conn.lastFrameAt }, quiet ? 'participant quiet' : 'participant back from quiet');
  for (const other of connections) {
    if (other !== conn && other.room === room && other.claims && other.claims.role !== claims.role) {
      other.notify({ t: 'peer.presence', role: claims.role, presence: quiet ? 'reconnecting' : 'present' });
    }
  }
}

/** Every 500 ms: pinging, seated connections silent for `quietMs` go quiet. */
export function startQuietSweep(connections: Map<unknown, Connection>, quietMs: number): () => void {
  const timer = setInterval(() => {
    const now = Date.now();
    for (const conn of connections.values()) {
      if (conn.quiet || conn.pings < 1 || !conn.room || !conn.claims || now - conn.lastFrameAt < quietMs) continue;
      conn.quiet = true;
      tellPeer(connections.values(), conn, true);
    }
  }, 500);
  timer.unref();
  return () => clearInterval(timer);
}

/** A frame came: a quiet connection is back. */
export function onFrameQuiet(connections: Map<unknown, Connection>, conn: Connection): void {
  if (!conn.quiet) return;
  conn.quiet = false;
  tellPeer(connections.values(), conn, false);
}
