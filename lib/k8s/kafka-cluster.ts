import { createHash } from 'crypto';
import { ApiObject, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { DependencyFacts, DependencyKind, IDependable, NetworkPeer, ServiceGraph } from './dependency';
import { RegionChart } from './region-chart';
import {
  ContainerResources, PodIdentity, ResolvedResources, identityProblems, imageProblems, renderResources, resolveResources, resourceProblems,
} from './workload-options';
import { Checks } from '../checks/checks';
import { Criticality, isCriticality, tierDefaults } from '../core/criticality';
import { Problems } from '../core/errors';
import { LABELS, MANAGED_BY, isDnsLabel, isLabelValue } from '../core/labels';
import { runbookAnnotation, runbookBaseUrlProblems } from '../core/platform';
import { parseQuantity, quantityFix } from '../core/quantity';
import {
  KAFKA_DEFAULTS, KAFKA_PLACEHOLDERS, KafkaTopicSpec, renderKafkaJmxExporterConfig, renderKafkaServerProperties, renderKafkaTopicScript,
} from '../render/kafka';
import { PrometheusRule, ServiceMonitor } from './crds/monitoring';
import { renderNetworkPolicySpec } from './private/network';
import { containerSecurityContext, podSecurityContext, preStopSleep, zoneSpread } from './private/pod';

/** A topic the cluster creates declaratively (the topics Job). */
export interface KafkaTopic {
  /** Topic name: letters, digits, ".", "_" and "-", at most 249 characters. */
  readonly name: string;
  /**
   * Partitions (the upper bound of consumer parallelism). Only ever raised on an existing topic
   * by hand: adding partitions moves keys to other partitions and breaks per-key ordering.
   * @default 6
   */
  readonly partitions?: number;
  /**
   * Replication factor; at most the brokers.
   * @default 3 (the case study, section 2.3)
   */
  readonly replicationFactor?: number;
  /**
   * min.insync.replicas; at most replicationFactor - 1, so one broker can be down (a drain, a
   * zone outage) without stopping writes with acks=all.
   * @default 2 (the case study, section 2.3)
   */
  readonly minInsyncReplicas?: number;
  /**
   * How long records are kept (retention.ms); `'forever'` keeps them (-1).
   * @default Duration.hours(168)
   */
  readonly retention?: Duration | 'forever';
}

/** TLS on every listener (clients, replication, controllers). */
export interface KafkaTlsOptions {
  /**
   * A `kubernetes.io/tls` Secret in the namespace with `tls.key` (PKCS#8, e.g. cert-manager
   * `privateKey.encoding: PKCS8`), `tls.crt` and `ca.crt`. The certificate must name the pods:
   * `*.<name>-broker.<namespace>.svc.<domain>`, `*.<name>-controller.<namespace>.svc.<domain>`
   * and `<name>.<namespace>.svc.<domain>` (hostnames are verified).
   */
  readonly secretName: string;
  /**
   * `ssl.client.auth`: whether clients must present a certificate (mutual TLS).
   * @default 'required'
   */
  readonly clientAuth?: 'required' | 'requested' | 'none';
}

/** A persistent volume per pod (volumeClaimTemplates). */
export interface KafkaStorageOptions {
  /**
   * Size of each pod's volume.
   * @default '100Gi' for brokers, '10Gi' for controllers
   */
  readonly size?: string;
  /**
   * StorageClass (use a zonal, `WaitForFirstConsumer` class, e.g. EBS gp3).
   * @default - the cluster's default class
   */
  readonly storageClassName?: string;
}

/** Props of a {@link KafkaCluster}. */
export interface KafkaClusterProps {
  /** Namespace (the domain's bulkhead, e.g. `messaging`). */
  readonly namespace: string;
  /**
   * Cluster name (prefix of every object).
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Owning team (label `nines.dev/team`).
   * @default - the namespace
   */
  readonly team?: string;
  /**
   * Criticality tier: the PriorityClass of the pods.
   * @default Criticality.CRITICAL (the order flow depends on the event log)
   */
  readonly tier?: Criticality;
  /**
   * Kafka image (KRaft-capable, Kafka >= 3.7), pinned.
   * @default 'apache/kafka:3.8.1'
   * @see https://kafka.apache.org/38/getting-started/docker
   */
  readonly image?: string;
  /**
   * Prometheus JMX exporter image (standalone HTTP server, `<port> <config>` arguments), pinned.
   * @default 'bitnami/jmx-exporter:1.0.1'
   * @see https://github.com/prometheus/jmx_exporter
   */
  readonly metricsImage?: string;
  /**
   * Zones the brokers and controllers spread over; one broker StatefulSet per zone.
   * @default - the zones of the enclosing RegionChart's region
   */
  readonly zones?: readonly string[];
  /**
   * Brokers, spread round-robin over the zones (>= zones, >= every replication factor).
   * @default - max(3, zones)
   */
  readonly brokers?: number;
  /**
   * KRaft controllers (the metadata quorum): odd and >= 3, spread over the zones.
   * @default 3
   */
  readonly controllers?: number;
  /**
   * default.replication.factor (topics created without an explicit RF).
   * @default 3 (the case study, section 2.3)
   */
  readonly defaultReplicationFactor?: number;
  /**
   * min.insync.replicas of the brokers; at most defaultReplicationFactor - 1.
   * @default 2 (the case study, section 2.3)
   */
  readonly minInsyncReplicas?: number;
  /**
   * num.partitions (topics created without an explicit count).
   * @default 6
   */
  readonly numPartitions?: number;
  /**
   * log.retention.hours, in whole hours.
   * @default Duration.hours(168)
   */
  readonly retention?: Duration;
  /** Topics to create (idempotently, by a Job). @default - none */
  readonly topics?: readonly KafkaTopic[];
  /** TLS on every listener. @default - plaintext listeners inside the mesh's mTLS */
  readonly tls?: KafkaTlsOptions;
  /** Broker resources. @default cpu 1/2, memory 4Gi/4Gi (heap: half the limit), ephemeral 1Gi/4Gi */
  readonly brokerResources?: ContainerResources;
  /** Controller resources. @default cpu 500m/1, memory 2Gi/2Gi (heap: half the limit), ephemeral 512Mi/2Gi */
  readonly controllerResources?: ContainerResources;
  /** Broker volumes. @default { size: '100Gi' } */
  readonly brokerStorage?: KafkaStorageOptions;
  /** Controller volumes. @default { size: '10Gi' } */
  readonly controllerStorage?: KafkaStorageOptions;
  /** Non-root identity. @default - uid/gid/fsGroup 10001 */
  readonly identity?: PodIdentity;
  /**
   * KRaft cluster id (22 characters, base64url of 16 bytes). Must never change once formatted.
   * @default - derived from namespace and name (stable across synths)
   */
  readonly clusterId?: string;
  /**
   * Where the alerts' runbooks are published (`writeRunbooks` writes them): each alert links
   * `${runbookBaseUrl}/<namespace>-<name>-<alert>`, e.g. `…/orders-order-events-kafka-offline-partitions`.
   * An absolute https URL.
   * @default - the platform description's `runbookBaseUrl`; with neither, the alerts carry no
   *   `runbook_url` and `writeRunbooks` reports them
   * @see the case study, section 3.4 ("Actionable runbook")
   */
  readonly runbookBaseUrl?: string;
}

const BROKER_RESOURCES: ContainerResources = { cpu: { request: '1', limit: '2' }, memory: { request: '4Gi', limit: '4Gi' }, ephemeralStorage: { request: '1Gi', limit: '4Gi' } };
const CONTROLLER_RESOURCES: ContainerResources = { cpu: { request: '500m', limit: '1' }, memory: { request: '2Gi', limit: '2Gi' }, ephemeralStorage: { request: '512Mi', limit: '2Gi' } };
const EXPORTER_RESOURCES = { requests: { 'cpu': '50m', 'memory': '192Mi', 'ephemeral-storage': '64Mi' }, limits: { 'cpu': '250m', 'memory': '256Mi', 'ephemeral-storage': '256Mi' } };
const TOPICS_RESOURCES = { requests: { 'cpu': '100m', 'memory': '384Mi', 'ephemeral-storage': '64Mi' }, limits: { 'cpu': '500m', 'memory': '512Mi', 'ephemeral-storage': '256Mi' } };
const KAFKA_HOME = '/opt/kafka';
const ZONE_LABEL = 'nines.dev/zone';
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const RUN_DIR = '/var/run/kafka';
const TEMPLATE_DIR = '/etc/kafka/template';
const TLS_DIR = '/etc/kafka/tls';
const LOG_DIR = '/var/log/kafka';
const BROKER_GRACE_SECONDS = 120;
const CONTROLLER_GRACE_SECONDS = 60;
const PRESTOP_SECONDS = 5;

/**
 * An Apache Kafka cluster in KRaft mode (no ZooKeeper) that survives a zone outage without
 * losing acknowledged writes: a 3-member controller quorum spread over the zones, one broker
 * StatefulSet per zone pinned there by node affinity with `broker.rack` = that zone (so Kafka's
 * rack-aware assignment puts each partition's replicas in different zones), replication factor
 * 3 with min.insync.replicas 2, unclean leader election off, no auto-created topics, declared
 * topics created by an idempotent Job, a JMX exporter, ServiceMonitor, alerts, disruption
 * budgets, persistent volumes, hardened pods and least-privilege NetworkPolicies.
 *
 * **Producers must use `acks=all` and `enable.idempotence=true`** (the default of Kafka >= 3.0
 * clients; do not turn it off): only then is a write acknowledged after min.insync.replicas (2)
 * replicas in two zones have it, and retries cannot duplicate or reorder it. Consumers should
 * commit offsets after processing (at-least-once) and be idempotent; `client.rack` set to the
 * consumer's zone keeps fetches in-zone when a rack-aware replica selector is configured.
 *
 * Broker rollouts: the per-zone StatefulSets use `OnDelete`, because Kubernetes cannot order
 * rolling updates across StatefulSets and three simultaneous broker restarts would take every
 * partition offline. Roll brokers one at a time (delete a pod, wait for it to be ready and for
 * under-replicated partitions to reach 0, then the next); the controllers roll by themselves.
 *
 * ```ts
 * const events = new KafkaCluster(chart, 'order-events', {
 *   namespace: 'messaging',
 *   topics: [{ name: 'orders.v1', partitions: 12 }],
 * });
 * order.dependOn(events);
 * ```
 */
export class KafkaCluster extends Construct implements IDependable {
  public readonly name: string;
  public readonly namespace: string;
  public readonly team: string;
  public readonly tier: Criticality;
  public readonly image: string;
  public readonly metricsImage: string;
  public readonly zones: readonly string[];
  public readonly brokers: number;
  public readonly controllers: number;
  /** Brokers per zone (zone order), e.g. `{ 'us-east-1a': 1, ... }`. */
  public readonly brokersPerZone: Readonly<Record<string, number>>;
  public readonly defaultReplicationFactor: number;
  public readonly minInsyncReplicas: number;
  public readonly numPartitions: number;
  public readonly logRetentionHours: number;
  /** Declared topics with every default resolved. */
  public readonly topics: readonly KafkaTopicSpec[];
  public readonly tls?: { readonly secretName: string; readonly clientAuth: 'required' | 'requested' | 'none' };
  public readonly brokerResources: ResolvedResources;
  public readonly controllerResources: ResolvedResources;
  public readonly brokerStorage: { readonly size: string; readonly storageClassName?: string };
  public readonly controllerStorage: { readonly size: string; readonly storageClassName?: string };
  public readonly identity: Required<PodIdentity>;
  /** Base of the alerts' `runbook_url`s; `undefined` when neither the prop nor the platform gives one. */
  public readonly runbookBaseUrl?: string;
  public readonly clusterId: string;
  public readonly priorityClassName: string;
  public readonly clientPort = KAFKA_DEFAULTS.clientPort;
  public readonly replicationPort = KAFKA_DEFAULTS.replicationPort;
  public readonly controllerPort = KAFKA_DEFAULTS.controllerPort;
  public readonly metricsPort = KAFKA_DEFAULTS.metricsPort;
  /** `host:port` clients bootstrap from (the ready brokers behind one ClusterIP Service). */
  public readonly bootstrapServers: string;
  /** The rendered `controller.quorum.voters`. */
  public readonly controllerQuorumVoters: string;
  /** Labels on every object. */
  public readonly labels: Record<string, string>;
  /** Labels selecting every broker pod (all zones). */
  public readonly brokerSelector: Record<string, string>;
  /** Labels selecting the controller pods. */
  public readonly controllerSelector: Record<string, string>;

  /** One broker StatefulSet per zone, in zone order. */
  public readonly brokerStatefulSets: readonly ApiObject[];
  public readonly controllerStatefulSet: ApiObject;
  public readonly bootstrapService: ApiObject;
  public readonly brokerService: ApiObject;
  public readonly controllerService: ApiObject;
  public readonly brokerConfig: ApiObject;
  public readonly controllerConfig: ApiObject;
  public readonly metricsConfig: ApiObject;
  public readonly serviceAccount: ApiObject;
  public readonly brokerDisruptionBudget: ApiObject;
  public readonly controllerDisruptionBudget: ApiObject;
  public readonly brokerNetworkPolicy: ApiObject;
  public readonly controllerNetworkPolicy: ApiObject;
  public readonly serviceMonitor: ApiObject;
  public readonly prometheusRule: ApiObject;
  /** The topics ConfigMap, Job and NetworkPolicy (when topics are declared). */
  public readonly topicsConfig?: ApiObject;
  public readonly topicsJob?: ApiObject;
  public readonly topicsNetworkPolicy?: ApiObject;

  private readonly meshNamespace: string;
  private readonly monitoringNamespace: string;
  private readonly clusterDomain: string;
  private readonly topicsSelector: Record<string, string>;

  constructor(scope: Construct, id: string, props: KafkaClusterProps) {
    super(scope, id);
    const region = RegionChart.find(this)?.region;
    const platform = region?.platform;
    const problems = new Problems('KafkaCluster', this.node.path);

    this.name = props.name ?? id;
    this.namespace = props.namespace;
    this.team = props.team ?? props.namespace;
    this.tier = props.tier ?? Criticality.CRITICAL;
    this.image = props.image ?? 'apache/kafka:3.8.1';
    this.metricsImage = props.metricsImage ?? 'bitnami/jmx-exporter:1.0.1';
    this.meshNamespace = platform?.meshNamespace ?? 'istio-system';
    this.monitoringNamespace = platform?.monitoringNamespace ?? 'monitoring';
    this.clusterDomain = platform?.clusterDomain ?? 'cluster.local';

    problems.when(!isDnsLabel(this.name), 'name', this.name, 'is not a DNS label (object names derive from it)', 'use lower-case letters, digits and "-", at most 63 characters');
    problems.when(!isDnsLabel(this.namespace), 'namespace', this.namespace, 'is not a DNS label', 'use lower-case letters, digits and "-"');
    problems.when(!isLabelValue(this.team), 'team', this.team, 'is not a valid label value', 'use letters, digits, "-", "_" or ".", at most 63 characters');
    const tierOk = !problems.when(!isCriticality(this.tier), 'tier', this.tier, 'is not a criticality tier', 'use Criticality.CRITICAL, HIGH, MEDIUM or LOW');
    problems.addAll(imageProblems('image', this.image));
    problems.addAll(imageProblems('metricsImage', this.metricsImage));
    this.runbookBaseUrl = props.runbookBaseUrl ?? platform?.runbookBaseUrl;
    if (props.runbookBaseUrl !== undefined) problems.addAll(runbookBaseUrlProblems(props.runbookBaseUrl));

    // Zones.
    this.zones = props.zones ?? region?.zones ?? [];
    if (props.zones === undefined && region === undefined) {
      problems.add('zones', undefined, 'are unknown: the cluster is not inside a RegionChart and no zones were given', 'create it inside a RegionChart (zones come from the platform description) or pass zones');
    } else if (this.zones.length < 3 || new Set(this.zones).size !== this.zones.length) {
      problems.add('zones', this.zones, 'must list at least 3 distinct zones: with 2, the zone holding 2 of the 3 controllers takes the quorum down with it',
        'spread over 3 zones (the case study runs 3 per region)');
    }
    for (const z of this.zones) {
      problems.when(!isDnsLabel(z) || `${this.name}-broker-${z}`.length > 52, 'zones', z,
        `cannot name a StatefulSet ("${this.name}-broker-${z}" must be a DNS label of at most 52 characters)`, 'shorten the cluster name');
    }
    const zoneCount = Math.max(this.zones.length, 1);

    // Sizes and invariants.
    this.controllers = props.controllers ?? 3;
    problems.when(!Number.isInteger(this.controllers) || this.controllers < 3 || this.controllers % 2 === 0, 'controllers', this.controllers,
      'must be odd and >= 3: a quorum of n tolerates (n - 1) / 2 failures, and an even n tolerates no more than n - 1', 'use 3 (or 5)');
    this.brokers = props.brokers ?? Math.max(3, zoneCount);
    const brokersOk = !problems.when(!Number.isInteger(this.brokers) || this.brokers < zoneCount || this.brokers > 99 * zoneCount, 'brokers', this.brokers,
      `must be an integer >= zones (${zoneCount}) so every zone holds a broker (and a replica), at most ${99 * zoneCount}`, `use at least ${zoneCount}`);
    const perZone: Record<string, number> = {};
    this.zones.forEach((z, i) => { perZone[z] = Math.floor(this.brokers / zoneCount) + (i < this.brokers % zoneCount ? 1 : 0); });
    this.brokersPerZone = perZone;

    this.defaultReplicationFactor = props.defaultReplicationFactor ?? KAFKA_DEFAULTS.defaultReplicationFactor;
    this.minInsyncReplicas = props.minInsyncReplicas ?? KAFKA_DEFAULTS.minInsyncReplicas;
    this.replicationProblems(problems, '', this.defaultReplicationFactor, this.minInsyncReplicas, brokersOk, 'defaultReplicationFactor', 'minInsyncReplicas');
    this.numPartitions = props.numPartitions ?? KAFKA_DEFAULTS.numPartitions;
    problems.when(!Number.isInteger(this.numPartitions) || this.numPartitions < 1, 'numPartitions', this.numPartitions, 'must be an integer >= 1', 'use e.g. 6');
    const retention = props.retention ?? Duration.hours(KAFKA_DEFAULTS.logRetentionHours);
    this.logRetentionHours = retention.toHours({ integral: false });
    problems.when(!Number.isInteger(this.logRetentionHours) || this.logRetentionHours < 1, 'retention', `${this.logRetentionHours}h`,
      'must be a whole number of hours >= 1 (log.retention.hours)', 'use e.g. Duration.hours(168)');

    // Topics.
    const seen = new Set<string>();
    this.topics = (props.topics ?? []).map((t, i) => {
      const prop = `topics[${i}]`;
      if (!problems.when(typeof t.name !== 'string' || !TOPIC_NAME.test(t.name) || t.name === '.' || t.name === '..', `${prop}.name`, t.name,
        'is not a Kafka topic name', 'use letters, digits, ".", "_" and "-" (at most 249 characters)')) {
        problems.when(seen.has(t.name), `${prop}.name`, t.name, 'is declared twice', 'declare each topic once');
        seen.add(t.name);
      }
      const spec: KafkaTopicSpec = {
        name: t.name,
        partitions: t.partitions ?? this.numPartitions,
        replicationFactor: t.replicationFactor ?? KAFKA_DEFAULTS.defaultReplicationFactor,
        minInsyncReplicas: t.minInsyncReplicas ?? KAFKA_DEFAULTS.minInsyncReplicas,
        retentionMs: t.retention === 'forever' ? -1 : (t.retention ?? Duration.hours(KAFKA_DEFAULTS.logRetentionHours)).toMilliseconds(),
      };
      problems.when(!Number.isInteger(spec.partitions) || spec.partitions < 1 || spec.partitions > 10000, `${prop}.partitions`, spec.partitions,
        'must be an integer between 1 and 10000', 'use e.g. 6');
      this.replicationProblems(problems, `${prop}.`, spec.replicationFactor, spec.minInsyncReplicas, brokersOk, 'replicationFactor', 'minInsyncReplicas');
      problems.when(spec.retentionMs !== -1 && !(spec.retentionMs >= 60_000), `${prop}.retention`, `${spec.retentionMs}ms`,
        'must be at least one minute', "use e.g. Duration.days(7), or 'forever'");
      return spec;
    });

    // TLS, resources, storage, identity, cluster id.
    if (props.tls) {
      const clientAuth = props.tls.clientAuth ?? 'required';
      problems.when(!isDnsLabel(props.tls.secretName) && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(props.tls.secretName ?? ''), 'tls.secretName', props.tls.secretName,
        'is not a Secret name', 'use the name of a kubernetes.io/tls Secret in the namespace');
      problems.when(!['required', 'requested', 'none'].includes(clientAuth), 'tls.clientAuth', clientAuth, 'is not an ssl.client.auth value', "use 'required', 'requested' or 'none'");
      this.tls = { secretName: props.tls.secretName, clientAuth };
    }
    this.brokerResources = resolveResources(props.brokerResources, BROKER_RESOURCES);
    this.controllerResources = resolveResources(props.controllerResources, CONTROLLER_RESOURCES);
    problems.addAll(resourceProblems('brokerResources', this.brokerResources));
    problems.addAll(resourceProblems('controllerResources', this.controllerResources));
    this.brokerStorage = { size: props.brokerStorage?.size ?? '100Gi', storageClassName: props.brokerStorage?.storageClassName };
    this.controllerStorage = { size: props.controllerStorage?.size ?? '10Gi', storageClassName: props.controllerStorage?.storageClassName };
    for (const [prop, s] of [['brokerStorage', this.brokerStorage], ['controllerStorage', this.controllerStorage]] as const) {
      const bytes = parseQuantity(s.size);
      problems.when(bytes === undefined || bytes < 1024 ** 3, `${prop}.size`, s.size, 'is not a storage quantity of at least 1Gi', quantityFix('storage'));
      problems.when(s.storageClassName !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s.storageClassName), `${prop}.storageClassName`, s.storageClassName,
        'is not a StorageClass name', 'use e.g. "gp3"');
    }
    this.identity = { user: props.identity?.user ?? 10001, group: props.identity?.group ?? 10001, fsGroup: props.identity?.fsGroup ?? 10001 };
    problems.addAll(identityProblems('identity', this.identity));
    this.clusterId = props.clusterId ?? createHash('sha256').update(`kafka/${this.namespace}/${this.name}`).digest().subarray(0, 16).toString('base64url');
    problems.when(!/^[A-Za-z0-9_-]{22}$/.test(this.clusterId), 'clusterId', this.clusterId, 'is not a KRaft cluster id (22 base64url characters)',
      'omit it (a stable id is derived) or use the output of `kafka-storage.sh random-uuid`');

    if (problems.count > 0) {
      scope.node.tryRemoveChild(id);
      problems.throwIfAny();
    }

    // ---- children (props are valid from here on) ----
    const tier = tierDefaults(tierOk ? this.tier : Criticality.CRITICAL);
    this.priorityClassName = tier.priorityClassName;
    const base = { [LABELS.name]: this.name, [LABELS.instance]: `${this.name}-${this.namespace}` };
    this.brokerSelector = { ...base, [LABELS.component]: 'broker' };
    this.controllerSelector = { ...base, [LABELS.component]: 'controller' };
    this.topicsSelector = { ...base, [LABELS.component]: 'topics' };
    const version = this.image.split('@')[0].split(':').slice(-1)[0];
    this.labels = {
      ...base,
      [LABELS.partOf]: this.namespace,
      [LABELS.managedBy]: MANAGED_BY,
      [LABELS.team]: this.team,
      [LABELS.tier]: this.tier,
      ...(isLabelValue(version) && this.image.includes(':') ? { [LABELS.version]: version } : {}),
    };
    const meta = (name: string, component?: string) => ({
      name, namespace: this.namespace, labels: { ...this.labels, ...(component ? { [LABELS.component]: component } : {}) },
    });
    const svcDomain = `${this.namespace}.svc.${this.clusterDomain}`;
    this.bootstrapServers = `${this.name}.${svcDomain}:${this.clientPort}`;
    const voters = Array.from({ length: this.controllers }, (_, i) => ({ id: i, host: `${this.name}-controller-${i}.${this.name}-controller.${svcDomain}` }));
    this.controllerQuorumVoters = voters.map(v => `${v.id}@${v.host}:${this.controllerPort}`).join(',');
    const tlsFiles = this.tls ? { keystore: `${RUN_DIR}/keystore.pem`, truststore: `${TLS_DIR}/ca.crt`, clientAuth: this.tls.clientAuth } : undefined;

    this.serviceAccount = new ApiObject(this, 'ServiceAccount', {
      apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(this.name), automountServiceAccountToken: false,
    } as any);

    // Config maps.
    this.metricsConfig = new ApiObject(this, 'MetricsConfig', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(`${this.name}-metrics`),
      data: { 'jmx-exporter.yml': renderKafkaJmxExporterConfig(KAFKA_DEFAULTS.jmxPort) },
    });
    const controllerProps = renderKafkaServerProperties({
      role: 'controller', nodeId: KAFKA_PLACEHOLDERS.nodeId, voters, controllerPort: this.controllerPort, dataDir: KAFKA_DEFAULTS.dataDir, tls: tlsFiles,
    });
    this.controllerConfig = new ApiObject(this, 'ControllerConfig', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${this.name}-controller`, 'controller'), data: { 'server.properties': controllerProps },
    });
    const brokerProps: Record<string, string> = {};
    for (const z of this.zones) {
      brokerProps[`server-${z}.properties`] = renderKafkaServerProperties({
        role: 'broker',
        nodeId: KAFKA_PLACEHOLDERS.nodeId,
        voters,
        controllerPort: this.controllerPort,
        clientPort: this.clientPort,
        replicationPort: this.replicationPort,
        advertisedHost: `${KAFKA_PLACEHOLDERS.podName}.${this.name}-broker.${svcDomain}`,
        rack: z,
        dataDir: KAFKA_DEFAULTS.dataDir,
        tls: tlsFiles,
        broker: {
          defaultReplicationFactor: this.defaultReplicationFactor,
          minInsyncReplicas: this.minInsyncReplicas,
          numPartitions: this.numPartitions,
          logRetentionHours: this.logRetentionHours,
          internalTopicReplicationFactor: KAFKA_DEFAULTS.internalTopicReplicationFactor,
          transactionStateLogMinIsr: KAFKA_DEFAULTS.transactionStateLogMinIsr,
        },
      });
    }
    this.brokerConfig = new ApiObject(this, 'BrokerConfig', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${this.name}-broker`, 'broker'), data: brokerProps,
    });

    // Services: headless per role (stable pod DNS, published before readiness so the quorum and
    // replication can form), and one bootstrap ClusterIP over the ready brokers.
    this.controllerService = new ApiObject(this, 'ControllerService', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(`${this.name}-controller`, 'controller'),
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: this.controllerSelector,
        ports: [
          { name: 'tcp-controller', port: this.controllerPort, targetPort: 'controller', protocol: 'TCP' },
          { name: 'metrics', port: this.metricsPort, targetPort: 'metrics', protocol: 'TCP', appProtocol: 'http' },
        ],
      },
    });
    this.brokerService = new ApiObject(this, 'BrokerService', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(`${this.name}-broker`, 'broker'),
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: this.brokerSelector,
        ports: [
          { name: 'tcp-client', port: this.clientPort, targetPort: 'client', protocol: 'TCP' },
          { name: 'tcp-replication', port: this.replicationPort, targetPort: 'replication', protocol: 'TCP' },
          { name: 'metrics', port: this.metricsPort, targetPort: 'metrics', protocol: 'TCP', appProtocol: 'http' },
        ],
      },
    });
    this.bootstrapService = new ApiObject(this, 'BootstrapService', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(this.name, 'broker'),
      spec: {
        type: 'ClusterIP',
        selector: this.brokerSelector,
        ports: [{ name: 'tcp-client', port: this.clientPort, targetPort: 'client', protocol: 'TCP' }],
      },
    });

    // Controllers: one StatefulSet spread over the zones.
    const controllerHash = hash(controllerProps);
    this.controllerStatefulSet = new ApiObject(this, 'ControllerStatefulSet', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta(`${this.name}-controller`, 'controller'),
      spec: {
        serviceName: `${this.name}-controller`,
        replicas: this.controllers,
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        minReadySeconds: 10,
        revisionHistoryLimit: 5,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        selector: { matchLabels: this.controllerSelector },
        template: {
          metadata: { labels: { ...this.labels, ...this.controllerSelector }, annotations: { 'kubectl.kubernetes.io/default-container': 'kafka', 'nines.dev/config-hash': controllerHash } },
          spec: this.podSpec('controller', {
            configMap: `${this.name}-controller`,
            configKey: 'server.properties',
            nodeIdBase: 0,
            resources: this.controllerResources,
            grace: CONTROLLER_GRACE_SECONDS,
            spread: zoneSpread(this.controllerSelector, false),
          }),
        },
        volumeClaimTemplates: [this.claim(this.controllerStorage)],
      },
    });

    // Brokers: one StatefulSet per zone, pinned to it; broker.rack is that zone.
    const sets: ApiObject[] = [];
    this.zones.forEach((z, i) => {
      const selector = { ...this.brokerSelector, [ZONE_LABEL]: z };
      const sts = new ApiObject(this, `BrokerStatefulSet-${z}`, {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { ...meta(`${this.name}-broker-${z}`, 'broker'), labels: { ...this.labels, ...selector } },
        spec: {
          serviceName: `${this.name}-broker`,
          replicas: this.brokersPerZone[z],
          podManagementPolicy: 'Parallel',
          updateStrategy: { type: 'OnDelete' },
          minReadySeconds: 10,
          revisionHistoryLimit: 5,
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
          selector: { matchLabels: selector },
          template: {
            metadata: {
              labels: { ...this.labels, ...selector },
              annotations: { 'kubectl.kubernetes.io/default-container': 'kafka', 'nines.dev/config-hash': hash(brokerProps[`server-${z}.properties`]) },
            },
            spec: this.podSpec('broker', {
              configMap: `${this.name}-broker`,
              configKey: `server-${z}.properties`,
              nodeIdBase: 100 * (i + 1),
              resources: this.brokerResources,
              grace: BROKER_GRACE_SECONDS,
              spread: [{
                labelSelector: { matchLabels: this.brokerSelector },
                maxSkew: 1,
                topologyKey: LABELS.hostname,
                whenUnsatisfiable: 'ScheduleAnyway',
                nodeAffinityPolicy: 'Honor',
                nodeTaintsPolicy: 'Honor',
              }],
              zone: z,
            }),
          },
          volumeClaimTemplates: [this.claim(this.brokerStorage)],
        },
      });
      Checks.suppress(sts, 'NINES-AV-03', `pinned to zone ${z} by a required node affinity so broker.rack is its real zone; the ${this.zones.length} per-zone StatefulSets of ${this.name} together put brokers in every zone`);
      if (this.brokersPerZone[z] < 2) {
        Checks.suppress(sts, 'NINES-AV-01', `one of ${this.zones.length} per-zone broker StatefulSets of ${this.name}; the cluster runs ${this.brokers} brokers and every partition keeps ${this.defaultReplicationFactor} replicas in different zones`);
      }
      sets.push(sts);
    });
    this.brokerStatefulSets = sets;

    // Disruption budgets: one across all brokers (every zone's StatefulSet), one for the quorum.
    const pdb = (idp: string, name: string, selector: Record<string, string>, component: string) => new ApiObject(this, idp, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(name, component),
      spec: { maxUnavailable: 1, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    });
    this.brokerDisruptionBudget = pdb('BrokerDisruptionBudget', `${this.name}-broker`, this.brokerSelector, 'broker');
    this.controllerDisruptionBudget = pdb('ControllerDisruptionBudget', `${this.name}-controller`, this.controllerSelector, 'controller');

    // Topics: a ConfigMap with the rendered script and a Job named by its hash (a changed list
    // is a new Job; the old one stays completed), idempotent on every run.
    if (this.topics.length > 0) {
      const script = renderKafkaTopicScript({
        topics: this.topics,
        bootstrap: this.bootstrapServers,
        kafkaHome: KAFKA_HOME,
        commandConfig: this.tls ? `${RUN_DIR}/client.properties` : undefined,
      });
      const topicsName = `${this.name}-topics`;
      this.topicsConfig = new ApiObject(this, 'TopicsConfig', {
        apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(topicsName, 'topics'), data: { 'topics.sh': script },
      });
      this.topicsJob = new ApiObject(this, 'TopicsJob', {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: meta(`${topicsName}-${hash(script)}`, 'topics'),
        spec: {
          backoffLimit: 12,
          activeDeadlineSeconds: 1800,
          template: {
            metadata: {
              labels: { ...this.labels, ...this.topicsSelector },
              annotations: { 'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts": true}' },
            },
            spec: this.topicsPodSpec(topicsName),
          },
        },
      });
      this.topicsNetworkPolicy = new ApiObject(this, 'TopicsNetworkPolicy', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: meta(topicsName, 'topics'),
        spec: renderNetworkPolicySpec({
          podSelector: this.topicsSelector,
          ingress: [],
          egress: [{ namespace: this.namespace, podLabels: this.brokerSelector, ports: [{ port: this.clientPort }] }],
          meshNamespace: this.meshNamespace,
        }),
      });
    }

    // NetworkPolicies: brokers admit declared callers (lazily, from the graph), the topics Job,
    // their peers and monitoring; controllers admit controllers, brokers and monitoring.
    ServiceGraph.of(this).addNode(this);
    this.brokerNetworkPolicy = new ApiObject(this, 'BrokerNetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(`${this.name}-broker`, 'broker'),
      spec: Lazy.any({ produce: () => this.renderBrokerNetworkPolicy() }),
    });
    const controllerPeer = (port: number): NetworkPeer => ({ namespace: this.namespace, podLabels: this.controllerSelector, ports: [{ port }] });
    this.controllerNetworkPolicy = new ApiObject(this, 'ControllerNetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(`${this.name}-controller`, 'controller'),
      spec: renderNetworkPolicySpec({
        podSelector: this.controllerSelector,
        ingress: [
          controllerPeer(this.controllerPort),
          { namespace: this.namespace, podLabels: this.brokerSelector, ports: [{ port: this.controllerPort }] },
          { namespace: this.monitoringNamespace, ports: [{ port: this.metricsPort }] },
        ],
        egress: [controllerPeer(this.controllerPort)],
        meshNamespace: this.meshNamespace,
      }),
    });

    // Observability.
    this.serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: meta(this.name),
      spec: {
        selector: { matchLabels: base },
        namespaceSelector: { matchNames: [this.namespace] },
        endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '20s' }],
        jobLabel: LABELS.name,
      },
    });
    this.prometheusRule = new PrometheusRule(this, 'PrometheusRule', { metadata: meta(this.name), spec: { groups: [this.alertGroup()] } });

    Checks.of(this.node.root);
  }

  /** Graph identity and availability facts. */
  public get dependencyFacts(): DependencyFacts {
    return {
      id: `${this.namespace}/${this.name}`,
      kind: DependencyKind.QUEUE,
      tier: this.tier,
      replicas: this.brokers,
      zones: this.zones.length,
      automaticFailover: true,
    };
  }

  /** Dependents reach the brokers on the client port (bootstrap and every broker's own address). */
  public egressPeers(): readonly NetworkPeer[] {
    return [{ namespace: this.namespace, podLabels: this.brokerSelector, ports: [{ port: this.clientPort, protocol: 'TCP' }] }];
  }

  /** The bootstrap Service and the headless broker Service (per-broker addresses). */
  public meshHosts(): readonly string[] {
    const domain = `${this.namespace}.svc.${this.clusterDomain}`;
    return [`${this.namespace}/${this.name}.${domain}`, `${this.namespace}/${this.name}-broker.${domain}`];
  }

  private replicationProblems(
    problems: Problems, prefix: string, rf: number, minIsr: number, brokersOk: boolean, rfName: string, isrName: string,
  ): void {
    if (!Number.isInteger(rf) || rf < 2) {
      problems.add(`${prefix}${rfName}`, rf, 'must be an integer >= 2: one replica loses data with its broker', 'use 3 (the case study)');
    } else if (brokersOk && rf > this.brokers) {
      problems.add(`${prefix}${rfName}`, rf, `exceeds the brokers (${this.brokers}), so Kafka cannot place the replicas`, `use at most ${this.brokers} or add brokers`);
    }
    if (!Number.isInteger(minIsr) || minIsr < 1) {
      problems.add(`${prefix}${isrName}`, minIsr, 'must be an integer >= 1', 'use 2 (the case study)');
    } else if (Number.isInteger(rf) && minIsr > rf - 1) {
      problems.add(`${prefix}${isrName}`, minIsr, `must be <= ${rfName} - 1 (${rf - 1}), or one broker down (a node drain, a zone outage) stops every write with acks=all`,
        `use at most ${Math.max(1, rf - 1)}`);
    }
  }

  private claim(s: { readonly size: string; readonly storageClassName?: string }): Record<string, unknown> {
    return {
      metadata: { name: 'data', labels: this.labels },
      spec: {
        accessModes: ['ReadWriteOnce'],
        ...(s.storageClassName ? { storageClassName: s.storageClassName } : {}),
        resources: { requests: { storage: s.size } },
      },
    };
  }

  private podSpec(role: 'broker' | 'controller', o: {
    configMap: string;
    configKey: string;
    nodeIdBase: number;
    resources: ResolvedResources;
    grace: number;
    spread: Record<string, unknown>[];
    zone?: string;
  }): Record<string, unknown> {
    const heapMi = Math.max(256, Math.floor((parseQuantity(o.resources.memoryLimit) ?? 0) / 2 / 1024 ** 2));
    const dataDir = KAFKA_DEFAULTS.dataDir;
    const script = [
      'set -eu',
      'umask 077',
      'node_id=$((NODE_ID_BASE + ${HOSTNAME##*-}))',
      `sed -e "s/${KAFKA_PLACEHOLDERS.nodeId}/$node_id/g" -e "s/${KAFKA_PLACEHOLDERS.podName}/$HOSTNAME/g" ${TEMPLATE_DIR}/server.properties > ${RUN_DIR}/server.properties`,
      ...(this.tls ? [`cat ${TLS_DIR}/tls.key ${TLS_DIR}/tls.crt > ${RUN_DIR}/keystore.pem`] : []),
      `${KAFKA_HOME}/bin/kafka-storage.sh format --cluster-id "$CLUSTER_ID" --config ${RUN_DIR}/server.properties --ignore-formatted`,
      `exec ${KAFKA_HOME}/bin/kafka-server-start.sh ${RUN_DIR}/server.properties`,
    ].join('\n');
    const ports = role === 'broker'
      ? [{ name: 'client', containerPort: this.clientPort, protocol: 'TCP' }, { name: 'replication', containerPort: this.replicationPort, protocol: 'TCP' }]
      : [{ name: 'controller', containerPort: this.controllerPort, protocol: 'TCP' }];
    const tcp = (port: string, period: number, timeout: number, failures: number) => ({
      tcpSocket: { port }, initialDelaySeconds: 0, periodSeconds: period, timeoutSeconds: timeout, failureThreshold: failures, successThreshold: 1,
    });
    // Liveness: the listener peers use answers. Readiness: brokers accept clients; controllers
    // have initialised the metadata log and the quorum state. Startup allows 15 min of log recovery.
    const readiness = role === 'broker'
      ? tcp('client', 5, 3, 2)
      : {
        exec: { command: ['/bin/sh', '-c', `test -s ${dataDir}/metadata/__cluster_metadata-0/quorum-state`] },
        initialDelaySeconds: 0,
        periodSeconds: 5,
        timeoutSeconds: 3,
        failureThreshold: 2,
        successThreshold: 1,
      };
    const peerPort = role === 'broker' ? 'replication' : 'controller';
    const kafka: Record<string, unknown> = {
      name: 'kafka',
      image: this.image,
      imagePullPolicy: 'IfNotPresent',
      command: ['/bin/sh', '-c', script],
      ports,
      env: [
        { name: 'CLUSTER_ID', value: this.clusterId },
        { name: 'NODE_ID_BASE', value: String(o.nodeIdBase) },
        { name: 'KAFKA_HEAP_OPTS', value: `-Xms${heapMi}m -Xmx${heapMi}m` },
        { name: 'LOG_DIR', value: LOG_DIR },
        { name: 'JMX_PORT', value: String(KAFKA_DEFAULTS.jmxPort) },
        {
          name: 'KAFKA_JMX_OPTS',
          value: '-Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.authenticate=false -Dcom.sun.management.jmxremote.ssl=false '
            + '-Dcom.sun.management.jmxremote.host=127.0.0.1 -Djava.rmi.server.hostname=127.0.0.1',
        },
      ],
      resources: renderResources(o.resources),
      startupProbe: tcp(peerPort, 10, 5, 90),
      livenessProbe: tcp(peerPort, 10, 5, 3),
      readinessProbe: readiness,
      lifecycle: preStopSleep(PRESTOP_SECONDS),
      securityContext: containerSecurityContext(this.identity),
      terminationMessagePolicy: 'FallbackToLogsOnError',
      volumeMounts: [
        { name: 'data', mountPath: dataDir },
        { name: 'config', mountPath: TEMPLATE_DIR, readOnly: true },
        { name: 'run', mountPath: RUN_DIR },
        { name: 'logs', mountPath: LOG_DIR },
        { name: 'tmp', mountPath: '/tmp' },
        ...(this.tls ? [{ name: 'tls', mountPath: TLS_DIR, readOnly: true }] : []),
      ],
    };
    const exporter: Record<string, unknown> = {
      name: 'jmx-exporter',
      image: this.metricsImage,
      imagePullPolicy: 'IfNotPresent',
      args: [String(this.metricsPort), '/etc/jmx-exporter/jmx-exporter.yml'],
      env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-XX:MaxRAMPercentage=60' }],
      ports: [{ name: 'metrics', containerPort: this.metricsPort, protocol: 'TCP' }],
      resources: EXPORTER_RESOURCES,
      livenessProbe: tcp('metrics', 10, 5, 3),
      readinessProbe: { httpGet: { path: '/-/healthy', port: 'metrics', scheme: 'HTTP' }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1 },
      lifecycle: preStopSleep(PRESTOP_SECONDS),
      securityContext: containerSecurityContext(this.identity),
      terminationMessagePolicy: 'FallbackToLogsOnError',
      volumeMounts: [{ name: 'metrics-config', mountPath: '/etc/jmx-exporter', readOnly: true }, { name: 'exporter-tmp', mountPath: '/tmp' }],
    };
    return {
      serviceAccountName: this.name,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      priorityClassName: this.priorityClassName,
      securityContext: podSecurityContext(this.identity),
      terminationGracePeriodSeconds: o.grace,
      ...(o.zone ? {
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: LABELS.zone, operator: 'In', values: [o.zone] }] }] } } },
      } : {}),
      topologySpreadConstraints: o.spread,
      containers: [kafka, exporter],
      volumes: [
        { name: 'config', configMap: { name: o.configMap, items: [{ key: o.configKey, path: 'server.properties' }] } },
        { name: 'metrics-config', configMap: { name: `${this.name}-metrics` } },
        { name: 'run', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
        { name: 'logs', emptyDir: { sizeLimit: '1Gi' } },
        { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
        { name: 'exporter-tmp', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
        ...(this.tls ? [{ name: 'tls', secret: { secretName: this.tls.secretName, defaultMode: 0o440 } }] : []),
      ],
    };
  }

  private topicsPodSpec(configMap: string): Record<string, unknown> {
    const clientProps = this.tls ? [
      `printf '%s\\n' security.protocol=SSL ssl.truststore.type=PEM ssl.truststore.location=${TLS_DIR}/ca.crt`
        + ` ssl.keystore.type=PEM ssl.keystore.location=${RUN_DIR}/keystore.pem > ${RUN_DIR}/client.properties`,
      `cat ${TLS_DIR}/tls.key ${TLS_DIR}/tls.crt > ${RUN_DIR}/keystore.pem`,
    ] : [];
    const script = [
      'set -eu',
      'umask 077',
      // Stop the mesh sidecar when done, or the Job never completes.
      'trap \'wget -q -O /dev/null --post-data= http://127.0.0.1:15020/quitquitquit || true\' EXIT',
      ...clientProps,
      '/bin/sh /etc/kafka/topics/topics.sh',
    ].join('\n');
    return {
      serviceAccountName: this.name,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: 'Never',
      priorityClassName: this.priorityClassName,
      securityContext: podSecurityContext(this.identity),
      containers: [{
        name: 'topics',
        image: this.image,
        imagePullPolicy: 'IfNotPresent',
        command: ['/bin/sh', '-c', script],
        env: [{ name: 'KAFKA_HEAP_OPTS', value: '-Xms128m -Xmx256m' }, { name: 'LOG_DIR', value: '/tmp' }],
        resources: TOPICS_RESOURCES,
        securityContext: containerSecurityContext(this.identity),
        terminationMessagePolicy: 'FallbackToLogsOnError',
        volumeMounts: [
          { name: 'topics', mountPath: '/etc/kafka/topics', readOnly: true },
          { name: 'run', mountPath: RUN_DIR },
          { name: 'tmp', mountPath: '/tmp' },
          ...(this.tls ? [{ name: 'tls', mountPath: TLS_DIR, readOnly: true }] : []),
        ],
      }],
      volumes: [
        { name: 'topics', configMap: { name: configMap } },
        { name: 'run', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
        { name: 'tmp', emptyDir: { sizeLimit: '128Mi' } },
        ...(this.tls ? [{ name: 'tls', secret: { secretName: this.tls.secretName, defaultMode: 0o440 } }] : []),
      ],
    };
  }

  private renderBrokerNetworkPolicy(): Record<string, unknown> {
    const callers = ServiceGraph.of(this).callingPeersOf(this);
    const client = [{ port: this.clientPort, protocol: 'TCP' as const }];
    const ingress: NetworkPeer[] = callers.map(c => ({ ...c.callerPeer(), ports: client }));
    if (this.topicsJob) ingress.push({ namespace: this.namespace, podLabels: this.topicsSelector, ports: client });
    ingress.push({ namespace: this.namespace, podLabels: this.brokerSelector, ports: [{ port: this.replicationPort }] });
    ingress.push({ namespace: this.monitoringNamespace, ports: [{ port: this.metricsPort }] });
    return renderNetworkPolicySpec({
      podSelector: this.brokerSelector,
      ingress,
      egress: [
        { namespace: this.namespace, podLabels: this.controllerSelector, ports: [{ port: this.controllerPort }] },
        { namespace: this.namespace, podLabels: this.brokerSelector, ports: [{ port: this.replicationPort }] },
      ],
      meshNamespace: this.meshNamespace,
    });
  }

  private alertGroup() {
    const sel = `namespace="${this.namespace}",job="${this.name}"`;
    const annotations = (summary: string, description: string) => ({ summary, description });
    const link = (alert: string) => runbookAnnotation(this.runbookBaseUrl, `${this.namespace}-${this.name}`, alert);
    const labels = (severity: string) => ({ severity, team: this.team, kafka_cluster: this.name });
    return {
      name: `kafka-${this.namespace}-${this.name}`,
      rules: [
        {
          alert: 'KafkaUnderReplicatedPartitions',
          expr: `sum(kafka_server_replicamanager_underreplicatedpartitions{${sel}}) > 0`,
          for: '10m',
          labels: labels('P2'),
          annotations: annotations(`Kafka ${this.name}: under-replicated partitions`,
            'Some partitions have fewer in-sync replicas than their replication factor for 10 minutes; one more broker failure can stop writes. Check broker health and disk.'),
        },
        {
          alert: 'KafkaUnderMinIsrPartitions',
          expr: `sum(kafka_server_replicamanager_underminisrpartitioncount{${sel}}) > 0`,
          for: '1m',
          labels: labels('P1'),
          annotations: annotations(`Kafka ${this.name}: partitions below min.insync.replicas`,
            'Producers with acks=all are failing on these partitions: fewer than min.insync.replicas replicas are in sync.'),
        },
        {
          alert: 'KafkaOfflinePartitions',
          expr: `max(kafka_controller_kafkacontroller_offlinepartitionscount{${sel}}) > 0`,
          for: '1m',
          labels: labels('P1'),
          annotations: annotations(`Kafka ${this.name}: offline partitions`,
            'Partitions without a leader: neither reads nor writes work for them. Unclean leader election is off, so bring a replica back rather than forcing one.'),
        },
        {
          alert: 'KafkaIsrShrinking',
          expr: `sum(rate(kafka_server_replicamanager_isrshrinks_count{${sel}}[5m])) > 0`,
          for: '15m',
          labels: labels('P3'),
          annotations: annotations(`Kafka ${this.name}: in-sync replica sets keep shrinking`,
            'Followers keep falling out of the ISR for 15 minutes: a slow broker, network between zones or disk.'),
        },
        {
          alert: 'KafkaNoActiveController',
          expr: `(sum(kafka_controller_kafkacontroller_activecontrollercount{${sel}}) != 1) or absent(kafka_controller_kafkacontroller_activecontrollercount{${sel}})`,
          for: '2m',
          labels: labels('P1'),
          annotations: annotations(`Kafka ${this.name}: no single active controller`,
            'The KRaft quorum has no (or more than one) active controller: metadata changes, leader elections and topic creation stop.'),
        },
      ].map(r => ({ ...r, annotations: { ...r.annotations, ...link(r.alert) } })),
    };
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}
