// media/encodings.ts: what the SDP and the senders get (the lab measures whether it helps).
import { afterEach, describe, expect, it } from 'vitest';
import { cameraSimulcast, mediaTuning, tuneSenders, withOpusDtx } from '../src/media/encodings.ts';

const SDP = ['v=0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111 63', 'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;useinbandfec=1', 'a=rtpmap:63 red/48000/2', 'a=fmtp:63 111/111', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=rtpmap:96 VP8/90000', ''].join('\r\n');

const track = (height: number) => ({ getSettings: () => ({ height }) }) as unknown as MediaStreamTrack;

afterEach(() => delete (globalThis as { __duetMediaTuning?: unknown }).__duetMediaTuning);

describe('encodings', () => {
  it('asks the other side for Opus DTX and FEC, leaves RED and video alone', () => {
    const out = withOpusDtx(SDP);
    expect(out).toContain('a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n');
    expect(out).toContain('a=fmtp:63 111/111\r\n');
    expect(out.endsWith('\r\n')).toBe(true);
    expect(withOpusDtx(out)).toBe(out);
  });

  it('camera simulcast: three layers at 720p, two at 480p, none below 360p', () => {
    expect(cameraSimulcast(track(720))!.map((e) => e.scaleResolutionDownBy)).toEqual([4, 2, 1]);
    expect(cameraSimulcast(track(480))!.map((e) => e.scaleResolutionDownBy)).toEqual([2, 1]);
    expect(cameraSimulcast(track(240))).toBeUndefined();
  });

  it('the bench switch turns choices off', () => {
    (globalThis as { __duetMediaTuning?: unknown }).__duetMediaTuning = { simulcast: false, dtx: false, uplinkGuard: false };
    expect(mediaTuning()).toEqual({ simulcast: false, audioFirst: true, red: true, dtx: false, videoRestart: true, startBitrate: true, uplinkGuard: false, temporalLayers: true, lowLayerBps: 150_000 });
    expect(cameraSimulcast(track(720))).toBeUndefined();
    expect(withOpusDtx(SDP)).toBe(SDP);
    // Temporal layers: three per simulcast layer by default, one with the switch off, the browser's own for Firefox.
    (globalThis as { __duetMediaTuning?: unknown }).__duetMediaTuning = {};
    expect(cameraSimulcast(track(720))!.map((e) => (e as { scalabilityMode?: string }).scalabilityMode)).toEqual(['L1T3', 'L1T3', 'L1T3']);
    expect(cameraSimulcast(track(720), false)!.every((e) => !('scalabilityMode' in e))).toBe(true);
    (globalThis as { __duetMediaTuning?: unknown }).__duetMediaTuning = { temporalLayers: false };
    expect(cameraSimulcast(track(720))!.map((e) => (e as { scalabilityMode?: string }).scalabilityMode)).toEqual(['L1T1', 'L1T1', 'L1T1']);
    // The lowest layer's ceiling: 150 kbit/s unless the bench sets another.
    expect(cameraSimulcast(track(720))!.map((e) => e.maxBitrate)).toEqual([150_000, 500_000, 1_500_000]);
    (globalThis as { __duetMediaTuning?: unknown }).__duetMediaTuning = { lowLayerBps: 60_000 };
    expect(cameraSimulcast(track(720))!.map((e) => e.maxBitrate)).toEqual([60_000, 500_000, 1_500_000]);
  });

  it('P2P senders: the screen share keeps its resolution, the microphone is left as the browser made it', async () => {
    const set: Record<string, unknown[]> = {};
    const sender = (kind: string, track: object) => ({
      track: Object.assign(track, { kind }),
      getParameters: () => ({ encodings: [{ active: true }] }),
      setParameters: async (p: unknown) => void (set[kind] ??= []).push(p),
    });
    const screen = {};
    const pc = { getSenders: () => [sender('audio', {}), sender('video', {}), sender('screen', screen)] } as unknown as RTCPeerConnection;
    await tuneSenders(pc, screen as MediaStreamTrack);
    expect(Object.keys(set)).toEqual(['screen']);
    expect(set.screen![0]).toMatchObject({ degradationPreference: 'maintain-resolution', encodings: [{ active: true }] });
  });
});
