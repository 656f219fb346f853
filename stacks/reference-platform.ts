import { App, Duration, YamlOutputType } from 'cdk8s';
import {
  Bulkhead, ExternalEndpoint, IDependable, KafkaCluster, Platform, RedisSentinel, PriorityClasses, Region, RegionChart, ResilientService,
} from '../lib';
import { EXTERNAL_ENDPOINTS, REGISTRY, SERVICES } from './services';

/** What one region's app holds, for tests and the Pulumi side. */
export interface RegionPlatform {
  readonly app: App;
  readonly region: Region;
  readonly services: ReadonlyMap<string, ResilientService>;
}

/** Namespace of the external endpoints' ServiceEntries. */
export const EGRESS_NAMESPACE = 'egress';

/**
 * Builds one region of the reference platform as a cdk8s app: PriorityClasses, one bulkhead
 * namespace per domain, the case study's services with their dependencies, and the external
 * endpoints they call.
 */
export function buildRegion(platform: Platform, regionName: string, outdir?: string): RegionPlatform {
  const region = platform.region(regionName);
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  const cluster = new RegionChart(app, 'cluster', { region, disableResourceNameHashes: true });
  new PriorityClasses(cluster, 'priority');
  for (const ns of new Set([EGRESS_NAMESPACE, ...SERVICES.map(s => s.namespace)])) {
    new Bulkhead(cluster, ns, { quota: ns === EGRESS_NAMESPACE ? { pods: 10 } : undefined });
  }

  const chart = new RegionChart(app, 'services', { region, disableResourceNameHashes: true });
  const external = new Map<string, IDependable>();
  for (const [name, e] of Object.entries(EXTERNAL_ENDPOINTS)) {
    external.set(name, new ExternalEndpoint(chart, name, { hosts: e.hosts, namespace: EGRESS_NAMESPACE, availability: e.availability }));
  }
  const services = new Map<string, ResilientService>();
  for (const s of SERVICES) {
    services.set(s.name, new ResilientService(chart, s.name, {
      image: `${REGISTRY}/${s.name}:${s.version}`,
      tier: s.tier,
      namespace: s.namespace,
      entryPoint: s.entryPoint,
    }));
  }
  for (const s of SERVICES) {
    const svc = services.get(s.name)!;
    for (const call of s.calls ?? []) {
      const fallback = call.endsWith('?');
      svc.dependOn(services.get(call.replace(/\?$/, ''))!, { fallback });
    }
    for (const e of s.external ?? []) svc.dependOn(external.get(e)!);
  }

  // The catalog cache (the case study's Redis Sentinel): product and inventory read through it and
  // fall back to their own stores when it is down. The Secret `catalog-cache-password` (key
  // `password`, 16+ characters of A-Za-z0-9._~+/=-) is provisioned outside the code.
  const catalogCache = new RedisSentinel(chart, 'catalog-cache', {
    namespace: 'catalog',
    passwordSecret: { name: 'catalog-cache-password' },
  });
  for (const name of ['product-service', 'inventory-service']) services.get(name)!.dependOn(catalogCache, { fallback: true });

  // The order event log (the case study's message queue): order produces, notification consumes.
  const orderEvents = new KafkaCluster(chart, 'order-events', {
    namespace: 'messaging',
    topics: [
      { name: 'orders.v1', partitions: 12 },
      { name: 'order-notifications.v1', partitions: 6, retention: Duration.days(3) },
    ],
  });
  services.get('order-service')!.dependOn(orderEvents);
  services.get('notification-service')!.dependOn(orderEvents);
  return { app, region, services };
}
