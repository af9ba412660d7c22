// The metric names Duet's processes export, read from a running API, media node (real mediasoup
// worker) and recorder; and the metric names a PromQL expression uses. Shared by the tests that
// audit the families (metrics-families.test.ts) and those that check the alert rules and the
// Grafana dashboards only name metrics that exist (dashboards.test.ts, prometheus-rules.test.ts).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer, loadApiConfig } from '@duet/api';
import { LocalObjectStore } from '@duet/api/storage';
import { createRecorderService, loadRecorderConfig } from '@duet/recorder';
import { createSignalingServer, loadSignalingConfig } from '@duet/signaling';
import { freePort, promFamilies } from '../../src/testing/index.ts';

export type Part = 'api' | 'node' | 'recorder';

/** Metrics from exporters beside Duet that the rules use (node_exporter, blackbox_exporter), and Prometheus' own. */
export const EXTERNAL_METRICS = new Set(['up', 'node_filesystem_avail_bytes', 'node_filesystem_size_bytes', 'probe_ssl_earliest_cert_expiry']);

export interface Stack {
  urls: Record<Part, string>;
  close(): Promise<void>;
}

/** API (PGlite), media node and recorder in this process, on loopback. */
export async function startStack(): Promise<Stack> {
  const [apiPort, nodePort] = [await freePort(), await freePort()];
  const objects = await mkdtemp(join(tmpdir(), 'duet-metrics-obj-'));
  const work = await mkdtemp(join(tmpdir(), 'duet-metrics-rec-'));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: 'pglite:memory',
    OBJECTS_DIR: objects,
    API_HOST: '127.0.0.1',
    API_PORT: String(apiPort),
    API_INTERNAL_URL: `http://127.0.0.1:${apiPort}`,
    SIGNALING_HOST: '127.0.0.1',
    SIGNALING_PORT: String(nodePort),
    SIGNALING_PUBLIC_URL: `ws://127.0.0.1:${nodePort}/ws`,
    NODE_ID: 'metrics-node',
    NODE_HEARTBEAT_MS: '200',
    DUET_API_KEY: `duet_${randomBytes(16).toString('hex')}`,
    JOIN_TOKEN_SECRET: randomBytes(32).toString('hex'),
    INTERNAL_HOOK_SECRET: randomBytes(32).toString('hex'),
    MEDIASOUP_WORKERS: '1',
    MEDIA_PORT_BASE: '0',
    LOG_LEVEL: 'silent',
    RECORDER_WORK_DIR: work,
    DUET_DATA_DIR: work,
    RECORDER_PORT: '0',
  };
  const api = createApiServer(loadApiConfig(env));
  const urls: Record<Part, string> = { api: (await api.start()).url, node: '', recorder: '' };
  const node = await createSignalingServer(loadSignalingConfig(env), () => undefined);
  urls.node = (await node.start()).url;
  const recorder = createRecorderService(loadRecorderConfig(env), new LocalObjectStore(objects), () => undefined);
  urls.recorder = (await recorder.start()).url;
  return {
    urls,
    async close() {
      await recorder.close();
      await node.close();
      await api.close();
      for (const d of [objects, work]) await rm(d, { recursive: true, force: true });
    },
  };
}

/** Families each process declares (`# TYPE` lines), with their types. */
export async function scrapeFamilies(urls: Record<Part, string>): Promise<Record<Part, Map<string, string>>> {
  const out = {} as Record<Part, Map<string, string>>;
  for (const p of ['api', 'node', 'recorder'] as const) {
    const text = await (await fetch(`${urls[p]}/metrics`)).text();
    out[p] = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    if (promFamilies(text).size !== out[p].size) throw new Error(`unparsed TYPE lines in ${p}'s scrape`);
  }
  return out;
}

/** Every series name a scrape can hold: counters/gauges as named, histograms and summaries with their suffixes. */
export function seriesNames(families: Iterable<[string, string]>): Set<string> {
  const names = new Set<string>();
  for (const [name, type] of families) {
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan']);

/**
 * Metric names a PromQL expression selects (a small lexer, not a parser: strings, label
 * matchers, ranges and grouping label lists are removed, then every identifier not called as a
 * function and not a keyword is a metric name). Grafana's `label_values(metric, label)` counts.
 */
export function promqlMetricNames(expr: string): string[] {
  const lv = /^label_values\(\s*([a-zA-Z_:][\w:]*)\s*,/.exec(expr.trim());
  if (lv) return [lv[1]!];
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1]!.toLowerCase())) continue;
    if (/^\d/.test(m[1]!)) continue;
    names.add(m[1]!);
  }
  return [...names];
}
