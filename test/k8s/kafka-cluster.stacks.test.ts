/**
 * The reference-platform wiring proposed for stacks/reference-platform.ts, exercised on every
 * region: an order-events KafkaCluster in `messaging`, order-service producing and
 * notification-service consuming. Uses the stack's cluster when the wiring is already applied.
 */
import { Duration } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { Checks, Platform } from '../../lib';
import { KafkaCluster } from '../../lib/k8s/kafka-cluster';
import { PRODUCTION } from '../../stacks/platform';
import { buildRegion } from '../../stacks/reference-platform';
import { expectValidManifests } from '../util/schema';

const platform = Platform.fromDescription(PRODUCTION);

test.each(platform.regions.map(r => r.name))('%s: order-events with order and notification, zero findings, valid', regionName => {
  const { app, region, services } = buildRegion(platform, regionName);
  const chart = app.node.findChild('services');
  const existing = chart.node.tryFindChild('order-events');
  const events = existing instanceof KafkaCluster ? existing : new KafkaCluster(chart, 'order-events', {
    namespace: 'messaging',
    topics: [
      { name: 'orders.v1', partitions: 12 },
      { name: 'order-notifications.v1', partitions: 6, retention: Duration.days(3) },
    ],
  });
  services.get('order-service')!.dependOn(events);
  services.get('notification-service')!.dependOn(events);
  Checks.of(app).log = () => {};
  const objs = parseAllDocuments(app.synthYaml()).map(d => d.toJS());
  const report = Checks.of(app).lastReport!;
  expect(report.findings).toEqual([]);
  expect(report.suppressed.map(s => `${s.ruleId} ${s.object}`).sort()).toEqual(
    region.zones.flatMap(z => [`NINES-AV-01 StatefulSet/messaging/order-events-broker-${z}`, `NINES-AV-03 StatefulSet/messaging/order-events-broker-${z}`]).sort());
  expectValidManifests(objs);
  const rack = (z: string) => /broker\.rack=(.*)/.exec(objs.find(o => o.kind === 'ConfigMap' && o.metadata.name === 'order-events-broker').data[`server-${z}.properties`])![1];
  expect(region.zones.map(rack)).toEqual(region.zones);
  const np = objs.find(o => o.kind === 'NetworkPolicy' && o.metadata.name === 'order-events-broker');
  expect(np.spec.ingress.slice(0, 2).map((r: any) => r.from[0].podSelector.matchLabels['app.kubernetes.io/name'])).toEqual(['order-service', 'notification-service']);
});
