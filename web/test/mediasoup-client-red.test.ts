// The build-time edits that let mediasoup-client send Opus RED (web/build/mediasoup-client-red.ts),
// on the installed mediasoup-client: each applies exactly where expected (a new version that moved
// the code fails here, not silently in a lesson), and the patched codec reduction keeps the Opus
// that RED wraps. The answer's fmtp line is checked in a real browser (e2e lesson.e2e.test.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { patchMediasoupClient } from '../build/mediasoup-client-red.ts';

const require = createRequire(import.meta.url);
const lib = dirname(require.resolve('mediasoup-client'));
const ORTC = join(lib, 'ortc.js');
const SECTION = join(lib, 'handlers/sdp/RemoteMediaSection.js');

/** Loads a patched CommonJS module of mediasoup-client (its own requires resolve as usual). */
function load(path: string): Record<string, (...args: unknown[]) => unknown> {
  const code = patchMediasoupClient(path, readFileSync(path, 'utf8'))!;
  const module = { exports: {} as Record<string, (...args: unknown[]) => unknown> };
  new Function('exports', 'require', 'module', '__filename', '__dirname', code)(module.exports, createRequire(path), module, path, dirname(path));
  return module.exports;
}

const codec = (mimeType: string, payloadType: number, parameters: Record<string, unknown> = {}) => ({ mimeType, payloadType, clockRate: 48000, channels: 2, parameters, rtcpFeedback: [] });

describe('mediasoup-client, patched for Opus RED', () => {
  it('applies to the installed version and leaves other modules alone', () => {
    expect(patchMediasoupClient(ORTC, readFileSync(ORTC, 'utf8'))).toContain('duet: RED needs the Opus it wraps');
    const section = patchMediasoupClient(SECTION, readFileSync(SECTION, 'utf8'))!;
    expect(section.split('fmtp.config = duetRedFmtp(codec,').length - 1).toBe(2);
    expect(section).toContain('function duetRedFmtp(');
    expect(patchMediasoupClient(join(lib, 'Device.js'), 'x')).toBeUndefined();
    expect(() => patchMediasoupClient(ORTC, 'changed source')).toThrow(/expected 1 match/);
  });

  it('keeps the Opus after RED when RED is the chosen codec, and only then', () => {
    const reduceCodecs = load(ORTC).reduceCodecs!;
    const opus = codec('audio/opus', 111, { useinbandfec: 1 });
    const red = codec('audio/red', 63);
    const rtx = { mimeType: 'audio/rtx', payloadType: 112, clockRate: 48000, parameters: { apt: 111 }, rtcpFeedback: [] };
    expect(reduceCodecs([opus, red], { kind: 'audio', mimeType: 'audio/red', clockRate: 48000, channels: 2 })).toEqual([red, opus]);
    expect(reduceCodecs([opus, rtx, red], { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 })).toEqual([opus, rtx]);
    expect(reduceCodecs([opus, red], undefined)).toEqual([opus]);
  });
});
