// Router codecs: Opus + VP8 for every browser, H.264 constrained baseline for Safari.
import type { types } from 'mediasoup';
import { generateRouterRtpCapabilities } from 'mediasoup/ortc';

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

let capabilities: types.RtpCapabilities | undefined;
/**
 * What every router of this node answers as rtpCapabilities (they all use MEDIA_CODECS), known
 * without a router: a client loads its device with it before any room exists.
 */
export function routerRtpCapabilities(): types.RtpCapabilities {
  capabilities ??= generateRouterRtpCapabilities(structuredClone(MEDIA_CODECS));
  return capabilities;
}
