// SFU media through our mediasoup node: one send and one receive transport, a producer per local
// track, a consumer per remote producer. Consumers start paused server-side and are resumed once
// the track is wired, so the first keyframe is not lost.
import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import type { ConsumerInfo, ProducerAnnouncement, SfuHello, TransportInfo } from '@duet/signaling/protocol';
import type { SignalingClient } from '../lib/signaling-client.ts';
import type { MediaSession, RemoteMediaHandlers } from './media-session.ts';
import { summarize } from './stats.ts';
import { markScreenTrack } from './encodings.ts';
import { produceOptions, wantedEncodings } from './sfu-produce.ts';
import { warmUpRecv } from './sfu-preconnect.ts';
import { IceWatch } from './ice-watch.ts';
import { CameraLimits } from './camera-limits.ts';

/** A device loaded ahead of time (the pre-join screen) with a router's capabilities. */
export async function loadDevice(routerRtpCapabilities: Record<string, unknown>): Promise<Device> {
  const device = new Device();
  await device.load({ routerRtpCapabilities: routerRtpCapabilities as unknown as types.RtpCapabilities });
  return device;
}

// Instant join's pre-join transports live in their own file; re-exported for the lazy chunk.
export { preconnect, type Preconnected } from './sfu-preconnect.ts';
import type { Preconnected } from './sfu-preconnect.ts';


export class SfuSession implements MediaSession {
  readonly kind = 'sfu';
  private readonly sig: SignalingClient;
  private readonly local: MediaStream;
  private readonly iceServers: RTCIceServer[];
  private readonly handlers: RemoteMediaHandlers;
  private device: Device;
  private sendTransport: types.Transport | undefined;
  private recvTransport: types.Transport | undefined;
  private readonly producers = new Map<string, types.Producer>();
  private screenProducer: types.Producer | undefined;
  private screenTrack: MediaStreamTrack | null;
  private readonly consumers = new Map<string, types.Consumer>(); // by producer id
  private readonly unsubscribe: () => void;
  // Resolves once the device is loaded and the receive transport exists. Created up front so a
  // producer announced while we are still loading waits for it instead of being dropped.
  private readonly recvReady: Promise<void>;
  private markRecvReady!: () => void;
  private readonly consuming = new Set<string>(); // producer ids with a consume in flight or done
  private closed = false;
  /** Transports whose ICE is being restarted until they connect again (ice-watch.ts). */
  private readonly iceWatch: IceWatch;
  /** The camera's layer cap (the node's) and bitrate cap (this side's uplink guard). */
  private readonly cameraLimits: CameraLimits;
  /**
   * What came with the hello (saves the sfu.capabilities round trip) and, after a `join` with
   * receive capabilities, the transports and consumers the server already made.
   */
  private preset: SfuHello | undefined;

  /** `device`: loaded at pre-join with the same router capabilities as the preset's (or a new one). */
  /** Instant join: transports connected at pre-join, used when the join hands back their ids. */
  private pre: Preconnected | undefined;

  /** A recorded lesson's camera goes out as one stream: the recorder's FFmpeg, fed through a
   * simulcast consumer whose layer moved with the sender's CPU, missed the keyframe it probes
   * for ("dimensions not set") and restarted its runs. */
  private readonly recorded: boolean;

  /**
   * Instant join in a P2P room, the side waiting alone: transports up, producers made, but no
   * track on them (nothing encoded or sent) until holdSending(false) at the other's join.
   */
  held = false;

  constructor(sig: SignalingClient, local: MediaStream, iceServers: RTCIceServer[], handlers: RemoteMediaHandlers, screen: MediaStreamTrack | null = null, preset?: SfuHello, device?: Device, pre?: Preconnected, recorded = false) {
    this.recorded = recorded;
    this.sig = sig;
    this.iceWatch = new IceWatch(sig, () => this.closed);
    this.cameraLimits = new CameraLimits(
      () => [...this.producers.values()].find((p) => (p.appData as { source?: string }).source === 'camera'),
      async () => (this.sendTransport && !this.sendTransport.closed ? this.sendTransport.getStats() : undefined),
      () => this.closed || this.held,
    );
    this.pre = pre;
    this.preset = preset;
    this.device = device ?? new Device();
    this.screenTrack = screen;
    this.local = local;
    this.iceServers = iceServers;
    this.handlers = handlers;
    this.recvReady = new Promise((resolve) => (this.markRecvReady = resolve));
    this.unsubscribe = sig.onNotification((n) => {
      if (n.t === 'sfu.newProducer') void this.consume(n).catch((err) => console.warn('consume failed', err));
      if (n.t === 'sfu.newConsumer') void this.consumeReady(n).catch((err) => console.warn('consume failed', err));
      if (n.t === 'sfu.producerClosed') this.dropConsumer(n.producerId);
      if (n.t === 'sfu.senderLayers') this.capEncodings(n.producerId, n.maxSpatialLayer);
    });
  }

