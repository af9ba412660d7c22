// The offline mediasoup-worker build (sfu/scripts/build-worker.sh): the binary
// in use comes from the cache, matches the lockfile's mediasoup version, a
// second call is a fast cache hit, and a missing Debian package is reported
// clearly. Needs `scripts/bootstrap.sh` to have run (MEDIASOUP_WORKER_BIN).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'sfu/scripts/build-worker.sh');

function lockedMediasoupVersion(): string {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const v = lock.packages['node_modules/mediasoup']?.version;
  if (!v) throw new Error('package-lock.json does not pin mediasoup');
  return v;
}

function workerBin(): string {
  const bin = process.env['MEDIASOUP_WORKER_BIN'];
  if (!bin) throw new Error('MEDIASOUP_WORKER_BIN is not set: run scripts/bootstrap.sh and source .duet/env.sh');
  return bin;
}

function runBuildScript(env: Record<string, string>) {
  const started = performance.now();
  const r = spawnSync('bash', [SCRIPT], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { ...r, ms: performance.now() - started };
}

describe('mediasoup-worker offline build', () => {
  it('uses the cached binary for the lockfile-pinned mediasoup version', () => {
    const bin = workerBin();
    const version = lockedMediasoupVersion();
    expect(version).toMatch(/^3\.27\.\d+$/);
    expect(existsSync(bin), `${bin} should exist`).toBe(true);
    expect(statSync(bin).mode & 0o111, 'binary should be executable').not.toBe(0);
    // <cache root>/mediasoup-worker/<version>-<key>/mediasoup-worker
    expect(basename(bin)).toBe('mediasoup-worker');
    expect(basename(dirname(bin))).toMatch(new RegExp(`^${version.replaceAll('.', '\\.')}-[0-9a-f]{12}$`));
    expect(basename(dirname(dirname(bin)))).toBe('mediasoup-worker');
  });

  it('returns the same path quickly on a second run (cache hit, no rebuild)', () => {
    const bin = workerBin();
    const cacheRoot = dirname(dirname(dirname(bin)));
    const mtimeBefore = statSync(bin).mtimeMs;
    const r = runBuildScript({ DUET_CACHE_DIR: cacheRoot, DUET_WORKER_FORCE_REBUILD: '0' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(bin);
    expect(r.stderr).toContain('cache hit');
    expect(r.stderr).not.toContain('npm pack');
    expect(r.ms).toBeLessThan(10_000);
    expect(statSync(bin).mtimeMs).toBe(mtimeBefore);
  }, 60_000);

  it('fails with a clear message naming a missing Debian package', () => {
    const emptyCache = mkdtempSync(join(tmpdir(), 'duet-worker-cache-'));
    try {
      const pkg = 'duet-nonexistent-test-pkg';
      const r = runBuildScript({ DUET_CACHE_DIR: emptyCache, DUET_WORKER_REQUIRED_PKGS_EXTRA: pkg });
      expect(r.status).not.toBe(0);
      expect(r.stdout.trim()).toBe('');
      expect(r.stderr).toContain(`missing Debian packages needed to build mediasoup-worker: ${pkg}\n`);
      expect(r.stderr).toContain(`apt-get install -y --no-install-recommends ${pkg}`);
      expect(r.stderr).not.toContain('npm pack');
    } finally {
      rmSync(emptyCache, { recursive: true, force: true });
    }
  }, 60_000);
});
