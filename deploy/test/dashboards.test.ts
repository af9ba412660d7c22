// The Grafana dashboards (deploy/grafana/dashboards) and their provisioning files: valid JSON in
// the shape Grafana provisions, every panel and variable query on the provisioned datasource,
// and every metric a query names is one the running API, media node or recorder exports (or a
// recording rule of deploy/prometheus/duet.rules.yaml). A renamed or dropped metric fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEPLOY_DIR } from './support/exec.ts';
import { promqlMetricNames, scrapeFamilies, seriesNames, startStack, type Stack } from './support/metric-names.ts';

const GRAFANA = join(DEPLOY_DIR, 'grafana');
const DASH_DIR = join(GRAFANA, 'dashboards');
const dashboards = readdirSync(DASH_DIR).filter((f) => f.endsWith('.json'));
const load = (f: string) => JSON.parse(readFileSync(join(DASH_DIR, f), 'utf8')) as Record<string, any>;

/** Every PromQL query of a dashboard: panel targets and query variables. */
function queries(d: Record<string, any>): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const p of d.panels ?? []) for (const t of p.targets ?? []) out.push({ where: `${d.uid} panel "${p.title}" ${t.refId}`, expr: t.expr });
  for (const v of d.templating?.list ?? []) if (v.type === 'query') out.push({ where: `${d.uid} variable ${v.name}`, expr: typeof v.query === 'string' ? v.query : v.query.query });
  return out;
}

const recorded = new Set(
  (parse(readFileSync(join(DEPLOY_DIR, 'prometheus/duet.rules.yaml'), 'utf8')) as { groups: { rules: { record?: string }[] }[] }).groups
    .flatMap((g) => g.rules)
    .flatMap((r) => (r.record ? [r.record] : [])),
);

/** Names in `exprs` neither exported nor recorded. */
function unknownNames(all: { where: string; expr: string }[], exported: Set<string>): string[] {
  return all.flatMap(({ where, expr }) => promqlMetricNames(expr).filter((n) => !exported.has(n) && !recorded.has(n)).map((n) => `${where}: ${n}`));
}

describe('Grafana dashboards', () => {
  it('are the four the RUNBOOK lists, with unique uids, panels and a datasource variable', () => {
    expect(dashboards.sort()).toEqual(['media-nodes.json', 'overview.json', 'recordings.json', 'webhooks.json']);
    const uids = new Set<string>();
    for (const f of dashboards) {
      const d = load(f);
      expect(uids.has(d.uid), f).toBe(false);
      uids.add(d.uid);
      expect(d.title, f).toMatch(/^Duet \/ /);
      expect(d.panels.length, f).toBeGreaterThan(3);
      expect(d.templating.list.find((v: any) => v.name === 'datasource')?.type, f).toBe('datasource');
      const ids = d.panels.map((p: any) => p.id);
      expect(new Set(ids).size, `${f}: panel ids unique`).toBe(ids.length);
      for (const p of d.panels) {
        expect(p.datasource?.uid, `${f} ${p.title}`).toBe('${datasource}');
        expect(p.targets.length, `${f} ${p.title}`).toBeGreaterThan(0);
        for (const t of p.targets) expect(t.expr, `${f} ${p.title}`).toMatch(/\S/);
      }
    }
  });

  it('the provisioning files point Grafana at Prometheus and at the dashboards folder', () => {
    const ds = parse(readFileSync(join(GRAFANA, 'provisioning/datasources/duet.yaml'), 'utf8'));
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources).toEqual([expect.objectContaining({ type: 'prometheus', access: 'proxy', isDefault: true })]);
    const prov = parse(readFileSync(join(GRAFANA, 'provisioning/dashboards/duet.yaml'), 'utf8'));
    expect(prov.providers[0]).toMatchObject({ type: 'file', options: { path: expect.stringMatching(/^\//) } });
  });

  describe('against the running processes', () => {
    let stack: Stack;
    let exported: Set<string>;
    beforeAll(async () => {
      stack = await startStack();
      const fam = await scrapeFamilies(stack.urls);
      exported = seriesNames([...fam.api, ...fam.node, ...fam.recorder]);
    });
    afterAll(() => stack?.close());

    it('every metric a dashboard query names is exported (or recorded by a rule)', () => {
      const all = dashboards.flatMap((f) => queries(load(f)));
      expect(all.length).toBeGreaterThan(30);
      expect(all.flatMap((q) => promqlMetricNames(q.expr)).length).toBeGreaterThan(30);
      expect(unknownNames(all, exported)).toEqual([]);
    });

    it('a query naming a metric nobody exports is reported (the check can fail)', () => {
      const bad = [
        { where: 'renamed', expr: 'sum(rate(duet_joins_totals[5m]))' },
        { where: 'dropped', expr: 'max by (node) (duet_media_node_load{node=~"$node"})' },
        { where: 'variable', expr: 'label_values(duet_media_node_nope, node)' },
        { where: 'fine', expr: 'histogram_quantile(0.9, sum by (le) (rate(duet_join_duration_seconds_bucket{result="ok"}[$__rate_interval])))' },
      ];
      expect(unknownNames(bad, exported)).toEqual(['renamed: duet_joins_totals', 'dropped: duet_media_node_load', 'variable: duet_media_node_nope']);
    });
  });
});
