// Prometheus metrics of the recorder (prom-client, one registry per recorder). Events are counted
// where they happen (recording.ts calls `deps.metrics?.…`); live figures are read at scrape time.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface RecorderMetrics {
  registry: Registry;
  /** Segments FFmpeg closed (complete files on local disk). */
  segmentsWritten: Counter;
  segmentsUploaded: Counter;
  /** Every failed upload attempt (the segment stays local and is retried). */
  uploadFailures: Counter;
  /** FFmpeg runs that ended, by how: stopped (asked), idle (no packets for 10 s, restarted), crashed (restarted). */
  ffmpegExits: Counter<'end'>;
  /** Recordings that ended in `failed`, by reason (no_media, finalize_failed, storage_unavailable). */
  recordingFailures: Counter<'reason'>;
  /** From finalize start (compose) to the final file uploaded. */
  finalizeDuration: Histogram;
  contentType: string;
  render(): Promise<string>;
}

export function createRecorderMetrics(live: { recordingsByState(): Record<string, number>; draining(): boolean; pendingHooks(): number }): RecorderMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'duet_recorder_' }); // duet_recorder_process_*, duet_recorder_nodejs_*
  const registers = [registry];
  new Gauge({
    name: 'duet_recorder_recordings',
    help: 'Recordings this recorder holds, by state (recording = active)',
    labelNames: ['state'],
    registers,
    collect() {
      const by = live.recordingsByState();
      for (const s of ['recording', 'finalizing', 'ready', 'failed']) this.set({ state: s }, by[s] ?? 0);
    },
  });
  new Gauge({ name: 'duet_recorder_draining', help: '1 while the recorder drains for shutdown (not ready)', registers, collect() { this.set(live.draining() ? 1 : 0); } });
  new Gauge({ name: 'duet_recorder_pending_hooks', help: 'Recording hooks not yet acknowledged by the API', registers, collect() { this.set(live.pendingHooks()); } });
  const segmentsWritten = new Counter({ name: 'duet_recorder_segments_written_total', help: 'Segments FFmpeg closed on local disk', registers });
  const segmentsUploaded = new Counter({ name: 'duet_recorder_segments_uploaded_total', help: 'Segments confirmed in object storage', registers });
  const uploadFailures = new Counter({ name: 'duet_recorder_upload_failures_total', help: 'Failed segment upload attempts (each is retried; the local file is kept)', registers });
  const ffmpegExits = new Counter({ name: 'duet_recorder_ffmpeg_exits_total', help: 'FFmpeg track runs that ended, by end (crashed and idle runs are restarted)', labelNames: ['end'], registers });
  const recordingFailures = new Counter({ name: 'duet_recorder_recording_failures_total', help: 'Recordings that failed, by reason', labelNames: ['reason'], registers });
  const finalizeDuration = new Histogram({
    name: 'duet_recorder_finalize_duration_seconds',
    help: 'Finalize time (compose + upload of the final file)',
    buckets: [1, 2.5, 5, 10, 20, 40, 80, 160, 320, 640, 1280],
    registers,
  });
  // Known label values appear at 0 from the first scrape, so rate() and alerts work before the first event.
  for (const end of ['stopped', 'idle', 'crashed']) ffmpegExits.inc({ end }, 0);
  for (const reason of ['no_media', 'finalize_failed', 'storage_unavailable']) recordingFailures.inc({ reason }, 0);
  return {
    registry,
    segmentsWritten,
    segmentsUploaded,
    uploadFailures,
    ffmpegExits,
    recordingFailures,
    finalizeDuration,
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}
