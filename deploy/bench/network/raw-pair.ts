// The floor of the network bench: two plain RTCPeerConnections, one in each participant's
// Chromium (each in its own lab namespace), the same capture constraints as the Duet room,
// browser defaults for everything else. The bench process hands the SDP over (candidates
// included, no trickle): there is no server on the media path, as in a P2P call.
import type { Page } from 'playwright-core';
import { AUDIO_CONSTRAINTS, VIDEO_CONSTRAINTS } from '../../../web/src/lib/devices.ts';

type W = { __pc?: RTCPeerConnection; __stream?: MediaStream };

/** Opens camera + mic and a connection with them (window.__pc), plays what arrives. */
async function prepare(page: Page): Promise<void> {
  await page.evaluate(async ({ audio, video }) => {
    const w = window as unknown as W;
    const stream = await navigator.mediaDevices.getUserMedia({ audio, video });
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    for (const t of stream.getTracks()) pc.addTrack(t, stream);
    const v = Object.assign(document.createElement('video'), { muted: true, autoplay: true, playsInline: true });
    document.body.append(v);
    const a = Object.assign(document.createElement('audio'), { autoplay: true });
    document.body.append(a);
    pc.ontrack = (e) => {
      const s = new MediaStream([e.track]);
      if (e.track.kind === 'video') v.srcObject = s;
      else a.srcObject = s;
    };
    w.__pc = pc;
    w.__stream = stream;
  }, { audio: AUDIO_CONSTRAINTS, video: VIDEO_CONSTRAINTS });
}

/** A full description once gathering is complete (host candidates only here: fast). */
function describe(page: Page, kind: 'offer' | 'answer', remote?: string): Promise<string> {
  return page.evaluate(async ({ kind, remote }) => {
    const pc = (window as unknown as W).__pc!;
    if (remote) await pc.setRemoteDescription({ type: kind === 'answer' ? 'offer' : 'answer', sdp: remote });
    const d = kind === 'offer' ? await pc.createOffer() : await pc.createAnswer();
    await pc.setLocalDescription(d);
    if (pc.iceGatheringState !== 'complete') {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 3_000);
        pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && (clearTimeout(t), r()));
      });
    }
    return pc.localDescription!.sdp;
  }, { kind, remote });
}

/** Connects tutor -> student; resolves when the offer/answer exchange is done. */
export async function connectRawPair(tutor: Page, student: Page): Promise<void> {
  await Promise.all([prepare(tutor), prepare(student)]);
  const offer = await describe(tutor, 'offer');
  const answer = await describe(student, 'answer', offer);
  await tutor.evaluate(async (sdp) => (window as unknown as W).__pc!.setRemoteDescription({ type: 'answer', sdp }), answer);
}

/**
 * After an outage: what a plain app does when ICE fails (restart ICE from the offerer), so the
 * raw pair gets the same chance as Duet. Checks every 500 ms; the bench stops it at the end.
 */
export async function watchRawRecovery(tutor: Page, student: Page, until: () => boolean): Promise<void> {
  while (!until()) {
    const state = await tutor.evaluate(() => (window as unknown as W).__pc!.iceConnectionState).catch(() => 'closed');
    if (state === 'failed') {
      const offer = await tutor.evaluate(async () => {
        const pc = (window as unknown as W).__pc!;
        pc.restartIce();
        await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
        await new Promise((r) => setTimeout(r, 300));
        return pc.localDescription!.sdp;
      });
      const answer = await describe(student, 'answer', offer);
      await tutor.evaluate(async (sdp) => (window as unknown as W).__pc!.setRemoteDescription({ type: 'answer', sdp }), answer);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