  async start(): Promise<void> {
    const preset = this.preset;
    this.preset = undefined; // only good once (a later start would be for a rebuilt router)
    const { routerRtpCapabilities, producers, prepared }: SfuHello = preset ?? (await this.sig.request('sfu.capabilities', {}));
    if (!this.device.loaded) await this.device.load({ routerRtpCapabilities: routerRtpCapabilities as unknown as types.RtpCapabilities });
    performance.mark('duet:sfu-device');
    // Receiving and sending come up together: the other person waits for our producers as much
    // as we wait for theirs (this halves the time to the first frame on the far side).
    const receiving = (async () => {
      await this.createRecvTransport(prepared?.recv);
      performance.mark('duet:sfu-recv-transport');
      this.markRecvReady();
      const toConsume = [...(prepared?.consumers ?? []).map((c) => this.consumeReady(c)), ...producers.map((p) => this.consume(p))];
      // Alone in the room: connect the receive transport now, so the newcomer's first packets
      // do not wait for this side's ICE + DTLS (nothing is consumed; see warmUpRecv).
      if (!toConsume.length && this.recvTransport!.connectionState === 'new') void warmUpRecv(this.recvTransport!, this.device).catch(() => undefined);
      await Promise.all(toConsume);
    })();
    const sending = (async () => {
      await this.createSendTransport(prepared?.send);
      performance.mark('duet:sfu-send-transport');
      // Camera first: the picture is what people wait for.
      const tracks = [...this.local.getVideoTracks(), ...this.local.getAudioTracks()];
      const made = this.preProduced(prepared);
      for (const track of tracks) {
        // Instant join: the server made this producer with the join; it only needs the track.
        const pre = made.get(track.kind === 'audio' ? 'microphone' : 'camera');
        made.delete(track.kind === 'audio' ? 'microphone' : 'camera');
        if (pre && (await pre.replaceTrack({ track }).then(() => true, () => false))) {
          this.producers.set(pre.id, pre);
          performance.mark(`duet:sfu-joined-producer-${track.kind}`);
          performance.mark(`duet:sfu-produced-${track.kind}`);
          continue;
        }
        // stopTracks: false — the camera outlives this session (resume, rebuild, mode switch).
        // Audio first (encodings.ts): the microphone wins when bandwidth is short; the camera
        // goes out in simulcast layers so the SFU can fit the other side's link.
        const produce = (encodings: RTCRtpEncodingParameters[] | undefined) => this.sendTransport!.produce(produceOptions(track, encodings, this.device));
        const wanted = wantedEncodings(track, this.device, this.recorded);
        // A browser that refuses the layers or priorities still sends, as one plain stream.
        const producer = await produce(wanted).catch((err: unknown) => {
          if (!wanted) throw err;
          console.warn('sending with tuned encodings failed; plain stream', err);
          return produce(undefined);
        });
        if (this.held) await producer.replaceTrack({ track: null });
        this.producers.set(producer.id, producer);
        performance.mark(`duet:sfu-produced-${track.kind}`);
      }
      for (const unused of made.values()) unused.close(); // no such track here (no microphone, say)
      this.cameraLimits.start();
      if (this.screenTrack) await this.setScreen(this.screenTrack);
    })();
    await Promise.all([receiving, sending]);
    this.dropPreconnected();
  }

  /**
   * Instant join: the pre-join producers the server made with the join (by source). Those it did
   * not make are closed here (local only: they never had a track); so are all of them when the
   * send transport was not adopted.
   */
  private preProduced(prepared: SfuHello['prepared']): Map<string, types.Producer> {
    const made = new Map<string, types.Producer>();
    const adopted = !!this.pre && this.sendTransport === this.pre.send;
    for (const p of this.pre?.produced ?? []) {
      const server = adopted ? prepared?.producers?.find((x) => x.source === p.source) : undefined;
      if (server && !p.producer.closed) made.set(p.source, p.producer);
      else if (adopted) p.producer.close();
    }
    return made;
  }

  /** Preconnected transports the join did not adopt (the server made new ones) are closed. */
  private dropPreconnected(): void {
    for (const t of [this.pre?.send, this.pre?.recv]) if (t && t !== this.sendTransport && t !== this.recvTransport) t.close();
    this.pre = undefined;
  }

  /** The preconnected transport the server adopted as `info`, if any. */
  private adopted(info: TransportInfo | undefined, direction: 'send' | 'recv'): types.Transport | undefined {
    const t = this.pre?.[direction];
    return t && !t.closed && info?.transportId === t.id ? t : undefined;
  }

