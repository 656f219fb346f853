import { App } from 'cdk8s';
import * as fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { built, errorOf, find, regionChart, synth, withoutClusterObjects } from './helpers';
import { build as buildExample } from '../../examples/canary';
import { Checks, Criticality, Platform, RegionChart, ResilientService, ServiceProtocol, Sli } from '../../lib';
import { ValidationError } from '../../lib/core/errors';
import { CanaryRelease, CanaryReleaseProps, resolveCanaryReleaseProps } from '../../lib/k8s/canary-release';
import { ServiceLevelObjective } from '../../lib/k8s/service-level-objective';
import '../util/flagger-schemas';
import { expectValidManifests, validateObject } from '../util/schema';

const LINKS = { runbookBaseUrl: 'https://wiki.example.com/runbooks', dashboardBaseUrl: 'https://grafana.example.com/d' };

function setup(autoscaling = true) {
  const { app, chart } = regionChart();
  const order = new ResilientService(chart, 'order-service', {
    image: 'registry.example.com/shop/order-service:1.2.3',
    tier: Criticality.CRITICAL,
    namespace: 'orders',
    ...(autoscaling ? {} : { autoscaling: false as const }),
  });
  const slo = new ServiceLevelObjective(chart, 'availability', { service: order, sli: Sli.availability(), ...LINKS });
  const latencySlo = new ServiceLevelObjective(chart, 'latency', { service: order, sli: Sli.latency({ thresholdSeconds: 0.1 }), ...LINKS });
  return { app, chart, order, slo, latencySlo };
}

