import { ApiObject } from 'cdk8s';
import { Bulkhead, Checks, Criticality, Platform, RegionChart, ResilientService, ServiceLevelObjective, Sli, declareRuntimeLabels } from '../../../lib';
import { CanaryRelease } from '../../../lib/k8s/canary-release';
import { regionChart } from '../../k8s/helpers';

describe('runtime model', () => {
  test('namespaces carry their Pod Security level and mesh injection; pods the platform facts of their region', () => {
    const { app, chart } = regionChart();
    new Bulkhead(chart, 'orders-ns', { name: 'orders' });
    new ResilientService(chart, 'order-service', { image: 'r/order:1.0.0', tier: Criticality.CRITICAL, namespace: 'orders' });
    const model = Checks.of(app).model();
    const ns = model.namespace('orders');
    expect(ns.enforce).toBe('restricted');
    expect(ns.injection).toBe(true);
    expect(model.namespace('elsewhere')).toEqual({ name: 'elsewhere', labels: {}, enforce: 'privileged', enforceVersion: 'latest', injection: false });
    const pods = model.workload('orders', 'Deployment', 'order-service')!;
    expect(pods.meshed).toBe(true);
    expect(pods.platform.mesh).toEqual({ cni: true, nativeSidecars: false, outboundTrafficPolicy: 'ALLOW_ANY' });
    expect(pods.serviceAccount).toBe('order-service');
    expect(pods.ports.map(p => p.name)).toEqual(['http', 'metrics']);
  });

  test('the mesh mode is read from the platform description of the object\'s region', () => {
    const platform = Platform.fromDescription({
      environment: 'test',
      regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }],
      mesh: { cni: false, nativeSidecars: true },
    });
    const { app } = regionChart();
    const chart = new RegionChart(app, 'classic', { region: platform.region('us-east-1') });
    new ResilientService(chart, 'svc', { image: 'r/svc:1.0.0', tier: Criticality.MEDIUM, namespace: 'shop' });
    expect(Checks.of(app).model().workload('shop', 'Deployment', 'svc')!.platform.mesh).toEqual({ cni: false, nativeSidecars: true, outboundTrafficPolicy: 'ALLOW_ANY' });
  });

  test('a pod that opts out of injection is not meshed', () => {
    const { app, chart } = regionChart();
    new Bulkhead(chart, 'ns', { name: 'jobs' });
    new ApiObject(chart, 'job', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate', namespace: 'jobs' },
      spec: { template: { metadata: { labels: { 'sidecar.istio.io/inject': 'false' } }, spec: { containers: [{ name: 'm', image: 'r/m:1' }] } } },
    });
    expect(Checks.of(app).model().workload('jobs', 'Job', 'migrate')!.meshed).toBe(false);
  });

  test('Flagger: the target runs only during analysis, <name>-primary carries the rewritten selector label, Services are re-pointed', () => {
    const { app, chart } = regionChart();
    const svc = new ResilientService(chart, 'order-service', { image: 'r/order:1.0.0', tier: Criticality.CRITICAL, namespace: 'orders' });
    const slo = new ServiceLevelObjective(chart, 'slo', { service: svc, sli: Sli.availability(), runbookBaseUrl: 'https://r.example.com', dashboardBaseUrl: 'https://g.example.com' });
    new CanaryRelease(chart, 'canary', { service: svc, slo });
    const model = Checks.of(app).model();
    const release = model.controllers.flagger[0];
    expect(release.label).toBe('app.kubernetes.io/name');
    expect(release.labelValue).toBe('order-service');
    expect(release.target!.steady).toBe(false);
    const primary = model.workload('orders', 'Deployment', 'order-service-primary')!;
    expect(primary.steady).toBe(true);
    expect(primary.controller).toBe('flagger');
    expect(primary.labels['app.kubernetes.io/name']).toBe('order-service-primary');
    expect(primary.labels['app.kubernetes.io/instance']).toBe('order-service-orders');
    expect(model.service('orders', 'order-service')!.selector).toEqual({ 'app.kubernetes.io/name': 'order-service-primary' });
    expect(model.service('orders', 'order-service-canary')!.selector).toEqual({ 'app.kubernetes.io/name': 'order-service' });
    expect(model.service('orders', 'order-service-canary')!.labels['app.kubernetes.io/name']).toBe('order-service-canary');
    expect(model.podsSelectedBy('orders', { matchLabels: { 'app.kubernetes.io/name': 'order-service' } }).map(p => p.name)).toEqual(['order-service']);
  });

  test('prometheus-operator: a Prometheus runs as StatefulSet prometheus-<name> with the operator\'s labels, behind prometheus-operated', () => {
    const { app, chart } = regionChart();
    new ApiObject(chart, 'prom', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'Prometheus',
      metadata: { name: 'k8s', namespace: 'monitoring' },
      spec: { podMetadata: { labels: { team: 'obs' } }, thanos: {} },
    });
    const model = Checks.of(app).model();
    const p = model.workload('monitoring', 'StatefulSet', 'prometheus-k8s')!;
    expect(p.labels).toEqual({
      'team': 'obs',
      'app.kubernetes.io/name': 'prometheus',
      'app.kubernetes.io/managed-by': 'prometheus-operator',
      'app.kubernetes.io/instance': 'k8s',
      'prometheus': 'k8s',
      'operator.prometheus.io/shard': '0',
      'operator.prometheus.io/name': 'k8s',
    });
    expect(p.spec.containers.map((c: any) => c.name)).toEqual(['prometheus', 'config-reloader', 'thanos-sidecar']);
    expect(model.service('monitoring', 'prometheus-operated')!.selector).toEqual({ 'app.kubernetes.io/name': 'prometheus' });
  });

  test('runtime labels (Patroni\'s role) make role selectors select the members', () => {
    const { app, chart } = regionChart();
    const sts = new ApiObject(chart, 'db', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'data' },
      spec: { selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'pg', image: 'r/pg:15' }] } } },
    });
    declareRuntimeLabels(sts, { role: { values: ['master', 'replica'], setBy: 'Patroni' } });
    const model = Checks.of(app).model();
    expect(model.podsSelectedBy('data', { matchLabels: { app: 'db', role: 'master' } }).map(p => p.name)).toEqual(['db']);
    expect(model.podsSelectedBy('data', { matchLabels: { app: 'db', role: 'leader' } })).toEqual([]);
  });
});
