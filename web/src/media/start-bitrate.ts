// The first picture of a new connection. Chromium starts its bandwidth estimate at 300 kbps; below
// ~900 kbps its encoder drops the first frames of a 720p camera and asks the capturer for less,
// so the other side waited ~130 ms longer and then saw a 320x180 picture (measured with
// deploy/bench/ttff). Starting the estimate at 1 Mbps sends a sharp first keyframe at once; the
// estimate still adapts down within a second on a slower link. The SFU path passes the same
// value to mediasoup-client (videoGoogleStartBitrate); P2P writes it into the description it
// applies as remote (the side that reads a codec's parameters from the remote description is
// the side that sends with them).
export const VIDEO_START_KBPS = 1000;

/** Video codecs that carry the encoder's start bitrate (not the repair formats rtx/red/ulpfec). */
const MEDIA_CODECS = new Set(['vp8', 'vp9', 'h264', 'av1', 'h265']);

/** Adds x-google-start-bitrate to every video codec's fmtp in an SDP (existing values are kept). */
export function withVideoStartBitrate(sdp: string, kbps = VIDEO_START_KBPS): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const trailing = sdp.endsWith(eol);
  const lines = (trailing ? sdp.slice(0, -eol.length) : sdp).split(eol);
  // Section by section (session part, then one per m= line).
  const sections: string[][] = [[]];
  for (const line of lines) {
    if (line.startsWith('m=')) sections.push([]);
    sections.at(-1)!.push(line);
  }
  const out = sections.flatMap((section) => {
    if (!section[0]?.startsWith('m=video')) return section;
    const withFmtp = new Set(section.flatMap((l) => /^a=fmtp:(\d+) /.exec(l)?.[1] ?? []));
    return section.flatMap((line) => {
      const rtpmap = /^a=rtpmap:(\d+) ([^/]+)\//.exec(line);
      if (rtpmap && MEDIA_CODECS.has(rtpmap[2]!.toLowerCase()) && !withFmtp.has(rtpmap[1]!)) return [line, `a=fmtp:${rtpmap[1]} x-google-start-bitrate=${kbps}`];
      const fmtp = /^a=fmtp:(\d+) (.*)$/.exec(line);
      if (fmtp && !fmtp[2]!.includes('x-google-start-bitrate') && isMediaCodec(section, fmtp[1]!)) return [`${line};x-google-start-bitrate=${kbps}`];
      return [line];
    });
  });
  return out.join(eol) + (trailing ? eol : '');
}

function isMediaCodec(section: string[], pt: string): boolean {
  const rtpmap = section.find((l) => l.startsWith(`a=rtpmap:${pt} `));
  return !!rtpmap && MEDIA_CODECS.has(rtpmap.slice(`a=rtpmap:${pt} `.length).split('/')[0]!.toLowerCase());
}
