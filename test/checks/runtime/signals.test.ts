import { ApiObject, JsonPatch } from 'cdk8s';
import { Checks, Criticality, Platform, RegionChart, ResilientService, ServiceLevelObjective, Sli, awaitedAlerts, formatFinding, metricNames } from '../../../lib';
import { CanaryRelease } from '../../../lib/k8s/canary-release';
import { defaultGuardAlert } from '../../../lib/k8s/game-day';
import { PRODUCTION } from '../../../stacks/platform';
import { buildRegion } from '../../../stacks/reference-platform';
import { regionChart } from '../../k8s/helpers';

const links = { runbookBaseUrl: 'https://r.example.com', dashboardBaseUrl: 'https://g.example.com' };

function findings(app: any, prefix: string): string[] {
  return Checks.of(app).run().findings.filter(f => f.ruleId.startsWith(prefix)).map(formatFinding);
}

function canaried() {
  const { app, chart } = regionChart();
  const order = new ResilientService(chart, 'order-service', { image: 'r/order:1.0.0', tier: Criticality.CRITICAL, namespace: 'orders' });
  const slo = new ServiceLevelObjective(chart, 'slo', { service: order, sli: Sli.availability(), ...links });
  const release = new CanaryRelease(chart, 'canary', { service: order, slo });
  return { app, chart, order, release };
}

