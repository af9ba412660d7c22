// Chat from this side: a message shows as pending until the server confirms it is stored; a
// failed one can be sent again with the same id (the server dedupes), and is retried on resume.
import type { ChatMessage } from '@duet/signaling/protocol';
import type { SignalingClient } from './lib/signaling-client.ts';
import type { Store } from './lib/store.ts';
import type { RoomState } from './room-state.ts';

export class ChatOutbox {
  private readonly state: Store<RoomState>;
  private readonly sig: () => SignalingClient | undefined;

  constructor(state: Store<RoomState>, sig: () => SignalingClient | undefined) {
    this.state = state;
    this.sig = sig;
  }

  /** Sends a chat message; it shows as pending until the server confirms it is stored. */
  async send(text: string): Promise<void> {
    const trimmed = text.trim();
    if (!trimmed) return;
    const id = crypto.randomUUID();
    this.state.set({ chatPending: [...this.state.get().chatPending, { id, text: trimmed, failed: false }] });
    await this.deliverChat(id, trimmed);
  }

  private async deliverChat(id: string, text: string): Promise<void> {
    try {
      const { message } = await this.sig()!.request('chat.send', { messageId: id, text });
      this.add(message);
    } catch {
      this.state.set({ chatPending: this.state.get().chatPending.map((p) => (p.id === id ? { ...p, failed: true } : p)) });
    }
  }

  /** Sends a chat message that failed again, with the same id (the server dedupes). */
  async retry(id: string): Promise<void> {
    const p = this.state.get().chatPending.find((x) => x.id === id);
    if (!p || !this.sig()) return;
    this.state.set({ chatPending: this.state.get().chatPending.map((x) => (x.id === id ? { ...x, failed: false } : x)) });
    await this.deliverChat(id, p.text);
  }

  add(message: ChatMessage): void {
    const { chat, chatPending } = this.state.get();
    this.state.set({
      chat: chat.some((m) => m.id === message.id) ? chat : [...chat, message],
      chatPending: chatPending.filter((p) => p.id !== message.id),
    });
  }

  /** After a resume: the messages that failed go out again. */
  retryFailed(): void {
    for (const p of this.state.get().chatPending) if (p.failed) void this.deliverChat(p.id, p.text);
  }
}
