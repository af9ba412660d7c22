// Debian's Chromium driven by playwright-core, with a fake camera and microphone, for WebRTC
// on loopback (see shared notes: webrtc-on-loopback.md).
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

/** Each participant gets its own context (own storage), like two different people. */
export async function openParticipant(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  if (process.env.DUET_E2E_CONSOLE) page.on('console', (m) => console.log(`[page ${m.type()}] ${m.text()}`));
  await page.goto(url);
  return page;
}

export interface PageStats {
  videoFramesDecoded: number;
  audioPacketsReceived: number;
  selectedPair: { local: { address: string }; remote: { address: string } } | null;
}

export async function pageStats(page: Page): Promise<PageStats | null> {
  return page.evaluate(() => (window as unknown as { __duet: { stats(): Promise<unknown> } }).__duet.stats()) as Promise<PageStats | null>;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The pre-join screen is up and its Join button enabled (devices opened, the grant read). */
export async function readyToJoin(page: Page): Promise<void> {
  await page.getByTestId('prejoin').waitFor({ timeout: 20_000 });
  await waitFor('Join enabled', async () => page.getByTestId('join').isEnabled());
}

/** Clicks Join on a pre-join screen and waits for the room. */
export async function clickJoin(page: Page): Promise<void> {
  await readyToJoin(page);
  await page.getByTestId('join').click();
  await page.getByTestId('room').waitFor({ timeout: 20_000 });
}

/** A participant on a desktop-sized page, joined into the room. */
export async function joinRoom(browser: Browser, url: string): Promise<Page> {
  const page = await openParticipant(browser, url);
  await page.setViewportSize({ width: 1280, height: 800 });
  await clickJoin(page);
  return page;
}
