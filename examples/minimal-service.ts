/**
 * The smallest useful program: one service in one region. Run with
 * `npx ts-node examples/minimal-service.ts` (writes dist/examples/minimal/).
 */
import { App } from 'cdk8s';
import { Criticality, Platform, RegionChart, ResilientService } from '../lib';

export function build(outdir = 'dist/examples/minimal'): App {
  const platform = Platform.fromDescription({
    environment: 'staging',
    regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }],
  });
  const app = new App({ outdir });
  const chart = new RegionChart(app, 'shop', { region: platform.region('us-east-1') });
  new ResilientService(chart, 'order-service', {
    image: 'registry.example.com/shop/order-service:1.2.3',
    tier: Criticality.CRITICAL,
    namespace: 'orders',
  });
  return app;
}

if (require.main === module) build().synth();
