// Prometheus metrics of the recorder (prom-client, one registry per recorder). Events are counted
// where they happen (recording.ts calls `deps.metrics?.…`); live figures are read at scrape time.
//
// prom-client's index also loads the Pushgateway (http, https, zlib), cluster aggregation and the
// default metrics (the OpenTelemetry API, v8, perf_hooks): ~20 MB resident in a daemon whose live
// memory per lesson is budgeted (deploy/bench/recording.ts). So the recorder loads only the metric
// classes (prom-client is pinned; these are its CommonJS modules) and the cheap process metrics.
import { createRequire } from 'node:module';
import type * as Prom from 'prom-client';

type Counter<T extends string = string> = Prom.Counter<T>;
type Gauge<T extends string = string> = Prom.Gauge<T>;
type Histogram<T extends string = string> = Prom.Histogram<T>;
type Registry = Prom.Registry;
/** A default-metrics module of prom-client: registers its metrics on the registry. */
type DefaultMetric = (registry: Registry, config: { prefix: string }) => void;

const load = createRequire(import.meta.url);
const Registry = load('prom-client/lib/registry') as typeof Prom.Registry;
const Counter = load('prom-client/lib/counter') as typeof Prom.Counter;
const Gauge = load('prom-client/lib/gauge') as typeof Prom.Gauge;
const Histogram = load('prom-client/lib/histogram') as typeof Prom.Histogram;

const PREFIX = 'duet_recorder_';

/**
 * duet_recorder_process_* and duet_recorder_nodejs_* as prom-client's collectDefaultMetrics names
 * them, minus those that need heavy modules (event loop lag, GC and heap spaces, active handles).
 */
function processMetrics(registry: Registry): void {
  for (const name of ['osMemoryHeap', 'processStartTime', 'processOpenFileDescriptors', 'processMaxFileDescriptors', 'heapSizeAndUsed', 'version']) {
    (load(`prom-client/lib/metrics/${name}`) as DefaultMetric)(registry, { prefix: PREFIX });
  }
  // CPU time (prom-client's own version loads the OpenTelemetry API for exemplars). As there, the
  // first of the three counters in a scrape advances all three.
  let last = process.cpuUsage();
  const registers = [registry];
  const cpu = (name: string, help: string, collect?: () => void) => new Counter({ name: `${PREFIX}${name}`, help, registers, ...(collect ? { collect } : {}) });
  const user = cpu('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', () => {
    const now = process.cpuUsage();
    const u = (now.user - last.user) / 1e6;
    const s = (now.system - last.system) / 1e6;
    last = now;
    user.inc(u);
    system.inc(s);
    total.inc(u + s);
  });
  const system = cpu('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.');
  const total = cpu('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.');
}

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
  hooksRejected: Counter;
  hookClockSkew: Counter;
  /** From finalize start (compose) to the final file uploaded. */
  finalizeDuration: Histogram;
  /** From the lesson's end (recording stopped) to playback.json in storage: watchable from segments. */
  playbackReady: Histogram;
  contentType: string;
  render(): Promise<string>;
}

export function createRecorderMetrics(live: { recordingsByState(): Record<string, number>; draining(): boolean; pendingHooks(): number; composeLoad?(): { queued: number; running: number } }): RecorderMetrics {
  const registry = new Registry();
  processMetrics(registry);
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
  new Gauge({ name: 'duet_recorder_compose_queue_depth', help: 'Composes (finalize FFmpeg) waiting for a slot (RECORDER_COMPOSE_CONCURRENCY)', registers, collect() { this.set(live.composeLoad?.().queued ?? 0); } });
  new Gauge({ name: 'duet_recorder_composes_running', help: 'Composes running now (low CPU priority, RECORDER_COMPOSE_NICE)', registers, collect() { this.set(live.composeLoad?.().running ?? 0); } });
  const segmentsWritten = new Counter({ name: 'duet_recorder_segments_written_total', help: 'Segments FFmpeg closed on local disk', registers });
  const segmentsUploaded = new Counter({ name: 'duet_recorder_segments_uploaded_total', help: 'Segments confirmed in object storage', registers });
  const uploadFailures = new Counter({ name: 'duet_recorder_upload_failures_total', help: 'Failed segment upload attempts (each is retried; the local file is kept)', registers });
  const ffmpegExits = new Counter({ name: 'duet_recorder_ffmpeg_exits_total', help: 'FFmpeg track runs that ended, by end (crashed and idle runs are restarted)', labelNames: ['end'], registers });
  const hooksRejected = new Counter({ name: 'duet_recorder_hooks_rejected_total', help: 'Recording hooks the API refused as malformed (400/413/415/422) and that were given up on', registers });
  const hookClockSkew = new Counter({ name: 'duet_recorder_hook_clock_skew_total', help: 'Hook answers signature_expired: this host and the API disagree on the time beyond the signature window', registers });
  const recordingFailures = new Counter({ name: 'duet_recorder_recording_failures_total', help: 'Recordings that failed, by reason', labelNames: ['reason'], registers });
  const finalizeDuration = new Histogram({
    name: 'duet_recorder_finalize_duration_seconds',
    help: 'Finalize time (compose + upload of the final file)',
    buckets: [1, 2.5, 5, 10, 20, 40, 80, 160, 320, 640, 1280],
    registers,
  });
  const playbackReady = new Histogram({
    name: 'duet_recorder_playback_ready_seconds',
    help: 'From the recording stopping to its segment playback manifest in storage (watchable)',
    buckets: [0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300],
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
    hooksRejected,
    hookClockSkew,
    finalizeDuration,
    playbackReady,
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}
