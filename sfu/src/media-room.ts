// One lesson's media: a router on one worker, and per participant its transports, producers
// and consumers. The public surface speaks plain ids and JSON parameters only, so mediasoup
// objects never leak into the signaling protocol.
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { mediaCodecs } from './codecs.ts';
import type { PooledWorker, WorkerPool } from './worker-pool.ts';
import { ActiveSpeaker } from './active-speaker.ts';
import { RecordingTap } from './recording-tap.ts';
import { assertRoomFor, keep, MEDIA_LIMITS, MediaError, MediaLimitError, type PeerMedia } from './peer-media.ts';

export { MEDIA_LIMITS, MediaError, MediaLimitError } from './peer-media.ts';
import { adaptLayers, bandwidthInputs } from './layer-adapter.ts';
import { capSender } from './sender-cap.ts';

export type Direction = 'send' | 'recv';
export type MediaKind = 'audio' | 'video';
export type MediaSource = 'camera' | 'microphone' | 'screen';
type Json = Record<string, unknown>;

export interface TransportParams {
  transportId: string;
  iceParameters: Json;
  iceCandidates: Json[];
  dtlsParameters: Json;
}

export interface ProducerSummary {
  producerId: string;
  peerId: string;
  kind: MediaKind;
  source: MediaSource;
}

export interface ConsumerParams {
  consumerId: string;
  producerId: string;
  kind: MediaKind;
  source: MediaSource;
  rtpParameters: Json;
}

/** Each WebRTC transport's bandwidth estimate before it has measured one (bits/s). */
const START_BITRATE = 1_000_000;
/** Which kind each source carries: a microphone cannot smuggle a second video. */
const SOURCE_KIND: Record<MediaSource, MediaKind> = { microphone: 'audio', camera: 'video', screen: 'video' };

export interface MediaRoomEvents {
  producerAdded: [ProducerSummary];
  producerClosed: [ProducerSummary];
  /** The router is gone (worker died or room closed). */
  closed: [{ reason: 'worker_died' | 'closed' }];
  /** The loudest participant changed (null: silence). From an AudioLevelObserver. */
  activeSpeaker: [{ peerId: string | null }];
  /** A simulcast producer need not encode above this spatial layer (sender-cap.ts); tell its sender. */
  senderLayers: [{ peerId: string; producerId: string; maxSpatialLayer: number }];
}

export class MediaRoom extends EventEmitter<MediaRoomEvents> {
  private readonly peers = new Map<string, PeerMedia>();
  private readonly router: types.Router;
  private readonly host: PooledWorker;
  private isClosed = false;
  private speaker: ActiveSpeaker | undefined;
  /** Every consumer of each producer, on any transport (the recorder's plain ones too): sender-cap.ts. */
  private readonly consumersByProducer = new Map<string, Set<{ consumer: types.Consumer; onWebRtc: boolean }>>();

  private constructor(router: types.Router, host: PooledWorker) {
    super();
    this.router = router;
    this.host = host;
    host.rooms.add(this);
    router.observer.on('newtransport', (transport) => {
      transport.observer.on('newconsumer', (consumer) => {
        const entry = { consumer, onWebRtc: transport.type === 'webrtc' };
        let set = this.consumersByProducer.get(consumer.producerId);
        if (!set) this.consumersByProducer.set(consumer.producerId, (set = new Set()));
        set.add(entry);
        consumer.observer.once('close', () => set.delete(entry));
      });
    });
    router.observer.once('close', () => {
      if (this.isClosed) return;
      this.isClosed = true;
      this.host.routers--;
      this.host.rooms.delete(this);
      this.emit('closed', { reason: 'worker_died' });
    });
  }

  /** A router for the lesson on the least-loaded worker (waits briefly for a replacement worker). */
  static async create(pool: WorkerPool, lessonId: string): Promise<MediaRoom> {
    const host = await pool.acquire();
    const router = await host.worker.createRouter({ mediaCodecs: mediaCodecs(), appData: { lessonId } });
    host.routers++;
    const room = new MediaRoom(router, host);
    room.speaker = await ActiveSpeaker.create(router, (peerId) => room.emit('activeSpeaker', { peerId }));
    return room;
  }

  /** Which worker hosts this room (operators, tests). */
  get workerPid(): number {
    return this.host.worker.pid;
  }

