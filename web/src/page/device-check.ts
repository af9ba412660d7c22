// The pre-join device check: camera preview, microphone level, speaker test, network RTT and the
// person's device choices. At join it hands its live tracks to the room (no second permission
// prompt, no camera flicker).
import { deviceIdOf, DeviceError, listDevices, openTrack, type DeviceLists, type DeviceProblem } from '../lib/devices.ts';
import { pickRemembered, rememberDevice, rememberedDevice } from '../lib/device-memory.ts';
import { MicMeter } from '../lib/mic-meter.ts';
import { checkNetwork, type NetworkCheck } from '../lib/network-check.ts';
import { checkRoutes, type NodeRoutes, type RouteCheck } from '../lib/route-check.ts';
import { Store } from '../lib/store.ts';
import { playTestSound } from '../lib/test-sound.ts';

export interface DeviceSlot {
  track: MediaStreamTrack | null;
  problem: DeviceProblem | null;
}

export interface DeviceCheckState {
  started: boolean;
  camera: DeviceSlot;
  mic: DeviceSlot;
  devices: DeviceLists;
  speakerId: string;
  preview: MediaStream | null;
  network: { state: 'checking' } | ({ state: 'done' } & NetworkCheck) | { state: 'failed' };
  speakerTest: 'idle' | 'playing' | 'played' | 'failed';
  /** The routes to the lesson's media this network allows (the node's UDP / TCP, TURN over UDP / TCP / TLS). */
  route: { state: 'idle' } | { state: 'checking' } | ({ state: 'done' } & RouteCheck);
}

const SPEAKER_KEY = 'duet.speaker';

export class DeviceCheck {
  readonly state = new Store<DeviceCheckState>({
    started: false,
    camera: { track: null, problem: null },
    mic: { track: null, problem: null },
    devices: { cameras: [], mics: [], speakers: [] },
    speakerId: '',
    preview: null,
    network: { state: 'checking' },
    speakerTest: 'idle',
    route: { state: 'idle' },
  });
  private iceServers: RTCIceServer[] | null = null;
  private nodeRoutes: NodeRoutes | undefined;
  private readonly onRoute: ((r: RouteCheck) => void) | undefined;
  /** Microphone level 0..1, in its own store so the meter re-renders alone. */
  readonly level = new Store<{ value: number }>({ value: 0 });
  private meter: MicMeter | undefined;
  private meterTimer: ReturnType<typeof setInterval> | undefined;
  private handedOver = false;
  private readonly healthUrl: string;

  /** `onRoute`: each finished route check (the page reports it to analytics). */
  constructor(healthUrl = '/healthz', onRoute?: (r: RouteCheck) => void) {
    this.healthUrl = healthUrl;
    this.onRoute = onRoute;
  }

  async start(): Promise<void> {
    void this.runNetworkCheck();
    // The devices chosen last time in this browser (by id; the label fallback runs once listed).
    const [camera, mic] = await Promise.all([this.openPreferred('video'), this.openPreferred('audio')]);
    this.state.set({ camera, mic, started: true, speakerId: this.savedSpeaker() });
    this.updatePreview();
    this.startMeter();
    await this.refreshDevices();
    await this.applyLabelFallback();
    navigator.mediaDevices?.addEventListener?.('devicechange', this.onDeviceChange);
  }

  /** Both devices blocked by the browser: the page explains how to allow them. */
  get denied(): boolean {
    const s = this.state.get();
    return s.camera.problem === 'denied' && s.mic.problem === 'denied';
  }

  async retry(): Promise<void> {
    this.stopTracks();
    this.state.set({ started: false });
    await this.start();
  }

  async selectCamera(deviceId: string): Promise<void> {
    const slot = await this.open('video', deviceId);
    if (slot.track) rememberDevice('video', deviceIdOf(slot.track), slot.track.label);
    this.state.get().camera.track?.stop();
    this.state.set({ camera: slot });
    this.updatePreview();
  }

  async selectMic(deviceId: string): Promise<void> {
    const slot = await this.open('audio', deviceId);
    if (slot.track) rememberDevice('audio', deviceIdOf(slot.track), slot.track.label);
    this.state.get().mic.track?.stop();
    this.state.set({ mic: slot });
    this.updatePreview();
    this.startMeter();
  }

  selectSpeaker(deviceId: string): void {
    rememberDevice('speaker', deviceId, this.state.get().devices.speakers.find((d) => d.deviceId === deviceId)?.label ?? '');
    try {
      localStorage.setItem(SPEAKER_KEY, deviceId);
    } catch {
      // storage may be blocked in a third-party iframe
    }
    this.state.set({ speakerId: deviceId });
  }

