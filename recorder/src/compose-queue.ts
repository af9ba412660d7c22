// Composing is the one CPU-heavy thing a recorder does (libx264: ~7 core-seconds per lesson-minute)
// and it runs on the media host, next to live lessons. So composes wait in a queue with a cap per
// recorder (RECORDER_COMPOSE_CONCURRENCY, default 1) and FFmpeg runs at the lowest CPU priority
// (RECORDER_COMPOSE_NICE, default 19) and the lowest best-effort I/O priority: live media
// (mediasoup, the per-lesson copying FFmpeg) always wins the cores, and a burst of lessons ending
// on the hour only delays their MP4s. Nobody waits for the MP4 to watch: playback uses the copied
// segments (playback.ts).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface ComposeQueueOptions {
  concurrency: number;
  /** Niceness of compose FFmpeg runs (0 = as the recorder, 19 = only idle CPU). */
  nice: number;
}

export class ComposeQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly opts: ComposeQueueOptions;

  constructor(opts: ComposeQueueOptions) {
    this.opts = opts;
  }

  /** Composes waiting for a slot (the queue-depth metric). */
  get depth(): number {
    return this.waiting.length;
  }

  get active(): number {
    return this.running;
  }

  /** Runs `job` once a slot is free (first come, first served); the slot is released however it ends. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.opts.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    else this.running++;
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes on without being released
      else this.running--;
    }
  }

  /** Spawns a compose process at low priority: `nice -n N ionice -c2 -n7 bin args` (each execs, so the pid is bin's). */
  spawnLowPriority(bin: string, args: string[], options: SpawnOptions): ChildProcess {
    const prefix: string[] = [];
    if (this.opts.nice > 0 && onPath('nice')) prefix.push('nice', '-n', String(this.opts.nice));
    if (this.opts.nice > 0 && onPath('ionice')) prefix.push('ionice', '-c2', '-n7');
    if (prefix.length === 0) return spawn(bin, args, options);
    return spawn(prefix[0]!, [...prefix.slice(1), bin, ...args], options);
  }
}

const found = new Map<string, boolean>();
/** nice (coreutils) and ionice (util-linux) are in every image we ship; a bare image composes at normal priority. */
function onPath(cmd: string): boolean {
  let hit = found.get(cmd);
  if (hit === undefined) {
    hit = (process.env.PATH ?? '').split(delimiter).some((d) => {
      try {
        accessSync(join(d, cmd), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    found.set(cmd, hit);
  }
  return hit;
}
