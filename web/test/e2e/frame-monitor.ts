// Counts the frames the remote <video> actually presents (requestVideoFrameCallback), across
// stream swaps, and the longest gap between two of them: what a person would notice as a freeze.
import type { Page } from 'playwright-core';

export interface FrameCounts {
  frames: number;
  maxGapMs: number;
  sinceLastMs: number;
}

export async function installFrameMonitor(page: Page, testId = 'remote-video'): Promise<void> {
  await page.evaluate((id) => {
    type V = HTMLVideoElement & { requestVideoFrameCallback(cb: () => void): number; cancelVideoFrameCallback(h: number): void };
    const st = { frames: 0, last: 0, maxGap: 0, el: null as V | null, handle: 0 };
    const find = () => document.querySelector(`[data-testid="${id}"]`) as V | null;
    const arm = () => {
      const v = find();
      if (!v) return;
      if (st.el && st.el !== v && st.handle) st.el.cancelVideoFrameCallback(st.handle);
      st.el = v;
      st.handle = v.requestVideoFrameCallback(onFrame);
    };
    const onFrame = () => {
      const t = performance.now();
      if (st.last) st.maxGap = Math.max(st.maxGap, t - st.last);
      st.last = t;
      st.frames++;
      arm();
    };
    // Re-arm after the element or its stream changed (a pending callback may never fire then).
    setInterval(() => {
      const v = find();
      if (v && (v !== st.el || performance.now() - st.last > 250)) {
        if (st.el && st.handle) st.el.cancelVideoFrameCallback(st.handle);
        st.el = null;
        arm();
      }
    }, 100);
    arm();
    (window as unknown as { __frames: unknown }).__frames = {
      read: () => ({ frames: st.frames, maxGapMs: Math.round(st.maxGap), sinceLastMs: st.last ? Math.round(performance.now() - st.last) : -1 }),
      resetGap: () => {
        st.maxGap = 0;
      },
    };
  }, testId);
}

export async function readFrames(page: Page): Promise<FrameCounts> {
  return page.evaluate(() => (window as unknown as { __frames: { read(): FrameCounts } }).__frames.read());
}

export async function resetGap(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { __frames: { resetGap(): void } }).__frames.resetGap());
}
