// Last line of defence for a long-running role (api, signaling, recorder, all-in-one). An uncaught
// exception means some handler stopped half-way through changing shared state (a room, a queue, a
// manifest): running on would serve lessons from that unknown state. So the error is logged and
// the process ends with EXIT_UNCAUGHT; the supervisor (systemd Restart=, compose restart:, the
// kubelet) starts a clean one, which recovers from what is on disk and in the API (hook spool,
// recording manifests, failover of lessons). A rejected promise nobody handled is logged at error
// and the process goes on: it is confined to the promise chain that produced it.
export const EXIT_UNCAUGHT = 70; // EX_SOFTWARE

export type GuardLog = (msg: string, extra: Record<string, unknown>) => void;

export function guardProcess(log: GuardLog, opts: { exit?: (code: number) => void } = {}): void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  process.on('unhandledRejection', (reason) => {
    try {
      log('unhandled rejection', { error: reason instanceof Error ? reason.stack : String(reason) });
    } catch {
      // the log itself failed: nothing more to do for a rejection
    }
  });
  process.on('uncaughtException', (err, origin) => {
    try {
      log('uncaught exception: exiting so the supervisor restarts this process', { error: err?.stack ?? String(err), origin, exitCode: EXIT_UNCAUGHT });
    } catch {
      // the log itself threw: still exit below
    }
    // Also on stderr, synchronously: the structured log may be a stream that never flushes now.
    try {
      process.stderr.write(`fatal: uncaught exception, exiting with ${EXIT_UNCAUGHT}: ${err?.message ?? String(err)}\n`);
    } catch {
      // stderr closed
    }
    exit(EXIT_UNCAUGHT);
  });
}
