import { errorOf, find, regionChart, synth } from './helpers';
import { Checks, Criticality, ResilientService } from '../../lib';
import { ValidationError } from '../../lib/core/errors';
import {
  serviceIdentityOf, ServiceLevelObjective, severityForTier, StandardAlerts, TIER_SEVERITY_SHIFT,
} from '../../lib/k8s/service-level-objective';
import { Objective } from '../../lib/reliability/error-budget';
import { renderSloRules, renderStandardAlertPack, Sli } from '../../lib/render';
import { expectValidManifests } from '../util/schema';

const LINKS = { runbookBaseUrl: 'https://wiki.example.com/runbooks', dashboardBaseUrl: 'https://grafana.example.com/d/' };

function setup(tier = Criticality.CRITICAL) {
  const { app, chart } = regionChart();
  const order = new ResilientService(chart, 'order-service', { image: 'registry.example.com/shop/order-service:1.2.3', tier, namespace: 'orders' });
  return { app, chart, order };
}

describe('ServiceLevelObjective', () => {
  test('defaults: 99.95% availability over 30d, named after the service, every field resolved and rendered', () => {
    const { app, chart, order } = setup();
    const slo = new ServiceLevelObjective(chart, 'order-availability', { service: order, sli: Sli.availability(), ...LINKS });
    expect(slo.objective.percent).toBe(99.95);
    expect(slo.errorBudget.perYear.minutes).toBe(262.8);
    expect(slo.window).toBe('30d');
    expect(slo.interval).toBe('30s');
    expect(slo.name).toBe('order-service-availability');
    expect(slo.dashboardUrl).toBe('https://grafana.example.com/d/order-service');
    expect(slo.identity).toEqual({ name: 'order-service', namespace: 'orders', selector: { job: 'order-service', namespace: 'orders' } });
    expect(slo.tiers).toEqual({
      fastPage: { enabled: true, severity: 'P1', for: '2m' },
      slowPage: { enabled: true, severity: 'P1', for: '15m' },
      fastTicket: { enabled: true, severity: 'P3', for: '1h' },
      slowTicket: { enabled: true, severity: 'P3', for: '3h' },
    });
    expect(slo.budgetExhausted).toEqual({ enabled: true, severity: 'P3', for: '5m' });
    expect(slo.budgetRemainingQuery).toBe('slo:error_budget:remaining{service="order-service",namespace="orders",slo="order-service-availability"}');
    expect(slo.errorRatioQuery('1h')).toBe('slo:sli_error:ratio_rate1h{service="order-service",namespace="orders",slo="order-service-availability"}');

    const objs = synth(chart);
    const rule = find(objs, 'PrometheusRule', 'order-service-availability-slo');
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata.namespace).toBe('orders');
    expect(rule.metadata.labels).toEqual(order.labels);
    // exactly what the renderer (proven with promtool) produces for the service's identity
    expect(rule.spec.groups).toEqual(JSON.parse(JSON.stringify(renderSloRules({
      service: serviceIdentityOf(order),
      objective: Objective.percent(99.95),
      sli: Sli.availability(),
      runbookBaseUrl: LINKS.runbookBaseUrl,
      dashboardUrl: 'https://grafana.example.com/d/order-service',
    }))));
    const alerts = rule.spec.groups[1].rules;
    expect(alerts.map((r: any) => [r.alert, r.labels.severity])).toEqual([
      ['OrderServiceAvailabilityBurnRateFastPage', 'P1'],
      ['OrderServiceAvailabilityBurnRateSlowPage', 'P1'],
      ['OrderServiceAvailabilityBurnRateFastTicket', 'P3'],
      ['OrderServiceAvailabilityBurnRateSlowTicket', 'P3'],
      ['OrderServiceAvailabilityErrorBudgetExhausted', 'P3'],
      ['OrderServiceAvailabilityNoData', 'P2'],
    ]);
    expect(slo.noData).toEqual({ enabled: true, severity: 'P2', for: '10m' });
    expect(alerts[5].expr).toBe('absent(http_requests_total{job="order-service",namespace="orders"})');
    expect(alerts[0].annotations.runbook_url).toBe('https://wiki.example.com/runbooks/order-service-availability-burn-rate-fast-page');
    expect(rule.spec.groups[0].rules[0].expr).toContain('http_requests_total{job="order-service",namespace="orders",code=~"5.."}');
    expectValidManifests(objs);
    expect(Checks.of(app).run().findings).toEqual([]);
  });

  test('latency SLI defaults to the case study\'s 99.5% objective; tiers can be switched off; ruleLabels are added', () => {
    const { chart, order } = setup();
    const slo = new ServiceLevelObjective(chart, 'order-latency', {
      service: order,
      sli: Sli.latency({ thresholdSeconds: 0.1 }),
      ...LINKS,
      tiers: { slowTicket: { enabled: false } },
      budgetExhausted: { enabled: false },
      ruleLabels: { release: 'kube-prometheus-stack' },
    });
    expect(slo.objective.percent).toBe(99.5);
    expect(slo.name).toBe('order-service-latency');
    expect(slo.tiers.slowTicket.enabled).toBe(false);
    const rule = find(synth(chart), 'PrometheusRule', 'order-service-latency-slo');
    expect(rule.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(rule.spec.groups[1].rules.map((r: any) => r.alert)).toEqual([
      'OrderServiceLatencyBurnRateFastPage', 'OrderServiceLatencyBurnRateSlowPage', 'OrderServiceLatencyBurnRateFastTicket', 'OrderServiceLatencyNoData',
    ]);
    expect(rule.spec.groups[0].rules[0].expr).toContain('http_request_duration_seconds_bucket{job="order-service",namespace="orders",le=~"0\\\\.10*"}');
  });

  test('severities are lowered for less critical tiers', () => {
    expect(TIER_SEVERITY_SHIFT).toEqual({ critical: 0, high: 0, medium: 1, low: 2 });
    expect(severityForTier('P1', Criticality.MEDIUM)).toBe('P2');
    expect(severityForTier('P0', Criticality.LOW)).toBe('P2');
    expect(severityForTier('P3', Criticality.LOW)).toBe('P4');
    expect(severityForTier('P4', Criticality.MEDIUM)).toBe('P4');
    const { chart, order } = setup(Criticality.LOW);
    const slo = new ServiceLevelObjective(chart, 'slo', { service: order, sli: Sli.availability(), ...LINKS, tiers: { slowPage: { severity: 'P2' } } });
    expect(slo.tiers.fastPage.severity).toBe('P3');
    expect(slo.tiers.slowPage.severity).toBe('P2');
    expect(slo.tiers.fastTicket.severity).toBe('P4');
    expect(slo.budgetExhausted.severity).toBe('P4');
  });

  test('bad input: every problem at once, and the tree is left as it was', () => {
    const { chart, order } = setup();
    const e = errorOf(() => new ServiceLevelObjective(chart, 'bad', {
      service: order,
      sli: Sli.availability(),
      objective: 99.95 as any,
      window: '2d',
      runbookBaseUrl: 'wiki',
      dashboardBaseUrl: LINKS.dashboardBaseUrl,
      tiers: { fastPage: { severity: 'P9' as any } },
    }));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe([
      'ServiceLevelObjective \'test/bad\': 4 problems:',
      ' - objective (99.95) is a plain number, which is read as a fraction between 0 and 1 (exclusive); for a percentage write Objective.percent(99.95), or give the fraction 0.9995',
      ' - window ("2d") is shorter than the longest alert window (3d); use a window of at least "3d"; the workbook uses "30d"',
      ' - tiers.fastPage.severity ("P9") is not a severity tier; use one of P0, P1, P2, P3, P4 (the case study\'s tiers)',
      ' - runbookBaseUrl ("wiki") is not an absolute http(s) URL; give a full URL, e.g. "https://wiki.example.com/runbooks"',
    ].join('\n'));
    expect(chart.node.tryFindChild('bad')).toBeUndefined();
    const e2 = errorOf(() => new ServiceLevelObjective(chart, 'bad2', { service: {} as any, sli: Sli.availability(), ...LINKS, dashboardBaseUrl: 'x' }));
    expect(e2.message).toBe([
      'ServiceLevelObjective \'test/bad2\': 2 problems:',
      ' - service ("[object Object]") is not a ResilientService; attach the SLO to the ResilientService it measures, e.g. { service: order }',
      ' - dashboardBaseUrl ("x") is not an absolute http(s) URL; give a full URL, e.g. "https://wiki.example.com/runbooks"',
    ].join('\n'));
    expect(chart.node.tryFindChild('bad2')).toBeUndefined();
  });
});

