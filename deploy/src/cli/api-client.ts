// The CLI's access to the API's public endpoints: the generated client (@duet/sdk, typed from
// api/openapi.json) authenticated with the API key. Errors carry the API's machine-readable code;
// the key itself never appears in messages.
import { createDuetClient, type DuetClient } from '@duet/sdk/fetch';

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
}

type Result<D> = { data?: D; error?: unknown; response: Response };

export class ApiClient {
  /** The typed client: `api.duet.GET('/v1/sessions/{id}', { params: { path: { id } } })`. */
  readonly duet: DuetClient;
  private readonly baseUrl: string;
  constructor(opts: ApiClientOptions) {
    this.baseUrl = opts.baseUrl;
    const timeoutMs = opts.timeoutMs ?? 15_000;
    this.duet = createDuetClient({
      baseUrl: opts.baseUrl,
      apiKey: opts.apiKey,
      headers: { accept: 'application/json' },
      fetch: (req) => fetch(req, { signal: AbortSignal.timeout(timeoutMs) }),
    });
  }

  /** The data of a 2xx answer; otherwise a CliError naming `what` (e.g. "GET /v1/nodes"), the status and the API's code. */
  async call<D>(what: string, pending: Promise<Result<D>>): Promise<NonNullable<D>> {
    let result: Result<D>;
    try {
      result = await pending;
    } catch (err) {
      const e = err as Error;
      if (e instanceof SyntaxError) throw new CliError(`${what}: the API answered with non-JSON content`);
      throw new CliError(`cannot reach the API at ${this.baseUrl}: ${e.cause instanceof Error ? e.cause.message : e.message}`);
    }
    const res = result.response;
    if (res.ok) return (result.data ?? {}) as NonNullable<D>;
    const body = (typeof result.error === 'object' && result.error !== null ? result.error : {}) as { error?: { code?: string; message?: string }; code?: string; message?: string };
    if (typeof result.error === 'string' && result.error !== '') throw new CliError(`${what}: the API answered ${res.status} with non-JSON content`);
    const code = body.error?.code ?? body.code ?? `http_${res.status}`;
    const message = body.error?.message ?? body.message ?? '';
    const hint = res.status === 401 ? ' (check DUET_API_KEY)' : res.status === 404 && message.startsWith('no route') ? ' (this API version does not have that endpoint)' : '';
    throw new CliError(`${what} failed: ${res.status} ${code}${message ? `: ${message}` : ''}${hint}`);
  }
}
