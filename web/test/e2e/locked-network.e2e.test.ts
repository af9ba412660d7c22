// A lesson on a network that blocks UDP (school and office firewalls that let only web traffic
// through). Servers in the lab namespace; each participant's Chromium in its own namespace on its
// own veth link (lab/locked-lab.ts), UDP dropped on those links both ways. The shipped coturn
// config runs with its TLS listener on 443 (a self-signed certificate made here), and the API
// hands out turn: (UDP, blocked) and turns: (TLS on 443) URLs.
// - SFU: the media node's ICE-TCP candidate (or TURN/TLS) carries the media;
// - P2P: the two participants cannot reach each other directly, and UDP is blocked: media goes
//   through TURN over TLS on 443;
// - pre-join: the network check reports the slower route when UDP is blocked, OK when it is not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createDemoLesson } from '@duet/deploy';
import { startCoturn, type Coturn } from '@duet/deploy/testing';
import { assertLoopbackOnly, startStack, type Stack } from './stack.ts';
import { CHROMIUM_ARGS, waitFor } from './browser.ts';
import { startLab, type Lab } from './lab/netns-lab.ts';
import { addParticipantNet, blockUdp, type ParticipantNet } from './lab/locked-lab.ts';

const SECRET = randomBytes(32).toString('base64url');
// Chromium checks a TURN server's certificate like a web site's: without this flag it never uses
// the self-signed turns: server made here (measured: no allocation at all, P2P falls back to the
// SFU). Production needs a certificate for the TURN host name from a public CA.
const TEST_CERT_ARGS = ['--ignore-certificate-errors'];
let lab: Lab;
let turn: Coturn;
let stack: Stack;
let apiUrl: string;
const nets: ParticipantNet[] = [];
const browsers: Browser[] = [];

beforeAll(async () => {
  assertLoopbackOnly();
  lab = await startLab();
  const [cert, pkey] = [join(lab.dir, 'turn-cert.pem'), join(lab.dir, 'turn-key.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', pkey, '-out', cert, '-days', '1', '-subj', '/CN=turn.duet.test', '-addext', `subjectAltName=IP:${lab.address}`], { stdio: 'ignore' });
  turn = await startCoturn({ secrets: [SECRET], ip: lab.address, enter: lab.enter, tls: { cert, pkey, port: 443 } });
  stack = await startStack(
    {
      MEDIA_LISTEN_IP: lab.address,
      WEBHOOK_ENDPOINTS: '[]',
      TURN_URLS: [turn.urls[0]!, turn.tlsUrl!].join(','),
      TURN_SECRET: SECRET,
      TURN_TTL_SECONDS: '600',
    },
    { enter: lab.enter },
  );
  const ports = [stack.apiUrl, stack.signalingUrl].map((u) => Number(new URL(u).port));
  apiUrl = `http://127.0.0.1:${await lab.forward('127.0.0.1', ports[0]!)}`;
  for (const i of [0, 1]) {
    const net = await addParticipantNet(lab, i, ports);
    nets.push(net);
    browsers.push(await chromium.launch({ executablePath: net.wrapper(process.env.CHROMIUM_PATH || '/usr/bin/chromium'), headless: true, args: [...CHROMIUM_ARGS, ...TEST_CERT_ARGS] }));
  }
}, 120_000);

afterAll(async () => {
  for (const b of browsers) await b.close().catch(() => undefined);
  for (const n of nets) await n.stop();
  await stack?.stop();
  await turn?.stop();
  await lab?.stop();
});

