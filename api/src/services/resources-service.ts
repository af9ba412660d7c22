// Lesson resources: the tutor (or the marketplace) uploads files, both participants list and
// download them through short-lived signed URLs. Bytes go to object storage first; the index row
// and the resource.uploaded event are committed after, so a listed file always exists.
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { newEvent } from '../events/event.ts';
import { contentMatches, detectContentType, peekStream } from '../domain/content-sniff.ts';
import { keySafeFilename, sanitizeFilename } from '../domain/filenames.ts';
import type { Session } from '../domain/session.ts';
import { deleteResource, findResource, insertResource, listResources, type ResourceRow } from '../repositories/resources-repo.ts';
import type { Caller } from './auth-service.ts';
import { recordEvent } from './outbox-service.ts';
import { resourceUsage } from '../repositories/quota-repo.ts';
import { quotaExceeded, underQuotaLock } from './quota-service.ts';
import { seatFor, signedUrl, type SeatBinding } from './signed-urls.ts';

export function resourceContentPath(sessionId: string, resourceId: string): string {
  return `/v1/sessions/${encodeURIComponent(sessionId)}/resources/${resourceId}/content`;
}

/** `seat`: the participant link the download URL is minted for (it dies with it); null for the API key. */
export function resourceJson(ctx: AppContext, r: ResourceRow, seat: SeatBinding | null) {
  const { url, expiresAt } = signedUrl(ctx, resourceContentPath(r.session_id, r.id), seat);
  return {
    id: r.id,
    filename: r.filename,
    content_type: r.content_type,
    size_bytes: Number(r.size_bytes),
    uploaded_by: { role: r.uploaded_by_role, user_id: r.uploaded_by_user_id },
    created_at: r.created_at.toISOString(),
    url,
    url_expires_at: expiresAt.toISOString(),
  };
}

/** The tutor of the lesson, or the marketplace with its API key. */
export function assertCanUpload(caller: Caller): void {
  if (caller.kind === 'participant' && caller.claims.role !== 'tutor') {
    throw new ApiError(403, 'tutor_only', 'only the tutor can share files');
  }
}

export function normalizeContentType(raw: string | undefined): string {
  return (raw ?? '').split(';')[0]!.trim().toLowerCase();
}

export function allowedContentType(ctx: AppContext, type: string): boolean {
  return ctx.config.resourceContentTypes.some((t) => t === type || (t.endsWith('/*') && type.startsWith(t.slice(0, -1))));
}

/**
 * Before reading an upload: the lesson has room for one more file (RESOURCES_MAX_PER_LESSON) and
 * some bytes (RESOURCES_MAX_BYTES_PER_LESSON). Returns how many bytes this file may have at most,
 * so the stream is cut there; the totals are checked again under a lock before the row is written.
 */
export async function uploadBudget(ctx: AppContext, session: Session, caller: Caller): Promise<number> {
  assertCanUpload(caller);
  const usage = await resourceUsage(ctx.sql, session.id);
  checkResourceQuota(ctx, usage, 0);
  return Math.min(ctx.config.resourceMaxBytes, ctx.config.limits.resourcesMaxTotalBytes - usage.bytes);
}

function checkResourceQuota(ctx: AppContext, usage: { count: number; bytes: number }, adding: number): void {
  const { resourcesMaxCount: maxCount, resourcesMaxTotalBytes: maxBytes } = ctx.config.limits;
  if (usage.count >= maxCount) throw quotaExceeded('resources_per_lesson', maxCount, `a lesson shares at most ${maxCount} files (RESOURCES_MAX_PER_LESSON)`);
  if (usage.bytes + adding > maxBytes || (adding === 0 && usage.bytes >= maxBytes)) {
    throw quotaExceeded('resource_bytes_per_lesson', maxBytes, `a lesson shares at most ${maxBytes} bytes in all (RESOURCES_MAX_BYTES_PER_LESSON)`, 413);
  }
}

export interface Upload {
  filename: string | undefined;
  contentType: string;
  stream: NodeJS.ReadableStream;
  /** True once the stream was cut at the size limit. */
  truncated(): boolean;
  /** The limit the stream was cut at (uploadBudget). */
  maxBytes: number;
}

