import { execFileSync } from 'child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Duration, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { built, errorOf, find, regionChart, synth, withoutClusterObjects, ownSuppressions } from './helpers';
import { build as buildEventLog } from '../../examples/event-log';
import { Checks, Criticality, ResilientService, ValidationError } from '../../lib';
import { KafkaCluster, KafkaClusterProps } from '../../lib/k8s/kafka-cluster';
import { parseKafkaProperties, substituteKafkaPlaceholders } from '../../lib/render/kafka';
import { configTypeProblems } from '../render/kafka-broker-configs';
import { expectValidManifests } from '../util/schema';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

function cluster(props: Partial<KafkaClusterProps> = {}) {
  const { app, chart } = regionChart();
  const kafka = new KafkaCluster(chart, 'events', { namespace: 'messaging', ...props });
  return { app, chart, kafka };
}

function synthChecked(props: Partial<KafkaClusterProps> = {}) {
  const c = cluster(props);
  const objs = synth(c.chart);
  return { ...c, objs, report: Checks.of(c.app).lastReport! };
}

describe('KafkaCluster defaults', () => {
  const { kafka, objs, report } = synthChecked({ topics: [{ name: 'orders.v1', partitions: 12 }, { name: 'audit.v1', retention: 'forever' }] });

  test('resolved fields', () => {
    expect(kafka.name).toBe('events');
    expect(kafka.namespace).toBe('messaging');
    expect(kafka.team).toBe('messaging');
    expect(kafka.tier).toBe(Criticality.CRITICAL);
    expect(kafka.image).toBe('apache/kafka:3.8.1');
    expect(kafka.metricsImage).toBe('docker.io/bitnamilegacy/jmx-exporter:1.0.1');
    expect(kafka.zones).toEqual(ZONES);
    expect(kafka.brokers).toBe(3);
    expect(kafka.controllers).toBe(3);
    expect(kafka.brokersPerZone).toEqual({ 'us-east-1a': 1, 'us-east-1b': 1, 'us-east-1c': 1 });
    expect(kafka.defaultReplicationFactor).toBe(3);
    expect(kafka.minInsyncReplicas).toBe(2);
    expect(kafka.numPartitions).toBe(6);
    expect(kafka.logRetentionHours).toBe(168);
    expect(kafka.tls).toBeUndefined();
    expect(kafka.brokerResources).toEqual({ cpuRequest: '1', cpuLimit: '2', memoryRequest: '4Gi', memoryLimit: '4Gi', ephemeralRequest: '1Gi', ephemeralLimit: '4Gi' });
    expect(kafka.controllerResources).toEqual({ cpuRequest: '500m', cpuLimit: '1', memoryRequest: '2Gi', memoryLimit: '2Gi', ephemeralRequest: '512Mi', ephemeralLimit: '2Gi' });
    expect(kafka.brokerStorage).toEqual({ size: '100Gi', storageClassName: 'gp3-encrypted' });
    expect(kafka.controllerStorage).toEqual({ size: '10Gi', storageClassName: 'gp3-encrypted' });
    expect(kafka.identity).toEqual({ user: 10001, group: 10001, fsGroup: 10001 });
    expect(kafka.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(cluster().kafka.clusterId).toBe(kafka.clusterId);
    expect(kafka.priorityClassName).toBe('nines-critical');
    expect(kafka.bootstrapServers).toBe('events.messaging.svc.cluster.local:9092');
    expect(kafka.controllerQuorumVoters).toBe([0, 1, 2].map(i => `${i}@events-controller-${i}.events-controller.messaging.svc.cluster.local:9093`).join(','));
    expect(kafka.topics).toEqual([
      { name: 'orders.v1', partitions: 12, replicationFactor: 3, minInsyncReplicas: 2, retentionMs: 604800000 },
      { name: 'audit.v1', partitions: 6, replicationFactor: 3, minInsyncReplicas: 2, retentionMs: -1 },
    ]);
    expect(kafka.dependencyFacts).toEqual({ id: 'messaging/events', kind: 'queue', tier: 'critical', replicas: 3, zones: 3, automaticFailover: true });
  });

  test('zero findings; the two per-zone rules are suppressed with reasons; every object validates', () => {
    expect(report.findings).toEqual([]);
    expect(ownSuppressions(report).map(s => `${s.ruleId} ${s.object}`).sort()).toEqual(
      ZONES.flatMap(z => [`NINES-AV-01 StatefulSet/messaging/events-broker-${z}`, `NINES-AV-03 StatefulSet/messaging/events-broker-${z}`]).sort());
    expect(ownSuppressions(report)[0].reason).toMatch(/per-zone broker StatefulSets|pinned to zone/);
    expectValidManifests(objs);
    expect(objs.map(o => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/events-broker', 'ConfigMap/events-controller', 'ConfigMap/events-metrics', 'ConfigMap/events-topics',
      `Job/${kafka.topicsJob!.metadata.name}`,
      'NetworkPolicy/events-broker', 'NetworkPolicy/events-controller', 'NetworkPolicy/events-topics',
      'PodDisruptionBudget/events-broker', 'PodDisruptionBudget/events-controller',
      'PrometheusRule/events',
      'Service/events', 'Service/events-broker', 'Service/events-controller',
      'ServiceAccount/events', 'ServiceMonitor/events',
      'StatefulSet/events-broker-us-east-1a', 'StatefulSet/events-broker-us-east-1b', 'StatefulSet/events-broker-us-east-1c', 'StatefulSet/events-controller',
    ].sort());
  });

  test('one broker StatefulSet per zone, pinned there, broker.rack = that zone, OnDelete', () => {
    const cm = find(objs, 'ConfigMap', 'events-broker');
    ZONES.forEach((z, i) => {
      const sts = find(objs, 'StatefulSet', `events-broker-${z}`);
      expect(sts.spec.replicas).toBe(1);
      expect(sts.spec.serviceName).toBe('events-broker');
      expect(sts.spec.updateStrategy).toEqual({ type: 'OnDelete' });
      expect(sts.spec.podManagementPolicy).toBe('Parallel');
      expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
      const pod = sts.spec.template.spec;
      expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
        { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [z] }] },
      ]);
      expect(pod.volumes[0]).toEqual({ name: 'config', configMap: { name: 'events-broker', items: [{ key: `server-${z}.properties`, path: 'server.properties' }] } });
      const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
      expect(env.NODE_ID_BASE).toBe(String(100 * (i + 1)));
      expect(env.KAFKA_HEAP_OPTS).toBe('-Xms2048m -Xmx2048m');
      const props = parseKafkaProperties(substituteKafkaPlaceholders(cm.data[`server-${z}.properties`], { nodeId: 100 * (i + 1), podName: `events-broker-${z}-0` }));
      expect(props.get('broker.rack')).toBe(z);
      expect(props.get('advertised.listeners')).toBe(`CLIENT://events-broker-${z}-0.events-broker.messaging.svc.cluster.local:9092,`
        + `REPLICATION://events-broker-${z}-0.events-broker.messaging.svc.cluster.local:9091`);
      expect(sts.spec.volumeClaimTemplates[0].spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'gp3-encrypted', resources: { requests: { storage: '100Gi' } } });
      expect(sts.spec.template.metadata.annotations['nines.dev/config-hash']).toMatch(/^[0-9a-f]{10}$/);
    });
  });

  test('every rendered server.properties holds only documented keys of the documented types', () => {
    const files = [
      ...ZONES.map(z => substituteKafkaPlaceholders(find(objs, 'ConfigMap', 'events-broker').data[`server-${z}.properties`], { nodeId: 100, podName: 'p-0' })),
      substituteKafkaPlaceholders(find(objs, 'ConfigMap', 'events-controller').data['server.properties'], { nodeId: 0, podName: 'p-0' }),
    ];
    for (const f of files) expect([...parseKafkaProperties(f)].flatMap(([k, v]) => configTypeProblems(k, v))).toEqual([]);
    const broker = parseKafkaProperties(files[0]);
    expect(broker.get('default.replication.factor')).toBe('3');
    expect(broker.get('min.insync.replicas')).toBe('2');
    expect(broker.get('unclean.leader.election.enable')).toBe('false');
    expect(broker.get('auto.create.topics.enable')).toBe('false');
    expect(broker.get('offsets.topic.replication.factor')).toBe('3');
    expect(broker.get('transaction.state.log.replication.factor')).toBe('3');
    expect(broker.get('transaction.state.log.min.isr')).toBe('2');
    expect(broker.get('log.retention.hours')).toBe('168');
    expect(broker.get('controller.quorum.voters')).toBe(kafka.controllerQuorumVoters);
  });

  test('controllers: one StatefulSet of 3 spread over the zones, rolling, quorum-state readiness', () => {
    const sts = find(objs, 'StatefulSet', 'events-controller');
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    const pod = sts.spec.template.spec;
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' });
    expect(pod.topologySpreadConstraints[0].matchLabelKeys).toBeUndefined();
    expect(pod.containers[0].readinessProbe.exec.command[2]).toBe('test -s /var/lib/kafka/data/metadata/__cluster_metadata-0/quorum-state');
    expect(pod.containers[0].livenessProbe.tcpSocket).toEqual({ port: 'controller' });
    expect(pod.terminationGracePeriodSeconds).toBe(60);
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'gp3-encrypted', resources: { requests: { storage: '10Gi' } } });
  });

  test('hardened pods: restricted security, no token, read-only root, pinned images, resources', () => {
    const pod = find(objs, 'StatefulSet', 'events-broker-us-east-1a').spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.priorityClassName).toBe('nines-critical');
    expect(pod.terminationGracePeriodSeconds).toBe(120);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of pod.containers) {
      expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'] });
      expect(c.lifecycle.preStop.exec.command).toEqual(['/bin/sh', '-c', 'sleep 5']);
    }
    const [kafkaC, exporter] = pod.containers;
    expect(kafkaC.image).toBe('apache/kafka:3.8.1');
    expect(kafkaC.resources).toEqual({ requests: { 'cpu': '1', 'memory': '4Gi', 'ephemeral-storage': '1Gi' }, limits: { 'memory': '4Gi', 'ephemeral-storage': '4Gi', 'cpu': '2' } });
    expect(kafkaC.readinessProbe.tcpSocket).toEqual({ port: 'client' });
    expect(kafkaC.livenessProbe.tcpSocket).toEqual({ port: 'replication' });
    expect(kafkaC.startupProbe).toMatchObject({ periodSeconds: 10, failureThreshold: 90 });
    expect(kafkaC.command[2]).toContain('kafka-storage.sh format --cluster-id "$CLUSTER_ID"');
    expect(exporter.image).toBe('docker.io/bitnamilegacy/jmx-exporter:1.0.1');
    expect(exporter.args).toEqual(['9404', '/etc/jmx-exporter/jmx-exporter.yml']);
  });

  test('Services: headless per role publishing not-ready pods, a bootstrap ClusterIP', () => {
    expect(find(objs, 'Service', 'events-broker').spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(find(objs, 'Service', 'events-controller').spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    const boot = find(objs, 'Service', 'events').spec;
    expect(boot.type).toBe('ClusterIP');
    expect(boot.ports).toEqual([{ name: 'tcp-client', port: 9092, targetPort: 'client', protocol: 'TCP' }]);
    expect(boot.selector).toEqual(kafka.brokerSelector);
  });

  test('PDBs: maxUnavailable 1 across the brokers of all zones, and across the quorum', () => {
    const b = find(objs, 'PodDisruptionBudget', 'events-broker').spec;
    expect(b).toEqual({ maxUnavailable: 1, selector: { matchLabels: kafka.brokerSelector }, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(b.selector.matchLabels['nines.dev/zone']).toBeUndefined();
    expect(find(objs, 'PodDisruptionBudget', 'events-controller').spec.maxUnavailable).toBe(1);
  });

  test('topics: a ConfigMap script and a Job named by its hash, mesh-aware', () => {
    const script = find(objs, 'ConfigMap', 'events-topics').data['topics.sh'];
    expect(script).toContain("--create --if-not-exists --topic 'orders.v1' --partitions 12 --replication-factor 3 --config min.insync.replicas=2 --config retention.ms=604800000");
    expect(script).toContain("--topic 'audit.v1' --partitions 6 --replication-factor 3 --config min.insync.replicas=2 --config retention.ms=-1");
    const job = find(objs, 'Job');
    expect(job.metadata.name).toMatch(/^events-topics-[0-9a-f]{10}$/);
    expect(job.spec.backoffLimit).toBe(12);
    expect(job.spec.template.metadata.annotations['proxy.istio.io/config']).toBe('{"holdApplicationUntilProxyStarts": true}');
    expect(job.spec.template.spec.containers[0].command[2]).toContain('quitquitquit');
    expect(find(objs, 'NetworkPolicy', 'events-topics').spec.egress.at(-1)).toEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'messaging' } }, podSelector: { matchLabels: kafka.brokerSelector } }],
      ports: [{ port: 9092, protocol: 'TCP' }],
    });
  });

  test('observability: ServiceMonitor on the metrics ports, the four alerts of the issue plus under-min-ISR', () => {
    expect(find(objs, 'ServiceMonitor').spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '20s' }]);
    const rules = find(objs, 'PrometheusRule').spec.groups[0].rules;
    expect(rules.map((r: any) => `${r.alert} ${r.labels.severity} ${r.for}`)).toEqual([
      'KafkaUnderReplicatedPartitions P2 10m',
      'KafkaUnderMinIsrPartitions P1 1m',
      'KafkaOfflinePartitions P1 1m',
      'KafkaIsrShrinking P3 15m',
      'KafkaNoActiveController P1 2m',
    ]);
    expect(rules[4].expr).toBe('(sum(kafka_controller_kafkacontroller_activecontrollercount{namespace="messaging",job="events"}) != 1)'
      + ' or absent(kafka_controller_kafkacontroller_activecontrollercount{namespace="messaging",job="events"})');
  });

  const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find(p => existsSync(p));
  (promtool ? test : test.skip)('promtool accepts the alert rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-rules-'));
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify(find(objs, 'PrometheusRule').spec));
    expect(execFileSync(promtool!, ['check', 'rules', file], { encoding: 'utf8' })).toContain('SUCCESS: 5 rules found');
  });
});

