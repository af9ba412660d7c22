// Issue 7 item 5, audited against the running processes: the API, a media node (real mediasoup
// worker) and a recorder each serve /metrics, and every family the issue lists is there (by its
// `# TYPE` line, so a family that exists but was never set still counts, one that was renamed
// or dropped does not).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promFamilies as families } from '../src/testing/index.ts';
import { startStack, type Stack } from './support/metric-names.ts';

/** What item 5 asks for → the families that answer it, per process. */
const ITEM_5: { asked: string; api?: string[]; node?: string[]; recorder?: string[] }[] = [
  { asked: 'lessons by status', api: ['duet_lessons'] },
  { asked: 'joins and join latency histogram', api: ['duet_joins_total', 'duet_join_duration_seconds'] },
  { asked: 'client-reported time to first frame', api: ['duet_time_to_first_frame_seconds'] },
  { asked: 'webhook deliveries/failures/lag', api: ['duet_webhook_deliveries', 'duet_webhook_failed_attempts', 'duet_webhook_deliveries_retrying', 'duet_webhook_lag_seconds'] },
  {
    asked: 'node load',
    api: ['duet_media_nodes', 'duet_media_node_lessons', 'duet_media_node_participants', 'duet_media_node_consumers', 'duet_media_node_cpu_percent', 'duet_media_node_bitrate_bps'],
    node: ['duet_node_lessons', 'duet_node_participants', 'duet_node_capacity', 'duet_node_draining'],
  },
  { asked: "mediasoup workers' CPU", node: ['duet_mediasoup_worker_cpu_percent', 'duet_mediasoup_worker_cpu_seconds'] },
  { asked: 'consumers', node: ['duet_mediasoup_worker_consumers', 'duet_mediasoup_worker_producers'] },
  { asked: 'bitrate', node: ['duet_mediasoup_worker_bitrate_bps'] },
  { asked: 'packet loss', node: ['duet_media_rtp_packets', 'duet_media_rtp_packets_lost', 'duet_media_packet_loss_ratio'] },
  {
    asked: 'recorder segments and failures',
    api: ['duet_recordings', 'duet_recording_failures', 'duet_recordings_partial'],
    recorder: [
      'duet_recorder_recordings',
      'duet_recorder_segments_written_total',
      'duet_recorder_segments_uploaded_total',
      'duet_recorder_upload_failures_total',
      'duet_recorder_ffmpeg_exits_total',
      'duet_recorder_recording_failures_total',
      'duet_recorder_finalize_duration_seconds',
    ],
  },
];

describe('issue 7 item 5 metric families', () => {
  let stack: Stack;
  let urls: Stack['urls'];
  beforeAll(async () => {
    stack = await startStack();
    urls = stack.urls;
  });
  afterAll(() => stack?.close());

  it('every process serves /metrics, /healthz and /readyz, and every family of item 5 is exported', async () => {
    const scraped: Record<'api' | 'node' | 'recorder', Set<string>> = { api: new Set(), node: new Set(), recorder: new Set() };
    for (const p of ['api', 'node', 'recorder'] as const) {
      const res = await fetch(`${urls[p]}/metrics`);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type'), p).toContain('text/plain');
      scraped[p] = families(await res.text());
      expect((await fetch(`${urls[p]}/healthz`)).status, p).toBe(200);
      expect([200, 503], p).toContain((await fetch(`${urls[p]}/readyz`)).status);
    }
    const missing: string[] = [];
    for (const item of ITEM_5) {
      for (const p of ['api', 'node', 'recorder'] as const) {
        for (const f of item[p] ?? []) if (!scraped[p].has(f)) missing.push(`${p}: ${f} (${item.asked})`);
      }
    }
    expect(missing).toEqual([]);
  });
});