export async function uploadResource(ctx: AppContext, session: Session, caller: Caller, upload: Upload) {
  assertCanUpload(caller);
  if (session.status === 'archived') throw new ApiError(409, 'lesson_archived', 'an archived lesson takes no new files');
  const contentType = normalizeContentType(upload.contentType);
  if (!allowedContentType(ctx, contentType)) {
    // Drain the rest of the part so the connection can answer cleanly.
    (upload.stream as NodeJS.ReadableStream & { resume(): void }).resume();
    throw new ApiError(415, 'content_type_not_allowed', `files of type "${contentType || 'unknown'}" cannot be shared`, {
      allowed: ctx.config.resourceContentTypes,
    });
  }
  const stream = await checkContent(contentType, upload.stream);
  const id = randomUUID();
  const filename = sanitizeFilename(upload.filename);
  const key = `resources/sessions/${session.id}/${id}/${keySafeFilename(filename)}`;
  let size: number;
  try {
    ({ size } = await ctx.objects.put(key, stream, { contentType }));
  } catch (err) {
    await ctx.objects.delete(key).catch(() => {});
    if (upload.truncated() || (err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(ctx, upload.maxBytes);
    throw err;
  }
  if (upload.truncated()) {
    await ctx.objects.delete(key).catch(() => {});
    throw tooLarge(ctx, upload.maxBytes);
  }
  const uploader = caller.kind === 'participant' ? { role: 'tutor' as const, userId: caller.claims.userId } : { role: 'service' as const, userId: null };
  let row: ResourceRow;
  try {
    row = await underQuotaLock(ctx, `resources:${session.id}`, async (tx) => {
      checkResourceQuota(ctx, await resourceUsage(tx, session.id), size);
      const inserted = await insertResource(tx, {
        id,
        session_id: session.id,
        filename,
        content_type: contentType,
        size_bytes: size,
        storage_key: key,
        uploaded_by_role: uploader.role,
        uploaded_by_user_id: uploader.userId,
      });
      await recordEvent(
        ctx,
        tx,
        newEvent('resource.uploaded', session.id, {
          resource_id: id,
          filename,
          content_type: contentType,
          size_bytes: size,
          uploaded_by: { role: uploader.role, user_id: uploader.userId },
        }, inserted.created_at),
      );
      return inserted;
    });
  } catch (err) {
    await ctx.objects.delete(key).catch(() => {});
    throw err;
  }
  ctx.eventsCommitted();
  ctx.log.info({ session_id: session.id, resourceId: id, size }, 'resource uploaded');
  return { resource: resourceJson(ctx, row, seatFor(caller)) };
}

/** The content must fit the claimed type (magic bytes, content-sniff.ts); the stream replays from its start. */
async function checkContent(contentType: string, source: NodeJS.ReadableStream): Promise<NodeJS.ReadableStream> {
  const { head, stream } = await peekStream(source);
  if (contentMatches(contentType, head)) return stream;
  stream.resume(); // drain the rest so the connection can answer cleanly
  const detected = detectContentType(head);
  throw new ApiError(415, 'content_type_mismatch', `the file's content is not ${contentType}${detected ? ` (it looks like ${detected})` : ''}`, {
    claimed: contentType,
    detected,
  });
}

function tooLarge(ctx: AppContext, maxBytes: number): ApiError {
  // Cut below RESOURCE_MAX_BYTES: the lesson's total is what ran out.
  if (maxBytes < ctx.config.resourceMaxBytes) {
    const limit = ctx.config.limits.resourcesMaxTotalBytes;
    return quotaExceeded('resource_bytes_per_lesson', limit, `a lesson shares at most ${limit} bytes in all (RESOURCES_MAX_BYTES_PER_LESSON)`, 413);
  }
  return new ApiError(413, 'file_too_large', `a shared file is at most ${ctx.config.resourceMaxBytes} bytes`, {
    max_bytes: ctx.config.resourceMaxBytes,
  });
}

export async function listLessonResources(ctx: AppContext, session: Session, caller: Caller) {
  return { resources: (await listResources(ctx.sql, session.id)).map((r) => resourceJson(ctx, r, seatFor(caller))) };
}

export async function getResource(ctx: AppContext, session: Session, id: string): Promise<ResourceRow> {
  const r = await findResource(ctx.sql, session.id, id);
  if (!r) throw new ApiError(404, 'resource_not_found', 'resource not found');
  return r;
}

export async function removeResource(ctx: AppContext, session: Session, caller: Caller, id: string): Promise<void> {
  assertCanUpload(caller);
  const r = await getResource(ctx, session, id);
  await deleteResource(ctx.sql, r.id);
  await ctx.objects.delete(r.storage_key);
}
