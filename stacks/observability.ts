/**
 * The reference platform's observability, per region: HA Prometheus with a Thanos sidecar and
 * the cross-region global view, the P0-P4 alert routing, logs and traces.
 */
import { App } from 'cdk8s';
import { PRODUCTION } from './platform';
import { AlertRoutingOptions, Bulkhead, Checks, LogShipper, MonitoringStack, Platform, Region, RegionChart, TraceCollector } from '../lib';

/** Alert routing of the reference platform; the Secrets are created out of band (External Secrets). */
export const ALERT_ROUTING: AlertRoutingOptions = {
  pager: { kind: 'pagerduty', routingKey: { name: 'alertmanager-pagerduty', key: 'routing-key' } },
  escalation: { kind: 'pagerduty', routingKey: { name: 'alertmanager-pagerduty-managers', key: 'routing-key' } },
  chat: { kind: 'slack', apiUrl: { name: 'alertmanager-slack', key: 'api-url' }, channel: '#platform-alerts' },
};

/** Where dist/runbooks/ is published: the base the reference platform's alerts link to . */
export const RUNBOOK_BASE_URL = PRODUCTION.runbookBaseUrl!;

/** Internal DNS zone under which each region's monitoring endpoints are reachable from the others. */
export const INTERNAL_ZONE = 'nines.internal';

/** The Secret holding the log store's password (provisioned by External Secrets). */
const LOG_STORE_SECRET = 'log-store';

/** One region's observability: metrics + global view + routing, logs, traces. */
export function buildObservability(app: App, platform: Platform, region: Region) {
  const chart = new RegionChart(app, 'observability', { region, disableResourceNameHashes: true });
  new Bulkhead(chart, 'monitoring-namespace', { name: platform.monitoringNamespace, mesh: false });
  const others = platform.regions.filter(r => r.name !== region.name);
  const monitoring = new MonitoringStack(chart, 'monitoring', {
    alertRouting: ALERT_ROUTING,
    thanos: {
      objectStorageSecret: { name: 'thanos-objstore', key: 'objstore.yml' },
      remoteEndpoints: others.map(r => `prometheus-nines-sidecar.monitoring.${r.name}.${INTERNAL_ZONE}:10901`),
      remoteCidrs: others.map(r => r.vpcCidr!),
    },
  });
  const logs = new LogShipper(chart, 'logs', {
    output: { host: `logs.${region.name}.${INTERNAL_ZONE}` },
    passwordSecret: { name: LOG_STORE_SECRET, key: 'password' },
    outputCidrs: [region.vpcCidr!],
  });
  const traces = new TraceCollector(chart, 'traces', {
    exporter: { endpoint: `traces.${region.name}.${INTERNAL_ZONE}:4317` },
    exporterCidrs: [region.vpcCidr!],
  });
  Checks.of(app).provide({ secrets: [`${logs.namespace}/${LOG_STORE_SECRET}`] }); // provisioned by External Secrets
  return { chart, monitoring, logs, traces };
}
