// Browsers inside a participant's namespace of the network lab (netlab.ts): one browser process
// per participant, so its traffic crosses only its own link.
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../browser.ts';
import { launchFirefox, playwrightParticipant, type LabFirefox, type Participant } from './lab-browsers.ts';
import type { Lab } from './netns-lab.ts';
import type { NetLab, NetLink } from './netlab.ts';

export interface LinkChromium {
  browser: Browser;
  /** A fresh context and page (camera and microphone granted), as a Participant and as a Page. */
  /** `init`: a script every document of the page runs first (e.g. a bench's media tuning switch). */
  newPage(init?: string): Promise<{ page: Page; participant: Participant }>;
  close(): Promise<void>;
}

/** Debian's Chromium in `link`'s namespace (Playwright drives it over its pipe). */
export async function launchLabChromium(link: NetLink, extraArgs: string[] = []): Promise<LinkChromium> {
  const browser = await chromium.launch({ executablePath: link.wrapper(process.env.CHROMIUM_PATH || '/usr/bin/chromium'), headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
  return {
    browser,
    async newPage(init) {
      const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
      if (init) await context.addInitScript(init);
      const page = await context.newPage();
      page.on('pageerror', (err) => console.error(`[${link.name} page error] ${err.message}`));
      if (process.env.DUET_E2E_CONSOLE) page.on('console', (m) => console.log(`[${link.name} ${m.type()}] ${m.text()}`));
      return { page, participant: playwrightParticipant(page) };
    },
    close: () => browser.close().catch(() => undefined),
  };
}

/** Firefox ESR in `link`'s namespace (its remote agent reached through that namespace's portal). */
export function launchLabFirefox(lab: NetLab, link: NetLink): Promise<LabFirefox> {
  const view: Lab = {
    address: link.address,
    enter: link.ns.enter,
    dir: lab.dir,
    wrapper: (binary) => link.wrapper(binary),
    forward: (host, port, localPort) => lab.forward(host, port, localPort, link.ns),
    stop: async () => undefined,
  };
  return launchFirefox(view);
}
