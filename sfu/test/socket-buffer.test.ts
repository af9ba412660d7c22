// Each worker's UDP socket carries every lesson on that worker: its kernel buffers are set from
// MEDIA_SOCKET_BUFFER_BYTES (the capacity bench saw thousands of datagrams dropped at a default
// buffer while the worker's core was busy elsewhere). Read back from the kernel with `ss`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMediaConfig, MediaConfigError, WorkerPool } from '../src/index.ts';

const pools: WorkerPool[] = [];
afterAll(() => pools.forEach((p) => p.close()));

/** The receive and send buffers (bytes, as the kernel keeps them) of the UDP sockets of `pid`. */
function udpBuffers(pid: number): { rb: number; tb: number }[] {
  const out = execFileSync('ss', ['-u', '-a', '-m', '-n', '-p'], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  const lines = out.split('\n');
  const found: { rb: number; tb: number }[] = [];
  lines.forEach((line, i) => {
    if (!line.includes(`pid=${pid},`)) return;
    const mem = /skmem:\([^)]*rb(\d+)[^)]*tb(\d+)/.exec(`${line} ${lines[i + 1] ?? ''}`);
    if (mem) found.push({ rb: Number(mem[1]), tb: Number(mem[2]) });
  });
  return found;
}

const sysctl = (name: string) => Number(readFileSync(`/proc/sys/net/core/${name}`, 'utf8'));

describe('the workers\' UDP socket buffers', () => {
  it('are MEDIA_SOCKET_BUFFER_BYTES (as far as the kernel allows), on every worker', async () => {
    const wanted = 1024 * 1024;
    const pool = await WorkerPool.create(loadMediaConfig({ ...process.env, MEDIASOUP_WORKERS: '1', MEDIA_PORT_BASE: '0', MEDIA_SOCKET_BUFFER_BYTES: String(wanted) }));
    pools.push(pool);
    const [load] = await pool.sample();
    const sockets = udpBuffers(load!.pid);
    expect(sockets.length, 'the worker has a UDP socket').toBeGreaterThan(0);
    // Linux doubles what setsockopt asks for (bookkeeping), capped at the sysctl maximum.
    expect(sockets[0]!.rb).toBe(2 * Math.min(wanted, sysctl('rmem_max')));
    expect(sockets[0]!.tb).toBe(2 * Math.min(wanted, sysctl('wmem_max')));
  });

  it('refuses a size out of range with a clear error', () => {
    for (const bad of ['1000', 'lots', String(1024 ** 3)]) {
      expect(() => loadMediaConfig({ MEDIA_SOCKET_BUFFER_BYTES: bad })).toThrow(MediaConfigError);
      expect(() => loadMediaConfig({ MEDIA_SOCKET_BUFFER_BYTES: bad })).toThrow(/MEDIA_SOCKET_BUFFER_BYTES must be an integer between 65536 and 268435456/);
    }
  });
});
