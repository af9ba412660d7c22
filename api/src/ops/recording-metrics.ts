// Recordings as the API knows them (every recorder's hooks land here): by status, failures by
// reason, partial ones. Read from the database at scrape time, like the lesson figures, so every
// API instance reports the same cluster-wide truth. Per-recorder figures (segments, uploads,
// FFmpeg restarts) are on each recorder's own /metrics.
import { Gauge, type Registry } from 'prom-client';
import type { Sql } from '../db/connect.ts';

const STATUSES = ['processing', 'ready', 'failed', 'deleted'];
/** Reasons the recorder sends; anything else is counted as `other` (bounded label values). */
const REASON_RE = /^[a-z][a-z_]{0,39}$/;

export function registerRecordingMetrics(registry: Registry, sql: () => Sql): void {
  new Gauge({
    name: 'duet_recordings',
    help: 'Recordings by status (processing = recording or finalizing)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await sql()<{ status: string; n: number }[]>`select status, count(*)::int as n from recordings group by status`;
      for (const s of STATUSES) this.set({ status: s }, rows.find((r) => r.status === s)?.n ?? 0);
    },
  });
  new Gauge({
    name: 'duet_recording_failures',
    help: 'Failed recordings by reason (no_media, finalize_failed, storage_unavailable, other)',
    labelNames: ['reason'],
    registers: [registry],
    async collect() {
      const rows = await sql()<{ reason: string | null; n: number }[]>`
        select failure_reason as reason, count(*)::int as n from recordings where status = 'failed' group by failure_reason`;
      const by: Record<string, number> = { no_media: 0, finalize_failed: 0, storage_unavailable: 0, other: 0 };
      for (const r of rows) {
        const reason = r.reason && REASON_RE.test(r.reason) ? r.reason : 'other';
        by[reason] = (by[reason] ?? 0) + r.n;
      }
      this.reset();
      for (const [reason, n] of Object.entries(by)) this.set({ reason }, n);
    },
  });
  new Gauge({
    name: 'duet_recordings_partial',
    help: 'Ready recordings with a gap (FFmpeg or recorder restarted, node lost, unreadable segment)',
    registers: [registry],
    async collect() {
      const rows = await sql()<{ n: number }[]>`select count(*)::int as n from recordings where status = 'ready' and partial`;
      this.set(rows[0]?.n ?? 0);
    },
  });
}