describe('KafkaCluster in the dependency graph', () => {
  test('a dependent gets egress to the brokers client port; the brokers admit it, their peers, controllers and monitoring', () => {
    const { app, chart } = regionChart();
    const kafka = new KafkaCluster(chart, 'events', { namespace: 'messaging' });
    const order = new ResilientService(chart, 'order-service', { image: 'r/o:1.0.0', tier: Criticality.CRITICAL, namespace: 'orders', dependencies: [kafka] });
    const objs = synth(chart);
    expect(Checks.of(app).lastReport!.findings).toEqual([]);
    expectValidManifests(objs);
    const orderNp = find(objs, 'NetworkPolicy', 'order-service').spec;
    expect(orderNp.egress.at(-1)).toEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'messaging' } }, podSelector: { matchLabels: kafka.brokerSelector } }],
      ports: [{ port: 9092, protocol: 'TCP' }],
    });
    const brokerNp = find(objs, 'NetworkPolicy', 'events-broker').spec;
    expect(brokerNp.podSelector).toEqual({ matchLabels: kafka.brokerSelector });
    expect(brokerNp.ingress.map((r: any) => `${r.from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']}:${r.ports[0].port}`))
      .toEqual(['orders:9092', 'messaging:9091', 'monitoring:9404']);
    expect(brokerNp.ingress[0].from[0].podSelector).toEqual({ matchLabels: order.podSelector });
    expect(brokerNp.egress.slice(2).map((r: any) => `${r.to[0].podSelector.matchLabels['app.kubernetes.io/component']}:${r.ports[0].port}`))
      .toEqual(['controller:9093', 'broker:9091']);
    const ctrlNp = find(objs, 'NetworkPolicy', 'events-controller').spec;
    expect(ctrlNp.ingress.map((r: any) => `${r.from[0].podSelector?.matchLabels['app.kubernetes.io/component'] ?? 'monitoring'}:${r.ports[0].port}`))
      .toEqual(['controller:9093', 'broker:9093', 'monitoring:9404']);
    expect(find(objs, 'Sidecar', 'order-service').spec.egress[0].hosts).toEqual(expect.arrayContaining([
      'messaging/events.messaging.svc.cluster.local', 'messaging/events-broker.messaging.svc.cluster.local',
    ]));
  });
});

