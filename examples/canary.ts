/**
 * A critical service released with Flagger: availability and latency SLOs (99.95% and 99.5%
 * within 100 ms), the standard alert pack, and a CanaryRelease judged by the same SLI that pages
 * and gated on the error budget. Synthesize with `cdk8s synth --app 'npx ts-node canary.ts'` in
 * a project that installed the package (README, Install); writes dist/.
 */
import { App } from 'cdk8s';
import { Bulkhead, CanaryRelease, Criticality, Platform, PriorityClasses, RegionChart, ResilientService, ServiceLevelObjective, Sli, StandardAlerts } from '@nines/constructs/k8s';

export function build(outdir?: string): App {
  const platform = Platform.fromDescription({
    environment: 'staging',
    regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }],
  });
  const app = new App({ outdir });
  const chart = new RegionChart(app, 'shop', { region: platform.region('us-east-1') });
  new PriorityClasses(chart, 'priority');
  new Bulkhead(chart, 'orders');
  const links = { runbookBaseUrl: 'https://wiki.example.com/runbooks', dashboardBaseUrl: 'https://grafana.example.com/d' };
  const order = new ResilientService(chart, 'order-service', {
    image: 'registry.example.com/shop/order-service:1.2.3',
    tier: Criticality.CRITICAL,
    namespace: 'orders',
  });
  const availability = new ServiceLevelObjective(chart, 'order-availability', { service: order, sli: Sli.availability(), ...links });
  const latency = new ServiceLevelObjective(chart, 'order-latency', { service: order, sli: Sli.latency({ thresholdSeconds: 0.1 }), ...links });
  new StandardAlerts(chart, 'order-alerts', { service: order, ...links });
  new CanaryRelease(chart, 'order-canary', { service: order, slo: availability, latencySlo: latency });
  return app;
}

if (require.main === module) build().synth();
