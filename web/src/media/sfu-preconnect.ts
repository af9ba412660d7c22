// Instant join (SFU lessons): the pre-join socket's send and receive transports, created and
// connected before the click with nothing sent or shown; SfuSession adopts them at the join.
import type { Device, types } from 'mediasoup-client';
import type { TransportInfo } from '@duet/signaling/protocol';
import type { SignalingClient } from '../lib/signaling-client.ts';

/** Instant join: transports the server made for the pre-join socket, already connecting. */
export interface Preconnected {
  send: types.Transport;
  recv: types.Transport;
}

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

export async function preconnect(sig: SignalingClient, device: Device, iceServers: RTCIceServer[]): Promise<Preconnected> {
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
    t.once('connect', ({ dtlsParameters }, ok, fail) => {
      sig.request('sfu.connectTransport', { transportId: t.id, dtlsParameters: dtlsParameters as unknown as Record<string, unknown> }).then(() => ok(), fail);
    });
    t.on('connectionstatechange', (state) => state === 'connected' && performance.mark(`duet:pre-${t.direction}-connected`));
  }
  try {
    const opus = device.recvRtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === 'audio/opus');
    if (!opus?.preferredPayloadType) throw new Error('no opus in the router capabilities');
    const codec = { mimeType: opus.mimeType, payloadType: opus.preferredPayloadType, clockRate: opus.clockRate, channels: opus.channels ?? 2, parameters: {}, rtcpFeedback: [] };
    const audio = new AudioContext();
    const silent = audio.createMediaStreamDestination().stream.getAudioTracks()[0]!;
    send.once('produce', (_params, ok) => ok({ id: 'warm-up' }));
    const [consumer, producer] = await Promise.all([
      recv.consume({ id: 'warm-up', producerId: 'warm-up', kind: 'audio', rtpParameters: { mid: WARM_UP_MID, codecs: [codec], headerExtensions: [], encodings: [{ ssrc: 1 }], rtcp: { cname: 'warm-up', reducedSize: true } } }),
      send.produce({ track: silent, stopTracks: true, zeroRtpOnPause: true }),
    ]);
    consumer.close();
    producer.close();
    void audio.close();
  } catch (err) {
    send.close();
    recv.close();
    throw err;
  }
  return { send, recv };
}
