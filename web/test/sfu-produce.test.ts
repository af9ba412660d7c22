// How the SFU session sends the microphone: Opus RED when the browser and the media node both take
// it (the node's worker build forwards it), plain Opus otherwise or when the lab turns RED off.
import { afterEach, describe, expect, it } from 'vitest';
import type { types } from 'mediasoup-client';
import { audioCodec, produceOptions } from '../src/media/sfu-produce.ts';

const opus = { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100 } as types.RtpCodecCapability;
const red = { kind: 'audio', mimeType: 'audio/red', clockRate: 48000, channels: 2, preferredPayloadType: 101 } as types.RtpCodecCapability;
const vp8 = { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, preferredPayloadType: 102 } as types.RtpCodecCapability;
const device = (...codecs: types.RtpCodecCapability[]) => ({ rtpCapabilities: { codecs, headerExtensions: [] } });
const track = (kind: 'audio' | 'video') => ({ kind, getSettings: () => ({ height: 720 }) }) as unknown as MediaStreamTrack;

afterEach(() => {
  delete (globalThis as { __duetMediaTuning?: unknown }).__duetMediaTuning;
});

describe('the microphone codec on the SFU', () => {
  it('is Opus RED when the device (browser and router) has RED and the Opus it wraps', () => {
    expect(audioCodec(device(opus, red, vp8))).toBe(red);
    expect(produceOptions(track('audio'), undefined, device(opus, red, vp8))).toMatchObject({ codec: red, codecOptions: { opusFec: true } });
  });

  it('is the default (plain Opus) without RED, without Opus, or with RED turned off by the lab', () => {
    expect(audioCodec(device(opus, vp8))).toBeUndefined();
    expect(audioCodec(device(red, vp8))).toBeUndefined();
    (globalThis as { __duetMediaTuning?: unknown }).__duetMediaTuning = { red: false };
    expect(audioCodec(device(opus, red, vp8))).toBeUndefined();
    expect(produceOptions(track('audio'), undefined, device(opus, red))).not.toHaveProperty('codec');
  });

  it('never applies to the camera', () => {
    expect(produceOptions(track('video'), undefined, device(opus, red, vp8))).not.toHaveProperty('codec');
  });
});
