import * as fc from 'fast-check';
import { parse } from 'yaml';
import { KAFKA_BROKER_CONFIGS, configTypeProblems } from './kafka-broker-configs';
import {
  KAFKA_DEFAULTS, KAFKA_PLACEHOLDERS, KafkaServerInput, kafkaServerProperties, parseKafkaProperties, renderKafkaJmxExporterConfig,
  renderKafkaServerProperties, renderKafkaTopicScript, substituteKafkaPlaceholders,
} from '../../lib/render/kafka';

const voters = [0, 1, 2].map(id => ({ id, host: `ev-controller-${id}.ev-controller.messaging.svc.cluster.local` }));
const brokerSettings = {
  defaultReplicationFactor: 3,
  minInsyncReplicas: 2,
  numPartitions: 6,
  logRetentionHours: 168,
  internalTopicReplicationFactor: 3,
  transactionStateLogMinIsr: 2,
};
const broker = (over: Partial<KafkaServerInput> = {}): KafkaServerInput => ({
  role: 'broker',
  nodeId: 101,
  voters,
  controllerPort: 9093,
  clientPort: 9092,
  replicationPort: 9091,
  advertisedHost: 'ev-broker-us-east-1a-0.ev-broker.messaging.svc.cluster.local',
  rack: 'us-east-1a',
  dataDir: '/var/lib/kafka/data',
  broker: brokerSettings,
  ...over,
});
const controller = (over: Partial<KafkaServerInput> = {}): KafkaServerInput => ({
  role: 'controller', nodeId: 1, voters, controllerPort: 9093, dataDir: '/var/lib/kafka/data', ...over,
});
const tls = { keystore: '/var/run/kafka/keystore.pem', truststore: '/etc/kafka/tls/ca.crt', clientAuth: 'required' as const };

describe('renderKafkaServerProperties', () => {
  test('broker: the case study durability settings, KRaft, rack = zone', () => {
    const p = parseKafkaProperties(renderKafkaServerProperties(broker()));
    expect(Object.fromEntries(p)).toEqual({
      'process.roles': 'broker',
      'node.id': '101',
      'controller.quorum.voters': '0@ev-controller-0.ev-controller.messaging.svc.cluster.local:9093,'
        + '1@ev-controller-1.ev-controller.messaging.svc.cluster.local:9093,2@ev-controller-2.ev-controller.messaging.svc.cluster.local:9093',
      'controller.listener.names': 'CONTROLLER',
      'listeners': 'CLIENT://0.0.0.0:9092,REPLICATION://0.0.0.0:9091',
      'advertised.listeners': 'CLIENT://ev-broker-us-east-1a-0.ev-broker.messaging.svc.cluster.local:9092,'
        + 'REPLICATION://ev-broker-us-east-1a-0.ev-broker.messaging.svc.cluster.local:9091',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,CLIENT:PLAINTEXT,REPLICATION:PLAINTEXT',
      'inter.broker.listener.name': 'REPLICATION',
      'broker.rack': 'us-east-1a',
      'log.dirs': '/var/lib/kafka/data/log',
      'num.partitions': '6',
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
      'unclean.leader.election.enable': 'false',
      'auto.create.topics.enable': 'false',
      'offsets.topic.replication.factor': '3',
      'transaction.state.log.replication.factor': '3',
      'transaction.state.log.min.isr': '2',
      'log.retention.hours': '168',
    });
    expect(p.has('zookeeper.connect')).toBe(false);
  });

  test('controller: only the quorum listener and the metadata log', () => {
    const p = parseKafkaProperties(renderKafkaServerProperties(controller()));
    expect(Object.fromEntries(p)).toEqual({
      'process.roles': 'controller',
      'node.id': '1',
      'controller.quorum.voters': expect.stringMatching(/^0@ev-controller-0\..*:9093,1@.*,2@.*:9093$/),
      'controller.listener.names': 'CONTROLLER',
      'listeners': 'CONTROLLER://0.0.0.0:9093',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT',
      'metadata.log.dir': '/var/lib/kafka/data/metadata',
      'log.dirs': '/var/lib/kafka/data/metadata',
    });
  });

  test('TLS: every listener SSL with PEM stores and hostname verification', () => {
    const p = parseKafkaProperties(renderKafkaServerProperties(broker({ tls })));
    expect(p.get('listener.security.protocol.map')).toBe('CONTROLLER:SSL,CLIENT:SSL,REPLICATION:SSL');
    expect(p.get('ssl.keystore.type')).toBe('PEM');
    expect(p.get('ssl.keystore.location')).toBe('/var/run/kafka/keystore.pem');
    expect(p.get('ssl.truststore.type')).toBe('PEM');
    expect(p.get('ssl.truststore.location')).toBe('/etc/kafka/tls/ca.crt');
    expect(p.get('ssl.client.auth')).toBe('required');
    expect(p.get('ssl.endpoint.identification.algorithm')).toBe('https');
    expect(parseKafkaProperties(renderKafkaServerProperties(controller({ tls }))).get('listener.security.protocol.map')).toBe('CONTROLLER:SSL');
  });

  test('a broker without its broker-only inputs is refused', () => {
    expect(() => kafkaServerProperties(broker({ rack: undefined }))).toThrow(
      'kafkaServerProperties: a broker needs broker settings, clientPort, replicationPort, advertisedHost and rack');
  });

  test('placeholders: the template carries them, substitution fills them', () => {
    const template = renderKafkaServerProperties(broker({ nodeId: KAFKA_PLACEHOLDERS.nodeId, advertisedHost: `${KAFKA_PLACEHOLDERS.podName}.ev-broker.messaging.svc.cluster.local` }));
    expect(template).toContain('node.id=@NODE_ID@\n');
    const filled = parseKafkaProperties(substituteKafkaPlaceholders(template, { nodeId: 201, podName: 'ev-broker-us-east-1b-0' }));
    expect(filled.get('node.id')).toBe('201');
    expect(filled.get('advertised.listeners')).toBe('CLIENT://ev-broker-us-east-1b-0.ev-broker.messaging.svc.cluster.local:9092,'
      + 'REPLICATION://ev-broker-us-east-1b-0.ev-broker.messaging.svc.cluster.local:9091');
  });
});