describe('KafkaCluster options', () => {
  test('4 brokers over 3 zones: 2/1/1, node ids by zone, the 2-broker set needs no AV-01 suppression', () => {
    const { kafka, objs, report } = synthChecked({ brokers: 4 });
    expect(kafka.brokersPerZone).toEqual({ 'us-east-1a': 2, 'us-east-1b': 1, 'us-east-1c': 1 });
    expect(find(objs, 'StatefulSet', 'events-broker-us-east-1a').spec.replicas).toBe(2);
    expect(report.findings).toEqual([]);
    expect(report.suppressed.filter(s => s.ruleId === 'NINES-AV-01').map(s => s.object).sort())
      .toEqual(['StatefulSet/messaging/events-broker-us-east-1b', 'StatefulSet/messaging/events-broker-us-east-1c']);
  });

  test('TLS: SSL listeners, the Secret mounted read-only, a keystore assembled at start, client config for the Job', () => {
    const { kafka, objs, report } = synthChecked({ tls: { secretName: 'events-tls' }, topics: [{ name: 't' }] });
    expect(kafka.tls).toEqual({ secretName: 'events-tls', clientAuth: 'required' });
    expect(report.findings).toEqual([]);
    expectValidManifests(objs);
    const props = parseKafkaProperties(find(objs, 'ConfigMap', 'events-broker').data['server-us-east-1a.properties']);
    expect(props.get('listener.security.protocol.map')).toBe('CONTROLLER:SSL,CLIENT:SSL,REPLICATION:SSL');
    expect(props.get('ssl.client.auth')).toBe('required');
    const pod = find(objs, 'StatefulSet', 'events-controller').spec.template.spec;
    expect(pod.volumes.at(-1)).toEqual({ name: 'tls', secret: { secretName: 'events-tls', defaultMode: 0o440 } });
    expect(pod.containers[0].command[2]).toContain('cat /etc/kafka/tls/tls.key /etc/kafka/tls/tls.crt > /var/run/kafka/keystore.pem');
    expect(find(objs, 'ConfigMap', 'events-topics').data['topics.sh']).toContain('--command-config /var/run/kafka/client.properties');
    expect(find(objs, 'Job').spec.template.spec.containers[0].command[2]).toContain('security.protocol=SSL');
  });

  test('overrides land on fields and manifests', () => {
    const { kafka, objs } = synthChecked({
      name: 'ev',
      team: 'platform',
      tier: Criticality.HIGH,
      controllers: 5,
      brokers: 6,
      defaultReplicationFactor: 3,
      minInsyncReplicas: 2,
      numPartitions: 3,
      retention: Duration.hours(72),
      brokerStorage: { size: '500Gi', storageClassName: 'gp3' },
      brokerResources: { memory: { request: '8Gi', limit: '8Gi' } },
      clusterId: 'MkU3OEVBNTcwNTJENDM2Qk',
    });
    expect(kafka.priorityClassName).toBe('nines-high');
    expect(kafka.logRetentionHours).toBe(72);
    expect(kafka.clusterId).toBe('MkU3OEVBNTcwNTJENDM2Qk');
    expect(find(objs, 'StatefulSet', 'ev-controller').spec.replicas).toBe(5);
    const sts = find(objs, 'StatefulSet', 'ev-broker-us-east-1b');
    expect(sts.spec.replicas).toBe(2);
    expect(sts.spec.volumeClaimTemplates[0].spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'gp3', resources: { requests: { storage: '500Gi' } } });
    expect(sts.spec.template.spec.containers[0].env.find((e: any) => e.name === 'KAFKA_HEAP_OPTS').value).toBe('-Xms4096m -Xmx4096m');
    expect(sts.metadata.labels['nines.dev/team']).toBe('platform');
    expect(parseKafkaProperties(find(objs, 'ConfigMap', 'ev-broker').data['server-us-east-1b.properties']).get('log.retention.hours')).toBe('72');
  });
});

