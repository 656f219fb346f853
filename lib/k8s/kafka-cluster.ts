import { createHash } from 'crypto';
import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { DependencyFacts, DependencyKind, NetworkPeer, ServiceGraph } from './dependency';
import { PlatformWorkload } from './platform-workload';
import { ContainerResources, PodIdentity, ResolvedResources, renderResources } from './workload-options';
import { Checks } from '../checks/checks';
import { declareFlows } from '../checks/runtime/flows';
import { Criticality, tierDefaults } from '../core/criticality';
import { LABELS, isLabelValue } from '../core/labels';
import { parseQuantity } from '../core/quantity';
import { ResolvedStorage, StorageOptions } from '../core/storage';
import {
  KAFKA_DEFAULTS, KAFKA_PLACEHOLDERS, KafkaTopicSpec, renderKafkaJmxExporterConfig, renderKafkaServerProperties, renderKafkaTopicScript,
} from '../render/kafka';
import { renderKafkaAlerts } from '../render/stateful-alerts';
import { PrometheusRule } from './crds/monitoring';
import { resolveKafkaClusterProps } from './private/kafka-props';
import { containerSecurityContext, hardenedPodBasics, preStopSleep, zoneSpread } from './private/pod';
import { adopt, resolveInScope } from './private/resolve';
import { scrapeEndpoint, scrapeServices } from './private/scrape';
import { MemberTraffic, StatefulMembers, ownerLabels, volumeClaimTemplate } from './private/stateful';
import { serviceAccountWithoutToken } from './private/workload';

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

/**
 * A persistent volume per pod (volumeClaimTemplates).
 * @deprecated use {@link StorageOptions} (the one storage option type of the stateful constructs;
 *   its `storageClass` replaces `storageClassName`)
 */