describe('every emitted key is a documented Kafka broker configuration of the right type', () => {
  test('the fixture lists only keys the renderer emits (no stale entries)', () => {
    const emitted = new Set<string>();
    for (const input of [broker(), broker({ tls }), controller(), controller({ tls })]) {
      for (const k of kafkaServerProperties(input).keys()) emitted.add(k);
    }
    expect([...emitted].sort()).toEqual(Object.keys(KAFKA_BROKER_CONFIGS).sort());
  });

  test('property: any valid input renders only documented keys with values of their documented type', () => {
    fc.assert(fc.property(
      fc.record({
        role: fc.constantFrom<'broker' | 'controller'>('broker', 'controller'),
        nodeId: fc.integer({ min: 0, max: 9999 }),
        voterCount: fc.constantFrom(3, 5, 7),
        rf: fc.integer({ min: 2, max: 5 }),
        partitions: fc.integer({ min: 1, max: 1000 }),
        hours: fc.integer({ min: 1, max: 24 * 365 }),
        ports: fc.uniqueArray(fc.integer({ min: 1024, max: 65535 }), { minLength: 3, maxLength: 3 }),
        tls: fc.option(fc.constantFrom<'required' | 'requested' | 'none'>('required', 'requested', 'none'), { nil: undefined }),
        zone: fc.constantFrom('us-east-1a', 'eu-west-1c', 'ap-southeast-1b'),
      }),
      a => {
        const input: KafkaServerInput = {
          role: a.role,
          nodeId: a.nodeId,
          voters: Array.from({ length: a.voterCount }, (_, id) => ({ id, host: `k-controller-${id}.k-controller.ns.svc.cluster.local` })),
          controllerPort: a.ports[0],
          clientPort: a.ports[1],
          replicationPort: a.ports[2],
          advertisedHost: 'k-broker-z-0.k-broker.ns.svc.cluster.local',
          rack: a.zone,
          dataDir: '/data',
          tls: a.tls ? { ...tls, clientAuth: a.tls } : undefined,
          broker: {
            ...brokerSettings, defaultReplicationFactor: a.rf, minInsyncReplicas: a.rf - 1, numPartitions: a.partitions, logRetentionHours: a.hours,
          },
        };
        const problems = [...parseKafkaProperties(renderKafkaServerProperties(input))].flatMap(([k, v]) => configTypeProblems(k, v));
        expect(problems).toEqual([]);
      }), { numRuns: 200 });
  });

  test('the type check itself rejects wrong values (so it can fail)', () => {
    expect(configTypeProblems('node.id', '@NODE_ID@')).toEqual(['node.id=@NODE_ID@ is not a int']);
    expect(configTypeProblems('offsets.topic.replication.factor', '40000')).toEqual(['offsets.topic.replication.factor=40000 is not a short']);
    expect(configTypeProblems('auto.create.topics.enable', 'no')).toEqual(['auto.create.topics.enable=no is not a boolean']);
    expect(configTypeProblems('process.roles', 'zookeeper')).toEqual(['process.roles=zookeeper is not one of broker, controller']);
    expect(configTypeProblems('zookeeper.connect', 'zk:2181')).toEqual(['zookeeper.connect is not a documented broker configuration we know of']);
  });
});

