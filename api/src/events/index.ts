export * from './event.ts';
export * from './signature.ts';
export * from './hook-outcome.ts';
