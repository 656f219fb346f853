import * as fc from 'fast-check';
import {
  analyzeReliability, AvailabilityAssumptions, componentAvailability, DEFAULT_ASSUMPTIONS, formatAvailability, ReliabilityEdge, ReliabilityInput,
  ReliabilityNode,
} from '../../lib/reliability/analysis';
import { Objective } from '../../lib/reliability/error-budget';

const svc = (id: string, tier: string, replicas = 3, zones = 3): ReliabilityNode => ({ id, kind: 'service', tier, replicas, zones, automaticFailover: replicas >= 2 });
const ext = (id: string, availability: number): ReliabilityNode => ({ id, kind: 'external', replicas: 1, zones: 1, automaticFailover: false, availability });
const SINGLE_DB: ReliabilityNode = { id: 'databases/postgresql', kind: 'database', tier: 'critical', replicas: 1, zones: 1, automaticFailover: false };
const CLUSTER_DB: ReliabilityNode = { id: 'databases/postgresql', kind: 'database', tier: 'critical', replicas: 3, zones: 3, automaticFailover: true };

/** The case study's dependency graph (section 1), with PostgreSQL behind order-service. */
function caseStudy(db: ReliabilityNode, gatewayReplicas = 3): ReliabilityInput {
  const nodes = [
    svc('edge/api-gateway', 'critical', gatewayReplicas, gatewayReplicas === 1 ? 1 : 3),
    svc('identity/auth-service', 'critical'),
    svc('catalog/product-service', 'high'),
    svc('catalog/inventory-service', 'high'),
    svc('catalog/pricing-service', 'high'),
    svc('platform-config/configuration-service', 'high'),
    svc('orders/order-service', 'critical'),
    svc('payments/payment-service', 'critical'),
    svc('messaging/notification-service', 'medium', 2, 3),
    svc('recommendations/recommendation-service', 'low', 2, 3),
    svc('recommendations/ml-model-service', 'low', 2, 3),
    ext('external/identity-provider', 0.9995),
    ext('external/payment-provider', 0.9995),
    db,
  ];
  const e = (from: string, to: string, fallback = false): ReliabilityEdge => ({ from, to, fallback });
  const edges = [
    e('edge/api-gateway', 'identity/auth-service'),
    e('edge/api-gateway', 'catalog/product-service'),
    e('edge/api-gateway', 'orders/order-service'),
    e('edge/api-gateway', 'recommendations/recommendation-service', true),
    e('identity/auth-service', 'external/identity-provider'),
    e('catalog/product-service', 'catalog/inventory-service'),
    e('catalog/product-service', 'catalog/pricing-service'),
    e('catalog/pricing-service', 'platform-config/configuration-service'),
    e('orders/order-service', 'catalog/product-service'),
    e('orders/order-service', 'catalog/inventory-service'),
    e('orders/order-service', 'payments/payment-service'),
    e('orders/order-service', 'messaging/notification-service', true),
    e('orders/order-service', 'databases/postgresql'),
    e('payments/payment-service', 'external/payment-provider'),
    e('recommendations/recommendation-service', 'recommendations/ml-model-service'),
  ];
  return {
    nodes,
    edges,
    entryPoints: ['edge/api-gateway'],
    objectives: [
      { name: 'order-service-availability', node: 'orders/order-service', objective: Objective.percent(99.95) },
      { name: 'product-service-availability', node: 'catalog/product-service', objective: Objective.percent(99.9) },
    ],
  };
}

const spofsOf = (input: ReliabilityInput) => analyzeReliability(input).singlePointsOfFailure;

