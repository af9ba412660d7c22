// The Duet API client: openapi-fetch over the types openapi-typescript generated from the
// committed OpenAPI document (sdk/src/schema.ts), so every route, parameter and answer is typed
// and nothing here is written by hand per route. Browser-safe (fetch only): the web room uses it.
//
//   const duet = createDuetClient({ baseUrl: 'https://duet.example', apiKey: process.env.DUET_API_KEY });
//   const lesson = await unwrap(duet.POST('/v1/sessions', { body: { … } }));
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.ts';

export type { paths, components, operations, webhooks } from './schema.ts';
export type DuetClient = Client<paths>;
export type Schemas = components['schemas'];

export interface DuetClientOptions {
  /** Where the API answers, e.g. `https://duet.example` (no trailing `/v1`). `''` = same origin (browser). */
  baseUrl: string;
  /** The marketplace's API key (server side only). */
  apiKey?: string;
  /** A participant's join token (the room page). */
  token?: string;
  /** Extra headers on every request; a function is called per request (e.g. a seat ticket that changes). */
  headers?: Record<string, string> | (() => Record<string, string | undefined>);
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

export function createDuetClient(opts: DuetClientOptions): DuetClient {
  const client = createClient<paths>({
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    // Resolved per call, so a test or a page that swaps globalThis.fetch is honoured.
    fetch: (req: Request) => (opts.fetch ?? globalThis.fetch)(req),
  });
  const credential = opts.apiKey ?? opts.token;
  client.use({
    onRequest({ request }) {
      if (credential) request.headers.set('authorization', `Bearer ${credential}`);
      const extra = typeof opts.headers === 'function' ? opts.headers() : opts.headers;
      for (const [k, v] of Object.entries(extra ?? {})) if (v !== undefined) request.headers.set(k, v);
      return request;
    },
  });
  return client;
}

/** An API answer other than 2xx: the stable `code` and its details (`{error: {code, message, …}}`), or `network`. */
export class DuetApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DuetApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

type Result<D> = { data?: D; error?: unknown; response: Response };

/**
 * The data of a successful call, or a DuetApiError: `await unwrap(duet.GET('/v1/sessions/{id}', …))`.
 * A call that never reached the API (DNS, refused, offline) is `DuetApiError {status: 0, code: 'network'}`.
 */
export async function unwrap<D>(call: Promise<Result<D>>): Promise<NonNullable<D>> {
  let result: Result<D>;
  try {
    result = await call;
  } catch (err) {
    throw new DuetApiError(0, 'network', `the Duet API cannot be reached: ${(err as Error).message}`);
  }
  if (result.response.ok) return result.data as NonNullable<D>;
  const body = (result.error ?? {}) as { error?: { code?: unknown; message?: unknown } & Record<string, unknown> };
  const e = body.error ?? {};
  throw new DuetApiError(
    result.response.status,
    typeof e.code === 'string' ? e.code : `http_${result.response.status}`,
    typeof e.message === 'string' ? e.message : `the Duet API answered ${result.response.status}`,
    e,
  );
}
