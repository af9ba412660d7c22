// The event catalogue is the one source for docs/events.md (regenerate with
// `node api/src/events/events-doc.ts`), and the small pure rules of issue 16: jittered backoff,
// the webhook URL policy (SSRF), the DNS guard at connect time, and the metadata bounds.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { EVENT_CATALOGUE } from '../src/events/catalogue.ts';
import { EVENTS_DOC_PATH, renderEventsDoc } from '../src/events/events-doc.ts';
import { EVENT_TYPES } from '../src/events/event.ts';
import { jitteredRetryDelayMs } from '../src/jobs/retry-backoff.ts';
import { isBlockedAddress, webhookUrlProblem } from '../src/domain/webhook-url.ts';
import { BlockedAddressError, postWebhook } from '../src/services/webhook-http.ts';
import { checkMetadata } from '../src/domain/metadata.ts';

describe('event catalogue and docs/events.md', () => {
  it('docs/events.md is exactly what the catalogue renders (run node api/src/events/events-doc.ts)', () => {
    expect(readFileSync(EVENTS_DOC_PATH, 'utf8')).toBe(renderEventsDoc());
  });

  it('documents every event type with an example, including the types added by the last sessions', () => {
    const doc = renderEventsDoc();
    for (const type of EVENT_TYPES) {
      expect(EVENT_CATALOGUE[type].summary.length, type).toBeGreaterThan(10);
      expect(doc).toContain(`## ${type}\n`);
    }
    for (const type of ['participant.revoked', 'session.mode_changed', 'recording.deleted', 'recording.consent', 'session.erased', 'user.erased', 'session.rescheduled', 'ping']) {
      expect(EVENT_TYPES as readonly string[]).toContain(type);
    }
  });
});

describe('retry backoff', () => {
  it('spreads each wait over the upper half of the exponential delay', () => {
    expect(jitteredRetryDelayMs(3, 1000, 300_000, () => 0)).toBe(2000);
    expect(jitteredRetryDelayMs(3, 1000, 300_000, () => 0.999999)).toBe(4000);
    expect(jitteredRetryDelayMs(30, 1000, 300_000, () => 0.5)).toBe(225_000);
    const spread = new Set(Array.from({ length: 50 }, () => jitteredRetryDelayMs(4, 1000, 300_000)));
    expect(spread.size).toBeGreaterThan(10);
    for (const d of spread) expect(d >= 4000 && d <= 8000).toBe(true);
  });
});

describe('webhook URL policy (SSRF)', () => {
  const strict = { allowPrivate: false, requireHttps: false };
  it('blocks private, loopback, link-local and their IPv6 spellings; lets public ones through', () => {
    for (const ip of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:a9fe:a9fe', '64:ff9b::a00:1', '2002:a00:1::1', '224.0.0.1']) {
      expect(isBlockedAddress(ip), ip).toBe(true);
    }
    for (const ip of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8']) expect(isBlockedAddress(ip), ip).toBe(false);
    expect(webhookUrlProblem('https://hooks.example.com/duet', strict)).toBeNull();
    expect(webhookUrlProblem('http://hooks.example.com/duet', { allowPrivate: false, requireHttps: true })).toMatch(/https/);
    expect(webhookUrlProblem('http://127.0.0.1:9/x', { allowPrivate: true, requireHttps: false })).toBeNull();
  });

  it('refuses at connect time a name that resolves to a non-public address (no DNS-rebinding window)', async () => {
    const server = createServer((_req, res) => res.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const opts = { timeoutMs: 2000, signal: new AbortController().signal };
      await expect(postWebhook(`http://localhost:${port}/`, {}, '{}', { ...opts, allowPrivate: false })).rejects.toBeInstanceOf(BlockedAddressError);
      await expect(postWebhook(`http://127.0.0.1:${port}/`, {}, '{}', { ...opts, allowPrivate: false })).rejects.toBeInstanceOf(BlockedAddressError);
      expect(await postWebhook(`http://localhost:${port}/`, {}, '{}', { ...opts, allowPrivate: true })).toBe(200);
    } finally {
      server.close();
    }
  });
});

describe('lesson metadata bounds', () => {
  it('takes a small object and refuses size, depth, key count, key length and non-objects', () => {
    expect(checkMetadata({ a: 1, b: { c: [1, 2, { d: 'x' }] } })).toEqual({ a: 1, b: { c: [1, 2, { d: 'x' }] } });
    const codes = (v: unknown) => {
      try {
        checkMetadata(v);
        return 'ok';
      } catch (err) {
        return (err as { code: string }).code;
      }
    };
    const deep = (n: number): unknown => JSON.parse(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`);
    expect(codes(deep(5))).toBe('ok');
    expect(codes(deep(6))).toBe('metadata_invalid');
    expect(codes(deep(50_000))).toBe('metadata_invalid');
    expect(codes({ s: 'x'.repeat(4100) })).toBe('metadata_invalid');
    expect(codes(Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`k${i}`, { v: 1 }])))).toBe('metadata_invalid');
    expect(codes({ ['k'.repeat(101)]: 1 })).toBe('metadata_invalid');
    expect(codes([1])).toBe('metadata_invalid');
    expect(codes(null)).toBe('metadata_invalid');
    expect(codes({ list: Array.from({ length: 10_000 }, () => 0) })).toBe('metadata_invalid');
  });
});
