// The whiteboard's line to the media node, owned by the RoomController (always loaded, tiny):
// board requests on the room's signaling socket, the node's board notifications, and "the socket
// came back" (the board then syncs again). The board itself (Yjs, canvas) loads lazily.
import type { BoardState, Notification } from '@duet/signaling/protocol';
import type { SignalingClient } from '../lib/signaling-client.ts';

export type BoardNotification = Extract<Notification, { t: 'board.update' | 'board.lock' }>;

export class BoardLink {
  private readonly sig: () => SignalingClient | undefined;
  private readonly listeners = new Set<(n: BoardNotification) => void>();
  private readonly resumeListeners = new Set<() => void>();

  constructor(sig: () => SignalingClient | undefined) {
    this.sig = sig;
  }

  private get socket(): SignalingClient {
    const sig = this.sig();
    if (!sig) throw new Error('not connected');
    return sig;
  }

  sync(sv: string): Promise<BoardState> {
    return this.socket.request('board.sync', { sv });
  }

  update(update: string): Promise<{ bytes: number }> {
    return this.socket.request('board.update', { update });
  }

  lock(locked: boolean): Promise<{ locked: boolean }> {
    return this.socket.request('board.lock', { locked });
  }

  on(fn: (n: BoardNotification) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onResumed(fn: () => void): () => void {
    this.resumeListeners.add(fn);
    return () => this.resumeListeners.delete(fn);
  }

  /** From the controller: true when `n` was a board notification. */
  notify(n: Notification): boolean {
    if (n.t !== 'board.update' && n.t !== 'board.lock') return false;
    for (const fn of this.listeners) fn(n);
    return true;
  }

  resumed(): void {
    for (const fn of this.resumeListeners) fn();
  }
}
