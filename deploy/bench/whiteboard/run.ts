// Whiteboard stroke sync latency on loopback, through the real room: two Chromium pages (tutor
// and student) in one lesson with the board open; the tutor draws N pen strokes with the pointer.
// For each stroke: `start` = from the tutor's doc getting the new stroke (pointer down) to the
// student's doc getting it; `end` = from the tutor's last point of the stroke to the student's doc
// holding every point. Both pages read the same machine clock (performance.timeOrigin + now()).
// Prints p50/p95 and writes deploy/bench/results/whiteboard.json (goal: p95 ≤ 100 ms).
//
//   bash scripts/in-lo-netns.sh node deploy/bench/whiteboard/run.ts [strokes]
//
// Runs on demand (not in the suite); bounded (default 40 strokes, max 200; ~1 minute).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { assertLoopbackOnly, startStack } from '../../../web/test/e2e/stack.ts';
import { launchBrowser, openParticipant, waitFor } from '../../../web/test/e2e/browser.ts';

const STROKES = Math.max(5, Math.min(200, Number(process.argv[2] ?? 40)));
const RESULTS = resolve(import.meta.dirname, '../results/whiteboard.json');

interface Mark {
  count: number;
  pts: number;
  at: number;
}

/** Records (item count, points of the newest item, wall time) on every change of the page's board doc. */
async function watch(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as any;
    w.__marks = [];
    const doc = w.duetBoard.doc;
    doc.on('update', () => {
      const items = doc.getArray('page:1');
      const last = items.length ? items.get(items.length - 1).get('pts') : null;
      w.__marks.push({ count: items.length, pts: last ? last.length : 0, at: performance.timeOrigin + performance.now() });
    });
  });
}

const marks = (page: Page) => page.evaluate(() => (window as any).__marks as Mark[]);

async function join(page: Page): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 800 });
  await waitFor('Join enabled', async () => page.getByTestId('join').isEnabled(), 30_000);
  await page.getByTestId('join').click();
  await page.getByTestId('room').waitFor({ timeout: 20_000 });
  await page.getByTestId('toggle-board').click();
  await page.locator('[data-testid="board"][data-synced="true"]').waitFor({ timeout: 15_000 });
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
}

async function main(): Promise<void> {
  assertLoopbackOnly();
  const [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  try {
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'whiteboard bench', minutes: 30 });
    const [tutor, student] = await Promise.all([openParticipant(browser, lesson.tutorUrl), openParticipant(browser, lesson.studentUrl)]);
    await join(tutor);
    await join(student);
    await Promise.all([watch(tutor), watch(student)]);
    const box = (await tutor.getByTestId('board-canvas').boundingBox())!;
    for (let i = 0; i < STROKES; i++) {
      const y = box.y + box.height * (0.1 + (0.8 * i) / STROKES);
      await tutor.mouse.move(box.x + box.width * 0.2, y);
      await tutor.mouse.down();
      for (let k = 1; k <= 10; k++) await tutor.mouse.move(box.x + box.width * (0.2 + 0.05 * k), y + (k % 2) * 6);
      await tutor.mouse.up();
      await waitFor(`stroke ${i + 1} on the student side`, async () => (await marks(student)).some((m) => m.count === i + 1), 10_000, 20);
    }
    // Let the last strokes' points arrive.
    const [t, s] = await waitFor('all points across', async () => {
      const [a, b] = await Promise.all([marks(tutor), marks(student)]);
      const last = (m: Mark[]) => m.at(-1);
      return last(a)?.count === STROKES && last(b)?.count === STROKES && last(a)?.pts === last(b)?.pts ? [a, b] : null;
    }, 10_000, 50);
    const start: number[] = [];
    const end: number[] = [];
    for (let i = 1; i <= STROKES; i++) {
      const created = t.find((m) => m.count === i)!;
      const arrived = s.find((m) => m.count === i)!;
      start.push(arrived.at - created.at);
      const finalPts = Math.max(...t.filter((m) => m.count === i).map((m) => m.pts));
      const lastPoint = t.find((m) => m.count === i && m.pts === finalPts)!;
      const allThere = s.find((m) => m.count > i || (m.count === i && m.pts >= finalPts))!;
      end.push(allThere.at - lastPoint.at);
    }
    const all = [...start, ...end];
    const result = {
      measured_at: new Date().toISOString(),
      what: 'pen stroke sync latency tutor -> student through the media node (two Chromium pages, loopback, real UI and pointer events)',
      strokes: STROKES,
      stroke_start_ms: { p50: pct(start, 50), p95: pct(start, 95), max: pct(start, 100) },
      stroke_end_ms: { p50: pct(end, 50), p95: pct(end, 95), max: pct(end, 100) },
      all_ms: { p50: pct(all, 50), p95: pct(all, 95) },
      goal_p95_ms: 100,
      meets_goal: pct(all, 95) <= 100,
      machine: { cpus: cpus().length, loadavg_1m: Math.round(loadavg()[0]! * 100) / 100 },
    };
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await browser.close();
    await stack.stop();
  }
}

await main();