  async replaceTrack(old: MediaStreamTrack, next: MediaStreamTrack): Promise<void> {
    for (const producer of this.producers.values()) if (producer.track === old) await producer.replaceTrack({ track: next });
  }

  /** The screen share is a third producer (source 'screen'), added and closed on demand. */
  async setScreen(track: MediaStreamTrack | null): Promise<void> {
    this.screenTrack = track;
    if (!this.sendTransport || this.closed) return; // start() picks it up
    const old = this.screenProducer;
    this.screenProducer = undefined;
    if (old) {
      old.close();
      await this.sig.request('sfu.closeProducer', { producerId: old.id }).catch(() => undefined);
    }
    if (track) {
      markScreenTrack(track);
      this.screenProducer = await this.sendTransport.produce({
        track,
        stopTracks: false,
        appData: { source: 'screen' },
        // Text stays sharp: the frame rate gives way first.
        onRtpSender: (sender) => {
          const params = sender.getParameters() as RTCRtpSendParameters & { degradationPreference?: string };
          params.degradationPreference = 'maintain-resolution';
          void sender.setParameters(params).catch(() => undefined);
        },
      });
    }
  }

  /** After a signaling resume the server kept our transports: new ICE credentials for both. */
  async resumed(): Promise<void> {
    for (const transport of [this.sendTransport, this.recvTransport]) {
      if (!transport || transport.closed) continue;
      const { iceParameters } = await this.sig.request('sfu.restartIce', { transportId: transport.id });
      await transport.restartIce({ iceParameters: iceParameters as unknown as types.IceParameters });
    }
  }

