// The SFU session's code (mediasoup-client) in its own chunk, loaded once and only when needed.
import type { SfuSession } from './sfu-session.ts';

let sfuModule: Promise<typeof import('./sfu-session.ts')> | undefined;

/** mediasoup-client loads only when a lesson uses the SFU (its own chunk; see the bundle test). */
export function loadSfuSession(): Promise<typeof SfuSession> {
  sfuModule ??= import('./sfu-session.ts');
  return sfuModule.then((m) => m.SfuSession);
}
