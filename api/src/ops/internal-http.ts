// The HTTP client the media node and the recorder call the API with: the node's per-join calls
// (seat checks, lesson facts, chat, whiteboard), both parts' lifecycle hooks. `node:http` on a
// keep-alive agent rather than `fetch`: the signaling bench's CPU profile of a 200 joins/s churn
// put ~30 % of the node's event loop in undici's fetch machinery (WHATWG streams, Headers,
// AbortSignal timers) for these small JSON requests; a plain request on a reused socket costs a
// fraction of that. Infrequent calls (node registration, join keys) keep `fetch`.
// node:http (and node:https, only for an https URL) are loaded through require, not `import`:
// importing a built-in as an ES module builds its ESM facade, which reads every export, and
// node:http's include lazy getters (WebSocket, fetch-related) that load undici: ~13 MB resident
// the recorder's memory budget does not have.
import { createRequire } from 'node:module';
import type { Agent, IncomingHttpHeaders } from 'node:http';

type Http = typeof import('node:http');
type Https = typeof import('node:https');
const load = createRequire(import.meta.url);
const http = load('node:http') as Http;

export interface InternalResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text(): string;
  /** The body as JSON, or `fallback` when it is not JSON. */
  json<T>(fallback: T): T;
}

export interface InternalRequest {
  method?: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Whole request, connect to last byte (default 5 s). */
  timeoutMs?: number;
  /** Larger answers are refused (default 1 MiB; the API's own caps are smaller). */
  maxBytes?: number;
}

/** The request could not complete: unreachable, timed out, cut, or an answer over the cap. */
export class InternalHttpError extends Error {}

// Sockets stay open between calls; a node seating 200 people a second makes ~1,000 calls a second.
// maxSockets bounds what a burst can open towards one API.
const AGENT_OPTIONS = { keepAlive: true, keepAliveMsecs: 10_000, maxSockets: 64, maxFreeSockets: 16, scheduling: 'lifo' as const };
const httpAgent = new http.Agent(AGENT_OPTIONS);
let secureLib: { https: Https; agent: Agent } | undefined;
const secureClient = () => {
  if (!secureLib) {
    const https = load('node:https') as Https;
    secureLib = { https, agent: new https.Agent(AGENT_OPTIONS) };
  }
  return secureLib;
};

/**
 * One call to the API. Every call the node makes this way is idempotent (checks, reads, writes
 * keyed by an id), so one that a kept-alive socket's close raced (the server closed the idle
 * socket as the request went out: ECONNRESET on a reused socket, Node's documented case) is sent
 * once more on a fresh socket.
 */
export async function internalRequest(url: string, opts: InternalRequest = {}): Promise<InternalResponse> {
  try {
    return await requestOnce(url, opts);
  } catch (err) {
    if (err instanceof StaleSocketError) return requestOnce(url, opts);
    throw err;
  }
}

class StaleSocketError extends InternalHttpError {}

function requestOnce(url: string, opts: InternalRequest): Promise<InternalResponse> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') return Promise.reject(new InternalHttpError(`unsupported protocol ${target.protocol}`));
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? Buffer.from(opts.body) : opts.body;
  const headers: Record<string, string | number> = { ...opts.headers };
  if (body !== undefined) headers['content-length'] = body.byteLength;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (msg: string, stale = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(stale ? new StaleSocketError(msg) : new InternalHttpError(msg));
    };
    const lib = secure ? secureClient() : undefined;
    const req = (lib ? lib.https : http).request(target, { method: opts.method ?? 'GET', headers, agent: lib ? lib.agent : httpAgent }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) return fail(`answer larger than ${maxBytes} bytes`);
        chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: all,
          text: () => all.toString('utf8'),
          json: <T>(fallback: T): T => {
            try {
              return JSON.parse(all.toString('utf8')) as T;
            } catch {
              return fallback;
            }
          },
        });
      });
      res.on('error', (err) => fail(err.message));
      res.on('aborted', () => fail('the answer was cut off'));
    });
    const timer = setTimeout(() => fail(`no answer within ${opts.timeoutMs ?? 5_000} ms`), opts.timeoutMs ?? 5_000);
    req.on('error', (err: NodeJS.ErrnoException) => fail(err.message, req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')));
    req.end(body);
  });
}
