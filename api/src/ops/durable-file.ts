// Files that must survive a power cut once they "count as written" (the media node's hook spool,
// the recorder's manifests): write a temporary file, fsync it, rename it over the target, fsync
// the directory. Without the two fsyncs a crash can leave the new name pointing at an empty or
// half-written file (ext4/xfs delayed allocation), or lose the rename itself.
import { close as fsClose, closeSync, fsync as fsFsync, fsyncSync, mkdir as fsMkdir, mkdirSync, open as fsOpen, openSync, rename as fsRename, renameSync, unlinkSync, write as fsWrite, writeSync } from 'node:fs';
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

/** One fs call as a promise. The callback API, not fs/promises' FileHandles: the media node spools
 * every lifecycle hook through writeFileDurable, and the signaling bench's profile of a 200 joins/s
 * churn put a fifth of its event loop in FileHandle open/close bookkeeping; a plain descriptor costs
 * about a third less of the main thread per file (the fsyncs themselves run on libuv's threads). */
function call<T>(fn: (cb: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

/** Asynchronous durable write (temp → fsync → rename → fsync dir); creates the directory when missing. */
export async function writeFileDurable(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const openTmp = () => call<number>((cb) => fsOpen(tmp, 'w', 0o600, cb));
  const fd = await openTmp().catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    await call((cb) => fsMkdir(dirname(path), { recursive: true }, cb));
    return openTmp();
  });
  try {
    for (let off = 0; off < bytes.byteLength; ) off += await call<number>((cb) => fsWrite(fd, bytes, off, bytes.byteLength - off, null, cb));
    await call<void>((cb) => fsFsync(fd, (err) => cb(err, undefined)));
  } finally {
    await call<void>((cb) => fsClose(fd, (err) => cb(err, undefined)));
  }
  await call<void>((cb) => fsRename(tmp, path, (err) => cb(err, undefined)));
  const dirFd = await call<number>((cb) => fsOpen(dirname(path), 'r', cb));
  try {
    await call<void>((cb) => fsFsync(dirFd, (err) => cb(err, undefined)));
  } finally {
    await call<void>((cb) => fsClose(dirFd, (err) => cb(err, undefined)));
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
