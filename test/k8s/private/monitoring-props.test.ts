/** The MonitoringStack props resolver, tested alone: pure, every problem at once, no throw. */
import { IN_REGION, NOWHERE } from './contexts';
import { resolveMonitoringStackProps } from '../../../lib/k8s/private/monitoring-props';
import { AlertRoutingOptions } from '../../../lib/render/alertmanager';

const ROUTING: AlertRoutingOptions = {
  pager: { kind: 'pagerduty', routingKey: { name: 'alertmanager-pagerduty', key: 'routing-key' } },
  escalation: { kind: 'opsgenie', apiKey: { name: 'alertmanager-opsgenie', key: 'api-key' } },
  chat: { kind: 'slack', apiUrl: { name: 'alertmanager-slack', key: 'api-url' }, channel: '#platform-alerts' },
};

describe('resolveMonitoringStackProps', () => {
  test('defaults: the context\'s monitoring namespace, the cluster label from environment and region, 30 days kept locally', () => {
    const r = resolveMonitoringStackProps('app/monitoring', { alertRouting: ROUTING }, { ...IN_REGION, monitoringNamespace: 'observability' });
    expect(r.problems).toBeUndefined();
    expect(r.settings).toMatchObject({
      name: 'nines',
      namespace: 'observability',
      region: 'us-east-1',
      cluster: 'test-us-east-1',
      selectorLabels: { 'app.kubernetes.io/managed-by': 'nines' },
      prometheusReplicas: 2,
      retention: '30d',
      retentionSize: '90GB',
      storageSize: '100Gi',
      storageClassName: undefined,
      alertmanagerReplicas: 3,
      alertmanagerStorageSize: '2Gi',
      queryReplicas: 2,
      objectStorageSecret: { name: 'thanos-objstore', key: 'objstore.yml' },
      priorityClassName: 'nines-critical',
      images: { thanos: 'quay.io/thanos/thanos:v0.35.1' },
    });
  });

  test('outside a RegionChart: that one problem, naming the path', () => {
    const r = resolveMonitoringStackProps('app/monitoring', { alertRouting: ROUTING, prometheus: { replicas: 1 } }, NOWHERE);
    expect(r.problems).toEqual([{
      prop: 'scope', value: 'app/monitoring', why: 'is not inside a RegionChart, so the zones and namespaces are unknown', fix: 'create the stack inside a RegionChart',
    }]);
  });

  test('every problem, in prop order, and no settings', () => {
    const r = resolveMonitoringStackProps('app/monitoring', {
      alertRouting: ROUTING,
      selectorLabels: {},
      prometheus: { retentionSize: '200GB', scrapeInterval: '1s' },
      alertmanager: { storageSize: '2GB' },
      thanos: { queryReplicas: 1, objectStorageSecret: { name: 'Bucket', key: 'objstore.yml' } },
    }, IN_REGION);
    expect(r.settings).toBeUndefined();
    expect(r.problems!.map(p => `${p.prop} (${JSON.stringify(p.value)})`)).toEqual([
      'selectorLabels ({})', 'thanos.queryReplicas (1)', 'prometheus.retentionSize ("200GB")', 'alertmanager.storageSize ("2GB")',
      'prometheus.scrapeInterval ("1s")', 'thanos.objectStorageSecret ({"name":"Bucket","key":"objstore.yml"})',
    ]);
  });
});
