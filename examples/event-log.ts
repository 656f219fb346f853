/**
 * An event log for order events: a KRaft Kafka cluster spread over three zones (one broker per
 * zone, broker.rack = zone, RF 3, min ISR 2), with the order service producing and the
 * notification service consuming. NetworkPolicies on both sides follow from `dependOn`.
 * Synthesize with `cdk8s synth --app 'npx ts-node event-log.ts'` in a project that installed the
 * package (README, Install); writes dist/. Producers: `acks=all`, `enable.idempotence=true` (the
 * client default since Kafka 3.0; keep it). Consumers: commit offsets after processing, and make
 * processing idempotent.
 */
import { App, Duration } from 'cdk8s';
import { Bulkhead, Criticality, KafkaCluster, Platform, PriorityClasses, RegionChart, ResilientService } from '@nines/constructs/k8s';

export function build(outdir?: string): App {
  const platform = Platform.fromDescription({
    environment: 'staging',
    regions: [{ name: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] }],
  });
  const app = new App({ outdir });
  const chart = new RegionChart(app, 'shop', { region: platform.region('eu-west-1') });
  new PriorityClasses(chart, 'priority');
  for (const ns of ['messaging', 'orders', 'notifications']) new Bulkhead(chart, ns);

  const events = new KafkaCluster(chart, 'order-events', {
    namespace: 'messaging',
    topics: [
      { name: 'orders.v1', partitions: 12 },
      { name: 'order-notifications.v1', partitions: 6, retention: Duration.days(3) },
    ],
  });
  new ResilientService(chart, 'order-service', {
    image: 'registry.example.com/shop/order-service:1.2.3',
    tier: Criticality.CRITICAL,
    namespace: 'orders',
    env: { KAFKA_BOOTSTRAP_SERVERS: events.bootstrapServers, KAFKA_ACKS: 'all', KAFKA_ENABLE_IDEMPOTENCE: 'true' },
    dependencies: [events],
  });
  new ResilientService(chart, 'notification-service', {
    image: 'registry.example.com/shop/notification-service:2.0.1',
    tier: Criticality.MEDIUM,
    namespace: 'notifications',
    env: { KAFKA_BOOTSTRAP_SERVERS: events.bootstrapServers },
    dependencies: [events],
  });
  return app;
}

if (require.main === module) build().synth();