  /**
   * Resolves once the other side's media arrives through the SFU (decoded video, or audio
   * packets when they send no video) — the "make" of make before break — or after timeoutMs.
   */
  async waitReceiving(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.closed) {
      const s = await this.stats().catch(() => undefined);
      if (s && (s.videoFramesDecoded > 0 || (s.audioPacketsReceived > 0 && ![...this.consumers.values()].some((c) => c.kind === 'video')))) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  private transportOptions(info: TransportInfo): types.TransportOptions {
    return {
      id: info.transportId,
      iceParameters: info.iceParameters as unknown as types.IceParameters,
      iceCandidates: info.iceCandidates as unknown as types.IceCandidate[],
      dtlsParameters: info.dtlsParameters as unknown as types.DtlsParameters,
      iceServers: this.iceServers,
    };
  }

  private wireConnect(transport: types.Transport): void {
    // Not waiting for the server's answer: mediasoup-client holds the first produce/consume until
    // ok(), and the server handles the connect (sent first, same socket) before either anyway.
    // That is one round trip less per transport; a refused connect fails the transport.
    transport.on('connect', ({ dtlsParameters }, ok) => {
      this.sig
        .request('sfu.connectTransport', { transportId: transport.id, dtlsParameters: dtlsParameters as unknown as Record<string, unknown> })
        .catch((err) => {
          console.warn('transport connect refused', err);
          if (!this.closed) this.handlers.onConnectionState?.('failed');
        });
      ok();
    });
    transport.on('connectionstatechange', (state) => {
      if (state === 'connected') performance.mark(`duet:sfu-${transport.direction}-connected`);
      if (state === 'connected' || state === 'failed' || state === 'closed') this.handlers.onConnectionState?.(state);
      if (state === 'disconnected' || state === 'failed') this.iceWatch.watch(transport);
    });
    // Instant join: a transport adopted from the pre-join connected before anyone listened.
    if (transport.connectionState === 'connected') this.handlers.onConnectionState?.('connected');
  }

  /** `info`: a transport the server made during `join`; otherwise one is requested now. */
  private async createSendTransport(info?: TransportInfo): Promise<void> {
    const transport = this.adopted(info, 'send') ?? this.device.createSendTransport(this.transportOptions(info ?? (await this.sig.request('sfu.createTransport', { direction: 'send' }))));
    this.wireConnect(transport);
    const onProduce = ({ kind, rtpParameters, appData }: { kind: string; rtpParameters: types.RtpParameters; appData: types.AppData }, ok: (r: { id: string }) => void, fail: (err: Error) => void) => {
      this.sig
        .request('sfu.produce', { transportId: transport.id, kind: kind as 'audio' | 'video', rtpParameters: rtpParameters as unknown as Record<string, unknown>, source: (appData as { source: 'camera' | 'microphone' | 'screen' }).source })
        .then(({ producerId }) => ok({ id: producerId }), fail);
    };
    // An adopted pre-join transport already has a `produce` listener: it hands over to this one.
    if (transport === this.pre?.send) this.pre.onProduce(onProduce);
    else transport.on('produce', onProduce);
    this.sendTransport = transport;
  }

  private async createRecvTransport(info?: TransportInfo): Promise<void> {
    const transport = this.adopted(info, 'recv') ?? this.device.createRecvTransport(this.transportOptions(info ?? (await this.sig.request('sfu.createTransport', { direction: 'recv' }))));
    this.wireConnect(transport);
    this.recvTransport = transport;
  }

  /** A producer of the other side, announced: asks the server for a consumer, then wires it. */
  /**
   * The node says nobody takes our camera above `maxSpatialLayer` (sfu.senderLayers): the
   * encodings above it go inactive (no uplink or CPU spent on them) until it rises again. Only
   * our own simulcast producers; the layer is clamped to the encodings there are.
   */
  private capEncodings(producerId: string, maxSpatialLayer: number): void {
    const producer = this.producers.get(producerId);
    if (!producer || producer.closed || (producer.rtpParameters.encodings?.length ?? 0) < 2) return;
    this.cameraLimits.setLayerCap(producer, maxSpatialLayer);
  }

  private async consume(p: ProducerAnnouncement): Promise<void> {
    if (this.consuming.has(p.producerId)) return;
    this.consuming.add(p.producerId);
    try {
      await this.recvReady;
      if (this.closed) return;
      performance.mark(`duet:sfu-consume-${p.kind}`);
      const info = await this.sig.request('sfu.consume', { producerId: p.producerId, rtpCapabilities: this.device.recvRtpCapabilities as unknown as Record<string, unknown> });
      await this.wire(info);
    } catch (err) {
      this.consuming.delete(p.producerId);
      throw err;
    }
  }

  /** A consumer the server already made for us (join, sfu.newConsumer): wired without a request. */
  private async consumeReady(info: ConsumerInfo): Promise<void> {
    if (this.consuming.has(info.producerId)) return; // also announced: the first one wins
    this.consuming.add(info.producerId);
    performance.mark(`duet:sfu-ready-consumer-${info.kind}`);
    try {
      await this.recvReady;
      if (this.closed) return;
      await this.wire(info);
    } catch (err) {
      this.consuming.delete(info.producerId);
      throw err;
    }
  }

  /** The consumer's track goes to the room; then the server resumes it (with a keyframe). */
  private async wire(info: ConsumerInfo): Promise<void> {
    const consumer = await this.recvTransport!.consume({
      id: info.consumerId,
      producerId: info.producerId,
      kind: info.kind,
      rtpParameters: info.rtpParameters as unknown as types.RtpParameters,
      appData: { source: info.source },
    });
    if (!this.consuming.has(info.producerId)) {
      consumer.close(); // the producer closed while we were consuming it
      return;
    }
    this.consumers.set(info.producerId, consumer);
    this.handlers.onTrack(consumer.track, info.source);
    await this.sig.request('sfu.resumeConsumer', { consumerId: info.consumerId });
    performance.mark(`duet:sfu-resumed-${info.kind}`);
  }

  private dropConsumer(producerId: string): void {
    const consumer = this.consumers.get(producerId);
    this.consuming.delete(producerId);
    if (!consumer) return;
    this.consumers.delete(producerId);
    consumer.close();
    this.handlers.onTrackEnded(consumer.track, (consumer.appData as { source?: 'camera' | 'microphone' | 'screen' }).source);
  }

  /** Held (see `held`): the producers lose their tracks; released: they get them back (a keyframe first). */
  async holdSending(hold: boolean): Promise<void> {
    this.held = hold;
    const trackFor = (p: types.Producer) => ((p.appData as { source?: string }).source === 'screen' ? this.screenTrack : p.kind === 'audio' ? this.local.getAudioTracks()[0] : this.local.getVideoTracks()[0]) ?? null;
    await Promise.all([...this.producers.values(), ...(this.screenProducer ? [this.screenProducer] : [])].filter((p) => !p.closed).map((p) => p.replaceTrack({ track: hold ? null : trackFor(p) })));
  }

  setTrackEnabled(kind: 'audio' | 'video', enabled: boolean): void {
    for (const producer of this.producers.values()) {
      if (producer.kind !== kind) continue;
      if (enabled) producer.resume();
      else producer.pause();
    }
    for (const t of this.local.getTracks()) if (t.kind === kind) t.enabled = enabled;
  }

  async stats() {
    const reports: RTCStatsReport[] = [];
    if (this.recvTransport) reports.push(await this.recvTransport.getStats());
    return summarize(reports);
  }

  async rawStats(): Promise<RTCStatsReport[]> {
    const transports = [this.recvTransport, this.sendTransport].filter((t): t is types.Transport => !!t && !t.closed);
    return Promise.all(transports.map((t) => t.getStats()));
  }

  close(): void {
    this.closed = true;
    this.cameraLimits.stop();
    this.dropPreconnected();
    this.iceWatch.stop();
    this.unsubscribe();
    this.sendTransport?.close();
    this.recvTransport?.close();
  }
}
