// The systemd units are checked by systemd itself (`systemd-analyze verify`: unknown keys,
// bad values, a missing ExecStart binary), with /opt/duet mapped to this checkout and each
// EnvironmentFile to its example, so the paths the units name are real.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECORDER_ARGV } from '@duet/recorder/launch';
import { MEDIA_NODE_ARGV } from '@duet/signaling/launch';
import { DEPLOY_DIR, REPO_ROOT, run } from './support/exec.ts';

const UNIT_DIR = join(DEPLOY_DIR, 'systemd');
const units = readdirSync(UNIT_DIR).filter((f) => f.endsWith('.service'));

/** key=value lines of one [Section] (a key may repeat). */
function section(text: string, name: string): [string, string][] {
  const out: [string, string][] = [];
  let current = '';
  for (const line of text.split('\n')) {
    const header = /^\[(.+)\]$/.exec(line.trim());
    if (header) current = header[1]!;
    else if (current === name && /^[A-Za-z]+=/.test(line)) {
      const i = line.indexOf('=');
      out.push([line.slice(0, i), line.slice(i + 1)]);
    }
  }
  return out;
}

function localized(text: string): string {
  return text
    .replaceAll('/opt/duet/', `${REPO_ROOT}/`)
    .replaceAll('WorkingDirectory=/opt/duet', `WorkingDirectory=${REPO_ROOT}`)
    .replace(/EnvironmentFile=\/etc\/duet\/(\w+)\.env/g, (_m, role: string) => `EnvironmentFile=${DEPLOY_DIR}/env/${role}.env.example`);
}

async function verify(dir: string, file: string): Promise<{ code: number | null; output: string }> {
  const r = await run('systemd-analyze', ['verify', '--man=no', join(dir, file)], { cwd: dir });
  // Lines about other units on this machine (not ours) are not our concern.
  const output = (r.stdout + r.stderr)
    .split('\n')
    .filter((l) => l.includes(file))
    .join('\n');
  return { code: r.code, output };
}

describe('systemd units', () => {
  it('there is one unit per role', () => {
    expect(units.sort()).toEqual(['duet-api.service', 'duet-media.service', 'duet-recorder.service']);
  });

  it.each(units)('%s passes systemd-analyze verify with no warnings', async (unit) => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-systemd-'));
    try {
      writeFileSync(join(dir, unit), localized(readFileSync(join(UNIT_DIR, unit), 'utf8')));
      const { code, output } = await verify(dir, unit);
      expect(output).toBe('');
      expect(code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(units)('%s is hardened and stops gracefully', (unit) => {
    const text = readFileSync(join(UNIT_DIR, unit), 'utf8');
    const service = new Map(section(text, 'Service'));
    expect(service.get('DynamicUser')).toBe('yes');
    expect(service.get('NoNewPrivileges')).toBe('yes');
    expect(service.get('ProtectSystem')).toBe('strict');
    expect(service.get('CapabilityBoundingSet')).toBe('');
    expect(service.get('Restart')).toBe('always');
    expect(service.get('KillSignal')).toBe('SIGTERM');
    expect(Number(service.get('TimeoutStopSec'))).toBeGreaterThanOrEqual(30);
    expect(Number(service.get('LimitNOFILE'))).toBeGreaterThanOrEqual(65536);
    // The example env file exists and the entry point is a file of this repo.
    const envFile = /^\/etc\/duet\/(\w+)\.env$/.exec(service.get('EnvironmentFile') ?? '');
    expect(envFile, 'EnvironmentFile=/etc/duet/<role>.env').toBeTruthy();
    expect(existsSync(join(DEPLOY_DIR, 'env', `${envFile![1]}.env.example`))).toBe(true);
    const exec = /^\/opt\/duet\/node_modules\/\.bin\/node (.+)$/.exec(service.get('ExecStart') ?? '');
    expect(exec, service.get('ExecStart')).toBeTruthy();
    const argv = exec![1]!.split(' ');
    if (unit === 'duet-recorder.service') {
      // The built JavaScript (scripts/build-recorder.sh, in the RUNBOOK's install steps) with the recorder's flags.
      expect(argv).toEqual(RECORDER_ARGV);
      expect(readFileSync(join(DEPLOY_DIR, 'RUNBOOK.md'), 'utf8')).toContain('bash scripts/build-recorder.sh');
      expect(existsSync(join(REPO_ROOT, 'recorder/src/main.ts'))).toBe(true);
    } else if (unit === 'duet-media.service') {
      expect(argv).toEqual(MEDIA_NODE_ARGV);
      expect(existsSync(join(REPO_ROOT, argv.at(-1)!))).toBe(true);
    } else {
      expect(argv).toHaveLength(1);
      expect(argv[0]).toMatch(/\.ts$/);
      expect(existsSync(join(REPO_ROOT, argv[0]!)), `${argv[0]} exists`).toBe(true);
    }
  });

  it('a broken unit is reported (the check can fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-systemd-'));
    try {
      const good = localized(readFileSync(join(UNIT_DIR, 'duet-api.service'), 'utf8'));
      writeFileSync(join(dir, 'typo.service'), good.replace('NoNewPrivileges=yes', 'NoNewPrivilege=yes'));
      writeFileSync(join(dir, 'nobin.service'), good.replace(`${REPO_ROOT}/node_modules/.bin/node`, '/nonexistent/node'));
      expect((await verify(dir, 'typo.service')).output).toMatch(/Unknown key/);
      const nobin = await verify(dir, 'nobin.service');
      expect(nobin.code).not.toBe(0);
      expect(nobin.output).toMatch(/not executable|No such file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
