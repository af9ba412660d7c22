// The lesson's whiteboard on the media node: the merged Yjs document both sides write to. The
// node applies every update before relaying it, so a late joiner or a reconnecting client gets
// what it lacks from one state-vector diff (`sync`). Bounds: one update ≤ MAX_BOARD_UPDATE_BYTES
// (schema + here), the lesson's doc ≤ maxDocBytes (`board_full`), the per-seat rate in
// transport/rate-limiter.ts. The tutor's lock is enforced here: the student's updates are
// refused, whatever its UI does. The doc is persisted through the API (BoardStore) a moment
// after changes and when the room closes; a new node restores it from there before answering.
import * as Y from 'yjs';
import { MAX_BOARD_UPDATE_BYTES, type BoardState, type Notification, type Role } from '../protocol/index.ts';
import type { Logger } from '../log.ts';
import { RoomError } from './seat.ts';

export interface BoardLimits {
  /** BOARD_MAX_DOC_BYTES: the lesson's whiteboard budget (Yjs encoding, history included). */
  maxDocBytes: number;
  /** BOARD_PERSIST_MS: how soon after a change the doc is saved through the API. */
  persistMs: number;
}

export const DEFAULT_BOARD_LIMITS: BoardLimits = { maxDocBytes: 4 * 1024 * 1024, persistMs: 2_000 };

/** What a Room's deps carry for its board (BOARD_MAX_DOC_BYTES, BOARD_PERSIST_MS). */
export interface RoomBoardDeps {
  board?: BoardLimits | undefined;
}

/** Where the doc lives between nodes (the API, api-client.ts). */
export interface BoardStore {
  loadBoard(sessionId: string): Promise<{ state: Uint8Array; locked: boolean } | null>;
  saveBoard(sessionId: string, state: Uint8Array, locked: boolean): Promise<void>;
}

export interface BoardDeps {
  store: BoardStore;
  /** Default: DEFAULT_BOARD_LIMITS. */
  limits?: BoardLimits | undefined;
  notify(role: Role, n: Notification): void;
  broadcast(n: Notification): void;
  log?: Logger | undefined;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const other = (role: Role): Role => (role === 'tutor' ? 'student' : 'tutor');

export class RoomBoard {
  private readonly sessionId: string;
  private readonly deps: BoardDeps;
  private doc: Y.Doc | null = null;
  private loading: Promise<Y.Doc> | null = null;
  /** Upper bound of the doc's encoded size: its size when loaded/saved plus every update since. */
  private bytes = 0;
  private locked = false;
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;
  private closed = false;

  private readonly limits: BoardLimits;

  constructor(sessionId: string, deps: BoardDeps) {
    this.sessionId = sessionId;
    this.deps = deps;
    this.limits = deps.limits ?? DEFAULT_BOARD_LIMITS;
  }

  /** The doc, restored from the API first. Nothing is answered or saved before that succeeded. */
  private open(): Promise<Y.Doc> {
    if (this.doc) return Promise.resolve(this.doc);
    this.loading ??= (async () => {
      let saved;
      try {
        saved = await this.deps.store.loadBoard(this.sessionId);
      } catch (err) {
        this.loading = null; // the next request asks again
        this.deps.log?.warn({ error: (err as Error).message }, 'whiteboard restore failed');
        throw new RoomError('service_unavailable', 'the whiteboard cannot be restored right now, try again shortly');
      }
      const doc = new Y.Doc();
      if (saved) {
        Y.applyUpdate(doc, saved.state, 'restore');
        this.bytes = saved.state.byteLength;
        this.locked = saved.locked;
      }
      this.doc = doc;
      return doc;
    })();
    return this.loading;
  }

  /** What a client with state vector `sv` lacks, plus the node's own state vector. */
  async sync(svBase64: string): Promise<BoardState> {
    const doc = await this.open();
    let update: Uint8Array;
    try {
      update = Y.encodeStateAsUpdate(doc, svBase64 ? Buffer.from(svBase64, 'base64') : undefined);
    } catch {
      throw new RoomError('invalid_message', 'not a valid whiteboard state vector');
    }
    return { update: b64(update), sv: b64(Y.encodeStateVector(doc)), locked: this.locked, bytes: this.bytes, maxBytes: this.limits.maxDocBytes };
  }

  /** Applies one update from `role` and relays it to the other side. */
  async update(role: Role, updateBase64: string): Promise<{ bytes: number }> {
    const doc = this.doc ?? (await this.open());
    if (this.closed) throw new RoomError('lesson_ended', 'this lesson has ended');
    if (this.locked && role === 'student') throw new RoomError('board_locked', 'the tutor has locked the whiteboard');
    const update = Buffer.from(updateBase64, 'base64');
    if (update.byteLength > MAX_BOARD_UPDATE_BYTES) throw new RoomError('payload_too_large', `a whiteboard update is limited to ${MAX_BOARD_UPDATE_BYTES} bytes`);
    const max = this.limits.maxDocBytes;
    if (this.bytes + update.byteLength > max) throw new RoomError('board_full', `this lesson's whiteboard is full (${Math.round(max / 1024)} KB): clear a page to go on`);
    try {
      Y.applyUpdate(doc, update, role);
    } catch {
      throw new RoomError('invalid_message', 'not a valid whiteboard update');
    }
    this.bytes += update.byteLength;
    this.deps.notify(other(role), { t: 'board.update', from: role, update: updateBase64 });
    this.changed();
    return { bytes: this.bytes };
  }

  /** Tutor only: while locked the node refuses the student's updates. */
  setLocked(role: Role, locked: boolean): { locked: boolean } {
    if (role !== 'tutor') throw new RoomError('forbidden', 'only the tutor can lock the whiteboard');
    if (this.locked !== locked) {
      this.locked = locked;
      this.deps.broadcast({ t: 'board.lock', locked });
      if (this.doc) this.changed();
    }
    return { locked };
  }

  /** The room closes: the last changes are saved (awaited by tests and node shutdown). */
  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.persist();
  }

  /** Operator/test view. */
  snapshot(): { bytes: number; locked: boolean; state: string | null } {
    return { bytes: this.bytes, locked: this.locked, state: this.doc ? b64(Y.encodeStateAsUpdate(this.doc)) : null };
  }

  private changed(): void {
    this.dirty = true;
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.persist();
    }, this.limits.persistMs);
    this.timer.unref?.();
  }

  /** Saves one at a time; a failed save stays dirty and is tried again after persistMs. */
  private persist(): Promise<void> {
    this.saving = this.saving.then(async () => {
      if (!this.dirty || !this.doc) return;
      this.dirty = false;
      const state = Y.encodeStateAsUpdate(this.doc);
      const before = this.bytes;
      try {
        await this.deps.store.saveBoard(this.sessionId, state, this.locked);
        // The true size now (plus whatever arrived while saving).
        this.bytes = state.byteLength + (this.bytes - before);
      } catch (err) {
        this.deps.log?.warn({ error: (err as Error).message }, 'whiteboard save failed, will retry');
        this.dirty = true;
        if (!this.closed) this.changed();
      }
    });
    return this.saving;
  }
}