describe('single points of failure (the case study\'s graph)', () => {
  test('a plain single-instance PostgreSQL is one; a 3-member cluster is not', () => {
    const single = spofsOf(caseStudy(SINGLE_DB)).filter(s => s.id === 'databases/postgresql');
    expect(single).toEqual([{
      id: 'databases/postgresql', reason: 'database-without-failover', detail: 'a single-instance database: losing it stops every write', affects: ['edge/api-gateway'],
    }]);
    expect(spofsOf(caseStudy(CLUSTER_DB)).filter(s => s.id === 'databases/postgresql')).toEqual([]);
  });

  test('the API gateway is one with a single replica, not with three', () => {
    expect(spofsOf(caseStudy(CLUSTER_DB, 1)).filter(s => s.id === 'edge/api-gateway')).toEqual([{
      id: 'edge/api-gateway', reason: 'one-replica', detail: 'runs one replica: a pod or node failure takes it down', affects: ['edge/api-gateway'],
    }]);
    expect(spofsOf(caseStudy(CLUSTER_DB)).filter(s => s.id === 'edge/api-gateway')).toEqual([]);
  });

  test('the full list for the clustered graph: weaker tiers without fallback and external providers', () => {
    expect(spofsOf(caseStudy(CLUSTER_DB)).map(s => `${s.id}: ${s.reason}`)).toEqual([
      'catalog/product-service: weaker-tier-without-fallback',
      'external/identity-provider: external-without-fallback',
      'catalog/product-service: weaker-tier-without-fallback',
      'catalog/inventory-service: weaker-tier-without-fallback',
      'external/payment-provider: external-without-fallback',
    ]);
  });

  test('all replicas in one zone; a replicated database without failover; fallback edges are exempt', () => {
    const input: ReliabilityInput = {
      nodes: [svc('a', 'critical', 3, 1), { ...CLUSTER_DB, automaticFailover: false }, svc('low', 'low', 2, 2)],
      edges: [{ from: 'a', to: 'databases/postgresql', fallback: false }, { from: 'a', to: 'low', fallback: true }],
      entryPoints: ['a'],
    };
    expect(spofsOf(input).map(s => [s.id, s.reason, s.detail])).toEqual([
      ['a', 'single-zone', 'all 3 replicas run in one zone: a zone failure takes it down'],
      ['databases/postgresql', 'database-without-failover', 'a database of 3 members without automatic failover'],
    ]);
  });
});

describe('composite availability', () => {
  test('the model: redundancy over zones and replicas, single instance, stated availability', () => {
    const zoneServes = 0.9999 * (1 - 0.01);
    expect(componentAvailability(svc('x', 'critical'))).toBeCloseTo(1 - Math.pow(1 - zoneServes, 3), 15);
    expect(componentAvailability(svc('x', 'medium', 2, 3))).toBeCloseTo(1 - Math.pow(1 - zoneServes, 2), 15);
    expect(componentAvailability(svc('x', 'critical', 6, 3))).toBeCloseTo(1 - Math.pow(1 - 0.9999 * (1 - 0.01 ** 2), 3), 15);
    expect(componentAvailability(SINGLE_DB)).toBeCloseTo(0.9999 * 0.99, 15);
    expect(componentAvailability(ext('e', 0.9995))).toBe(0.9995);
    expect(DEFAULT_ASSUMPTIONS).toEqual({ instanceAvailability: 0.99, zoneAvailability: 0.9999 });
  });

  test('critical paths from the entry point: serial products over hard edges; fallbacks left out', () => {
    const a = analyzeReliability(caseStudy(CLUSTER_DB));
    expect(a.criticalPaths.map(p => p.nodes.join(' > '))).toEqual([
      'edge/api-gateway > identity/auth-service > external/identity-provider',
      'edge/api-gateway > catalog/product-service > catalog/inventory-service',
      'edge/api-gateway > catalog/product-service > catalog/pricing-service > platform-config/configuration-service',
      'edge/api-gateway > orders/order-service > catalog/product-service > catalog/inventory-service',
      'edge/api-gateway > orders/order-service > catalog/product-service > catalog/pricing-service > platform-config/configuration-service',
      'edge/api-gateway > orders/order-service > catalog/inventory-service',
      'edge/api-gateway > orders/order-service > payments/payment-service > external/payment-provider',
      'edge/api-gateway > orders/order-service > databases/postgresql',
    ]);
    for (const p of a.criticalPaths) expect(p.availability).toBeCloseTo(p.nodes.reduce((x, id) => x * a.componentAvailability[id], 1), 15);
    const gw = a.entryPoints[0];
    expect(gw.hardDependencies).not.toContain('recommendations/recommendation-service');
    expect(gw.hardDependencies).not.toContain('messaging/notification-service');
    expect(gw.hardDependencies).toHaveLength(11);
    expect(gw.weakestPath.nodes).toEqual(['edge/api-gateway', 'orders/order-service', 'payments/payment-service', 'external/payment-provider']);
  });

  test('SLO reachability: 99.95% for order-service is not reachable through a 99.95% payment provider; 99.9% for product is', () => {
    const a = analyzeReliability(caseStudy(CLUSTER_DB));
    const [order, product] = a.objectives;
    expect(order.reachable).toBe(false);
    expect(order.limitedBy).toEqual([]);
    expect(order.achievable).toBeLessThan(0.9995);
    expect(product.reachable).toBe(true);
    expect(order.errorBudget.perYear.minutes).toBe(262.8);
    expect(order.errorBudget.perMonth.minutes).toBe(21.9);
    const single = analyzeReliability(caseStudy(SINGLE_DB)).objectives[0];
    expect(single.limitedBy).toEqual(['databases/postgresql']);
  });

  test('property: adding replicas over the same zones never lowers availability; paths never beat their weakest node', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 6 }), fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
      (replicas, zones, ai) => {
        const a1 = componentAvailability(svc('x', 'high', replicas, zones), { instanceAvailability: ai });
        const a2 = componentAvailability(svc('x', 'high', replicas + zones, zones), { instanceAvailability: ai });
        expect(a2).toBeGreaterThanOrEqual(a1 - 1e-15);
        expect(a1).toBeLessThanOrEqual(1);
      }));
    const a = analyzeReliability(caseStudy(SINGLE_DB));
    for (const p of a.criticalPaths) expect(p.availability).toBeLessThanOrEqual(Math.min(...p.nodes.map(id => a.componentAvailability[id])));
  });

  test('formatAvailability truncates to 4 decimals of a percent', () => {
    expect(formatAvailability(0.99959999)).toBe('99.9599%');
  });
});

