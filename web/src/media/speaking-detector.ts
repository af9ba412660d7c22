// "Am I speaking?" from the local microphone's audio level in WebRTC stats (P2P mode; the SFU
// elects the speaker with an AudioLevelObserver). Hysteresis keeps it from flickering.
const POLL_MS = 300;
const ON_LEVEL = 0.04;
const OFF_AFTER_MS = 1_200;

export class SpeakingDetector {
  private timer: ReturnType<typeof setInterval> | undefined;
  private speaking = false;
  private lastLoud = 0;

  constructor(getStats: () => Promise<RTCStatsReport>, onChange: (speaking: boolean) => void) {
    this.timer = setInterval(() => {
      void getStats()
        .then((report) => {
          let level = 0;
          report.forEach((s: Record<string, unknown>) => {
            if (s.type === 'media-source' && s.kind === 'audio') level = Math.max(level, Number(s.audioLevel ?? 0));
          });
          const now = Date.now();
          if (level >= ON_LEVEL) this.lastLoud = now;
          const next = now - this.lastLoud < OFF_AFTER_MS && this.lastLoud > 0;
          if (next !== this.speaking) {
            this.speaking = next;
            onChange(next);
          }
        })
        .catch(() => undefined);
    }, POLL_MS);
  }

  /** Muting the mic means not speaking, at once. */
  reset(onChange: (speaking: boolean) => void): void {
    this.lastLoud = 0;
    if (this.speaking) {
      this.speaking = false;
      onChange(false);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
