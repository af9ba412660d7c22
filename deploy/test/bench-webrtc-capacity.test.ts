// The WebRTC capacity bench (deploy/bench/webrtc-capacity) runs on demand only (a Go build and
// minutes of load); its inputs are checked here cheaply: the generator's pinned modules (no
// replace directive, nothing the module proxy cannot serve), the build script, and the /proc
// readers that attribute CPU time and UDP drops to the SFU's process tree.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processTree, treeCpuSeconds, udpDropsByOwner } from '../bench/webrtc-capacity/procs.ts';
import { REPO_ROOT } from './support/exec.ts';

const LOAD = join(REPO_ROOT, 'deploy/bench/webrtc-load');

describe('WebRTC capacity bench inputs', () => {
  it('pins pion and LiveKit Go SDK versions that build from the module proxy (no fork replace)', () => {
    const mod = readFileSync(join(LOAD, 'go.mod'), 'utf8');
    const sum = readFileSync(join(LOAD, 'go.sum'), 'utf8');
    expect(mod).not.toMatch(/^replace/m);
    // server-sdk-go v2.20.0 replaces pion/webrtc with LiveKit's fork, which the proxy does not serve.
    expect(mod).toMatch(/github\.com\/livekit\/server-sdk-go\/v2 v2\.19\.0/);
    expect(mod).toMatch(/github\.com\/pion\/webrtc\/v4 v4\.2\.26/);
    for (const m of ['github.com/livekit/server-sdk-go/v2 v2.19.0', 'github.com/pion/webrtc/v4 v4.2.26']) expect(sum).toContain(m);
    execFileSync('bash', ['-n', join(LOAD, 'build.sh')]);
    // The one step with network: the benches run in a namespace without it.
    execFileSync('bash', ['-n', join(REPO_ROOT, 'deploy/bench/prepare.sh')]);
    expect(readFileSync(join(LOAD, 'build.sh'), 'utf8')).toContain('DUET_LO_NETNS');
  });

  it('reads the CPU time and the UDP sockets of a process tree from /proc', async () => {
    const child = (await import('node:child_process')).spawn('sleep', ['5']);
    try {
      expect(processTree(process.pid)).toEqual(expect.arrayContaining([process.pid, child.pid]));
      expect(treeCpuSeconds(process.pid)).toBeGreaterThan(0);
      const drops = udpDropsByOwner(process.pid);
      expect(Number.isInteger(drops.sfu) && Number.isInteger(drops.others)).toBe(true);
    } finally {
      child.kill();
    }
  });
});
