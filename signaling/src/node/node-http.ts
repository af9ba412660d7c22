// Operator endpoints every media node answers besides /healthz: /readyz (ready for new lessons)
// and /metrics (Prometheus text). Returns false for paths it does not own.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MediaNodeRuntime } from './media-node.ts';
import { bearerMatches } from '@duet/api/secrets';

export interface NodeHttpDeps {
  runtime: MediaNodeRuntime;
  workers(): number;
  metrics?: { contentType: string; render(): Promise<string> };
  /** A reason not to take new lessons because of the disk (see @duet/api/free-disk), or undefined. */
  disk?(): Promise<string | undefined>;
  /** METRICS_TOKEN: /metrics answers 401 without it. */
  metricsToken?: string | null;
}

export async function handleNodeHttp(req: IncomingMessage, res: ServerResponse, deps: NodeHttpDeps): Promise<boolean> {
  if (req.method !== 'GET') return false;
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/readyz') {
    const agent = deps.runtime.agent;
    const reasons: string[] = [];
    if (deps.workers() === 0) reasons.push('no mediasoup worker');
    if (deps.runtime.draining) reasons.push('draining');
    if (agent && !agent.isRegistered) reasons.push('not registered with the API yet');
    const disk = await deps.disk?.();
    if (disk) reasons.push(disk);
    res.writeHead(reasons.length === 0 ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready: reasons.length === 0, reasons }));
    return true;
  }
  if (path === '/metrics' && deps.metrics) {
    if (deps.metricsToken && !bearerMatches(req.headers.authorization, deps.metricsToken)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'unauthorized', message: 'Authorization: Bearer <METRICS_TOKEN> is required' } }));
      return true;
    }
    const body = await deps.metrics.render();
    res.writeHead(200, { 'content-type': deps.metrics.contentType }).end(body);
    return true;
  }
  return false;
}
