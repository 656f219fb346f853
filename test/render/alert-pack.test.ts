import { DEFAULT_PACK_ALERTS, renderStandardAlertPack, StandardAlertPackOptions } from '../../lib/render/alert-pack';
import { PrometheusAlertingRule } from '../../lib/render/slo-rules';
import { messageOf } from '../util/errors';

const service = { name: 'order-service', namespace: 'orders', selector: { job: 'order-service', namespace: 'orders' } };
const base: StandardAlertPackOptions = {
  service,
  runbookBaseUrl: 'https://wiki.company.com/runbooks',
  dashboardUrl: 'https://grafana.example.com/d/order-service',
};
const PODS = 'namespace="orders",pod=~"order-service-([a-z0-9]{1,10}-[a-z0-9]{5}|[0-9]+)"';

function rule(options: StandardAlertPackOptions, name: string): PrometheusAlertingRule {
  const r = renderStandardAlertPack(options).rules.find(x => 'alert' in x && x.alert === name);
  if (!r || !('alert' in r)) throw new Error(`no alert ${name}`);
  return r;
}
function names(options: StandardAlertPackOptions): string[] {
  return renderStandardAlertPack(options).rules.map(r => ('alert' in r ? r.alert : r.record));
}

describe('renderStandardAlertPack', () => {
  test('one group "order-service-alerts"; without a database, no pool alert', () => {
    const g = renderStandardAlertPack(base);
    expect(g.name).toBe('order-service-alerts');
    expect(g.interval).toBe('30s');
    expect(names(base)).toEqual([
      'OrderServiceDown', 'OrderServiceHighErrorRate', 'OrderServiceHighLatency',
      'OrderServiceHighMemory', 'OrderServicePodNotReady', 'OrderServiceCrashLooping',
    ]);
  });

  test('service down: no target up, or none scraped; for 1m; P0; the case study\'s runbook URL', () => {
    const a = rule(base, 'OrderServiceDown');
    expect(a.expr).toBe('max(up{job="order-service",namespace="orders"}) == 0 or absent(up{job="order-service",namespace="orders"})');
    expect(a.for).toBe('1m');
    expect(a.labels).toEqual({ severity: 'P0', service: 'order-service', namespace: 'orders' });
    expect(a.annotations).toEqual({
      summary: 'order-service is completely down',
      description: 'No order-service target in orders is up, or none is scraped at all.',
      runbook_url: 'https://wiki.company.com/runbooks/order-service-down',
      dashboard_url: 'https://grafana.example.com/d/order-service',
    });
  });

  test('error rate > 5% for 3m (P1), p95 > 1s for 5m (P2)', () => {
    const e = rule(base, 'OrderServiceHighErrorRate');
    expect(e.expr).toBe('sum(rate(http_requests_total{job="order-service",namespace="orders",code=~"5.."}[5m])) '
      + '/ sum(rate(http_requests_total{job="order-service",namespace="orders"}[5m])) > 0.05');
    expect([e.for, e.labels.severity, e.annotations.summary]).toEqual(['3m', 'P1', 'order-service error rate > 5%']);
    const l = rule(base, 'OrderServiceHighLatency');
    expect(l.expr).toBe('histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="order-service",namespace="orders"}[5m]))) > 1');
    expect([l.for, l.labels.severity, l.annotations.summary]).toEqual(['5m', 'P2', 'order-service p95 latency > 1s']);
  });

  test('database pool > 80% for 10m (P3), when a database is named', () => {
    const options = { ...base, databasePool: { database: 'orders', selector: { job: 'orders-db' } } };
    const a = rule(options, 'OrderServiceDbPoolExhausted');
    expect(a.expr).toBe('sum by (instance) (pg_stat_activity_count{job="orders-db",datname="orders"}) '
      + '/ on (instance) max by (instance) (pg_settings_max_connections{job="orders-db"}) > 0.8');
    expect([a.for, a.labels.severity]).toEqual(['10m', 'P3']);
    expect(names(options)).toHaveLength(7);
    expect(rule({ ...base, databasePool: { database: 'orders' } }, 'OrderServiceDbPoolExhausted').expr).toContain('max by (instance) (pg_settings_max_connections) > 0.8');
  });

  test('memory > 70% of the limit for 15m (P4), pod not ready for 10m (P3), crash looping (P3)', () => {
    const m = rule(base, 'OrderServiceHighMemory');
    expect(m.expr).toBe(`max by (namespace, pod, container) (container_memory_working_set_bytes{${PODS},container!=""}) `
      + `/ max by (namespace, pod, container) (kube_pod_container_resource_limits{${PODS},resource="memory"}) > 0.7`);
    expect([m.for, m.labels.severity]).toEqual(['15m', 'P4']);
    const r = rule(base, 'OrderServicePodNotReady');
    expect(r.expr).toBe(`max by (namespace, pod) (kube_pod_status_ready{${PODS},condition="false"}) == 1`);
    expect([r.for, r.labels.severity]).toEqual(['10m', 'P3']);
    const c = rule(base, 'OrderServiceCrashLooping');
    expect(c.expr).toBe(`increase(kube_pod_container_status_restarts_total{${PODS}}[15m]) > 3\nor\n`
      + `max_over_time(kube_pod_container_status_waiting_reason{${PODS},reason="CrashLoopBackOff"}[5m]) >= 1`);
    expect([c.for, c.labels.severity]).toEqual(['5m', 'P3']);
  });

  test('the default pod pattern takes Deployment and StatefulSet pods, not another service\'s', () => {
    const pattern = new RegExp('^(?:order-service-([a-z0-9]{1,10}-[a-z0-9]{5}|[0-9]+))$');
    expect(['order-service-7d9f8b6c5-x2k4p', 'order-service-0', 'order-service-12'].every(p => pattern.test(p))).toBe(true);
    expect(['order-service-worker-7d9f8b6c5-x2k4p', 'order-service', 'payment-service-0'].some(p => pattern.test(p))).toBe(false);
  });

  test('thresholds, severities, for and metric names are overridable; alerts can be switched off', () => {
    const options: StandardAlertPackOptions = {
      ...base,
      http: { requestsMetric: 'orders_requests_total', statusLabel: 'status', durationMetric: 'orders_latency_seconds' },
      podPattern: 'orders-api-.*',
      highErrorRate: { threshold: 0.01, for: '5m', severity: 'P2' },
      highLatency: { quantile: 0.99, threshold: 0.5 },
      highMemory: { enabled: false },
      crashLooping: { restarts: 5, window: '30m' },
      podNotReady: { enabled: false },
    };
    expect(names(options)).toEqual(['OrderServiceDown', 'OrderServiceHighErrorRate', 'OrderServiceHighLatency', 'OrderServiceCrashLooping']);
    const e = rule(options, 'OrderServiceHighErrorRate');
    expect(e.expr).toBe('sum(rate(orders_requests_total{job="order-service",namespace="orders",status=~"5.."}[5m])) '
      + '/ sum(rate(orders_requests_total{job="order-service",namespace="orders"}[5m])) > 0.01');
    expect([e.for, e.labels.severity, e.annotations.summary]).toEqual(['5m', 'P2', 'order-service error rate > 1%']);
    const l = rule(options, 'OrderServiceHighLatency');
    expect(l.expr).toBe('histogram_quantile(0.99, sum by (le) (rate(orders_latency_seconds_bucket{job="order-service",namespace="orders"}[5m]))) > 0.5');
    expect(l.annotations.summary).toBe('order-service p99 latency > 0.5s');
    expect(rule(options, 'OrderServiceCrashLooping').expr).toBe('increase(kube_pod_container_status_restarts_total{namespace="orders",pod=~"orders-api-.*"}[30m]) > 5\nor\n'
      + 'max_over_time(kube_pod_container_status_waiting_reason{namespace="orders",pod=~"orders-api-.*",reason="CrashLoopBackOff"}[5m]) >= 1');
  });

  test('the defaults table is what renders', () => {
    const options = { ...base, databasePool: { database: 'orders' } };
    const byName: Record<string, keyof typeof DEFAULT_PACK_ALERTS> = {
      OrderServiceDown: 'serviceDown',
      OrderServiceHighErrorRate: 'highErrorRate',
      OrderServiceHighLatency: 'highLatency',
      OrderServiceDbPoolExhausted: 'databasePool',
      OrderServiceHighMemory: 'highMemory',
      OrderServicePodNotReady: 'podNotReady',
      OrderServiceCrashLooping: 'crashLooping',
    };
    for (const [alertName, key] of Object.entries(byName)) {
      const a = rule(options, alertName);
      expect([a.labels.severity, a.for]).toEqual([DEFAULT_PACK_ALERTS[key].severity, DEFAULT_PACK_ALERTS[key].for]);
    }
  });

  test('every problem at once, exactly', () => {
    expect(messageOf(() => renderStandardAlertPack({
      service: { name: 'order-service', namespace: 'orders', selector: {} },
      runbookBaseUrl: 'https://wiki.company.com/runbooks',
      dashboardUrl: 'grafana',
      podPattern: 'order-service-(',
      highErrorRate: { threshold: 5 },
      highLatency: { threshold: 0, quantile: 95 },
      highMemory: { threshold: 70, severity: 'P5' as any },
      databasePool: { database: '', threshold: 0.8 },
      crashLooping: { restarts: 2.5, window: '15' as any },
    }))).toBe([
      "StandardAlertPack 'order-service': 11 problems:",
      ' - service.selector ({}) has no label, so it would match every service\'s metrics; select the service\'s own series, e.g. { job: "order-service", namespace: "orders" }',
      ' - dashboardUrl ("grafana") is not an absolute http(s) URL; give a full URL, e.g. "https://wiki.example.com/runbooks"',
      ' - podPattern ("order-service-(") is not a regular expression; give a pattern matching the service\'s pod names, e.g. "order-service-.*"',
      ' - highMemory.severity ("P5") is not a severity tier; use one of P0, P1, P2, P3, P4 (the case study\'s tiers)',
      ' - highErrorRate.threshold (5) must be above 0 and at most 1; give a share of requests, e.g. 0.05 for 5%',
      ' - highLatency.threshold (0) must be a positive number; give seconds, e.g. 1',
      ' - highLatency.quantile (95) must be between 0 and 1 (exclusive); give a quantile, e.g. 0.95 for p95',
      ' - highMemory.threshold (70) must be above 0 and at most 1; give a share of the limit, e.g. 0.7 for 70%',
      ' - databasePool.database ("") must name the database (postgres_exporter\'s datname label); give e.g. "orders"',
      ' - crashLooping.restarts (2.5) must be a whole number of restarts; give e.g. 3',
      ' - crashLooping.window ("15") is not a positive Prometheus duration; write a Prometheus duration: a whole number and one unit of s, m, h, d or w, e.g. "5m" or "30d"',
    ].join('\n'));
  });
});
