// Paths of the test-only tools scripts/install-test-tools.sh installs (recorded in
// .duet/test-tools.env) and of the Debian packages scripts/bootstrap.sh installs.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './exec.ts';

/** `DUET_<NAME>` from the environment, else from .duet/test-tools.env, else `fallback`. */
export function testTool(name: string, fallback: string): string {
  const key = `DUET_${name}`;
  if (process.env[key]) return process.env[key]!;
  const recorded = join(REPO_ROOT, '.duet/test-tools.env');
  const line = existsSync(recorded) ? readFileSync(recorded, 'utf8').split('\n').find((l) => l.startsWith(`${key}=`)) : undefined;
  return line?.slice(key.length + 1).trim() || fallback;
}

export const HELM = testTool('HELM', join(homedir(), '.cache/duet/helm-v3.22.0/helm'));
/** deploy/bench/install-k6.sh's build (pinned there). */
export const K6 = testTool('K6', join(homedir(), '.cache/duet/k6-v1.8.1/k6'));
export const KUBECONFORM = testTool('KUBECONFORM', join(homedir(), '.cache/duet/kubeconform-v0.7.0/kubeconform'));
/** Debian's `prometheus` package (scripts/bootstrap.sh). */
export const PROMTOOL = '/usr/bin/promtool';
export const PROMETHEUS = '/usr/bin/prometheus';
