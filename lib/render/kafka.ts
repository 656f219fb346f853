/**
 * server.properties for a KRaft-mode Apache Kafka cluster (separate controller and broker
 * processes, no ZooKeeper), the topic-creation script and the JMX exporter rules, rendered by
 * pure functions from typed inputs. The `KafkaCluster` construct ships the output in ConfigMaps.
 *
 * - **One template per StatefulSet, one file per pod.** Everything but the node id and the pod's
 *   own DNS name is known at synth time; those two are written as {@link KAFKA_PLACEHOLDERS} and
 *   the start script substitutes them ({@link substituteKafkaPlaceholders} is the same
 *   substitution, for tests and tools).
 * - **broker.rack is the broker's real zone**: each broker StatefulSet is pinned to one zone, so
 *   the rack is a constant of its template, and Kafka's rack-aware assignment puts the replicas
 *   of every partition in different zones.
 * - Durability defaults (the case study, section 2.3 "Message Queue Clustering"):
 *   default.replication.factor 3, min.insync.replicas 2, unclean leader election off, no
 *   auto-created topics, internal topics at RF 3 (transactions min ISR 2), retention 168 h.
 *
 * @see https://kafka.apache.org/38/configuration/broker-configs
 * @see https://kafka.apache.org/38/operations/kraft/
 */

/** The tokens a template holds where a pod-specific value goes. */
export const KAFKA_PLACEHOLDERS = {
  /** The node id (controllers: ordinal; brokers: zone base + ordinal). */
  nodeId: '@NODE_ID@',
  /** The pod name (`$HOSTNAME` in the container). */
  podName: '@POD_NAME@',
} as const;

/** The defaults of the broker settings, shared by the renderer and the construct. */
export const KAFKA_DEFAULTS = {
  defaultReplicationFactor: 3,
  minInsyncReplicas: 2,
  numPartitions: 6,
  logRetentionHours: 168,
  internalTopicReplicationFactor: 3,
  transactionStateLogMinIsr: 2,
  clientPort: 9092,
  replicationPort: 9091,
  controllerPort: 9093,
  metricsPort: 9404,
  jmxPort: 5555,
  dataDir: '/var/lib/kafka/data',
} as const;

/** One voter of the controller quorum. */
export interface KafkaVoter {
  /** The controller's node id. */
  readonly id: number;
  /** The controller pod's DNS name, e.g. `events-controller-0.events-controller.messaging.svc.cluster.local`. */
  readonly host: string;
}

/** TLS on every listener (PEM files, e.g. from a cert-manager Certificate). */
export interface KafkaTlsFiles {
  /** PEM file holding the private key (PKCS#8, unencrypted) followed by the certificate chain. */
  readonly keystore: string;
  /** PEM file holding the CA certificate(s) trusted for peers and clients. */
  readonly truststore: string;
  /** Whether clients must present a certificate (`ssl.client.auth`). */
  readonly clientAuth: 'required' | 'requested' | 'none';
}

/** Settings that apply to brokers only. */
export interface KafkaBrokerSettings {
  readonly defaultReplicationFactor: number;
  readonly minInsyncReplicas: number;
  readonly numPartitions: number;
  readonly logRetentionHours: number;
  readonly internalTopicReplicationFactor: number;
  readonly transactionStateLogMinIsr: number;
}

/** Inputs of {@link renderKafkaServerProperties}. */
export interface KafkaServerInput {
  /** `controller` (quorum member) or `broker`. */
  readonly role: 'controller' | 'broker';
  /** The node id, or the placeholder the start script replaces. */
  readonly nodeId: number | typeof KAFKA_PLACEHOLDERS.nodeId;
  /** The controller quorum (static voters). */
  readonly voters: readonly KafkaVoter[];
  readonly controllerPort: number;
  /** Brokers: the client listener port. */
  readonly clientPort?: number;
  /** Brokers: the inter-broker listener port. */
  readonly replicationPort?: number;
  /** Brokers: the host advertised to clients and peers (the pod's DNS name). */
  readonly advertisedHost?: string;
  /** Brokers: the zone the broker runs in (`broker.rack`). */
  readonly rack?: string;
  /** Directory of the data (brokers) or metadata log (controllers). */
  readonly dataDir: string;
  /** TLS on every listener; plaintext when unset (the mesh's mTLS then protects the wire). */
  readonly tls?: KafkaTlsFiles;
  /** Brokers: replication and retention settings. */
  readonly broker?: KafkaBrokerSettings;
}

