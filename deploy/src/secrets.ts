// Embedded-mode secrets: generated once into <data dir>/secrets.json (mode 0600) so a restart keeps
// tokens and hooks valid. Any value given in the environment wins and is never written to disk.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

export interface PlatformSecrets {
  DUET_API_KEY: string;
  JOIN_TOKEN_SECRET: string;
  INTERNAL_HOOK_SECRET: string;
  /** Only when asked for (`extra`): the roles listen beyond loopback (DUET_HOST). */
  METRICS_TOKEN?: string;
}

const NAMES = ['DUET_API_KEY', 'JOIN_TOKEN_SECRET', 'INTERNAL_HOOK_SECRET'] as const;

export function loadOrCreateSecrets(
  dataDir: string,
  env: NodeJS.ProcessEnv,
  extra: readonly 'METRICS_TOKEN'[] = [],
): { secrets: PlatformSecrets; file: string } {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'secrets.json');
  let stored: Partial<PlatformSecrets> = {};
  if (existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<PlatformSecrets>;
    } catch {
      throw new Error(`${file} is not valid JSON: fix or delete it (deleting invalidates issued join links)`);
    }
  }
  let changed = false;
  const secrets = {} as PlatformSecrets;
  for (const name of [...NAMES, ...extra]) {
    const fromEnv = env[name];
    if (fromEnv) {
      secrets[name] = fromEnv;
      continue;
    }
    if (!stored[name]) {
      stored[name] = (name === 'DUET_API_KEY' ? 'duet_' : '') + randomBytes(32).toString('base64url');
      changed = true;
    }
    secrets[name] = stored[name]!;
  }
  if (changed) {
    writeFileSync(file, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return { secrets, file };
}
