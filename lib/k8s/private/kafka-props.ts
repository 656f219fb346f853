/*
 * Internal: The pure props resolver of {@link KafkaCluster}: every default applied once (sizes,
 * replication, topics, TLS, storage, the cluster id), every problem collected, nothing built.
 */
import { createHash } from 'crypto';
import { Duration } from 'cdk8s';
import { Criticality } from '../../core/criticality';
import { Problems } from '../../core/errors';
import { isDnsLabel } from '../../core/labels';
import { ResolvedStorage, STORAGE_TYPES, resolveStorage } from '../../core/storage';
import { KAFKA_DEFAULTS, KafkaTopicSpec } from '../../render/kafka';
import type { KafkaClusterProps, KafkaTopic } from '../kafka-cluster';
import { PlatformContext } from './context';
import { Resolution, resolution } from './resolve';
import { OwnerSettings, resolveIdentity, resolveOwner, zoneProblems } from './stateful';
import { typedProps, withTypeProblems } from '../../core/prop-types';
import {
  ContainerResources, PodIdentity, ResolvedResources, identityProblems, resolveResources, resourceProblems,
  WORKLOAD_PROP_TYPES, RESOURCES_TYPES,
} from '../workload-options';

const BROKER_RESOURCES: ContainerResources = { cpu: { request: '1', limit: '2' }, memory: { request: '4Gi', limit: '4Gi' }, ephemeralStorage: { request: '1Gi', limit: '4Gi' } };
const CONTROLLER_RESOURCES: ContainerResources = { cpu: { request: '500m', limit: '1' }, memory: { request: '2Gi', limit: '2Gi' }, ephemeralStorage: { request: '512Mi', limit: '2Gi' } };
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
/**
 * The JMX exporter's standalone HTTP server (`<port> <config>` arguments), pinned. Its versioned
 * tags left docker.io/bitnami on 2025-09-29 and are served, frozen, from docker.io/bitnamilegacy;
 * the Prometheus project publishes the exporter as jars only (no image).
 * @see https://github.com/bitnami/containers/issues/83267
 * @see https://github.com/prometheus/jmx_exporter/releases
 */
export const KAFKA_METRICS_IMAGE = 'docker.io/bitnamilegacy/jmx-exporter:1.0.1';

/** {@link KafkaClusterProps} with every default applied. */
export interface ResolvedKafkaClusterProps extends OwnerSettings {
  readonly metricsImage: string;
  readonly zones: readonly string[];
  readonly controllers: number;
  readonly brokers: number;
  readonly brokersPerZone: Readonly<Record<string, number>>;
  readonly defaultReplicationFactor: number;
  readonly minInsyncReplicas: number;
  readonly numPartitions: number;
  readonly logRetentionHours: number;
  readonly topics: readonly KafkaTopicSpec[];
  readonly tls?: { readonly secretName: string; readonly clientAuth: 'required' | 'requested' | 'none' };
  readonly brokerResources: ResolvedResources;
  readonly controllerResources: ResolvedResources;
  readonly brokerStorage: ResolvedStorage;
  readonly controllerStorage: ResolvedStorage;
  readonly identity: Required<PodIdentity>;
  readonly clusterId: string;
}

