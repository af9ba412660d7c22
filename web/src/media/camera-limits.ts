// What the camera may send through the SFU, from two sides: the node's layer cap
// (`sfu.senderLayers`, sfu/src/sender-cap.ts: nobody takes the layers above) and this side's
// uplink guard (uplink-guard.ts: the own uplink is overfilled). Both end in the sender's
// encodings (active, maxBitrate), set in one place so neither undoes the other.
import type { types } from 'mediasoup-client';
import { limitEncodings, UplinkGuard, uplinkSample } from './uplink-guard.ts';
import { mediaTuning } from './encodings.ts';

/** A single stream without a maxBitrate: what Chromium sends 720p at, at most. */
const DEFAULT_CEILING_BPS = 2_500_000;
const SAMPLE_EVERY_MS = 1000;

export class CameraLimits {
  private readonly camera: () => types.Producer | undefined;
  private readonly stats: () => Promise<RTCStatsReport | undefined>;
  private readonly paused: () => boolean;
  private layerCap = Infinity;
  private bitrateCap: number | null = null;
  /** The encodings' own maxBitrate, taken before this class first changes them. */
  private ceilings: { producerId: string; values: Array<number | undefined> } | undefined;
  private guard: { producerId: string; guard: UplinkGuard } | undefined;
  private last: { at: number; bytes: number } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private applying: Promise<void> = Promise.resolve();
  private stopped = false;

  /** `paused`: nothing is being sent (held, closed); the guard skips those seconds. */
  constructor(camera: () => types.Producer | undefined, stats: () => Promise<RTCStatsReport | undefined>, paused: () => boolean) {
    this.camera = camera;
    this.stats = stats;
    this.paused = paused;
  }

  /** The node's layer cap for this producer (out-of-range values are clamped). */
  setLayerCap(producer: types.Producer, maxSpatialLayer: number): void {
    if (!Number.isInteger(maxSpatialLayer)) return;
    this.layerCap = Math.max(0, maxSpatialLayer);
    this.apply(producer);
  }

  /** Starts the uplink guard's once-a-second look at the send transport. */
  start(): void {
    if (!mediaTuning().uplinkGuard || this.timer || this.stopped) return;
    const tick = async () => {
      await this.sample().catch(() => undefined);
      if (!this.stopped) this.timer = setTimeout(() => void tick(), SAMPLE_EVERY_MS);
    };
    this.timer = setTimeout(() => void tick(), SAMPLE_EVERY_MS);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** The uplink guard's cap, bits/s (null: none); for tests and the quality panel. */
  get cap(): number | null {
    return this.bitrateCap;
  }

  private async sample(): Promise<void> {
    const producer = this.camera();
    if (!producer || producer.closed || producer.paused || this.paused()) return void (this.last = undefined);
    const report = await this.stats();
    if (!report) return;
    const at = performance.now();
    const { sample, bytes } = uplinkSample(report, this.last, at);
    const first = !this.last;
    this.last = { at, bytes };
    if (first) return;
    if (this.guard?.producerId !== producer.id) {
      // A new camera producer (rebuilt session, new transport): a new guard and no cap.
      const ceilings = this.ceilingsOf(producer);
      const total = ceilings.reduce<number>((sum, c) => sum + (c ?? DEFAULT_CEILING_BPS), 0);
      this.guard = { producerId: producer.id, guard: new UplinkGuard(total) };
      this.bitrateCap = null;
    }
    const next = this.guard.guard.update(sample);
    if (next === undefined) return;
    this.bitrateCap = next;
    this.apply(producer);
  }

  private ceilingsOf(producer: types.Producer): Array<number | undefined> {
    if (this.ceilings?.producerId !== producer.id) {
      const encodings = producer.rtpSender?.getParameters().encodings ?? [];
      this.ceilings = { producerId: producer.id, values: encodings.map((e) => e.maxBitrate) };
    }
    return this.ceilings.values;
  }

  /**
   * Sets the encodings for both caps, one change at a time. Which encodings are on goes through
   * mediasoup-client (`setMaxSpatialLayer`: both caps leave the lowest layers on, so it is a top
   * layer), which also marks the others paused in the transport's SDP, so a later renegotiation
   * (a screen share) does not undo it; the bitrate ceilings need no SDP and are set on the sender.
   */
  private apply(producer: types.Producer): void {
    const sender = producer.rtpSender;
    if (!sender) return;
    const limits = limitEncodings(this.ceilingsOf(producer), this.layerCap, this.bitrateCap);
    const top = limits.reduce((t, l, i) => (l.active ? i : t), 0);
    this.applying = this.applying.then(async () => {
      if (producer.closed) return;
      if (limits.length > 1) await producer.setMaxSpatialLayer(top).catch((err: unknown) => console.warn('camera layer cap failed', err));
      const params = sender.getParameters();
      if (producer.closed || params.encodings.length !== limits.length) return;
      let changed = false;
      params.encodings.forEach((e, i) => {
        const max = limits[i]!.maxBitrate;
        if (e.maxBitrate === max) return;
        changed = true;
        if (max === undefined) delete e.maxBitrate;
        else e.maxBitrate = max;
      });
      if (changed) await sender.setParameters(params).catch((err: unknown) => console.warn('camera bitrate cap failed', err));
    });
  }
}
