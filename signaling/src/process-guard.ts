// Last line of defence for a long-running process: an unexpected rejection or exception is
// logged, not allowed to take every live lesson down with it.
export function guardProcess(log: (msg: string, extra: Record<string, unknown>) => void): void {
  process.on('unhandledRejection', (reason) => log('unhandled rejection', { error: reason instanceof Error ? reason.stack : String(reason) }));
  process.on('uncaughtException', (err) => log('uncaught exception', { error: err.stack ?? String(err) }));
}
