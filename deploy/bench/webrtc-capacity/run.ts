// Capacity with real WebRTC (on demand, not in the suite): 1-on-1 lessons of real WebRTC peers
// (pion: ICE, DTLS, SRTP, RTCP feedback, NACK, transport-wide CC) through Duet, bare mediasoup
// and LiveKit, stepped load until the SFU degrades. Each lesson is two peers, each publishing
// Opus (20 ms frames) + VP8 (a ~900 kbit/s clip, 640x360, 30 fps) and receiving the other's two
// tracks. Measured per step: receive loss (RTP sequence gaps after NACK repair), one-way delay
// (a send-time stamp at each frame's tail; sender and receiver are the same process), jitter, the
// SFU's CPU (every process of its tree, from /proc) apart from the generator's.
//
//   flock /tmp/duet-heavy.lock bash scripts/in-lo-netns.sh node deploy/bench/webrtc-capacity/run.ts \
//     [--levels 4,8,12,16,20,24,28,32,40] [--rounds 2] [--seconds 900] [--only duet,bare,livekit]
//
// Writes deploy/bench/results/capacity-webrtc.json (docs/benchmarks-livekit.md explains it).
// The first run builds the generator (Go, ~2 min), livekit-server (~1-5 min) and a VP8 clip.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { livekitBinary, versions } from '../livekit/anchor.ts';
import { machine } from '../machine.ts';
import { startContender, type Contender, type ContenderName } from './contenders.ts';
import { generatorBinary, startGenerator, videoClip } from './generator.ts';
import { pinTree, treeCpuSeconds, treeCpuSecondsByName, udpDropsByOwner } from './procs.ts';
import { cpuSeconds } from '../capacity/cpu.ts';

const { values: args } = parseArgs({
  options: {
    levels: { type: 'string', default: '4,8,12,16,20,24,28,32,40' },
    rounds: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '900' },
    only: { type: 'string', default: 'duet,bare,livekit' },
    'warmup-ms': { type: 'string', default: '3000' },
    'measure-ms': { type: 'string', default: '6000' },
    'max-loss': { type: 'string', default: '0.01' },
    'max-p95-ms': { type: 'string', default: '60' },
    'sfu-cpus': { type: 'string', default: cpus().length >= 2 ? '0' : '' },
    'generator-cpus': { type: 'string', default: cpus().length >= 2 ? '1' : '' },
    out: { type: 'string', default: resolve(import.meta.dirname, '../results/capacity-webrtc.json') },
  },
});
const LEVELS = args.levels!.split(',').map(Number).filter((n) => n > 0 && n <= 200);
const ROUNDS = Math.max(1, Math.min(5, Number(args.rounds)));
const BUDGET_MS = Math.max(30, Math.min(3600, Number(args.seconds))) * 1000;
const WARMUP_MS = Math.max(1000, Math.min(30_000, Number(args['warmup-ms'])));
const MEASURE_MS = Math.max(1000, Math.min(60_000, Number(args['measure-ms'])));
const MAX_LOSS = Number(args['max-loss']);
const MAX_P95 = Number(args['max-p95-ms']);
const SFU_CPUS = args['sfu-cpus'] || undefined;
const GEN_CPUS = args['generator-cpus'] || undefined;
const ONLY = args.only!.split(',').filter((n): n is ContenderName => ['duet', 'bare', 'livekit'].includes(n));
/** Frames a peer sends per second: Opus every 20 ms + VP8 at 30 fps. */
const FRAMES_PER_PEER = 50 + 30;

interface Step {
  contender: ContenderName;
  round: number;
  lessons: number;
  sfu_cpu_cores: number;
  sfu_cpu_cores_by_process?: Record<string, number>;
  /** Duet's API (pinned with the generator): not the SFU's work, reported apart. */
  control_plane_cpu_cores?: number;
  generator_cpu_cores: number;
  loss: number;
  delay_ms: { p50: number; p95: number; p99: number };
  jitter_ms: number;
  silent_tracks: number;
  /** Datagrams the kernel dropped in the window at the SFU's sockets / at the generator's. */
  udp_drops: { sfu: number; generator: number };
  failed_joins: number;
  generator_send_ratio: number;
  /** Frames received / frames the other sides sent: an SFU that pauses or thins a stream (its
   * congestion control) shows here, not as loss (it renumbers what it forwards). */
  delivered_ratio: number;
  lessons_per_core: number;
  healthy: boolean;
  reason?: string;
}

