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
      : createRecorderService(loadRecorderConfig({ RECORDER_PORT: '0', ...env }), store, (level, msg, extra) =>
          logStream.write(JSON.stringify({ level, time: new Date().toISOString(), service: 'recorder', msg, ...extra }) + '\n'),
        );
  if (recorder) {
    const { url } = await recorder.start();
    process.env.RECORDER_URL = url;
  }
  guardProcess((msg, extra) => logStream.write(JSON.stringify({ level: 'error', time: new Date().toISOString(), service: 'duet', msg, ...extra }) + '\n'));
  // The media node verifies join tokens with the API's public keys: it is not handed the signing secret.
  const signaling = await createSignalingServer(loadSignalingConfig({ ...env, JOIN_TOKEN_SECRET: undefined }), (level, msg, extra) =>
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

  const { wsUrl } = await signaling.start();
  const { url: apiUrl } = await api.start();

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

main().catch((err: Error) => {
  process.stderr.write(`duet: failed to start: ${err.message}\n`);
  process.exit(1);
});
