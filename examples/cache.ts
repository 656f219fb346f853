/**
 * A highly available Redis cache (master + 2 replicas, 3 Sentinels) used by two services: the
 * services' egress, the cache's ingress and the mesh's allowed hosts all follow from `dependOn`.
 * Run with `npx ts-node examples/cache.ts` (writes dist/examples/cache/).
 *
 * The password Secret (`catalog-cache-password`, key `password`) is created outside the code,
 * e.g. by External Secrets; clients read the same Secret and ask the Sentinels at
 * `cache.sentinelHost:26379` for the master named `cache.masterName`.
 */
import { App } from 'cdk8s';
import { Bulkhead, Criticality, Platform, PriorityClasses, RegionChart, ResilientService } from '../lib';
import { RedisSentinel } from '../lib/k8s/redis-sentinel';

export function build(outdir = 'dist/examples/cache'): App {
  const platform = Platform.fromDescription({
    environment: 'staging',
    regions: [{ name: 'us-west-2', zones: ['us-west-2a', 'us-west-2b', 'us-west-2c'] }],
  });
  const app = new App({ outdir });
  const chart = new RegionChart(app, 'shop', { region: platform.region('us-west-2') });
  new PriorityClasses(chart, 'priority');
  new Bulkhead(chart, 'catalog');

  const cache = new RedisSentinel(chart, 'cache', {
    namespace: 'catalog',
    passwordSecret: { name: 'catalog-cache-password' },
  });
  for (const name of ['product-service', 'inventory-service']) {
    const svc = new ResilientService(chart, name, {
      image: `registry.example.com/shop/${name}:1.0.0`,
      tier: Criticality.HIGH,
      namespace: 'catalog',
      envFromSecrets: ['catalog-cache-password'],
      env: { REDIS_SENTINELS: `${cache.sentinelHost}:26379`, REDIS_MASTER_NAME: cache.masterName },
    });
    svc.dependOn(cache, { fallback: true });
  }
  return app;
}

if (require.main === module) build().synth();
