// Lessons on real-looking networks (the network lab, docs/network-lab.md): per profile, the
// same two Chromiums (tutor and student, each in its own namespace) run a raw RTCPeerConnection
// pair (the floor: browser defaults, no server), a Duet P2P lesson, a Duet SFU lesson (not
// recorded: a second stack with P2P off, so the camera goes out as simulcast) and LiveKit
// (livekit-pair.ts: its own best settings), one after the other in the same run. The profile is on the student's link (both directions); the
// tutor's link is clean. Each side's receive quality comes from getStats (web/src/quality).
// Writes deploy/bench/results/network.json: every metric per profile and contender, and vs_raw /
// vs_livekit ratios (Duet / raw, Duet / LiveKit; < 1 is better for concealment, freezes, media back).
// NETBENCH_CONTENDERS=raw,duet_p2p,duet_sfu,livekit (default); duet_sfu_rec adds a recorded SFU
// lesson (one camera stream). NETBENCH_TRACE=1 adds each page's per-second send trace to the
// rounds (what the sender's estimate allows and what it sends, and what the page received). NETBENCH_ROUNDS=n repeats every profile n times (one entry per round
// in `rounds`; metrics keep the median round by student freeze time).
//
//   flock /tmp/duet-heavy.lock bash scripts/in-lo-netns.sh node deploy/bench/network/run.ts [profile ...]
//   NETBENCH_SECONDS=30 (measured seconds per contender and profile)
//
// Bounded: ~(NETBENCH_SECONDS + ~12 s) x 4 contenders x profiles x rounds (8 profiles, 1 round: ~25 min at 20 s).
import { existsSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { assertLoopbackOnly } from '../../../web/test/e2e/stack.ts';
import { startLabRoom, joinLabLesson, PageQuality, type LabRoom } from '../../../web/test/e2e/lab/lab-room.ts';
import { profile as getProfile, type ProfileName } from '../../../web/test/e2e/lab/profiles.ts';
import { SendTrace, type SendTracePoint } from '../../../web/test/e2e/lab/send-trace.ts';
import type { QualitySummary } from '../../../web/src/quality/index.ts';
import { startStack, type Stack } from '../../../web/test/e2e/stack.ts';
import { connectRawPair, watchRawRecovery } from './raw-pair.ts';
import { joinLiveKit, startLabLiveKit } from './livekit-pair.ts';
import type { LiveKit } from '../livekit/anchor.ts';

const ALL: ProfileName[] = ['clean', 'wifi', 'lossy', 'loss20', 'mobile', 'far', 'outage5', 'outage20'];
const profiles = (process.argv.slice(2).length ? process.argv.slice(2) : ALL) as ProfileName[];
const SECONDS = Math.max(5, Math.min(120, Number(process.env.NETBENCH_SECONDS ?? 30)));
const WARMUP_MS = 4_000;
/** After an outage ends, how long the bench keeps measuring (media back, then steady state). */
const AFTER_OUTAGE_MS = 12_000;
type Contender = 'raw' | 'duet_p2p' | 'duet_sfu' | 'duet_sfu_rec' | 'livekit';
const CONTENDERS = (process.env.NETBENCH_CONTENDERS?.split(',') ?? ['raw', 'duet_p2p', 'duet_sfu', 'livekit']) as Contender[];
const ROUNDS = Math.max(1, Math.min(5, Number(process.env.NETBENCH_ROUNDS ?? 1)));
/**
 * A/B of the adaptation choices (web/src/media/encodings.ts): NETBENCH_TUNING='{"simulcast":false}'
 * turns choices off in the Duet pages; such runs go to NETBENCH_OUT, not network.json.
 */
const TUNING = process.env.NETBENCH_TUNING ? (JSON.parse(process.env.NETBENCH_TUNING) as Record<string, boolean | number>) : null;
const INIT = TUNING ? `globalThis.__duetMediaTuning = ${JSON.stringify(TUNING)};` : undefined;
/** NETBENCH_TRACE=1 keeps a per-second send trace of both pages in each round (see Run.trace). */
const TRACE = process.env.NETBENCH_TRACE === '1';
const RESULTS = resolve(import.meta.dirname, '../results', process.env.NETBENCH_OUT ?? (TUNING ? 'network-ab.json' : 'network.json'));

interface Run {
  tutor: QualitySummary;
  student: QualitySummary;
  mode: string | null;
  error?: string;
  /** NETBENCH_TRACE=1: what each side sent and received, per second, from its first sample (send-trace.ts). */
  trace?: { tutor: SendTracePoint[]; student: SendTracePoint[] };
  /** The sides that received no media at all in the measured window (receivedNothing). */
  noMedia?: Array<'student' | 'tutor'>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The SFU-only stack (P2P_ENABLED=false) in the same servers namespace, as a LabRoom for joinLabLesson. */
async function sfuOnly(room: LabRoom): Promise<{ room: LabRoom; stack: Stack }> {
  const stack = await startStack({ MEDIA_LISTEN_IP: room.lab.serverAddress, WEBHOOK_ENDPOINTS: '[]', RECONNECT_GRACE_MS: '60000', P2P_ENABLED: 'false' }, { enter: room.lab.servers.enter });
  const port = (u: string) => Number(new URL(u).port);
  await room.lab.exposeServerPorts([port(stack.apiUrl), port(stack.signalingUrl)]);
  const apiUrl = `http://127.0.0.1:${await room.lab.forward('127.0.0.1', port(stack.apiUrl))}`;
  return { room: { ...room, stack, apiUrl }, stack };
}

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
  } else if (contender === 'livekit') {
    if (!lk) throw new Error('LiveKit not started');
    pages = await joinLiveKit(room, lk);
  } else {
    // duet_sfu: a lesson that is not recorded on the SFU-only stack (simulcast camera);
    // duet_sfu_rec: a recorded one (one camera stream, the recorder consuming it).
    const where = contender === 'duet_sfu' ? sfu!.room : room;
    const lesson = await joinLabLesson(where, { recording: contender === 'duet_sfu_rec', title: `network ${name}`, init: INIT });
    pages = { tutor: lesson.tutor.page, student: lesson.student.page, close: lesson.close };
    mode = () => lesson.student.page.evaluate(() => (window as unknown as { __duet: { mediaKind(): string | null } }).__duet.mediaKind());
  }
  const source = contender === 'raw' ? 'raw' : 'duet'; // LiveKit pages answer window.__duet.rawStats too (livekit-pair.ts)
  const start = contender === 'raw' ? Date.now() : t0;
  const qt = new PageQuality(pages.tutor, source, start).start(250);
  const qs = new PageQuality(pages.student, source, start).start(250);
  if (TRACE) (qt.trace = new SendTrace(start)), (qs.trace = new SendTrace(start));
  let done = false;
  try {
    if (contender === 'raw') await connectRawPair(pages.tutor, pages.student);
    await sleep(WARMUP_MS);
    const from = Date.now();
    if (p.outageMs) {
      const recovery = contender === 'raw' ? watchRawRecovery(pages.tutor, pages.student, () => done) : Promise.resolve();
      const end = await student.outage(p.outageMs); // the instant the link started coming back
      qt.tracker.markOutageEnd(end);
      qs.tracker.markOutageEnd(end);
      await sleep(AFTER_OUTAGE_MS);
      done = true;
      await recovery;
    } else {
      await sleep(SECONDS * 1000);
    }
    const to = Date.now();
    const trace = qt.trace && qs.trace ? { tutor: qt.trace.points, student: qs.trace.points } : undefined;
    return { tutor: qt.tracker.summary(from, to), student: qs.tracker.summary(from, to), mode: await mode().catch(() => null), ...(trace && { trace }) };
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
/** Duet / base (raw or LiveKit) for the figures where both have a number, per receiving side. */
/**
 * A side that never got a first frame nor any audio in the measured window received nothing:
 * its zero freezes mean "no media", not "smooth". Marked in the run (`noMedia`), no ratios.
 */
function receivedNothing(s: QualitySummary): boolean {
  return s.samples > 0 && s.timeToFirstFrameMs == null && s.audioConcealedPct == null && s.videoFps == null;
}

function ratios(duet: Run, raw: Run): Record<string, Record<string, number | null> | null> {
  const r = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null ? null : b === 0 ? (a === 0 ? 1 : null) : Math.round((a / b) * 100) / 100);
  const side = (d: QualitySummary, b: QualitySummary) => (receivedNothing(d) || receivedNothing(b) ? null : {
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
        ratios: { vs_raw: ratioTable, vs_livekit: lkRatioTable },
        baseline: 'raw RTCPeerConnection pair (browser defaults) in the same run, same browsers and links',
        contenders: {
          duet_sfu: 'a lesson that is not recorded, on a stack with P2P_ENABLED=false: VP8 simulcast camera',
          duet_sfu_rec: 'a recorded lesson: one camera stream (the recorder consumes it)',
          livekit: lk ? `livekit-server ${versionsLk?.server ?? '?'} in the servers namespace (lab address announced), livekit-client ${versionsLk?.client ?? '?'}: simulcast, dynacast, adaptiveStream (remote video 1280x720), RED and DTX, VP8` : 'not run',
        },
        rounds: roundLog,
      },
      null,
      2,
    ) + '\n',
  );
}

