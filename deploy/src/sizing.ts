// Sizing figures per concurrent lesson, derived from the committed benchmark results
// (deploy/bench/results/*.json) and nothing else. docs/sizing.md quotes them and the Helm chart's
// default resource requests are computed from them; deploy/test/sizing.test.ts fails when either
// drifts from what the files say.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const RESULTS = join(import.meta.dirname, '../bench/results');

interface BenchFile {
  date: string;
  cpus: number;
  metrics: Record<string, number>;
}
const bench = (name: string): BenchFile => JSON.parse(readFileSync(join(RESULTS, `${name}.json`), 'utf8')) as BenchFile;

const round = (n: number, digits: number) => Number(n.toFixed(digits));

/** The default plan the Helm chart's requests are sized for (values.yaml says the same). */
export const DEFAULT_PLAN = { lessonsPerMediaNode: 100, recordedLessonsPerNode: 25, peakJoinsPerSecondPerApiReplica: 50 };
/** Keep mediasoup workers below this share of a core: past it latency climbs (capacity.json levels). */
export const WORKER_TARGET_UTILISATION = 0.6;

export function sizing() {
  const cap = bench('capacity');
  // Real browsers' media (DTLS/SRTP, NACK/RTX, RTCP, transport-wide CC) through a Duet media node:
  // what a lesson costs. The plain-RTP capacity bench gives the forwarding floor (~5x cheaper).
  const webrtc = bench('capacity-webrtc');
  const rec = bench('recording');
  const join_ = bench('api-join');
  const db = bench('api-join-db');
  const sfuCorePerLesson = 1 / webrtc.metrics.duet_lessons_per_core!;
  const mbpsIn = cap.metrics.mbps_per_lesson_in!;
  return {
    sources: { capacity: cap.date, capacityWebrtc: webrtc.date, recording: rec.date, apiJoin: join_.date, apiJoinDb: db.date },
    mediaNode: {
      /** Media node cores (signaling + mediasoup worker) per SFU lesson of real WebRTC peers (2 participants, VP8 ~900 kbit/s + Opus each way). */
      sfuMillicoresPerLesson: round(sfuCorePerLesson * 1000, 2),
      /** Lessons of real WebRTC peers one media node core carried (the highest load measured, not saturation). */
      webrtcLessonsPerCore: webrtc.metrics.duet_lessons_per_core!,
      /** A P2P lesson's media flows browser to browser (or via TURN): the node carries only signaling. */
      p2pMillicoresPerLesson: 0,
      /** A recorded lesson: SFU forwarding plus the recorder (RTP -> FFmpeg segments). */
      recordedMillicoresPerLesson: round((sfuCorePerLesson + rec.metrics.core_per_lesson!) * 1000, 2),
      recorderMillicoresPerLesson: round(rec.metrics.core_per_lesson! * 1000, 2),
      /** Plain RTP (no DTLS/SRTP, no feedback): the worker's forwarding floor, an upper bound. */
      lessonsPerWorkerCore: cap.metrics.lessons_per_core!,
      maxLessonsPerWorker: cap.metrics.max_lessons!,
      p95LatencyMsAtMax: cap.metrics.p95_latency_ms_at_max!,
      /** Memory an SFU lesson adds to the mediasoup worker (proportional set size, KiB). */
      sfuWorkerPssKbPerLesson: cap.metrics.worker_pss_kb_per_lesson!,
      /** Memory an SFU lesson adds to the Node process: live heap of its room, transports, producers, consumers (KiB). */
      sfuControlHeapKbPerLesson: cap.metrics.control_heap_kb_per_lesson!,
      /** An idle mediasoup worker (PSS, MiB): one per worker process, whatever the load. */
      workerPssMbIdle: cap.metrics.worker_pss_mb_idle!,
      /** Media in per SFU lesson (both publishers); the same goes out (each to the other). */
      mbpsInPerLesson: mbpsIn,
      mbpsOutPerLesson: mbpsIn,
    },
    recorder: {
      idleRssMb: rec.metrics.recorder_idle_rss_mb!,
      rssMbPerLesson: rec.metrics.rss_mb_per_lesson!,
      pssMbPerLesson: rec.metrics.pss_mb_per_lesson!,
      /** Segments are the received streams copied (no transcode): the inbound bitrate, by the hour. */
      segmentGbPerRecordedHour: round((mbpsIn * 3600) / 8 / 1000, 2),
      /** Composing the downloadable MP4 (libx264, at nice 19, one at a time per recorder): CPU-seconds per lesson-minute. */
      composeCpuSecondsPerLessonMinute: rec.metrics.compose_cpu_s_per_lesson_minute!,
      /** The recording is playable (from the copied segments) this long after a 60-minute lesson ends. */
      playbackReadySecondsAfter60Min: rec.metrics.ready_s_60min!,
    },
    api: {
      cpuMsPerJoin: join_.metrics.api_cpu_ms_per_iteration!,
      joinsPerSecond: join_.metrics.joins_per_s!,
      joinP50Ms: join_.metrics.p50_ms!,
      joinP99Ms: join_.metrics.p99_ms!,
      benchCpus: join_.cpus,
      /** PostgreSQL's share of one join (pg_stat_database and its processes' CPU). */
      dbTransactionsPerJoin: db.metrics.db_transactions_per_join!,
      dbRowsReadPerJoin: db.metrics.db_rows_read_per_join!,
      dbRowsWrittenPerJoin: db.metrics.db_rows_written_per_join!,
      dbCpuMsPerJoin: db.metrics.db_cpu_ms_per_join!,
    },
  };
}

/** Kubernetes resource requests for a plan, as the chart's values.yaml sets them by default. */
export function requestsFor(plan = DEFAULT_PLAN) {
  const s = sizing();
  const ceil = (n: number, step: number) => Math.ceil(n / step) * step;
  // Worker CPU for the plan at the target utilisation, plus 100m for the Node process (signaling).
  const mediaCpu = ceil((plan.lessonsPerMediaNode * s.mediaNode.sfuMillicoresPerLesson) / WORKER_TARGET_UTILISATION + 100, 50);
  const recorderCpu = ceil(plan.recordedLessonsPerNode * s.mediaNode.recorderMillicoresPerLesson + 50, 50);
  const recorderMemMi = ceil(s.recorder.idleRssMb + plan.recordedLessonsPerNode * s.recorder.rssMbPerLesson, 64);
  const apiCpu = ceil(plan.peakJoinsPerSecondPerApiReplica * s.api.cpuMsPerJoin + 50, 50);
  return {
    media: { cpu: `${mediaCpu}m` },
    recorder: { cpu: `${recorderCpu}m`, memory: `${recorderMemMi}Mi` },
    api: { cpu: `${apiCpu}m` },
  };
}
