// How each track is sent when the network is poor (measured in the network lab, docs/network-lab.md):
// - audio first on the SFU: the microphone's producer has `priority`/`networkPriority` high, so
//   when the estimate drops the video gives way; Opus in-band FEC (on by default) and DTX. Not on
//   P2P: there the same priorities on the microphone's sender kept a standing queue on a thin
//   uplink (network lab, `mobile`, 3 rounds each: RTT 360-500 ms and 2.5-4.6 s of the student's
//   video frozen with them, 130-164 ms and 0.5-2.2 s without; on the SFU, no difference);
// - Opus RED (each packet also carries the previous frame): P2P when both browsers offer it; SFU
//   when the browser and the media node take it (sfu-produce.ts audioCodec; the node gives a
//   receiver without RED the plain Opus inside);
// - SFU camera: VP8 simulcast (3 spatial layers, 3 temporal layers each where the browser takes a
//   scalabilityMode per layer; Firefox gets its default), so the SFU can give a
//   receiver on a weak link a layer its link can carry instead of the full picture it cannot;
// - screen share: contentHint 'detail' and 'maintain-resolution' (text stays sharp, frame rate gives).
// `__duetMediaTuning` (set by the network bench before the page loads) turns a choice off to
// measure what it is worth; nothing in the product sets it.

export interface MediaTuning {
  simulcast: boolean;
  /** SFU: the microphone's producer at priority/networkPriority high (AUDIO_ENCODING). */
  audioFirst: boolean;
  red: boolean;
  dtx: boolean;
  /** P2P: restart the video encodings (a keyframe) when ICE comes back after a cut (video-after-cut.ts). */
  videoRestart: boolean;
  /** Video's send estimate starts at VIDEO_START_KBPS (start-bitrate.ts) instead of Chromium's 300 kbps. */
  startBitrate: boolean;
  /** SFU: cap the camera when this side's uplink is overfilled (uplink-guard.ts). */
  uplinkGuard: boolean;
  /** SFU: each simulcast layer in 3 temporal layers (L1T3), so the node can lower a receiver's frame rate. */
  temporalLayers: boolean;
  /** SFU: the lowest simulcast layer's ceiling, bits/s (the product's: LOW_LAYER_BPS). */
  lowLayerBps: number;
}

export function mediaTuning(): MediaTuning {
  const t = (globalThis as { __duetMediaTuning?: Partial<MediaTuning> }).__duetMediaTuning ?? {};
  return { simulcast: t.simulcast ?? true, audioFirst: t.audioFirst ?? true, red: t.red ?? true, dtx: t.dtx ?? true, videoRestart: t.videoRestart ?? true, startBitrate: t.startBitrate ?? true, uplinkGuard: t.uplinkGuard ?? true, temporalLayers: t.temporalLayers ?? true, lowLayerBps: t.lowLayerBps ?? LOW_LAYER_BPS };
}

/** The lowest simulcast layer's ceiling (a quarter of 720p, 180p). */
export const LOW_LAYER_BPS = 150_000;

export const AUDIO_ENCODING: RTCRtpEncodingParameters = { priority: 'high', networkPriority: 'high' };

/** Camera simulcast layers for the SFU (low, medium, full), by the track's height. */
export function cameraSimulcast(track: MediaStreamTrack, temporalLayers = true): RTCRtpEncodingParameters[] | undefined {
  if (!mediaTuning().simulcast) return undefined;
  const height = track.getSettings().height ?? 720;
  // Below 360p two layers are not worth their cost: one stream, as before.
  if (height < 360) return undefined;
  const layers: (RTCRtpEncodingParameters & { scalabilityMode?: string })[] = [
    { scaleResolutionDownBy: 4, maxBitrate: mediaTuning().lowLayerBps, scalabilityMode: 'L1T3' },
    { scaleResolutionDownBy: 2, maxBitrate: 500_000, scalabilityMode: 'L1T3' },
    { scaleResolutionDownBy: 1, maxBitrate: 1_500_000, scalabilityMode: 'L1T3' },
  ];
  // 360p-540p: half and full size only (a quarter of 480p is too small to be worth a layer).
  if (!temporalLayers) for (const l of layers) delete l.scalabilityMode;
  else if (!mediaTuning().temporalLayers) for (const l of layers) l.scalabilityMode = 'L1T1';
  return height >= 540 ? layers : layers.slice(1);
}

/** A screen share keeps its resolution (text) and lets the frame rate go. */
export function markScreenTrack(track: MediaStreamTrack): void {
  if ('contentHint' in track) track.contentHint = 'detail';
}

/**
 * Degradation on the senders of a P2P connection (after negotiation): the screen share keeps its
 * resolution. The microphone's sender is left as the browser made it (see the header: audio
 * priorities on P2P cost video on a thin uplink).
 */
export async function tuneSenders(pc: RTCPeerConnection, screen: MediaStreamTrack | null): Promise<void> {
  for (const sender of pc.getSenders()) {
    if (!sender.track || sender.track !== screen) continue;
    const params = sender.getParameters();
    if (!params.encodings?.length) continue;
    (params as RTCRtpSendParameters & { degradationPreference?: string }).degradationPreference = 'maintain-resolution';
    await sender.setParameters(params).catch(() => undefined);
  }
}

/** P2P: RED first on the audio transceiver when this browser can send it (the other side decides too). */
export function preferRed(transceiver: RTCRtpTransceiver): void {
  if (!mediaTuning().red || typeof transceiver.setCodecPreferences !== 'function') return;
  const caps = typeof RTCRtpReceiver !== 'undefined' ? RTCRtpReceiver.getCapabilities?.('audio') : null;
  if (!caps) return;
  const red = caps.codecs.filter((c) => c.mimeType.toLowerCase() === 'audio/red');
  if (!red.length) return;
  const rest = caps.codecs.filter((c) => c.mimeType.toLowerCase() !== 'audio/red');
  try {
    transceiver.setCodecPreferences([...red, ...rest]);
  } catch {
    // A browser that lists RED but refuses the order: Opus alone, as before.
  }
}

/** Asks the other side's Opus encoder for DTX and in-band FEC (written into the description applied as remote). */
export function withOpusDtx(sdp: string): string {
  if (!mediaTuning().dtx) return sdp;
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const opus = new Set<string>();
  for (const m of sdp.matchAll(/a=rtpmap:(\d+) opus\/48000/gi)) opus.add(m[1]!);
  return sdp
    .split(eol)
    .map((line) => {
      const f = /^a=fmtp:(\d+) (.*)$/.exec(line);
      if (!f || !opus.has(f[1]!)) return line;
      let params = f[2]!;
      if (!/usedtx=/.test(params)) params += ';usedtx=1';
      if (!/useinbandfec=/.test(params)) params += ';useinbandfec=1';
      return `a=fmtp:${f[1]} ${params}`;
    })
    .join(eol);
}
