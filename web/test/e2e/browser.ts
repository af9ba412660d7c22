// Debian's Chromium driven by playwright-core, with a fake camera and microphone, for WebRTC
// on loopback (see shared notes: webrtc-on-loopback.md).
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { expect } from 'vitest';

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
  keepWarnings(page);
  await page.goto(url);
  return page;
}

const warnings = new WeakMap<Page, string[]>();

/** The page's last warnings and errors (console), for a failure message. */
function keepWarnings(page: Page): void {
  const kept: string[] = [];
  warnings.set(page, kept);
  page.on('console', (m) => {
    if (m.type() !== 'warning' && m.type() !== 'error') return;
    kept.push(`${new Date().toISOString().slice(11, 23)} ${m.type()} ${m.text().slice(0, 300)}`);
    if (kept.length > 20) kept.shift();
  });
}

/**
 * What a failure message needs when media does not arrive: per transport of the page's session,
 * ICE and DTLS state, what it sends and receives per kind (a producer that never sends and a
 * consumer that never receives look alike from the far side), and the page's last warnings.
 */
export async function mediaDiagnosis(page: Page): Promise<string> {
  try {
    const raw = (await page.evaluate(() => (window as unknown as { __duet: { rawStats(): Promise<unknown> } }).__duet.rawStats())) as Record<string, unknown>[][];
    const state = await page.evaluate(() => (window as unknown as { __duet: { state(): { phase: string; mode: string | null; media: unknown } } }).__duet.state()).catch(() => null);
    const transports = raw.map((report) => {
      const parts: string[] = [];
      for (const s of report) {
        if (s.type === 'transport') parts.push(`ice ${s.iceState} dtls ${s.dtlsState} sent ${s.bytesSent}B recv ${s.bytesReceived}B`);
        if (s.type === 'outbound-rtp') parts.push(`out ${s.kind}${s.rid ? `/${s.rid}` : ''} ${s.packetsSent ?? 0}p${s.kind === 'video' ? ` ${s.framesEncoded ?? 0}f ${s.active === false ? 'inactive' : 'active'} ${s.qualityLimitationReason ?? ''}` : ''}`);
        if (s.type === 'inbound-rtp') parts.push(`in ${s.kind} mid ${s.mid} ${s.packetsReceived ?? 0}p${s.kind === 'video' ? ` ${s.framesDecoded ?? 0}f ${s.keyFramesDecoded ?? 0}kf ${s.pliCount ?? 0}pli` : ''}`);
      }
      return `[${parts.join('; ')}]`;
    });
    return `${state ? `${state.phase}/${state.mode} ` : ''}transports ${transports.join(' ')} warnings ${JSON.stringify(warnings.get(page) ?? [])}`;
  } catch (err) {
    return `(no diagnosis: ${err instanceof Error ? err.message : String(err)})`;
  }
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
export async function readyToJoin(page: Page | Frame): Promise<void> {
  await page.getByTestId('prejoin').waitFor({ timeout: 20_000 });
  await waitFor('Join enabled', async () => page.getByTestId('join').isEnabled());
}

/**
 * Where a join stands, for a failure message: the room's phase, mode, error and reconnecting
 * flag, the join's performance marks (how far it got: ws open, join sent, hello, media ready),
 * and the page's last warnings.
 */
export async function joinDiagnosis(target: Page | Frame): Promise<string> {
  const page = 'page' in target ? target.page() : target;
  const state = await target
    .evaluate(() => {
      const d = (window as unknown as { __duet?: { state(): { phase: string; mode: string | null; error: unknown; reconnecting: boolean } } }).__duet;
      const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('duet:')).map((m) => `${m.name.slice(5)}@${Math.round(m.startTime)}`);
      const s = d?.state();
      return { phase: s?.phase, mode: s?.mode, error: s?.error, reconnecting: s?.reconnecting, marks, now: Math.round(performance.now()) };
    })
    .catch((err: unknown) => `(no state: ${err instanceof Error ? err.message : String(err)})`);
  return `join state ${JSON.stringify(state)} warnings ${JSON.stringify(warnings.get(page) ?? [])}`;
}

/** Clicks Join on a pre-join screen (a page, or a room in a frame) and waits for the room. */
export async function clickJoin(target: Page | Frame, context: () => string = () => ''): Promise<void> {
  await readyToJoin(target);
  await target.getByTestId('join').click();
  try {
    await target.getByTestId('room').waitFor({ timeout: 20_000 });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${await joinDiagnosis(target)}${context()}`);
  }
}

/** A participant on a desktop-sized page, joined into the room. */
export async function joinRoom(browser: Browser, url: string): Promise<Page> {
  const page = await openParticipant(browser, url);
  await page.setViewportSize({ width: 1280, height: 800 });
  await clickJoin(page);
  return page;
}

/** How a page's SFU session negotiated its microphone: the codecs sent and received, and the send transport's answer for the live microphone's m-section. */
export interface AudioNegotiation {
  sent: string[][];
  received: string[][];
  /** The `m=audio` line, Opus/RED rtpmaps and RED fmtp of the section whose mid is the live microphone producer's. */
  answer: string[];
}

/**
 * Read from the session (getStats names the Opus inside RED either way). The section is picked
 * by the producer's mid, not by being the first audio one: after an instant join the send
 * transport's first m=audio is the pre-join's warm-up producer (plain Opus, closed, kept
 * inactive as the first of the BUNDLE).
 */
export async function audioNegotiation(page: Page): Promise<AudioNegotiation> {
  return page.evaluate(() => {
    const session = (window as any).__duet.controller.media.session;
    const mimes = (p: { rtpParameters: { codecs: { mimeType: string }[] } }) => p.rtpParameters.codecs.map((c) => c.mimeType.toLowerCase());
    const mics = [...session.producers.values()].filter((p: any) => p.kind === 'audio' && !p.closed);
    const sdp: string = session.sendTransport._handler._pc.remoteDescription.sdp;
    const sections = sdp.split(/\r\n(?=m=)/).slice(1).map((s) => s.split('\r\n'));
    const live = sections.find((lines) => lines.includes(`a=mid:${mics[0]?.rtpParameters.mid}`)) ?? [];
    return {
      sent: mics.map(mimes),
      received: [...session.consumers.values()].filter((c: any) => c.kind === 'audio').map(mimes),
      answer: live.filter((l) => /^(m=audio|a=rtpmap:\d+ (red|opus)\/|a=fmtp:\d+ \d+\/\d+$)/.test(l)),
    };
  });
}

/** The microphone goes out as Opus RED and comes in as RED: RED first on its answer's m-line, its fmtp naming the Opus it wraps (what makes Chromium send it). */
export function expectRedBothWays(audio: AudioNegotiation): void {
  expect(audio.sent).toEqual([['audio/red', 'audio/opus']]);
  expect(audio.received).toEqual([['audio/red', 'audio/opus']]);
  const pt = (name: string) => audio.answer.find((l) => l.includes(` ${name}/`))?.match(/^a=rtpmap:(\d+)/)?.[1];
  expect(audio.answer[0]).toMatch(new RegExp(`^m=audio \\d+ \\S+ ${pt('red')} ${pt('opus')}`));
  expect(audio.answer).toContain(`a=fmtp:${pt('red')} ${pt('opus')}/${pt('opus')}`);
}