  async testSpeaker(): Promise<void> {
    this.state.set({ speakerTest: 'playing' });
    try {
      await playTestSound(this.state.get().speakerId);
      this.state.set({ speakerTest: 'played' });
    } catch {
      this.state.set({ speakerTest: 'failed' });
    }
  }

  /**
   * Tries the media routes: the join grant's TURN servers, and with `node` the media node's own
   * UDP and TCP (a probe transport the pre-join socket asks for).
   */
  async runRouteCheck(iceServers: RTCIceServer[] | null = this.iceServers, node: NodeRoutes | undefined = this.nodeRoutes): Promise<void> {
    this.iceServers = iceServers;
    this.nodeRoutes = node;
    if (!iceServers || typeof RTCPeerConnection === 'undefined') return;
    this.state.set({ route: { state: 'checking' } });
    const result = await checkRoutes(iceServers, undefined, node);
    if (this.handedOver) return;
    this.state.set({ route: result.verdict === 'unknown' ? { state: 'idle' } : { state: 'done', ...result } });
    if (result.verdict !== 'unknown') this.onRoute?.(result);
  }

  async runNetworkCheck(): Promise<void> {
    if (this.iceServers) void this.runRouteCheck();
    this.state.set({ network: { state: 'checking' } });
    try {
      this.state.set({ network: { state: 'done', ...(await checkNetwork(this.healthUrl)) } });
    } catch {
      this.state.set({ network: { state: 'failed' } });
    }
  }

  /** The tracks for the room; the check stops watching them but does not stop them. */
  handOver(): MediaStream {
    const { camera, mic } = this.state.get();
    this.handedOver = true;
    this.stop();
    return new MediaStream([mic.track, camera.track].filter((t): t is MediaStreamTrack => !!t && t.readyState === 'live'));
  }

  stop(): void {
    clearInterval(this.meterTimer);
    this.meter?.close();
    this.meter = undefined;
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.onDeviceChange);
    if (!this.handedOver) this.stopTracks();
  }

  // ---- internals -------------------------------------------------------------

  private async open(kind: 'audio' | 'video', deviceId?: string): Promise<DeviceSlot> {
    try {
      return { track: await openTrack(kind, deviceId), problem: null };
    } catch (err) {
      return { track: null, problem: err instanceof DeviceError ? err.problem : 'unsupported' };
    }
  }

  /** The remembered device when it is still there, else the browser's default. */
  private async openPreferred(kind: 'audio' | 'video'): Promise<DeviceSlot> {
    const want = rememberedDevice(kind);
    if (want) {
      const slot = await this.open(kind, want.id);
      if (slot.track || slot.problem === 'denied') return slot;
    }
    return this.open(kind);
  }

  /** The remembered id is gone but a device with the remembered label is there: switch to it. */
  private async applyLabelFallback(): Promise<void> {
    const { devices, camera, mic, speakerId } = this.state.get();
    const cam = pickRemembered('video', devices.cameras);
    if (cam && camera.track && cam !== deviceIdOf(camera.track)) await this.selectCamera(cam);
    const m = pickRemembered('audio', devices.mics);
    if (m && mic.track && m !== deviceIdOf(mic.track)) await this.selectMic(m);
    const sp = pickRemembered('speaker', devices.speakers);
    if (sp && sp !== speakerId) this.selectSpeaker(sp);
  }

  private updatePreview(): void {
    const { camera } = this.state.get();
    this.state.set({ preview: camera.track ? new MediaStream([camera.track]) : null });
  }

  private startMeter(): void {
    clearInterval(this.meterTimer);
    this.meter?.close();
    const track = this.state.get().mic.track;
    if (!track) {
      this.level.set({ value: 0 });
      return;
    }
    this.meter = new MicMeter(track);
    this.meterTimer = setInterval(() => this.level.set({ value: this.meter?.level() ?? 0 }), 100);
  }

  private async refreshDevices(): Promise<void> {
    try {
      this.state.set({ devices: await listDevices() });
    } catch {
      // listing is a convenience; the default devices still work
    }
  }

  private readonly onDeviceChange = () => void this.refreshDevices();

  private savedSpeaker(): string {
    try {
      return localStorage.getItem(SPEAKER_KEY) ?? '';
    } catch {
      return '';
    }
  }

  private stopTracks(): void {
    const { camera, mic } = this.state.get();
    camera.track?.stop();
    mic.track?.stop();
  }
}

export { deviceIdOf };
