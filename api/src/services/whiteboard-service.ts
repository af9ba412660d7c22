// The whiteboard as the API keeps it: saved by the media node during the lesson (so a node that
// dies loses nothing saved), read back by the node that takes the lesson over. The API stores the
// Yjs update as opaque bytes; it is bounded in size and refused for erased lessons.
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { Session } from '../domain/session.ts';
import { erasedAt } from '../repositories/erasure-repo.ts';
import { findWhiteboard, upsertWhiteboard, type WhiteboardRow } from '../repositories/whiteboards-repo.ts';

/** Largest board the API stores: the media node's BOARD_MAX_DOC_BYTES tops out at this. */
export const MAX_STORED_BOARD_BYTES = 16 * 1024 * 1024;

export function loadWhiteboard(ctx: AppContext, session: Session): Promise<WhiteboardRow | null> {
  return findWhiteboard(ctx.sql, session.id);
}

export async function saveWhiteboard(ctx: AppContext, session: Session, state: Uint8Array, locked: boolean): Promise<void> {
  if (state.byteLength === 0) throw new ApiError(400, 'validation_failed', 'the whiteboard state is empty');
  if (state.byteLength > MAX_STORED_BOARD_BYTES) throw new ApiError(413, 'payload_too_large', `a whiteboard is limited to ${MAX_STORED_BOARD_BYTES} bytes`);
  if (await erasedAt(ctx.sql, session.id)) throw new ApiError(409, 'lesson_erased', 'this lesson was erased; its whiteboard is not kept');
  await upsertWhiteboard(ctx.sql, session.id, state, locked);
}
