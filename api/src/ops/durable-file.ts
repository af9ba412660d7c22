// Files that must survive a power cut once they "count as written" (the media node's hook spool,
// the recorder's manifests): write a temporary file, fsync it, rename it over the target, fsync
// the directory. Without the two fsyncs a crash can leave the new name pointing at an empty or
// half-written file (ext4/xfs delayed allocation), or lose the rename itself.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';

function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Synchronous durable write (temp → fsync → rename → fsync dir). Throws on any failure. */
export function writeFileDurableSync(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDirSync(dirname(path));
}

/** Asynchronous durable write (temp → fsync → rename → fsync dir); creates the directory when missing. */
export async function writeFileDurable(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    await mkdir(dirname(path), { recursive: true });
    return open(tmp, 'w', 0o600);
  });
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** A directory this process must write to: created if missing, then proven writable (and syncable). */
export class UnwritableDirError extends Error {
  readonly variable: string;
  readonly dir: string;
  readonly code: string;
  constructor(variable: string, dir: string, code: string) {
    super(`${variable} (${dir}) is not writable: ${code}. Mount a writable volume there or point ${variable} at one.`);
    this.variable = variable;
    this.dir = dir;
    this.code = code;
  }
}

/** mkdir -p one level at a time: the real errno (EROFS, EACCES), where recursive mkdir says ENOENT. */
function mkdirEach(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw err;
    mkdirEach(dirname(dir));
    mkdirSync(dir);
  }
}

export function ensureWritableDir(dir: string, variable: string): void {
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    mkdirEach(dir);
    writeFileDurableSync(probe, 'ok');
    unlinkSync(probe);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UnwritableDirError(variable, dir, e.code ?? e.message);
  }
}
