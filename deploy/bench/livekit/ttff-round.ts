// One TTFF round against LiveKit, measured exactly like Duet's (deploy/bench/ttff/run.ts): the
// "tutor" joined and published, settled 0.5 s; the "student" on the pre-join (tracks open,
// prepareConnection done); the clock runs from the click reaching the page until both remote
// <video>s present a first frame.
import type { Browser, Page } from 'playwright-core';
import { openParticipant } from '../../../web/test/e2e/browser.ts';
import type { LiveKit } from './anchor.ts';

type LkState = { phase: string; error: string; published: number };
const lkState = (page: Page) => page.evaluate(() => (window as unknown as { __lk: { state(): LkState } }).__lk.state());

async function waitPhase(page: Page, phase: string, extra?: (s: LkState) => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const s = await lkState(page);
    if (s.phase === 'failed') throw new Error(`LiveKit page failed: ${s.error}`);
    if (s.phase === phase && (!extra || extra(s))) return;
    if (Date.now() > deadline) throw new Error(`LiveKit page stuck in ${s.phase} (wanted ${phase})`);
    await page.waitForTimeout(10);
  }
}

export interface FrameProbe {
  arm(page: Page): Promise<void>;
  firstFrameAt(page: Page): Promise<number>;
  /** How long the student stays on the pre-join before clicking. */
  prejoinMs: number;
}

let roomSeq = 0;

export async function livekitRound(lk: LiveKit, browser: Browser, probe: FrameProbe): Promise<number> {
  const room = `ttff-${process.pid}-${++roomSeq}`;
  const pageUrl = async (who: string) => `${lk.pageOrigin}/?url=${encodeURIComponent(lk.url)}&token=${encodeURIComponent(await lk.token(room, who))}${process.env.LIVEKIT_SIMULCAST === '0' ? '&simulcast=0' : ''}`;
  const tutor = await openParticipant(browser, await pageUrl('tutor'));
  let student: Page | undefined;
  try {
    await waitPhase(tutor, 'prejoin');
    await tutor.getByTestId('join').click();
    await waitPhase(tutor, 'room', (s) => s.published > 0);
    await tutor.waitForTimeout(500);
    // As for Duet: the student opens the link while the tutor waits and stays prejoinMs.
    student = await openParticipant(browser, await pageUrl('student'));
    await waitPhase(student, 'prejoin');
    await student.waitForTimeout(probe.prejoinMs);
    await probe.arm(tutor);
    await student.evaluate(() => {
      const w = window as unknown as { __joinClickAt?: number };
      w.__joinClickAt = undefined;
      document.addEventListener('click', () => (w.__joinClickAt ??= performance.timeOrigin + performance.now()), { capture: true, once: true });
    });
    await probe.arm(student);
    await student.getByTestId('join').click();
    const t0 = (await student.evaluate(() => (window as unknown as { __joinClickAt?: number }).__joinClickAt))!;
    const [a, b] = await Promise.all([probe.firstFrameAt(tutor), probe.firstFrameAt(student)]);
    if (process.env.TTFF_TRACE) console.log(`  livekit: first frame tutor+${Math.round(a - t0)} student+${Math.round(b - t0)}`);
    return Math.max(a, b) - t0;
  } finally {
    await tutor.context().close();
    await student?.context().close();
  }
}