interface Report {
  expected: number;
  received: number;
  loss: number;
  tracks: number;
  silent_tracks: number;
  delay_ms_p50: number;
  delay_ms_p95: number;
  delay_ms_p99: number;
  jitter_ms_mean: number;
  delay_samples: number;
}

const started = Date.now();
/** SFU CPU cores with no lesson, per contender and round. */
const idleCores: Record<string, number> = {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** WebRTC stacks gather host candidates; lksdk's pion leaves loopback out, so it needs another
 * interface: a veth pair inside the bench's own namespace, both ends here (local traffic to its
 * address goes over lo anyway; nothing leaves the namespace). */
function addDummyInterface(): void {
  if (process.env.DUET_LO_NETNS !== '1') throw new Error('run inside scripts/in-lo-netns.sh (WebRTC on loopback only)');
  const ip = (...a: string[]) => execFileSync('ip', a, { stdio: 'ignore', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  try {
    ip('link', 'add', 'bench0', 'type', 'veth', 'peer', 'name', 'bench1');
    ip('addr', 'add', '10.77.0.1/24', 'dev', 'bench0');
    ip('link', 'set', 'bench1', 'up');
    ip('link', 'set', 'bench0', 'up');
  } catch (err) {
    throw new Error(`cannot add the veth interface LiveKit's Go SDK needs: ${(err as Error).message}`);
  }
}

async function runContender(name: ContenderName, round: number, bin: string, clip: string, lkBin: string | undefined): Promise<Step[]> {
  const steps: Step[] = [];
  const sfu: Contender = await startContender(name, lkBin);
  pinTree(sfu.rootPid, SFU_CPUS);
  if (sfu.controlPlanePid) pinTree(sfu.controlPlanePid, GEN_CPUS);
  const controlCpu = () => (sfu.controlPlanePid ? treeCpuSeconds(sfu.controlPlanePid) : 0);
  const gen = startGenerator(bin, name, sfu.url, clip, GEN_CPUS);
  let baselineP95: number | undefined;
  try {
    // Idle first: what the SFU burns with no lesson (Duet's node also runs its API, webhook
    // poller and timers), so the per-lesson cost can be told from the fixed one.
    await sleep(WARMUP_MS);
    const idle0 = treeCpuSeconds(sfu.rootPid);
    await sleep(MEASURE_MS);
    idleCores[`${name}:${round}`] = (treeCpuSeconds(sfu.rootPid) - idle0) / (MEASURE_MS / 1000);
    let lessons = 0;
    for (const level of LEVELS) {
      if (Date.now() - started > BUDGET_MS) break;
      const added = await gen.ask<{ failed: number; errors: string[] | null; peers: number }>({ cmd: 'add', lessons: await sfu.lessons(level - lessons) }, 180_000);
      lessons = level;
      pinTree(sfu.rootPid, SFU_CPUS); // processes the SFU started since (none expected; cheap)
      await sleep(WARMUP_MS);
      await gen.ask({ cmd: 'reset' });
      const [cpu0, gen0, drops0, ctl0, byName0, t0] = [treeCpuSeconds(sfu.rootPid), cpuSeconds(gen.pid), udpDropsByOwner(sfu.rootPid), controlCpu(), treeCpuSecondsByName(sfu.rootPid), process.hrtime.bigint()];
      await sleep(MEASURE_MS);
      const [cpu1, gen1, drops1, ctl1, byName1] = [treeCpuSeconds(sfu.rootPid), cpuSeconds(gen.pid), udpDropsByOwner(sfu.rootPid), controlCpu(), treeCpuSecondsByName(sfu.rootPid)];
      const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
      const c = await gen.ask<{ report: Report; frames_per_s: number; peers: number; seconds: number }>({ cmd: 'collect' });
      const sfuCores = (cpu1 - cpu0) / elapsed;
      const r = c.report;
      const step: Step = {
        contender: name,
        round,
        lessons: level,
        sfu_cpu_cores: Number(sfuCores.toFixed(3)),
        // Where the SFU's CPU went: its Node process (Duet's room layer, the bare server's loop) and the worker.
        sfu_cpu_cores_by_process: Object.fromEntries(Object.entries(byName1).map(([k, v]) => [k, Number(((v - (byName0[k] ?? 0)) / elapsed).toFixed(3))])),
        ...(sfu.controlPlanePid ? { control_plane_cpu_cores: Number(((ctl1 - ctl0) / elapsed).toFixed(3)) } : {}),
        generator_cpu_cores: Number(((gen1 - gen0) / elapsed).toFixed(3)),
        loss: Number(r.loss.toFixed(5)),
        delay_ms: { p50: r.delay_ms_p50, p95: r.delay_ms_p95, p99: r.delay_ms_p99 },
        jitter_ms: r.jitter_ms_mean,
        silent_tracks: r.silent_tracks,
        udp_drops: { sfu: drops1.sfu - drops0.sfu, generator: drops1.others - drops0.others },
        failed_joins: added.failed,
        generator_send_ratio: Number((c.frames_per_s / (c.peers * FRAMES_PER_PEER)).toFixed(3)),
        delivered_ratio: Number((r.delay_samples / (c.seconds * c.peers * FRAMES_PER_PEER)).toFixed(3)),
        lessons_per_core: sfuCores > 0 ? Number((level / sfuCores).toFixed(1)) : 0,
        healthy: true,
      };
      baselineP95 ??= r.delay_ms_p95;
      const p95Bound = Math.max(MAX_P95, 3 * baselineP95);
      const bad = (reason: string) => Object.assign(step, { healthy: false, reason });
      if (added.failed > 0) bad(`${added.failed} peers failed to join: ${(added.errors ?? []).join('; ').slice(0, 300)}`);
      else if (r.silent_tracks > 0) bad(`${r.silent_tracks} of ${r.tracks} tracks received nothing`);
      else if (step.generator_send_ratio < 0.95) bad(`generator sent ${Math.round(step.generator_send_ratio * 100)}% of its frames: the generator, not the SFU, is the limit`);
      else if (step.delivered_ratio < 0.95) bad(`only ${Math.round(step.delivered_ratio * 100)}% of the frames sent reached the other side`);
      else if (r.loss > MAX_LOSS) bad(`loss ${(r.loss * 100).toFixed(2)}% > ${MAX_LOSS * 100}%`);
      else if (!(r.delay_ms_p95 <= p95Bound)) bad(`p95 delay ${r.delay_ms_p95} ms > ${p95Bound} ms`);
      else if (SFU_CPUS && sfuCores > 0.9) bad(`the SFU used ${sfuCores.toFixed(2)} of its 1 core: saturated`);
      steps.push(step);
      process.stderr.write(`${JSON.stringify(step)}\n`);
      if (!step.healthy) break;
    }
  } catch (err) {
    process.stderr.write(`${name}: ${(err as Error).message}\n${gen.logs().slice(-2000)}\n`);
  } finally {
    await gen.stop();
    await sfu.stop();
  }
  return steps;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return Number((s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2).toFixed(3));
}

async function main(): Promise<void> {
  addDummyInterface();
  const startLoad = loadavg()[0]!;
  const bin = generatorBinary();
  const clip = videoClip();
  const lkBin = ONLY.includes('livekit') ? livekitBinary() : undefined;
  const steps: Step[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // The contenders alternate in each round (their order rotates), so a disturbance on the
    // shared machine does not always hit the same one.
    const order = ONLY.map((_, i) => ONLY[(i + round - 1) % ONLY.length]!);
    for (const name of order) {
      if (Date.now() - started > BUDGET_MS) break;
      steps.push(...(await runContender(name, round, bin, clip, lkBin)));
    }
  }
  // Per contender and round: the last healthy step. lessons_per_core is read there, and the
  // ratios compare the same load too: each round's highest level every contender passed.
  const lastGood = (name: ContenderName, round: number, atMost = Infinity) =>
    steps.filter((s) => s.contender === name && s.round === round && s.healthy && s.lessons <= atMost).at(-1);
  const perContender: Record<string, unknown> = {};
  const lpcAtMax: Record<string, number[]> = {};
  const lpcCommon: Record<string, number[]> = {};
  for (let round = 1; round <= ROUNDS; round++) {
    const common = Math.min(...ONLY.map((n) => lastGood(n, round)?.lessons ?? 0));
    for (const n of ONLY) {
      const top = lastGood(n, round);
      if (top) (lpcAtMax[n] ??= []).push(top.lessons_per_core);
      const same = common > 0 ? steps.find((s) => s.contender === n && s.round === round && s.lessons === common && s.healthy) : undefined;
      if (same) (lpcCommon[n] ??= []).push(same.lessons_per_core);
    }
  }
  for (const n of ONLY) {
    const tops = steps.filter((s) => s.contender === n && s.healthy);
    const stops = steps.filter((s) => s.contender === n && !s.healthy).map((s) => `round ${s.round} at ${s.lessons}: ${s.reason}`);
    perContender[n] = {
      lessons_per_core: median(lpcAtMax[n] ?? []),
      lessons_per_core_rounds: lpcAtMax[n] ?? [],
      max_lessons_rounds: Array.from({ length: ROUNDS }, (_, i) => lastGood(n, i + 1)?.lessons ?? 0),
      lessons_per_core_at_common_level: median(lpcCommon[n] ?? []),
      lessons_per_core_at_common_level_rounds: lpcCommon[n] ?? [],
      sfu_cpu_cores_at_max: median(tops.filter((s) => s === lastGood(n, s.round)).map((s) => s.sfu_cpu_cores)),
      // Duet: the same lessons over the SFU's CPU plus its API's (a single box running both).
      ...(tops.some((s) => s.control_plane_cpu_cores !== undefined)
        ? {
            control_plane_cpu_cores_at_max: median(tops.filter((s) => s === lastGood(n, s.round)).map((s) => s.control_plane_cpu_cores ?? 0)),
            lessons_per_core_with_control_plane: median(
              tops.filter((s) => s === lastGood(n, s.round)).map((s) => Number((s.lessons / (s.sfu_cpu_cores + (s.control_plane_cpu_cores ?? 0))).toFixed(1))),
            ),
          }
        : {}),
      sfu_cpu_cores_idle: median(Object.entries(idleCores).filter(([k]) => k.startsWith(`${n}:`)).map(([, v]) => Number(v.toFixed(3)))),
      // Lessons per core of the per-lesson cost alone: the last healthy level over (CPU there - idle CPU).
      marginal_lessons_per_core: median(
        Array.from({ length: ROUNDS }, (_, i) => {
          const top = lastGood(n, i + 1);
          const idle = idleCores[`${n}:${i + 1}`];
          return top && idle !== undefined && top.sfu_cpu_cores > idle ? Number((top.lessons / (top.sfu_cpu_cores - idle)).toFixed(1)) : NaN;
        }).filter(Number.isFinite),
      ),
      stopped_because: stops,
    };
  }
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? Number((a / b).toFixed(3)) : null);
  const common = (n: ContenderName) => median(lpcCommon[n] ?? []);
  const marginal = (n: ContenderName) => (perContender[n] as { marginal_lessons_per_core: number | null } | undefined)?.marginal_lessons_per_core;
  const result = {
    name: 'capacity-webrtc',
    date: new Date().toISOString(),
    machine: machine(),
    versions: { ...versions(lkBin ? { livekitBin: lkBin } : {}), go_generator: 'pion/webrtc v4.2.26, livekit/server-sdk-go v2.19.0 (deploy/bench/webrtc-load/go.mod)' },
    cpus: cpus().length,
    loadavg_1m_at_start: Math.round(startLoad * 10) / 10,
    seconds: Math.round((Date.now() - started) / 1000),
    ratios: {
      // At the same load (each round's highest level all contenders passed): the fair comparison.
      vs_livekit: ratio(common('duet'), common('livekit')),
      vs_bare_mediasoup: ratio(common('duet'), common('bare')),
      // At each contender's own last healthy level.
      vs_livekit_at_max: ratio(median(lpcAtMax.duet ?? []), median(lpcAtMax.livekit ?? [])),
      vs_bare_mediasoup_at_max: ratio(median(lpcAtMax.duet ?? []), median(lpcAtMax.bare ?? [])),
      // Per-lesson cost only (idle CPU taken out).
      marginal_vs_livekit: ratio(marginal('duet'), marginal('livekit')),
      marginal_vs_bare_mediasoup: ratio(marginal('duet'), marginal('bare')),
    },
    // The headline figures (docs/benchmarks.md's generated table reads `metrics` and `ratios`).
    metrics: Object.fromEntries(
      ONLY.flatMap((n) => {
        const c = perContender[n] as { lessons_per_core: number | null; marginal_lessons_per_core: number | null; max_lessons_rounds: number[] };
        return [
          [`${n}_lessons_per_core`, c.lessons_per_core],
          [`${n}_marginal_lessons_per_core`, c.marginal_lessons_per_core],
          [`${n}_max_lessons`, Math.max(...c.max_lessons_rounds)],
        ];
      }),
    ),
    goals: { 'vs_livekit >=': 2, 'vs_bare_mediasoup >=': 0.95 },
    contenders: perContender,
    setup: {
      levels: LEVELS,
      rounds: ROUNDS,
      warmup_ms: WARMUP_MS,
      measure_ms: MEASURE_MS,
      healthy: `every peer joined, every track received, generator sent >= 95% of its frames and >= 95% of the frames sent arrived, loss <= ${MAX_LOSS * 100}%, p95 one-way delay <= max(${MAX_P95} ms, 3x the first level's), SFU below 0.9 of its core`,
      lesson: '2 pion peers, each publishing Opus (20 ms frames, 83 B) + VP8 (~900 kbit/s, 640x360, 30 fps, keyframe every 1 s and on PLI/FIR) and receiving the other\'s 2 tracks; NACK/RTX, RTCP SR/RR, transport-wide CC feedback on; the senders do not adapt their bitrate (fixed load)',
      pinning: SFU_CPUS ? `SFU (all its processes) on CPU ${SFU_CPUS}, generator (and Duet's API) on CPU ${GEN_CPUS}` : 'none (fewer than 2 CPUs)',
      livekit: 'livekit-server on loopback (deploy/bench/livekit/livekit.yaml); lksdk publishes one VP8 layer (no simulcast: the load is one fixed bitrate), auto-subscribe, default congestion control',
      duet: 'a media node process (signaling + SFU, one mediasoup worker; signaling/src/main.ts) measured as the SFU, the API (api/src/main.ts, PGlite) in its own process measured apart (control_plane_cpu_cores), P2P_ENABLED=false; hello over duet.v1.json, sfu.createTransport/produce/consume like the web room. Until 2026-12-07 the all-in-one process (API + node) was measured as the SFU',
      bare: 'deploy/bench/webrtc-capacity/bare-server.ts: the same worker binary, MEDIA_CODECS, WebRtcServer and transport options (4 MiB UDP socket buffers, as Duet since 2026-12-07), the same JSON messages, no Duet room layer',
    },
    steps,
  };
  mkdirSync(resolve(args.out!, '..'), { recursive: true });
  writeFileSync(args.out!, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify({ ratios: result.ratios, contenders: perContender }, null, 2)}\nwrote ${args.out}\n`);
}

await main();
process.exit(0);
