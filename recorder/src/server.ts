// The recorder's HTTP API, for the media node next to it (loopback, Bearer INTERNAL_HOOK_SECRET):
//   POST   /v1/recordings                       {lessonId, gapless?}        -> the lesson's live recording (new or re-attached); gapless: the recorder relays each track's RTP (rtp-relay.ts)
//   GET    /v1/recordings/:id                                               -> state and live tracks (ports, run numbers)
//   POST   /v1/recordings/:id/tracks            {trackId, role, source, kind, codec} -> ports FFmpeg listens on (new run)
//   DELETE /v1/recordings/:id/tracks/:trackId                              -> the lesson's FFmpeg goes on without it (new run)
//   POST   /v1/recordings/:id/detach                                        -> room emptied: finalize after RECORDER_IDLE_STOP_MS
//   POST   /v1/recordings/:id/stop              {reason}                    -> finalize now (202; progress in the logs)
//   GET    /healthz                                                         -> the process answers (no auth)
//   GET    /readyz                                                          -> 200 when storage answers, the API is configured and not draining; else 503 + reasons
//   GET    /metrics                                                         -> Prometheus text (Bearer METRICS_TOKEN when set; required beyond loopback)
// While draining (SIGTERM) new recordings, tracks, detach and stop get 503 `draining`.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Recorder } from './recorder.ts';
import type { TrackSpec } from './recording.ts';
import type { Log } from './hook-client.ts';
import type { RecorderMetrics } from './metrics.ts';
import { http } from './node-http.ts';
import { bearerMatches } from '@duet/api/secrets';

export interface RecorderOps {
  metrics: RecorderMetrics;
  draining(): boolean;
  ready(): Promise<{ ready: boolean; reasons: string[] }>;
}

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_BODY = 64 * 1024;

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function sameSecret(given: string | undefined, expected: string): boolean {
  const a = createHash('sha256').update(given ?? '').digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given !== undefined;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'body_too_large', 'request body too large');
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error();
    return v as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'invalid_json', 'body must be a JSON object');
  }
}

function parseTrack(b: Record<string, unknown>): TrackSpec {
  const bad = (msg: string) => new HttpError(400, 'invalid_track', msg);
  const { trackId, role, source, kind, codec } = b;
  if (typeof trackId !== 'string' || !ID_RE.test(trackId)) throw bad('trackId must be 1-64 characters [A-Za-z0-9_-]');
  if (role !== 'tutor' && role !== 'student') throw bad('role must be tutor or student');
  if (source !== 'camera' && source !== 'microphone' && source !== 'screen') throw bad('source must be camera, microphone or screen');
  if (kind !== 'audio' && kind !== 'video') throw bad('kind must be audio or video');
  if (typeof codec !== 'object' || codec === null) throw bad('codec is required');
  const c = codec as Record<string, unknown>;
  if (typeof c.mimeType !== 'string' || !c.mimeType.toLowerCase().startsWith(`${kind}/`)) throw bad(`codec.mimeType must be a ${kind} codec`);
  if (!['audio/opus', 'video/vp8', 'video/vp9', 'video/h264'].includes(c.mimeType.toLowerCase())) throw bad(`cannot record codec ${c.mimeType}`);
  if (!Number.isInteger(c.payloadType) || (c.payloadType as number) < 0 || (c.payloadType as number) > 127) throw bad('codec.payloadType must be 0-127');
  if (!Number.isInteger(c.clockRate) || (c.clockRate as number) <= 0) throw bad('codec.clockRate must be a positive integer');
  if (c.channels !== undefined && (!Number.isInteger(c.channels) || (c.channels as number) < 1 || (c.channels as number) > 8)) throw bad('codec.channels must be 1-8');
  const parameters: Record<string, string | number> = {};
  if (c.parameters !== undefined) {
    if (typeof c.parameters !== 'object' || c.parameters === null) throw bad('codec.parameters must be an object');
    for (const [k, v] of Object.entries(c.parameters)) {
      if (!/^[A-Za-z0-9-]{1,40}$/.test(k) || (typeof v !== 'number' && (typeof v !== 'string' || !/^[A-Za-z0-9.,/-]{0,80}$/.test(v)))) throw bad(`codec parameter ${k} is not valid`);
      parameters[k] = v as string | number;
    }
  }
  return {
    trackId,
    role,
    source,
    kind,
    codec: { mimeType: c.mimeType, payloadType: c.payloadType as number, clockRate: c.clockRate as number, ...(c.channels !== undefined ? { channels: c.channels as number } : {}), parameters },
  };
}