describe('KafkaCluster invariants: one error listing every problem, the tree unchanged', () => {
  test('RF > brokers, min ISR > RF - 1, controllers even, bad topic', () => {
    const { chart } = regionChart();
    const e = errorOf(() => new KafkaCluster(chart, 'events', {
      namespace: 'messaging',
      controllers: 4,
      defaultReplicationFactor: 4,
      minInsyncReplicas: 4,
      topics: [{ name: 'ok', replicationFactor: 3, minInsyncReplicas: 3 }, { name: 'bad name!' }, { name: 'ok' }],
    }));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe([
      "KafkaCluster 'test/events': 6 problems:",
      ' - controllers (4) must be odd and >= 3: a quorum of n tolerates (n - 1) / 2 failures, and an even n tolerates no more than n - 1; use 3 (or 5)',
      ' - defaultReplicationFactor (4) exceeds the brokers (3), so Kafka cannot place the replicas; use at most 3 or add brokers',
      ' - minInsyncReplicas (4) must be <= defaultReplicationFactor - 1 (3), or one broker down (a node drain, a zone outage) stops every write with acks=all; use at most 3',
      ' - topics[0].minInsyncReplicas (3) must be <= replicationFactor - 1 (2), or one broker down (a node drain, a zone outage) stops every write with acks=all; use at most 2',
      ' - topics[1].name ("bad name!") is not a Kafka topic name; use letters, digits, ".", "_" and "-" (at most 249 characters)',
      ' - topics[2].name ("ok") is declared twice; declare each topic once',
    ].join('\n'));
    expect(chart.node.tryFindChild('events')).toBeUndefined();
  });

  test('brokers < zones, too few zones, controllers < 3', () => {
    const { chart } = regionChart();
    expect(errorOf(() => new KafkaCluster(chart, 'a', { namespace: 'messaging', brokers: 2, controllers: 1 })).message).toBe([
      "KafkaCluster 'test/a': 2 problems:",
      ' - controllers (1) must be odd and >= 3: a quorum of n tolerates (n - 1) / 2 failures, and an even n tolerates no more than n - 1; use 3 (or 5)',
      ' - brokers (2) must be an integer >= zones (3) so every zone holds a broker (and a replica), at most 297; use at least 3',
    ].join('\n'));
    expect(errorOf(() => new KafkaCluster(chart, 'b', { namespace: 'messaging', zones: ['z-a', 'z-b'] })).message).toBe([
      "KafkaCluster 'test/b': 1 problem:",
      ' - zones (["z-a","z-b"]) must list at least 3 distinct zones: with 2, the zone holding 2 of the 3 controllers takes the quorum down with it;'
        + ' spread over 3 zones (the case study runs 3 per region)',
    ].join('\n'));
  });

  test('outside a RegionChart without zones; unpinned images; bad sizes and ids', () => {
    const app = Testing.app();
    withoutClusterObjects(app);
    const e = errorOf(() => new KafkaCluster(app, 'k', {
      namespace: 'Messaging', image: 'apache/kafka:latest', brokerStorage: { size: '10Mi' }, clusterId: 'nope', retention: Duration.minutes(90),
    }));
    expect(e.message).toBe([
      "KafkaCluster 'k': 6 problems:",
      ' - namespace ("Messaging") is not a DNS label; use lower-case letters, digits and "-"',
      ' - image ("apache/kafka:latest") uses the mutable "latest" tag, so a restart can run different code; pin an immutable tag (e.g. "apache/kafka:1.4.2") or a digest',
      ' - zones (undefined) are unknown: the cluster is not inside a RegionChart and no zones were given; create it inside a RegionChart (zones come from the platform description) or pass zones',
      ' - retention ("1.5h") must be a whole number of hours >= 1 (log.retention.hours); use e.g. Duration.hours(168)',
      ` - brokerStorage.size ("10Mi") is not a storage quantity of at least 1Gi; ${e.message.split('at least 1Gi; ')[1].split('\n')[0]}`,
      ' - clusterId ("nope") is not a KRaft cluster id (22 base64url characters); omit it (a stable id is derived) or use the output of `kafka-storage.sh random-uuid`',
    ].join('\n'));
  });
});

