// The SFU session's code (mediasoup-client) in its own chunk, loaded once and only when needed.
import type { SfuSession } from './sfu-session.ts';
import { delay, SignalingError, type SignalingClient } from '../lib/signaling-client.ts';
import type { PreloadedDevice } from './media-path.ts';
import type { ClientMessageOf } from '@duet/signaling/protocol';
import { cameraSimulcast } from './encodings.ts';

let sfuModule: Promise<typeof import('./sfu-session.ts')> | undefined;
const sfuChunk = () => (sfuModule ??= import('./sfu-session.ts'));

/** mediasoup-client loads only when a lesson uses the SFU (its own chunk; see the bundle test). */
export function loadSfuSession(): Promise<typeof SfuSession> {
  return sfuChunk().then((m) => m.SfuSession);
}

/**
 * Pre-join of an SFU lesson: the device, and (instant join) the media path connected ahead of the
 * click when the lesson is live (sfu-session.ts preconnect(); refused otherwise: the join makes it).
 */
export async function prepareSfu(sig: SignalingClient, routerRtpCapabilities: Record<string, unknown>, iceServers: RTCIceServer[], recorded = false): Promise<PreloadedDevice> {
  const m = await sfuChunk();
  const prepared: PreloadedDevice = { device: await m.loadDevice(routerRtpCapabilities), caps: JSON.stringify(routerRtpCapabilities) };
  // In the background (the click never waits for it). Nobody in the lesson yet (wrong_mode): asked
  // again every PRECONNECT_RETRY_MS, bounded; any other answer (joined, socket closed) ends it.
  prepared.preconnecting = (async () => {
    for (let i = 0; i < PRECONNECT_TRIES && !prepared.joined; i++) {
      const attempt = m.preconnect(sig, prepared.device, iceServers, recorded);
      prepared.warming = attempt.then(() => undefined, () => undefined);
      try {
        const pre = await attempt;
        if (prepared.joined) {
          // The join went without it (the click came first): the node dropped its side.
          pre.send.close();
          pre.recv.close();
        } else prepared.pre = pre;
        return;
      } catch (err) {
        if (!(err instanceof SignalingError && err.code === 'wrong_mode')) return;
      } finally {
        prepared.warming = undefined;
      }
      await delay(PRECONNECT_RETRY_MS, undefined);
    }
  })().catch(() => undefined);
  return prepared;
}

const PRECONNECT_RETRY_MS = 2_000;
/** 20 minutes of pre-join at most (the server's standby timeout by default). */
const PRECONNECT_TRIES = 600;

/**
 * The `join` request's media part: the receive capabilities (the server makes this side's
 * transports and consumers) and, with instant join, the producers prepared at pre-join (the server
 * makes them at the click). A camera whose size calls for other simulcast layers than the prepared
 * ones is left out (produced the usual way after the join).
 */
export function joinMedia(device: PreloadedDevice | null, preset?: MediaStream): Omit<ClientMessageOf<'join'>, 't' | 'id'> {
  if (!device) return {};
  device.joined = true; // from here a late `pre` is closed, not used (see PreloadedDevice.joined)
  const rtpCapabilities = device.device.recvRtpCapabilities as unknown as Record<string, unknown>;
  const camera = preset?.getVideoTracks()[0];
  const produce = (device.pre?.produced ?? [])
    .filter((p) => !p.producer.closed && (p.source !== 'camera' || !camera || (cameraSimulcast(camera)?.length ?? 0) === p.layers || p.layers === 0))
    .map((p) => ({ source: p.source, kind: p.kind, rtpParameters: p.rtpParameters }));
  // Adopted only when this side's two connections are up: the node drops them otherwise.
  if (!device.pre) return { rtpCapabilities };
  return produce.length ? { rtpCapabilities, produce, preconnected: true } : { rtpCapabilities, preconnected: true };
}