assertLoopbackOnly();
const room = await startLabRoom({ RECONNECT_GRACE_MS: '60000' });
let sfu: { room: LabRoom; stack: Stack } | undefined;
let lk: LiveKit | undefined;
let versionsLk: { server: string; client: string } | undefined;
// NETBENCH_MERGE=1: the profiles of this run replace theirs in the existing file, the rest stay
// (a rerun of some profiles after a fix); each profile records when it was measured.
const previous = process.env.NETBENCH_MERGE === '1' && existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : null;
const metrics: Record<string, Record<string, Run | { error: string } | null | string>> = previous?.metrics ?? {};
const ratioTable: Record<string, Record<string, unknown>> = previous?.ratios?.vs_raw ?? {};
const lkRatioTable: Record<string, Record<string, unknown>> = previous?.ratios?.vs_livekit ?? {};
/** Every round's run per profile and contender (the spread); metrics hold the median round. */
const roundLog: Record<string, Record<string, Array<Run | { error: string }>>> = previous?.rounds ?? {};
const started = new Date();

/** The median round by what people feel most: the student's freeze time, then concealment. */
function medianRun(runs: Array<Run | { error: string }>): Run | { error: string } {
  const ok = runs.filter((r): r is Run => 'student' in r);
  if (!ok.length) return runs[0]!;
  ok.sort((a, b) => a.student.freezeMs - b.student.freezeMs || (a.student.audioConcealedPct ?? 0) - (b.student.audioConcealedPct ?? 0));
  return ok[Math.floor((ok.length - 1) / 2)]!;
}

