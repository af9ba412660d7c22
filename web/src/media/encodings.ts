// How each track is sent when the network is poor (measured in the network lab, docs/network-lab.md):
// - audio first: the microphone's packets have `priority`/`networkPriority` high, so when the
//   estimate drops the video gives way; Opus in-band FEC (on by default) and DTX;
// - P2P: Opus RED (each packet also carries the previous frame) when both browsers offer it;
// - SFU camera: VP8 simulcast (3 spatial layers, 3 temporal layers each where the browser takes a
//   scalabilityMode per layer; Firefox gets its default), so the SFU can give a
//   receiver on a weak link a layer its link can carry instead of the full picture it cannot;
// - screen share: contentHint 'detail' and 'maintain-resolution' (text stays sharp, frame rate gives).
// `__duetMediaTuning` (set by the network bench before the page loads) turns a choice off to
// measure what it is worth; nothing in the product sets it.

export interface MediaTuning {
  simulcast: boolean;
  audioFirst: boolean;
  red: boolean;
  dtx: boolean;
  /** P2P: restart the video encodings (a keyframe) when ICE comes back after a cut (video-after-cut.ts). */
  videoRestart: boolean;
}

export function mediaTuning(): MediaTuning {
  const t = (globalThis as { __duetMediaTuning?: Partial<MediaTuning> }).__duetMediaTuning ?? {};
  return { simulcast: t.simulcast ?? true, audioFirst: t.audioFirst ?? true, red: t.red ?? true, dtx: t.dtx ?? true, videoRestart: t.videoRestart ?? true };
}

export const AUDIO_ENCODING: RTCRtpEncodingParameters = { priority: 'high', networkPriority: 'high' };

/** Camera simulcast layers for the SFU (low, medium, full), by the track's height. */
export function cameraSimulcast(track: MediaStreamTrack, temporalLayers = true): RTCRtpEncodingParameters[] | undefined {
  if (!mediaTuning().simulcast) return undefined;
  const height = track.getSettings().height ?? 720;
  // Below 360p two layers are not worth their cost: one stream, as before.
  if (height < 360) return undefined;
  const layers: (RTCRtpEncodingParameters & { scalabilityMode?: string })[] = [
    { scaleResolutionDownBy: 4, maxBitrate: 150_000, scalabilityMode: 'L1T3' },
    { scaleResolutionDownBy: 2, maxBitrate: 500_000, scalabilityMode: 'L1T3' },
    { scaleResolutionDownBy: 1, maxBitrate: 1_500_000, scalabilityMode: 'L1T3' },
  ];
  // 360p-540p: half and full size only (a quarter of 480p is too small to be worth a layer).
  if (!temporalLayers) for (const l of layers) delete l.scalabilityMode;
  return height >= 540 ? layers : layers.slice(1);
}

/** A screen share keeps its resolution (text) and lets the frame rate go. */
export function markScreenTrack(track: MediaStreamTrack): void {
  if ('contentHint' in track) track.contentHint = 'detail';
}

/** Priorities and degradation on the senders of a P2P connection (after negotiation). */
export async function tuneSenders(pc: RTCPeerConnection, screen: MediaStreamTrack | null): Promise<void> {
  const audioFirst = mediaTuning().audioFirst;
  for (const sender of pc.getSenders()) {
    const track = sender.track;
    if (!track) continue;
    const params = sender.getParameters();
    if (!params.encodings?.length) continue;
    let changed = false;
    if (track.kind === 'audio' && audioFirst) {
      for (const e of params.encodings) Object.assign(e, AUDIO_ENCODING);
      changed = true;
    }
    if (track === screen) {
      (params as RTCRtpSendParameters & { degradationPreference?: string }).degradationPreference = 'maintain-resolution';
      changed = true;
    }
    if (changed) await sender.setParameters(params).catch(() => undefined);
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
