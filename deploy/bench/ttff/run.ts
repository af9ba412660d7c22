// Time to first remote frame: from the moment the second person clicks "join" (the first is
// already in the room) until BOTH see a frame of the other on screen. Five contenders in the
// same run, same Chromium, interleaved rounds: a raw RTCPeerConnection pair (no Duet, no
// signaling server: the floor), Duet P2P with its instant join (SFU transports preconnected at
// pre-join, the lesson starts on the SFU, P2P takes over after), Duet P2P without it
// (P2P_INSTANT_JOIN=false: the P2P negotiation starts at the click), Duet through the SFU (instant
// join), and LiveKit (the anchor: deploy/bench/livekit, with its own best practice). Prints medians and ratios and writes
// deploy/bench/results/ttff.json (spread over every round, versions, machine).
//
//   flock /tmp/duet-heavy.lock bash scripts/in-lo-netns.sh node deploy/bench/ttff/run.ts [rounds]
//
// Runs on demand (not in the suite); bounded to a few rounds (default 5, 3..15; ~2-3 minutes).
// TTFF_NO_LIVEKIT=1 leaves LiveKit out (no Go toolchain); the first run builds livekit-server.
import { writeFileSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { AUDIO_CONSTRAINTS, VIDEO_CONSTRAINTS } from '../../../web/src/lib/devices.ts';
import { assertLoopbackOnly, startStack, type Stack } from '../../../web/test/e2e/stack.ts';
import { launchBrowser, openParticipant } from '../../../web/test/e2e/browser.ts';
import { buildPage, livekitBinary, startLiveKit, versions, type LiveKit } from '../livekit/anchor.ts';
import { livekitRound } from '../livekit/ttff-round.ts';
import { machine, ratio, spread } from '../machine.ts';

const ROUNDS = Math.max(3, Math.min(15, Number(process.argv[2] ?? 5)));
const WITH_LIVEKIT = process.env.TTFF_NO_LIVEKIT !== '1';
/** How long the second person stays on the pre-join before clicking (every contender alike). */
export const PREJOIN_MS = Math.max(0, Math.min(10_000, Number(process.env.TTFF_PREJOIN_MS ?? 1000)));
const RAW_MEDIA = process.env.TTFF_RAW_VGA ? { audio: true, video: { width: 640, height: 480 } } : { audio: AUDIO_CONSTRAINTS, video: VIDEO_CONSTRAINTS };
const RESULTS = resolve(import.meta.dirname, '../results/ttff.json');

/** Resolves (in the page) with the wall-clock time of the first frame the remote video presents. */
async function armFirstFrame(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __firstFrameAt?: number };
    w.__firstFrameAt = undefined;
    const arm = () => {
      const v = document.querySelector('[data-testid="remote-video"]') as (HTMLVideoElement & { requestVideoFrameCallback(cb: () => void): number }) | null;
      if (!v) return void setTimeout(arm, 5);
      v.requestVideoFrameCallback(() => (w.__firstFrameAt ??= performance.timeOrigin + performance.now()));
      // A stream swap can orphan the callback: re-arm until a frame was seen.
      setTimeout(() => w.__firstFrameAt === undefined && arm(), 50);
    };
    arm();
  });
}

async function firstFrameAt(page: Page, timeoutMs = 30_000): Promise<number> {
  const handle = await page.waitForFunction(() => (window as unknown as { __firstFrameAt?: number }).__firstFrameAt, undefined, { timeout: timeoutMs, polling: 10 });
  return (await handle.jsonValue()) as number;
}

async function now(page: Page): Promise<number> {
  return page.evaluate(() => performance.timeOrigin + performance.now());
}

