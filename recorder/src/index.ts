// The recorder process (RTP from mediasoup PlainTransports -> FFmpeg segments -> object storage)
// is built on these pieces; see DESIGN.md "Recording".
export { buildSdp, type RecorderInput, type RtpCodec } from './sdp.ts';
