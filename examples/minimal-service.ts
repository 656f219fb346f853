/**
 * The smallest useful program: one service in one region. Synthesize with `cdk8s synth --app
 * 'npx ts-node minimal-service.ts'` in a project that installed the package (README, Install);
 * writes dist/.
 */
import { App } from 'cdk8s';
import { Bulkhead, Criticality, Platform, PriorityClasses, RegionChart, ResilientService } from '@nines/constructs/k8s';

export function build(outdir?: string): App {
  const platform = Platform.fromDescription({
    environment: 'staging',
    regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }],
  });
  const app = new App({ outdir });
  const chart = new RegionChart(app, 'shop', { region: platform.region('us-east-1') });
  new PriorityClasses(chart, 'priority');
  new Bulkhead(chart, 'orders');
  new ResilientService(chart, 'order-service', {
    image: 'registry.example.com/shop/order-service:1.2.3',
    tier: Criticality.CRITICAL,
    namespace: 'orders',
  });
  return app;
}

if (require.main === module) build().synth();
