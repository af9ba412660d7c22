// One webhook POST for an endpoint created through the API, with node:http(s) rather than fetch so
// the name is resolved by our own lookup: every address it resolves to is checked (webhook-url.ts)
// and the connection goes to the address that was checked (no DNS-rebinding window between a check
// and the connect). Redirects are not followed (a 3xx is a failure), bodies are not read.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isBlockedAddress } from '../domain/webhook-url.ts';

export class BlockedAddressError extends Error {}

function guardedLookup(allowPrivate: boolean): LookupFunction {
  return ((hostname: string, options: object, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      if (!allowPrivate && list.some((a) => isBlockedAddress(a.address))) {
        return callback(new BlockedAddressError(`${hostname} resolves to a non-public address`), '', 0);
      }
      if ((options as { all?: boolean }).all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(new Error(`${hostname} has no address`), '', 0);
      callback(null, first.address, first.family);
    });
  }) as LookupFunction;
}

export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: { timeoutMs: number; signal: AbortSignal; allowPrivate: boolean },
): Promise<number> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!opts.allowPrivate && isIP(host) && isBlockedAddress(host)) return Promise.reject(new BlockedAddressError(`${host} is not a public address`));
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(opts.allowPrivate),
        timeout: opts.timeoutMs,
        signal: opts.signal,
      },
      (res) => {
        res.resume(); // the answer's body is not needed
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
