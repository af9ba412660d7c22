// The API as a real child process (`node api/src/main.ts`) for tests of process-level behaviour:
// signals, crashes, several workers. Output is collected for failure messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually } from './harness.ts';
import { freePort } from '@duet/deploy/testing';

export { freePort };

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));


export interface ApiProcess {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
}

/** Spawns the API with `env` (merged over this process's env); does not wait for it. */
export function spawnApi(env: Record<string, string>, log?: { text: string }): ApiProcess {
  const out = log ?? { text: '' };
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (out.text += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out.text += c.toString()));
  return { child, output: () => out.text };
}

/** Spawns the API and resolves once `url`/healthz answers (fails with its output if it exits first). */
export async function startApi(env: Record<string, string>, url: string, log?: { text: string }): Promise<ApiProcess> {
  const api = spawnApi(env, log);
  try {
    await eventually(async () => {
      if (api.child.exitCode !== null) throw new Error(`api exited: ${api.output()}`);
      return (await fetch(`${url}/healthz`).catch(() => null))?.ok ? true : undefined;
    }, 60_000);
  } catch (err) {
    // Not handed to the caller, so nobody else would stop it: an API that never came up kept
    // running after its test (webhook-crash under the hunt's load, found 10 minutes later).
    api.child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}; the API's output:\n${api.output().slice(-2000)}`);
  }
  return api;
}

/** Resolves with the exit code (null when killed by a signal) once the process has exited. */
export function exited(child: ChildProcess): Promise<number | null> {
  // 'close', not 'exit': by then the process's last output lines have been read (tests check
  // them; 'exit' can come first, and 'all API workers stopped' was missing once under load).
  return new Promise((r) => {
    const drained = child.stdout?.readableEnded !== false && child.stderr?.readableEnded !== false;
    if ((child.exitCode !== null || child.signalCode !== null) && drained) return r(child.exitCode);
    child.once('close', (code) => r(code));
  });
}
