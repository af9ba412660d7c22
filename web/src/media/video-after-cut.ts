// After a cut, the picture: the packets sent during the cut are gone, so every frame after it
// refers to frames the other side never got, and it shows nothing until a keyframe. Left alone,
// Chromium's receiver asks for one (PLI) only once its retransmission requests for the gap have
// run out: in the lab, audio was back 0.04-0.27 s after a 5 s cut, video 0.9-1.3 s
// (docs/network-lab.md). Browsers have no "send a keyframe" call on a plain sender, but turning a
// video encoding off and on again makes the encoder start it with a keyframe.
// When to do it: ICE going `disconnected` then `connected` is not enough — the side whose link did
// not break often never sees `disconnected`, or sees it only ~1 s after the link is back. What
// both sides see is media from the other side stopping and starting again: `CutWatch` polls the
// inbound packet count and restarts this side's video the moment packets come again after a gap.

/** Restarts each sending video encoding of `pc` (a keyframe each); errors are ignored. */
export async function restartVideoEncodings(pc: RTCPeerConnection): Promise<void> {
  await Promise.all(
    pc.getSenders().map(async (sender) => {
      if (sender.track?.kind !== 'video' || sender.track.readyState !== 'live') return;
      const params = sender.getParameters();
      if (!params.encodings?.length) return;
      const active = params.encodings.map((e) => e.active !== false);
      if (!active.some(Boolean)) return; // nothing sent now
      for (const e of params.encodings) e.active = false;
      try {
        await sender.setParameters(params);
        const again = sender.getParameters();
        again.encodings.forEach((e, i) => (e.active = active[i] ?? true));
        await sender.setParameters(again);
      } catch {
        // a renegotiation in between: its own parameters stand
      }
    }),
  );
}

/** Inbound silence this long counts as a cut (Opus DTX still sends a packet every 400 ms). */
export const CUT_GAP_MS = 1_500;
const POLL_MS = 250;
/** One restart per cut: a second trigger (ICE and packets both) within this is the same cut. */
const RESTART_SPACING_MS = 2_000;

/** Watches one connection for the end of a cut and restarts its video then. */
export class CutWatch {
  private readonly pc: RTCPeerConnection;
  private readonly timer: ReturnType<typeof setInterval>;
  private packets = -1;
  private changedAt = Date.now();
  private stalled = false;
  private lastRestart = 0;

  constructor(pc: RTCPeerConnection) {
    this.pc = pc;
    this.timer = setInterval(() => void this.poll().catch(() => undefined), POLL_MS);
  }

  /** Media (or ICE) is back after a cut: a keyframe now, unless one was just sent. */
  back(): void {
    const now = Date.now();
    if (now - this.lastRestart < RESTART_SPACING_MS) return;
    this.lastRestart = now;
    void restartVideoEncodings(this.pc);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    const stats = await this.pc.getStats();
    let packets = 0;
    stats.forEach((s: { type: string; packetsReceived?: number }) => {
      if (s.type === 'inbound-rtp') packets += s.packetsReceived ?? 0;
    });
    const now = Date.now();
    if (packets !== this.packets) {
      if (this.stalled) this.back();
      this.stalled = false;
      this.packets = packets;
      this.changedAt = now;
    } else if (packets > 0 && now - this.changedAt >= CUT_GAP_MS) {
      this.stalled = true;
    }
  }
}
