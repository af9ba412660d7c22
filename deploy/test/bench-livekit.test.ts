// The LiveKit anchor of the benches (deploy/bench/livekit) is checked here without running
// LiveKit (its server is a 4-minute Go build, done on demand by the benches): the loopback config,
// the token grants, the test page's build with LiveKit's recommended options, the build script.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildPage, CONFIG_FILE, configBody, LIVEKIT_VERSION, mintToken, versions } from '../bench/livekit/anchor.ts';
import { REPO_ROOT } from './support/exec.ts';

describe('LiveKit anchor inputs', () => {
  it('keeps livekit-server on loopback, with no keys in the file, and moves its ports on request', () => {
    const config = parse(readFileSync(CONFIG_FILE, 'utf8'));
    expect(config.bind_addresses).toEqual(['127.0.0.1']);
    expect(config.rtc).toMatchObject({ use_external_ip: false, enable_loopback_candidate: true, node_ip: '127.0.0.1' });
    expect(config.keys).toBeUndefined();
    const moved = parse(configBody(9100));
    expect([moved.port, moved.rtc.tcp_port, moved.rtc.udp_port]).toEqual([9100, 9101, 9102]);
    expect(moved.bind_addresses).toEqual(['127.0.0.1']);
  });

  it('mints tokens for one room with publish and subscribe grants', async () => {
    const jwt = await mintToken('benchkey', 'x'.repeat(64), 'room-1', 'student');
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ iss: 'benchkey', sub: 'student', video: { room: 'room-1', roomJoin: true, canPublish: true, canSubscribe: true } });
    expect(claims.exp - claims.nbf).toBeLessThanOrEqual(600);
  });

  it('builds the livekit-client page with vite, using LiveKit best practice', async () => {
    const source = readFileSync(join(REPO_ROOT, 'deploy/bench/livekit/page/main.ts'), 'utf8');
    for (const practice of ['prepareConnection(', 'adaptiveStream: true', 'dynacast: true', "videoCodec: 'vp8'", 'VideoPresets.h720']) expect(source).toContain(practice);
    const out = mkdtempSync(join(tmpdir(), 'duet-lk-page-'));
    try {
      await buildPage(out);
      const html = readFileSync(join(out, 'index.html'), 'utf8');
      const [bundle] = readdirSync(join(out, 'assets')).filter((f) => f.endsWith('.js'));
      expect(html).toContain(`assets/${bundle}`);
      const js = readFileSync(join(out, 'assets', bundle!), 'utf8');
      // The pinned livekit-client is inside (its version string), with the calls the bench relies on.
      expect(js).toContain(versions()['livekit-client']!);
      expect(js).toContain('prepareConnection');
      expect(process.env.NODE_ENV).not.toBe('production'); // vite's build must not leak it into the bench process
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);

  it('pins the server version and the build script parses', () => {
    expect(LIVEKIT_VERSION).toMatch(/^v\d+\.\d+\.\d+$/);
    const script = join(REPO_ROOT, 'deploy/bench/livekit/build-server.sh');
    expect(readFileSync(script, 'utf8')).toContain(`LIVEKIT_VERSION:-${LIVEKIT_VERSION}`);
    expect(() => execFileSync('bash', ['-n', script], { stdio: 'pipe' })).not.toThrow();
  });
});