async function duetRound(stack: Stack, browser: Browser, recording: boolean, label = ''): Promise<number> {
  const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'ttff', recording });
  const tutor = await openParticipant(browser, lesson.tutorUrl);
  let student: Page | undefined;
  try {
    await tutor.getByTestId('join').click();
    await tutor.getByTestId('room').waitFor({ timeout: 20_000 });
    // "Already in the room", as a tutor who has been waiting: seated, in an SFU room its camera
    // flowing to the SFU, and its join's side effects (hooks, analytics) done. (The room screen
    // shows at the click, before the seat is taken: timing from there let both joins overlap.)
    await tutor.waitForFunction(
      () => {
        const s = (window as unknown as { __duet?: { state(): { phase: string; mode: string | null; media: string | null } } }).__duet?.state();
        return s?.phase === 'room' && (s.mode !== 'sfu' || s.media === 'connected');
      },
      undefined,
      { timeout: 20_000, polling: 20 },
    );
    await tutor.waitForTimeout(500);
    // The student opens the link while the tutor waits, and spends PREJOIN_MS on the pre-join
    // (the same for every contender: what each does with that time is its own business).
    student = await openParticipant(browser, lesson.studentUrl);
    await student.getByTestId('join').waitFor();
    await student.waitForTimeout(PREJOIN_MS);
    // The tutor's <video> is in the DOM; the student's appears with the room.
    await armFirstFrame(tutor);
    // The clock starts when the click reaches the page (not when Playwright starts its
    // actionability checks before clicking, which is harness time, not the person's).
    await student.evaluate(() => {
      const w = window as unknown as { __joinClickAt?: number };
      w.__joinClickAt = undefined;
      document.addEventListener('click', () => (w.__joinClickAt ??= performance.timeOrigin + performance.now()), { capture: true, once: true });
    });
    await student.getByTestId('join').click();
    const t0 = (await student.evaluate(() => (window as unknown as { __joinClickAt?: number }).__joinClickAt)) ?? (await now(student));
    await student.getByTestId('room').waitFor({ timeout: 20_000 });
    await armFirstFrame(student);
    const [a, b] = await Promise.all([firstFrameAt(tutor), firstFrameAt(student!)]);
    if (process.env.TTFF_TRACE) {
      // Where the time went, on both sides (performance marks the room sets; both pages share
      // the browser's wall clock). The tutor's marks from before the click are left out.
      const trace = async (page: Page) => {
        const marks = await page.evaluate(() => performance.getEntriesByType('mark').map((m) => [m.name, performance.timeOrigin + m.startTime] as const));
        return marks.filter(([n, t]) => n.startsWith('duet:') && (t >= t0 - 5 || n.startsWith('duet:pre-'))).map(([n, t]) => `${n.slice(5)}+${Math.round(t - t0)}`).join(' ');
      };
      console.log(`  ${label}student: ${await trace(student)} | first frame tutor+${Math.round(a - t0)} student+${Math.round(b - t0)}`);
      console.log(`  ${label}tutor:   ${await trace(tutor)}`);
    }
    return Math.max(a, b) - t0;
  } finally {
    await tutor.getByTestId('leave').click().catch(() => undefined);
    await student?.getByTestId('leave').click().catch(() => undefined);
    await tutor.context().close();
    await student?.context().close();
  }
}

