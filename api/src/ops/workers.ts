// API_WORKERS=N: the primary process forks N HTTP workers (node:cluster) that share the listening
// port (the primary hands out connections round-robin) and each run the full API: their own
// database pool, lesson jobs and webhook delivery loop, which are safe side by side (row locks,
// SKIP LOCKED; migrations take an advisory lock). A worker that dies is replaced; SIGTERM/SIGINT
// are passed on, and the primary exits once every worker has shut down gracefully.
import cluster from 'node:cluster';

export interface WorkerSupervisor {
  stop(signal: NodeJS.Signals): void;
}

export function superviseWorkers(
  count: number,
  log: (level: 'info' | 'error', msg: string, fields?: Record<string, unknown>) => void,
): WorkerSupervisor {
  let stopping = false;
  let restarts = 0;
  // Our own list of live workers: cluster.workers keeps a worker until it has both exited and
  // disconnected, in an order Node leaves open, so at the last worker's 'exit' it may still be
  // listed, and the primary then never said it was done.
  const live = new Set<number>();
  const fork = () => live.add(cluster.fork().id);
  for (let i = 0; i < count; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker.id);
    if (stopping) {
      if (live.size === 0) {
        log('info', 'all API workers stopped');
        process.exit(0);
      }
      return;
    }
    log('error', 'API worker exited; starting another', { pid: worker.process.pid, code, signal });
    // A worker that cannot start at all (bad database) must not spin: back off as restarts pile up.
    restarts++;
    setTimeout(() => !stopping && fork(), Math.min(30_000, 250 * 2 ** Math.min(restarts, 7))).unref();
  });
  cluster.on('listening', () => {
    restarts = 0;
  });
  const supervisor: WorkerSupervisor = {
    stop(signal) {
      if (stopping) return;
      stopping = true;
      log('info', 'stopping API workers', { signal });
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
      if (live.size === 0) {
        // Every worker had died and its replacement was still waiting (backoff): nothing to wait for.
        log('info', 'all API workers stopped');
        process.exit(0);
      }
    },
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => supervisor.stop(signal));
  return supervisor;
}
