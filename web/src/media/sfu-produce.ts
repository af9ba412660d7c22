// How the SFU session sends each local track (one place for the session and for the instant
// join's producers prepared at pre-join): the camera in simulcast layers (one stream in a
// recorded lesson), the microphone first when bandwidth is short, start bitrate and Opus options.
import type { types } from 'mediasoup-client';
import { VIDEO_START_KBPS } from './start-bitrate.ts';
import { AUDIO_ENCODING, cameraSimulcast, mediaTuning } from './encodings.ts';

export type SentSource = 'camera' | 'microphone';

/** The encodings asked for (undefined: the browser's default single stream). */
export function wantedEncodings(track: MediaStreamTrack, device: { handlerName: string }, recorded: boolean): RTCRtpEncodingParameters[] | undefined {
  if (track.kind === 'video') return recorded ? undefined : cameraSimulcast(track, !device.handlerName.startsWith('Firefox'));
  return mediaTuning().audioFirst ? [AUDIO_ENCODING] : undefined;
}

/**
 * The microphone's codec: Opus RED (redundant copies of the last frames, so a lost packet is
 * rebuilt from the next one) when the browser and the media node both take it; the node gives a
 * receiver without RED the plain Opus inside. Undefined: the first codec (plain Opus).
 */
export function audioCodec(device: { rtpCapabilities: types.RtpCapabilities }): types.RtpCodecCapability | undefined {
  if (!mediaTuning().red) return undefined;
  const codecs = device.rtpCapabilities.codecs ?? [];
  const red = codecs.find((c) => c.kind === 'audio' && c.mimeType.toLowerCase() === 'audio/red');
  return red && codecs.some((c) => c.kind === 'audio' && c.mimeType.toLowerCase() === 'audio/opus') ? red : undefined;
}

/** The produce() options for a camera or microphone track (stopTracks off: the camera outlives the session). */
export function produceOptions(track: MediaStreamTrack, encodings: RTCRtpEncodingParameters[] | undefined, device: { rtpCapabilities: types.RtpCapabilities }): types.ProducerOptions {
  const codec = track.kind === 'audio' ? audioCodec(device) : undefined;
  return {
    track,
    stopTracks: false,
    appData: { source: track.kind === 'audio' ? 'microphone' : 'camera' },
    ...(encodings ? { encodings } : {}),
    ...(codec ? { codec } : {}),
    codecOptions: track.kind === 'video' ? (mediaTuning().startBitrate ? { videoGoogleStartBitrate: VIDEO_START_KBPS } : {}) : { opusFec: true, opusDtx: mediaTuning().dtx },
  };
}