  get rtpCapabilities(): Json {
    return this.router.rtpCapabilities as unknown as Json;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private peer(peerId: string): PeerMedia {
    let p = this.peers.get(peerId);
    if (!p) {
      p = { transports: new Map(), producers: new Map(), consumers: new Map(), queue: Promise.resolve(), queued: 0, lastKeyFrame: new Map(), lastRestartIce: new Map() };
      this.peers.set(peerId, p);
    }
    return p;
  }

  /**
   * One participant's requests run one after another, so every cap check below sees the result
   * of the request before it (200 concurrent createTransport calls cannot all pass a size check
   * taken before the first await). The queue itself is bounded.
   */
  private serial<T>(peerId: string, fn: () => Promise<T>): Promise<T> {
    const peer = this.peer(peerId);
    if (peer.queued >= MEDIA_LIMITS.queuedRequests) return Promise.reject(new MediaLimitError('too many media requests in flight, slow down'));
    peer.queued++;
    // A request queued before the participant left (removePeer) must not allocate for a new peer entry.
    const run = peer.queue.then(() => {
      if (this.peers.get(peerId) !== peer) throw new MediaError('the participant left');
      return fn();
    });
    peer.queue = run.catch(() => undefined).finally(() => peer.queued--);
    return run;
  }

  private transportOf(peerId: string, transportId: string): types.WebRtcTransport {
    const t = this.peers.get(peerId)?.transports.get(transportId);
    if (!t) throw new MediaError(`unknown transport ${transportId}`);
    return t;
  }

  createTransport(peerId: string, direction: Direction): Promise<TransportParams> {
    return this.serial(peerId, () => this.createTransportNow(peerId, direction));
  }

  private async createTransportNow(peerId: string, direction: Direction): Promise<TransportParams> {
    this.assertOpen();
    const peer = this.peer(peerId);
    assertRoomFor(peer, direction);
    const transport = await this.router.createWebRtcTransport({
      webRtcServer: this.host.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: START_BITRATE,
      appData: { peerId, direction },
    });
    if (this.peers.get(peerId) !== peer) {
      // The participant left while the worker made it: nobody would ever close it.
      transport.close();
      throw new MediaError('the participant left');
    }
    return keep(peer, transport);
  }

  /** Instant join: a pre-join socket's bare transports (ICE+DTLS up) become `toPeerId`'s. */
  adoptTransports(fromPeerId: string, toPeerId: string): Promise<TransportParams[]> {
    return this.serial(toPeerId, async () => {
      this.assertOpen();
      const from = this.peers.get(fromPeerId);
      if (!from || from.transports.size === 0) throw new MediaError('nothing to adopt');
      if (from.producers.size > 0 || from.consumers.size > 0) throw new MediaError('only bare transports can be adopted');
      const to = this.peer(toPeerId);
      for (const t of from.transports.values()) assertRoomFor(to, (t.appData as { direction: string }).direction);
      this.peers.delete(fromPeerId);
      return [...from.transports.values()].map((transport) => {
        transport.appData.peerId = toPeerId;
        return keep(to, transport);
      });
    });
  }

  connectTransport(peerId: string, transportId: string, dtlsParameters: Json): Promise<void> {
    return this.serial(peerId, async () => {
      const transport = this.transportOf(peerId, transportId);
      await this.wrap(() => transport.connect({ dtlsParameters: dtlsParameters as unknown as types.DtlsParameters }));
    });
  }

  produce(peerId: string, transportId: string, kind: MediaKind, rtpParameters: Json, source: MediaSource): Promise<string> {
    return this.serial(peerId, () => this.produceNow(peerId, transportId, kind, rtpParameters, source));
  }

  private async produceNow(peerId: string, transportId: string, kind: MediaKind, rtpParameters: Json, source: MediaSource): Promise<string> {
    const transport = this.transportOf(peerId, transportId);
    if ((transport.appData as { direction?: string }).direction !== 'send') throw new MediaError('produce on a send transport');
    if (SOURCE_KIND[source] !== kind) throw new MediaError(`source ${source} carries ${SOURCE_KIND[source]}, not ${kind}`);
    // mediasoup takes a "video" producer of audio codecs (or the reverse); the other side's browser
    // would then refuse the consumer's description, so a participant could break the other's media.
    const codecs = (rtpParameters as { codecs?: unknown }).codecs;
    if (Array.isArray(codecs) && codecs.some((c) => typeof (c as { mimeType?: unknown })?.mimeType !== 'string' || !(c as { mimeType: string }).mimeType.toLowerCase().startsWith(`${kind}/`))) {
      throw new MediaError(`a ${kind} producer takes only ${kind}/* codecs`);
    }
    const peer = this.peer(peerId);
    // One producer per source: so at most one microphone, one camera and one screen share.
    for (const p of peer.producers.values()) {
      if ((p.appData as { source?: string }).source === source) throw new MediaError(`already producing ${source}`);
    }
    const producer = await this.wrap(() =>
      transport.produce({ kind, rtpParameters: rtpParameters as unknown as types.RtpParameters, appData: { source, peerId } }),
    );
    const summary: ProducerSummary = { producerId: producer.id, peerId, kind, source };
    peer.producers.set(producer.id, producer);
    if (kind === 'audio') await this.speaker?.add(producer);
    capSender(producer, () => [...(this.consumersByProducer.get(producer.id) ?? [])], (maxSpatialLayer) =>
      this.emit('senderLayers', { peerId, producerId: producer.id, maxSpatialLayer }),
    );
    producer.observer.once('close', () => {
      this.consumersByProducer.delete(producer.id);
      peer.producers.delete(producer.id);
      this.emit('producerClosed', summary);
    });
    this.emit('producerAdded', summary);
    return producer.id;
  }

  /**
   * A consumer for `peerId`'s receive transport, paused until resumeConsumer(). Exception: on a
   * transport that is not connected yet (`startEarly`), it starts unpaused — nothing can flow
   * before the client has applied it (its transport connects only after that), and mediasoup
   * asks the producer for a keyframe when the transport connects, so the first picture does not
   * wait for the resume round trip.
   */
  consume(peerId: string, producerId: string, rtpCapabilities: Json, opts: { startEarly?: boolean } = {}): Promise<ConsumerParams> {
    return this.serial(peerId, () => this.consumeNow(peerId, producerId, rtpCapabilities, opts));
  }

  private async consumeNow(peerId: string, producerId: string, rtpCapabilities: Json, opts: { startEarly?: boolean }): Promise<ConsumerParams> {
    this.assertOpen();
    const owner = this.producerById(producerId);
    if (!owner || owner.peerId === peerId) throw new MediaError(`unknown producer ${producerId}`);
    // One consumer per (participant, producer): asking again answers the existing one.
    const peerNow = this.peer(peerId);
    for (const c of peerNow.consumers.values()) {
      if (c.producerId === producerId) {
        return { consumerId: c.id, producerId, kind: c.kind, source: owner.source, rtpParameters: c.rtpParameters as unknown as Json };
      }
    }
    const caps = rtpCapabilities as unknown as types.RtpCapabilities;
    if (!this.router.canConsume({ producerId, rtpCapabilities: caps })) throw new MediaError('cannot consume: incompatible codecs');
    const peer = this.peer(peerId);
    const recv = [...peer.transports.values()].find((t) => (t.appData as { direction?: string }).direction === 'recv');
    if (!recv) throw new MediaError('create a recv transport before consuming');
    // Paused until the client has wired its track, so the first keyframe is not lost.
    const paused = !opts.startEarly || recv.dtlsState !== 'new';
    const consumer = await this.wrap(() => recv.consume({ producerId, rtpCapabilities: caps, paused }));
    peer.consumers.set(consumer.id, consumer);
    const source = this.peers.get(owner.peerId)?.producers.get(producerId);
    adaptLayers(consumer, source && bandwidthInputs(source, recv, START_BITRATE));
    consumer.observer.once('close', () => {
      peer.consumers.delete(consumer.id);
      peer.lastKeyFrame.delete(consumer.id);
    });
    return {
      consumerId: consumer.id,
      producerId,
      kind: consumer.kind,
      source: owner.source,
      rtpParameters: consumer.rtpParameters as unknown as Json,
    };
  }

  /**
   * Resumes a paused consumer; a video consumer also asks its producer for a keyframe — at most
   * once per keyFrameIntervalMs per consumer (each one makes the sender encode a full frame, so
   * a flood would degrade the other participant's picture). A throttled request still succeeds:
   * the keyframe from the last one is on its way.
   */
  resumeConsumer(peerId: string, consumerId: string): Promise<void> {
    return this.serial(peerId, async () => {
      const peer = this.peers.get(peerId);
      const consumer = peer?.consumers.get(consumerId);
      if (!peer || !consumer) throw new MediaError(`unknown consumer ${consumerId}`);
      if (consumer.paused) await this.wrap(() => consumer.resume());
      if (consumer.kind !== 'video') return;
      const now = Date.now();
      if (now - (peer.lastKeyFrame.get(consumerId) ?? 0) < MEDIA_LIMITS.keyFrameIntervalMs) return;
      peer.lastKeyFrame.set(consumerId, now);
      await this.wrap(() => consumer.requestKeyFrame());
    });
  }

  /** New ICE credentials for a transport after the client's network changed (resume). */
  restartIce(peerId: string, transportId: string): Promise<Json> {
    return this.serial(peerId, async () => {
      const transport = this.transportOf(peerId, transportId);
      const peer = this.peer(peerId);
      const now = Date.now();
      if (now - (peer.lastRestartIce.get(transportId) ?? 0) < MEDIA_LIMITS.restartIceIntervalMs) throw new MediaLimitError('ICE was restarted just now, wait a moment');
      peer.lastRestartIce.set(transportId, now);
      return (await this.wrap(() => transport.restartIce())) as unknown as Json;
    });
  }

  closeProducer(peerId: string, producerId: string): void {
    const producer = this.peers.get(peerId)?.producers.get(producerId);
    if (!producer) throw new MediaError(`unknown producer ${producerId}`);
    producer.close();
  }

  /** Sum of the current send+receive bitrates of this room's transports (bits/s). */
  async bitrateBps(): Promise<number> {
    let total = 0;
    for (const peer of this.peers.values()) {
      for (const t of peer.transports.values()) {
        const stats = await t.getStats().catch(() => []);
        for (const s of stats) total += (s.recvBitrate ?? 0) + (s.sendBitrate ?? 0);
      }
    }
    return total;
  }

  /** Producers of everybody except `peerId` (what a newcomer should consume). */
  producersFor(peerId: string): ProducerSummary[] {
    return this.allProducers().filter((p) => p.peerId !== peerId);
  }

  allProducers(): ProducerSummary[] {
    const out: ProducerSummary[] = [];
    for (const [peerId, peer] of this.peers) {
      for (const p of peer.producers.values()) {
        out.push({ producerId: p.id, peerId, kind: p.kind, source: (p.appData as { source: MediaSource }).source });
      }
    }
    return out;
  }

  private producerById(producerId: string): ProducerSummary | undefined {
    return this.allProducers().find((p) => p.producerId === producerId);
  }

  /** A plain-RTP copy of a producer for the recorder (see recording-tap.ts). */
  async createRecordingTap(producerId: string): Promise<RecordingTap> {
    if (!this.producerById(producerId)) throw new MediaError(`unknown producer ${producerId}`);
    return this.wrap(() => RecordingTap.create(this.router, producerId));
  }

  removePeer(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    for (const t of peer.transports.values()) t.close(); // closes its producers and consumers too
    this.peers.delete(peerId);
  }

  stats(): { peers: number; transports: number; producers: number; consumers: number; workerPid: number } {
    let transports = 0;
    let producers = 0;
    let consumers = 0;
    for (const p of this.peers.values()) {
      transports += p.transports.size;
      producers += p.producers.size;
      consumers += p.consumers.size;
    }
    return { peers: this.peers.size, transports, producers, consumers, workerPid: this.host.worker.pid };
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.host.routers--;
    this.host.rooms.delete(this);
    this.router.close();
    this.emit('closed', { reason: 'closed' });
  }

  private assertOpen(): void {
    if (this.isClosed) throw new MediaError('the media room is closed');
  }

  /** mediasoup throws TypeError/Error for bad client parameters: surface those as MediaError. */
  private async wrap<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await fn();
    } catch (err) {
      if (err instanceof MediaError) throw err;
      throw new MediaError((err as Error).message);
    }
  }
}