describe('CanaryRelease', () => {
  test('defaults: the case study\'s analysis, SLO-derived templates, webhooks, circuit breaker moved into the Canary', () => {
    const { app, chart, order, slo, latencySlo } = setup();
    const release = new CanaryRelease(chart, 'canary', { service: order, slo, latencySlo });
    expect(release.interval).toBe('1m');
    expect(release.threshold).toBe(5);
    expect(release.strategy).toEqual({ type: 'progressive', maxWeight: 50, stepWeight: 10 });
    expect(release.minSuccessRate).toBe(99);
    expect(release.maxRequestDurationMs).toBe(500);
    expect(release.prometheusUrl).toBe('http://prometheus-operated.monitoring.svc:9090');
    expect(release.loadTesterUrl).toBe('http://flagger-loadtester.flagger-system/');
    expect(release.loadTestCommand).toBe('hey -z 1m -q 10 -c 2 http://order-service-canary.orders:80/');
    expect(release.budgetGate).toBe(true);
    const budget = 'slo:error_budget:remaining{service="order-service",namespace="orders",slo="order-service-availability"}';
    // no record holds the promotion (a gate must not pass on no data)
    expect(release.budgetGateQuery).toBe(`${budget} > 0`);

    const objs = synth(chart);
    // Flagger owns the host's DestinationRules and VirtualService now
    expect(objs.filter(o => o.kind === 'DestinationRule' || o.kind === 'VirtualService')).toEqual([]);
    const canary = find(objs, 'Canary', 'order-service');
    expect(canary.apiVersion).toBe('flagger.app/v1beta1');
    expect(canary.metadata.namespace).toBe('orders');
    expect(canary.spec.provider).toBe('istio');
    expect(canary.spec.targetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'order-service' });
    expect(canary.spec.autoscalerRef).toEqual({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'order-service' });
    expect(canary.spec.progressDeadlineSeconds).toBe(600);
    expect(canary.spec.service).toEqual({
      name: 'order-service',
      port: 80,
      targetPort: 'http',
      portName: 'http',
      appProtocol: 'http',
      portDiscovery: true,
      hosts: ['order-service.orders.svc.cluster.local'],
      timeout: '10s',
      retries: { attempts: 2, perTryTimeout: '3s', retryOn: 'connect-failure,refused-stream,unavailable,cancelled' },
      trafficPolicy: {
        connectionPool: { http: { http1MaxPendingRequests: 50, http2MaxRequests: 100, maxRequestsPerConnection: 2 } },
        outlierDetection: { consecutive5xxErrors: 5, interval: '30s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
        tls: { mode: 'ISTIO_MUTUAL' },
      },
      canary: { labels: order.selectorLabels },
    });
    const a = canary.spec.analysis;
    expect([a.interval, a.threshold, a.maxWeight, a.stepWeight, a.iterations]).toEqual(['1m', 5, 50, 10, undefined]);
    expect(a.metrics).toEqual([
      { name: 'request-success-rate', templateRef: { name: 'order-service-request-success-rate', namespace: 'orders' }, thresholdRange: { min: 99 }, interval: '1m' },
      { name: 'request-duration', templateRef: { name: 'order-service-request-duration', namespace: 'orders' }, thresholdRange: { max: 500 }, interval: '1m' },
    ]);
    expect(a.webhooks.map((w: any) => [w.name, w.type])).toEqual([
      ['load-test', 'pre-rollout'], ['load-during-analysis', 'rollout'], ['error-budget-gate', 'confirm-promotion'],
    ]);
    expect(a.webhooks[0].metadata).toEqual({ cmd: 'hey -z 1m -q 10 -c 2 http://order-service-canary.orders:80/' });
    expect(a.webhooks[2].metadata).toEqual({
      type: 'bash',
      cmd: `curl -sfG 'http://prometheus-operated.monitoring.svc:9090/api/v1/query' --data-urlencode 'query=${release.budgetGateQuery}' | grep -q '"value"'`,
    });

    const pods = 'namespace="orders",pod=~"order-service-[a-z0-9]{1,10}-[a-z0-9]{5}"';
    const success = find(objs, 'MetricTemplate', 'order-service-request-success-rate');
    expect(success.spec).toEqual({
      provider: { type: 'prometheus', address: 'http://prometheus-operated.monitoring.svc:9090' },
      query: `(100 * (1 - (sum(rate(http_requests_total{code=~"5..",${pods}}[{{ interval }}])) or vector(0))`
        + ` / sum(rate(http_requests_total{${pods}}[{{ interval }}])))) >= 0`,
    });
    const duration = find(objs, 'MetricTemplate', 'order-service-request-duration');
    expect(duration.spec.query).toBe(
      `(1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{${pods}}[{{ interval }}])))) >= 0`);
    // the same SLI that pages: the SLO's recorded error rate uses the same counter and failed statuses
    expect(slo.groups[0].rules[0].expr).toBe('(sum(rate(http_requests_total{job="order-service",namespace="orders",code=~"5.."}[5m])) or vector(0))');

    expectValidManifests(objs);
    expect(Checks.of(app).run().findings).toEqual([]);
  });

  test('blue/green runs iterations without weights; A/B routes a header or cookie cohort; no HPA means no autoscalerRef', () => {
    const bg = setup(false);
    new CanaryRelease(bg.chart, 'c', { service: bg.order, slo: bg.slo, strategy: { type: 'blueGreen' } });
    const bgCanary = find(synth(bg.chart), 'Canary');
    expect(bgCanary.spec.analysis.iterations).toBe(10);
    expect(bgCanary.spec.analysis.maxWeight).toBeUndefined();
    expect(bgCanary.spec.autoscalerRef).toBeUndefined();
    expectValidManifests([bgCanary]);

    const ab = setup();
    const release = new CanaryRelease(ab.chart, 'c', {
      service: ab.order,
      slo: ab.slo,
      budgetGate: false,
      strategy: { type: 'abTest', iterations: 20, match: [{ header: 'x-user-cohort', exact: 'beta' }, { cookie: 'canary', value: 'always' }] },
    });
    expect(release.strategy).toEqual({ type: 'abTest', iterations: 20, match: [{ header: 'x-user-cohort', exact: 'beta' }, { cookie: 'canary', value: 'always' }] });
    const abObjs = synth(ab.chart);
    const canary = find(abObjs, 'Canary');
    expect(canary.spec.analysis.iterations).toBe(20);
    expect(canary.spec.analysis.match).toEqual([
      { headers: { 'x-user-cohort': { exact: 'beta' } } },
      { headers: { cookie: { regex: '^(.*?;\\s*)?(canary=always)(;.*)?$' } } },
    ]);
    expect(canary.spec.analysis.webhooks.map((w: any) => w.name)).toEqual(['load-test', 'load-during-analysis']);
    // without a latency SLO the duration check reads the default histogram
    expect(find(abObjs, 'MetricTemplate', 'order-service-request-duration').spec.query).toContain('http_request_duration_seconds_bucket{');
    expectValidManifests(abObjs);
    expect(Checks.of(ab.app).run().findings).toEqual([]);
  });

  test('extra metrics become templates; loadTesterUrl: false drops the webhooks', () => {
    const { chart, order, slo } = setup();
    const release = new CanaryRelease(chart, 'c', {
      service: order, slo, loadTesterUrl: false, budgetGate: false, metrics: [{ name: 'queue-lag', query: 'max(kafka_consumergroup_lag{namespace="orders"})', max: 100 }],
    });
    Checks.suppress(release, 'NINES-RT-SIG-01', 'unit fixture: the Kafka lag exporter runs outside this test app');
    expect(release.loadTesterUrl).toBeUndefined();
    expect([...release.metricTemplates.keys()]).toEqual(['request-success-rate', 'request-duration', 'queue-lag']);
    const objs = synth(chart);
    expect(find(objs, 'MetricTemplate', 'order-service-queue-lag').spec.query).toBe('max(kafka_consumergroup_lag{namespace="orders"})');
    expect(find(objs, 'Canary').spec.analysis.webhooks).toEqual([]);
    expect(find(objs, 'Canary').spec.analysis.metrics[2].thresholdRange).toEqual({ max: 100 });
    expectValidManifests(objs);
  });

  test('invariants: every problem at once with the fix, and the tree (including the service\'s DestinationRule) is left as it was', () => {
    const { chart, order, slo, latencySlo } = setup();
    const e = errorOf(() => new CanaryRelease(chart, 'bad', {
      service: order,
      slo: latencySlo,
      interval: '10s',
      threshold: 0,
      strategy: { type: 'progressive', maxWeight: 30, stepWeight: 40 },
      metrics: [{ name: 'x', query: ' ', min: 1 }],
    }));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe([
      'CanaryRelease \'test/bad\': 5 problems:',
      ' - slo ("order-service-latency") is not an availability SLO, so it has no success rate; give the Sli.availability() SLO here and the latency SLO as latencySlo',
      ' - interval ("10s") is shorter than the scrape interval (15s), so a step could be judged on no new samples; use at least "15s"; the case study uses "1m"',
      ' - threshold (0) must be a whole number >= 1 (failed checks before rollback); use e.g. 5 (the case study)',
      ' - strategy.stepWeight (40) must not exceed maxWeight (30); lower it to at most 30, or raise maxWeight',
      ' - metrics[0].query (" ") is empty: every MetricTemplate needs a query; give the PromQL, e.g. "max(kafka_consumergroup_lag{...})"',
    ].join('\n'));
    expect(chart.node.tryFindChild('bad')).toBeUndefined();
    expect(order.node.tryFindChild('DestinationRule')).toBeDefined();

    const e2 = errorOf(() => new CanaryRelease(chart, 'bad2', {
      service: order, slo, interval: '1h', strategy: { type: 'progressive', maxWeight: 101 }, loadTesterUrl: false,
    }));
    expect(e2.message).toBe([
      'CanaryRelease \'test/bad2\': 3 problems:',
      ' - interval ("1h") is not a duration in seconds or minutes (Flagger accepts only s and m); write e.g. "1m" or "30s"',
      ' - strategy.maxWeight (101) must be a whole percentage between 1 and 100; use e.g. 50 (the case study)',
      ' - budgetGate (true) needs the load tester, which runs the gate\'s query; give loadTesterUrl, or budgetGate: false',
    ].join('\n'));
    const e3 = errorOf(() => new CanaryRelease(chart, 'bad3', { service: order, slo, strategy: { type: 'abTest', match: [{ header: 'X Bad', exact: 'a', regex: 'b' }] } }));
    expect(e3.message).toBe([
      'CanaryRelease \'test/bad3\': 2 problems:',
      ' - strategy.match[0].header ("X Bad") is not a lower-case header name; use e.g. "x-user-cohort"',
      ' - strategy.match[0] ({"header":"X Bad","exact":"a","regex":"b"}) must give exactly one of exact and regex; write e.g. { header: "x-user-cohort", exact: "beta" }',
    ].join('\n'));
  });

  test('another service\'s SLO is refused', () => {
    const { chart, slo } = setup();
    const other = new ResilientService(chart, 'payment-service', { image: 'registry.example.com/shop/payment-service:5.0.2', tier: Criticality.CRITICAL, namespace: 'payments' });
    expect(errorOf(() => new CanaryRelease(chart, 'c', { service: other, slo })).message).toBe([
      'CanaryRelease \'test/c\': 1 problem:',
      ' - slo ("order-service-availability") belongs to order-service, not payment-service; give this service\'s own SLO',
    ].join('\n'));
  });

  test('the load tester\'s namespace is admitted to the service\'s pods (default-deny otherwise blocks the load test)', () => {
    const { chart, order, slo } = setup();
    new CanaryRelease(chart, 'c', { service: order, slo });
    const np = find(synth(chart), 'NetworkPolicy', 'order-service');
    expect(np.spec.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flagger-system' } } }],
      ports: [{ port: 'http', protocol: 'TCP' }],
    });
  });

  test('without a load tester nothing extra is admitted', () => {
    const { chart, order, slo } = setup();
    new CanaryRelease(chart, 'c', { service: order, slo, loadTesterUrl: false, budgetGate: false });
    const np = find(synth(chart), 'NetworkPolicy', 'order-service');
    expect(JSON.stringify(np.spec.ingress)).not.toContain('flagger-system');
  });

  test('a TCP service is refused: Flagger judges HTTP success rate and latency', () => {
    const { chart } = setup();
    const tcp = new ResilientService(chart, 'ledger', {
      image: 'registry.example.com/shop/ledger:1.0.0', tier: Criticality.CRITICAL, namespace: 'ledger', protocol: ServiceProtocol.TCP,
    });
    const tcpSlo = new ServiceLevelObjective(chart, 'ledger-availability', { service: tcp, sli: Sli.availability(), runbookBaseUrl: 'https://r.example.com', dashboardBaseUrl: 'https://d.example.com' });
    expect(errorOf(() => new CanaryRelease(chart, 'c', { service: tcp, slo: tcpSlo })).message).toBe([
      'CanaryRelease \'test/c\': 1 problem:',
      ' - service ("ledger") speaks tcp, but Flagger\'s analysis judges HTTP success rate and latency; release an HTTP service, or roll TCP services out with the Deployment\'s own rolling update',
    ].join('\n'));
  });

  test('the schema rejects unknown keys and the CRD\'s missing connectionPool.tcp', () => {
    const { chart, order, slo } = setup();
    new CanaryRelease(chart, 'c', { service: order, slo });
    const canary = find(synth(chart), 'Canary');
    const bad = JSON.parse(JSON.stringify(canary));
    bad.spec.service.trafficPolicy.connectionPool.tcp = { maxConnections: 100 };
    bad.spec.analysis.stepweight = 10;
    expect(validateObject(bad)).toEqual([
      'Canary/order-service: spec.analysis.stepweight: unknown field',
      'Canary/order-service: spec.service.trafficPolicy.connectionPool.tcp: unknown field',
    ]);
  });

  test('property: random analysis settings give a valid Canary with zero findings, or one ValidationError', () => {
    fc.assert(fc.property(
      fc.record({
        interval: fc.constantFrom('5s', '15s', '30s', '1m', '2m', '1h'),
        threshold: fc.integer({ min: -1, max: 10 }),
        maxWeight: fc.integer({ min: 0, max: 120 }),
        stepWeight: fc.integer({ min: 0, max: 60 }),
        blueGreen: fc.boolean(),
      }),
      p => {
        const { app, chart, order, slo } = setup();
        const props: CanaryReleaseProps = {
          service: order,
          slo,
          interval: p.interval as any,
          threshold: p.threshold,
          strategy: p.blueGreen ? { type: 'blueGreen', iterations: Math.max(p.threshold, 0) } : { type: 'progressive', maxWeight: p.maxWeight, stepWeight: p.stepWeight },
        };
        let release: CanaryRelease;
        try {
          release = built(() => new CanaryRelease(chart, 'c', props));
        } catch (e) {
          expect(e).toBeInstanceOf(ValidationError);
          expect(chart.node.tryFindChild('c')).toBeUndefined();
          return;
        }
        const seconds = release.interval.endsWith('m') ? parseInt(release.interval, 10) * 60 : parseInt(release.interval, 10);
        expect(seconds).toBeGreaterThanOrEqual(15);
        expect(release.threshold).toBeGreaterThanOrEqual(1);
        if (release.strategy.type === 'progressive') {
          expect(release.strategy.stepWeight!).toBeLessThanOrEqual(release.strategy.maxWeight!);
          expect(release.strategy.maxWeight!).toBeLessThanOrEqual(100);
        }
        const objs = synth(chart);
        expectValidManifests(objs);
        expect(Checks.of(app).run().findings).toEqual([]);
      },
    ), { numRuns: 40 });
  });
});

