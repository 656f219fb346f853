/**
 * An event log for order events: a KRaft Kafka cluster spread over three zones (one broker per
 * zone, broker.rack = zone, RF 3, min ISR 2), with the order service producing and the
 * notification service consuming. NetworkPolicies on both sides follow from `dependOn`. Run with
 * `npx ts-node examples/event-log.ts` (writes dist/examples/event-log/).
 *
 * Producers: `acks=all`, `enable.idempotence=true` (the client default since Kafka 3.0; keep it).
 * Consumers: commit offsets after processing, and make processing idempotent.
 */
import { App, Duration } from 'cdk8s';
import { Bulkhead, Criticality, Platform, PriorityClasses, RegionChart, ResilientService } from '../lib';
import { KafkaCluster } from '../lib/k8s/kafka-cluster';

export function build(outdir = 'dist/examples/event-log'): App {
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
