// Per-lesson quotas (LimitsConfig): what one lesson may store at most. A full quota answers
// `quota_exceeded` with the quota's name and limit (409 for counts, 413 for sizes); the error
// metric counts it by code like every other rejected request.
import type { AppContext } from '../context.ts';
import type { Tx } from '../db/connect.ts';
import { ApiError } from '../errors.ts';
import { lockQuota } from '../repositories/quota-repo.ts';

export type QuotaName = 'chat_messages_per_lesson' | 'notes_chars' | 'analytics_events_per_seat' | 'resources_per_lesson' | 'resource_bytes_per_lesson';

export function quotaExceeded(quota: QuotaName, limit: number, message: string, status: 409 | 413 = 409): ApiError {
  return new ApiError(status, 'quota_exceeded', message, { quota, limit });
}

/** Runs `fn` in a transaction holding the quota lock for `key` (e.g. "chat:<lesson id>"). */
export async function underQuotaLock<T>(ctx: AppContext, key: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return ctx.sql.begin(async (tx) => {
    await lockQuota(tx, key);
    return fn(tx);
  }) as Promise<T>;
}
