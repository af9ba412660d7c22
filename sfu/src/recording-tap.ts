// A copy of one producer for the recorder: a PlainTransport on 127.0.0.1 sending plain RTP (and
// RTCP on the next port) to FFmpeg, through a consumer that carries only the media codec (FFmpeg
// cannot use RTX, and never sends RTCP feedback, so this side asks for keyframes itself).
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';

export interface TapCodec {
  mimeType: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  parameters: Record<string, string | number>;
}

export interface RecordingTarget {
  ip: string;
  port: number;
  rtcpPort: number;
}

export interface RecordingTapEvents {
  /** The producer (or the router) went away. */
  closed: [];
}

/** Router capabilities without RTX and header extensions: what FFmpeg can read. */
function recorderCapabilities(router: types.Router): types.RtpCapabilities {
  // No RTX, and no RED: FFmpeg cannot take it, the worker sends the recorder the primary Opus blocks.
  const codecs = (router.rtpCapabilities.codecs ?? []).filter((c) => !/\/rtx$|^audio\/red$/i.test(c.mimeType)).map((c) => ({ ...c, rtcpFeedback: [] }));
  return { codecs, headerExtensions: [] };
}

export class RecordingTap extends EventEmitter<RecordingTapEvents> {
  readonly producerId: string;
  readonly kind: 'audio' | 'video';
  private readonly transport: types.PlainTransport;
  private readonly consumer: types.Consumer;
  private keyframeTimer: NodeJS.Timeout | undefined;
  private periodicTimer: NodeJS.Timeout | undefined;
  private isClosed = false;
  /** Keyframes the consumer forwarded since the last `requestKeyFrames()` (from its trace events). */
  private keyframesSeen = 0;

  private constructor(transport: types.PlainTransport, consumer: types.Consumer, producerId: string) {
    super();
    this.transport = transport;
    this.consumer = consumer;
    this.producerId = producerId;
    this.kind = consumer.kind;
    consumer.on('trace', (t) => {
      if (t.type === 'keyframe') this.keyframesSeen++;
    });
    const onGone = () => this.close();
    consumer.observer.once('close', onGone);
    transport.observer.once('close', onGone);
  }

  static async create(router: types.Router, producerId: string, listenIp = '127.0.0.1'): Promise<RecordingTap> {
    const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: listenIp }, rtcpMux: false, comedia: false });
    try {
      const consumer = await transport.consume({ producerId, rtpCapabilities: recorderCapabilities(router), paused: true });
      if (consumer.kind === 'video') await consumer.enableTraceEvent(['keyframe']);
      return new RecordingTap(transport, consumer, producerId);
    } catch (err) {
      transport.close();
      throw err;
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The codec FFmpeg must be told about (payload type as this consumer sends it). */
  get codec(): TapCodec {
    const c = this.consumer.rtpParameters.codecs[0]!;
    return {
      mimeType: c.mimeType,
      payloadType: c.payloadType,
      clockRate: c.clockRate,
      ...(c.channels !== undefined ? { channels: c.channels } : {}),
      parameters: Object.fromEntries(Object.entries(c.parameters ?? {}).filter(([, v]) => typeof v === 'string' || typeof v === 'number')) as Record<string, string | number>,
    };
  }

  /** Starts sending to FFmpeg (which must already listen there) and gets it a keyframe. */
  async connect(target: RecordingTarget, keyframeIntervalMs = 10_000): Promise<void> {
    await this.transport.connect({ ip: target.ip, port: target.port, rtcpPort: target.rtcpPort });
    await this.consumer.resume();
    this.requestKeyFrames();
    // A keyframe now and then keeps every segment decodable on its own and repairs the picture
    // after a paused camera resumes (FFmpeg cannot send PLI itself).
    if (this.kind === 'video' && keyframeIntervalMs > 0) {
      this.periodicTimer = setInterval(() => void this.consumer.requestKeyFrame().catch(() => undefined), keyframeIntervalMs);
      this.periodicTimer.unref();
    }
  }

  /** Asks the sender for keyframes every 500 ms until one has gone out to FFmpeg (gives up after 20 s). */
  requestKeyFrames(): void {
    if (this.kind !== 'video' || this.isClosed) return;
    if (this.keyframeTimer) clearInterval(this.keyframeTimer);
    this.keyframesSeen = 0;
    const deadline = Date.now() + 20_000;
    const tick = () => {
      if (this.isClosed || this.keyframesSeen > 0 || Date.now() > deadline) {
        if (this.keyframeTimer) clearInterval(this.keyframeTimer);
        this.keyframeTimer = undefined;
        return;
      }
      void this.consumer.requestKeyFrame().catch(() => undefined);
    };
    this.keyframeTimer = setInterval(tick, 500);
    this.keyframeTimer.unref();
    tick();
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.keyframeTimer) clearInterval(this.keyframeTimer);
    if (this.periodicTimer) clearInterval(this.periodicTimer);
    this.transport.close();
    this.emit('closed');
  }
}
