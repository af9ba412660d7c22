// A real recorder (in this process, or as its own process for kill -9 tests) next to a real API.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '@duet/deploy/testing';
import { loadRecorderConfig } from '../../src/config.ts';
import { createRecorderService, type RecorderService } from '../../src/service.ts';
import { LocalObjectStore, type ObjectStore } from '../../src/store.ts';
import { afterAll, beforeAll } from 'vitest';
import { RECORDER_ARGV } from '../../src/launch.ts';
import { HOOK_SECRET, startApiOn, type TestApi } from '../../../api/test/support/harness.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
/** `node <this>` as production runs it (dist/main.js is built in this project's global setup). */
export { RECORDER_ARGV } from '../../src/launch.ts';

export interface RecorderHandle {
  url: string;
  logs: string[];
  call<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export function recorderEnv(workDir: string, apiUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    INTERNAL_HOOK_SECRET: HOOK_SECRET,
    API_INTERNAL_URL: apiUrl,
    RECORDER_WORK_DIR: workDir,
    RECORDER_SEGMENT_SECONDS: '2',
    RECORDER_IDLE_STOP_MS: '3000',
    RECORDER_HOST: '127.0.0.1',
    RECORDER_PORT: '0',
    // Most tests inspect the raw segments after ready; pipeline.test.ts checks the default (removed).
    RECORDING_KEEP_SEGMENTS: '1',
    ...extra,
  };
}

function client(url: string, secret = HOOK_SECRET) {
  return async <T = any>(method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${secret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

export async function startRecorderInProcess(env: Record<string, string>, store: ObjectStore): Promise<RecorderHandle & { service: RecorderService }> {
  const logs: string[] = [];
  const service = createRecorderService(loadRecorderConfig(env), store, (level, msg, extra) => logs.push(JSON.stringify({ level, msg, ...extra })), { uploadRetryMs: 100 });
  const { url } = await service.start();
  return { url, logs, service, call: client(url), close: () => service.close() };
}

/** The recorder as its own process, started as production starts it (RECORDER_ARGV), so a test can kill -9 it. */
export async function startRecorderProcess(env: Record<string, string>, fixedPort?: number): Promise<RecorderHandle & { child: ChildProcess }> {
  const port = fixedPort ?? (await freePort());
  const logs: string[] = [];
  const child = spawn(process.execPath, [...RECORDER_ARGV], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, RECORDER_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const onData = (c: Buffer) => {
    out += c.toString();
    logs.push(...c.toString().split('\n').filter(Boolean));
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`recorder did not start:\n${out}`)), 20_000);
    const check = () => {
      if (out.includes('recorder listening')) {
        clearTimeout(timer);
        resolveReady();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`recorder exited with ${code}:\n${out}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    logs,
    child,
    call: client(url, env.INTERNAL_HOOK_SECRET),
    close: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export const createLocalStore = (dir: string): ObjectStore => new LocalObjectStore(dir);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What every recorder test file sets up: a real API (PGlite) for the file, and temporary
 * directories removed after it (KEEP_TEST_DIRS=1 keeps them for a post-mortem).
 */
export function useRecorderTestBed(): { readonly api: TestApi; dir(prefix: string): Promise<string> } {
  let api: TestApi | undefined;
  const dirs: { remove(): Promise<void> }[] = [];
  beforeAll(async () => {
    api = await startApiOn('pglite');
  });
  afterAll(async () => {
    await api?.close();
    if (!process.env.KEEP_TEST_DIRS) for (const d of dirs) await d.remove();
  });
  return {
    get api() {
      if (!api) throw new Error('the API starts in beforeAll');
      return api;
    },
    async dir(prefix: string) {
      const d = await tempDir(prefix);
      dirs.push(d);
      return d.path;
    },
  };
}
