/**
 * The reference platform's observability, per region: HA Prometheus with a Thanos sidecar and
 * the cross-region global view, the P0-P4 alert routing, logs and traces.
 */
import { App } from 'cdk8s';
import { PRODUCTION } from './platform';
import {
  AlertRoutingOptions, Bulkhead, Checks, internalServiceHostOf, LogShipper, MonitoringStack, Platform, Region, RegionChart, thanosSidecarServiceName,
  TraceCollector,
} from '../lib';

/** Alert routing of the reference platform; the Secrets are created out of band (External Secrets). */
export const ALERT_ROUTING: AlertRoutingOptions = {
  pager: { kind: 'pagerduty', routingKey: { name: 'alertmanager-pagerduty', key: 'routing-key' } },
  escalation: { kind: 'pagerduty', routingKey: { name: 'alertmanager-pagerduty-managers', key: 'routing-key' } },
  chat: { kind: 'slack', apiUrl: { name: 'alertmanager-slack', key: 'api-url' }, channel: '#platform-alerts' },
};

/** Where dist/runbooks/ is published: the base the reference platform's alerts link to . */
export const RUNBOOK_BASE_URL = PRODUCTION.runbookBaseUrl!;

/** Name of the reference platform's MonitoringStack (its Prometheus, Alertmanager and sidecar Service). */
const MONITORING_NAME = 'nines';

/**
 * The log store and trace backend of a region: the platform description's (`logStore`,
 * `traceBackend`; `nines:logStores` / `nines:traceBackends` on the Pulumi side), or documentation
 * placeholders that `pulumi preview` refuses. The platform runs neither: they are prerequisites.
 */
export function observabilityBackendsOf(region: Region): { logStore: { host: string; port: number }; traceBackend: string } {
  const [host, port] = (region.logStore ?? `logs.${region.name}.example.com:443`).split(':');
  return { logStore: { host, port: port === undefined ? 443 : Number(port) }, traceBackend: region.traceBackend ?? `traces.${region.name}.example.com:4317` };
}

/** The Secret holding the log store's password (provisioned by External Secrets). */
const LOG_STORE_SECRET = 'log-store';

/** One region's observability: metrics + global view + routing, logs, traces. */
export function buildObservability(app: App, platform: Platform, region: Region) {
  const chart = new RegionChart(app, 'observability', { region, disableResourceNameHashes: true });
  new Bulkhead(chart, 'monitoring-namespace', { name: platform.monitoringNamespace, mesh: false });
  // The global view: the other regions' sidecars, by the names their internal NLBs are published
  // under in the platform's private zone (internalServiceHostOf, the same function their Service uses).
  const others = platform.internalZone === undefined ? [] : platform.regions.filter(r => r.name !== region.name);
  const monitoring = new MonitoringStack(chart, 'monitoring', {
    name: MONITORING_NAME,
    alertRouting: ALERT_ROUTING,
    thanos: {
      objectStorageSecret: { name: 'thanos-objstore', key: 'objstore.yml' },
      remoteEndpoints: others.map(r =>
        `${internalServiceHostOf(thanosSidecarServiceName(MONITORING_NAME), platform.monitoringNamespace, r.name, platform.internalZone!)}:10901`),
      remoteCidrs: others.map(r => r.vpcCidr!),
    },
  });
  const backends = observabilityBackendsOf(region);
  const logs = new LogShipper(chart, 'logs', {
    output: backends.logStore,
    passwordSecret: { name: LOG_STORE_SECRET, key: 'password' },
    outputCidrs: [region.vpcCidr!],
  });
  const traces = new TraceCollector(chart, 'traces', {
    exporter: { endpoint: backends.traceBackend },
    exporterCidrs: [region.vpcCidr!],
  });
  Checks.of(app).provide({ secrets: [`${logs.namespace}/${LOG_STORE_SECRET}`] }); // provisioned by External Secrets
  return { chart, monitoring, logs, traces };
}
