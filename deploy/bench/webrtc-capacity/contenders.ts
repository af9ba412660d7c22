// The three SFUs the WebRTC capacity bench compares, each started fresh per round on loopback:
// Duet (the all-in-one stack, P2P off so every lesson goes through the SFU), bare mediasoup
// (bare-server.ts) and LiveKit (deploy/bench/livekit). Each gives the generator a signaling URL
// and join tokens per lesson, and names the root of its process tree (its CPU is measured there).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createDemoLesson } from '@duet/deploy';
import { startStack } from '../../../web/test/e2e/stack.ts';
import { startLiveKit } from '../livekit/anchor.ts';
import { descendantsMatching } from './procs.ts';

export type ContenderName = 'duet' | 'bare' | 'livekit';

export interface Contender {
  name: ContenderName;
  url: string;
  rootPid: number;
  /** Join tokens for `n` more lessons (two participants each). */
  lessons(n: number): Promise<[string, string][]>;
  stop(): Promise<void>;
}

let lessonSeq = 0;

async function duet(): Promise<Contender> {
  const stack = await startStack({
    P2P_ENABLED: 'false',
    // The bench's lessons all come from 127.0.0.1: lift the per-address and anonymous caps
    // above the load (the marketplace key's own cap stays).
    SIGNALING_MAX_SOCKETS_PER_ADDRESS: '2000',
    RATE_LIMIT_MAX: '100000',
    // The e2e harness polls webhooks every 200 ms; a node in production polls every second.
    WEBHOOK_POLL_MS: '1000',
  });
  const [rootPid] = descendantsMatching('all-in-one.ts');
  if (!rootPid) throw new Error('duet: cannot find the all-in-one process');
  return {
    name: 'duet',
    url: stack.wsUrl,
    rootPid,
    async lessons(n) {
      const out: [string, string][] = [];
      for (let i = 0; i < n; i++) {
        const l = await createDemoLesson(stack.apiUrl, stack.apiKey, { title: `webrtc-capacity ${lessonSeq++}`, minutes: 60 });
        const token = (url: string) => decodeURIComponent(/#token=([^&]+)/.exec(url)![1]!);
        out.push([token(l.tutorUrl), token(l.studentUrl)]);
      }
      return out;
    },
    stop: () => stack.stop(),
  };
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
