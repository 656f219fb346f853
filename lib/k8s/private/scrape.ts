/*
 * Internal: How every construct has Prometheus scrape its pods: one ServiceMonitor over its
 * Services in its own namespace, the job named after `app.kubernetes.io/name`, and the metrics the
 * targets produce declared for the runtime model's signal rules.
 */
import { Construct } from 'constructs';
import { DeclaredMetrics, declareMetrics } from '../../checks/runtime/facts';
import { LABELS } from '../../core/labels';
import { ServiceMonitor, ServiceMonitorEndpoint } from '../crds/monitoring';

/** What {@link scrapeServices} builds a ServiceMonitor from. */
export interface ScrapeOptions {
  /** The ServiceMonitor's metadata; its namespace is the one namespace scraped. */
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels?: Record<string, string> };
  /** Labels of the Services to scrape. */
  readonly selector: Record<string, string>;
  readonly endpoints: readonly ServiceMonitorEndpoint[];
  /** The metrics the scraped pods produce. @default - none declared */
  readonly produces?: DeclaredMetrics;
}

/** The ServiceMonitor `ServiceMonitor` of `scope`: its Services in its namespace, every endpoint. */
export function scrapeServices(scope: Construct, options: ScrapeOptions): ServiceMonitor {
  const monitor = new ServiceMonitor(scope, 'ServiceMonitor', {
    metadata: options.metadata,
    spec: {
      selector: { matchLabels: options.selector },
      namespaceSelector: { matchNames: [options.metadata.namespace] },
      endpoints: options.endpoints,
      jobLabel: LABELS.name,
    },
  });
  if (options.produces) declareMetrics(monitor, options.produces);
  return monitor;
}

/** A plain-HTTP scrape of `port`'s `path` every `interval`, given `scrapeTimeout`. */
export function scrapeEndpoint(port: string, interval: string, scrapeTimeout: string, path = '/metrics'): ServiceMonitorEndpoint {
  return { port, path, interval, scrapeTimeout };
}
