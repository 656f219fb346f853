import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Construct } from 'constructs';
import { regionChart } from './helpers';
import { Criticality, DependencyFacts, DependencyKind, ExternalEndpoint, IDependable, NetworkPeer, Objective, ResilientService, ServiceGraph } from '../../lib';
import { reliabilityInput, writeReliabilityReport } from '../../lib/k8s/reliability-report';
import { ServiceLevelObjective } from '../../lib/k8s/service-level-objective';
import { Sli } from '../../lib/render/slo-rules';

/** A stand-in database (or any dependable) with given facts: the report reads only IDependable. */
class Component extends Construct implements IDependable {
  constructor(scope: Construct, id: string, public readonly dependencyFacts: DependencyFacts, public readonly entryPoint = false) {
    super(scope, id);
    ServiceGraph.of(this).addNode(this);
  }
  public egressPeers(): readonly NetworkPeer[] {
    return [];
  }
  public meshHosts(): readonly string[] {
    return [];
  }
}

const LINKS = { runbookBaseUrl: 'https://wiki.example.com/runbooks', dashboardBaseUrl: 'https://grafana.example.com/d' };

function shop(database: Omit<DependencyFacts, 'id' | 'kind'>, gatewayReplicas?: number) {
  const { app, chart } = regionChart();
  const mk = (name: string, ns: string, tier: Criticality, entryPoint = false) => new ResilientService(chart, name, {
    image: `registry.example.com/shop/${name}:1.0.0`, tier, namespace: ns, entryPoint,
  });
  const order = mk('order-service', 'orders', Criticality.CRITICAL);
  const payment = mk('payment-service', 'payments', Criticality.CRITICAL);
  const notification = mk('notification-service', 'messaging', Criticality.MEDIUM);
  const provider = new ExternalEndpoint(chart, 'payment-provider', { hosts: ['api.payment-provider.example.com'], namespace: 'egress', availability: 0.9995 });
  const db = new Component(chart, 'postgresql', { id: 'databases/postgresql', kind: DependencyKind.DATABASE, tier: Criticality.CRITICAL, ...database });
  const gateway: IDependable = gatewayReplicas === 1
    ? new Component(chart, 'api-gateway', { id: 'edge/api-gateway', kind: DependencyKind.SERVICE, tier: Criticality.CRITICAL, replicas: 1, zones: 1, automaticFailover: false }, true)
    : mk('api-gateway', 'edge', Criticality.CRITICAL, true);
  if (gateway instanceof ResilientService) gateway.dependOn(order);
  else ServiceGraph.of(chart).addEdge(gateway as any, order);
  order.dependOn(payment);
  order.dependOn(notification, { fallback: true });
  order.dependOn(db);
  payment.dependOn(provider);
  new ServiceLevelObjective(chart, 'order-availability', { service: order, sli: Sli.availability(), ...LINKS });
  return { app, chart };
}

const SINGLE = { replicas: 1, zones: 1, automaticFailover: false };
const CLUSTER = { replicas: 3, zones: 3, automaticFailover: true };

describe('reliabilityInput reads the ServiceGraph', () => {
  test('nodes with facts, the external SLA, edges with fallback, entry points and the SLO', () => {
    const { chart } = shop(CLUSTER);
    const input = reliabilityInput(chart);
    expect(input.nodes.find(n => n.id === 'external/payment-provider')).toEqual({
      id: 'external/payment-provider', kind: 'external', tier: undefined, replicas: 1, zones: 1, automaticFailover: false, availability: 0.9995,
    });
    expect(input.nodes.find(n => n.id === 'orders/order-service')).toEqual({
      id: 'orders/order-service', kind: 'service', tier: 'critical', replicas: 3, zones: 3, automaticFailover: true,
    });
    expect(input.edges).toContainEqual({ from: 'orders/order-service', to: 'messaging/notification-service', fallback: true });
    expect(input.entryPoints).toEqual(['edge/api-gateway']);
    expect(input.objectives!.map(o => [o.name, o.node, (o.objective as any).percent])).toEqual([['order-service-availability', 'orders/order-service', 99.95]]);
  });
});

