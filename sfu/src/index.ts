export { loadMediaConfig, MediaConfigError, type MediaConfig } from './config.ts';
export { WorkerPool, type PooledWorker, type WorkerLoad, type LoadSource } from './worker-pool.ts';
export { MediaRoom, MediaError, MediaLimitError, MEDIA_LIMITS } from './media-room.ts';
export type { TransportParams, ConsumerParams, ProducerSummary, MediaKind, MediaSource, Direction } from './media-room.ts';
export { audioRedEnabled, MEDIA_CODECS, mediaCodecs, probeAudioRed, routerRtpCapabilities } from './codecs.ts';
export { RecordingTap, type RecordingTarget, type TapCodec } from './recording-tap.ts';
export { MediaProbes, DEFAULT_PROBE_LIMITS, type ProbeParams, type ProbeLimits } from './media-probes.ts';