export function createRecorderHttp(recorder: Recorder, log: Log, ops: RecorderOps): Server {
  const secret = recorder.config.internalHookSecret;
  const json = (res: ServerResponse, status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://recorder');
    if (req.method === 'GET' && url.pathname === '/healthz') return json(res, 200, { ok: true, draining: ops.draining(), recordings: recorder.all().filter((r) => r.state === 'recording').length });
    if (req.method === 'GET' && url.pathname === '/readyz') {
      const r = await ops.ready();
      return json(res, r.ready ? 200 : 503, r);
    }
    if (req.method === 'GET' && url.pathname === '/metrics') {
      const token = recorder.config.metricsToken;
      if (token && !bearerMatches(req.headers.authorization, token)) throw new HttpError(401, 'unauthorized', 'Authorization: Bearer <METRICS_TOKEN> is required');
      const body = await ops.metrics.render();
      return void res.writeHead(200, { 'content-type': ops.metrics.contentType }).end(body);
    }
    if (!sameSecret(req.headers.authorization?.replace(/^Bearer /, ''), secret)) throw new HttpError(401, 'unauthorized', 'internal secret required');
    const parts = url.pathname.split('/').filter(Boolean);
    // Reads and track removal (it only closes a segment) go on while draining.
    if (ops.draining() && req.method === 'POST') throw new HttpError(503, 'draining', 'this recorder is shutting down; the lesson records on its next node');
    if (parts[0] !== 'v1' || parts[1] !== 'recordings') throw new HttpError(404, 'not_found', 'not found');
    if (parts.length === 2 && req.method === 'POST') {
      const { lessonId, gapless } = await readJson(req);
      if (typeof lessonId !== 'string' || !UUID_RE.test(lessonId)) throw new HttpError(400, 'invalid_lesson', 'lessonId must be a UUID');
      if (gapless !== undefined && typeof gapless !== 'boolean') throw new HttpError(400, 'invalid_gapless', 'gapless must be a boolean');
      const rec = await recorder.startForLesson(lessonId);
      if (gapless) rec.followPortChanges();
      return json(res, 201, rec.status());
    }
    const rec = parts[2] ? recorder.get(parts[2]) : undefined;
    if (!rec) throw new HttpError(404, 'not_found', 'no such recording');
    if (parts.length === 3 && req.method === 'GET') return json(res, 200, rec.status());
    if (parts.length === 4 && parts[3] === 'tracks' && req.method === 'POST') {
      const spec = parseTrack(await readJson(req));
      if (rec.state !== 'recording' || rec.isStopping) throw new HttpError(409, 'not_recording', `the recording is ${rec.state}`);
      return json(res, 201, await rec.addTrack(spec));
    }
    if (parts.length === 5 && parts[3] === 'tracks' && req.method === 'DELETE') {
      // Answers once the lesson's FFmpeg runs without the track (a new run: the media node
      // requests keyframes for the remaining video tracks).
      const removed = await rec.removeTrack(parts[4]!);
      return json(res, 200, { removed, ...rec.status() });
    }
    if (parts.length === 4 && parts[3] === 'detach' && req.method === 'POST') {
      rec.detach();
      return json(res, 200, rec.status());
    }
    if (parts.length === 4 && parts[3] === 'stop' && req.method === 'POST') {
      const { reason } = await readJson(req);
      void rec.stop(typeof reason === 'string' ? reason.slice(0, 40) : 'stopped').catch((err: Error) => log('error', 'stop failed', { session_id: rec.lessonId, recordingId: rec.id, error: err.message }));
      return json(res, 202, rec.status());
    }
    if (parts.length === 4 && parts[3] === 'retry' && req.method === 'POST') {
      if (!(await rec.retry())) throw new HttpError(409, 'recording_not_failed', `the recording is ${rec.state}; only a failed one is retried`);
      return json(res, 202, rec.status());
    }
    throw new HttpError(404, 'not_found', 'not found');
  }

  return http.createServer((req, res) => {
    route(req, res).catch((err: Error) => {
      if (err instanceof HttpError) return json(res, err.status, { error: { code: err.code, message: err.message } });
      log('error', 'recorder request failed', { method: req.method, path: req.url?.split('?')[0], error: err.message });
      json(res, 500, { error: { code: 'internal', message: err.message } });
    });
  });
}
