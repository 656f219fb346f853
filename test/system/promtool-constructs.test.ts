/**
 * The constructs' own output on Prometheus' tools: a small app (three services of three tiers,
 * each with availability and latency SLOs and the standard alert pack, and a CanaryRelease for the
 * critical one) is synthesized; every PrometheusRule's `spec.groups` goes to
 * `promtool check rules`, and the canary's MetricTemplate queries and error-budget gate query
 * are evaluated by `promtool test rules` over synthetic series: with no traffic (no series, or
 * counters standing still) they return no sample, which Flagger counts as a failed check ("no
 * values found"), and the budget gate holds without its record; the SLOs' no-data alerts fire
 * while the request counters are absent; with traffic the templates measure the canary's pods
 * only, not the primary's.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { promtool, PromtoolRun } from './promtool/scenarios';
import { Checks, Criticality, Platform, RegionChart, ResilientService, Sli } from '../../lib';
import { CanaryRelease } from '../../lib/k8s/canary-release';
import { ServiceLevelObjective, StandardAlerts } from '../../lib/k8s/service-level-objective';
import { withoutClusterObjects } from '../k8s/helpers';

const WORK_DIR = path.join(__dirname, '.work', `promtool-constructs-${process.pid}`);
const LINKS = { runbookBaseUrl: 'https://wiki.example.com/runbooks', dashboardBaseUrl: 'https://grafana.example.com/d' };

function buildApp(): { app: App; release: CanaryRelease; objs: any[] } {
  // The service's database is outside this app: its exporter is declared as an external source.
  const platform = Platform.fromDescription({
    environment: 'test',
    regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }],
    externalMetrics: [{ source: 'the orders database\'s postgres_exporter', metrics: ['pg_stat_activity_count', 'pg_settings_max_connections'] }],
  });
  const app = Testing.app();
  withoutClusterObjects(app);
  Checks.of(app).log = () => {};
  const chart = new RegionChart(app, 'shop', { region: platform.region('us-east-1') });
  const specs = [
    { name: 'order-service', namespace: 'orders', tier: Criticality.CRITICAL },
    { name: 'product-service', namespace: 'catalog', tier: Criticality.HIGH },
    { name: 'recommendation-service', namespace: 'recommendations', tier: Criticality.LOW },
  ];
  let release: CanaryRelease | undefined;
  for (const s of specs) {
    const svc = new ResilientService(chart, s.name, { image: `registry.example.com/shop/${s.name}:1.0.0`, tier: s.tier, namespace: s.namespace });
    const availability = new ServiceLevelObjective(chart, `${s.name}-availability`, { service: svc, sli: Sli.availability(), ...LINKS });
    const latency = new ServiceLevelObjective(chart, `${s.name}-latency`, { service: svc, sli: Sli.latency({ thresholdSeconds: 0.1 }), ...LINKS });
    new StandardAlerts(chart, `${s.name}-alerts`, { service: svc, ...LINKS, ...(s.tier === Criticality.CRITICAL ? { databasePool: { database: 'orders' } } : {}) });
    if (s.tier === Criticality.CRITICAL) release = new CanaryRelease(chart, `${s.name}-canary`, { service: svc, slo: availability, latencySlo: latency });
  }
  const objs = Testing.synth(chart);
  return { app, release: release!, objs };
}

const COUNTER = (perMinute: number, minutes = 10) => `0+${perMinute}x${minutes}`;
const CANARY_POD = 'order-service-5c8d7f9b4-k2m9x';
const PRIMARY_POD = 'order-service-primary-6b7c8d9f5-q1w2e';

let built: ReturnType<typeof buildApp>;
let check: PromtoolRun;
let evaluate: PromtoolRun;
let ruleCount = 0;

describe('the constructs\' PrometheusRules and canary queries, on promtool', () => {
  beforeAll(async () => {
    fs.rmSync(WORK_DIR, { recursive: true, force: true });
    fs.mkdirSync(WORK_DIR, { recursive: true });
    built = buildApp();
    const rules = built.objs.filter(o => o.kind === 'PrometheusRule');
    const groups = rules.flatMap(r => r.spec.groups);
    ruleCount = groups.reduce((n: number, g: any) => n + g.rules.length, 0);
    const ruleFile = path.join(WORK_DIR, 'rules.yaml');
    fs.writeFileSync(ruleFile, stringify({ groups }, { lineWidth: 0 }));

    // Flagger renders {{ interval }} with the metric's interval (1m here)
    const template = (name: string) => built.objs.find(o => o.kind === 'MetricTemplate' && o.metadata.name === `order-service-${name}`).spec.query.replace(/\{\{ interval \}\}/g, '1m');
    const success = template('request-success-rate');
    const duration = template('request-duration');
    const bucket = (le: string, perMinute: number, pod: string) => ({
      series: `http_request_duration_seconds_bucket{namespace="orders",pod="${pod}",le="${le}"}`, values: COUNTER(perMinute),
    });
    const noDataRule = groups.flatMap((g: any) => g.rules).find((r: any) => r.alert === 'OrderServiceAvailabilityNoData');
    const noDataAnnotations = noDataRule.annotations;
    const testFile = path.join(WORK_DIR, 'canary.test.yaml');
    fs.writeFileSync(testFile, stringify({
      rule_files: [ruleFile],
      evaluation_interval: '1m',
      tests: [
        {
          // no traffic at all: no sample (Flagger: "no values found", a failed check); no budget record yet: the gate holds;
          // the order-service availability SLO's no-data alert fires once the counter has been absent for its `for` (10m)
          interval: '1m',
          input_series: [{ series: 'up{job="unrelated"}', values: '1x20' }],
          promql_expr_test: [
            { expr: success, eval_time: '5m', exp_samples: [] },
            { expr: duration, eval_time: '5m', exp_samples: [] },
            { expr: built.release.budgetGateQuery, eval_time: '5m', exp_samples: [] },
          ],
          alert_rule_test: [
            { alertname: 'OrderServiceAvailabilityNoData', eval_time: '5m', exp_alerts: [] },
            {
              alertname: 'OrderServiceAvailabilityNoData',
              eval_time: '15m',
              exp_alerts: [{ exp_labels: { severity: 'P2', service: 'order-service', namespace: 'orders', slo: 'order-service-availability', job: 'order-service' }, exp_annotations: noDataAnnotations }],
            },
          ],
        },
        {
          // counters that exist but stand still (0/0 = NaN, dropped by ">= 0"): no sample either
          interval: '1m',
          input_series: [
            { series: `http_requests_total{namespace="orders",pod="${CANARY_POD}",code="200"}`, values: '5x10' },
            { series: `http_request_duration_seconds_bucket{namespace="orders",pod="${CANARY_POD}",le="+Inf"}`, values: '5x10' },
          ],
          promql_expr_test: [
            { expr: success, eval_time: '5m', exp_samples: [] },
            { expr: duration, eval_time: '5m', exp_samples: [] },
          ],
        },
        {
          // canary: 2% errors, all requests between 0.25 s and 0.5 s; primary: 50% errors, slow (must be ignored)
          interval: '1m',
          input_series: [
            { series: `http_requests_total{namespace="orders",pod="${CANARY_POD}",code="200"}`, values: COUNTER(980) },
            { series: `http_requests_total{namespace="orders",pod="${CANARY_POD}",code="503"}`, values: COUNTER(20) },
            { series: `http_requests_total{namespace="orders",pod="${PRIMARY_POD}",code="200"}`, values: COUNTER(500) },
            { series: `http_requests_total{namespace="orders",pod="${PRIMARY_POD}",code="500"}`, values: COUNTER(500) },
            bucket('0.25', 0, CANARY_POD), bucket('0.5', 1000, CANARY_POD), bucket('+Inf', 1000, CANARY_POD),
            bucket('0.25', 0, PRIMARY_POD), bucket('0.5', 0, PRIMARY_POD), bucket('+Inf', 1000, PRIMARY_POD),
            // the budget is spent: the gate's query returns nothing, so the gate holds
            {
              series: 'slo:error_budget:remaining{service="order-service",namespace="orders",slo="order-service-availability"}', values: '-0.5x10',
            },
          ],
          promql_expr_test: [
            { expr: success, eval_time: '5m', exp_samples: [{ labels: '{}', value: 98 }] },
            // p99 within the 0.25-0.5 s bucket: 1000 × (0.25 + 0.25 × 0.99), exactly as Prometheus computes it in floating point
            { expr: duration, eval_time: '5m', exp_samples: [{ labels: '{}', value: 497.49999999999994 }] },
            { expr: built.release.budgetGateQuery, eval_time: '5m', exp_samples: [] },
          ],
        },
      ],
    }, { lineWidth: 0 }));
    [check, evaluate] = await Promise.all([promtool(['check', 'rules', ruleFile]), promtool(['test', 'rules', testFile])]);
  }, 60_000);

  afterAll(() => {
    fs.rmSync(WORK_DIR, { recursive: true, force: true });
    if (check && evaluate) {
      console.log(`promtool-constructs: ${ruleCount} rules in ${built.objs.filter(o => o.kind === 'PrometheusRule').length} PrometheusRules checked in ${check.seconds.toFixed(1)} s; `
        + `canary queries evaluated in ${evaluate.seconds.toFixed(1)} s`);
    }
  });

  test('the app synthesizes with zero findings', () => {
    expect(Checks.of(built.app).run().findings).toEqual([]);
    expect(built.objs.filter(o => o.kind === 'PrometheusRule')).toHaveLength(9);
  });

  test('promtool check rules accepts every rule of every PrometheusRule', () => {
    expect(check.output).toContain(`SUCCESS: ${ruleCount} rules found`);
    expect(check.exitCode).toBe(0);
  });

  test('without traffic the canary\'s templates and the budget gate give no sample and the SLO\'s no-data alert fires; with traffic they judge the canary\'s pods only, and the gate holds when spent', () => {
    expect(evaluate.output).toContain('SUCCESS');
    expect(evaluate.exitCode).toBe(0);
  });
});
