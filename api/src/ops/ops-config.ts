// Operations settings of the API process (env): graceful shutdown and metrics.
export interface OpsConfig {
  /** SIGTERM: in-flight requests and webhook attempts get this long before the process exits anyway. */
  shutdownDeadlineMs: number;
  /** Serve Prometheus metrics at /metrics (METRICS_ENABLED=false turns it off). */
  metricsEnabled: boolean;
  /** When set, /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
  metricsToken: string | null;
}

type Env = Record<string, string | undefined>;

export function loadOpsConfig(env: Env, problems: string[]): OpsConfig {
  const raw = env.SHUTDOWN_DEADLINE_MS?.trim();
  let shutdownDeadlineMs = 10_000;
  if (raw) {
    if (!/^\d+$/.test(raw) || Number(raw) < 100 || Number(raw) > 3_600_000) problems.push(`SHUTDOWN_DEADLINE_MS must be an integer between 100 and 3600000 (got "${raw}")`);
    else shutdownDeadlineMs = Number(raw);
  }
  const enabled = env.METRICS_ENABLED?.trim().toLowerCase();
  if (enabled && !['true', 'false', '1', '0'].includes(enabled)) problems.push(`METRICS_ENABLED must be true or false (got "${enabled}")`);
  const token = env.METRICS_TOKEN?.trim() || null;
  // Its strength is checked with every other secret (API_SECRET_VARS in api/src/config.ts).
  return { shutdownDeadlineMs, metricsEnabled: enabled !== 'false' && enabled !== '0', metricsToken: token };
}
