// Datagrams the kernel dropped at given local UDP ports (full receive buffer), from /proc/net/udp
// of this network namespace: the SFU's input loss when its worker cannot keep up.
import { readFileSync } from 'node:fs';

export function udpDrops(ports: Set<number>): number {
  let drops = 0;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    const port = parseInt(f[1]!.split(':')[1]!, 16);
    if (ports.has(port)) drops += Number(f[12]);
  }
  return drops;
}
