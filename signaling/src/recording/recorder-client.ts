// The media node's side of the recorder's loopback HTTP API (Bearer INTERNAL_HOOK_SECRET).
import type { TapCodec } from '@duet/sfu';
import { HttpStatusError } from '../http-status-error.ts';

export interface RecorderTrackStatus {
  trackId: string;
  kind: 'audio' | 'video';
  port: number;
  rtcpPort: number;
  run: number;
  live: boolean;
  /** A video the recorder needs a keyframe for (not recorded yet, or its newest run has none yet; gapless recordings). */
  waitingForKeyframe?: boolean;
}

export interface RecorderRecordingStatus {
  recordingId: string;
  lessonId: string;
  state: string;
  partial: boolean;
  tracks: RecorderTrackStatus[];
}

export interface TrackRequest {
  trackId: string;
  role: 'tutor' | 'student';
  source: 'camera' | 'microphone' | 'screen';
  kind: 'audio' | 'video';
  codec: TapCodec;
}

/** The recorder refused or could not be reached. */
export class RecorderRequestError extends HttpStatusError {}

export type RecordingLog = (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;

export class RecorderClient {
  readonly baseUrl: string;
  /** Address FFmpeg listens on (the recorder runs next to this media node). */
  readonly rtpAddress: string;
  readonly log: RecordingLog;
  private readonly secret: string;

  constructor(baseUrl: string, secret: string, log: RecordingLog, rtpAddress = '127.0.0.1') {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.secret = secret;
    this.log = log;
    this.rtpAddress = rtpAddress;
  }

  private async call<T>(method: string, path: string, body?: unknown, timeoutMs = 15_000): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.secret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new RecorderRequestError(503, `recorder unreachable: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new RecorderRequestError(res.status, `recorder answered ${res.status}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  }

  start(lessonId: string): Promise<RecorderRecordingStatus> {
    // gapless: this node moves every tap whose port changed and gets each video a keyframe there
    // (LessonRecorder.reconcile), so the recorder starts each new FFmpeg run on new ports before
    // stopping the old one (issue 15, docs/recording-playback.md "Gapless track changes").
    return this.call('POST', '/v1/recordings', { lessonId, gapless: true });
  }

  status(recordingId: string): Promise<RecorderRecordingStatus> {
    return this.call('GET', `/v1/recordings/${recordingId}`, undefined, 5_000);
  }

  addTrack(recordingId: string, track: TrackRequest): Promise<RecorderTrackStatus> {
    return this.call('POST', `/v1/recordings/${recordingId}/tracks`, track);
  }

  async removeTrack(recordingId: string, trackId: string): Promise<void> {
    await this.call('DELETE', `/v1/recordings/${recordingId}/tracks/${trackId}`);
  }

  async detach(recordingId: string): Promise<void> {
    await this.call('POST', `/v1/recordings/${recordingId}/detach`, {});
  }

  async stop(recordingId: string, reason: string): Promise<void> {
    await this.call('POST', `/v1/recordings/${recordingId}/stop`, { reason });
  }

  /** Finalize a failed recording again (the recorder holds its local files). */
  retry(recordingId: string): Promise<RecorderRecordingStatus> {
    return this.call('POST', `/v1/recordings/${encodeURIComponent(recordingId)}/retry`, {});
  }
}

/** RECORDER_URL enables recording on this media node; without it recorded lessons are not recorded (logged). */
export function recorderClientFromEnv(env: NodeJS.ProcessEnv, secret: string, log: RecordingLog): RecorderClient | undefined {
  const url = env.RECORDER_URL;
  if (!url) return undefined;
  try {
    new URL(url);
  } catch {
    throw new Error(`RECORDER_URL must be a URL, got "${url}"`);
  }
  return new RecorderClient(url, secret, log);
}
