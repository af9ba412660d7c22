// The CLI's HTTP client for the API's public endpoints, authenticated with the API key.
// Errors carry the API's machine-readable code; the key itself never appears in messages.
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

export class ApiClient {
  private readonly opts: ApiClientOptions;
  constructor(opts: ApiClientOptions) {
    this.opts = opts;
  }

  async request<T = Record<string, unknown>>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = `${this.opts.baseUrl.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.opts.apiKey}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (err) {
      throw new CliError(`cannot reach the API at ${this.opts.baseUrl}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new CliError(`${method} ${path}: the API answered ${res.status} with non-JSON content`);
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string }; code?: string; message?: string }) ?? {};
      const code = e.error?.code ?? e.code ?? `http_${res.status}`;
      const message = e.error?.message ?? e.message ?? '';
      const hint = res.status === 401 ? ' (check DUET_API_KEY)' : res.status === 404 && message.startsWith('no route') ? ' (this API version does not have that endpoint)' : '';
      throw new CliError(`${method} ${path} failed: ${res.status} ${code}${message ? `: ${message}` : ''}${hint}`);
    }
    return json as T;
  }
}