describe('bad input', () => {
  test('unknown ids and out-of-range numbers, all at once', () => {
    expect(() => analyzeReliability({
      nodes: [ext('e', 1.5)],
      edges: [{ from: 'x', to: 'e', fallback: false }],
      entryPoints: ['y'],
      objectives: [{ name: 's', node: 'z', objective: 0.999 }],
      assumptions: { zoneAvailability: 0 },
    })).toThrow([
      'ReliabilityAnalysis \'input\': 5 problems:',
      ' - edges[0].from ("x") names no node of the graph; add the node or fix the id',
      ' - entryPoints[0] ("y") names no node of the graph; add the node or fix the id',
      ' - objectives[0].node ("z") names no node of the graph; add the node or fix the id',
      ' - assumptions.zoneAvailability (0) must be a fraction between 0 and 1 (exclusive); use e.g. 0.9999',
      ' - nodes.e.availability (1.5) is a percentage, but this is a fraction between 0 and 1 (exclusive); give the fraction you mean, e.g. 0.9995',
    ].join('\n'));
  });

  test('an availability assumption below 0.9 and an Objective built from a typo are reported together, on their exact props', () => {
    expect(() => analyzeReliability({
      nodes: [ext('e', 0.9995)],
      edges: [],
      entryPoints: ['e'],
      objectives: [{ name: 's', node: 'e', objective: Objective.percent(1.5) }],
      assumptions: { instanceAvailability: 0.015, zoneAvailability: 1 },
    })).toThrow([
      'ReliabilityAnalysis \'input\': 3 problems:',
      ' - objectives[0].objective (Objective.percent(1.5)) is 1.5%, below 90%: an objective that low (over 72 hours of downtime a month) is almost certainly a typo (1.5 for 99.5?); '
      + 'write the objective you mean, e.g. Objective.percent(99.5), or pass { allowLowObjective: true } if 1.5% is intended',
      ' - assumptions.instanceAvailability (0.015) is 1.5%, below 90%, which is almost certainly a typo (0.015 for 0.9985?); write the fraction you mean, e.g. 0.99',
      ' - assumptions.zoneAvailability (1) must be a fraction between 0 and 1 (exclusive); use e.g. 0.9999',
    ].join('\n'));
  });

  test('a misspelled assumption (a JavaScript caller or a cast) is a problem, not a silent default', () => {
    expect(() => analyzeReliability({
      nodes: [ext('e', 0.9995)],
      edges: [],
      entryPoints: ['e'],
      assumptions: { zoneAvailabilty: 0.999 } as unknown as AvailabilityAssumptions,
    })).toThrow([
      'ReliabilityAnalysis \'input\': 1 problem:',
      ' - assumptions.zoneAvailabilty (0.999) is not an assumption the model reads; use one of instanceAvailability, zoneAvailability',
    ].join('\n'));
  });
});
