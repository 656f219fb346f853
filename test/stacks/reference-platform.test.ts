import { parseAllDocuments } from 'yaml';
import { Checks, Platform } from '../../lib';
import { PRODUCTION } from '../../stacks/platform';
import { buildRegion } from '../../stacks/reference-platform';
import { SERVICES } from '../../stacks/services';
import { registerChaosMeshSchemas } from '../util/chaos-mesh-schemas';
import { registerFlaggerSchemas } from '../util/flagger-schemas';
import { expectValidManifests } from '../util/schema';

registerFlaggerSchemas();
registerChaosMeshSchemas();

const platform = Platform.fromDescription(PRODUCTION);

describe('reference platform', () => {
  test('4 regions x 3 zones from the one description', () => {
    expect(platform.regions.map(r => r.name)).toEqual(['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1']);
    expect(platform.zones).toHaveLength(12);
  });

  test.each(platform.regions.map(r => r.name))('%s: zero findings, every object schema-valid', regionName => {
    const { app, services } = buildRegion(platform, regionName);
    Checks.of(app).log = () => {};
    const objs = parseAllDocuments(app.synthYaml()).map(d => d.toJS());
    const report = Checks.of(app).lastReport!;
    expect(report.findings).toEqual([]);
    // Every suppression is deliberate and carries its reason:
    // - Kafka brokers: one StatefulSet pinned per zone (broker.rack = the zone);
    // - Patroni: role Services select by the role label Patroni sets at run time, members and the
    //   backup CronJob call the API (role labels, exec), etcd hands leadership off on SIGTERM.
    const patroni = [['orders', 'orders-db'], ['catalog', 'inventory-db']].flatMap(([ns, db]) => [
      `NINES-AV-06 StatefulSet/${ns}/${db}-etcd`, `NINES-HARD-03 StatefulSet/${ns}/${db}`,
      `NINES-WL-06 Service/${ns}/${db}`, `NINES-WL-06 Service/${ns}/${db}-ro`,
    ]).concat('NINES-WL-04 Deployment/orders/orders-db-pooler'); // TCP connect probes: one check, two timings
    const kafka = platform.region(regionName).zones
      .flatMap(z => [`NINES-AV-01 StatefulSet/messaging/order-events-broker-${z}`, `NINES-AV-03 StatefulSet/messaging/order-events-broker-${z}`]);
    // - observability: the log reader's read-only hostPath and API token, and PDBs/Services that
    //   select pods of StatefulSets prometheus-operator creates at run time.
    const observability = [
      'NINES-HARD-03 DaemonSet/logging/fluent-bit', 'NINES-PSS-04 DaemonSet/logging/fluent-bit',
      'NINES-WL-06 Service/monitoring/prometheus-nines-sidecar',
      'NINES-WL-07 PodDisruptionBudget/monitoring/alertmanager-nines', 'NINES-WL-07 PodDisruptionBudget/monitoring/prometheus-nines',
    ];
    // The gateway's TLS Secret is issued by cert-manager (ClusterAddons provides tls:certificate-issuer): no suppression.
    expect(report.suppressed.map(x => `${x.ruleId} ${x.object}`).sort()).toEqual([...patroni, ...kafka, ...observability].sort());
    for (const x of report.suppressed) expect(x.reason.length).toBeGreaterThan(20);
    expect(report.objects).toBe(objs.length);
    expectValidManifests(objs);
    expect(services.size).toBe(SERVICES.length);

    const zones = platform.region(regionName).zones;
    for (const svc of services.values()) expect(svc.zones).toEqual(zones);
    const kinds = (k: string) => objs.filter(o => o.kind === k);
    expect(kinds('Deployment').filter(o => o.metadata.labels['app.kubernetes.io/component'] === 'service').map(o => o.metadata.name).sort())
      .toEqual([...SERVICES.map(s => s.name), 'orders-db-pooler'].sort());
    expect(kinds('PriorityClass').map(o => o.metadata.name)).toEqual(['nines-critical', 'nines-high', 'nines-medium', 'nines-low']);
    expect(kinds('Namespace').map(o => o.metadata.name).sort()).toEqual(
      ['catalog', 'chaos', 'edge', 'egress', 'identity', 'logging', 'messaging', 'monitoring', 'orders', 'payments', 'platform-config', 'recommendations']);
    // Every namespace enforces the restricted profile except the log reader's (read-only hostPath).
    for (const ns of kinds('Namespace')) {
      expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe(ns.metadata.name === 'logging' ? 'privileged' : 'restricted');
    }
    expect(kinds('ResourceQuota')).toHaveLength(11);
    expect(kinds('LimitRange')).toHaveLength(11);
    // SLOs for the 4 critical services (availability + latency), the alert pack for all 11,
    // canaries for order and payment (Flagger then owns their DestinationRule and VirtualService).
    expect(kinds('PrometheusRule').map(o => o.metadata.name).filter(n => n.endsWith('-slo')).sort()).toEqual(
      ['api-gateway', 'auth-service', 'order-service', 'payment-service'].flatMap(n => [`${n}-availability-slo`, `${n}-latency-slo`]).sort());
    expect(kinds('PrometheusRule').filter(o => o.metadata.name.endsWith('-alerts')).length).toBe(11);
    expect(kinds('Canary').map(o => o.metadata.name)).toEqual(['order-service', 'payment-service']);
    // Every alert carries one of the case study's P0-P4 severities the alert routing knows, and a runbook.
    const alerts = kinds('PrometheusRule').flatMap(o => o.spec.groups.flatMap((g: any) => g.rules)).filter((r: any) => r.alert);
    expect(alerts.length).toBeGreaterThan(100);
    for (const a of alerts) {
      expect([a.alert, a.labels?.severity]).toEqual([a.alert, expect.stringMatching(/^P[0-4]$/)]);
      expect(a.annotations.runbook_url).toMatch(/^https:\/\/runbooks\.example\.com\/shop\//);
    }
    const severity = (name: string) => alerts.find((a: any) => a.alert === name).labels.severity;
    expect([severity('PatroniNoLeader'), severity('PostgresReplicationLagHigh'), severity('RedisMasterDown'), severity('KafkaOfflinePartitions')])
      .toEqual(['P0', 'P2', 'P1', 'P1']);
    expect(kinds('DestinationRule').map(o => o.metadata.name)).not.toContain('order-service');
    expect(kinds('Schedule').length).toBe(9);
    expect(kinds('ServiceEntry').map(o => o.metadata.name)).toEqual(['identity-provider', 'payment-provider', 'model-store']);
  });

  test.each(platform.regions.map(r => r.name))('%s: stateful components spread over the region\'s zones and admit only their callers', regionName => {
    const { app, region } = buildRegion(platform, regionName);
    Checks.of(app).log = () => {};
    const objs = parseAllDocuments(app.synthYaml()).map(d => d.toJS());
    const np = (name: string) => objs.find(o => o.kind === 'NetworkPolicy' && o.metadata.name === name);
    const callers = (name: string) => np(name).spec.ingress.slice(0, 2).map((r: any) => r.from[0].podSelector.matchLabels['app.kubernetes.io/instance']);
    // Redis Sentinel cache for product and inventory
    expect(callers('catalog-cache-redis')).toEqual(['product-service-catalog', 'inventory-service-catalog']);
    expect(objs.filter(o => o.kind === 'StatefulSet' && o.metadata.namespace === 'catalog').map(o => o.metadata.name).sort())
      .toEqual(['catalog-cache-redis', 'catalog-cache-sentinel', 'inventory-db', 'inventory-db-etcd']);
    // PostgreSQL with Patroni for orders (order, payment) and inventory, spread over the zones
    const dbIngress = np('orders-db').spec.ingress.map((r: any) => `${r.from[0].podSelector?.matchLabels['app.kubernetes.io/instance'] ?? 'monitoring'}:${r.ports.map((p: any) => p.port)}`);
    // order and payment reach orders-db through its PgBouncer pooler only; the base-backup job (second rule) streams on 5432
    expect(dbIngress).toEqual(['orders-db-orders:5432,8008', 'orders-db-orders:5432', 'orders-db-pooler-orders:5432', 'monitoring:9187,8008']);
    expect(np('orders-db').spec.ingress[1].from[0].podSelector.matchLabels['app.kubernetes.io/name']).toBe('patroni-backup');
    expect(callers('orders-db-pooler')).toEqual(['order-service-orders', 'payment-service-payments']);
    const ordersDb = objs.find(o => o.kind === 'StatefulSet' && o.metadata.name === 'orders-db');
    expect(ordersDb.spec.replicas).toBe(3);
    expect(ordersDb.spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
    // Kafka event log for order and notification, broker.rack = the broker's zone
    expect(callers('order-events-broker')).toEqual(['order-service-orders', 'notification-service-messaging']);
    const brokerConfig = objs.find(o => o.kind === 'ConfigMap' && o.metadata.name === 'order-events-broker').data;
    expect(region.zones.map(z => /broker\.rack=(.*)/.exec(brokerConfig[`server-${z}.properties`])![1])).toEqual(region.zones);
  });

  test('the case study graph: tiers and dependencies become policies', () => {
    const { app, services } = buildRegion(platform, 'us-east-1');
    Checks.of(app).log = () => {};
    const objs = parseAllDocuments(app.synthYaml()).map(d => d.toJS());
    const tiers = Object.fromEntries([...services.values()].map(s => [s.name, s.tier]));
    expect(tiers).toEqual({
      'api-gateway': 'critical',
      'auth-service': 'critical',
      'order-service': 'critical',
      'payment-service': 'critical',
      'product-service': 'high',
      'inventory-service': 'high',
      'pricing-service': 'high',
      'configuration-service': 'high',
      'notification-service': 'medium',
      'recommendation-service': 'low',
      'ml-model-service': 'low',
    });
    const np = (name: string) => objs.find(o => o.kind === 'NetworkPolicy' && o.metadata.name === name);
    const callers = (name: string) => np(name).spec.ingress.flatMap((i: any) => i.from.map((f: any) => f.podSelector?.matchLabels['app.kubernetes.io/instance']?.replace(/-[a-z]+$/, '') ?? f.namespaceSelector.matchLabels['kubernetes.io/metadata.name'])).sort();
    expect(callers('product-service')).toEqual(['api-gateway', 'monitoring', 'order-service']);
    expect(callers('api-gateway')).toEqual(['istio-ingress', 'istio-system', 'monitoring']);
    expect(callers('payment-service')).toEqual(['flagger-system', 'monitoring', 'order-service']); // the canary's load tester
    const sidecar = objs.find(o => o.kind === 'Sidecar' && o.metadata.name === 'auth-service');
    expect(sidecar.spec.egress[0].hosts).toEqual(['egress/login.identity-provider.example.com', 'istio-system/*']);
    const gw = objs.find(o => o.kind === 'Deployment' && o.metadata.name === 'api-gateway');
    expect(gw.spec.template.spec.priorityClassName).toBe('nines-critical');
  });
});
