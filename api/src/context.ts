// What services need from the running server, passed explicitly (no module-level state), so tests
// and several servers in one process never share anything by accident.
import type { Logger } from 'pino';
import type { ApiConfig } from './config.ts';
import type { Sql } from './db/connect.ts';
import type { ObjectStore } from './storage/object-store.ts';

export interface AppContext {
  config: ApiConfig;
  sql: Sql;
  /** Object storage (resources, recordings). */
  objects: ObjectStore;
  log: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  now(): Date;
  /** Base URL for join links (PUBLIC_URL, or the address actually listened on). */
  publicUrl(): string;
  /** Called after a commit that wrote outbox rows, so delivery starts without waiting for a poll. */
  eventsCommitted(): void;
}
