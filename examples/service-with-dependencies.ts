/**
 * Services that call each other and an external API: NetworkPolicies, the mesh's allowed hosts
 * and the dependency graph all follow from `dependOn`. Synthesize with `cdk8s synth --app 'npx
 * ts-node service-with-dependencies.ts'` in a project that installed the package (README,
 * Install); writes dist/.
 */
import { App } from 'cdk8s';
import { Bulkhead, Criticality, ExternalEndpoint, Platform, PriorityClasses, RegionChart, ResilientService } from '@nines/constructs/k8s';

export function build(outdir?: string): App {
  const platform = Platform.fromDescription({
    environment: 'staging',
    regions: [{ name: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] }],
  });
  const app = new App({ outdir });
  const chart = new RegionChart(app, 'shop', { region: platform.region('eu-west-1') });
  new PriorityClasses(chart, 'priority');
  for (const ns of ['orders', 'payments', 'egress']) new Bulkhead(chart, ns);

  const provider = new ExternalEndpoint(chart, 'payment-provider', {
    hosts: ['api.payment-provider.example.com'],
    namespace: 'egress',
  });
  const payment = new ResilientService(chart, 'payment-service', {
    image: 'registry.example.com/shop/payment-service:5.0.2',
    tier: Criticality.CRITICAL,
    namespace: 'payments',
    dependencies: [provider],
  });
  const order = new ResilientService(chart, 'order-service', {
    image: 'registry.example.com/shop/order-service:1.2.3',
    tier: Criticality.CRITICAL,
    namespace: 'orders',
    entryPoint: true,
    autoscaling: { minReplicas: 5, maxReplicas: 50, podMetrics: [{ name: 'order_queue_depth', averageValue: '50' }] },
  });
  order.dependOn(payment);
  return app;
}

if (require.main === module) build().synth();