async function open(i: number, url: string): Promise<Page> {
  const context = await browsers[i]!.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[page ${i} error] ${err.message}`));
  if (process.env.DUET_E2E_CONSOLE) page.on('console', (m) => console.log(`[page ${i} ${m.type()}] ${m.text()}`));
  await page.goto(url);
  return page;
}

interface Pair { local: { protocol: string; candidateType: string; relayProtocol?: string; address: string }; remote: { protocol: string; candidateType: string; address: string } }

async function mediaOver(page: Page): Promise<Pair> {
  return waitFor('media over a selected candidate pair', async () => {
    const s = (await page.evaluate(() => (window as any).__duet.stats())) as { videoFramesDecoded: number; audioPacketsReceived: number; selectedPair: Pair | null } | null;
    if (s && s.videoFramesDecoded > 0 && s.audioPacketsReceived > 0 && s.selectedPair) return s.selectedPair;
    throw new Error(`stats ${JSON.stringify(s)}`);
  }, 45_000);
}

async function routeCheck(i: number): Promise<string> {
  const lesson = await createDemoLesson(apiUrl, stack.apiKey, { title: `Route check ${i}` });
  const page = await open(i, lesson.studentUrl);
  try {
    const row = page.getByTestId('check-route');
    await waitFor('the route check to finish', async () => !/trying/.test((await row.textContent({ timeout: 20_000 })) ?? ''), 20_000);
    return (await row.textContent())!;
  } finally {
    await page.context().close();
  }
}

describe('pre-join route check', () => {
  it('an open network: ready for video calls', async () => {
    blockUdp(lab, false);
    expect(await routeCheck(0)).toContain('your network is ready for video calls');
  });

  it('UDP blocked: the plain message about the slower route', async () => {
    blockUdp(lab, true);
    expect(await routeCheck(1)).toContain('Your network blocks video calls; we will use a slower route');
  });
});

describe('UDP blocked', () => {
  beforeAll(() => blockUdp(lab, true));

  for (const mode of ['sfu', 'p2p'] as const) {
    it(`${mode.toUpperCase()}: the lesson starts and media flows over TCP / TURN-TLS on 443`, async () => {
      const lesson = await createDemoLesson(apiUrl, stack.apiKey, { title: `UDP blocked ${mode}`, recording: mode === 'sfu' });
      const pages = [await open(0, lesson.tutorUrl), await open(1, lesson.studentUrl)];
      try {
        for (const page of pages) await page.getByTestId('join').click({ timeout: 30_000 });
        for (const page of pages) {
          const pair = await mediaOver(page);
          expect(await page.evaluate(() => (window as any).__duet.mediaKind())).toBe(mode);
          if (mode === 'p2p') {
            // Neither side can reach the other directly: both relay, over TLS to coturn's 443.
            expect(pair.local.candidateType).toBe('relay');
            expect(pair.local.relayProtocol).toBe('tls');
          } else {
            // The media node over ICE-TCP, or TURN/TLS to it: never UDP from the browser.
            expect(pair.local.protocol === 'tcp' || pair.local.relayProtocol === 'tls', JSON.stringify(pair)).toBe(true);
          }
        }
        // The header's indicator names the path it measured; leaving sends the final quality report.
        const path = mode === 'p2p' ? 'through a relay (TLS)' : /direct \(TCP\)|through a relay \(TLS\)/;
        for (const page of pages) {
          await waitFor('the quality tooltip', async () => {
            // A level (two samples or more: what the report needs too) and the path in the tooltip.
            const badge = page.getByTestId('network-quality');
            const [title, level] = [(await badge.getAttribute('title')) ?? '', await badge.getAttribute('data-quality')];
            if (level !== 'unknown' && (typeof path === 'string' ? title.includes(path) : path.test(title))) return true;
            throw new Error(`${level}: "${title}"`);
          }, 20_000);
        }
        for (const page of pages) {
          await page.getByTestId('leave').click();
          await page.getByTestId('confirm-leave').click();
          await page.getByTestId('post-session').waitFor({ timeout: 20_000 });
        }
        const quality = await waitFor('both final quality reports', async () => {
          const res = await fetch(`${apiUrl}/v1/sessions/${lesson.id}/quality`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
          const body = (await res.json()) as { participants: { role: string; final: boolean; report: { mode: string; path: { type: string; protocol: string }; browser: string; freeze_count: number } }[] };
          if (body.participants.length === 2 && body.participants.every((p) => p.final)) return body.participants;
          throw new Error(`${JSON.stringify(body)}\n${stack.logs().split('\n').filter((l) => l.includes('/quality')).slice(-6).join('\n')}`);
        }, 20_000);
        for (const p of quality) {
          expect(p.report.mode).toBe(mode);
          expect(p.report.browser).toMatch(/^Chrom(e|ium) \d+$/);
          if (mode === 'p2p') expect(p.report.path).toEqual({ type: 'relay', protocol: 'tls' });
          else expect(p.report.path.protocol === 'tcp' || p.report.path.protocol === 'tls', JSON.stringify(p.report.path)).toBe(true);
        }
      } finally {
        for (const page of pages) await page.context().close();
      }
    }, 120_000);
  }
});