describe('property: random sizes give a valid, finding-free cluster or one ValidationError', () => {
  test('brokers, controllers, RF, min ISR, topics', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 4 }),
      fc.array(fc.record({
        rf: fc.integer({ min: 1, max: 5 }), isr: fc.integer({ min: 0, max: 4 }), partitions: fc.integer({ min: 0, max: 50 }),
      }), { maxLength: 3 }),
      (brokers, controllers, rf, isr, topics) => {
        const { app, chart } = regionChart();
        const valid = brokers >= 3 && controllers >= 3 && controllers % 2 === 1 && rf >= 2 && rf <= brokers && isr >= 1 && isr <= rf - 1
          && topics.every(t => t.rf >= 2 && t.rf <= brokers && t.isr >= 1 && t.isr <= t.rf - 1 && t.partitions >= 1);
        let kafka: KafkaCluster;
        try {
          kafka = built(() => new KafkaCluster(chart, 'k', {
            namespace: 'messaging',
            brokers,
            controllers,
            defaultReplicationFactor: rf,
            minInsyncReplicas: isr,
            topics: topics.map((t, i) => ({ name: `t${i}`, replicationFactor: t.rf, minInsyncReplicas: t.isr, partitions: t.partitions })),
          }));
        } catch (e) {
          expect(e).toBeInstanceOf(ValidationError);
          expect(valid).toBe(false);
          expect(chart.node.tryFindChild('k')).toBeUndefined();
          return;
        }
        expect(valid).toBe(true);
        expect(kafka.defaultReplicationFactor).toBeLessThanOrEqual(kafka.brokers);
        expect(kafka.minInsyncReplicas).toBeLessThanOrEqual(kafka.defaultReplicationFactor - 1);
        expect(Object.values(kafka.brokersPerZone).reduce((a, b) => a + b, 0)).toBe(brokers);
        expect(Math.min(...Object.values(kafka.brokersPerZone))).toBeGreaterThanOrEqual(1);
        synth(chart);
        expect(Checks.of(app).lastReport!.findings).toEqual([]);
      }), { numRuns: 60 });
  });
});