/** Two RTCPeerConnections in one page, SDP handed over directly: no server at all. */
async function rawRound(browser: Browser, origin: string): Promise<number> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  try {
    await page.goto(`${origin}/healthz`); // any page on a secure (loopback) origin
    const result = await page.evaluate(async ({ audio, video: videoConstraints }) => {
      const video = () => {
        const v = document.createElement('video');
        v.muted = true;
        v.autoplay = true;
        v.playsInline = true;
        document.body.append(v);
        return v as HTMLVideoElement & { requestVideoFrameCallback(cb: () => void): number };
      };
      const firstFrame = (v: ReturnType<typeof video>) => new Promise<number>((r) => v.requestVideoFrameCallback(() => r(performance.now())));
      // The same capture constraints as the Duet room (pre-join opens the camera with these).
      const media = { audio, video: videoConstraints };
      // "Tutor" is already in: its camera is open before the clock starts, as in Duet.
      const aStream = await navigator.mediaDevices.getUserMedia(media);
      const t0 = performance.now();
      const bStream = await navigator.mediaDevices.getUserMedia(media);
      const a = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      const b = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      a.onicecandidate = (e) => e.candidate && void b.addIceCandidate(e.candidate);
      b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate);
      const va = video();
      const vb = video();
      // Trace only (TTFF_TRACE): when the SDP exchange is done and when ICE+DTLS connect.
      const marks: [string, number][] = [];
      a.onconnectionstatechange = () => a.connectionState === 'connected' && marks.push(['connected', performance.now() - t0]);
      a.ontrack = (e) => e.track.kind === 'video' && (va.srcObject = new MediaStream([e.track]));
      b.ontrack = (e) => e.track.kind === 'video' && (vb.srcObject = new MediaStream([e.track]));
      const frames = Promise.all([firstFrame(va), firstFrame(vb)]);
      for (const t of aStream.getTracks()) a.addTrack(t, aStream);
      for (const t of bStream.getTracks()) b.addTrack(t, bStream);
      const offer = await a.createOffer();
      await a.setLocalDescription(offer);
      await b.setRemoteDescription(offer);
      const answer = await b.createAnswer();
      await b.setLocalDescription(answer);
      await a.setRemoteDescription(answer);
      marks.push(['sdp-done', performance.now() - t0]);
      const [fa, fb] = await frames;
      a.close();
      b.close();
      for (const t of [...aStream.getTracks(), ...bStream.getTracks()]) t.stop();
      marks.push(['frame-a', fa - t0], ['frame-b', fb - t0]);
      return { ms: Math.max(fa, fb) - t0, trace: marks.map(([n, t]) => `${n}+${Math.round(t)}`).join(' ') };
    }, RAW_MEDIA);
    if (process.env.TTFF_TRACE) console.log(`  raw: ${result.trace}`);
    return result.ms;
  } finally {
    await context.close();
  }
}

