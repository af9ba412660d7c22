// The three SFUs the WebRTC capacity bench compares, each started fresh per round on loopback:
// Duet (a media node — signaling + SFU — in its own process, P2P off so every lesson goes through
// the SFU, with the API apart: the deployment docs/architecture.md describes for more than one
// box), bare mediasoup (bare-server.ts) and LiveKit (deploy/bench/livekit). Each gives the
// generator a signaling URL and join tokens per lesson, and names the root of its process tree
// (its CPU is measured there); Duet also names its API process (measured apart, reported).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDemoLesson } from '@duet/deploy';
import { Cluster } from '../../../web/test/e2e/cluster.ts';
import { startLiveKit } from '../livekit/anchor.ts';

export type ContenderName = 'duet' | 'bare' | 'livekit';

export interface Contender {
  name: ContenderName;
  url: string;
  rootPid: number;
  /** The control plane that is not the SFU (Duet's API): pinned with the generator, its CPU reported apart. */
  controlPlanePid?: number;
  /** Join tokens for `n` more lessons (two participants each). */
  lessons(n: number): Promise<[string, string][]>;
  stop(): Promise<void>;
}

let lessonSeq = 0;

async function duet(): Promise<Contender> {
  const dir = mkdtempSync(join(tmpdir(), 'duet-webrtc-capacity-'));
  const cluster = new Cluster(dir);
  try {
    // The bench's lessons all come from 127.0.0.1: lift the per-address and anonymous caps above
    // the load (the marketplace key's own cap stays). Production's heartbeat and webhook polling.
    await cluster.startApi(['127.0.0.1'], { WEBHOOK_POLL_MS: '1000' });
    const node = await cluster.startMediaNode('bench', '127.0.0.1', { P2P_ENABLED: 'false', SIGNALING_MAX_SOCKETS_PER_ADDRESS: '2000', NODE_CAPACITY: '1000', NODE_HEARTBEAT_MS: '2000' });
    await cluster.waitForHealthyNodes(1);
    const [api, nodeChild] = [cluster.children[0]!, node.child];
    return {
      name: 'duet',
      url: node.wsUrl,
      rootPid: nodeChild.pid!,
      controlPlanePid: api.pid!,
      async lessons(n) {
        const out: [string, string][] = [];
        for (let i = 0; i < n; i++) {
          const l = await createDemoLesson(cluster.apiUrl, cluster.secrets.DUET_API_KEY, { title: `webrtc-capacity ${lessonSeq++}`, minutes: 60 });
          const token = (url: string) => decodeURIComponent(/#token=([^&]+)/.exec(url)![1]!);
          out.push([token(l.tutorUrl), token(l.studentUrl)]);
        }
        return out;
      },
      async stop() {
        await cluster.stop(2_000);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`duet did not start: ${(err as Error).message}\n${[...cluster.logs].map(([k, v]) => `[${k}] ${v.slice(-1500)}`).join('\n')}`);
  }
}

async function bare(): Promise<Contender> {
  const child: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, 'bare-server.ts')], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  let output = '';
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bare server did not start in 20 s: ${output}`)), 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      const m = /BARE_READY (\{.*\})/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve((JSON.parse(m[1]!) as { url: string }).url);
      }
    });
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}: ${output}`)));
  });
  return {
    name: 'bare',
    url,
    rootPid: child.pid!,
    async lessons(n) {
      return Array.from({ length: n }, () => {
        const room = `lesson-${lessonSeq++}`;
        return [`${room}:tutor`, `${room}:student`] as [string, string];
      });
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    },
  };
}

async function livekit(bin: string): Promise<Contender> {
  const lk = await startLiveKit(bin);
  return {
    name: 'livekit',
    url: lk.url,
    rootPid: lk.pid,
    async lessons(n) {
      const out: [string, string][] = [];
      for (let i = 0; i < n; i++) {
        const room = `lesson-${lessonSeq++}`;
        out.push([await lk.token(room, 'tutor'), await lk.token(room, 'student')]);
      }
      return out;
    },
    stop: () => lk.stop(),
  };
}

export function startContender(name: ContenderName, livekitBin?: string): Promise<Contender> {
  if (name === 'duet') return duet();
  if (name === 'bare') return bare();
  return livekit(livekitBin!);
}