describe('renderKafkaTopicScript', () => {
  test('create --if-not-exists with partitions, RF and configs, then converge the configs', () => {
    const script = renderKafkaTopicScript({
      topics: [{ name: 'orders.v1', partitions: 12, replicationFactor: 3, minInsyncReplicas: 2, retentionMs: 604800000 }],
      bootstrap: 'ev.messaging.svc.cluster.local:9092',
      kafkaHome: '/opt/kafka',
    });
    expect(script.split('\n')).toEqual([
      '#!/bin/sh',
      '# Declared topics, rendered by @nines/constructs (do not edit).',
      'set -eu',
      "BOOTSTRAP='ev.messaging.svc.cluster.local:9092'",
      'echo "topic orders.v1: 12 partitions, RF 3, min ISR 2, retention.ms 604800000"',
      "/opt/kafka/bin/kafka-topics.sh --bootstrap-server \"$BOOTSTRAP\" --create --if-not-exists --topic 'orders.v1' --partitions 12 --replication-factor 3"
        + ' --config min.insync.replicas=2 --config retention.ms=604800000',
      "/opt/kafka/bin/kafka-configs.sh --bootstrap-server \"$BOOTSTRAP\" --alter --entity-type topics --entity-name 'orders.v1'"
        + ' --add-config min.insync.replicas=2,retention.ms=604800000',
      'echo "1 topic(s) in place"',
      '',
    ]);
  });

  test('TLS passes the client config to every command', () => {
    const script = renderKafkaTopicScript({
      topics: [{ name: 'a', partitions: 1, replicationFactor: 3, minInsyncReplicas: 2, retentionMs: -1 }],
      bootstrap: 'b:9092',
      kafkaHome: '/opt/kafka',
      commandConfig: '/var/run/kafka/client.properties',
    });
    expect(script.match(/--command-config \/var\/run\/kafka\/client\.properties/g)).toHaveLength(2);
    expect(script).toContain('retention.ms=-1');
  });
});

test('JMX exporter rules name exactly the gauges the alerts read', () => {
  const yml = renderKafkaJmxExporterConfig(KAFKA_DEFAULTS.jmxPort);
  expect(yml.startsWith('hostPort: 127.0.0.1:5555\nlowercaseOutputName: true\n')).toBe(true);
  expect(yml).toContain('name=(UnderReplicatedPartitions|UnderMinIsrPartitionCount|OfflineReplicaCount|PartitionCount|LeaderCount)><>Value');
  expect(yml).toContain('name: kafka_server_replicamanager_$1_count');
  expect(yml).toContain('kafka.controller<type=KafkaController, name=(ActiveControllerCount|OfflinePartitionsCount|GlobalPartitionCount)><>Value');
  const doc = parse(yml);
  expect(doc.hostPort).toBe('127.0.0.1:5555');
  expect(doc.rules.map((r: any) => `${r.name} ${r.type}`)).toEqual([
    'kafka_server_replicamanager_$1 GAUGE', 'kafka_server_replicamanager_$1_count GAUGE',
    'kafka_controller_kafkacontroller_$1 GAUGE', 'kafka_jvm_heap_$1_bytes GAUGE',
  ]);
  for (const r of doc.rules) expect(() => new RegExp(r.pattern)).not.toThrow();
});
