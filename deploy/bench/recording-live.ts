// Live media while composes run (issue 15 items 2 and 6; on demand, not in the suite; run inside
// the lo-only namespace):
//   bash scripts/in-lo-netns.sh node deploy/bench/recording-live.ts [--lessons N] [--seconds S] [--rounds R]
// A real mediasoup worker carries N live lessons; each lesson sends two audio streams (50 packets/s,
// the send time in every payload) through a router (PlainTransport in -> consumer -> PlainTransport
// out) back to this process, which records one-way latency and loss per packet. Each round measures
// three windows side by side on the same host:
//   idle        nothing else running;
//   queued      10 composes handed to the recorder's ComposeQueue as production runs it
//               (RECORDER_COMPOSE_CONCURRENCY 1, nice 19 + ionice idle-ish: one at a time);
//   unqueued    the same 10 composes all at once at normal priority (what the queue prevents).
// A compose here is FFmpeg with compose.ts's encoder settings (libx264 veryfast crf 27, 25 fps,
// 1280x480, AAC) on a synthetic source, long enough to outlast the window; they are killed after it.
// Writes results/recording-live.json (p50/p95/max latency and loss per window; median over rounds
// and the spread of p95 across rounds).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { ComposeQueue } from '../../recorder/src/compose-queue.ts';

const { values: args } = parseArgs({ options: { lessons: { type: 'string', default: '4' }, seconds: { type: 'string', default: '10' }, rounds: { type: 'string', default: '3' } } });
const N = Math.max(1, Math.min(16, Number(args.lessons)));
const WINDOW_S = Math.max(3, Math.min(60, Number(args.seconds)));
const ROUNDS = Math.max(1, Math.min(10, Number(args.rounds)));
const COMPOSES = 10;
const PT = 100;
const senders: Socket[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => process.stdout.write(`${msg}\n`);

interface Stream {
  ssrc: number;
  seq: number;
  sent: number;
  send: (buf: Buffer) => void;
}

/** Latency samples (ms) and counts of the window being measured. */
let window: { lat: number[]; sent: number; got: number } | undefined;

async function lesson(router: types.Router, rx: Socket, streams: Stream[]): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const ssrc = 0x1000 + streams.length;
    const inT = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
    const producer = await inT.produce({ kind: 'audio', rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: PT, clockRate: 48000, channels: 2 }], encodings: [{ ssrc }] } });
    const outT = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
    await outT.connect({ ip: '127.0.0.1', port: rx.address().port });
    await outT.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
    const tx = createSocket('udp4');
    senders.push(tx);
    await new Promise<void>((r) => tx.bind(0, '127.0.0.1', () => r()));
    const port = inT.tuple.localPort;
    streams.push({ ssrc, seq: 0, sent: 0, send: (buf) => tx.send(buf, port, '127.0.0.1') });
  }
}

/** One 20-ms Opus-sized RTP packet whose payload starts with the send time (ns). */
function packet(s: Stream): Buffer {
  const b = Buffer.alloc(12 + 80);
  b[0] = 0x80;
  b[1] = PT;
  b.writeUInt16BE(s.seq & 0xffff, 2);
  b.writeUInt32BE((s.seq * 960) >>> 0, 4);
  b.writeUInt32BE(s.ssrc, 8);
  b.writeBigUInt64BE(process.hrtime.bigint(), 12);
  s.seq++;
  return b;
}

function composeArgs(): string[] {
  return ['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x480:rate=25', '-f', 'lavfi', '-i', 'sine=f=440:r=48000', '-t', '600',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '27', '-r', '25', '-c:a', 'aac', '-b:a', '96k', '-ar', '48000', '-f', 'null', '-'];
}

/** Starts 10 composes through a queue (cap, nice) and returns a stop function that kills what it started. */
function startComposes(concurrency: number, nice: number): () => Promise<void> {
  const queue = new ComposeQueue({ concurrency, nice });
  const running = new Set<ChildProcess>();
  let stopped = false;
  const done: Promise<void>[] = [];
  for (let i = 0; i < COMPOSES; i++) {
    done.push(queue.run(() => new Promise<void>((resolve) => {
      if (stopped) return resolve();
      const child = nice > 0 ? queue.spawnLowPriority('ffmpeg', composeArgs(), { stdio: 'ignore' }) : spawn('ffmpeg', composeArgs(), { stdio: 'ignore' });
      running.add(child);
      child.once('exit', () => {
        running.delete(child);
        resolve();
      });
    })));
  }
  return async () => {
    stopped = true;
    for (const c of running) c.kill('SIGKILL');
    await Promise.all(done);
  };
}

