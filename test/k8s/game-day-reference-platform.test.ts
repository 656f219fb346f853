/**
 * The proposed stacks/ wiring of the chaos presets, the game day and the reliability report,
 * exercised on the reference platform in all four regions (the same code as proposed for
 * stacks/reference-platform.ts and stacks/main.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { Bulkhead, Checks, Platform, RegionChart } from '../../lib';
import { ChaosPresets, ChaosTarget } from '../../lib/k8s/chaos';
import { GameDay } from '../../lib/k8s/game-day';
import { writeReliabilityReport } from '../../lib/k8s/reliability-report';
import { PRODUCTION } from '../../stacks/platform';
import { buildRegion, RegionPlatform } from '../../stacks/reference-platform';
import '../util/chaos-mesh-schemas';
import { expectValidManifests } from '../util/schema';

/** Local time zone of each region: business hours are local. */
const REGION_TIME_ZONES: Record<string, string> = {
  'us-east-1': 'America/New_York', 'us-west-2': 'America/Los_Angeles', 'eu-west-1': 'Europe/Dublin', 'ap-southeast-1': 'Asia/Singapore',
};

/** Proposed for stacks/reference-platform.ts, called at the end of buildRegion. */
function addChaos(rp: RegionPlatform): { presets: ChaosPresets; gameDay: GameDay } {
  const chart = new RegionChart(rp.app, 'chaos', { region: rp.region, disableResourceNameHashes: true });
  new Bulkhead(chart, 'chaos', { quota: { pods: 10 } });
  const svc = (name: string) => rp.services.get(name)!;
  // The orders PostgreSQL (a PatroniCluster `ordersDb` once wired: ChaosTarget.databasePrimary(ordersDb)).
  const databasePrimary = ChaosTarget.databasePrimary({
    name: 'orders-db',
    namespace: 'databases',
    members: 3,
    selectorLabels: { 'app.kubernetes.io/name': 'patroni', 'app.kubernetes.io/instance': 'orders-db-databases' },
  });
  const timeZone = REGION_TIME_ZONES[rp.region.name];
  const presets = new ChaosPresets(chart, 'chaos-presets', {
    orderService: svc('order-service'),
    paymentService: svc('payment-service'),
    databasePrimary,
    databaseVolumePath: '/var/lib/postgresql/data',
    timeZone,
    allowProduction: true,
    crons: { latency: '30 11 * * 3', packetLoss: '0 14 * * 3', databaseIoLatency: '30 14 * * 3' },
  });
  const gameDay = new GameDay(chart, 'game-day', {
    service: svc('order-service'),
    dependency: svc('payment-service'),
    databasePrimary,
    gateway: svc('api-gateway'),
    auth: svc('auth-service'),
    timeZone,
    allowProduction: true,
  });
  return { presets, gameDay };
}

const platform = Platform.fromDescription(PRODUCTION);

describe('reference platform: chaos presets and game day in production, every region', () => {
  test.each(platform.regions.map(r => r.name))('%s: zero findings, schema-valid, local business hours', regionName => {
    const rp = buildRegion(platform, regionName);
    Checks.of(rp.app).log = () => {};
    const { gameDay } = addChaos(rp);
    const objs = parseAllDocuments(rp.app.synthYaml()).map(d => d.toJS());
    expect(Checks.of(rp.app).lastReport!.findings).toEqual([]);
    expectValidManifests(objs);
    const chaos = objs.filter(o => o.apiVersion === 'chaos-mesh.org/v1alpha1');
    expect(chaos).toHaveLength(9);
    expect(chaos.every(o => o.kind === 'Schedule' && o.spec.concurrencyPolicy === 'Forbid')).toBe(true);
    expect(chaos.every(o => o.spec.schedule.startsWith(`CRON_TZ=${REGION_TIME_ZONES[regionName]} `))).toBe(true);
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
    expect(a.entryPoints.map(e => e.entryPoint)).toEqual(['edge/api-gateway']);
    // Every service runs >= 2 replicas over 3 zones: no replica or zone SPOF; the findings are tiers and external providers.
    expect([...new Set(a.singlePointsOfFailure.map(s => s.reason))].sort()).toEqual(['external-without-fallback', 'weaker-tier-without-fallback']);
    expect(lines[0].split('\n')).toHaveLength(5);
  });
});
