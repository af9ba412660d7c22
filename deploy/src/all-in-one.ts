// `npm start`: every role on one machine with embedded defaults — the API (PGlite under ./data,
// local object storage) and one media node (signaling + mediasoup) — then a demo lesson whose two
// join links are printed. Each role also runs alone: api/src/main.ts, signaling/src/main.ts.
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createApiServer, loadApiConfig } from '@duet/api';
import { createSignalingServer, guardProcess, loadSignalingConfig } from '@duet/signaling';
import { createObjectStore, loadStorageConfig } from '@duet/api/storage';
import { createRecorderService, loadRecorderConfig } from '@duet/recorder';
import { loadOrCreateSecrets } from './secrets.ts';
import { isLoopbackHost } from '@duet/api/secrets';
import { createDemoLesson } from './demo-lesson.ts';
import { mediaHostEnv, nodeEnv } from './node-env.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

async function main(): Promise<void> {
  const dataDir = resolve(process.env.DUET_DATA_DIR || resolve(REPO_ROOT, 'data'));
  const host = process.env.DUET_HOST || '127.0.0.1';
  // Beyond loopback (a LAN demo) every role wants a /metrics token: generate one with the others.
  const { secrets, file: secretsFile } = loadOrCreateSecrets(dataDir, process.env, isLoopbackHost(host) ? [] : ['METRICS_TOKEN']);
  const apiPort = process.env.API_PORT || '8080';
  const signalingPort = process.env.SIGNALING_PORT || '8090';
  const env: NodeJS.ProcessEnv = {
    DUET_DATA_DIR: dataDir,
    API_HOST: host,
    API_PORT: apiPort,
    SIGNALING_HOST: host,
    SIGNALING_PORT: signalingPort,
    API_INTERNAL_URL: `http://${host}:${apiPort}`,
    SIGNALING_PUBLIC_URL: `ws://${host}:${signalingPort}/ws`,
    WEB_DIST_DIR: resolve(REPO_ROOT, 'web/dist'),
    ...process.env,
    ...secrets,
  };

  // The media node and the recorder get what a separate media host would: their node's own
  // NODE_ID + NODE_SECRET (hooks and internal calls as `dn1:` for this node's lessons only), never
  // INTERNAL_HOOK_SECRET or the API's signing secrets. The node registers under NODE_ID.
  const mediaEnv = mediaHostEnv(
    { ...env, NODE_PUBLIC_URL: env.NODE_PUBLIC_URL || env.SIGNALING_PUBLIC_URL, NODE_INTERNAL_URL: env.NODE_INTERNAL_URL || `http://${host}:${signalingPort}` },
    nodeEnv(secrets.INTERNAL_HOOK_SECRET, process.env.NODE_ID || 'local'),
  );

  // Structured logs of both roles go to one file, so the console shows just the links
  // (DUET_LOG_STDOUT=1 sends them to stdout instead).
  const logFile = join(dataDir, 'logs', 'duet.log');
  let logStream: { write(line: string): void } = process.stdout;
  if (process.env.DUET_LOG_STDOUT !== '1') {
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    logStream = createWriteStream(logFile, { flags: 'a' });
  }
  // The recorder runs in this process too, unless RECORDER_URL points at one running elsewhere
  // (or RECORDER_ENABLED=0). Signaling finds it through RECORDER_URL.
  const store = createObjectStore(loadStorageConfig(env, dataDir));
  const recorder =
    process.env.RECORDER_URL || env.RECORDER_ENABLED === '0'
      ? null
      : createRecorderService(loadRecorderConfig({ RECORDER_PORT: '0', ...mediaEnv }), store, (level, msg, extra) =>
          logStream.write(JSON.stringify({ level, time: new Date().toISOString(), service: 'recorder', msg, ...extra }) + '\n'),
        );
  if (recorder) {
    const { url } = await recorder.start();
    process.env.RECORDER_URL = url;
  }
  guardProcess((msg, extra) => logStream.write(JSON.stringify({ level: 'error', time: new Date().toISOString(), service: 'duet', msg, ...extra }) + '\n'));
  // The media node verifies join tokens with the API's public keys: it is not handed the signing secret.
  const signaling = await createSignalingServer(loadSignalingConfig({ ...mediaEnv, RECORDER_URL: process.env.RECORDER_URL }), (level, msg, extra) =>
    logStream.write(JSON.stringify({ level, time: new Date().toISOString(), service: 'signaling', msg, ...extra }) + '\n'),
  );
  const api = createApiServer(loadApiConfig(env), { logStream, objects: store });
  const shutdown = async () => {
    await signaling.close().catch(() => undefined);
    await recorder?.close().catch(() => undefined);
    await api.close().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());

  // The API first: the node registers with it (as NODE_ID, with its own credential) before the
  // demo lesson is placed, so the lesson lands on this node.
  const { url: apiUrl } = await api.start();
  const { wsUrl } = await signaling.start();
  await untilRegistered(wsUrl.replace(/^ws/, 'http').replace(/\/ws$/, '/readyz'));

  const lines = [
    '',
    'Duet is running (Ctrl-C to stop).',
    `  API and web room : ${apiUrl}`,
    `  Media node       : ${wsUrl}`,
    `  Recorder         : ${process.env.RECORDER_URL ?? 'off'}`,
    `  Data             : ${dataDir}`,
    `  API key          : in ${secretsFile}`,
    `  Logs             : ${process.env.DUET_LOG_STDOUT === '1' ? 'stdout' : logFile}`,
  ];
  if (process.env.DUET_DEMO_LESSON !== '0') {
    const demo = await createDemoLesson(apiUrl, secrets.DUET_API_KEY, { recording: process.env.DUET_DEMO_RECORDING === '1' });
    lines.push(
      '',
      `Demo lesson "${demo.title}" (${demo.id}), open now until ${new Date(demo.scheduledEnd).toLocaleTimeString()}.`,
      'Open each link in its own browser tab:',
      `  Tutor   : ${demo.tutorUrl}`,
      `  Student : ${demo.studentUrl}`,
    );
  }
  // A machine-readable line for scripts and tests that start the platform.
  if (process.env.DUET_PRINT_READY === '1') lines.push('', `DUET_READY ${JSON.stringify({ apiUrl, wsUrl })}`);
  process.stdout.write(lines.join('\n') + '\n\n');
}

/** The node's /readyz answers 200 once it is registered with the API (bounded: 20 s). */
async function untilRegistered(readyz: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(readyz).catch(() => null);
    if (res?.status === 200) return;
    const why = res ? await res.text() : 'no answer';
    if (Date.now() > deadline) throw new Error(`the media node did not become ready within 20 s: ${why}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

main().catch((err: Error) => {
  process.stderr.write(`duet: failed to start: ${err.message}\n`);
  process.exit(1);
});