/** A rendered property value. */
export type KafkaPropertyValue = string | number | boolean;

/**
 * The properties of one node as an ordered map (the order of the rendered file).
 * @throws Error when a broker input lacks its broker-only fields.
 */
export function kafkaServerProperties(input: KafkaServerInput): Map<string, KafkaPropertyValue> {
  const p = new Map<string, KafkaPropertyValue>();
  const proto = input.tls ? 'SSL' : 'PLAINTEXT';
  p.set('process.roles', input.role);
  p.set('node.id', input.nodeId);
  p.set('controller.quorum.voters', input.voters.map(v => `${v.id}@${v.host}:${input.controllerPort}`).join(','));
  p.set('controller.listener.names', 'CONTROLLER');
  if (input.role === 'controller') {
    p.set('listeners', `CONTROLLER://0.0.0.0:${input.controllerPort}`);
    p.set('listener.security.protocol.map', `CONTROLLER:${proto}`);
    p.set('metadata.log.dir', `${input.dataDir}/metadata`);
    p.set('log.dirs', `${input.dataDir}/metadata`);
  } else {
    const b = input.broker;
    if (!b || input.clientPort === undefined || input.replicationPort === undefined || !input.advertisedHost || !input.rack) {
      throw new Error('kafkaServerProperties: a broker needs broker settings, clientPort, replicationPort, advertisedHost and rack');
    }
    p.set('listeners', `CLIENT://0.0.0.0:${input.clientPort},REPLICATION://0.0.0.0:${input.replicationPort}`);
    p.set('advertised.listeners', `CLIENT://${input.advertisedHost}:${input.clientPort},REPLICATION://${input.advertisedHost}:${input.replicationPort}`);
    p.set('listener.security.protocol.map', `CONTROLLER:${proto},CLIENT:${proto},REPLICATION:${proto}`);
    p.set('inter.broker.listener.name', 'REPLICATION');
    p.set('broker.rack', input.rack);
    p.set('log.dirs', `${input.dataDir}/log`);
    p.set('num.partitions', b.numPartitions);
    p.set('default.replication.factor', b.defaultReplicationFactor);
    p.set('min.insync.replicas', b.minInsyncReplicas);
    p.set('unclean.leader.election.enable', false);
    p.set('auto.create.topics.enable', false);
    p.set('offsets.topic.replication.factor', b.internalTopicReplicationFactor);
    p.set('transaction.state.log.replication.factor', b.internalTopicReplicationFactor);
    p.set('transaction.state.log.min.isr', b.transactionStateLogMinIsr);
    p.set('log.retention.hours', b.logRetentionHours);
  }
  if (input.tls) {
    p.set('ssl.keystore.type', 'PEM');
    p.set('ssl.keystore.location', input.tls.keystore);
    p.set('ssl.truststore.type', 'PEM');
    p.set('ssl.truststore.location', input.tls.truststore);
    p.set('ssl.client.auth', input.tls.clientAuth);
    p.set('ssl.endpoint.identification.algorithm', 'https');
  }
  return p;
}

/** Renders one node's server.properties (Java properties format, one `key=value` a line). */
export function renderKafkaServerProperties(input: KafkaServerInput): string {
  const lines = [
    `# server.properties for a KRaft ${input.role}, rendered by @nines/constructs (do not edit).`,
    ...[...kafkaServerProperties(input)].map(([k, v]) => `${k}=${String(v)}`),
  ];
  return lines.join('\n') + '\n';
}

/** Replaces the placeholders of a rendered template with one pod's values. */
export function substituteKafkaPlaceholders(template: string, values: { readonly nodeId: number; readonly podName: string }): string {
  return template.split(KAFKA_PLACEHOLDERS.nodeId).join(String(values.nodeId)).split(KAFKA_PLACEHOLDERS.podName).join(values.podName);
}

/** Parses a properties file as rendered here (no continuation lines, `#` comments). */
export function parseKafkaProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

