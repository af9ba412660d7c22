// TURN through the shipped coturn config, on loopback inside the lo-only namespace:
// 1. coturn accepts credentials signed with its shared secret (the coturn REST scheme the API
//    uses), refuses others, and accepts two secrets at once (rotation without interruption);
// 2. headless Chromium forced to relay-only ICE (`iceTransportPolicy: 'relay'`) gets media in a
//    P2P lesson and in an SFU lesson, and the selected candidate pair is a relay one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { COTURN_CONFIG, startCoturn, turnRestCredentials, type Coturn } from '@duet/deploy/testing';
import { assertLoopbackOnly, startStack, type Stack } from '../../web/test/e2e/stack.ts';
import { launchBrowser, mediaDiagnosis, openParticipant, pageStats, waitFor, type PageStats } from '../../web/test/e2e/browser.ts';
import { run } from './support/exec.ts';

const SECRET = randomBytes(32).toString('base64url');
const NEXT_SECRET = randomBytes(32).toString('base64url');

describe('coturn config', () => {
  it('ships REST-API auth with a placeholder secret and denies relaying to private networks', () => {
    const lines = readFileSync(COTURN_CONFIG, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(lines).toContain('use-auth-secret');
    expect(lines).toContain('static-auth-secret=CHANGE_ME_TURN_SECRET');
    expect(lines.some((l) => l.startsWith('realm='))).toBe(true);
    // TURN over TLS on 443: what a network that lets only web traffic through still reaches.
    expect(lines).toContain('tls-listening-port=443');
    expect(lines).not.toContain('lt-cred-mech');
    for (const range of ['10.0.0.0-10.255.255.255', '127.0.0.0-127.255.255.255', '172.16.0.0-172.31.255.255', '192.168.0.0-192.168.255.255']) {
      expect(lines).toContain(`denied-peer-ip=${range}`);
    }
    expect(lines).not.toContain('allow-loopback-peers');
  });
});

describe('coturn on loopback', () => {
  let turn: Coturn;
  beforeAll(async () => {
    assertLoopbackOnly();
    turn = await startCoturn({ secrets: [SECRET, NEXT_SECRET] });
  });
  afterAll(async () => turn?.stop());

  /** turnutils_uclient (from the coturn package): allocate, relay a few packets to a loopback peer. */
  async function allocate(secret: string): Promise<{ ok: boolean; output: string }> {
    const r = await run('turnutils_uclient', ['-y', '-W', secret, '-u', 'tester', '-p', String(turn.port), '-n', '3', '-m', '1', '-e', '127.0.0.1', '127.0.0.1'], { timeoutMs: 30_000 });
    const output = r.stdout + r.stderr;
    return { ok: r.code === 0 && /Total lost packets 0 /.test(output), output };
  }

  it('relays with credentials signed by either configured secret, and refuses a wrong one', async () => {
    expect((await allocate(SECRET)).ok).toBe(true);
    expect((await allocate(NEXT_SECRET)).ok).toBe(true);
    const wrong = await allocate(randomBytes(32).toString('base64url'));
    expect(wrong.ok).toBe(false);
    expect(wrong.output).toMatch(/Cannot complete Allocation/);
  });
});

// Forces relay-only ICE on every RTCPeerConnection the room creates (P2P and mediasoup-client's).
function forceRelay(): void {
  const Native = window.RTCPeerConnection;
  const Relay = function (this: unknown, config?: RTCConfiguration) {
    return new Native({ ...config, iceTransportPolicy: 'relay' });
  } as unknown as typeof RTCPeerConnection;
  Relay.prototype = Native.prototype;
  Object.setPrototypeOf(Relay, Native);
  window.RTCPeerConnection = Relay;
}

describe('a lesson through TURN only', () => {
  let turn: Coturn;
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    assertLoopbackOnly();
    turn = await startCoturn({ secrets: [SECRET] });
    // The API signs each participant's TURN credentials with TURN_SECRET (coturn REST scheme);
    // coturn checks them with the same value as static-auth-secret.
    [stack, browser] = await Promise.all([
      startStack({ TURN_URLS: turn.urls.join(','), TURN_SECRET: SECRET, TURN_TTL_SECONDS: '600' }),
      launchBrowser(),
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await turn?.stop();
  });

  async function openRelayOnly(url: string): Promise<Page> {
    const page = await openParticipant(browser, 'about:blank');
    await page.context().addInitScript(forceRelay);
    await page.goto(url);
    await page.getByTestId('join').click();
    await page.getByTestId('room').waitFor({ timeout: 20_000 });
    return page;
  }

  async function relayedMedia(page: Page): Promise<PageStats & { selectedPair: NonNullable<PageStats['selectedPair']> }> {
    return waitFor('media over a relay candidate pair', async () => {
      const s = (await pageStats(page)) as (PageStats & { selectedPair: { local: { candidateType: string }; remote: { candidateType: string } } | null }) | null;
      if (s && s.videoFramesDecoded > 0 && s.audioPacketsReceived > 0 && s.selectedPair) return s as never;
      throw new Error(`stats ${JSON.stringify(s)}`);
    }, 45_000);
  }

  it('the join response carries TURN credentials coturn accepts (signed with TURN_SECRET)', async () => {
    const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: 'TURN credentials' });
    const token = new URLSearchParams(lesson.studentUrl.split('#')[1]).get('token')!;
    const res = await fetch(`${stack.apiUrl}/v1/sessions/${lesson.id}/join`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const { ice_servers: servers } = (await res.json()) as { ice_servers: { urls: string | string[]; username?: string; credential?: string }[] };
    const turnEntry = servers.find((s) => [s.urls].flat().some((u) => u.startsWith('turn:')))!;
    expect([turnEntry.urls].flat()).toEqual(turn.urls);
    const [expiry, userId] = turnEntry.username!.split(':');
    expect(userId).toBe('demo-student');
    const ttl = Number(expiry) - Date.now() / 1000;
    expect(ttl).toBeGreaterThan(500);
    expect(ttl).toBeLessThanOrEqual(601);
    expect(turnEntry.credential).toBe(turnRestCredentials(SECRET, userId!, 0, Number(expiry) * 1000).credential);
  });

  for (const mode of ['p2p', 'sfu'] as const) {
    it(`${mode.toUpperCase()}: both participants get media with the selected candidate type relay`, async () => {
      const lesson = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: `TURN ${mode}`, recording: mode === 'sfu' });
      const pages = [await openRelayOnly(lesson.tutorUrl), await openRelayOnly(lesson.studentUrl)];
      try {
        for (const page of pages) {
          const stats = await relayedMedia(page).catch(async (err: Error) => {
            // Which side stopped: each page's transports, and the node's lines on this lesson.
            const sides = await Promise.all(pages.map(mediaDiagnosis));
            const node = stack.logs().split('\n').filter((l) => l.includes(lesson.id)).slice(-30).join('\n');
            throw new Error(`${err.message}\ntutor: ${sides[0]}\nstudent: ${sides[1]}\nnode:\n${node}`);
          });
          expect(await page.evaluate(() => (window as any).__duet.mediaKind())).toBe(mode);
          const pair = stats.selectedPair as unknown as { local: { candidateType: string; address: string }; remote: { candidateType: string } };
          expect(pair.local.candidateType).toBe('relay');
          expect(pair.local.address).toBe('127.0.0.1');
          // P2P: the other side is a relay too; SFU: mediasoup's host candidate.
          expect(pair.remote.candidateType).toBe(mode === 'p2p' ? 'relay' : 'host');
        }
      } finally {
        for (const page of pages) await page.context().close();
      }
    }, 150_000);
  }
});
