// Maps each validated request onto room logic. Errors the client can act on become RequestErrors.
import { JoinTokenError, verifyJoinToken, type JoinKeyLookup } from '@duet/api/tokens';
import { MediaLimitError, routerRtpCapabilities, type MediaProbes } from '@duet/sfu';
import type { ClientMessage, JoinProduce, ProbeInfo, TransportInfo } from '../protocol/index.ts';
import { LessonUnavailableError, NodeDrainingError, type RoomRegistry } from '../room/registry.ts';
import { capabilitiesOf, RoomError, type Room } from '../room/room.ts';
import { LessonLookupError, SeatRefusedError } from '../api-client.ts';
import { ERROR_CODES, type ErrorCode } from '../protocol/errors.ts';
import { JoinKeysUnavailableError } from './join-keys.ts';
import { RequestError, type Connection, type Handler, type Reply } from './connection.ts';

const EMPTY = {};

/** The key of a socket's route probe in MediaProbes (closed at the join and at the socket's close). */
export const probeKey = (conn: Connection): string => `probe:${conn.id}`;

/** `joinKeys`: the API's public keys by kid (transport/join-keys.ts); this node holds no signing secret. */
export function createHandler(registry: RoomRegistry, joinKeys: JoinKeyLookup, standbyTimeoutMs: number, probes?: MediaProbes): Handler {
  async function verify(token: string) {
    try {
      return await verifyJoinToken(joinKeys, token);
    } catch (err) {
      if (err instanceof JoinTokenError) throw new RequestError(err.code === 'token_wrong_session' ? 'token_invalid' : err.code, err.message);
      if (err instanceof JoinKeysUnavailableError) throw new RequestError('service_unavailable', 'the lesson service is unavailable, try again shortly');
      throw err;
    }
  }

  function roomError(err: unknown): unknown {
    if (err instanceof LessonUnavailableError) return new RequestError('lesson_unavailable', err.message);
    if (err instanceof NodeDrainingError) return new RequestError('node_draining', err.message);
    if (err instanceof LessonLookupError) return new RequestError('service_unavailable', 'the lesson service is unavailable, try again shortly');
    if (err instanceof SeatRefusedError) {
      const known = (ERROR_CODES as readonly string[]).includes(err.code) ? (err.code as ErrorCode) : err.code.startsWith('token_') ? 'token_invalid' : 'lesson_unavailable';
      return new RequestError(known, err.message);
    }
    return err;
  }

  /** The API's word on the seat; a refusal becomes the client's error code. */
  async function checkSeat(sessionId: string, token: string, ticket: string | undefined): Promise<void> {
    try {
      await registry.checkSeat(sessionId, token, ticket);
    } catch (err) {
      throw roomError(err);
    }
  }

  /** The pre-join socket: a valid token for a lesson this node does not refuse; no seat, no room. */
  async function standby(conn: Connection, token: string, ticket: string | undefined): Promise<Reply> {
    const claims = await verify(token);
    try {
      registry.precheck(claims.sessionId);
    } catch (err) {
      throw roomError(err);
    }
    await checkSeat(claims.sessionId, token, ticket);
    conn.standBy(token, ticket, claims, standbyTimeoutMs);
    // SFU lessons start there, P2P ones may too (an instant join, see sfu.preconnect). A recorded
    // lesson whose room is open gets them whatever P2P_INSTANT_JOIN says.
    const sfu = registry.offersSfu() || registry.get(claims.sessionId)?.sfuOnly ? { routerRtpCapabilities: routerRtpCapabilities() as unknown as Record<string, unknown> } : undefined;
    return { data: { timeoutMs: standbyTimeoutMs, ...(sfu ? { sfu } : {}) } };
  }

  /**
   * Instant join: transports for a standby socket of a live room, SFU or P2P with someone waiting
   * (see sfu.preconnect). A room is never opened for it: only a lesson somebody is already in has
   * a router to connect to (a P2P room gets its router now; nobody in it is told).
   */
  async function preconnect(conn: Connection): Promise<{ send: TransportInfo; recv: TransportInfo }> {
    const claims = conn.standbyClaims!;
    if (conn.preconnected) throw new RequestError('forbidden', 'this connection is already preconnected');
    const room = registry.get(claims.sessionId);
    if (!room || room.hasEnded) throw new RequestError('wrong_mode', 'nobody is in this lesson yet: nothing to preconnect to');
    const key = `standby:${conn.id}`;
    conn.preconnected = { room, key };
    try {
      const data = await room.sfu.preconnect(key);
      // Closed while the worker made them: the close hook may have run before they existed.
      if (conn.closed) room.sfu.dropPre(key);
      return data;
    } catch (err) {
      conn.preconnected = undefined;
      return asRequestError(err);
    }
  }

  /**
   * Pre-join route check: a throwaway transport on the node's media ports that answers ICE only
   * (sfu/src/media-probes.ts). Any authenticated standby socket, any lesson mode; bounded per
   * socket (one open at a time, the kind bucket: 3 at once then one per 5 s) and per node.
   */
  async function probe(conn: Connection): Promise<ProbeInfo> {
    if (!probes) throw new RequestError('wrong_mode', 'route probes are not available on this node');
    const key = probeKey(conn);
    try {
      const info = await probes.create(key);
      // Closed (or joined) while the worker made it: the close hook may have run before it existed.
      if (conn.closed || conn.claims) probes.close(key);
      return info;
    } catch (err) {
      if (err instanceof MediaLimitError) {
        conn.countRejection('probe_limit');
        throw new RequestError('rate_limited', err.message);
      }
      throw new RequestError('media_error', 'the route probe could not be made');
    }
  }

  /** `adopt`: the join asked for this socket's preconnected transports (see `join` in the protocol). */
  async function hello(conn: Connection, token: string, ticket: string | undefined, resume: string | undefined, rtpCapabilities?: Record<string, unknown>, produce?: JoinProduce[], adopt = false): Promise<Reply> {
    // Checked again on `join`: the token may have expired, been superseded or revoked while the
    // person sat on the pre-join screen. The API is asked alongside opening a live room (no extra
    // wait on the click); before a room exists it is asked first, so a refused token creates
    // nothing, and the same answer carries the lesson's facts and chat the room is opened with.
    const claims = await verify(token);
    let room: Room;
    try {
      const live = registry.get(claims.sessionId);
      // A resume of a seat this node still keeps was checked when it was taken: an API outage
      // must not cost it (a refusal from a reachable API still does).
      const seatCheck = registry.checkSeat(claims.sessionId, token, ticket, !live).catch((err: unknown) => {
        if (err instanceof LessonLookupError && err.status >= 500 && live?.keepsSeat(claims.role, resume)) return undefined;
        throw err;
      });
      if (live) [room] = await Promise.all([registry.open(claims.sessionId), seatCheck]);
      else room = await registry.open(claims.sessionId, new Date(), (await seatCheck)?.opening);
    } catch (err) {
      throw roomError(err);
    }
    // Instant join in a P2P room (someone waits, this socket preconnected): the lesson starts on the SFU.
    const instant = adopt && conn.preconnected?.room === room && room.startsInstant;
    const [chat, media] = await Promise.all([room.chatHistory(), room.mediaForHello(instant)]);
    let joined;
    try {
      joined = room.join(claims, conn, resume, chat, instant && !!media);
    } catch (err) {
      if (err instanceof RoomError) throw new RequestError(err.code === 'lesson_ended' ? 'lesson_unavailable' : err.code, err.message);
      throw err;
    }
    const { data, after } = joined;
    const pre = conn.preconnected; // instant join: adopted below in an SFU room when asked, else dropped
    conn.preconnected = undefined;
    conn.claims = claims;
    conn.room = room;
    conn.seated(claims);
    probes?.close(probeKey(conn)); // seated: the pre-join's probe has served
    // SFU rooms: the capabilities ride on the hello (taken right after seating, in the same tick,
    // so a producer added later reaches this participant as sfu.newProducer).
    if (media && !media.closed && data.mode === 'sfu') {
      data.sfu = capabilitiesOf(media, claims.role);
      // `join` with receive capabilities: transports and consumers made here, saving the client
      // its sfu.createTransport and sfu.consume round trips (it does them itself if this fails).
      if (rtpCapabilities) {
        const refused = (err: Error) => {
          conn.countRejection('join_produce_refused');
          conn.log.warn({ error: err.message }, 'a producer given with join was refused');
        };
        const prepared = await room.sfu.prepare(claims.role, rtpCapabilities, adopt && pre?.room === room ? pre.key : undefined, produce, refused).catch((err: Error) => conn.log.warn({ error: err.message }, 'sfu prepare failed'));
        if (prepared) data.sfu.prepared = prepared;
      }
    }
    // Waiting alone in a P2P room with instant join: a newcomer's producers come as ready consumers.
    if (rtpCapabilities && data.mode === 'waiting' && room.startsInstant) room.sfu.setRecvCaps(claims.role, rtpCapabilities);
    if (pre) pre.room.sfu.dropPre(pre.key); // no-op once adopted
    conn.log.info({ resumed: data.resumed, mode: data.mode }, 'participant joined');
    return { data, after };
  }

  function asRequestError(err: unknown): never {
    if (err instanceof RoomError) throw new RequestError(err.code === 'lesson_ended' ? 'lesson_unavailable' : err.code, err.message);
    throw err;
  }

  return async (conn: Connection, msg: ClientMessage): Promise<Reply> => {
    if (msg.t === 'hello') return hello(conn, msg.token, msg.ticket, msg.resume);
    if (msg.t === 'standby') return standby(conn, msg.token, msg.ticket);
    if (msg.t === 'join') return hello(conn, conn.standbyToken!, conn.standbyTicket, undefined, msg.rtpCapabilities, msg.produce, msg.preconnected === true);
    if (!conn.claims) {
      // A standby socket (the connection only lets STANDBY_MESSAGES through before the join).
      if (msg.t === 'leave') return { data: EMPTY, after: () => conn.close(1000, 'left') };
      if (msg.t === 'sfu.preconnect') return { data: await preconnect(conn) };
      if (msg.t === 'sfu.probe') return { data: await probe(conn) };
      if (msg.t === 'sfu.connectTransport') {
        const pre = conn.preconnected;
        if (!pre) throw new RequestError('not_authenticated', 'join first (this connection is standing by)');
        await pre.room.sfu.connectPre(pre.key, msg.transportId, msg.dtlsParameters).catch(asRequestError);
        return { data: EMPTY };
      }
      return { data: { now: Date.now() } };
    }
    const room = conn.room!;
    const role = conn.claims!.role;
    try {
      switch (msg.t) {
        case 'ping':
          return { data: { now: Date.now() } };
        case 'leave':
          return { data: EMPTY, after: () => { room.leave(role, conn, 'left'); conn.close(1000, 'left'); } };
        case 'media.state':
          room.setMediaState(role, msg.audio, msg.video, msg.screen);
          return { data: EMPTY };
        case 'media.speaking':
          room.setSpeaking(role, msg.speaking);
          return { data: EMPTY };
        case 'p2p.status':
          return { data: { mode: room.p2pStatus(role, msg.state) } };
        case 'sfu.restartIce':
          return { data: await room.sfu.restartIce(role, msg.transportId) };
        case 'sfu.closeProducer':
          await room.sfu.closeProducer(role, msg.producerId);
          return { data: EMPTY };
        case 'sfu.ready':
          room.sfuReady(role);
          return { data: EMPTY };
        case 'p2p.ready':
          room.p2pReady(role);
          return { data: EMPTY };
        case 'chat.send':
          return { data: { message: await room.chat(role, msg.messageId, msg.text) } };
        case 'app.data':
          room.appData(role, msg.topic, msg.data);
          return { data: EMPTY };
        case 'board.sync':
          return { data: await room.board.sync(msg.sv) };
        case 'board.update':
          return { data: await room.board.update(role, msg.update) };
        case 'board.lock':
          return { data: room.board.setLocked(role, msg.locked) };
        case 'lesson.end':
          if (role !== 'tutor') throw new RoomError('forbidden', 'only the tutor can end the lesson');
          return { data: EMPTY, after: () => room.endByTutor(role) };
        case 'p2p.signal':
          room.relay(role, msg.signal);
          return { data: EMPTY };
        case 'sfu.preconnect':
          throw new RequestError('already_authenticated', 'sfu.preconnect is for a standby socket, before join');
        case 'sfu.probe':
          throw new RequestError('already_authenticated', 'sfu.probe is for a standby socket, before join');
        case 'sfu.capabilities':
          return { data: await room.sfu.capabilities(role) };
        case 'sfu.createTransport':
          return { data: await room.sfu.createTransport(role, msg.direction) };
        case 'sfu.connectTransport':
          await room.sfu.connectTransport(role, msg.transportId, msg.dtlsParameters);
          return { data: EMPTY };
        case 'sfu.produce':
          return { data: { producerId: await room.sfu.produce(role, msg.transportId, msg.kind, msg.rtpParameters, msg.source) } };
        case 'sfu.consume':
          return { data: await room.sfu.consume(role, msg.producerId, msg.rtpCapabilities) };
        case 'sfu.resumeConsumer':
          await room.sfu.resumeConsumer(role, msg.consumerId);
          return { data: EMPTY };
      }
    } catch (err) {
      if (err instanceof RoomError) throw new RequestError(err.code, err.message);
      throw err;
    }
  };
}
