// CPU time of a process (user + system), from /proc, in seconds; and how long its main thread
// waited for a CPU (runnable but not running), which tells saturation from contention.
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * CPU seconds of every thread of the process. Read from schedstat (nanoseconds) because
 * /proc/<pid>/stat counts in 10 ms ticks: a lightly loaded worker (a smoke run's 2 lessons use
 * ~1 % of a core) can show 0 ticks over a 1.5 s window, which made lessons-per-core infinite
 * and the ratio null. Falls back to the tick counters on kernels without schedstats.
 */
export function cpuSeconds(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread exited between the listing and the read: its time is gone from both samples' sum
      }
    }
    if (ns > 0) return ns / 1e9;
  } catch {
    // no schedstat: fall through to the tick counters
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
}

/** Seconds the process's main thread spent on a run queue waiting for a CPU (schedstat run_delay). */
export function runQueueSeconds(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return 0; // kernels without schedstats
  }
}
