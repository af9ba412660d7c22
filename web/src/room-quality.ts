// The room's media quality, from the same numbers everywhere: getStats samples (quality/sample.ts)
// into one tracker (quality/tracker.ts); the last seconds give the header's bars and tooltip, the
// whole lesson gives the report the room sends to the API (POST /v1/sessions/:id/quality) every
// REPORT_EVERY_MS and when it leaves — what a marketplace reads when someone says the call was bad.
import { qualitySample, QualityTracker, type QualitySummary, type StatsEntry } from './quality/index.ts';

export type NetworkQuality = 'good' | 'fair' | 'poor' | 'unknown';

/** What the indicator's tooltip shows (recent seconds). */
export interface QualityDetail {
  rttMs: number | null;
  lossPct: number | null;
  concealmentPct: number | null;
  freezes: number;
  /** direct / relay, and the transport: udp, tcp, tls. */
  path: { relay: boolean; protocol: string } | null;
}

/** The body of POST /v1/sessions/:id/quality (api/src/http/quality-schemas.ts). */
export interface QualityReportBody {
  final?: boolean;
  mode: 'p2p' | 'sfu' | null;
  path: { type: 'host' | 'srflx' | 'prflx' | 'relay' | 'unknown'; protocol: 'udp' | 'tcp' | 'tls' | 'unknown' } | null;
  duration_seconds: number;
  rtt_ms: { median: number; p90: number } | null;
  audio_loss_pct: number | null;
  video_loss_pct: number | null;
  audio_concealment_pct: number | null;
  freeze_count: number;
  freeze_seconds: number;
  video_fps: number | null;
  video_height: number | null;
  browser: string;
}

export const REPORT_EVERY_MS = 30_000;
/** The indicator looks at this much of the recent past. */
const RECENT_MS = 10_000;

const clamp = (v: number, max: number) => Math.min(max, Math.max(0, v));
const pct = (v: number | null) => (v === null ? null : clamp(v, 100));

/** Good / fair / poor from the figures people feel: made-up sound, frozen picture, loss, delay. */
export function levelOf(s: QualitySummary): NetworkQuality {
  if (s.samples < 2) return 'unknown';
  const conceal = s.audioAudibleConcealedPct ?? s.audioConcealedPct ?? 0;
  const loss = Math.max(s.audioLossPct ?? 0, s.videoLossPct ?? 0);
  const rtt = s.rttMs?.median ?? 0;
  if (conceal > 10 || loss > 10 || rtt > 600 || s.freezeMs > 2000) return 'poor';
  if (conceal > 3 || loss > 3 || rtt > 300 || s.freezeCount > 0) return 'fair';
  return 'good';
}

export function detailOf(s: QualitySummary): QualityDetail {
  return {
    rttMs: s.rttMs?.median ?? null,
    lossPct: s.audioLossPct === null && s.videoLossPct === null ? null : Math.max(s.audioLossPct ?? 0, s.videoLossPct ?? 0),
    concealmentPct: s.audioConcealedPct,
    freezes: s.freezeCount,
    path: s.path ? { relay: s.path.candidateType === 'relay', protocol: s.path.relayProtocol ?? s.path.protocol } : null,
  };
}

/** "Chrome 131", "Firefox 128", "Safari 17" (short, plain characters only: the API checks). */
export function browserName(ua: string): string {
  const m = /(Edg|OPR|Firefox|Chrome|Chromium)\/(\d+)/.exec(ua) ?? /Version\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari/.exec(ua);
  if (!m) return 'unknown';
  if (m.length === 2) return `Safari ${m[1]}`;
  const name = { Edg: 'Edge', OPR: 'Opera' }[m[1]!] ?? m[1]!;
  return `${name} ${m[2]}`;
}

const TYPES = new Set(['host', 'srflx', 'prflx', 'relay']);
const PROTOCOLS = new Set(['udp', 'tcp', 'tls']);

export function reportOf(s: QualitySummary, mode: 'p2p' | 'sfu' | null, browser: string): QualityReportBody {
  const protocol = s.path ? (s.path.relayProtocol ?? s.path.protocol) : null;
  return {
    mode,
    path: s.path ? { type: (TYPES.has(s.path.candidateType) ? s.path.candidateType : 'unknown') as never, protocol: (PROTOCOLS.has(protocol!) ? protocol : 'unknown') as never } : null,
    duration_seconds: clamp(Math.round(s.durationMs / 1000), 86_400),
    rtt_ms: s.rttMs ? { median: clamp(s.rttMs.median, 600_000), p90: clamp(s.rttMs.p90, 600_000) } : null,
    audio_loss_pct: pct(s.audioLossPct),
    video_loss_pct: pct(s.videoLossPct),
    audio_concealment_pct: pct(s.audioConcealedPct),
    freeze_count: clamp(s.freezeCount, 100_000),
    freeze_seconds: clamp(Math.round(s.freezeMs / 100) / 10, 86_400),
    video_fps: s.videoFps === null ? null : clamp(s.videoFps, 240),
    video_height: s.videoHeight ? clamp(s.videoHeight.median, 4320) : null,
    browser,
  };
}

/** One lesson's tracker: sample() every couple of seconds, recent() for the bars, report() for the API. */
export class RoomQuality {
  private readonly tracker = new QualityTracker();
  private sinceReport = 0;

  add(reports: StatsEntry[][], now = performance.now()): void {
    if (reports.length === 0) return;
    this.tracker.add(qualitySample(reports, now));
  }

  recent(now = performance.now()): { level: NetworkQuality; detail: QualityDetail } {
    const s = this.tracker.summary(now - RECENT_MS, now);
    return { level: levelOf(s), detail: detailOf(s) };
  }

  /** The whole lesson's figures, when there is anything to say (at least two samples). */
  report(mode: 'p2p' | 'sfu' | null, browser: string): QualityReportBody | null {
    const s = this.tracker.summary();
    return s.samples < 2 ? null : reportOf(s, mode, browser);
  }

  /** True every REPORT_EVERY_MS of samples (the periodic report is due). */
  due(stepMs: number): boolean {
    this.sinceReport += stepMs;
    if (this.sinceReport < REPORT_EVERY_MS) return false;
    this.sinceReport = 0;
    return true;
  }
}
