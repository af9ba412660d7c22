// Cameras, microphones and speakers: listing, opening with the person's choice, and turning
// browser errors into something we can explain.
export interface DeviceLists {
  cameras: MediaDeviceInfo[];
  mics: MediaDeviceInfo[];
  speakers: MediaDeviceInfo[];
}

export type DeviceProblem = 'denied' | 'not_found' | 'in_use' | 'unsupported';

export class DeviceError extends Error {
  readonly problem: DeviceProblem;
  readonly kind: 'camera' | 'microphone' | 'both';
  constructor(problem: DeviceProblem, kind: 'camera' | 'microphone' | 'both', message: string) {
    super(message);
    this.problem = problem;
    this.kind = kind;
  }
}

export function classifyMediaError(err: unknown, kind: DeviceError['kind']): DeviceError {
  const name = (err as { name?: string } | null)?.name ?? '';
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') return new DeviceError('denied', kind, 'permission denied');
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') return new DeviceError('not_found', kind, 'no such device');
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') return new DeviceError('in_use', kind, 'device busy');
  return new DeviceError('unsupported', kind, String((err as Error | null)?.message ?? err));
}

export async function listDevices(): Promise<DeviceLists> {
  const all = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
  const real = (kind: MediaDeviceKind) => all.filter((d) => d.kind === kind && d.deviceId !== '');
  return { cameras: real('videoinput'), mics: real('audioinput'), speakers: real('audiooutput') };
}

export const VIDEO_CONSTRAINTS: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
export const AUDIO_CONSTRAINTS: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/** Opens one kind of device; `deviceId` pins the person's choice. */
export async function openTrack(kind: 'audio' | 'video', deviceId?: string): Promise<MediaStreamTrack> {
  if (!navigator.mediaDevices?.getUserMedia) throw new DeviceError('unsupported', kind === 'audio' ? 'microphone' : 'camera', 'getUserMedia unavailable');
  const base = kind === 'audio' ? AUDIO_CONSTRAINTS : VIDEO_CONSTRAINTS;
  const constraints: MediaTrackConstraints = deviceId ? { ...base, deviceId: { exact: deviceId } } : base;
  try {
    const stream = await navigator.mediaDevices.getUserMedia(kind === 'audio' ? { audio: constraints } : { video: constraints });
    return stream.getTracks()[0]!;
  } catch (err) {
    throw classifyMediaError(err, kind === 'audio' ? 'microphone' : 'camera');
  }
}

/** The id of the device a live track comes from (what pickers should show as selected). */
export function deviceIdOf(track: MediaStreamTrack | null | undefined): string {
  return track?.getSettings?.().deviceId ?? '';
}

export function supportsSpeakerSelection(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

/** Routes a media element to a speaker when the browser supports it. */
export async function routeToSpeaker(el: HTMLMediaElement, speakerId: string): Promise<void> {
  const withSink = el as HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> };
  if (speakerId && withSink.setSinkId) await withSink.setSinkId(speakerId).catch(() => undefined);
}
