// Records one lesson from this media node: once media flows, asks the recorder for a recording,
// and for every producer (camera, microphone, screen share) creates a RecordingTap pointed at the
// FFmpeg the recorder started for it. A reconcile loop keeps both sides in agreement: producers
// that come and go, a recorder that restarted (its tracks are re-plumbed into the same recording),
// an FFmpeg that was restarted (a keyframe is requested), a rebuilt media room (re-attached).
import type { MediaRoom, ProducerSummary, RecordingTap } from '@duet/sfu';
import { RecorderRequestError, type RecorderClient, type RecorderTrackStatus } from './recorder-client.ts';

interface TapState {
  producer: ProducerSummary;
  tap?: RecordingTap;
  port?: number;
  run?: number;
}

const RECONCILE_MS = 1_000;

export class LessonRecorder {
  readonly lessonId: string;
  private readonly client: RecorderClient;
  private media: MediaRoom | undefined;
  private recordingId: string | undefined;
  private readonly taps = new Map<string, TapState>();
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** A tick's reconcile is in the queue and has not started yet. */
  private tickQueued = false;
  private ended = false;
  private readonly listeners: { added: (p: ProducerSummary) => void; closed: (p: ProducerSummary) => void };

  constructor(lessonId: string, client: RecorderClient) {
    this.lessonId = lessonId;
    this.client = client;
    this.listeners = {
      added: (p) => this.enqueue(() => this.addProducer(p)),
      closed: (p) => this.enqueue(() => this.removeProducer(p.producerId)),
    };
  }

  get id(): string | undefined {
    return this.recordingId;
  }

  /** A (new) media room of this lesson: record its producers as they appear. */
  attach(media: MediaRoom): void {
    if (this.ended || this.media === media) return;
    if (this.media) {
      this.media.off('producerAdded', this.listeners.added);
      this.media.off('producerClosed', this.listeners.closed);
      // The old router is gone (worker rebuilt): its producers' tracks end; the new ones start.
      for (const id of [...this.taps.keys()]) this.enqueue(() => this.removeProducer(id));
    }
    this.media = media;
    media.on('producerAdded', this.listeners.added);
    media.on('producerClosed', this.listeners.closed);
    for (const p of media.allProducers()) this.listeners.added(p);
  }

  /** Everyone left: the recorder finalizes unless somebody comes back in its idle window. */
  detach(): void {
    this.enqueue(async () => {
      this.shutdownTaps();
      if (this.recordingId) await this.client.detach(this.recordingId).catch((err: Error) => this.warn('detach failed', err));
      this.recordingId = undefined;
    });
  }

  /** The lesson is over: finalize now. */
  stop(reason: string): void {
    this.ended = true;
    this.enqueue(async () => {
      this.shutdownTaps();
      if (this.recordingId) await this.client.stop(this.recordingId, reason).catch((err: Error) => this.warn('stop failed', err));
      this.recordingId = undefined;
    });
  }

  private shutdownTaps(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.media) {
      this.media.off('producerAdded', this.listeners.added);
      this.media.off('producerClosed', this.listeners.closed);
      this.media = undefined;
    }
    for (const t of this.taps.values()) t.tap?.close();
    this.taps.clear();
  }

  private enqueue(op: () => Promise<void>): void {
    this.chain = this.chain.then(op).catch((err: Error) => this.warn('recording step failed', err));
  }

  private warn(msg: string, err: Error): void {
    this.client.log('warn', `recording: ${msg}`, { session_id: this.lessonId, recordingId: this.recordingId, error: err.message });
  }

  private async ensureRecording(): Promise<string> {
    if (this.recordingId) return this.recordingId;
    const rec = await this.client.start(this.lessonId);
    this.recordingId = rec.recordingId;
    this.client.log('info', 'recording: started', { session_id: this.lessonId, recordingId: rec.recordingId });
    if (!this.timer) {
      // One tick's reconcile waits in the queue at most: a recorder that answers slower than a
      // tick (15 s before a call times out) would otherwise pile up one more reconcile a second,
      // and each would call it again when it came back.
      this.timer = setInterval(() => {
        if (this.tickQueued) return;
        this.tickQueued = true;
        this.enqueue(() => {
          this.tickQueued = false;
          return this.reconcile();
        });
      }, RECONCILE_MS);
      this.timer.unref();
    }
    return rec.recordingId;
  }

  private async addProducer(p: ProducerSummary): Promise<void> {
    if (this.ended || !this.media || this.taps.has(p.producerId)) return;
    const state: TapState = { producer: p };
    this.taps.set(p.producerId, state);
    await this.plumb(state);
    // The recorder restarted the lesson's FFmpeg with the new track: the other video taps need a
    // keyframe for the new run now, not at the next reconcile tick.
    await this.reconcile();
  }

  /** (Re)creates the tap of one producer towards a fresh FFmpeg. */
  private async plumb(state: TapState): Promise<void> {
    const media = this.media;
    if (!media || media.closed) return;
    state.tap?.close();
    state.tap = undefined;
    const tap = await media.createRecordingTap(state.producer.producerId);
    try {
      const recordingId = await this.ensureRecording();
      const p = state.producer;
      const track = await this.client.addTrack(recordingId, {
        trackId: p.producerId,
        role: p.peerId as 'tutor' | 'student',
        source: p.source,
        kind: p.kind,
        codec: tap.codec,
      });
      await tap.connect({ ip: this.client.rtpAddress, port: track.port, rtcpPort: track.rtcpPort });
      state.tap = tap;
      state.port = track.port;
      state.run = track.run;
      tap.once('closed', () => {
        if (state.tap === tap) state.tap = undefined;
      });
    } catch (err) {
      tap.close();
      throw err;
    }
  }

  private async removeProducer(producerId: string): Promise<void> {
    const state = this.taps.get(producerId);
    if (!state) return;
    this.taps.delete(producerId);
    state.tap?.close();
    if (this.recordingId) await this.client.removeTrack(this.recordingId, producerId).catch((err: Error) => this.warn('remove track failed', err));
    await this.reconcile();
  }

  private async reconcile(): Promise<void> {
    if (!this.recordingId || this.ended) return;
    let tracks: Map<string, RecorderTrackStatus>;
    try {
      const status = await this.client.status(this.recordingId);
      if (status.state !== 'recording') throw new RecorderRequestError(404, `recording is ${status.state}`);
      tracks = new Map(status.tracks.map((t) => [t.trackId, t]));
    } catch (err) {
      if (!(err instanceof RecorderRequestError) || err.status !== 404) return; // unreachable: try again next tick
      // The recorder lost this recording (restarted, or finalized it): start again for the lesson.
      this.client.log('warn', 'recording: the recorder no longer has this recording; re-attaching', { session_id: this.lessonId, recordingId: this.recordingId });
      this.recordingId = undefined;
      tracks = new Map();
    }
    for (const state of this.taps.values()) {
      const t = tracks.get(state.producer.producerId);
      try {
        if (!t || !state.tap || state.tap.closed || t.port !== state.port) await this.plumb(state);
        else if (t.run !== state.run) {
          state.run = t.run; // FFmpeg was restarted on the same ports: it needs a keyframe
          state.tap.requestKeyFrames();
        } else if (t.waitingForKeyframe) {
          // The recorder records this video from its first keyframe on: ask again every tick
          // (a starved sender may miss the requests made when the tap connected).
          state.tap.requestKeyFrames();
        }
      } catch (err) {
        this.warn('re-plumbing a track failed', err as Error);
      }
    }
  }
}
