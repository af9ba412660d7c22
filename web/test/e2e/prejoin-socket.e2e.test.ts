// The pre-join socket in real Chromium: the room opens its signaling socket on the pre-join
// screen (standby, no seat) and the Join click takes the seat on it (join); in an SFU lesson the
// join comes back with transports and consumers made by the server. A standby socket the server
// closed (its timeout) is replaced by a fresh connect on the click, and the lesson works the same.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { assertLoopbackOnly, startStack, type Stack } from './stack.ts';
import { audioNegotiation, expectRedBothWays, launchBrowser, openParticipant, pageStats, waitFor } from './browser.ts';

let stack: Stack;
let expiring: Stack;
let browser: Browser;

/** The standby timeout of `expiring`: a pre-join socket there is closed after this long. */
const SHORT_STANDBY_MS = 10_000;

beforeAll(async () => {
  assertLoopbackOnly();
  // SFU for everything (exercises the prepared join). Two nodes: the instant-join tests run with
  // the default standby timeout (20 min), since their pre-join work (camera, socket, transports
  // connected, producers prepared) must be done before the click, and under a loaded CI run it
  // took more than the 5 s the whole file once shared (the socket expired first: the click fell
  // back to hello and nothing was adopted). The expiry test gets its own node with a short one.
  [stack, expiring, browser] = await Promise.all([
    startStack({ P2P_ENABLED: 'false' }),
    startStack({ P2P_ENABLED: 'false', SIGNALING_STANDBY_TIMEOUT_MS: String(SHORT_STANDBY_MS) }),
    launchBrowser(),
  ]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([stack?.stop(), expiring?.stop()]);
});

const marks = (page: Page) => page.evaluate(() => performance.getEntriesByType('mark').map((m) => m.name));
const participants = async (lessonId: string, on = stack) =>
  (await (await fetch(`${on.signalingUrl}/internal/rooms/${lessonId}`, { headers: { authorization: `Bearer ${on.nodeSecret}` } })).json()) as { participants?: { role: string }[] };

/** A participant's page that records the close codes of its WebSockets (window.__wsCloses). */
async function openWatched(url: string): Promise<Page> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  await context.addInitScript(() => {
    const w = window as unknown as { __wsCloses: number[] };
    w.__wsCloses = [];
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        this.addEventListener('close', (ev) => w.__wsCloses.push(ev.code));
      }
    };
  });
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

async function join(page: Page): Promise<void> {
  await page.getByTestId('join').click();
  await page.getByTestId('room').waitFor({ timeout: 20_000 });
}

/** A lesson with the tutor in the room and producing (so the student's pre-join can preconnect), and its node-side room view. */
async function tutorProducing(title: string) {
  const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title });
  const room = async () => (await (await fetch(`${stack.signalingUrl}/internal/rooms/${lesson.id}`, { headers: { authorization: `Bearer ${stack.nodeSecret}` } })).json()) as { media: { transports: number; producers: number; consumers: number } };
  const tutor = await openParticipant(browser, lesson.tutorUrl);
  await tutor.getByTestId('prejoin').waitFor({ timeout: 20_000 });
  await waitFor('Join enabled', async () => tutor.getByTestId('join').isEnabled());
  await join(tutor);
  await waitFor('tutor producing', async () => (await room()).media?.producers === 2);
  return { lesson, room, tutor };
}

async function seesVideo(page: Page): Promise<void> {
  await waitFor('decoded remote video', async () => ((await pageStats(page))?.videoFramesDecoded ?? 0) > 0, 30_000);
}

