// The recorder process (RTP from mediasoup PlainTransports -> FFmpeg segments -> object storage ->
// one composed MP4 per lesson); see docs/architecture.md "Recorder".
export { buildSdp, type RecorderInput, type RtpCodec } from './sdp.ts';
export { loadRecorderConfig, RecorderConfigError, RECORDER_SECRET_VARS, type RecorderConfig } from './config.ts';
export { createRecorderService, defaultRecorderLog, type RecorderService } from './service.ts';
export { Recorder } from './recorder.ts';
export type { TrackSpec, TrackStatus } from './recording.ts';
export type { Manifest } from './manifest.ts';
export { planCompose } from './compose.ts';
export { probeDuration } from './recording.ts';
