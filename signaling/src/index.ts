export { loadSignalingConfig, SignalingConfigError, SIGNALING_SECRET_VARS, type SignalingConfig } from './config.ts';
export { createSignalingServer, type SignalingServer } from './server.ts';
export { createLog, LOG_REDACT_PATHS, type Logger, type LogFn, type LogLevel } from './log.ts';
export { guardProcess } from './process-guard.ts';
