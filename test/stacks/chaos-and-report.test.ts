/**
 * The reference platform's chaos presets, game day and reliability report, in all four regions.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { Checks, GameDay, Platform, writeReliabilityReport } from '../../lib';
import { PRODUCTION } from '../../stacks/platform';
import { buildRegion } from '../../stacks/reference-platform';
import { registerChaosMeshSchemas } from '../util/chaos-mesh-schemas';
import { registerFlaggerSchemas } from '../util/flagger-schemas';
import { expectValidManifests } from '../util/schema';

registerChaosMeshSchemas();
registerFlaggerSchemas();

const platform = Platform.fromDescription(PRODUCTION);

describe('reference platform: chaos presets and game day in production, every region', () => {
  test.each(platform.regions.map(r => r.name))('%s: zero findings, schema-valid, local business hours', regionName => {
    const rp = buildRegion(platform, regionName);
    Checks.of(rp.app).log = () => {};
    const objs = parseAllDocuments(rp.app.synthYaml()).map(d => d.toJS());
    expect(Checks.of(rp.app).lastReport!.findings).toEqual([]);
    expectValidManifests(objs);
    const chaos = objs.filter(o => o.apiVersion === 'chaos-mesh.org/v1alpha1');
    expect(chaos).toHaveLength(9);
    expect(chaos.every(o => o.kind === 'Schedule' && o.spec.concurrencyPolicy === 'Forbid')).toBe(true);
    const timeZone = platform.region(regionName).timeZone;
    expect(timeZone).toMatch(/^(America|Europe|Asia)\//);
    expect(chaos.every(o => o.spec.schedule.startsWith(`CRON_TZ=${timeZone} `))).toBe(true);
    // The database faults select the pods the orders PatroniCluster really runs (namespace, instance).
    const db = rp.databases.get('orders-db')!;
    const dbSelectors = JSON.stringify(chaos).match(/"labelSelectors":\{[^}]*"app.kubernetes.io\/name":"patroni"[^}]*\},"namespaces":\[[^\]]*\]/g) ?? [];
    expect(dbSelectors.length).toBeGreaterThanOrEqual(2);
    for (const sel of dbSelectors) {
      expect(sel).toBe(`"labelSelectors":{"app.kubernetes.io/instance":"${db.selectorLabels['app.kubernetes.io/instance']}","app.kubernetes.io/name":"patroni","role":"master"},"namespaces":["${db.namespace}"]`);
    }
    expect(db.namespace).toBe('orders');
    const gameDay = rp.app.node.findChild('chaos').node.findChild('game-day') as GameDay;
    expect(gameDay.workflows.map(w => w.name)).toEqual([
      'game-day-pod-failure', 'game-day-dependency-failure', 'game-day-database-primary-failure', 'game-day-network-latency', 'game-day-cascading-failure',
    ]);
  });
});

describe('reference platform: the reliability report of all four regions', () => {
  test('written to the outdir with a summary per region', () => {
    const regions = platform.regions.map(r => buildRegion(platform, r.name));
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-report-'));
    const lines: string[] = [];
    const result = writeReliabilityReport(regions.map(r => ({ name: r.region.name, scope: r.app })), { outdir, log: l => lines.push(l) });
    expect(fs.existsSync(path.join(outdir, 'reliability-report.md'))).toBe(true);
    expect(fs.existsSync(path.join(outdir, 'reliability-report.json'))).toBe(true);
    expect(result.sections.map(s => s.name)).toEqual(['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1']);
    const a = result.sections[0].analysis;
    expect(a.entryPoints.map(e => e.entryPoint)).toEqual(['edge/api-gateway', 'istio-ingress/api-gateway-public']);
    // Every service runs >= 2 replicas over 3 zones: no replica or zone SPOF; the findings are tiers and external providers.
    expect([...new Set(a.singlePointsOfFailure.map(s => s.reason))].sort()).toEqual(['external-without-fallback', 'weaker-tier-without-fallback']);
    expect(lines[0].split('\n')).toHaveLength(5);
    fs.rmSync(outdir, { recursive: true, force: true });
  });
});