test('examples/event-log.ts: order and notification on an order-events cluster, zero findings, valid', () => {
  const app = buildEventLog();
  Checks.of(app).log = () => {};
  const objs = parseAllDocuments(app.synthYaml()).map(d => d.toJS());
  expect(Checks.of(app).lastReport!.findings).toEqual([]);
  expectValidManifests(objs);
  const np = find(objs, 'NetworkPolicy', 'order-events-broker').spec;
  expect(np.ingress.slice(0, 3).map((r: any) => r.from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'])).toEqual(['orders', 'notifications', 'messaging']);
  const order = find(objs, 'Deployment', 'order-service').spec.template.spec.containers[0].env;
  expect(order).toEqual(expect.arrayContaining([{ name: 'KAFKA_BOOTSTRAP_SERVERS', value: 'order-events.messaging.svc.cluster.local:9092' }, { name: 'KAFKA_ACKS', value: 'all' }]));
  expect(objs.filter(o => o.kind === 'StatefulSet').map(o => o.metadata.name)).toEqual([
    'order-events-controller', 'order-events-broker-eu-west-1a', 'order-events-broker-eu-west-1b', 'order-events-broker-eu-west-1c',
  ]);
});

describe('the start and topic scripts run under /bin/sh (Kafka stubbed, paths moved into a temp dir)', () => {
  const { objs } = synthChecked({ tls: { secretName: 'events-tls' }, topics: [{ name: 'orders.v1' }] });

  /** Moves the scripts' absolute paths under `root` and runs `script` with the stubs and `env`. */
  function run(script: string, root: string, env: Record<string, string>): string {
    const moved = script.replace(/\/(opt\/kafka|etc\/kafka|var\/run\/kafka)/g, `${root}/$1`);
    return execFileSync('/bin/sh', ['-c', moved], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env } });
  }

  function fakeRoot(): string {
    const root = mkdtempSync(join(tmpdir(), 'kafka-start-'));
    for (const d of ['opt/kafka/bin', 'etc/kafka/template', 'etc/kafka/tls', 'etc/kafka/topics', 'var/run/kafka']) {
      execFileSync('mkdir', ['-p', join(root, d)]);
    }
    const stub = (name: string, body: string) => {
      writeFileSync(join(root, 'opt/kafka/bin', name), `#!/bin/sh\n${body}\n`);
      execFileSync('chmod', ['+x', join(root, 'opt/kafka/bin', name)]);
    };
    stub('kafka-storage.sh', 'echo "storage $*"');
    stub('kafka-server-start.sh', 'echo "start $*"; cat "$1"');
    stub('kafka-topics.sh', 'echo "topics $*"');
    stub('kafka-configs.sh', 'echo "configs $*"');
    writeFileSync(join(root, 'etc/kafka/tls/tls.key'), 'KEY\n');
    writeFileSync(join(root, 'etc/kafka/tls/tls.crt'), 'CERT\n');
    return root;
  }

  test('broker: node id from the zone base and the ordinal, own DNS name advertised, keystore assembled, storage formatted', () => {
    const root = fakeRoot();
    const sts = find(objs, 'StatefulSet', 'events-broker-us-east-1b');
    const c = sts.spec.template.spec.containers[0];
    writeFileSync(join(root, 'etc/kafka/template/server.properties'), find(objs, 'ConfigMap', 'events-broker').data['server-us-east-1b.properties']);
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    const out = run(c.command[2], root, { ...env, HOSTNAME: 'events-broker-us-east-1b-1' });
    const props = parseKafkaProperties(out.split('\n').filter(l => !l.startsWith('storage ') && !l.startsWith('start ')).join('\n'));
    expect(props.get('node.id')).toBe('201');
    expect(props.get('broker.rack')).toBe('us-east-1b');
    expect(props.get('advertised.listeners')).toContain('CLIENT://events-broker-us-east-1b-1.events-broker.messaging.svc.cluster.local:9092');
    expect(out).toContain(`storage format --cluster-id ${env.CLUSTER_ID} --config ${root}/var/run/kafka/server.properties --ignore-formatted`);
    expect(execFileSync('cat', [join(root, 'var/run/kafka/keystore.pem')], { encoding: 'utf8' })).toBe('KEY\nCERT\n');
    expect(execFileSync('stat', ['-c', '%a', join(root, 'var/run/kafka/keystore.pem')], { encoding: 'utf8' }).trim()).toBe('600');
  });

  test('controller: node id = ordinal', () => {
    const root = fakeRoot();
    const c = find(objs, 'StatefulSet', 'events-controller').spec.template.spec.containers[0];
    writeFileSync(join(root, 'etc/kafka/template/server.properties'), find(objs, 'ConfigMap', 'events-controller').data['server.properties']);
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    const out = run(c.command[2], root, { ...env, HOSTNAME: 'events-controller-2' });
    expect(out).toContain('node.id=2\n');
    expect(out).toContain('process.roles=controller\n');
  });

  test('topics Job: client TLS config, create then converge each topic', () => {
    const root = fakeRoot();
    const topicsSh = find(objs, 'ConfigMap', 'events-topics').data['topics.sh'];
    writeFileSync(join(root, 'etc/kafka/topics/topics.sh'), topicsSh.replace(/\/(opt\/kafka|var\/run\/kafka)/g, `${root}/$1`));
    const c = find(objs, 'Job').spec.template.spec.containers[0];
    // The mesh exit call has no proxy to reach here; wget (or its absence) must not fail the run.
    const out = run(c.command[2], root, {});
    expect(out.split('\n').filter(l => /^(topics|configs) /.test(l)).map(l => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'topics --bootstrap-server', 'configs --bootstrap-server',
    ]);
    expect(out).toContain(`--command-config ${root}/var/run/kafka/client.properties --create --if-not-exists --topic orders.v1 --partitions 6`);
    expect(out).toContain('1 topic(s) in place');
    expect(execFileSync('cat', [join(root, 'var/run/kafka/client.properties')], { encoding: 'utf8' })).toBe([
      'security.protocol=SSL', 'ssl.truststore.type=PEM', `ssl.truststore.location=${root}/etc/kafka/tls/ca.crt`,
      'ssl.keystore.type=PEM', `ssl.keystore.location=${root}/var/run/kafka/keystore.pem`, '',
    ].join('\n'));
  });
});
