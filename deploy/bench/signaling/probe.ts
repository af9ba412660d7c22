// Preloaded (`node --expose-gc --import probe.ts …`) into the server under test by the signaling
// bench: on the IPC message 'measure' it collects garbage and reports its memory and CPU time, so
// the bench measures the server process from outside without any hook in the server's code.
// 'profile-start' / {profileTo: file}: a V8 CPU profile of a phase (SIGBENCH_CPU_PROF).
// {snapshotTo: file}: a V8 heap snapshot (SIGBENCH_HEAP_SNAPSHOT).
// 'loop-start' / 'loop': the event loop's delay over a phase (how long a ready callback waited).
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';

let session: Session | undefined;
let loop: ReturnType<typeof monitorEventLoopDelay> | undefined;
process.on('message', (m: unknown) => {
  if (m === 'loop-start') {
    loop?.disable();
    loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    return;
  }
  if (m === 'loop') {
    loop?.disable();
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    process.send?.({ loop: loop ? { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) } : null });
    return;
  }
  if (m === 'profile-start') {
    session = new Session();
    session.connect();
    session.post('Profiler.enable', () => session!.post('Profiler.start'));
    return;
  }
  if (typeof m === 'object' && m && 'profileTo' in m && session) {
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(String(m.profileTo), JSON.stringify(res.profile));
      session!.disconnect();
      process.send?.({ profiled: !err });
    });
    return;
  }
  if (typeof m === 'object' && m && 'snapshotTo' in m) {
    writeHeapSnapshot(String(m.snapshotTo));
    process.send?.({ snapshot: true });
    return;
  }
  if (m !== 'measure') return;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  process.send?.({ probe: true, smaps: smaps(), heapPhysical: getHeapStatistics().total_physical_size, mallocedKb: Math.round(getHeapStatistics().malloced_memory / 1024), rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external, arrayBuffers: mem.arrayBuffers, cpuMs: (cpu.user + cpu.system) / 1000 });
});
/** Resident KB by kind of mapping: the brk heap (glibc's main arena), anonymous maps, files. */
function smaps(): Record<string, number> {
  const out: Record<string, number> = {};
  let kind = 'other';
  try {
    for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
      const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) kind = head[1] === '' ? 'anon' : head[1]!.startsWith('[') ? head[1]! : 'file';
      else if (line.startsWith('Rss:')) out[kind] = (out[kind] ?? 0) + Number(line.split(/\s+/)[1]);
    }
  } catch {
    // not Linux
  }
  return out;
}

// The IPC channel must not keep a server from exiting on its own signal handling.
process.channel?.unref();