try {
  if (CONTENDERS.includes('duet_sfu')) sfu = await sfuOnly(room);
  if (CONTENDERS.includes('livekit')) {
    const started = await startLabLiveKit(room);
    lk = started.lk;
    versionsLk = {
      server: (() => {
        try {
          return execFileSync(started.bin, ['--version'], { encoding: 'utf8' }).trim();
        } catch {
          return 'unknown';
        }
      })(),
      client: (() => {
        try {
          return JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../node_modules/livekit-client/package.json'), 'utf8')).version;
        } catch {
          return 'unknown';
        }
      })(),
    };
  }
  for (const name of profiles) {
    metrics[name] = { measured_at: new Date().toISOString() };
    roundLog[name] = {};
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of CONTENDERS) {
        let run: Run | { error: string };
        try {
          const got = await runOne(room, c, name);
          const none = (['student', 'tutor'] as const).filter((side) => receivedNothing(got[side]));
          if (none.length) got.noMedia = none;
          run = got;
          console.log(`${ROUNDS > 1 ? `[${round}/${ROUNDS}] ` : ''}${row(name, c, got)}`);
        } catch (err) {
          run = { error: (err as Error).message.slice(0, 300) };
          console.log(`${name} ${c}: failed: ${(err as Error).message.slice(0, 200)}`);
        }
        (roundLog[name]![c] ??= []).push(run);
      }
    }
    for (const c of CONTENDERS) metrics[name]![c] = medianRun(roundLog[name]![c]!);
    if (!CONTENDERS.includes('livekit')) metrics[name]!.livekit = null;
    const raw = metrics[name]!.raw as Run | undefined;
    const base = metrics[name]!.livekit as Run | null | undefined;
    ratioTable[name] = {};
    lkRatioTable[name] = {};
    for (const c of ['duet_p2p', 'duet_sfu', 'duet_sfu_rec'] as const) {
      const d = metrics[name]![c] as Run | undefined;
      if (!d || !('student' in d)) continue;
      if (raw && 'student' in raw) ratioTable[name]![c] = ratios(d, raw);
      if (base && 'student' in base) lkRatioTable[name]![c] = ratios(d, base);
    }
    write();
  }
} finally {
  await lk?.stop().catch(() => undefined);
  await sfu?.stack.stop().catch(() => undefined);
  await room.stop();
}

console.log(`wrote ${RESULTS}`);
