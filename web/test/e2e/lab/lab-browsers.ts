// Browsers inside the lab namespace (netns-lab.ts): Debian's Firefox ESR over WebDriver BiDi
// (puppeteer-core, no browser download) and Debian's Chromium (playwright-core, over its pipe),
// each behind one small Participant interface so a lesson test reads the same for both.
import { join } from 'node:path';
import { chromium, type Browser as PwBrowser, type Page as PwPage } from 'playwright-core';
import puppeteer, { type Browser as PpBrowser, type Page as PpPage } from 'puppeteer-core';
import { Browser as BrowserKind, createProfile, launch, WEBDRIVER_BIDI_WEBSOCKET_ENDPOINT_REGEX } from '@puppeteer/browsers';
import { CHROMIUM_ARGS } from '../browser.ts';
import type { Lab } from './netns-lab.ts';
import { freePort } from '@duet/deploy/testing';

export const FIREFOX_PATH = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';

/** Fake camera and microphone, no prompts, readable host candidates, autoplay with sound. */
export const FIREFOX_PREFS: Record<string, unknown> = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  'browser.shell.checkDefaultBrowser': false,
};

export interface Participant {
  browser: 'firefox' | 'chromium' | 'webkit';
  /** Runs fn in the page (a function, serialised) with one JSON argument. */
  run<T, A = undefined>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T>;
  click(testId: string): Promise<void>;
  fill(testId: string, text: string): Promise<void>;
  goto(url: string): Promise<void>;
  close(): Promise<void>;
}

const sel = (testId: string) => `[data-testid="${testId}"]`;

export interface LabFirefox {
  newParticipant(): Promise<Participant>;
  version: string;
  close(): Promise<void>;
}

/**
 * Firefox in the lab. Its remote agent listens on 127.0.0.1 inside the lab; the same port on the
 * test side forwards there (the agent checks the Host header, so the port must match).
 */
export async function launchFirefox(lab: Lab): Promise<LabFirefox> {
  const profile = join(lab.dir, `firefox-${Date.now()}`);
  await createProfile(BrowserKind.FIREFOX, { path: profile, preferences: FIREFOX_PREFS });
  const port = await freePort();
  const proc = launch({
    executablePath: lab.enter[0]!,
    args: [...lab.enter.slice(1), FIREFOX_PATH, '--headless', '--no-remote', '--foreground', `--remote-debugging-port=${port}`, '--profile', profile],
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    dumpio: !!process.env.DUET_E2E_CONSOLE,
  });
  const ws = await proc.waitForLineOutput(WEBDRIVER_BIDI_WEBSOCKET_ENDPOINT_REGEX, 60_000);
  await lab.forward('127.0.0.1', Number(new URL(ws).port), port);
  const browser: PpBrowser = await puppeteer.connect({ browserWSEndpoint: `ws://127.0.0.1:${port}/session`, protocol: 'webDriverBiDi' });
  return {
    version: await browser.version(),
    async newParticipant() {
      // One user context per participant: own storage, like a separate person.
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      page.on('pageerror', (err) => console.error(`[firefox page error] ${(err as Error).message}`));
      if (process.env.DUET_E2E_CONSOLE) page.on('console', (m) => console.log(`[firefox ${m.type()}] ${m.text()}`));
      return puppeteerParticipant(page, () => context.close());
    },
    async close() {
      await browser.close().catch(() => undefined);
      await proc.close().catch(() => undefined);
    },
  };
}

function puppeteerParticipant(page: PpPage, close: () => Promise<void>): Participant {
  return {
    browser: 'firefox',
    run: (fn, arg) => page.evaluate(fn as never, arg as never) as never,
    async click(testId) {
      const el = await page.waitForSelector(sel(testId), { timeout: 20_000 });
      await el!.click();
    },
    async fill(testId, text) {
      const el = await page.waitForSelector(sel(testId), { timeout: 20_000 });
      await el!.type(text);
    },
    async goto(url) {
      await page.goto(url);
    },
    close: () => close().catch(() => undefined),
  };
}

export interface LabChromium {
  newParticipant(): Promise<Participant>;
  close(): Promise<void>;
}

/** Chromium in the lab: Playwright talks to it over a pipe, so only the binary needs wrapping. */
export async function launchChromium(lab: Lab): Promise<LabChromium> {
  const browser: PwBrowser = await chromium.launch({ executablePath: lab.wrapper(process.env.CHROMIUM_PATH || '/usr/bin/chromium'), headless: true, args: CHROMIUM_ARGS });
  return {
    async newParticipant() {
      const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
      const page = await context.newPage();
      page.on('pageerror', (err) => console.error(`[chromium page error] ${err.message}`));
      if (process.env.DUET_E2E_CONSOLE) page.on('console', (m) => console.log(`[chromium ${m.type()}] ${m.text()}`));
      return playwrightParticipant(page);
    },
    close: () => browser.close(),
  };
}

export function playwrightParticipant(page: PwPage): Participant {
  return {
    browser: 'chromium',
    run: (fn, arg) => page.evaluate(fn as never, arg as never) as never,
    click: (testId) => page.getByTestId(testId).click({ timeout: 20_000 }),
    fill: (testId, text) => page.getByTestId(testId).fill(text, { timeout: 20_000 }),
    async goto(url) {
      await page.goto(url);
    },
    close: () => page.context().close().catch(() => undefined),
  };
}
