// Instant join (SFU lessons): the pre-join socket's send and receive transports, created and
// connected before the click with nothing sent or shown; SfuSession adopts them at the join.
import type { Device, types } from 'mediasoup-client';
import type { TransportInfo } from '@duet/signaling/protocol';
import type { SignalingClient } from '../lib/signaling-client.ts';
import { produceOptions, wantedEncodings, type SentSource } from './sfu-produce.ts';

/**
 * A camera or microphone producer prepared at pre-join on the preconnected send transport: its
 * RTP parameters are known, its id is local, it has no track (nothing is encoded or sent). The
 * join hands the parameters to the server, which makes the producer at the click; the session
 * then gives it the real track (replaceTrack: no renegotiation on the click path).
 */
export interface PreProduced {
  source: SentSource;
  kind: 'audio' | 'video';
  rtpParameters: Record<string, unknown>;
  producer: types.Producer;
  /** How many simulcast layers it was prepared with (0: one plain stream). */
  layers: number;
}

type ProduceHandler = (params: { kind: string; rtpParameters: types.RtpParameters; appData: types.AppData }, ok: (r: { id: string }) => void, fail: (err: Error) => void) => void;

/** Instant join: transports the server made for the pre-join socket, already connecting. */
export interface Preconnected {
  send: types.Transport;
  recv: types.Transport;
  /** Producers prepared on `send` (may be empty: the browser refused, or not done yet). */
  produced: PreProduced[];
  /** Who answers the send transport's `produce` from now on (the session that adopts it). */
  onProduce(handler: ProduceHandler): void;
}

/** The camera size the pre-join opens (VIDEO_CONSTRAINTS' ideal height): the prepared layers follow it. */
const EXPECTED_HEIGHT = 720;

/**
 * Instant join, on the pre-join screen of a live SFU lesson: creates the standby socket's two
 * transports and connects them (ICE + DTLS) with nothing sent or shown. mediasoup-client only
 * connects a transport at its first consume/produce, so each gets a local-only warm-up: a
 * consumer the server never made (no packets can come) and a producer of a generated silent
 * track (no device) that never reaches the server (its `produce` is answered locally); both are
 * closed at once, the transports stay up. The join then adopts the same transports.
 */
/**
 * The warm-up consumer's m-section stays in the SDP (disabled: the first one of a BUNDLE cannot be
 * removed); its mid must never be one the server gives consumers ("0", "1", …), or the first real
 * consumer would reuse it with another kind and the browser would refuse the description.
 */
const WARM_UP_MID = 'warm';

/**
 * Connects a receive transport (ICE + DTLS) before anything is consumed on it: a consumer the
 * server never made (no packets can come), closed at once. Also used by the person already in the
 * room, so the newcomer's first packets do not wait for that side's transport to connect.
 */
export async function warmUpRecv(recv: types.Transport, device: Device): Promise<void> {
  const opus = device.recvRtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === 'audio/opus');
  if (!opus?.preferredPayloadType) throw new Error('no opus in the router capabilities');
  const codec = { mimeType: opus.mimeType, payloadType: opus.preferredPayloadType, clockRate: opus.clockRate, channels: opus.channels ?? 2, parameters: {}, rtcpFeedback: [] };
  const consumer = await recv.consume({ id: 'warm-up', producerId: 'warm-up', kind: 'audio', rtpParameters: { mid: WARM_UP_MID, codecs: [codec], headerExtensions: [], encodings: [{ ssrc: 1 }], rtcp: { cname: 'warm-up', reducedSize: true } } });
  consumer.close();
}

export async function preconnect(sig: SignalingClient, device: Device, iceServers: RTCIceServer[], recorded = false): Promise<Preconnected> {
  const { send: sendInfo, recv: recvInfo } = await sig.request('sfu.preconnect', {});
  const options = (info: TransportInfo): types.TransportOptions => ({
    id: info.transportId,
    iceParameters: info.iceParameters as unknown as types.IceParameters,
    iceCandidates: info.iceCandidates as unknown as types.IceCandidate[],
    dtlsParameters: info.dtlsParameters as unknown as types.DtlsParameters,
    iceServers,
  });
  const send = device.createSendTransport(options(sendInfo));
  const recv = device.createRecvTransport(options(recvInfo));
  for (const t of [send, recv]) {
    // 'on', not 'once': mediasoup-client refuses a produce while the transport is still 'new' and has no listener.
    t.on('connect', ({ dtlsParameters }, ok, fail) => {
      sig.request('sfu.connectTransport', { transportId: t.id, dtlsParameters: dtlsParameters as unknown as Record<string, unknown> }).then(() => (performance.mark(`duet:pre-${t.direction}-dtls-given`), ok()), fail);
    });
    t.on('connectionstatechange', (state) => state === 'connected' && performance.mark(`duet:pre-${t.direction}-connected`));
  }
  try {
    const audio = new AudioContext();
    const silent = audio.createMediaStreamDestination().stream.getAudioTracks()[0]!;
    send.once('produce', (_params, ok) => ok({ id: 'warm-up' }));
    const [, producer] = await Promise.all([warmUpRecv(recv, device), send.produce({ track: silent, stopTracks: true, zeroRtpOnPause: true })]);
    producer.close();
    void audio.close();
  } catch (err) {
    send.close();
    recv.close();
    throw err;
  }
  // From here the send transport's `produce` is answered by whoever holds it: the pre-join (local
  // ids, nothing reaches the server), then the session that adopts the transport.
  let answer: ProduceHandler = (params, ok) => ok({ id: `pre-${(params.appData as { source?: string }).source ?? params.kind}` });
  send.on('produce', (params, ok, fail) => answer(params, ok, fail));
  const pre: Preconnected = { send, recv, produced: [], onProduce: (handler) => (answer = handler) };
  pre.produced = await prepareProducers(send, device, recorded).catch((err: unknown) => {
    console.warn('instant join: producers not prepared', err);
    return [];
  });
  if (pre.produced.length) performance.mark('duet:pre-produced');
  return pre;
}

/**
 * The camera and microphone producers, prepared with generated tracks that carry nothing (a canvas
 * never drawn, an AudioContext never started) and then detached (track null): the browser
 * negotiates the m-sections locally and encodes nothing. The parameters go with `join`.
 */
async function prepareProducers(send: types.Transport, device: Device, recorded: boolean): Promise<PreProduced[]> {
  const canvas = document.createElement('canvas');
  canvas.width = Math.round((EXPECTED_HEIGHT * 16) / 9);
  canvas.height = EXPECTED_HEIGHT;
  const video = canvas.captureStream(0).getVideoTracks()[0];
  const audioContext = new AudioContext();
  const audio = audioContext.createMediaStreamDestination().stream.getAudioTracks()[0];
  const produced: PreProduced[] = [];
  try {
    for (const track of [video, audio]) {
      if (!track) continue;
      // The layers the real camera would get at the expected size (the canvas reports none).
      const sized = track.kind === 'video' ? ({ kind: 'video', getSettings: () => ({ height: EXPECTED_HEIGHT }) } as unknown as MediaStreamTrack) : track;
      const encodings = wantedEncodings(sized, device, recorded);
      const producer = await send.produce(produceOptions(track, encodings, device));
      await producer.replaceTrack({ track: null });
      produced.push({ source: track.kind === 'audio' ? 'microphone' : 'camera', kind: track.kind as 'audio' | 'video', rtpParameters: producer.rtpParameters as unknown as Record<string, unknown>, producer, layers: encodings?.length ?? 0 });
    }
  } finally {
    video?.stop();
    audio?.stop();
    void audioContext.close();
  }
  return produced;
}
