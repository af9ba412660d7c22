// The SDP that tells FFmpeg how to read one RTP stream that mediasoup sends it over loopback
// (PlainTransport, no RTCP mux). Payload types and codec parameters come from the consumer's
// RTP parameters, so FFmpeg copies exactly what the browser encoded (no transcoding).
export interface RtpCodec {
  mimeType: string; // e.g. 'video/VP8', 'audio/opus'
  payloadType: number;
  clockRate: number;
  channels?: number;
  parameters?: Record<string, string | number>;
}

export interface RecorderInput {
  kind: 'audio' | 'video';
  /** UDP port FFmpeg listens on for RTP (RTCP on port + 1). */
  port: number;
  codec: RtpCodec;
}

const SUPPORTED = new Set(['audio/opus', 'video/vp8', 'video/vp9', 'video/h264']);

export function buildSdp(inputs: RecorderInput[], address = '127.0.0.1'): string {
  if (inputs.length === 0) throw new Error('an SDP needs at least one input');
  const lines = ['v=0', `o=- 0 0 IN IP4 ${address}`, 's=duet-recording', `c=IN IP4 ${address}`, 't=0 0'];
  for (const { kind, port, codec } of inputs) {
    if (!SUPPORTED.has(codec.mimeType.toLowerCase())) throw new Error(`cannot record codec ${codec.mimeType}`);
    if (!Number.isInteger(port) || port < 1024 || port > 65534) throw new Error(`invalid RTP port ${port}`);
    const [, name] = codec.mimeType.split('/');
    const channels = kind === 'audio' ? `/${codec.channels ?? 2}` : '';
    lines.push(`m=${kind} ${port} RTP/AVP ${codec.payloadType}`, `a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${channels}`);
    const fmtp = Object.entries(codec.parameters ?? {}).map(([k, v]) => `${k}=${v}`);
    if (fmtp.length > 0) lines.push(`a=fmtp:${codec.payloadType} ${fmtp.join(';')}`);
    lines.push('a=sendonly');
  }
  return lines.join('\n') + '\n';
}
