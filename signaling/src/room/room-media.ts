// A room's SFU side: the lesson's MediaRoom (router) created on first use, its events turned into
// notifications, the participants' SFU calls, and the rebuild after a worker died. Plain ids and
// JSON only cross this boundary (mediasoup objects stay in @duet/sfu).
import { MediaError, MediaLimitError, MediaRoom, type ProducerSummary, type WorkerPool } from '@duet/sfu';
import type { JoinProduce, MediaKindName, MediaSourceName, Notification, ResponseData, Role, SfuPrepared, TransportInfo } from '../protocol/index.ts';
import type { Logger } from '../log.ts';
import { other, RoomError } from './seat.ts';

export interface RoomMediaHost {
  /** Throws a RoomError when SFU calls are not allowed now (wrong mode, lesson ended); `preconnect`: for a pre-join socket. */
  assertSfu(preconnect?: boolean): void;
  notify(role: Role, n: Notification): void;
  /** Whether the participant's socket is connected now. */
  present(role: Role): boolean;
  onSpeaker(role: Role | null): void;
  /** The router's worker died: the next SFU call builds a new router; the room tells both. */
  onRouterLost(): void;
  /** A router was created (the recorder attaches to it). */
  onCreated(media: MediaRoom): void;
}

/** What a participant needs to set up SFU media: the router's codecs and the others' producers. */
export function capabilitiesOf(media: MediaRoom, role: Role): ResponseData['sfu.capabilities'] {
  const producers = media.producersFor(role).map((p) => ({ producerId: p.producerId, kind: p.kind, source: p.source, role: p.peerId as Role }));
  return { routerRtpCapabilities: media.rtpCapabilities, producers };
}

export class RoomMedia {
  private readonly lessonId: string;
  private readonly pool: WorkerPool;
  private readonly host: RoomMediaHost;
  private readonly log: Logger | undefined;
  private media: Promise<MediaRoom> | undefined;
  /** Receive capabilities given with `join`: the other side's new producers are consumed for them here. */
  private readonly recvCaps = new Map<Role, Record<string, unknown>>();
  /** Preconnected transports of pre-join sockets (by socket key): their ids. */
  private readonly pre = new Map<string, { send: string; recv: string }>();

  constructor(lessonId: string, pool: WorkerPool, host: RoomMediaHost, log: Logger | undefined) {
    this.lessonId = lessonId;
    this.pool = pool;
    this.host = host;
    this.log = log;
  }

  /** The lesson's router, created on first use (SFU mode only). */
  get(preconnect = false): Promise<MediaRoom> {
    try {
      this.host.assertSfu(preconnect);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.media) {
      const created = MediaRoom.create(this.pool, this.lessonId).then((media) => {
        media.on('producerAdded', (p) => void this.announce(media, p));
        media.on('producerClosed', (p) => this.host.notify(other(p.peerId as Role), { t: 'sfu.producerClosed', producerId: p.producerId }));
        // Only the producer's owner hears it: it says which of its own encodings nobody takes.
        media.on('senderLayers', (s) => this.host.notify(s.peerId as Role, { t: 'sfu.senderLayers', producerId: s.producerId, maxSpatialLayer: s.maxSpatialLayer }));
        media.on('activeSpeaker', ({ peerId }) => this.host.onSpeaker((peerId as Role | null) ?? null));
        media.on('closed', ({ reason }) => {
          if (reason !== 'worker_died' || this.media !== created) return;
          this.log?.warn('media worker died, rebuilding the lesson router');
          this.media = undefined;
          this.host.onRouterLost();
        });
        this.host.onCreated(media);
        return media;
      });
      this.media = created;
      created.catch(() => {
        if (this.media === created) this.media = undefined;
      });
    }
    return this.media;
  }

  /** For the hello of an SFU room: the router (created now if needed), or undefined. */
  forHello(instant = false): Promise<MediaRoom | undefined> {
    return this.get(instant).catch(() => undefined);
  }

  /**
   * A new producer reaches the other side: as a ready consumer when that side gave its receive
   * capabilities and has a receive transport (one round trip less), else as an announcement.
   */
  private async announce(media: MediaRoom, p: ProducerSummary): Promise<void> {
    const role = p.peerId as Role;
    const target = other(role);
    const caps = this.recvCaps.get(target);
    if (caps && this.host.present(target)) {
      try {
        const consumer = await media.consume(target, p.producerId, caps, { startEarly: true });
        // Closed meanwhile: its sfu.producerClosed already went out, and the consumer went with it.
        if (!media.producersFor(target).some((x) => x.producerId === p.producerId)) return;
        return this.host.notify(target, { t: 'sfu.newConsumer', ...consumer, role });
      } catch {
        // No receive transport yet (or it just closed): the announcement below does it the long way.
      }
    }
    this.host.notify(target, { t: 'sfu.newProducer', producerId: p.producerId, kind: p.kind, source: p.source, role });
  }

  /** P2P room, waiting alone (instant join): the other side's producers reach this one as ready consumers. */
  setRecvCaps(role: Role, rtpCapabilities: Record<string, unknown>): void {
    this.recvCaps.set(role, rtpCapabilities);
  }