describe('signals', () => {
  test('PromQL metric names: functions, label matchers, ranges, grouping and Flagger variables are not metrics', () => {
    expect(metricNames('sum by (namespace, pod) (rate(http_requests_total{code=~"5.."}[{{ interval }}])) / on() group_left sum(up{job="x"}) or vector(0)'))
      .toEqual(['http_requests_total', 'up']);
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 1e3')).toEqual(['http_request_duration_seconds_bucket']);
    expect(awaitedAlerts('query=ALERTS%7Balertname%3D~%22A%7CB%22%2Calertstate%3D%22firing%22%7D')).toEqual(['A', 'B']);
  });

  test('the library\'s canary, SLO and alerts have every producer and fail on no data', () => {
    const { app } = canaried();
    expect(findings(app, 'NINES-RT-SIG')).toEqual([]);
  });

  test('issue example: a canary MetricTemplate that returns a passing value on no data (or on() vector(100)) fails synth (NINES-RT-SIG-02)', () => {
    const { app, release } = canaried();
    const t = release.metricTemplates.get('request-success-rate')!;
    t.addJsonPatch(JsonPatch.replace('/spec/query', `(${t.toJson().spec.query}) or on() vector(100)`));
    expect(findings(app, 'NINES-RT-SIG-02')).toEqual(['[NINES-RT-SIG-02] test/canary/MetricTemplate-request-success-rate (MetricTemplate/orders/order-service-request-success-rate):'
      + ' the query falls back to 100 when it has no data, which passes check "request-success-rate" of Canary/orders/order-service (thresholdRange {"min":99}):'
      + ' an unscraped or idle canary is promoted; Flagger itself counts "no values found" as a failed check;'
      + ' fix: drop the "or vector(...)" fallback (drive traffic with the load tester so the canary has data)']);
    expect(() => app.synthYaml()).toThrow(/\[NINES-RT-SIG-02\] test\/canary\/MetricTemplate-request-success-rate/);
  });

  test('fixture: a promotion gate that passes on absent() is reported (NINES-RT-SIG-02)', () => {
    const { app, release } = canaried();
    release.canary.addJsonPatch(JsonPatch.replace('/spec/analysis/webhooks/2/metadata/cmd', 'curl -sfG http://p/api/v1/query --data-urlencode \'query=(x > 0) or absent(x)\''));
    expect(findings(app, 'NINES-RT-SIG-02')).toEqual(['[NINES-RT-SIG-02] test/canary/Resource (Canary/orders/order-service): webhook "error-budget-gate" (confirm-promotion)'
      + ' passes when its query has no data ("or absent(...)"), so a missing SLO record promotes the canary;'
      + ' fix: query only the record (e.g. "slo:error_budget:remaining{...} > 0"), so no data holds the promotion']);
  });

  test('fixture: an SLO without an alert on the absence of its source series passes silently without data, and is reported (NINES-RT-SIG-02)', () => {
    const { app, chart } = regionChart();
    const order = new ResilientService(chart, 'order-service', { image: 'r/order:1.0.0', tier: Criticality.CRITICAL, namespace: 'orders' });
    new ServiceLevelObjective(chart, 'slo', { service: order, sli: Sli.availability(), ...links, noData: { enabled: false } });
    expect(findings(app, 'NINES-RT-SIG-02')).toEqual([
      '[NINES-RT-SIG-02] test/slo/Resource (PrometheusRule/orders/order-service-availability-slo): SLO order-service-availability reads http_requests_total, and no alert of namespace orders fires when it is absent: '
        + 'its burn-rate and budget alerts compare ratios with thresholds, which without data return nothing, so an SLO that lost its data passes; '
        + 'fix: keep the ServiceLevelObjective\'s no-data alert (noData), or add an alert on absent(<its request counter>{<the service\'s selector>})',
    ]);
    expect(() => app.synthYaml()).toThrow(/NINES-RT-SIG-02.*SLO order-service-availability reads http_requests_total/);
  });

  test('an SLO with its default no-data alert, or an absent_over_time alert of its own, is not reported', () => {
    const { app, chart } = regionChart();
    const order = new ResilientService(chart, 'order-service', { image: 'r/order:1.0.0', tier: Criticality.CRITICAL, namespace: 'orders' });
    new ServiceLevelObjective(chart, 'slo', { service: order, sli: Sli.availability(), ...links });
    const latency = new ServiceLevelObjective(chart, 'latency', { service: order, sli: Sli.latency({ thresholdSeconds: 0.1 }), ...links, noData: { enabled: false } });
    expect(findings(app, 'NINES-RT-SIG-02')).toHaveLength(1);
    new ApiObject(chart, 'own-absence', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'latency-absent', namespace: 'orders', labels: latency.prometheusRule.metadata.toJson().labels },
      spec: { groups: [{ name: 'absence', rules: [{ alert: 'OrderLatencyCounterAbsent', expr: 'absent_over_time(http_request_duration_seconds_count{job="order-service"}[15m])', labels: { severity: 'P2' } }] }] },
    });
    expect(findings(app, 'NINES-RT-SIG-02')).toEqual([]);
  });

  test('issue example: a game-day guard that waits on an alert no rule defines fails synth (NINES-RT-SIG-03)', () => {
    const { app, gameDay } = buildRegionWithChaos();
    const db = gameDay.workflows.find((w: any) => w.node.id === 'database-primary-failure')!;
    expect(db).toBeDefined();
    // the default guard for a database primary: an SLO burn-rate page the database has no SLO for
    const workflow = db.node.findAll().find((c: any) => c instanceof ApiObject) as ApiObject;
    const url = JSON.stringify(workflow.toJson()).replace(/PatroniNoLeader/g, defaultGuardAlert('orders-db-primary'));
    workflow.addJsonPatch(JsonPatch.replace('/spec', JSON.parse(url).spec));
    expect(findings(app, 'NINES-RT-SIG-03')).toEqual(['[NINES-RT-SIG-03] chaos/game-day/database-primary-failure/Schedule (Schedule/chaos/game-day-database-primary-failure):'
      + ' waits on alert OrdersDbPrimaryAvailabilityBurnRateFastPage, which no PrometheusRule of the platform defines, so the guard never fires;'
      + ' fix: guard on an alert a construct defines (e.g. the target\'s SLO burn-rate page, or the database\'s own alert such as PatroniNoLeader)']);
    expect(() => app.synthYaml()).toThrow(/\[NINES-RT-SIG-03\] chaos\/game-day\/database-primary-failure\/Schedule .*no PrometheusRule of the platform defines/);
  });

  test('fixture: an alert on kube-state-metrics without kube-state-metrics in the platform has no producer, unless declared external (NINES-RT-SIG-01)', () => {
    const rule = (chart: RegionChart) => new ApiObject(chart, 'rule', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'pods', namespace: 'monitoring' },
      spec: { groups: [{ name: 'pods', rules: [{ alert: 'PodNotReady', expr: 'sum by (pod) (kube_pod_status_ready{condition="false"}) > 0' }] }] },
    });
    const platform = (extra: object) => Platform.fromDescription({ environment: 'test', regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'] }], ...extra });
    const without = regionChart();
    rule(new RegionChart(without.app, 'p', { region: platform({ clusterMetrics: { kubeStateMetrics: false } }).region('us-east-1') }));
    expect(findings(without.app, 'NINES-RT-SIG-01')).toEqual(['[NINES-RT-SIG-01] p/rule (PrometheusRule/monitoring/pods): alert PodNotReady reads kube_pod_status_ready,'
      + ' which nothing in the platform produces (no recording rule, no exporter a construct deploys and scrapes, no cluster component the platform description installs,'
      + ' no declared external source), so it never has data; fix: deploy and scrape the exporter (or turn on the cluster component in the platform description\'s'
      + ' clusterMetrics), or declare the source in the platform description\'s externalMetrics']);
    const external = regionChart();
    rule(new RegionChart(external.app, 'p', {
      region: platform({ clusterMetrics: { kubeStateMetrics: false }, externalMetrics: [{ source: 'the shared cluster Prometheus (federated)', metrics: ['kube_*'] }] }).region('us-east-1'),
    }));
    expect(findings(external.app, 'NINES-RT-SIG-01')).toEqual([]);
  });

  test('fixture: a 30-day SLO window on a Prometheus keeping 15 days is reported (NINES-RT-SIG-04)', () => {
    const { app, chart } = canaried();
    new ApiObject(chart, 'prom', { apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: { name: 'k8s', namespace: 'monitoring' }, spec: { retention: '15d' } });
    const f = findings(app, 'NINES-RT-SIG-04');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatch(/^\[NINES-RT-SIG-04\] test\/slo\/Resource \(PrometheusRule\/orders\/order-service-availability-slo\): recording rule slo:sli_error:ratio_rate30d \[30d\]/);
    expect(f[0]).toContain('reads more history than Prometheus/monitoring/k8s keeps (retention 15d), so the window is computed over less data than it names;'
      + ' fix: keep at least the longest window (e.g. retention "30d" with storage sized for it), or shorten the window');
  });
});

function buildRegionWithChaos() {
  const platform = Platform.fromDescription(PRODUCTION);
  const rp = buildRegion(platform, 'us-east-1');
  Checks.of(rp.app).log = () => {};
  const gameDay = rp.app.node.findAll().find(c => c.node.path === 'chaos/game-day') as any;
  return { app: rp.app, gameDay };
}