/** Resolves `props` of the KafkaCluster with id `id` in `context`, or returns every problem. */
export function resolveKafkaClusterProps(id: string, given: KafkaClusterProps, context: PlatformContext): Resolution<ResolvedKafkaClusterProps> {
  const { props, problems: typeProblems } = typedProps(given, {
    ...WORKLOAD_PROP_TYPES,
    tier: 'string',
    metricsImage: 'string',
    brokers: 'number',
    controllers: 'number',
    defaultReplicationFactor: 'number',
    minInsyncReplicas: 'number',
    numPartitions: 'number',
    retention: 'duration',
    topics: [{ name: 'string', partitions: 'number', replicationFactor: 'number', minInsyncReplicas: 'number', retention: { anyOf: ['duration', 'string'] } }],
    tls: { secretName: 'string', clientAuth: 'string' },
    brokerResources: RESOURCES_TYPES,
    controllerResources: RESOURCES_TYPES,
    brokerStorage: STORAGE_TYPES,
    controllerStorage: STORAGE_TYPES,
    clusterId: 'string',
    runbookBaseUrl: 'string',
  });
  const problems = new Problems('KafkaCluster', id);
  const metricsImage = props.metricsImage ?? KAFKA_METRICS_IMAGE;
  const { owner, problems: ownerProblems } = resolveOwner(id, props, context, {
    tier: Criticality.CRITICAL,
    image: 'apache/kafka:3.8.1',
    images: { metricsImage },
    nameWhy: 'is not a DNS label (object names derive from it)',
    nameFix: 'use lower-case letters, digits and "-", at most 63 characters',
    teamFix: 'use letters, digits, "-", "_" or ".", at most 63 characters',
  });
  const { name, namespace } = owner;
  problems.addAll(ownerProblems);

  // Zones: one broker StatefulSet per zone, named after it.
  const zones = props.zones ?? context.zones ?? [];
  problems.addAll(zoneProblems(zones, props.zones === undefined && context.zones === undefined, {
    noun: 'cluster', min: 3, why: ': with 2, the zone holding 2 of the 3 controllers takes the quorum down with it', fix: 'spread over 3 zones (the case study runs 3 per region)',
  }));
  for (const z of zones) {
    problems.when(!isDnsLabel(z) || `${name}-broker-${z}`.length > 52, 'zones', z,
      `cannot name a StatefulSet ("${name}-broker-${z}" must be a DNS label of at most 52 characters)`, 'shorten the cluster name');
  }
  const zoneCount = Math.max(zones.length, 1);

  // Sizes and invariants.
  const controllers = props.controllers ?? 3;
  problems.when(!Number.isInteger(controllers) || controllers < 3 || controllers % 2 === 0, 'controllers', controllers,
    'must be odd and >= 3: a quorum of n tolerates (n - 1) / 2 failures, and an even n tolerates no more than n - 1', 'use 3 (or 5)');
  const brokers = props.brokers ?? Math.max(3, zoneCount);
  const brokersOk = !problems.when(!Number.isInteger(brokers) || brokers < zoneCount || brokers > 99 * zoneCount, 'brokers', brokers,
    `must be an integer >= zones (${zoneCount}) so every zone holds a broker (and a replica), at most ${99 * zoneCount}`, `use at least ${zoneCount}`);
  const brokersPerZone: Record<string, number> = {};
  zones.forEach((z, i) => { brokersPerZone[z] = Math.floor(brokers / zoneCount) + (i < brokers % zoneCount ? 1 : 0); });
  const replication = (prefix: string, rf: number, minIsr: number, rfName: string) =>
    replicationProblems(problems, { prefix, rf, minIsr, rfName, brokers: brokersOk ? brokers : undefined });

  const defaultReplicationFactor = props.defaultReplicationFactor ?? KAFKA_DEFAULTS.defaultReplicationFactor;
  const minInsyncReplicas = props.minInsyncReplicas ?? KAFKA_DEFAULTS.minInsyncReplicas;
  replication('', defaultReplicationFactor, minInsyncReplicas, 'defaultReplicationFactor');
  const numPartitions = props.numPartitions ?? KAFKA_DEFAULTS.numPartitions;
  problems.when(!Number.isInteger(numPartitions) || numPartitions < 1, 'numPartitions', numPartitions, 'must be an integer >= 1', 'use e.g. 6');
  const logRetentionHours = (props.retention ?? Duration.hours(KAFKA_DEFAULTS.logRetentionHours)).toHours({ integral: false });
  problems.when(!Number.isInteger(logRetentionHours) || logRetentionHours < 1, 'retention', `${logRetentionHours}h`,
    'must be a whole number of hours >= 1 (log.retention.hours)', 'use e.g. Duration.hours(168)');
  const topics = resolveTopics(problems, props.topics ?? [], numPartitions, replication);

  // TLS, resources, storage, identity, cluster id.
  let tls: ResolvedKafkaClusterProps['tls'];
  if (props.tls) {
    const clientAuth = props.tls.clientAuth ?? 'required';
    problems.when(!isDnsLabel(props.tls.secretName) && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(props.tls.secretName ?? ''), 'tls.secretName', props.tls.secretName,
      'is not a Secret name', 'use the name of a kubernetes.io/tls Secret in the namespace');
    problems.when(!['required', 'requested', 'none'].includes(clientAuth), 'tls.clientAuth', clientAuth, 'is not an ssl.client.auth value', "use 'required', 'requested' or 'none'");
    tls = { secretName: props.tls.secretName, clientAuth };
  }
  const brokerResources = resolveResources(props.brokerResources, BROKER_RESOURCES);
  const controllerResources = resolveResources(props.controllerResources, CONTROLLER_RESOURCES);
  problems.addAll(resourceProblems('brokerResources', brokerResources));
  problems.addAll(resourceProblems('controllerResources', controllerResources));
  const brokerStorage = resolveStorage('brokerStorage', props.brokerStorage, { size: '100Gi', minBytes: 2 ** 30 });
  const controllerStorage = resolveStorage('controllerStorage', props.controllerStorage, { size: '10Gi', minBytes: 2 ** 30 });
  problems.addAll([...brokerStorage.problems, ...controllerStorage.problems]);
  const identity = resolveIdentity(props.identity);
  problems.addAll(identityProblems('identity', identity));
  const clusterId = props.clusterId ?? createHash('sha256').update(`kafka/${namespace}/${name}`).digest().subarray(0, 16).toString('base64url');
  problems.when(!/^[A-Za-z0-9_-]{22}$/.test(clusterId), 'clusterId', clusterId, 'is not a KRaft cluster id (22 base64url characters)',
    'omit it (a stable id is derived) or use the output of `kafka-storage.sh random-uuid`');

  return resolution(withTypeProblems(typeProblems, problems.all), () => ({
    ...owner,
    metricsImage,
    zones,
    controllers,
    brokers,
    brokersPerZone,
    defaultReplicationFactor,
    minInsyncReplicas,
    numPartitions,
    logRetentionHours,
    topics,
    tls,
    brokerResources,
    controllerResources,
    identity,
    clusterId,
    brokerStorage: brokerStorage.storage,
    controllerStorage: controllerStorage.storage,
  }));
}

