import { App, Duration, YamlOutputType } from 'cdk8s';
import {
  Bulkhead, CanaryRelease, Checks, ChaosPresets, ChaosTarget, Criticality, EntryGateway, ExternalEndpoint, GameDay, IDependable, KafkaCluster,
  Platform, PatroniCluster, RedisSentinel, backupBucketNameOf, ServiceLevelObjective, Sli, StandardAlerts,
  PriorityClasses, Region, RegionChart, ResilientService,
} from '../lib';
import { buildObservability } from './observability';
import { DATABASES, EXTERNAL_ENDPOINTS, PATRONI_IMAGE, REGISTRY, REGISTRY_HOST, SERVICES } from './services';

/** What one region's app holds, for tests and the Pulumi side. */
export interface RegionPlatform {
  readonly app: App;
  readonly region: Region;
  readonly services: ReadonlyMap<string, ResilientService>;
  readonly databases: ReadonlyMap<string, PatroniCluster>;
  readonly observability: ReturnType<typeof buildObservability>;
}

/** What a deployment of the reference platform replaces (the defaults are the placeholders `npm run synth` renders with). */
export interface ReferenceOptions {
  /**
   * Registry host (and path) the images are pulled from: `<registry>/shop/<service>` and `<registry>/platform/patroni`.
   * @default REGISTRY_HOST ('registry.example.com')
   */
  readonly registry?: string;
  /**
   * The public name of the entry (each region also answers `<region>.<entryDomain>`).
   * @default 'api.example.com'
   */
  readonly entryDomain?: string;
  /**
   * Where the alerts' dashboard links point (`<dashboardBaseUrl>/<service>`).
   * @default 'https://grafana.example.com/d/shop'
   */
  readonly dashboardBaseUrl?: string;
  /**
   * The hosts of external endpoints, by endpoint name (`identity-provider`, `payment-provider`, `model-store`),
   * replacing the reference platform's placeholders (EXTERNAL_ENDPOINTS).
   * @default EXTERNAL_ENDPOINTS' hosts (`*.example.com` for the identity and payment providers)
   */
  readonly externalEndpoints?: Readonly<Record<string, readonly string[]>>;
}

/** Namespace of the external endpoints' ServiceEntries. */
export const EGRESS_NAMESPACE = 'egress';

/**
 * Builds one region of the reference platform as a cdk8s app: PriorityClasses, one bulkhead
 * namespace per domain, the case study's services with their dependencies, and the external
 * endpoints they call.
 */
export function buildRegion(platform: Platform, regionName: string, outdir?: string, options: ReferenceOptions = {}): RegionPlatform {
  const image = (reference: string) => options.registry === undefined ? reference : `${options.registry}${reference.slice(REGISTRY_HOST.length)}`;
  const entryDomain = options.entryDomain ?? 'api.example.com';
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
    const hosts = options.externalEndpoints?.[name] ?? e.hosts;
    external.set(name, new ExternalEndpoint(chart, name, { hosts, namespace: EGRESS_NAMESPACE, availability: e.availability }));
  }
  const services = new Map<string, ResilientService>();
  for (const s of SERVICES) {
    services.set(s.name, new ResilientService(chart, s.name, {
      image: image(`${REGISTRY}/${s.name}:${s.version}`),
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

  // The public entry: TLS at the region's ingress gateway (behind the NLB on 443), routes to
  // api-gateway, and the Route53 health path rewritten to its readiness probe.
  new EntryGateway(chart, 'api-gateway-entry', {
    service: services.get('api-gateway')!,
    hosts: [entryDomain, `${region.name}.${entryDomain}`],
    credentialName: `${entryDomain.replace(/\./g, '-')}-tls`, // kubernetes.io/tls Secret in istio-ingress, issued by cert-manager
  });

  // PostgreSQL HA with Patroni (the case study's first single point of failure, remediated).
  const databases = new Map<string, PatroniCluster>();
  for (const d of DATABASES) {
    const db = new PatroniCluster(chart, d.name, {
      namespace: d.namespace,
      image: image(PATRONI_IMAGE),
      credentials: { secretName: `${d.name}-credentials` },
      storage: { size: d.storage },
      pooler: d.pooler,
      // The AWS side binds the members' and the backup job's service accounts to the backup role
      // (EKS Pod Identity): no role ARN, no account id in the manifests.
      backup: { bucket: backupBucketNameOf(region) },
    });
    databases.set(d.name, db);
    for (const caller of d.callers) services.get(caller)!.dependOn(db.pooler ?? db);
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
  // SLOs for every critical service, the standard alert pack for every service, canaries for
  // order and payment (the case study's sections 1, 3.4 and 4.3).
  const links = { runbookBaseUrl: platform.runbookBaseUrl!, dashboardBaseUrl: options.dashboardBaseUrl ?? 'https://grafana.example.com/d/shop' };
  for (const s of SERVICES) {
    const svc = services.get(s.name)!;
    new StandardAlerts(chart, `${s.name}-alerts`, { service: svc, ...links });
    if (s.tier !== Criticality.CRITICAL) continue;
    const availability = new ServiceLevelObjective(chart, `${s.name}-availability`, { service: svc, sli: Sli.availability(), ...links });
    const latency = new ServiceLevelObjective(chart, `${s.name}-latency`, { service: svc, sli: Sli.latency({ thresholdSeconds: 0.1 }), ...links });
    if (s.name === 'order-service' || s.name === 'payment-service') {
      new CanaryRelease(chart, `${s.name}-canary`, { service: svc, slo: availability, latencySlo: latency });
    }
  }

  // What the cluster holds outside this app (NINES-REF-01): the credentials External Secrets
  // provisions.
  const dbs = [...databases.values()];
  Checks.of(app).provide({
    secrets: [
      ...dbs.map(db => `${db.namespace}/${db.credentials.secretName}`),
      ...dbs.flatMap(db => db.poolerOptions ? [`${db.namespace}/${db.poolerOptions.auth.secretName}`] : []),
      `${catalogCache.namespace}/${catalogCache.passwordSecret.name}`,
    ],
  });

  const rp = { app, region, services, databases, observability: buildObservability(app, platform, region) };
  addChaos(rp);
  return rp;
}

/** The case study's chaos presets and game day, in production (explicitly allowed). */
export function addChaos(rp: RegionPlatform): { presets: ChaosPresets; gameDay: GameDay } {
  const chart = new RegionChart(rp.app, 'chaos', { region: rp.region, disableResourceNameHashes: true });
  new Bulkhead(chart, 'chaos', { quota: { pods: 10 } });
  const svc = (name: string) => rp.services.get(name)!;
  // Read from the construct: the cluster's namespace, labels and member count.
  const databasePrimary = ChaosTarget.databasePrimary(rp.databases.get('orders-db')!);
  const presets = new ChaosPresets(chart, 'chaos-presets', {
    orderService: svc('order-service'),
    paymentService: svc('payment-service'),
    databasePrimary,
    databaseVolumePath: '/var/lib/postgresql/data',
    allowProduction: true,
    crons: { latency: '30 11 * * 3', packetLoss: '0 14 * * 3', databaseIoLatency: '30 14 * * 3' },
  });
  const gameDay = new GameDay(chart, 'game-day', {
    service: svc('order-service'),
    dependency: svc('payment-service'),
    databasePrimary,
    // The database has no SLO of its own: guard on the alert the PatroniCluster defines.
    alertNames: { [ChaosTarget.nameOf(databasePrimary)]: 'PatroniNoLeader' },
    gateway: svc('api-gateway'),
    auth: svc('auth-service'),
    allowProduction: true,
  });
  return { presets, gameDay };
}
