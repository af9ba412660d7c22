// A Duet lesson in the network lab: the stack in the servers' namespace, the tutor's and the
// student's Chromium each in their own namespace behind their own link, and the quality of what
// each receives sampled from getStats (web/src/quality) in the test process.
import type { Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { waitFor } from '../browser.ts';
import { startStack, type Stack } from '../stack.ts';
import { qualitySample, QualityTracker, type StatsEntry } from '../../../src/quality/index.ts';
import { startNetLab, type NetLab, type NetLink } from './netlab.ts';
import { launchLabChromium, type LinkChromium } from './netlab-browsers.ts';
import type { Participant } from './lab-browsers.ts';
import { element, waitForTestId } from './room-checks.ts';
import { SendTrace } from './send-trace.ts';

export interface LabRoom {
  lab: NetLab;
  stack: Stack;
  /** The API as the test process reaches it. */
  apiUrl: string;
  signalingUrl: string;
  links: { tutor: NetLink; student: NetLink };
  browsers: { tutor: LinkChromium; student: LinkChromium };
  stop(): Promise<void>;
}

const port = (url: string) => Number(new URL(url).port);

export async function startLabRoom(env: Record<string, string> = {}): Promise<LabRoom> {
  const lab = await startNetLab();
  try {
    const tutor = await lab.addLink('tutor');
    const student = await lab.addLink('student');
    const [stack, tutorBrowser, studentBrowser] = await Promise.all([
      startStack({ MEDIA_LISTEN_IP: lab.serverAddress, WEBHOOK_ENDPOINTS: '[]', ...env }, { enter: lab.servers.enter }),
      launchLabChromium(tutor),
      launchLabChromium(student),
    ]);
    await lab.exposeServerPorts([port(stack.apiUrl), port(stack.signalingUrl)]);
    const apiUrl = `http://127.0.0.1:${await lab.forward('127.0.0.1', port(stack.apiUrl))}`;
    const signalingUrl = `http://127.0.0.1:${await lab.forward('127.0.0.1', port(stack.signalingUrl))}`;
    return {
      lab,
      stack,
      apiUrl,
      signalingUrl,
      links: { tutor, student },
      browsers: { tutor: tutorBrowser, student: studentBrowser },
      async stop() {
        await Promise.all([tutorBrowser.close(), studentBrowser.close()]);
        await stack.stop();
        await lab.stop();
      },
    };
  } catch (err) {
    await lab.stop();
    throw err;
  }
}

export interface LabLesson {
  id: string;
  tutor: { page: Page; p: Participant };
  student: { page: Page; p: Participant };
  close(): Promise<void>;
}

async function enter(p: Participant, url: string): Promise<void> {
  await p.goto(url);
  await waitForTestId(p, 'prejoin', 'pre-join', 30_000);
  await waitFor('join enabled', async () => {
    const j = await element(p, 'join');
    return j && !j.disabled;
  }, 30_000);
  await p.click('join');
  await waitForTestId(p, 'room', 'room', 30_000);
}

/** A lesson with both in the room (the tutor first); resolves once both are in. */
export async function joinLabLesson(room: LabRoom, opts: { recording?: boolean; title?: string; init?: string } = {}): Promise<LabLesson> {
  const lesson = await createDemoLesson(room.apiUrl, room.stack.apiKey, { title: opts.title ?? 'lab lesson', recording: !!opts.recording });
  const [t, s] = await Promise.all([room.browsers.tutor.newPage(opts.init), room.browsers.student.newPage(opts.init)]);
  await enter(t.participant, lesson.tutorUrl);
  await enter(s.participant, lesson.studentUrl);
  return {
    id: lesson.id,
    tutor: { page: t.page, p: t.participant },
    student: { page: s.page, p: s.participant },
    close: async () => void (await Promise.all([t.participant.close(), s.participant.close()])),
  };
}

/** Where a page's stats come from: the Duet room (window.__duet.rawStats) or a page's own RTCPeerConnection (window.__pc). */
export type StatsSource = 'duet' | 'raw';

/**
 * Samples a page's receive quality every `everyMs` into a QualityTracker (clock: the page's
 * wall-clock ms, so outage marks from the test process line up).
 */
export class PageQuality {
  readonly tracker: QualityTracker;
  /** Set when the caller wants a per-second trace of what this page sends (send-trace.ts). */
  trace: SendTrace | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly page: Page;
  private readonly source: StatsSource;
  constructor(page: Page, source: StatsSource = 'duet', startAt = Date.now()) {
    this.page = page;
    this.source = source;
    this.tracker = new QualityTracker({ startAt });
  }

  async sampleOnce(): Promise<void> {
    const entries = await this.page
      .evaluate(async (src) => {
        const w = window as unknown as { __duet?: { rawStats(): Promise<unknown[][]> }; __pc?: RTCPeerConnection };
        if (src === 'duet') return w.__duet ? w.__duet.rawStats() : [];
        if (!w.__pc) return [];
        const list: unknown[] = [];
        (await w.__pc.getStats()).forEach((e: unknown) => list.push(e));
        return [list];
      }, this.source)
      .catch(() => null);
    if (entries && entries.length) {
      this.tracker.add(qualitySample(entries as StatsEntry[][], Date.now()));
      this.trace?.add(entries as StatsEntry[][]);
    }
  }

  start(everyMs = 250): this {
    const tick = async () => {
      if (this.stopped) return;
      await this.sampleOnce();
      if (!this.stopped) this.timer = setTimeout(tick, everyMs);
    };
    void tick();
    return this;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