export type KafkaStorageOptions = StorageOptions;

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
   * The default is frozen upstream (no further fixes): build your own from the exporter's release
   * jar for production and set it here.
   * @default 'docker.io/bitnamilegacy/jmx-exporter:1.0.1' (Bitnami's versioned tags left docker.io/bitnami)
   * @see https://github.com/prometheus/jmx_exporter
   * @see https://github.com/bitnami/containers/issues/83267
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
  /**
   * Broker volumes (use a zonal, `WaitForFirstConsumer` class such as EBS gp3).
   * @default { size: '100Gi', storageClass: 'gp3-encrypted' }
   */
  readonly brokerStorage?: StorageOptions;
  /** Controller volumes. @default { size: '10Gi', storageClass: 'gp3-encrypted' } */
  readonly controllerStorage?: StorageOptions;
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

const EXPORTER_RESOURCES = { requests: { 'cpu': '50m', 'memory': '192Mi', 'ephemeral-storage': '64Mi' }, limits: { 'cpu': '250m', 'memory': '256Mi', 'ephemeral-storage': '256Mi' } };
const TOPICS_RESOURCES = { requests: { 'cpu': '100m', 'memory': '384Mi', 'ephemeral-storage': '64Mi' }, limits: { 'cpu': '500m', 'memory': '512Mi', 'ephemeral-storage': '256Mi' } };
const KAFKA_HOME = '/opt/kafka';
const ZONE_LABEL = 'nines.dev/zone';
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
export class KafkaCluster extends PlatformWorkload {
  public readonly tier!: Criticality;
  public readonly metricsImage!: string;
  public readonly brokers!: number;
  public readonly controllers!: number;
  /** Brokers per zone (zone order), e.g. `{ 'us-east-1a': 1, ... }`. */
  public readonly brokersPerZone!: Readonly<Record<string, number>>;
  public readonly defaultReplicationFactor!: number;
  public readonly minInsyncReplicas!: number;
  public readonly numPartitions!: number;
  public readonly logRetentionHours!: number;
  /** Declared topics with every default resolved. */
  public readonly topics!: readonly KafkaTopicSpec[];
  public readonly tls?: { readonly secretName: string; readonly clientAuth: 'required' | 'requested' | 'none' };
  public readonly brokerResources!: ResolvedResources;
  public readonly controllerResources!: ResolvedResources;
  public readonly brokerStorage!: { readonly size: string; readonly storageClassName: string };
  public readonly controllerStorage!: { readonly size: string; readonly storageClassName: string };
  /** Base of the alerts' `runbook_url`s; `undefined` when neither the prop nor the platform gives one. */
  public readonly runbookBaseUrl?: string;
  public readonly clusterId!: string;
  public readonly priorityClassName!: string;
  public readonly clientPort = KAFKA_DEFAULTS.clientPort;
  public readonly replicationPort = KAFKA_DEFAULTS.replicationPort;
  public readonly controllerPort = KAFKA_DEFAULTS.controllerPort;
  public readonly metricsPort = KAFKA_DEFAULTS.metricsPort;
  /** `host:port` clients bootstrap from (the ready brokers behind one ClusterIP Service). */
  public readonly bootstrapServers!: string;
  /** The rendered `controller.quorum.voters`. */
  public readonly controllerQuorumVoters!: string;
  /** Labels on every object. */
  public readonly labels!: Record<string, string>;
  /** Labels selecting every broker pod (all zones). */
  public readonly brokerSelector!: Record<string, string>;
  /** Labels selecting the controller pods. */
  public readonly controllerSelector!: Record<string, string>;

  /** One broker StatefulSet per zone, in zone order. */
  public readonly brokerStatefulSets!: readonly ApiObject[];
  public readonly controllerStatefulSet!: ApiObject;
  public readonly bootstrapService!: ApiObject;
  public readonly brokerService!: ApiObject;
  public readonly controllerService!: ApiObject;
  public readonly brokerConfig!: ApiObject;
  public readonly controllerConfig!: ApiObject;
  public readonly metricsConfig!: ApiObject;
  public readonly serviceAccount!: ApiObject;
  public readonly brokerDisruptionBudget!: ApiObject;
  public readonly controllerDisruptionBudget!: ApiObject;
  public readonly brokerNetworkPolicy!: ApiObject;
  public readonly controllerNetworkPolicy!: ApiObject;
  public readonly serviceMonitor!: ApiObject;
  public readonly prometheusRule!: ApiObject;
  /** The topics ConfigMap, Job and NetworkPolicy (when topics are declared). */
  public readonly topicsConfig?: ApiObject;
  public readonly topicsJob?: ApiObject;
  public readonly topicsNetworkPolicy?: ApiObject;

  private readonly topicsSelector!: Record<string, string>;
  private readonly brokerMembers!: StatefulMembers;
  private readonly controllerMembers!: StatefulMembers;

  constructor(scope: Construct, id: string, props: KafkaClusterProps) {
    const resolved = resolveInScope(scope, c => resolveKafkaClusterProps(id, props, c), props);
    super(scope, id, 'KafkaCluster', resolved);
    if (!resolved.built) return;
    const s = resolved.settings;
    adopt(this, s, [
      'tier', 'metricsImage', 'runbookBaseUrl', 'controllers', 'brokers', 'brokersPerZone', 'defaultReplicationFactor', 'minInsyncReplicas',
      'numPartitions', 'logRetentionHours', 'topics', 'tls', 'brokerResources', 'controllerResources', 'clusterId',
    ]);
    this.brokerStorage = { size: s.brokerStorage.size, storageClassName: s.brokerStorage.storageClass };
    this.controllerStorage = { size: s.controllerStorage.size, storageClassName: s.controllerStorage.storageClass };
    this.priorityClassName = tierDefaults(this.tier).priorityClassName;
    const base = { [LABELS.name]: this.name, [LABELS.instance]: `${this.name}-${this.namespace}` };
    this.brokerSelector = { ...base, [LABELS.component]: 'broker' };
    this.controllerSelector = { ...base, [LABELS.component]: 'controller' };
    this.topicsSelector = { ...base, [LABELS.component]: 'topics' };
    const version = this.image.split('@')[0].split(':').slice(-1)[0];
    this.labels = {
      ...base,
      ...ownerLabels(this.namespace, this.team, this.tier),
      ...(isLabelValue(version) && this.image.includes(':') ? { [LABELS.version]: version } : {}),
    };
    const meta = (name: string, component?: string) => ({
      name, namespace: this.namespace, labels: { ...this.labels, ...(component ? { [LABELS.component]: component } : {}) },
    });
    const brokers = this.brokerMembers = new StatefulMembers(this, this.namespace, this.brokerSelector);
    const controllers = this.controllerMembers = new StatefulMembers(this, this.namespace, this.controllerSelector);
    const svcDomain = `${this.namespace}.svc.${this.context.clusterDomain}`;
    this.bootstrapServers = `${this.name}.${svcDomain}:${this.clientPort}`;
    const voters = Array.from({ length: this.controllers }, (_, i) => ({ id: i, host: `${this.name}-controller-${i}.${this.name}-controller.${svcDomain}` }));
    this.controllerQuorumVoters = voters.map(v => `${v.id}@${v.host}:${this.controllerPort}`).join(',');

    this.serviceAccount = serviceAccountWithoutToken(this, 'ServiceAccount', meta(this.name));
    this.metricsConfig = new ApiObject(this, 'MetricsConfig', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(`${this.name}-metrics`),
      data: { 'jmx-exporter.yml': renderKafkaJmxExporterConfig(KAFKA_DEFAULTS.jmxPort) },
    });
    const { controllerProps, brokerProps } = this.renderServerProperties(voters, `${KAFKA_PLACEHOLDERS.podName}.${this.name}-broker.${svcDomain}`);
    this.controllerConfig = new ApiObject(this, 'ControllerConfig', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${this.name}-controller`, 'controller'), data: { 'server.properties': controllerProps },
    });
    this.brokerConfig = new ApiObject(this, 'BrokerConfig', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${this.name}-broker`, 'broker'), data: brokerProps,
    });

    // Services: headless per role (stable pod DNS, published before readiness so the quorum and
    // replication can form), and one bootstrap ClusterIP over the ready brokers.
    const metrics = { name: 'metrics', port: this.metricsPort, appProtocol: 'http' };
    this.controllerService = controllers.headlessService('ControllerService', meta(`${this.name}-controller`, 'controller'),
      [{ name: 'tcp-controller', port: this.controllerPort, targetPort: 'controller' }, metrics]);
    this.brokerService = brokers.headlessService('BrokerService', meta(`${this.name}-broker`, 'broker'), [
      { name: 'tcp-client', port: this.clientPort, targetPort: 'client' }, { name: 'tcp-replication', port: this.replicationPort, targetPort: 'replication' }, metrics,
    ]);
    this.bootstrapService = new ApiObject(this, 'BootstrapService', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(this.name, 'broker'),
      spec: { type: 'ClusterIP', selector: this.brokerSelector, ports: [{ name: 'tcp-client', port: this.clientPort, targetPort: 'client', protocol: 'TCP' }] },
    });

    this.controllerStatefulSet = this.controllerStatefulSetOf(controllerProps, s.controllerStorage, meta(`${this.name}-controller`, 'controller'));
    this.brokerStatefulSets = this.zones.map((z, i) => this.brokerStatefulSet(z, i, brokerProps[`server-${z}.properties`], s.brokerStorage, meta));

    // Disruption budgets: one across all brokers (every zone's StatefulSet), one for the quorum.
    this.brokerDisruptionBudget = brokers.disruptionBudget('BrokerDisruptionBudget', meta(`${this.name}-broker`, 'broker'));
    this.controllerDisruptionBudget = controllers.disruptionBudget('ControllerDisruptionBudget', meta(`${this.name}-controller`, 'controller'));
    if (this.topics.length > 0) [this.topicsConfig, this.topicsJob, this.topicsNetworkPolicy] = this.renderTopics(meta);

    // NetworkPolicies: brokers admit declared callers (lazily, from the graph), the topics Job,
    // their peers and monitoring; controllers admit controllers, brokers and monitoring.
    this.declareMemberFlows();
    this.brokerNetworkPolicy = brokers.networkPolicy('BrokerNetworkPolicy', meta(`${this.name}-broker`, 'broker'), () => this.brokerTraffic());
    this.controllerNetworkPolicy = controllers.networkPolicy('ControllerNetworkPolicy', meta(`${this.name}-controller`, 'controller'), () => ({
      ingress: [controllers.peer(this.controllerPort), brokers.peer(this.controllerPort), this.monitoringPeer()],
      egress: [controllers.peer(this.controllerPort)],
    }));

    this.serviceMonitor = scrapeServices(this, {
      metadata: meta(this.name),
      selector: base,
      endpoints: [scrapeEndpoint('metrics', '30s', '20s')],
      produces: { producer: 'the JMX exporter of every broker and controller (scraped by this ServiceMonitor)', metrics: ['kafka_*', 'jvm_*'] },
    });
    const alerts = renderKafkaAlerts({ name: this.name, namespace: this.namespace, team: this.team, runbookBaseUrl: this.runbookBaseUrl });
    this.prometheusRule = new PrometheusRule(this, 'PrometheusRule', { metadata: meta(this.name), spec: { groups: [alerts] } });
    Checks.of(this.node.root);
  }

  /** The flows the members need: partition replication, the KRaft quorum, and the topics Job's admin calls. */
  private declareMemberFlows(): void {
    const brokerPods = { namespace: this.namespace, podLabels: this.brokerSelector };
    const controllerPods = { namespace: this.namespace, podLabels: this.controllerSelector };
    declareFlows(this, [
      { kind: 'replication', from: brokerPods, to: brokerPods, ports: [{ port: this.replicationPort }], why: 'followers fetch partitions from their leaders' },
      { kind: 'quorum', from: brokerPods, to: controllerPods, ports: [{ port: this.controllerPort }], why: 'brokers register with and follow the KRaft controller quorum' },
      { kind: 'quorum', from: controllerPods, to: controllerPods, ports: [{ port: this.controllerPort }], why: 'KRaft controllers replicate the metadata log and elect a leader' },
      ...(this.topicsJob ? [{
        kind: 'dependency' as const,
        from: { namespace: this.namespace, podLabels: this.topicsSelector },
        to: brokerPods,
        ports: [{ port: this.clientPort }],
        why: 'the topics Job creates and configures the declared topics',
      }] : []),
    ]);
  }

  protected get availabilityFacts(): Omit<DependencyFacts, 'id' | 'zones'> {
    return { kind: DependencyKind.QUEUE, tier: this.tier, replicas: this.brokers, automaticFailover: true };
  }

  /** Dependents reach the brokers on the client port (bootstrap and every broker's own address). */
  public egressPeers(): readonly NetworkPeer[] {
    return [{ namespace: this.namespace, podLabels: this.brokerSelector, ports: [{ port: this.clientPort, protocol: 'TCP' }] }];
  }

  /** The bootstrap Service and the headless broker Service (per-broker addresses). */
  public meshHosts(): readonly string[] {
    const domain = `${this.namespace}.svc.${this.context.clusterDomain}`;
    return [`${this.namespace}/${this.name}.${domain}`, `${this.namespace}/${this.name}-broker.${domain}`];
  }

  /** server.properties of the controllers and of each zone's brokers (node id and Pod name filled in at start). */
  private renderServerProperties(voters: Array<{ id: number; host: string }>, advertisedHost: string): {
    controllerProps: string; brokerProps: Record<string, string>;
  } {
    const tls = this.tls ? { keystore: `${RUN_DIR}/keystore.pem`, truststore: `${TLS_DIR}/ca.crt`, clientAuth: this.tls.clientAuth } : undefined;
    const common = { nodeId: KAFKA_PLACEHOLDERS.nodeId, voters, controllerPort: this.controllerPort, dataDir: KAFKA_DEFAULTS.dataDir, tls };
    const controllerProps = renderKafkaServerProperties({ role: 'controller', ...common });
    const brokerProps: Record<string, string> = {};
    for (const z of this.zones) {
      brokerProps[`server-${z}.properties`] = renderKafkaServerProperties({
        role: 'broker',
        ...common,
        clientPort: this.clientPort,
        replicationPort: this.replicationPort,
        advertisedHost,
        rack: z,
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
    return { controllerProps, brokerProps };
  }

  /** A new server.properties rolls the pods (the hash is in the template). */
  private podAnnotations(serverProperties: string): Record<string, string> {
    return { 'kubectl.kubernetes.io/default-container': 'kafka', 'nines.dev/config-hash': hash(serverProperties) };
  }

  /** The controllers: one StatefulSet spread over the zones. */
  private controllerStatefulSetOf(serverProperties: string, storage: ResolvedStorage, metadata: Record<string, unknown>): ApiObject {
    return this.controllerMembers.statefulSet('ControllerStatefulSet', metadata, {
      serviceName: `${this.name}-controller`,
      replicas: this.controllers,
      template: {
        metadata: { labels: { ...this.labels, ...this.controllerSelector }, annotations: this.podAnnotations(serverProperties) },
        spec: this.podSpec('controller', {
          configMap: `${this.name}-controller`,
          configKey: 'server.properties',
          nodeIdBase: 0,
          resources: this.controllerResources,
          grace: CONTROLLER_GRACE_SECONDS,
          spread: zoneSpread(this.controllerSelector, false),
        }),
      },
      volumeClaimTemplates: [volumeClaimTemplate('data', storage, this.labels)],
    });
  }

  /** Zone `z`'s brokers: a StatefulSet pinned there, broker.rack = z, node ids from 100 * (i + 1). */
  private brokerStatefulSet(z: string, i: number, serverProperties: string, storage: ResolvedStorage,
    meta: (name: string, component?: string) => Record<string, unknown>): ApiObject {
    const selector = { ...this.brokerSelector, [ZONE_LABEL]: z };
    const sts = this.brokerMembers.statefulSet(`BrokerStatefulSet-${z}`, { ...meta(`${this.name}-broker-${z}`, 'broker'), labels: { ...this.labels, ...selector } }, {
      serviceName: `${this.name}-broker`,
      replicas: this.brokersPerZone[z],
      selector,
      // Kubernetes cannot order rolling updates across the per-zone StatefulSets: brokers roll by hand.
      updateStrategy: { type: 'OnDelete' },
      template: {
        metadata: { labels: { ...this.labels, ...selector }, annotations: this.podAnnotations(serverProperties) },
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
      volumeClaimTemplates: [volumeClaimTemplate('data', storage, this.labels)],
    });
    Checks.suppress(sts, 'NINES-AV-03', `pinned to zone ${z} by a required node affinity so broker.rack is its real zone; the ${this.zones.length} per-zone StatefulSets of ${this.name} together put brokers in every zone`);
    if (this.brokersPerZone[z] < 2) {
      Checks.suppress(sts, 'NINES-AV-01', `one of ${this.zones.length} per-zone broker StatefulSets of ${this.name}; the cluster runs ${this.brokers} brokers and every partition keeps ${this.defaultReplicationFactor} replicas in different zones`);
    }
    return sts;
  }

  /**
   * Topics: a ConfigMap with the rendered script and a Job named by its hash (a changed list is a
   * new Job; the old one stays completed), idempotent on every run, and its NetworkPolicy.
   */
  private renderTopics(meta: (name: string, component?: string) => Record<string, unknown>): [ApiObject, ApiObject, ApiObject] {
    const script = renderKafkaTopicScript({
      topics: this.topics,
      bootstrap: this.bootstrapServers,
      kafkaHome: KAFKA_HOME,
      commandConfig: this.tls ? `${RUN_DIR}/client.properties` : undefined,
    });
    const topicsName = `${this.name}-topics`;
    const config = new ApiObject(this, 'TopicsConfig', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(topicsName, 'topics'), data: { 'topics.sh': script },
    });
    const job = new ApiObject(this, 'TopicsJob', {
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
    const policy = new StatefulMembers(this, this.namespace, this.topicsSelector).networkPolicy('TopicsNetworkPolicy', meta(topicsName, 'topics'),
      () => ({ ingress: [], egress: [this.brokerMembers.peer(this.clientPort)] }));
    return [config, job, policy];
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
      ...hardenedPodBasics({ serviceAccountName: this.name, priorityClassName: this.priorityClassName, identity: this.identity }),
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
      ...hardenedPodBasics({ serviceAccountName: this.name, priorityClassName: this.priorityClassName, identity: this.identity }),
      restartPolicy: 'Never',
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

  /** Prometheus, on the exporter's port. */
  private monitoringPeer(): NetworkPeer {
    return { namespace: this.context.monitoringNamespace, ports: [{ port: this.metricsPort }] };
  }

  private brokerTraffic(): MemberTraffic {
    const callers = ServiceGraph.of(this).callingPeersOf(this);
    const client = [{ port: this.clientPort, protocol: 'TCP' as const }];
    const ingress: NetworkPeer[] = callers.map(c => ({ ...c.callerPeer(), ports: client }));
    if (this.topicsJob) ingress.push({ namespace: this.namespace, podLabels: this.topicsSelector, ports: client });
    ingress.push(this.brokerMembers.peer(this.replicationPort));
    ingress.push(this.monitoringPeer());
    return { ingress, egress: [this.controllerMembers.peer(this.controllerPort), this.brokerMembers.peer(this.replicationPort)] };
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}
