// Router codecs: Opus + VP8 for every browser, H.264 constrained baseline for Safari, and Opus RED
// (RFC 2198) when this node's worker can forward it.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { types } from 'mediasoup';
import { generateRouterRtpCapabilities } from 'mediasoup/ortc';

/** The codecs every mediasoup build forwards. */
export const MEDIA_CODECS: types.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
];

/**
 * Opus with redundant copies of the previous frames (what Chromium and Safari send when it is the
 * first audio codec). Duet's worker build forwards it to a receiver that takes it and gives the
 * others (Firefox, the recorder) the primary Opus block of each packet
 * (sfu/scripts/worker-patches/audio-red.patch); a stock worker cannot, so it is offered only when
 * `probeAudioRed` found the worker able to.
 */
export const AUDIO_RED: types.RouterRtpCodecCapability = { kind: 'audio', mimeType: 'audio/red', clockRate: 48000, channels: 2 };

// mediasoup's list of the codecs it supports, which its router checks every codec against, has no
// audio/red: the entry is added to that very list (the object mediasoup's ortc module reads; the
// package exports do not reach it, so it is loaded by path). Harmless without the patched worker:
// nothing offers RED then.
{
  const require = createRequire(import.meta.url);
  const lib = dirname(require.resolve('mediasoup'));
  const { supportedRtpCapabilities } = require(join(lib, 'supportedRtpCapabilities.js')) as { supportedRtpCapabilities: types.RtpCapabilities };
  const codecs = supportedRtpCapabilities.codecs ?? [];
  if (!codecs.some((c) => c.mimeType.toLowerCase() === 'audio/red')) codecs.push({ ...AUDIO_RED, rtcpFeedback: [] } as types.RtpCodecCapability);
}

let audioRed = false;
let capabilities: types.RtpCapabilities | undefined;

/** Whether this node's routers offer Opus RED (set once its workers were probed). */
export function setAudioRed(enabled: boolean): void {
  if (enabled === audioRed) return;
  audioRed = enabled;
  capabilities = undefined;
}

export function audioRedEnabled(): boolean {
  return audioRed;
}

/** The codecs a lesson's router is made with. */
export function mediaCodecs(): types.RouterRtpCodecCapability[] {
  return audioRed ? [MEDIA_CODECS[0]!, AUDIO_RED, ...MEDIA_CODECS.slice(1)] : MEDIA_CODECS;
}

/**
 * What every router of this node answers as rtpCapabilities (they all use mediaCodecs()), known
 * without a router: a client loads its device with it before any room exists.
 */
export function routerRtpCapabilities(): types.RtpCapabilities {
  capabilities ??= generateRouterRtpCapabilities(structuredClone(mediaCodecs()));
  return capabilities;
}

/**
 * Whether `worker` forwards audio RED: a producer whose only codec is audio/red is refused by a
 * stock worker ("no media codecs found": RED is not a media codec there) and taken by Duet's.
 */
export async function probeAudioRed(worker: types.Worker): Promise<boolean> {
  const router = await worker.createRouter({ mediaCodecs: [MEDIA_CODECS[0]!, AUDIO_RED] });
  try {
    const transport = await router.createDirectTransport();
    const red = router.rtpCapabilities.codecs!.find((c) => c.mimeType === 'audio/red')!;
    await transport.produce({
      kind: 'audio',
      rtpParameters: { codecs: [{ mimeType: red.mimeType, payloadType: red.preferredPayloadType!, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 1 }] },
    });
    return true;
  } catch {
    return false;
  } finally {
    router.close();
  }
}
