// @duet/embed end to end in Chromium: the example page (embed/example/index.html) on one origin
// embeds the tutor's and the student's rooms from the API's origin. Events reach the host
// (ready, joined, left, ended); its commands work (mute, camera, theme, leave, end for both); a
// frame from a third origin inside the host page sends the same commands and a forged event, and
// both are ignored — by the room (not the parent, origin not in FRAME_ANCESTORS) and by the
// embed library (not the room's window/origin).
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Frame, Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { embedJs } from '../../../embed/scripts/build.ts';
import { assertLoopbackOnly, startStack, type Stack } from './stack.ts';
import { clickJoin, launchBrowser, openParticipant, waitFor } from './browser.ts';

const EXAMPLE = readFileSync(resolve(import.meta.dirname, '../../../embed/example/index.html'), 'utf8');
let stack: Stack;
let browser: Browser;
const servers: Server[] = [];

/** A static origin on 127.0.0.1 or localhost (different origins from the API's and each other's). */
async function serve(host: string, routes: Record<string, [string, string]>): Promise<string> {
  const server = createServer((req, res) => {
    const r = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (!r) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': r[0] }).end(r[1]);
  });
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  return `http://${host}:${(server.address() as { port: number }).port}`;
}

// The third origin: a frame inside the host page that tries to drive the room and fool the host.
const EVIL = `<!doctype html><script>
const room = parent.frames[0];
setInterval(() => {
  for (const command of ['mute', 'camera', 'end', 'leave']) room.postMessage({ source: 'duet-host', type: 'command', command, value: command === 'mute' }, '*');
  room.postMessage({ source: 'duet-host', type: 'hello' }, '*');
  parent.postMessage({ source: 'duet', type: 'ended', at: new Date().toISOString(), data: { forged: true } }, '*');
}, 100);
</script>`;

let hostOrigin: string;
let evilOrigin: string;

beforeAll(async () => {
  assertLoopbackOnly();
  hostOrigin = await serve('localhost', { '/': ['text/html; charset=utf-8', EXAMPLE], '/duet-embed.js': ['text/javascript', embedJs()] });
  evilOrigin = await serve('127.0.0.1', { '/': ['text/html; charset=utf-8', EVIL] });
  [stack, browser] = await Promise.all([startStack({ FRAME_ANCESTORS: hostOrigin }), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  for (const s of servers) s.close();
});

const roomFrame = (page: Page, n: number): Frame => page.frames().filter((f) => f.url().includes('/session/'))[n]!;
const events = (page: Page) => page.evaluate(() => (window as unknown as { events: { frame: number; type: string; data: Record<string, unknown> }[] }).events);

describe('@duet/embed in Chromium', () => {
  it('events reach the host, its commands work, a third origin is ignored both ways', async () => {
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'Embedded commands' });
    const page = await openParticipant(browser, `${hostOrigin}/?tutor=${encodeURIComponent(lesson.tutorUrl)}&student=${encodeURIComponent(lesson.studentUrl)}`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await waitFor('both rooms ready', async () => (await events(page)).filter((e) => e.type === 'ready').length === 2);
    const [tutor, student] = [roomFrame(page, 0), roomFrame(page, 1)];
    // The room announces the origins the API allows, and nothing else.
    expect(await tutor.evaluate(() => document.querySelector('meta[name="duet-embed-origins"]')?.getAttribute('content'))).toBe(hostOrigin);
    // A join that does not reach the room says how far it got, with the node's last log lines.
    for (const f of [tutor, student]) await clickJoin(f, () => `\nstack log (tail):\n${stack.logs().split('\n').slice(-40).join('\n')}`);
    await waitFor('joined events from both frames', async () => new Set((await events(page)).filter((e) => e.type === 'joined').map((e) => e.frame)).size === 2);

    // The third origin's frame floods the room with commands and the host with a forged event.
    await page.evaluate((src) => {
      const f = document.createElement('iframe');
      f.src = src;
      f.id = 'evil';
      document.body.append(f);
    }, `${evilOrigin}/`);
    await waitFor('the evil frame runs', async () => page.frames().some((f) => f.url().startsWith(evilOrigin)));
    await page.waitForTimeout(1_000);
    let s = await tutor.evaluate(() => (window as any).__duet.controller.state.get() as { micOn: boolean; camOn: boolean; phase: string });
    expect(s).toMatchObject({ micOn: true, camOn: true, phase: 'room' });
    expect((await events(page)).some((e) => e.type === 'ended'), 'the forged ended event must not reach the host').toBe(false);
    await page.evaluate(() => document.getElementById('evil')!.remove());

    // The host's commands work.
    await page.getByRole('button', { name: 'Mute', exact: true }).click();
    await page.getByRole('button', { name: 'Camera off' }).click();
    await page.getByRole('button', { name: 'Light theme' }).click();
    await waitFor('muted, camera off, light theme', async () => {
      s = await tutor.evaluate(() => (window as any).__duet.controller.state.get());
      return !s.micOn && !s.camOn && (await tutor.evaluate(() => document.documentElement.dataset.theme)) === 'light';
    });
    expect((await events(page)).filter((e) => e.type === 'media' && e.frame === 0).length).toBeGreaterThanOrEqual(2);
    // Leave (the last frame: the student), then end for both (the first: the tutor).
    await page.getByRole('button', { name: 'Leave' }).click();
    await waitFor('left event from the student frame', async () => (await events(page)).some((e) => e.type === 'left' && e.frame === 1));
    await page.getByRole('button', { name: 'End for both' }).click();
    await waitFor('ended event from the tutor frame', async () => (await events(page)).some((e) => e.type === 'ended' && e.frame === 0));
    expect((await events(page)).find((e) => e.type === 'ended')!.data).toMatchObject({ reason: 'ended_by_tutor' });
    await page.context().close();
  }, 120_000);
});
