// What a person would check in the room, asked of any browser (functions run in the page): the
// element states the UI shows, frames the remote <video> presents, and sound energy in the remote
// audio (WebAudio, the same in every browser, where getStats' audio fields differ).
import { waitFor } from '../browser.ts';
import type { Participant } from './lab-browsers.ts';

/** An element's presence, attributes and text, by data-testid. */
export function element(p: Participant, testId: string): Promise<{ attrs: Record<string, string>; text: string; disabled: boolean } | null> {
  return p.run((id) => {
    const el = document.querySelector(`[data-testid="${id}"]`) as HTMLElement | null;
    if (!el) return null;
    const attrs: Record<string, string> = {};
    for (const a of Array.from(el.attributes)) attrs[a.name] = a.value;
    return { attrs, text: el.textContent ?? '', disabled: (el as HTMLButtonElement).disabled === true };
  }, testId);
}

export async function waitForTestId(p: Participant, testId: string, what = testId, timeoutMs = 20_000): Promise<void> {
  await waitFor(`${p.browser}: ${what}`, async () => (await element(p, testId)) !== null, timeoutMs);
}

export async function waitGone(p: Participant, testId: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(`${p.browser}: ${testId} gone`, async () => (await element(p, testId)) === null, timeoutMs);
}

export interface RoomSnapshot {
  phase: string;
  mode: string | null;
  media: string | null;
  reconnecting: boolean;
  peerPresence: string;
  peer: { audio: boolean; video: boolean; screen: boolean } | null;
  remoteScreen: number;
  mediaKind: string | null;
}

export function room(p: Participant): Promise<RoomSnapshot> {
  return p.run(() => {
    const d = (window as unknown as { __duet: { state(): Omit<RoomSnapshot, 'mediaKind'>; mediaKind(): string | null } }).__duet;
    return { ...d.state(), mediaKind: d.mediaKind() };
  });
}

export interface MediaStats {
  videoFramesDecoded: number;
  audioPacketsReceived: number;
  audioLevel: number;
  selectedPair: { local: { address: string }; remote: { address: string } } | null;
}

export function stats(p: Participant): Promise<MediaStats | null> {
  return p.run(() => (window as unknown as { __duet: { stats(): Promise<MediaStats | null> } }).__duet.stats());
}

/** Frames presented by a <video> (requestVideoFrameCallback) during `ms`, and its size. */
export function framesDuring(p: Participant, testId = 'remote-video', ms = 1_000): Promise<{ frames: number; width: number; height: number }> {
  return p.run(async ({ id, ms }) => {
    const v = document.querySelector(`[data-testid="${id}"]`) as (HTMLVideoElement & { requestVideoFrameCallback(cb: () => void): number }) | null;
    if (!v) return { frames: -1, width: 0, height: 0 };
    let frames = 0;
    let on = true;
    const next = () => v.requestVideoFrameCallback(() => {
      frames++;
      if (on) next();
    });
    next();
    await new Promise((r) => setTimeout(r, ms));
    on = false;
    return { frames, width: v.videoWidth, height: v.videoHeight };
  }, { id: testId, ms });
}

/**
 * The loudest RMS (0..1) of the other side's audio over `ms`, measured with WebAudio on the
 * remote stream's audio track: > 0 means sound arrives, not only packets.
 */
export function remoteAudioEnergy(p: Participant, ms = 1_500): Promise<number> {
  return p.run(async (ms) => {
    const remote = (window as unknown as { __duet: { controller: { state: { get(): { remote: MediaStream | null } } } } }).__duet.controller.state.get().remote;
    const track = remote?.getAudioTracks()[0];
    if (!track) return -1;
    const ctx = new AudioContext();
    // A context that cannot start (no audio output) must fail the check, not hang it.
    await Promise.race([ctx.resume(), new Promise((r) => setTimeout(r, 1_000))]);
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 2048;
    ctx.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    let loudest = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, 40));
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      loudest = Math.max(loudest, Math.sqrt(sum / buf.length));
    }
    await ctx.close();
    return loudest;
  }, ms);
}

/**
 * Waits until `p` presents remote frames and receives remote sound: WebAudio energy on the remote
 * track, or the receiver's own audio level (getStats inbound-rtp audioLevel) — headless Firefox
 * has no sound device here and its WebAudio graph reads silence, while its receiver still
 * measures the level of what it decodes.
 */
export async function seesAndHears(p: Participant, timeoutMs = 30_000): Promise<{ frames: number; width: number; energy: number; audioLevel: number }> {
  return waitFor(`${p.browser}: remote frames and sound`, async () => {
    const f = await framesDuring(p, 'remote-video', 1_500);
    const energy = f.frames >= 2 ? await remoteAudioEnergy(p) : 0;
    const s = await stats(p);
    const audioLevel = s?.audioLevel ?? 0;
    if (f.frames >= 2 && f.width > 0 && (energy > 0.001 || audioLevel > 0.001)) return { frames: f.frames, width: f.width, energy, audioLevel };
    throw new Error(`frames ${JSON.stringify(f)}, energy ${energy}, room ${JSON.stringify(await room(p))}, stats ${JSON.stringify(s)}`);
  }, timeoutMs, 500);
}
