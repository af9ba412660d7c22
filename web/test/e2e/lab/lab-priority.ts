// The lab's network elements (nfq-delay) and its UDP probe run ahead of the test load. They stand
// for a network, which does not share the CPU with the browsers and servers under test: starved,
// they add delay no profile has. Flake hunt 2026-12-07i (three test lanes at nice 10, load ~14 on
// 2 cores): `far`'s 300 ms round trip read 363 ms at the median and `clean`'s 0.2 ms read 5 ms,
// failing web/test/e2e/netlab.e2e.test.ts. The lab runs as root (network namespaces), which may
// raise a priority.
import { setPriority } from 'node:os';

/** The nice value of the lab's own processes (the tests' processes run at 0, a hunt's at 10). */
export const LAB_NICE = -10;

/** Puts a process the lab just started ahead of the load (one that already exited is left alone). */
export function aheadOfLoad(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, LAB_NICE);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ESRCH') throw err;
  }
}
