import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateSecrets } from '../src/secrets.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'duet-secrets-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('embedded secrets', () => {
  it('generates strong secrets once, private to the owner, and reuses them', () => {
    const dir = tmp();
    const first = loadOrCreateSecrets(dir, {});
    expect(first.secrets.DUET_API_KEY).toMatch(/^duet_[\w-]{43}$/);
    expect(first.secrets.JOIN_TOKEN_SECRET.length).toBeGreaterThanOrEqual(43);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecrets(dir, {}).secrets).toEqual(first.secrets);
  });

  it('lets the environment win without writing it to disk', () => {
    const dir = tmp();
    const { secrets, file } = loadOrCreateSecrets(dir, { DUET_API_KEY: 'from-the-environment-1234567890' });
    expect(secrets.DUET_API_KEY).toBe('from-the-environment-1234567890');
    expect(readFileSync(file, 'utf8')).not.toContain('from-the-environment');
  });

  it('refuses a corrupt secrets file with a clear message instead of replacing it', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'secrets.json'), '{oops');
    expect(() => loadOrCreateSecrets(dir, {})).toThrow(/secrets.json is not valid JSON/);
  });
});
