// Keeps a broken SFU transport's ICE restarting until it connects again. The path can break under
// a live socket (a cut link, a new address): ICE does not find its way back by itself after an
// address change, and after a long cut the browser gives up.
import type { types } from 'mediasoup-client';
import type { SignalingClient } from '../lib/signaling-client.ts';

/** How often a broken transport's ICE is restarted, and for how long at most. */
const ICE_RETRY_MS = 2_000;
const ICE_WATCH_MAX_MS = 5 * 60_000;

export class IceWatch {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly sig: SignalingClient;
  private readonly isClosed: () => boolean;

  constructor(sig: SignalingClient, isClosed: () => boolean) {
    this.sig = sig;
    this.isClosed = isClosed;
  }

  /** While the transport is not connected, restart its ICE every ICE_RETRY_MS (the server allows one a second). */
  watch(transport: types.Transport): void {
    if (this.timers.has(transport.id)) return;
    const started = Date.now();
    const tick = async () => {
      const state = transport.connectionState;
      if (this.isClosed() || transport.closed || state === 'connected' || state === 'new' || Date.now() - started > ICE_WATCH_MAX_MS) {
        this.timers.delete(transport.id);
        return;
      }
      try {
        // A socket on a cut link may swallow the request: never wait longer than one retry period.
        const { iceParameters } = await Promise.race([
          this.sig.request('sfu.restartIce', { transportId: transport.id }),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer')), ICE_RETRY_MS)),
        ]);
        await transport.restartIce({ iceParameters: iceParameters as unknown as types.IceParameters });
      } catch {
        // No socket right now (it resumes, and resumed() restarts ICE) or too soon: next tick.
      }
      this.timers.set(transport.id, setTimeout(() => void tick(), ICE_RETRY_MS));
    };
    // 'disconnected' often heals by itself within a second or two (a burst of loss): wait first.
    this.timers.set(transport.id, setTimeout(() => void tick(), transport.connectionState === 'failed' ? 0 : ICE_RETRY_MS));
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