type ReplicationCheck = (prefix: string, rf: number, minIsr: number, rfName: string) => void;

function resolveTopics(problems: Problems, given: readonly KafkaTopic[], numPartitions: number, replication: ReplicationCheck): KafkaTopicSpec[] {
  const seen = new Set<string>();
  return given.map((t, i) => {
    const prop = `topics[${i}]`;
    if (!problems.when(typeof t.name !== 'string' || !TOPIC_NAME.test(t.name) || t.name === '.' || t.name === '..', `${prop}.name`, t.name,
      'is not a Kafka topic name', 'use letters, digits, ".", "_" and "-" (at most 249 characters)')) {
      problems.when(seen.has(t.name), `${prop}.name`, t.name, 'is declared twice', 'declare each topic once');
      seen.add(t.name);
    }
    const spec: KafkaTopicSpec = {
      name: t.name,
      partitions: t.partitions ?? numPartitions,
      replicationFactor: t.replicationFactor ?? KAFKA_DEFAULTS.defaultReplicationFactor,
      minInsyncReplicas: t.minInsyncReplicas ?? KAFKA_DEFAULTS.minInsyncReplicas,
      retentionMs: t.retention === 'forever' ? -1 : typeof t.retention === 'string' ? NaN
        : (t.retention ?? Duration.hours(KAFKA_DEFAULTS.logRetentionHours)).toMilliseconds(),
    };
    problems.when(!Number.isInteger(spec.partitions) || spec.partitions < 1 || spec.partitions > 10000, `${prop}.partitions`, spec.partitions,
      'must be an integer between 1 and 10000', 'use e.g. 6');
    replication(`${prop}.`, spec.replicationFactor, spec.minInsyncReplicas, 'replicationFactor');
    if (typeof t.retention === 'string' && t.retention !== 'forever') {
      problems.add(`${prop}.retention`, t.retention, 'is neither a Duration nor \'forever\'', "use e.g. Duration.days(7), or 'forever'");
    } else {
      problems.when(spec.retentionMs !== -1 && !(spec.retentionMs >= 60_000), `${prop}.retention`, `${spec.retentionMs}ms`,
        'must be at least one minute', "use e.g. Duration.days(7), or 'forever'");
    }
    return spec;
  });
}

/**
 * A replication factor and its min.insync.replicas: RF >= 2 and within the brokers (when they are
 * valid), min ISR <= RF - 1 so one broker down does not stop writes with acks=all.
 * @see https://kafka.apache.org/documentation/#design_ha
 */
function replicationProblems(problems: Problems, c: { prefix: string; rf: number; minIsr: number; rfName: string; brokers?: number }): void {
  const { prefix, rf, minIsr, rfName } = c;
  if (!Number.isInteger(rf) || rf < 2) {
    problems.add(`${prefix}${rfName}`, rf, 'must be an integer >= 2: one replica loses data with its broker', 'use 3 (the case study)');
  } else if (c.brokers !== undefined && rf > c.brokers) {
    problems.add(`${prefix}${rfName}`, rf, `exceeds the brokers (${c.brokers}), so Kafka cannot place the replicas`, `use at most ${c.brokers} or add brokers`);
  }
  if (!Number.isInteger(minIsr) || minIsr < 1) {
    problems.add(`${prefix}minInsyncReplicas`, minIsr, 'must be an integer >= 1', 'use 2 (the case study)');
  } else if (Number.isInteger(rf) && minIsr > rf - 1) {
    problems.add(`${prefix}minInsyncReplicas`, minIsr, `must be <= ${rfName} - 1 (${rf - 1}), or one broker down (a node drain, a zone outage) stops every write with acks=all`,
      `use at most ${Math.max(1, rf - 1)}`);
  }
}
