// Debian's WebKitGTK (the engine closest to Safari available offline) driven through
// WebKitWebDriver, i.e. classic WebDriver over HTTP on 127.0.0.1, with a few lines of fetch as the
// client. MiniBrowser has no headless mode, so it draws into an Xvfb display of its own.
// Mock capture devices stand in for the camera and microphone.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Participant } from './lab-browsers.ts';
import { freePort } from '@duet/deploy/testing';

export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER || '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = process.env.WEBKIT_MINIBROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

function waitForOutput(child: ChildProcess, pattern: RegExp, what: string, timeoutMs = 20_000): Promise<RegExpExecArray> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not ready in ${timeoutMs} ms: ${out}`)), timeoutMs);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`${what} exited (${code}): ${out}`))));
  });
}

export interface WebKit {
  version: string;
  newParticipant(): Promise<Participant>;
  close(): Promise<void>;
}

export async function launchWebKit(): Promise<WebKit> {
  // -displayfd: Xvfb picks a free display number and tells us.
  const xvfb = spawn('Xvfb', ['-displayfd', '1', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const display = `:${(await waitForOutput(xvfb, /^(\d+)\n/m, 'Xvfb'))[1]}`;
  const port = await freePort();
  const driver = spawn(WEBKIT_DRIVER, [`--port=${port}`, '--host=127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DISPLAY: display } });
  const base = `http://127.0.0.1:${port}`;
  const sessions: string[] = [];
  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${base}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
    const json = (await res.json()) as { value: any };
    if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${res.status} ${JSON.stringify(json.value)}`);
    return json.value;
  };
  // The driver is up once it answers /status. (Its default --host=local fails without IPv6,
  // as in the suite's namespace: "Unable to listen for HTTP server at host local".)
  const deadline = Date.now() + 20_000;
  for (;;) {
    if ((await fetch(`${base}/status`).then((r) => r.ok, () => false))) break;
    if (Date.now() > deadline || driver.exitCode !== null) throw new Error('WebKitWebDriver did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const newSession = async (): Promise<{ id: string; version: string }> => {
    const created = await call('POST', '/session', {
      capabilities: {
        alwaysMatch: {
          'webkitgtk:browserOptions': {
            binary: MINIBROWSER,
            args: ['--automation', '--enable-mock-capture-devices=true', '--enable-media-stream=true', '--enable-webrtc=true', '--enable-webaudio=true'],
          },
        },
      },
    });
    sessions.push(created.sessionId);
    return { id: created.sessionId, version: `${created.capabilities.browserName} ${created.capabilities.browserVersion}` };
  };
  const first = await newSession();
  let firstFree = true;

  return {
    version: first.version,
    async newParticipant() {
      const id = firstFree ? first.id : (await newSession()).id;
      firstFree = false;
      const s = (path: string) => `/session/${id}${path}`;
      const find = async (testId: string): Promise<string> => {
        const end = Date.now() + 20_000;
        for (;;) {
          try {
            return (await call('POST', s('/element'), { using: 'css selector', value: `[data-testid="${testId}"]` }))[ELEMENT];
          } catch (err) {
            if (Date.now() > end) throw err;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      };
      return {
        browser: 'webkit',
        async run(fn, arg) {
          const script = `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => (${fn.toString()})(arguments[0])).then((v) => done({ ok: v === undefined ? null : v }), (e) => done({ err: String(e && e.stack || e) }));`;
          const r = await call('POST', s('/execute/async'), { script, args: [arg ?? null] });
          if (r && 'err' in r) throw new Error(`webkit page: ${r.err}`);
          return r.ok;
        },
        async click(testId) {
          await call('POST', s(`/element/${await find(testId)}/click`), {});
        },
        async fill(testId, text) {
          await call('POST', s(`/element/${await find(testId)}/value`), { text });
        },
        async goto(url) {
          await call('POST', s('/url'), { url });
        },
        async close() {
          await call('DELETE', s('')).catch(() => undefined);
          sessions.splice(sessions.indexOf(id), 1);
        },
      };
    },
    async close() {
      for (const id of sessions.splice(0)) await call('DELETE', `/session/${id}`).catch(() => undefined);
      driver.kill('SIGTERM');
      xvfb.kill('SIGTERM');
    },
  };
}