describe('writeReliabilityReport', () => {
  const run = (database: typeof SINGLE, gatewayReplicas?: number) => {
    const { chart } = shop(database, gatewayReplicas);
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-'));
    const lines: string[] = [];
    const result = writeReliabilityReport([{ name: 'us-east-1', scope: chart }], { outdir, log: l => lines.push(l) });
    return { result, outdir, lines };
  };

  test('writes the Markdown and JSON files and logs a summary', () => {
    const { result, outdir, lines } = run(SINGLE);
    expect(result.markdownPath).toBe(path.join(outdir, 'reliability-report.md'));
    expect(fs.readFileSync(result.markdownPath, 'utf8')).toBe(result.markdown);
    const json = JSON.parse(fs.readFileSync(result.jsonPath, 'utf8'));
    expect(json.sections[0].name).toBe('us-east-1');
    expect(json.sections[0].analysis.objectives[0]).toMatchObject({ name: 'order-service-availability', objective: 0.9995, reachable: false });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^us-east-1: 6 components, 2 single point\(s\) of failure \(databases\/postgresql, external\/payment-provider\); 0\/1 SLO\(s\) reachable; edge\/api-gateway at most 9\d\.\d{4}%\nreliability report: /);
  });

  test('PostgreSQL is a single point of failure as a plain single instance, not as a 3-member cluster', () => {
    const single = run(SINGLE).result.sections[0].analysis.singlePointsOfFailure.map(s => `${s.id} ${s.reason}`);
    expect(single).toContain('databases/postgresql database-without-failover');
    const cluster = run(CLUSTER).result.sections[0].analysis.singlePointsOfFailure.map(s => s.id);
    expect(cluster).not.toContain('databases/postgresql');
  });

  test('the API gateway is one with a single replica', () => {
    const spofs = run(CLUSTER, 1).result.sections[0].analysis.singlePointsOfFailure;
    expect(spofs.find(s => s.id === 'edge/api-gateway')).toMatchObject({ reason: 'one-replica', affects: ['edge/api-gateway'] });
  });

  test('the Markdown: assumptions, tables, error budgets and a Mermaid graph with SPOFs highlighted', () => {
    const md = run(SINGLE).result.markdown;
    expect(md).toContain('## Assumptions');
    expect(md).toContain('| databases/postgresql | database-without-failover | a single-instance database: losing it stops every write | edge/api-gateway |');
    expect(md).toContain('| external/payment-provider | external | - | 1 | 1 | no | 99.9500% (stated) |');
    expect(md).toContain('| edge/api-gateway | edge/api-gateway → orders/order-service → payments/payment-service → external/payment-provider | 99.9496% |');
    expect(md).toContain('| order-service-availability | orders/order-service | 99.95% |');
    expect(md).toContain('| order-service-availability | 99.95% | 0.05% | 262.8 min (4.38 h) | 21.9 min | 5.05385 min |');
    const graph = md.slice(md.indexOf('```mermaid'), md.lastIndexOf('```'));
    expect(graph).toContain('flowchart LR');
    expect(graph).toMatch(/n\d\[\("databases\/postgresql<br\/>database · critical · 1×1z"\)\]/);
    expect(graph).toMatch(/n\d -\. fallback \.-> n\d/);
    expect(graph).toContain('classDef spof fill:#fdd,stroke:#c00,stroke-width:3px');
    expect(graph).toMatch(/class n\d+,n\d+ spof/);
  });
});

