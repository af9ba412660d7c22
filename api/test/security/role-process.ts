// Starting a role (api, signaling, recorder) as a real process to see how it refuses a bad
// configuration: exit code 2, the variable named, no stack trace, the secret not echoed.
import { spawn } from 'node:child_process';
import { expect } from 'vitest';

/**
 * Runs `node <argv…>` (a script path, or flags then a script) from `cwd` with exactly `env` (plus
 * PATH); resolves when it exits, or kills it after `ms`.
 */
export function runRole(argv: string | readonly string[], env: Record<string, string>, ms = 20_000, cwd?: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const args = typeof argv === 'string' ? [argv] : [...argv];
    const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

export function expectRefused(r: { code: number | null; out: string }, variable: string, value?: string): void {
  expect(r.code, r.out).toBe(2);
  expect(r.out).toContain(variable);
  // A clear message, not a crash: no stack frames, and the secret itself is not echoed.
  expect(r.out).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  if (value) expect(r.out).not.toContain(value);
}
