// This process as one node of many: registration and load (NodeAgent), the drain deadline the
// API sets (participants are told to reconnect elsewhere), and SIGTERM: drain, wait for lessons
// to finish up to SHUTDOWN_DRAIN_DEADLINE_MS, move the rest, leave the registry.
import type { WorkerPool } from '@duet/sfu';
import type { RoomRegistry } from '../room/registry.ts';
import { NodeAgent, type Directive, type NodeLoadFigures } from './node-agent.ts';
import type { NodeConfig } from './node-config.ts';

type Log = (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;

export interface MediaNodeRuntime {
  readonly agent: NodeAgent | null;
  /** Draining or shutting down: /readyz answers 503 so load balancers stop sending people here. */
  readonly draining: boolean;
  /** Lessons moved to other nodes so far (metrics). */
  readonly relocatedRooms: number;
  sampleLoad(): Promise<NodeLoadFigures>;
  start(): void;
  /** SIGTERM path; resolves once no lesson is left here. */
  shutdown(deadlineMs: number): Promise<void>;
  stop(): Promise<void>;
}

export function createMediaNodeRuntime(o: {
  node: NodeConfig | null;
  apiUrl: string;
  secret: string;
  pool: WorkerPool;
  registry: RoomRegistry;
  participants(): number;
  log: Log;
}): MediaNodeRuntime {
  let drainTimer: ReturnType<typeof setTimeout> | undefined;
  let shuttingDown = false;
  let relocatedRooms = 0;

  async function sampleLoad(): Promise<NodeLoadFigures> {
    const workers = await o.pool.sample();
    const sum = (k: 'consumers' | 'cpuPercent' | 'bitrateBps') => workers.reduce((n, w) => n + w[k], 0);
    return {
      lessons: o.registry.all().length,
      participants: o.participants(),
      consumers: sum('consumers'),
      cpu_percent: Math.round(sum('cpuPercent') * 10) / 10,
      bitrate_bps: Math.round(sum('bitrateBps')),
      workers: workers.length,
    };
  }

  function relocateAll(reason: 'node_drained' | 'node_shutdown'): void {
    o.registry.refusing = reason === 'node_drained' ? 'this media node is drained; ask the lesson service again' : 'this media node is shutting down; ask the lesson service again';
    const rooms = o.registry.all();
    if (rooms.length > 0) o.log('info', 'moving lessons to other nodes', { reason, lessons: rooms.length });
    for (const room of rooms) {
      relocatedRooms++;
      room.relocate(reason);
    }
  }

  function onDirective(d: Directive): void {
    clearTimeout(drainTimer);
    if (shuttingDown) return;
    if (d.state === 'active') {
      o.registry.refusing = null;
      o.log('info', 'node active');
      return;
    }
    o.log('info', 'node draining', { deadline: d.drainDeadline?.toISOString() ?? null });
    if (!d.drainDeadline) return;
    const fire = () => relocateAll('node_drained');
    const wait = d.drainDeadline.getTime() - Date.now();
    if (wait <= 0) fire();
    else {
      drainTimer = setTimeout(fire, wait);
      drainTimer.unref();
    }
  }

  const agent = o.node ? new NodeAgent({ node: o.node, apiUrl: o.apiUrl, secret: o.secret, sampleLoad, onDirective, log: o.log }) : null;

  return {
    agent,
    get draining() {
      return shuttingDown || agent?.directive.state === 'draining';
    },
    get relocatedRooms() {
      return relocatedRooms;
    },
    sampleLoad,
    start: () => agent?.start(),
    async shutdown(deadlineMs) {
      if (shuttingDown) return;
      shuttingDown = true;
      clearTimeout(drainTimer);
      o.log('info', 'shutting down: draining', { lessons: o.registry.all().length, deadlineMs });
      await agent?.drain(deadlineMs, 'shutdown').catch((err: Error) => o.log('warn', 'could not tell the API about the drain', { error: err.message }));
      const until = Date.now() + deadlineMs;
      while (o.registry.all().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      // Leave the registry first, so the participants' next join lands on another node at once.
      await agent?.stop();
      await agent?.deregister().catch((err: Error) => o.log('warn', 'could not deregister', { error: err.message }));
      relocateAll('node_shutdown');
    },
    async stop() {
      clearTimeout(drainTimer);
      await agent?.stop();
    },
  };
}
