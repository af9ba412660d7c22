// Device choices remembered per browser: the pre-join check opens the remembered camera by id, and
// when the id is gone (new ids after cleared site data) the device with the remembered label.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rememberDevice, rememberedDevice } from '../src/lib/device-memory.ts';
import { DeviceCheck } from '../src/page/device-check.ts';

const DEVICES = [
  { kind: 'videoinput', deviceId: 'cam-1', label: 'Built-in Camera' },
  { kind: 'videoinput', deviceId: 'cam-9', label: 'USB Camera' },
  { kind: 'audioinput', deviceId: 'mic-1', label: 'Built-in Mic' },
  { kind: 'audioinput', deviceId: 'mic-2', label: 'Headset Mic' },
  { kind: 'audiooutput', deviceId: 'spk-1', label: 'Speakers' },
];

function fakeTrack(kind: 'audio' | 'video', deviceId: string) {
  const label = DEVICES.find((d) => d.deviceId === deviceId)!.label;
  return { kind, label, readyState: 'live', enabled: true, stop: vi.fn(), getSettings: () => ({ deviceId }) };
}

let calls: MediaStreamConstraints[] = [];
beforeEach(() => {
  calls = [];
  vi.stubGlobal('MediaStream', class {
    private readonly tracks: unknown[];
    constructor(tracks: unknown[] = []) {
      this.tracks = tracks;
    }
    getTracks() {
      return this.tracks;
    }
  });
  vi.stubGlobal('fetch', async () => new Response('ok'));
  Object.defineProperty(navigator, 'mediaDevices', {
    configurable: true,
    value: {
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      enumerateDevices: async () => DEVICES,
      getUserMedia: async (c: MediaStreamConstraints) => {
        calls.push(c);
        const kind = c.video ? 'video' : 'audio';
        const wanted = ((c.video || c.audio) as MediaTrackConstraints).deviceId as { exact?: string } | undefined;
        const id = wanted?.exact ?? (kind === 'video' ? 'cam-1' : 'mic-1');
        if (!DEVICES.some((d) => d.deviceId === id)) throw Object.assign(new Error('gone'), { name: 'OverconstrainedError' });
        return { getTracks: () => [fakeTrack(kind, id)] };
      },
    },
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
  localStorage.clear();
});

describe('remembered devices in the pre-join check', () => {
  it('opens the remembered camera and microphone by id', async () => {
    rememberDevice('video', 'cam-9', 'USB Camera');
    rememberDevice('audio', 'mic-2', 'Headset Mic');
    const check = new DeviceCheck();
    await check.start();
    const s = check.state.get();
    expect(s.camera.track?.getSettings().deviceId).toBe('cam-9');
    expect(s.mic.track?.getSettings().deviceId).toBe('mic-2');
    check.stop();
  });

  it('falls back to the label when the remembered id is gone, and remembers the new id', async () => {
    rememberDevice('video', 'old-id-of-usb-camera', 'USB Camera');
    const check = new DeviceCheck();
    await check.start();
    expect(check.state.get().camera.track?.getSettings().deviceId).toBe('cam-9');
    expect(rememberedDevice('video')).toEqual({ id: 'cam-9', label: 'USB Camera' });
    check.stop();
  });

  it('with nothing remembered opens the defaults; a choice is remembered for next time', async () => {
    const check = new DeviceCheck();
    await check.start();
    expect(check.state.get().camera.track?.getSettings().deviceId).toBe('cam-1');
    await check.selectMic('mic-2');
    check.selectSpeaker('spk-1');
    expect(rememberedDevice('audio')).toEqual({ id: 'mic-2', label: 'Headset Mic' });
    expect(rememberedDevice('speaker')).toEqual({ id: 'spk-1', label: 'Speakers' });
    check.stop();
  });
});