/** A topic to create. */
export interface KafkaTopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
  /** retention.ms (-1: keep forever). */
  readonly retentionMs: number;
}

/** Inputs of {@link renderKafkaTopicScript}. */
export interface KafkaTopicScriptInput {
  readonly topics: readonly KafkaTopicSpec[];
  /** `host:port` of the brokers (the bootstrap Service). */
  readonly bootstrap: string;
  /** Kafka's installation directory in the image. */
  readonly kafkaHome: string;
  /** A client properties file (TLS settings), when the listeners use TLS. */
  readonly commandConfig?: string;
}

/**
 * The idempotent topic script the topics Job runs: for every topic `kafka-topics.sh --create
 * --if-not-exists` (partitions, RF and configs on creation), then `kafka-configs.sh --alter` so
 * min.insync.replicas and retention.ms converge on an existing topic too. Partition counts and
 * replication factors of existing topics are not changed (Kafka can only add partitions, which
 * breaks key ordering; changing RF is a reassignment). Fails (non-zero) on the first error, so
 * the Job retries until the brokers are up.
 */
export function renderKafkaTopicScript(input: KafkaTopicScriptInput): string {
  const cfg = input.commandConfig ? ` --command-config ${input.commandConfig}` : '';
  const bin = `${input.kafkaHome}/bin`;
  const lines = [
    '#!/bin/sh',
    '# Declared topics, rendered by @nines/constructs (do not edit).',
    'set -eu',
    `BOOTSTRAP=${shellQuote(input.bootstrap)}`,
  ];
  for (const t of input.topics) {
    const configs = `min.insync.replicas=${t.minInsyncReplicas},retention.ms=${t.retentionMs}`;
    lines.push(
      `echo "topic ${t.name}: ${t.partitions} partitions, RF ${t.replicationFactor}, min ISR ${t.minInsyncReplicas}, retention.ms ${t.retentionMs}"`,
      `${bin}/kafka-topics.sh --bootstrap-server "$BOOTSTRAP"${cfg} --create --if-not-exists --topic ${shellQuote(t.name)}`
        + ` --partitions ${t.partitions} --replication-factor ${t.replicationFactor}`
        + ` --config min.insync.replicas=${t.minInsyncReplicas} --config retention.ms=${t.retentionMs}`,
      `${bin}/kafka-configs.sh --bootstrap-server "$BOOTSTRAP"${cfg} --alter --entity-type topics --entity-name ${shellQuote(t.name)} --add-config ${configs}`,
    );
  }
  lines.push(`echo "${input.topics.length} topic(s) in place"`);
  return lines.join('\n') + '\n';
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, '\'"\'"\'')}'`;
}

/**
 * Rules of the Prometheus JMX exporter (standalone HTTP server reading the broker's JMX on
 * localhost): exactly the gauges the alerts and dashboards read, lower-case names.
 * @see https://github.com/prometheus/jmx_exporter
 */
export function renderKafkaJmxExporterConfig(jmxPort: number): string {
  return [
    `hostPort: 127.0.0.1:${jmxPort}`,
    'lowercaseOutputName: true',
    'lowercaseOutputLabelNames: true',
    'rules:',
    '  - pattern: "kafka.server<type=ReplicaManager, name=(UnderReplicatedPartitions|UnderMinIsrPartitionCount|OfflineReplicaCount|PartitionCount|LeaderCount)><>Value"',
    '    name: kafka_server_replicamanager_$1',
    '    type: GAUGE',
    '  - pattern: "kafka.server<type=ReplicaManager, name=(IsrShrinks|IsrExpands)PerSec><>Count"',
    '    name: kafka_server_replicamanager_$1_count',
    '    type: GAUGE',
    '  - pattern: "kafka.controller<type=KafkaController, name=(ActiveControllerCount|OfflinePartitionsCount|GlobalPartitionCount)><>Value"',
    '    name: kafka_controller_kafkacontroller_$1',
    '    type: GAUGE',
    '  - pattern: "java.lang<type=Memory><HeapMemoryUsage>(used|max)"',
    '    name: kafka_jvm_heap_$1_bytes',
    '    type: GAUGE',
    '',
  ].join('\n');
}