describe('writeReliabilityReport: bad input, all at once, before anything is written', () => {
  test('options of the wrong runtime type and an objective naming no node: one error listing each, no file written', () => {
    const { chart } = shop(SINGLE);
    const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-')), 'out');
    const options: any = {
      outdir,
      log: 'console',
      entryPoints: 'edge/api-gateway',
      assumptions: { zoneAvailability: '0.999' },
      objectives: [{ name: 'checkout', node: 'shop/checkout', objective: 0.999 }],
    };
    expect(() => writeReliabilityReport([{ name: 'us-east-1', scope: chart }], options)).toThrow([
      "ReliabilityReport 'writeReliabilityReport': 4 problems:",
      ' - log ("console") is not a function; give a function',
      ' - entryPoints ("edge/api-gateway") is not a list; give a list (an array), even of one item',
      ' - assumptions.zoneAvailability ("0.999") is not a finite number; give a number (not NaN, Infinity or a string)',
      ' - objectives[0].node ("shop/checkout") names no node of the graph; add the node or fix the id',
    ].join('\n'));
    expect(fs.existsSync(outdir)).toBe(false);
  });

  test('objectives outside (0, 1) (1.5 meant as a percentage, 150, 0, a number as a string): each named with its value and fix, once for two sources', () => {
    const { chart } = shop(SINGLE);
    const { chart: other } = shop(SINGLE);
    const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-')), 'out');
    const node = 'orders/order-service';
    const options: any = {
      outdir,
      objectives: [
        { name: 'typo', node, objective: 1.5 }, { name: 'huge', node, objective: 150 }, { name: 'zero', node, objective: 0 },
        { name: 'text', node, objective: '0.999' }, { name: 'fine', node, objective: 0.999 },
      ],
    };
    expect(() => writeReliabilityReport([{ name: 'us-east-1', scope: chart }, { name: 'us-west-2', scope: other }], options)).toThrow([
      "ReliabilityReport 'writeReliabilityReport': 4 problems:",
      ' - objectives[3].objective ("0.999") is not a finite number or an object; give a finite number or an object',
      ' - objectives[0].objective (1.5) is a plain number, which is read as a fraction between 0 and 1 (exclusive); write the objective you mean, e.g. Objective.percent(99.5) or the fraction 0.995 (1.5% itself is below 90%: Objective.percent(1.5, { allowLowObjective: true }) if intended)',
      ' - objectives[1].objective (150) must be below 1: a 1.0 objective leaves no error budget; pick an achievable objective, e.g. 0.9995, or Objective.percent(99.95) for a percentage',
      ' - objectives[2].objective (0) must be above 0: an objective is the share of good events, between 0 and 1 (exclusive); pick an achievable objective, e.g. 0.9995, or Objective.percent(99.95) for a percentage',
    ].join('\n'));
    expect(fs.existsSync(outdir)).toBe(false);
  });

  test('an availability assumption of 0.015 and an Objective built from a typo: both named on their exact prop, no file written', () => {
    const { chart } = shop(SINGLE);
    const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-')), 'out');
    const options = {
      outdir,
      assumptions: { instanceAvailability: 0.015 },
      objectives: [{ name: 'typo', node: 'orders/order-service', objective: Objective.percent(1.5) }],
    };
    expect(() => writeReliabilityReport([{ name: 'us-east-1', scope: chart }], options)).toThrow([
      "ReliabilityReport 'writeReliabilityReport': 2 problems:",
      ' - objectives[0].objective (Objective.percent(1.5)) is 1.5%, below 90%: an objective that low (over 72 hours of downtime a month) is almost certainly a typo (1.5 for 99.5?); '
      + 'write the objective you mean, e.g. Objective.percent(99.5), or pass { allowLowObjective: true } if 1.5% is intended',
      ' - assumptions.instanceAvailability (0.015) is 1.5%, below 90%, which is almost certainly a typo (0.015 for 0.9985?); write the fraction you mean, e.g. 0.99',
    ].join('\n'));
    expect(fs.existsSync(outdir)).toBe(false);
  });

  test('sources that are not { name, scope } with a construct: each named, never a TypeError', () => {
    const { chart } = shop(SINGLE);
    expect(() => writeReliabilityReport({ name: 'us-east-1', scope: chart } as any)).toThrow([
      "ReliabilityReport 'writeReliabilityReport': 1 problem:",
      ' - sources ([object Object]) is not a list; give a list (an array) of { name, scope }, even of one source',
    ].join('\n'));
    expect(() => writeReliabilityReport([{ name: 'us-east-1', scope: chart }, { scope: 'us-west-2' }, 7] as any)).toThrow([
      "ReliabilityReport 'writeReliabilityReport': 3 problems:",
      ' - sources[1].scope ("us-west-2") is not an object; give an object of the documented shape',
      ' - sources[1].name (undefined) is not set; name the section, e.g. the region',
      ' - sources[2] (7) is not an object; give an object of the documented shape',
    ].join('\n'));
  });
});
