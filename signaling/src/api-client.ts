// What signaling asks the API: the facts of one lesson. Authenticated with the internal secret.
export interface LessonFacts {
  id: string;
  status: string;
  recording: boolean;
  scheduledStart: string;
  scheduledEnd: string;
  joinOpensAt: Date;
  joinClosesAt: Date;
}

export class LessonLookupError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly secret: string;

  constructor(baseUrl: string, secret: string) {
    this.baseUrl = baseUrl;
    this.secret = secret;
  }

  async lesson(sessionId: string): Promise<LessonFacts> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/internal/sessions/${encodeURIComponent(sessionId)}`, {
        headers: { authorization: `Bearer ${this.secret}` },
        signal: AbortSignal.timeout(5_000),
      });
    } catch (err) {
      throw new LessonLookupError(503, `the lesson service is unreachable (${(err as Error).message})`);
    }
    if (res.status === 404) throw new LessonLookupError(404, 'lesson not found');
    if (!res.ok) throw new LessonLookupError(res.status, `the lesson service answered ${res.status}`);
    const body = (await res.json()) as Record<string, unknown>;
    return {
      id: String(body.id),
      status: String(body.status),
      recording: body.recording === true,
      scheduledStart: String(body.scheduled_start),
      scheduledEnd: String(body.scheduled_end),
      joinOpensAt: new Date(String(body.join_opens_at)),
      joinClosesAt: new Date(String(body.join_closes_at)),
    };
  }
}
