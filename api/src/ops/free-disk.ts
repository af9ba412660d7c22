// Free space where a role keeps data it must not lose (the media node's hook spool, the
// recorder's segments): /readyz fails below MIN_FREE_DISK_MB, so no new lesson or recording is
// placed on a machine about to run out, while running ones go on.
import { statfs } from 'node:fs/promises';

export const DEFAULT_MIN_FREE_DISK_MB = 512;

/** Free MiB available to this (unprivileged) process on the filesystem holding `dir`. */
export async function freeDiskMb(dir: string): Promise<number> {
  const s = await statfs(dir);
  return (Number(s.bavail) * Number(s.bsize)) / (1024 * 1024);
}

/** A /readyz reason when `dir` has less than `minMb` free (or cannot be checked), else undefined. */
export async function lowDiskReason(dir: string, minMb: number, variable: string): Promise<string | undefined> {
  if (minMb <= 0) return undefined;
  try {
    const free = await freeDiskMb(dir);
    return free < minMb ? `low disk: ${Math.floor(free)} MB free in ${variable} (${dir}), MIN_FREE_DISK_MB=${minMb}` : undefined;
  } catch (err) {
    return `cannot check free disk in ${variable}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}