async function main(): Promise<void> {
  assertLoopbackOnly();
  const started = Date.now();
  const startLoad = Math.round(loadavg()[0]! * 10) / 10;
  // Inputs first (fail fast, before any browser): the LiveKit binary and its page.
  const livekitBin = WITH_LIVEKIT ? livekitBinary() : undefined;
  if (WITH_LIVEKIT) await buildPage();
  const [p2pStack, plainStack, sfuStack, browser, lk] = await Promise.all([
    startStack({ P2P_INSTANT_JOIN: 'true' }),
    startStack({ P2P_INSTANT_JOIN: 'false' }),
    startStack({ P2P_ENABLED: 'false' }),
    launchBrowser(),
    livekitBin ? startLiveKit(livekitBin) : Promise.resolve(undefined as LiveKit | undefined),
  ]);
  const chromium = browser.version();
  const probe = { arm: armFirstFrame, firstFrameAt: (page: Page) => firstFrameAt(page), prejoinMs: PREJOIN_MS };
  const raw: number[] = [];
  const p2p: number[] = [];
  const plain: number[] = [];
  const sfu: number[] = [];
  const livekit: number[] = [];
  try {
    // One warm-up of each (first page load, codec init), not counted.
    await rawRound(browser, p2pStack.apiUrl);
    await duetRound(p2pStack, browser, false, 'p2p ');
    await duetRound(plainStack, browser, false, 'p2p-plain ');
    await duetRound(sfuStack, browser, false, 'sfu ');
    if (lk) await livekitRound(lk, browser, probe);
    for (let i = 0; i < ROUNDS; i++) {
      raw.push(await rawRound(browser, p2pStack.apiUrl));
      p2p.push(await duetRound(p2pStack, browser, false, 'p2p '));
      plain.push(await duetRound(plainStack, browser, false, 'p2p-plain '));
      sfu.push(await duetRound(sfuStack, browser, false, 'sfu '));
      if (lk) livekit.push(await livekitRound(lk, browser, probe));
      console.log(`round ${i + 1}/${ROUNDS}: raw ${Math.round(raw.at(-1)!)} ms, p2p ${Math.round(p2p.at(-1)!)} ms, p2p plain ${Math.round(plain.at(-1)!)} ms, sfu ${Math.round(sfu.at(-1)!)} ms${lk ? `, livekit ${Math.round(livekit.at(-1)!)} ms` : ''}`);
    }
  } catch (err) {
    if (lk && process.env.TTFF_TRACE) console.error(lk.logs().slice(-4000));
    throw err;
  } finally {
    await browser.close();
    await Promise.all([p2pStack.stop(), plainStack.stop(), sfuStack.stop(), lk?.stop()]);
  }
  const spreads = { raw_ms: spread(raw), p2p_ms: spread(p2p), p2p_plain_ms: spread(plain), sfu_ms: spread(sfu), ...(lk ? { livekit_ms: spread(livekit) } : {}) };
  const metrics = { raw_ms: spreads.raw_ms.median, p2p_ms: spreads.p2p_ms.median, p2p_plain_ms: spreads.p2p_plain_ms.median, sfu_ms: spreads.sfu_ms.median, ...(lk ? { livekit_ms: spreads.livekit_ms!.median } : {}), rounds: ROUNDS };
  const lkMs = spreads.livekit_ms?.median;
  const ratios = {
    p2p_vs_raw: ratio(metrics.p2p_ms, metrics.raw_ms),
    p2p_plain_vs_raw: ratio(metrics.p2p_plain_ms, metrics.raw_ms),
    sfu_vs_raw: ratio(metrics.sfu_ms, metrics.raw_ms),
    // The "instant join" rows (issue 14 item 3, goal ≤ 0.6): both Duet contenders join on
    // transports connected and producers prepared at pre-join (P2P then moves to P2P after the
    // first frames); p2p_plain is the P2P start without it, for comparison.
    instant_join_vs_raw: { sfu: ratio(metrics.sfu_ms, metrics.raw_ms), p2p: ratio(metrics.p2p_ms, metrics.raw_ms) },
    ...(lk ? { vs_livekit: { p2p: ratio(metrics.p2p_ms, lkMs), p2p_plain: ratio(metrics.p2p_plain_ms, lkMs), sfu: ratio(metrics.sfu_ms, lkMs), raw: ratio(metrics.raw_ms, lkMs) } } : {}),
  };
  const result = {
    name: 'ttff',
    date: new Date().toISOString(),
    machine: machine(),
    versions: versions({ chromium, ...(livekitBin ? { livekitBin } : {}) }),
    node: process.version,
    // The machine may be shared: a load far above the core count makes every figure slower and noisier.
    loadavg_1m_at_start: startLoad,
    loadavg_1m_at_end: Math.round(loadavg()[0]! * 10) / 10,
    metrics,
    ratios,
    goals: { 'duet_vs_livekit <=': 0.5, 'instant_join_vs_raw <=': 0.6 },
    prejoin_ms: PREJOIN_MS,
    spread: spreads,
    samples: { raw_ms: raw.map(Math.round), p2p_ms: p2p.map(Math.round), p2p_plain_ms: plain.map(Math.round), sfu_ms: sfu.map(Math.round), ...(lk ? { livekit_ms: livekit.map(Math.round) } : {}) },
    baseline: 'a raw RTCPeerConnection pair in one page of the same Chromium (no signaling server), capturing with the same constraints as the Duet room (1280x720 ideal; TTFF_RAW_VGA=1 for 640x480); time from the second join to the first remote frame on screen at both ends',
    livekit: lk
      ? 'livekit-server on loopback (deploy/bench/livekit/livekit.yaml), livekit-client page (deploy/bench/livekit/page): tracks created and room.prepareConnection() during the pre-join, room.connect() + publishTrack() on the click; adaptiveStream, dynacast, simulcast (LIVEKIT_SIMULCAST=0: off), VP8, 1280x720 capture as the Duet room; medians are over every round, not the best'
      : 'left out (TTFF_NO_LIVEKIT=1)',
  };
  mkdirSync(resolve(RESULTS, '..'), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify(result, null, 2) + '\n');
  const vs = lk ? ` — vs LiveKit ${lkMs} ms: p2p ${ratios.vs_livekit!.p2p}x, sfu ${ratios.vs_livekit!.sfu}x` : '';
  console.log(`ttff medians: raw ${metrics.raw_ms} ms, Duet P2P ${metrics.p2p_ms} ms (${ratios.p2p_vs_raw}x), P2P plain ${metrics.p2p_plain_ms} ms (${ratios.p2p_plain_vs_raw}x), Duet SFU ${metrics.sfu_ms} ms (${ratios.sfu_vs_raw}x)${vs} — ${Math.round((Date.now() - started) / 1000)} s; wrote ${RESULTS}`);
}

await main();