describe('the pre-join socket', () => {
  it('stands by without a seat, joins on the click with ready SFU media, and falls back to hello once it expired', async () => {
    const lesson = await createDemoLesson(expiring.apiUrl, expiring.apiKey, { title: 'standby' });
    const [tutor, student] = await Promise.all([openWatched(lesson.tutorUrl), openParticipant(browser, lesson.studentUrl)]);
    for (const page of [student, tutor]) {
      await page.getByTestId('prejoin').waitFor({ timeout: 20_000 });
      await waitFor('Join enabled', async () => page.getByTestId('join').isEnabled());
    }
    // Both standing by on the pre-join screen: nobody is in the room yet.
    expect((await participants(lesson.id, expiring)).participants ?? []).toEqual([]);

    // The student clicks right away: join on the standby socket, SFU transports made by the server.
    await join(student);
    await waitFor('student seated', async () => (await participants(lesson.id, expiring)).participants?.length === 1);
    expect(await marks(student)).toContain('duet:join-sent');

    // The tutor lingers until the node closed its standby socket (4003, the timeout): its click
    // opens a new socket (hello).
    await waitFor('the tutor standby socket expired', async () => (await tutor.evaluate(() => (window as unknown as { __wsCloses: number[] }).__wsCloses)).includes(4003), SHORT_STANDBY_MS + 15_000);
    await join(tutor);
    await Promise.all([seesVideo(tutor), seesVideo(student)]);
    expect(await marks(tutor)).not.toContain('duet:join-sent');
    // The student gave its receive capabilities with the join: the tutor's producers reach it as
    // consumers the server made (no sfu.consume round trip). The tutor, seated through hello,
    // gets announcements and consumes with sfu.consume.
    const studentMarks = await marks(student);
    expect(studentMarks).toContain('duet:sfu-ready-consumer-video');
    expect(studentMarks).not.toContain('duet:sfu-consume-video');
    expect(await marks(tutor)).toContain('duet:sfu-consume-video');
    const seated = await participants(lesson.id, expiring);
    expect(seated.participants?.map((p) => p.role).sort()).toEqual(['student', 'tutor']);
    await Promise.all([tutor.context().close(), student.context().close()]); // no live media into the next test
  });

  it('instant join: connects the media path on the pre-join, shows the tutor nothing before the click, and uses it on the click', async () => {
    const { lesson, room, tutor } = await tutorProducing('instant');

    // The student's page counts every RTP packet its peer connections send (all of them).
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    await context.addInitScript(() => {
      const pcs: RTCPeerConnection[] = [];
      const Native = window.RTCPeerConnection;
      window.RTCPeerConnection = class extends Native {
        constructor(config?: RTCConfiguration) {
          super(config);
          pcs.push(this);
        }
      };
      (window as unknown as { __rtpSent: () => Promise<number> }).__rtpSent = async () => {
        let sent = 0;
        for (const pc of pcs) for (const s of (await pc.getStats()).values()) if (s.type === 'outbound-rtp') sent += (s as { packetsSent?: number }).packetsSent ?? 0;
        return sent;
      };
    });
    const student = await context.newPage();
    if (process.env.DUET_E2E_CONSOLE) student.on('console', (m) => console.log(`[student ${m.type()}] ${m.text()}`));
    await student.goto(lesson.studentUrl);
    await waitFor('student media path connected and producers prepared on the pre-join', async () => {
      const m = await marks(student);
      return m.includes('duet:pre-send-connected') && m.includes('duet:pre-recv-connected') && m.includes('duet:pre-produced');
    });
    // Connected, producers prepared, yet nothing reached the tutor: no presence, no producer, no
    // consumer on the server, and not one RTP packet left the student's browser.
    await student.waitForTimeout(300);
    expect((await room()).media).toMatchObject({ transports: 4, producers: 2, consumers: 0 });
    expect(await student.evaluate(() => (window as unknown as { __rtpSent: () => Promise<number> }).__rtpSent())).toBe(0);
    const tutorState = () => tutor.evaluate(() => (window as unknown as { __duet: { state(): { peerPresence: string } } }).__duet.state());
    expect((await tutorState()).peerPresence).toBe('absent');
    expect((await participants(lesson.id)).participants?.map((p) => p.role)).toEqual(['tutor']);

    await join(student);
    await Promise.all([seesVideo(tutor), seesVideo(student)]);
    expect((await tutorState()).peerPresence).toBe('present');
    // The adopted transports were connected before the session listened: still reported as such.
    await waitFor('student media connected', async () => (await student.evaluate(() => (window as unknown as { __duet: { state(): { media: string | null } } }).__duet.state().media)) === 'connected');
    // The join adopted the preconnected transports (no new ones were made) and made the prepared
    // producers itself (no sfu.produce after the click); now the student's RTP flows.
    expect((await room()).media).toMatchObject({ transports: 4, producers: 4, consumers: 4 });
    const studentMarks = await marks(student);
    expect(studentMarks).toContain('duet:join-sent'); // the click joined on the pre-join socket
    expect(studentMarks).toContain('duet:sfu-joined-producer-video');
    expect(studentMarks).toContain('duet:sfu-joined-producer-audio');
    // The microphone prepared at pre-join goes out as Opus RED like one produced after the click
    // (its section is not the send transport's first audio one: the warm-up's is).
    expectRedBothWays(await audioNegotiation(student));
    expect(await student.evaluate(() => (window as unknown as { __rtpSent: () => Promise<number> }).__rtpSent())).toBeGreaterThan(0);
    await Promise.all([tutor.context().close(), context.close()]);
  });

  it('instant join, a click before the pre-join transports are ready: the join makes new ones, media flows both ways, the late ones are closed', async () => {
    // Seen under load through TURN (fresh runs 4 and 12): the pre-join transports had given the
    // node their DTLS parameters but were not ready at the click; the join adopted them anyway and
    // the room opened a second connection to each, which DTLS refused ("connect() already called"):
    // the student's camera and microphone never reached anyone.
    const { lesson, room, tutor } = await tutorProducing('instant, slow pre-join');

    // The student's browser is slow to apply its own descriptions until the click (6 s each, past
    // the click's 3-s wait): its pre-join transports get as far as giving the node their DTLS
    // parameters, then stall.
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    await context.addInitScript(() => {
      const w = window as unknown as { __slow: boolean; __pcs: RTCPeerConnection[] };
      w.__slow = true;
      w.__pcs = [];
      const Native = window.RTCPeerConnection;
      const setLocal = Native.prototype.setLocalDescription;
      Native.prototype.setLocalDescription = async function (this: RTCPeerConnection, ...args: Parameters<RTCPeerConnection['setLocalDescription']>) {
        if (w.__slow) await new Promise((r) => setTimeout(r, 6_000));
        return setLocal.apply(this, args);
      } as RTCPeerConnection['setLocalDescription'];
      window.RTCPeerConnection = class extends Native {
        constructor(config?: RTCConfiguration) {
          super(config);
          w.__pcs.push(this);
        }
      };
    });
    const student = await context.newPage();
    const warnings: string[] = [];
    student.on('console', (m) => (m.type() === 'warning' || m.type() === 'error') && warnings.push(m.text()));
    await student.goto(lesson.studentUrl);
    await waitFor('the pre-join transports gave the node their DTLS parameters', async () => {
      const m = await marks(student);
      return m.includes('duet:pre-send-dtls-given') && m.includes('duet:pre-recv-dtls-given');
    });
    expect(await marks(student)).not.toContain('duet:pre-produced');
    await student.evaluate(() => ((window as unknown as { __slow: boolean }).__slow = false));
    await join(student);
    await Promise.all([seesVideo(tutor), seesVideo(student)]);
    expect(warnings.filter((w) => /connect refused|already called/.test(w))).toEqual([]);
    // The join made new transports (two per person on the node: the pre-join ones went) and the
    // student produced the usual way; its pre-join connections, done late, were closed.
    await waitFor('the pre-join transports gone on the node', async () => (await room()).media.transports === 4, 10_000);
    // The student produces camera, then microphone, one after the other: under load the
    // pre-join transports can be gone before the microphone's producer exists (fresh run 23 read
    // 3 producers at that moment). All four must come.
    await waitFor('both people producing camera and microphone', async () => (await room()).media.producers === 4, 10_000);
    expect((await room()).media).toMatchObject({ transports: 4, producers: 4 });
    expect(await marks(student)).not.toContain('duet:sfu-joined-producer-video');
    await waitFor('the late pre-join connections closed in the page', async () => {
      const open = await student.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.signalingState !== 'closed').length);
      return open === 2 ? open : (() => { throw new Error(`${open} peer connections open`); })();
    }, 15_000);
    await Promise.all([tutor.context().close(), context.close()]);
  }, 90_000);
});
