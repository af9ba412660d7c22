// node:http (and node:https, only for an https API URL) loaded through require, not `import`:
// importing a built-in as an ES module builds its ESM facade, which reads every export, and
// node:http's include lazy getters (WebSocket, fetch-related) that load undici: ~13 MB resident
// for nothing. The recorder also posts its hooks with node:http rather than fetch (undici) for
// the same reason.
import { createRequire } from 'node:module';

type Http = typeof import('node:http');
type Https = typeof import('node:https');

const load = createRequire(import.meta.url);

export const http = load('node:http') as Http;

let https: Https | undefined;

export interface PostResult {
  status: number;
  body: string;
}

/** POSTs `body` to `url`; rejects on network errors and after `timeoutMs` without a full answer. */
export function postJson(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
  const target = new URL(url);
  const lib = target.protocol === 'https:' ? (https ??= load('node:https') as Https) : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      target,
      { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, timeout: timeoutMs },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text = text.length < 4096 ? text + c : text));
        res.once('end', () => {
          clearTimeout(deadline);
          resolve({ status: res.statusCode ?? 0, body: text });
        });
        res.once('error', fail);
      },
    );
    function fail(err: Error): void {
      clearTimeout(deadline);
      req.destroy();
      reject(err);
    }
    // `timeout` above is per idle socket; this bounds the whole exchange.
    const deadline = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    req.once('timeout', () => fail(new Error(`timed out after ${timeoutMs} ms`)));
    req.once('error', fail);
    req.end(body);
  });
}
