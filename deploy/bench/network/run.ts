// Lessons on real-looking networks (the network lab, docs/network-lab.md): per profile, the
// same two Chromiums (tutor and student, each in its own namespace) run a raw RTCPeerConnection
// pair (the floor: browser defaults, no server), a Duet P2P lesson and a Duet SFU lesson, one
// after the other in the same run. The profile is on the student's link (both directions); the
// tutor's link is clean. Each side's receive quality comes from getStats (web/src/quality).
// Writes deploy/bench/results/network.json: every metric per profile and contender, and vs_raw
// ratios (Duet / raw; < 1 is better for concealment, freezes and media back).
//
//   flock /tmp/duet-heavy.lock bash scripts/in-lo-netns.sh node deploy/bench/network/run.ts [profile ...]
//   NETBENCH_SECONDS=30 (measured seconds per contender and profile)
//
// Bounded: ~(NETBENCH_SECONDS + ~12 s) x 3 contenders x profiles (default 8 profiles: ~20 min at 30 s).
import { existsSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { assertLoopbackOnly } from '../../../web/test/e2e/stack.ts';
import { startLabRoom, joinLabLesson, PageQuality, type LabRoom } from '../../../web/test/e2e/lab/lab-room.ts';
import { profile as getProfile, type ProfileName } from '../../../web/test/e2e/lab/profiles.ts';
import type { QualitySummary } from '../../../web/src/quality/index.ts';
import { connectRawPair, watchRawRecovery } from './raw-pair.ts';

const ALL: ProfileName[] = ['clean', 'wifi', 'lossy', 'loss20', 'mobile', 'far', 'outage5', 'outage20'];
const profiles = (process.argv.slice(2).length ? process.argv.slice(2) : ALL) as ProfileName[];
const SECONDS = Math.max(5, Math.min(120, Number(process.env.NETBENCH_SECONDS ?? 30)));
const WARMUP_MS = 4_000;
/** After an outage ends, how long the bench keeps measuring (media back, then steady state). */
const AFTER_OUTAGE_MS = 12_000;
type Contender = 'raw' | 'duet_p2p' | 'duet_sfu';
const CONTENDERS = (process.env.NETBENCH_CONTENDERS?.split(',') ?? ['raw', 'duet_p2p', 'duet_sfu']) as Contender[];
/**
 * A/B of the adaptation choices (web/src/media/encodings.ts): NETBENCH_TUNING='{"simulcast":false}'
 * turns choices off in the Duet pages; such runs go to NETBENCH_OUT, not network.json.
 */
const TUNING = process.env.NETBENCH_TUNING ? (JSON.parse(process.env.NETBENCH_TUNING) as Record<string, boolean>) : null;
const INIT = TUNING ? `globalThis.__duetMediaTuning = ${JSON.stringify(TUNING)};` : undefined;
const RESULTS = resolve(import.meta.dirname, '../results', process.env.NETBENCH_OUT ?? (TUNING ? 'network-ab.json' : 'network.json'));

interface Run {
  tutor: QualitySummary;
  student: QualitySummary;
  mode: string | null;
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runOne(room: LabRoom, contender: Contender, name: ProfileName): Promise<Run> {
  const p = getProfile(name);
  const student = room.links.student;
  await Promise.all([room.links.tutor.apply('clean'), student.apply(p.outageMs ? 'clean' : p)]);
  let pages: { tutor: Page; student: Page; close(): Promise<void> };
  let mode: () => Promise<string | null> = async () => contender;
  const t0 = Date.now();
  if (contender === 'raw') {
    const [t, s] = await Promise.all([room.browsers.tutor.newPage(), room.browsers.student.newPage()]);
    await Promise.all([t.page.goto(`${room.stack.apiUrl}/healthz`), s.page.goto(`${room.stack.apiUrl}/healthz`)]);
    pages = { tutor: t.page, student: s.page, close: async () => void (await Promise.all([t.page.context().close(), s.page.context().close()])) };
  } else {
    const lesson = await joinLabLesson(room, { recording: contender === 'duet_sfu', title: `network ${name}`, init: INIT });
    pages = { tutor: lesson.tutor.page, student: lesson.student.page, close: lesson.close };
    mode = () => lesson.student.page.evaluate(() => (window as unknown as { __duet: { mediaKind(): string | null } }).__duet.mediaKind());
  }
  const source = contender === 'raw' ? 'raw' : 'duet';
  const start = contender === 'raw' ? Date.now() : t0;
  const qt = new PageQuality(pages.tutor, source, start).start(250);
  const qs = new PageQuality(pages.student, source, start).start(250);
  let done = false;
  try {
    if (contender === 'raw') await connectRawPair(pages.tutor, pages.student);
    await sleep(WARMUP_MS);
    const from = Date.now();
    if (p.outageMs) {
      const recovery = contender === 'raw' ? watchRawRecovery(pages.tutor, pages.student, () => done) : Promise.resolve();
      await student.outage(p.outageMs);
      const end = Date.now();
      qt.tracker.markOutageEnd(end);
      qs.tracker.markOutageEnd(end);
      await sleep(AFTER_OUTAGE_MS);
      done = true;
      await recovery;
    } else {
      await sleep(SECONDS * 1000);
    }
    const to = Date.now();
    return { tutor: qt.tracker.summary(from, to), student: qs.tracker.summary(from, to), mode: await mode().catch(() => null) };
  } finally {
    done = true;
    qt.stop();
    qs.stop();
    await pages.close().catch(() => undefined);
    await Promise.all([room.links.tutor.apply('clean'), student.apply('clean')]);
  }
}

/**
 * Duet / raw for the figures where both have a number. Time to first frame has no ratio: Duet's
 * counts from opening the lesson page (pre-join and join included), the raw pair's from its
 * getUserMedia (deploy/bench/ttff compares first frames properly).
 */
/** Duet / raw for the figures where both have a number (the side that receives through the impaired link: student). */
function ratios(duet: Run, raw: Run): Record<string, Record<string, number | null>> {
  const r = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null ? null : b === 0 ? (a === 0 ? 1 : null) : Math.round((a / b) * 100) / 100);
  const side = (d: QualitySummary, b: QualitySummary) => ({
    audioConcealedPct: r(d.audioConcealedPct, b.audioConcealedPct),
    freezeMs: r(d.freezeMs, b.freezeMs),
    stallMs: r(d.stallMs, b.stallMs),
    videoFps: r(d.videoFps, b.videoFps),
    videoHeight: r(d.videoHeight?.median, b.videoHeight?.median),
    mediaBackMs: r(d.mediaBackMs, b.mediaBackMs),
  });
  return { student: side(duet.student, raw.student), tutor: side(duet.tutor, raw.tutor) };
}

function versions(): Record<string, string> {
  const v: Record<string, string> = { node: process.version };
  try {
    v.chromium = execFileSync(process.env.CHROMIUM_PATH || '/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    v.chromium = 'unknown';
  }
  for (const pkg of ['mediasoup', 'mediasoup-client']) {
    try {
      v[pkg] = JSON.parse(readFileSync(resolve(import.meta.dirname, `../../../node_modules/${pkg}/package.json`), 'utf8')).version;
    } catch {
      v[pkg] = 'unknown';
    }
  }
  return v;
}

function row(name: string, c: string, run: Run | undefined): string {
  if (!run) return `${name.padEnd(9)} ${c.padEnd(9)} (failed)`;
  const s = run.student;
  const t = run.tutor;
  const f = (x: number | null | undefined, d = 1) => (x == null ? '–' : x.toFixed(d));
  return `${name.padEnd(9)} ${c.padEnd(9)} student: conceal ${f(s.audioConcealedPct)}% fps ${f(s.videoFps)} ${s.videoHeight?.median ?? '–'}p freeze ${s.freezeCount}/${s.freezeMs}ms back ${s.mediaBackMs ?? '–'}ms rtt ${f(s.rttMs?.median, 0)} | tutor: conceal ${f(t.audioConcealedPct)}% fps ${f(t.videoFps)} ${t.videoHeight?.median ?? '–'}p freeze ${t.freezeCount}/${t.freezeMs}ms back ${t.mediaBackMs ?? '–'}ms`;
}

/** Written after every profile, so a run cut short keeps what it measured. */
function write(): void {
  mkdirSync(resolve(RESULTS, '..'), { recursive: true });
  writeFileSync(
    RESULTS,
    JSON.stringify(
      {
        name: 'network',
        date: started.toISOString(),
        node: process.version,
        cpus: cpus().length,
        machine: { hostname: hostname(), cpu: cpus()[0]?.model ?? 'unknown' },
        versions: versions(),
        tuning: TUNING ?? 'all adaptation choices on (web/src/media/encodings.ts)',
        settings: { measured_seconds: SECONDS, warmup_ms: WARMUP_MS, after_outage_ms: AFTER_OUTAGE_MS, sample_every_ms: 250, impaired: 'student link, both directions; tutor link clean' },
        metrics,
        ratios: { vs_raw: ratioTable, vs_livekit: null },
        baseline: 'raw RTCPeerConnection pair (browser defaults) in the same run, same browsers and links',
      },
      null,
      2,
    ) + '\n',
  );
}

assertLoopbackOnly();
const room = await startLabRoom({ RECONNECT_GRACE_MS: '60000' });
// NETBENCH_MERGE=1: the profiles of this run replace theirs in the existing file, the rest stay
// (a rerun of some profiles after a fix); each profile records when it was measured.
const previous = process.env.NETBENCH_MERGE === '1' && existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : null;
const metrics: Record<string, Record<string, Run | { error: string } | null | string>> = previous?.metrics ?? {};
const ratioTable: Record<string, Record<string, unknown>> = previous?.ratios?.vs_raw ?? {};
const started = new Date();
try {
  for (const name of profiles) {
    metrics[name] = { livekit: null, measured_at: new Date().toISOString() }; // the LiveKit column lands with the LiveKit harness
    for (const c of CONTENDERS) {
      try {
        const run = await runOne(room, c, name);
        metrics[name]![c] = run;
        console.log(row(name, c, run));
      } catch (err) {
        metrics[name]![c] = { error: (err as Error).message.slice(0, 300) };
        console.log(`${name} ${c}: failed: ${(err as Error).message.slice(0, 200)}`);
      }
    }
    const raw = metrics[name]!.raw as Run | undefined;
    ratioTable[name] = {};
    for (const c of ['duet_p2p', 'duet_sfu'] as const) {
      const d = metrics[name]![c] as Run | undefined;
      if (raw && 'student' in raw && d && 'student' in d) ratioTable[name]![c] = ratios(d, raw);
    }
    write();
  }
} finally {
  await room.stop();
}

console.log(`wrote ${RESULTS}`);