function summary(w: { lat: number[]; sent: number; got: number }) {
  const l = [...w.lat].sort((a, b) => a - b);
  const q = (p: number) => Math.round(l[Math.min(l.length - 1, Math.floor(p * l.length))]! * 100) / 100;
  return { p50_ms: q(0.5), p95_ms: q(0.95), max_ms: Math.round(l.at(-1)! * 100) / 100, loss_pct: Math.round(((w.sent - w.got) / Math.max(1, w.sent)) * 10000) / 100, packets: w.sent };
}

async function measure(streams: Stream[], what: string): Promise<ReturnType<typeof summary>> {
  await sleep(1500); // the composes are up (or the previous ones gone)
  window = { lat: [], sent: 0, got: 0 };
  const w = window;
  const t0 = Date.now();
  while (Date.now() - t0 < WINDOW_S * 1000) {
    const tick = Date.now();
    for (const s of streams) {
      s.send(packet(s));
      w.sent++;
    }
    await sleep(Math.max(0, 20 - (Date.now() - tick)));
  }
  await sleep(500); // stragglers
  window = undefined;
  const r = summary(w);
  log(`  ${what.padEnd(9)} p50 ${r.p50_ms} ms  p95 ${r.p95_ms} ms  max ${r.max_ms} ms  loss ${r.loss_pct} % (${r.packets} packets)`);
  return r;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const worker = await mediasoup.createWorker({ logLevel: 'error' });
  const rx = createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
  rx.on('message', (m) => {
    // RTP only (RTCP shares the port), past the header extensions mediasoup adds.
    if (!window || m.length < 20 || (m[1]! & 0x7f) !== PT) return;
    let off = 12 + 4 * (m[0]! & 0x0f);
    if (m[0]! & 0x10) off += 4 + 4 * m.readUInt16BE(off + 2);
    if (m.length < off + 8) return;
    window.got++;
    window.lat.push(Number(process.hrtime.bigint() - m.readBigUInt64BE(off)) / 1e6);
  });
  const streams: Stream[] = [];
  for (let i = 0; i < N; i++) await lesson(await worker.createRouter({ mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }] }), rx, streams);
  log(`[recording-live] ${N} lessons (${streams.length} audio streams through one mediasoup worker), ${WINDOW_S}-s windows, ${ROUNDS} rounds, ${COMPOSES} composes`);
  const rounds: Record<'idle' | 'queued' | 'unqueued', ReturnType<typeof summary>>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    log(`round ${r + 1}`);
    const idle = await measure(streams, 'idle');
    let stop = startComposes(1, 19);
    const queued = await measure(streams, 'queued');
    await stop();
    stop = startComposes(COMPOSES, 0);
    const unqueued = await measure(streams, 'unqueued');
    await stop();
    rounds.push({ idle, queued, unqueued });
  }
  worker.close();
  rx.close();
  for (const tx of senders) tx.close();
  const metrics: Record<string, number> = { lessons: N, window_s: WINDOW_S, rounds: ROUNDS, composes: COMPOSES };
  for (const k of ['idle', 'queued', 'unqueued'] as const) {
    for (const m of ['p50_ms', 'p95_ms', 'max_ms', 'loss_pct'] as const) metrics[`live_${m.replace('_ms', '').replace('_pct', '')}_${m.endsWith('pct') ? 'pct' : 'ms'}_${k}`] = median(rounds.map((x) => x[k][m]));
    const p95 = rounds.map((x) => x[k].p95_ms);
    metrics[`live_p95_spread_ms_${k}`] = Math.round((Math.max(...p95) - Math.min(...p95)) * 100) / 100;
  }
  const out = {
    name: 'recording-live',
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    machine: {
      cpu: cpus()[0]?.model,
      load_avg_at_end: loadavg().map((x) => Math.round(x * 100) / 100),
      ffmpeg: execFileSync('ffmpeg', ['-version']).toString().split('\n')[0],
      mediasoup: mediasoup.version,
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim(),
    },
    metrics,
    rounds,
  };
  writeFileSync(join(import.meta.dirname, 'results/recording-live.json'), JSON.stringify(out, null, 2) + '\n');
  log(`wrote deploy/bench/results/recording-live.json`);
}

await main();
