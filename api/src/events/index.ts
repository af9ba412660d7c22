export * from './event.ts';
export * from './signature.ts';
