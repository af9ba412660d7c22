// Keeps this side's Yjs doc in step with the media node: a state-vector sync when the board opens
// and after every reconnect (the answer is what this side lacks; this side then sends what the
// node lacks), local changes coalesced and sent at most every SEND_EVERY_MS (the node's per-seat
// rate), the other side's updates applied as they arrive. A refusal (locked, full, too large) is
// reported, and the doc is rebuilt from the node so nothing refused lingers on this screen only.
import * as Y from 'yjs';
import { MAX_BOARD_UPDATE_BYTES } from '@duet/signaling/protocol';
import type { BoardLink } from './board-link.ts';
import { fromBase64, REMOTE, toBase64 } from './board-doc.ts';

const SEND_EVERY_MS = 40;

export interface BoardSyncState {
  locked: boolean;
  bytes: number;
  maxBytes: number;
  /** A refusal code from the node (board_locked, board_full, payload_too_large...) or 'offline'. */
  error: string | null;
  synced: boolean;
}

export class BoardSync {
  doc: Y.Doc;
  private readonly link: BoardLink;
  private readonly onState: (s: Partial<BoardSyncState>) => void;
  private readonly onReset: (doc: Y.Doc) => void;
  private pending: Uint8Array[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSent = 0;
  private synced = false;
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private readonly offs: (() => void)[] = [];
  private readonly onUpdate = (u: Uint8Array, origin: unknown) => {
    if (origin !== REMOTE) this.queue(u);
  };

  constructor(link: BoardLink, onState: (s: Partial<BoardSyncState>) => void, onReset: (doc: Y.Doc) => void) {
    this.link = link;
    this.onState = onState;
    this.onReset = onReset;
    this.doc = new Y.Doc();
    this.doc.on('update', this.onUpdate);
    this.offs.push(
      link.on((n) => {
        if (n.t === 'board.lock') this.onState({ locked: n.locked });
        else if (this.synced) {
          try {
            Y.applyUpdate(this.doc, fromBase64(n.update), REMOTE);
          } catch {
            void this.reset();
          }
        }
      }),
      link.onResumed(() => void this.sync()),
    );
  }

  /** Sync with the node: take what this side lacks, then send what the node lacks. */
  async sync(keepError = false): Promise<void> {
    clearTimeout(this.retry);
    try {
      const s = await this.link.sync(toBase64(Y.encodeStateVector(this.doc)));
      Y.applyUpdate(this.doc, fromBase64(s.update), REMOTE);
      this.synced = true;
      this.onState({ locked: s.locked, bytes: s.bytes, maxBytes: s.maxBytes, synced: true, ...(keepError ? {} : { error: null }) });
      const missing = Y.encodeStateAsUpdate(this.doc, fromBase64(s.sv));
      this.pending = [];
      if (missing.byteLength > 2) this.queue(missing);
    } catch {
      this.onState({ error: 'offline' });
      // Not connected yet (or the node could not restore the board): try again shortly.
      if (!this.closed) this.retry = setTimeout(() => void this.sync(keepError), 2_000);
    }
  }

  private queue(u: Uint8Array): void {
    this.pending.push(u);
    if (this.timer || !this.synced) return;
    const wait = Math.max(0, this.lastSent + SEND_EVERY_MS - performance.now());
    this.timer = setTimeout(() => void this.flush(), wait);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const merged = Y.mergeUpdates(this.pending);
    // One update per send; a batch too big for one message goes as its parts.
    const parts = merged.byteLength <= MAX_BOARD_UPDATE_BYTES ? [merged] : this.pending;
    this.pending = [];
    this.lastSent = performance.now();
    for (const part of parts) {
      try {
        const res = await this.link.update(toBase64(part));
        this.onState({ bytes: res.bytes, error: null });
      } catch (err) {
        const code = (err as { code?: string }).code;
        // Not connected: the sync after the reconnect sends everything the node lacks.
        if (!code) return this.onState({ error: 'offline' });
        this.onState({ error: code === 'invalid_message' ? 'payload_too_large' : code });
        return this.reset();
      }
    }
  }

  /** Drops local changes the node refused: a fresh doc, synced from the node. */
  private async reset(): Promise<void> {
    this.doc.off('update', this.onUpdate);
    this.doc.destroy();
    this.doc = new Y.Doc();
    this.doc.on('update', this.onUpdate);
    this.synced = false;
    this.pending = [];
    this.onReset(this.doc);
    await this.sync(true);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    clearTimeout(this.timer);
    void this.flush();
    for (const off of this.offs) off();
  }
}
