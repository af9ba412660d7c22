// Settings of the media-node registry and placement (env), validated like the rest of the API config.
export const PLACEMENT_POLICIES = ['least_loaded', 'round_robin'] as const;
export type PlacementPolicy = (typeof PLACEMENT_POLICIES)[number];

export interface NodeRegistryConfig {
  /** A node whose last heartbeat is older than this gets no lessons and loses its sticky ones. */
  heartbeatTimeoutMs: number;
  /** How long the API waits for a silent node's /healthz before declaring it lost. */
  probeTimeoutMs: number;
  placementPolicy: PlacementPolicy;
  /** Deadline for a drain that names none (seconds); null = running lessons finish whenever they end. */
  defaultDrainDeadlineSeconds: number | null;
  /**
   * Extra CSP connect-src sources for registered nodes' WebSockets (NODE_CONNECT_SRC, space or comma
   * separated, e.g. `wss://*.media.example.com`): nodes join at run time, the page's policy must allow them.
   */
  connectSrc: string[];
}

type Env = Record<string, string | undefined>;

export function loadNodeRegistryConfig(env: Env, problems: string[]): NodeRegistryConfig {
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };
  const policy = (env.PLACEMENT_POLICY?.trim() || 'least_loaded') as PlacementPolicy;
  if (!PLACEMENT_POLICIES.includes(policy)) problems.push(`PLACEMENT_POLICY must be one of ${PLACEMENT_POLICIES.join(', ')} (got "${policy}")`);
  const drain = int('NODE_DRAIN_DEADLINE_SECONDS', 0, 0, 7 * 86400);
  const connectSrc = (env.NODE_CONNECT_SRC ?? '').split(/[\s,]+/).filter(Boolean);
  for (const src of connectSrc) {
    if (!/^wss?:\/\/[A-Za-z0-9.*-]+(:(\d{1,5}|\*))?$/.test(src)) problems.push(`NODE_CONNECT_SRC: "${src}" is not a ws:// or wss:// source such as wss://*.media.example.com`);
  }
  return {
    connectSrc,
    heartbeatTimeoutMs: int('NODE_HEARTBEAT_TIMEOUT_MS', 6_000, 200, 600_000),
    probeTimeoutMs: int('NODE_PROBE_TIMEOUT_MS', 1_000, 50, 30_000),
    placementPolicy: PLACEMENT_POLICIES.includes(policy) ? policy : 'least_loaded',
    defaultDrainDeadlineSeconds: drain === 0 ? null : drain,
  };
}