describe('examples/canary.ts', () => {
  test('synthesizes with zero findings; every object validates', () => {
    const app: App = buildExample();
    Checks.of(app).log = () => {};
    const objs = parseAllDocuments(app.synthYaml()).map(d => d.toJS());
    expect(Checks.of(app).lastReport!.findings).toEqual([]);
    expectValidManifests(objs);
    expect(objs.map(o => o.kind).sort()).toEqual([
      'Canary', 'Deployment', 'HorizontalPodAutoscaler', 'LimitRange', 'MetricTemplate', 'MetricTemplate', 'Namespace', 'NetworkPolicy', 'NetworkPolicy',
      'PeerAuthentication', 'PodDisruptionBudget', 'PriorityClass', 'PriorityClass', 'PriorityClass', 'PriorityClass',
      'PrometheusRule', 'PrometheusRule', 'PrometheusRule', 'ResourceQuota', 'Service', 'ServiceAccount', 'ServiceMonitor', 'Sidecar',
    ]);
  });
});

describe('resolveCanaryReleaseProps (pure, no construct built)', () => {
  const context = { prometheusUrl: 'http://prometheus-operated.monitoring.svc:9090', flaggerNamespace: 'flagger-system' };

  test('every problem at once, in prop order, nothing built', () => {
    const r = resolveCanaryReleaseProps({ service: undefined as any, slo: undefined as any, interval: '5s', threshold: 0, strategy: { type: 'progressive', maxWeight: 20, stepWeight: 30 } }, context);
    expect(r.settings).toBeUndefined();
    expect(r.problems!.map(p => `${p.prop}: ${p.why}`)).toEqual([
      'service: is not a ResilientService',
      'slo: is not a ServiceLevelObjective',
      'interval: is shorter than the scrape interval (15s), so a step could be judged on no new samples',
      'threshold: must be a whole number >= 1 (failed checks before rollback)',
      'strategy.stepWeight: must not exceed maxWeight (20)',
    ]);
  });

  test('defaults: the case study analysis and the platform\'s Prometheus', () => {
    const { chart } = regionChart();
    const service = new ResilientService(chart, 'order-service', { image: 'r/o:1.0.0', tier: Criticality.CRITICAL, namespace: 'orders' });
    const slo = new ServiceLevelObjective(chart, 'slo', { service, sli: Sli.availability(), runbookBaseUrl: 'https://wiki.example.com/runbooks', dashboardBaseUrl: 'https://grafana.example.com/d' });
    expect(resolveCanaryReleaseProps({ service, slo }, context).settings).toEqual({
      interval: '1m',
      threshold: 5,
      strategy: { type: 'progressive', maxWeight: 50, stepWeight: 10 },
      minSuccessRate: 99,
      maxRequestDurationMs: 500,
      prometheusUrl: 'http://prometheus-operated.monitoring.svc:9090',
      loadTesterUrl: 'http://flagger-loadtester.flagger-system/',
      budgetGate: true,
    });
  });

  test('the load tester is looked for in the platform\'s Flagger namespace, and admitted from there', () => {
    const platform = Platform.fromDescription({ environment: 'production', regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }], flaggerNamespace: 'progressive-delivery' });
    const app = new App();
    const chart = new RegionChart(app, 'test', { region: platform.region('us-east-1') });
    Checks.of(app).log = () => {};
    withoutClusterObjects(app);
    const service = new ResilientService(chart, 'order-service', { image: 'r/o:1.0.0', tier: Criticality.CRITICAL, namespace: 'orders' });
    const slo = new ServiceLevelObjective(chart, 'slo', { service, sli: Sli.availability(), runbookBaseUrl: 'https://wiki.example.com/runbooks', dashboardBaseUrl: 'https://grafana.example.com/d' });
    const release = new CanaryRelease(chart, 'canary', { service, slo });
    expect(release.loadTesterUrl).toBe('http://flagger-loadtester.progressive-delivery/');
    const objs = synth(chart);
    const canary = find(objs, 'Canary');
    expect(canary.spec.analysis.webhooks.map((w: any) => w.url)).toEqual(expect.arrayContaining(['http://flagger-loadtester.progressive-delivery/']));
    expect(canary.spec.analysis.webhooks.every((w: any) => w.url === 'http://flagger-loadtester.progressive-delivery/')).toBe(true);
    const np = objs.find(o => o.kind === 'NetworkPolicy' && o.metadata.name === 'order-service');
    expect(JSON.stringify(np.spec.ingress)).toContain('"kubernetes.io/metadata.name":"progressive-delivery"');
    expect(JSON.stringify(np.spec.ingress)).not.toContain('flagger-system');
  });
});
