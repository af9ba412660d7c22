export { loadSignalingConfig, SignalingConfigError, type SignalingConfig } from './config.ts';
export { createSignalingServer, type SignalingServer, type Logger } from './server.ts';
export { guardProcess } from './process-guard.ts';