  /**
   * `join` with receive capabilities: this side's send and receive transports, and paused
   * consumers of everything the other side produces, made now. Later producers of the other
   * side are consumed for it as they come (announce()).
   */
  prepare(role: Role, rtpCapabilities: Record<string, unknown>, preconnected?: string, produce: JoinProduce[] = [], onRefused?: (err: Error) => void): Promise<SfuPrepared> {
    this.recvCaps.set(role, rtpCapabilities);
    return this.call(async (m) => {
      // Instant join: the transports this socket made and connected at pre-join, if still there.
      const ids = preconnected ? this.pre.get(preconnected) : undefined;
      if (preconnected) this.pre.delete(preconnected);
      const adopted = ids ? await m.adoptTransports(preconnected!, role).catch(() => (m.removePeer(preconnected!), [])) : [];
      const pick = (direction: 'send' | 'recv') => adopted.find((t) => t.transportId === ids?.[direction]) ?? m.createTransport(role, direction);
      const sendAdopted = adopted.some((t) => t.transportId === ids?.send);
      const [send, recv] = await Promise.all([pick('send'), pick('recv')]);
      // The producers prepared at pre-join, made now (the click): only on the adopted send
      // transport, whose client side holds them. Each one alone: a refused one (bad parameters, a
      // second camera) is left out and the client produces it the usual way.
      const made = sendAdopted ? produce.slice(0, 2) : [];
      const [consumers, producers] = await Promise.all([
        Promise.all(m.producersFor(role).map(async (p) => ({ ...(await m.consume(role, p.producerId, rtpCapabilities, { startEarly: true })), role: p.peerId as Role }))),
        Promise.all(
          made.map((p) =>
            m.produce(role, send.transportId, p.kind, p.rtpParameters, p.source).then(
              (producerId) => ({ source: p.source, producerId }),
              (err: Error) => (onRefused?.(err), undefined),
            ),
          ),
        ),
      ]);
      const ok = producers.filter((p): p is { source: JoinProduce['source']; producerId: string } => !!p);
      return { send, recv, consumers, ...(made.length ? { producers: ok } : {}) };
    });
  }

  /**
   * Instant join, at pre-join: a send and a receive transport for a socket that is not seated
   * (`key`: per socket). They carry nothing (the socket can neither produce nor consume) and
   * nobody is told; `join` on that socket adopts them (prepare), its close drops them (dropPre).
   */
  async preconnect(key: string): Promise<{ send: TransportInfo; recv: TransportInfo }> {
    if (this.pre.has(key)) throw new RoomError('forbidden', 'this connection is already preconnected');
    this.pre.set(key, { send: '', recv: '' });
    try {
      const [send, recv] = await this.call((m) => Promise.all([m.createTransport(key, 'send'), m.createTransport(key, 'recv')]), true);
      if (!this.pre.has(key)) throw new RoomError('lesson_ended', 'the connection closed meanwhile');
      this.pre.set(key, { send: send.transportId, recv: recv.transportId });
      return { send, recv };
    } catch (err) {
      this.dropPre(key);
      throw err;
    }
  }

  /** DTLS for a preconnected transport (only the socket's own two). */
  async connectPre(key: string, transportId: string, dtlsParameters: Record<string, unknown>): Promise<void> {
    const ids = this.pre.get(key);
    if (!ids || (ids.send !== transportId && ids.recv !== transportId)) throw new RoomError('media_error', `unknown transport ${transportId}`);
    await this.call((m) => m.connectTransport(key, transportId, dtlsParameters), true);
  }

  /** The pre-join socket closed (or never joined): its transports go. */
  dropPre(key: string): void {
    if (!this.pre.delete(key)) return;
    void this.media?.then((m) => m.removePeer(key)).catch(() => undefined);
  }

  async capabilities(role: Role): Promise<ResponseData['sfu.capabilities']> {
    return capabilitiesOf(await this.get(), role);
  }

  createTransport(role: Role, direction: 'send' | 'recv'): Promise<ResponseData['sfu.createTransport']> {
    return this.call((m) => m.createTransport(role, direction));
  }

  async connectTransport(role: Role, transportId: string, dtlsParameters: Record<string, unknown>): Promise<void> {
    await this.call((m) => m.connectTransport(role, transportId, dtlsParameters));
  }

  async restartIce(role: Role, transportId: string): Promise<ResponseData['sfu.restartIce']> {
    return { iceParameters: await this.call((m) => m.restartIce(role, transportId)) };
  }

  produce(role: Role, transportId: string, kind: MediaKindName, rtpParameters: Record<string, unknown>, source: MediaSourceName): Promise<string> {
    return this.call((m) => m.produce(role, transportId, kind, rtpParameters, source));
  }

  async closeProducer(role: Role, producerId: string): Promise<void> {
    await this.call(async (m) => m.closeProducer(role, producerId));
  }

  consume(role: Role, producerId: string, rtpCapabilities: Record<string, unknown>): Promise<ResponseData['sfu.consume']> {
    return this.call((m) => m.consume(role, producerId, rtpCapabilities));
  }

  async resumeConsumer(role: Role, consumerId: string): Promise<void> {
    await this.call((m) => m.resumeConsumer(role, consumerId));
  }

  /** Drops a participant's transports (and so its producers and consumers). */
  removePeer(role: Role): void {
    this.recvCaps.delete(role);
    void this.media?.then((m) => m.removePeer(role)).catch(() => undefined);
  }

  /** Operator/test view of the router, or null when there is none. */
  async stats(): Promise<Record<string, unknown> | null> {
    const media = this.media ? await this.media.catch(() => undefined) : undefined;
    return media && !media.closed ? { ...media.stats(), workerPid: media.workerPid } : null;
  }

  close(): void {
    this.pre.clear();
    void this.media?.then((m) => m.close()).catch(() => undefined);
    this.media = undefined;
  }

  private async call<T>(fn: (m: MediaRoom) => Promise<T>, preconnect = false): Promise<T> {
    const media = await this.get(preconnect);
    try {
      return await fn(media);
    } catch (err) {
      if (err instanceof MediaLimitError) throw new RoomError('rate_limited', err.message);
      if (err instanceof MediaError) throw new RoomError('media_error', err.message);
      throw err;
    }
  }
}
