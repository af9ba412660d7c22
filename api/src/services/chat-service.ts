// Lesson chat: the media node stores each message (idempotent by the sender's id) and reads the
// history when someone (re)joins; participants and the marketplace read it through /v1.
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { seat, type Session } from '../domain/session.ts';
import type { Role } from '../tokens/join-token.ts';
import { insertChatMessage, listChatMessages, type ChatRow } from '../repositories/chat-repo.ts';
import { chatMessageExists, countChatMessages } from '../repositories/quota-repo.ts';
import { quotaExceeded, underQuotaLock } from './quota-service.ts';

export interface ChatInput {
  id: string;
  role: Role;
  user_id: string;
  name: string;
  text: string;
  sent_at: string;
}

export function chatJson(r: ChatRow) {
  return { id: r.id, role: r.role, user_id: r.user_id, name: r.name, text: r.text, sent_at: r.sent_at.toISOString() };
}

export async function storeChatMessage(
  ctx: AppContext,
  session: Session,
  m: ChatInput,
): Promise<{ message: ReturnType<typeof chatJson>; created: boolean }> {
  if (seat(session, m.role).userId !== m.user_id) {
    throw new ApiError(400, 'participant_mismatch', `user ${m.user_id} is not the lesson's ${m.role}`);
  }
  const sentAt = new Date(m.sent_at);
  if (Number.isNaN(sentAt.getTime())) throw new ApiError(400, 'validation_failed', 'sent_at must be an ISO 8601 date-time');
  if (m.text.trim() === '') throw new ApiError(400, 'validation_failed', 'text must not be blank');
  const id = m.id.toLowerCase();
  const max = ctx.config.limits.chatMaxPerLesson;
  const { row, created } = await underQuotaLock(ctx, `chat:${session.id}`, async (tx) => {
    // A retry of a stored message stays idempotent even when the lesson's chat is full.
    if ((await countChatMessages(tx, session.id)) >= max && !(await chatMessageExists(tx, id))) {
      throw quotaExceeded('chat_messages_per_lesson', max, `a lesson keeps at most ${max} chat messages (CHAT_MAX_MESSAGES_PER_LESSON)`);
    }
    return insertChatMessage(tx, {
    id,
    session_id: session.id,
    role: m.role,
    user_id: m.user_id,
    name: m.name,
    text: m.text,
    sent_at: sentAt,
  });
  });
  // The same id reused for another lesson or another text is a sender bug, not a retry.
  if (row.session_id !== session.id || row.text !== m.text || row.user_id !== m.user_id) {
    throw new ApiError(409, 'chat_id_conflict', `chat message ${m.id} already exists with other content`);
  }
  return { message: chatJson(row), created };
}

export async function chatHistory(ctx: AppContext, session: Pick<Session, 'id'>, limit: number) {
  return { messages: (await listChatMessages(ctx.sql, session.id, limit)).map(chatJson) };
}
