// A live microphone level (0..1) from an AnalyserNode, sampled a few times per second: enough for
// a meter, cheap on a phone.
export class MicMeter {
  private ctx: AudioContext | undefined;
  private analyser: AnalyserNode | undefined;
  private source: MediaStreamAudioSourceNode | undefined;
  private buf: Float32Array<ArrayBuffer> | undefined;

  constructor(track: MediaStreamTrack) {
    const Ctx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Ctx) return;
    this.ctx = new Ctx();
    this.analyser = this.ctx.createAnalyser();
    this.analyser.fftSize = 1024;
    this.source = this.ctx.createMediaStreamSource(new MediaStream([track]));
    this.source.connect(this.analyser);
    this.buf = new Float32Array(this.analyser.fftSize);
    void this.ctx.resume().catch(() => undefined);
  }

  /** RMS level scaled so normal speech fills most of the meter. */
  level(): number {
    if (!this.analyser || !this.buf) return 0;
    this.analyser.getFloatTimeDomainData(this.buf);
    let sum = 0;
    for (const v of this.buf) sum += v * v;
    const rms = Math.sqrt(sum / this.buf.length);
    return Math.min(1, rms * 4);
  }

  close(): void {
    this.source?.disconnect();
    void this.ctx?.close().catch(() => undefined);
    this.ctx = undefined;
    this.analyser = undefined;
  }
}
