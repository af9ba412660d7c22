// A room's chat: each message is stored through the API first (idempotent by its id), then
// relayed; the last 200 are kept in memory so a (re)joining participant gets the history at once.
import type { ChatMessage, Role } from '../protocol/index.ts';
import type { ApiClient } from '../api-client.ts';
import type { Logger } from '../log.ts';
import { RoomError } from './seat.ts';

const KEPT = 200;

export class RoomChat {
  private readonly lessonId: string;
  private readonly api: ApiClient;
  private readonly log: Logger | undefined;
  /** undefined: the API could not say when the room opened; asked again on the next join. */
  private messages: ChatMessage[] | undefined;

  constructor(lessonId: string, api: ApiClient, history: ChatMessage[] | undefined, log: Logger | undefined) {
    this.lessonId = lessonId;
    this.api = api;
    this.log = log;
    this.messages = history ? [...history] : undefined;
  }

  /** Stores the message; the caller relays what comes back (the stored copy). */
  async store(sender: { role: Role; userId: string; name: string }, messageId: string, text: string): Promise<ChatMessage> {
    let message: ChatMessage;
    try {
      message = await this.api.postChat(this.lessonId, { id: messageId, role: sender.role, userId: sender.userId, name: sender.name, text, sentAt: new Date().toISOString() });
    } catch (err) {
      this.log?.warn({ role: sender.role, error: (err as Error).message }, 'chat message not stored');
      throw new RoomError('service_unavailable', 'the message could not be stored; send it again');
    }
    if (this.messages && !this.messages.some((m) => m.id === message.id)) {
      this.messages.push(message);
      if (this.messages.length > KEPT) this.messages.splice(0, this.messages.length - KEPT);
    }
    return message;
  }

  /** Chat so far, oldest first, for a (re)joining participant (empty if the API cannot say). */
  async history(): Promise<ChatMessage[]> {
    if (!this.messages) {
      try {
        // Messages stored meanwhile are in the API's answer too (they are stored before relaying).
        this.messages = await this.api.chatHistory(this.lessonId);
      } catch (err) {
        this.log?.warn({ error: (err as Error).message }, 'chat history unavailable');
        return [];
      }
    }
    return [...this.messages];
  }
}
