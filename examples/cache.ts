/**
 * A highly available Redis cache (master + 2 replicas, 3 Sentinels) used by two services: the
 * services' egress, the cache's ingress and the mesh's allowed hosts all follow from `dependOn`.
 * Synthesize with `cdk8s synth --app 'npx ts-node cache.ts'` in a project that installed the
 * package (README, Install); writes dist/. The password Secret (`catalog-cache-password`, key
 * `password`) is created outside the code, e.g. by External Secrets; clients read the same
 * Secret and ask the Sentinels at `cache.sentinelHost:26379` for the master named
 * `cache.masterName`.
 */
import { App } from 'cdk8s';
import { Bulkhead, Checks, Criticality, Platform, PriorityClasses, RedisSentinel, RegionChart, ResilientService } from '@nines/constructs/k8s';

export function build(outdir?: string): App {
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
  // The Secret is created outside the app: declared, so the checks know the pods can start.
  Checks.of(app).provide({ secrets: [`${cache.namespace}/${cache.passwordSecret.name}`] });
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
