// The processes of one contender (an SFU and every process it started: Duet's node process and
// its mediasoup worker, the bare server and its worker, livekit-server), their CPU time, and CPU
// pinning, so the SFU and the load generator each get their own core on a 2-core machine.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { cpuSeconds } from '../capacity/cpu.ts';

/** `pid` and all its descendants. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** CPU seconds of the whole tree (threads included; a process that exits takes its time along). */
export function treeCpuSeconds(pid: number): number {
  let s = 0;
  for (const p of processTree(pid)) {
    try {
      s += cpuSeconds(p);
    } catch {
      // exited between the listing and the read
    }
  }
  return s;
}

/** CPU seconds of each process of the tree by its name (/proc/<pid>/comm: node, mediasoup-worker, …). */
export function treeCpuSecondsByName(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of processTree(pid)) {
    try {
      const name = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      out[name] = (out[name] ?? 0) + cpuSeconds(p);
    } catch {
      // exited between the listing and the read
    }
  }
  return out;
}

/** Pins every thread of every process of the tree to `cpus` (e.g. "0"); new threads inherit it. */
export function pinTree(pid: number, cpus: string | undefined): void {
  if (!cpus) return;
  for (const p of processTree(pid)) {
    try {
      execFileSync('taskset', ['-a', '-cp', cpus, String(p)], { stdio: 'ignore' });
    } catch {
      // exited meanwhile
    }
  }
}

/** The pids of this process's descendants whose command line contains `needle`. */
export function descendantsMatching(needle: string): number[] {
  return processTree(process.pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle);
    } catch {
      return false;
    }
  });
}

/** Socket inodes held by the tree's processes. */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const p of processTree(pid)) {
    try {
      for (const fd of readdirSync(`/proc/${p}/fd`)) {
        try {
          const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${p}/fd/${fd}`));
          if (m) out.add(m[1]!);
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * Datagrams the kernel dropped (full receive buffer) at UDP sockets of this namespace, split by
 * owner: the SFU's tree vs everything else (the generator's peers). Tells where loss happens:
 * at the SFU's input (it did not read in time) or at the receiving peers.
 */
export function udpDropsByOwner(sfuPid: number): { sfu: number; others: number } {
  const mine = socketInodes(sfuPid);
  let sfu = 0;
  let others = 0;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    if (mine.has(f[9]!)) sfu += Number(f[12]);
    else others += Number(f[12]);
  }
  return { sfu, others };
}
