// The SFU session's code (mediasoup-client) in its own chunk, loaded once and only when needed.
import type { Device } from 'mediasoup-client';
import type { SfuSession } from './sfu-session.ts';

let sfuModule: Promise<typeof import('./sfu-session.ts')> | undefined;
const sfuChunk = () => (sfuModule ??= import('./sfu-session.ts'));

/** mediasoup-client loads only when a lesson uses the SFU (its own chunk; see the bundle test). */
export function loadSfuSession(): Promise<typeof SfuSession> {
  return sfuChunk().then((m) => m.SfuSession);
}

/** A mediasoup-client device loaded with a router's capabilities (at pre-join, off the click's path). */
export function loadSfuDevice(routerRtpCapabilities: Record<string, unknown>): Promise<Device> {
  return sfuChunk().then((m) => m.loadDevice(routerRtpCapabilities));
}
