// Types and wire helpers shared by the signaling server and the web room.
export * from './constants.ts';
export type * from './messages.ts';
export { ERROR_CODES, type ErrorCode } from './errors.ts';
export * from './codec.ts';
