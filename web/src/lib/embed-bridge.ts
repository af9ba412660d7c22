// The room's side of @duet/embed: events to the embedding page, commands from it, over
// postMessage with the origin checked both ways. The allowed origins are the API's
// FRAME_ANCESTORS, which the API writes into the page (<meta name="duet-embed-origins">).
// - Events go to one origin, never `*`: the parent's origin as the browser reports it
//   (location.ancestorOrigins, Chromium/WebKit) or as proven by the host's `hello` message
//   (event.origin, any browser), and only when that origin is allowed.
// - Commands are taken only from window.parent, from an allowed origin, and only the known ones.
import type { RoomController } from '../room-controller.ts';
import { applyTheme, type PageConfig } from './page-config.ts';

export const EVENT_SOURCE = 'duet';
export const HOST_SOURCE = 'duet-host';

/** Analytics events also announced under the embed API's names. */
const ALIASES: Record<string, string> = { session_joined: 'joined', feedback_submitted: 'feedback', tech_issue: 'error' };

export type EmbedCommand = 'leave' | 'end' | 'mute' | 'camera' | 'theme';

export function allowedEmbedOrigins(doc: Document = document): string[] {
  const content = doc.querySelector('meta[name="duet-embed-origins"]')?.getAttribute('content') ?? '';
  return content.split(/\s+/).filter((o) => /^https?:\/\/[^/\s]+$/.test(o));
}

export class EmbedBridge {
  private readonly parent: Window;
  private readonly allowed: ReadonlySet<string>;
  private target: string | null = null;
  private readonly pending: unknown[] = [];
  private room: RoomController | null = null;
  private config: PageConfig | null = null;

  constructor(parent: Window, allowed: readonly string[], ancestorOrigin: string | null) {
    this.parent = parent;
    this.allowed = new Set(allowed);
    if (ancestorOrigin && this.allowed.has(ancestorOrigin)) this.target = ancestorOrigin;
    window.addEventListener('message', (e) => this.onMessage(e));
  }

  /** Wires the commands to the room and the room's end to `left` / `ended`. */
  attach(room: RoomController, config: PageConfig): void {
    this.room = room;
    this.config = config;
    let phase = room.state.get().phase;
    room.state.subscribe((s) => {
      if (s.phase === phase) return;
      phase = s.phase;
      if (s.phase === 'left') this.emit(s.ended ? 'ended' : 'left', s.ended ? { reason: s.ended } : {});
    });
    this.emit('ready', {});
  }

  /** Posts an event (and its embed alias) to the embedding page, if its origin is allowed. */
  emit(type: string, data: Record<string, unknown>, at = new Date()): void {
    const message = { source: EVENT_SOURCE, type, at: at.toISOString(), data };
    this.post(message);
    const alias = ALIASES[type];
    if (alias) this.post({ ...message, type: alias });
  }

  private post(message: unknown): void {
    if (!this.target) {
      if (this.pending.length < 100) this.pending.push(message);
      return;
    }
    try {
      this.parent.postMessage(message, this.target);
    } catch {
      // a parent that went away must not break the room
    }
  }

  private onMessage(e: MessageEvent): void {
    if (e.source !== this.parent || !this.allowed.has(e.origin)) return;
    const m = e.data as { source?: unknown; type?: unknown; command?: unknown; value?: unknown } | null;
    if (!m || typeof m !== 'object' || m.source !== HOST_SOURCE) return;
    if (m.type === 'hello') {
      this.target = e.origin;
      for (const p of this.pending.splice(0)) this.post(p);
      this.post({ source: EVENT_SOURCE, type: 'hello', at: new Date().toISOString(), data: {} });
      return;
    }
    if (m.type === 'command' && typeof m.command === 'string') this.run(m.command as EmbedCommand, m.value);
  }

  private run(command: EmbedCommand, value: unknown): void {
    const room = this.room;
    if (!room) return;
    const s = room.state.get();
    switch (command) {
      case 'leave':
        void room.leave();
        break;
      case 'end':
        // The media node refuses a student's end (forbidden): reported as an error event.
        room.endLesson().catch((err: unknown) => this.emit('error', { error_type: 'end_refused', message: String((err as Error)?.message ?? err) }));
        break;
      case 'mute':
        if (typeof value === 'boolean' && s.micOn === value) room.toggleMic();
        break;
      case 'camera':
        if (typeof value === 'boolean' && s.camOn !== value) room.toggleCam();
        break;
      case 'theme':
        if ((value === 'dark' || value === 'light') && this.config) {
          this.config = { ...this.config, theme: value };
          applyTheme(this.config);
        }
        break;
      default:
        return; // unknown commands are ignored
    }
    this.emit('media', { micOn: room.state.get().micOn, camOn: room.state.get().camOn, command });
  }
}

/** The parent's origin as the browser reports it (not in Firefox: then the host's hello decides). */
export function ancestorOrigin(): string | null {
  const list = (window.location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  return list && list.length > 0 ? (list.item(0) ?? null) : null;
}
