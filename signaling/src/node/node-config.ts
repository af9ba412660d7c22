// A media node's identity in a multi-node deployment (env). Without NODE_ID the node does not
// register and the API keeps placing lessons at SIGNALING_PUBLIC_URL (one node, as before).
export interface NodeConfig {
  id: string;
  /** What browsers connect to (ws:// or wss://, through the reverse proxy in production). */
  publicUrl: string;
  /** The node's HTTP base as the API reaches it (health probes). */
  internalUrl: string;
  /** The address in this node's ICE candidates (shown to operators). */
  mediaAddress: string;
  /** Lessons this node takes at most. */
  capacity: number;
  heartbeatMs: number;
  version: string | null;
}

export interface ShutdownConfig {
  /** SIGTERM: lessons get this long to finish before their participants are moved to another node. */
  drainDeadlineMs: number;
}

export class NodeConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new NodeConfigError(`${name} must be an integer in [${min}, ${max}], got "${v}"`);
  return n;
}

function url(name: string, value: string, protocols: string[]): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new NodeConfigError(`${name} must be a URL, got "${value}"`);
  }
  if (!protocols.includes(u.protocol)) throw new NodeConfigError(`${name} must be a ${protocols.join(' or ')} URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

/** `listen` is where the HTTP server listens (host, port) to derive defaults. */
export function loadNodeConfig(env: NodeJS.ProcessEnv, listen: { host: string; port: number; mediaAddress: string; workers: number }): NodeConfig | null {
  const id = env.NODE_ID?.trim();
  if (!id) return null;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new NodeConfigError(`NODE_ID must match [A-Za-z0-9_.-]{1,64}, got "${id}"`);
  const base = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
  if (listen.port === 0 && (!env.NODE_PUBLIC_URL || !env.NODE_INTERNAL_URL)) {
    throw new NodeConfigError('NODE_PUBLIC_URL and NODE_INTERNAL_URL are required with SIGNALING_PORT=0');
  }
  return {
    id,
    publicUrl: url('NODE_PUBLIC_URL', env.NODE_PUBLIC_URL || `ws://${base}/ws`, ['ws:', 'wss:']),
    internalUrl: url('NODE_INTERNAL_URL', env.NODE_INTERNAL_URL || `http://${base}`, ['http:', 'https:']),
    mediaAddress: listen.mediaAddress,
    // Two publishers at ~1 Mbps per lesson: a conservative default per worker (core).
    capacity: int(env, 'NODE_CAPACITY', 50 * Math.max(1, listen.workers), 1, 100_000),
    heartbeatMs: int(env, 'NODE_HEARTBEAT_MS', 2_000, 100, 600_000),
    version: env.DUET_VERSION?.slice(0, 100) || null,
  };
}

export function loadShutdownConfig(env: NodeJS.ProcessEnv): ShutdownConfig {
  return { drainDeadlineMs: int(env, 'SHUTDOWN_DRAIN_DEADLINE_MS', 30_000, 0, 24 * 3600_000) };
}
