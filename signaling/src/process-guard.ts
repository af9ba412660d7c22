// The media node uses the shared process guard: an uncaught exception ends the process (the
// supervisor restarts it), a stray rejection is logged. See api/src/ops/process-guard.ts.
export { EXIT_UNCAUGHT, guardProcess } from '@duet/api/process-guard';