describe('StandardAlerts', () => {
  test('defaults: the case study\'s pack for the service, primary pods included, severities by tier', () => {
    const { app, chart, order } = setup();
    const pack = new StandardAlerts(chart, 'order-alerts', { service: order, ...LINKS });
    expect(pack.podPattern).toBe('order-service(-primary)?-[a-z0-9]{1,10}-[a-z0-9]{5}');
    expect(pack.dashboardUrl).toBe('https://grafana.example.com/d/order-service');
    expect(pack.severities).toEqual({
      serviceDown: 'P0', highErrorRate: 'P1', highLatency: 'P2', databasePool: 'P3', highMemory: 'P4', podNotReady: 'P3', crashLooping: 'P3',
    });
    const objs = synth(chart);
    const rule = find(objs, 'PrometheusRule', 'order-service-alerts');
    expect(rule.metadata.namespace).toBe('orders');
    expect(rule.spec.groups).toEqual([JSON.parse(JSON.stringify(renderStandardAlertPack({
      service: serviceIdentityOf(order),
      runbookBaseUrl: LINKS.runbookBaseUrl,
      dashboardUrl: 'https://grafana.example.com/d/order-service',
      podPattern: pack.podPattern,
    })))]);
    expect(rule.spec.groups[0].rules.map((r: any) => [r.alert, r.labels.severity, r.for])).toEqual([
      ['OrderServiceDown', 'P0', '1m'],
      ['OrderServiceHighErrorRate', 'P1', '3m'],
      ['OrderServiceHighLatency', 'P2', '5m'],
      ['OrderServiceHighMemory', 'P4', '15m'],
      ['OrderServicePodNotReady', 'P3', '10m'],
      ['OrderServiceCrashLooping', 'P3', '5m'],
    ]);
    expectValidManifests(objs);
    expect(Checks.of(app).run().findings).toEqual([]);
  });

  test('a medium service\'s pack is one level lower; a database pool alert when a database is named; explicit severities win', () => {
    const { chart, order } = setup(Criticality.MEDIUM);
    const pack = new StandardAlerts(chart, 'a', {
      service: order, ...LINKS, databasePool: { database: 'orders' }, highLatency: { severity: 'P1', threshold: 0.5 },
    });
    Checks.suppress(pack, 'NINES-RT-SIG-01', 'unit fixture: the database whose pool the alert reads runs outside this test app');
    expect(pack.severities).toEqual({
      serviceDown: 'P1', highErrorRate: 'P2', highLatency: 'P1', databasePool: 'P4', highMemory: 'P4', podNotReady: 'P4', crashLooping: 'P4',
    });
    const rules = find(synth(chart), 'PrometheusRule').spec.groups[0].rules;
    expect(rules.find((r: any) => r.alert === 'OrderServiceDbPoolExhausted').labels.severity).toBe('P4');
    expect(rules.find((r: any) => r.alert === 'OrderServiceHighLatency').expr).toMatch(/> 0\.5$/);
  });

  test('bad input is reported with the construct path, and the tree is left as it was', () => {
    const { chart, order } = setup();
    const e = errorOf(() => new StandardAlerts(chart, 'bad', { service: order, ...LINKS, highErrorRate: { threshold: 5 }, ruleLabels: { x: 'a b' } }));
    expect(e.message).toBe([
      'StandardAlerts \'test/bad\': 2 problems:',
      ' - highErrorRate.threshold (5) must be above 0 and at most 1; give a share of requests, e.g. 0.05 for 5%',
      ' - ruleLabels.x ("a b") is not a valid label value; use letters, digits, "-", "_" or ".", at most 63 characters',
    ].join('\n'));
    expect(chart.node.tryFindChild('bad')).toBeUndefined();
  });
});
