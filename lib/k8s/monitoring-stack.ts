/**
 * The monitoring stack of one region: an HA Prometheus (prometheus-operator) with a Thanos
 * sidecar shipping blocks to object storage, a 3-member Alertmanager cluster routed by the
 * case study's P0-P4 tiers, and a Thanos Query layer that gives the global view.
 *
 * **Global view: Thanos, not federation.** The case study shows Prometheus federation; we use
 * the Thanos sidecar and Thanos Query instead. Federation copies a chosen subset of series into
 * a global Prometheus at scrape resolution, so the global view is partial, the global server is
 * a new single point of failure and HA replica pairs double every federated series. Thanos
 * Query fans a PromQL query out to every region's sidecars over gRPC and deduplicates HA
 * replicas on the `prometheus_replica` external label; the sidecars upload 2 h blocks to object
 * storage, so local retention stays short while history is kept in the bucket. The trade-off:
 * more moving parts (sidecar, query, a bucket per region and its credentials), cross-region
 * gRPC on the query path (a query touching all regions is as slow as the slowest), and long-term
 * reads need a Thanos Store gateway (not part of this construct). A region that is unreachable
 * gives a partial answer (`--query.partial-response`) instead of failing the query.
 *
 * @see the case study, section 3 (Observability Stack)
 * @see https://thanos.io/tip/components/sidecar.md/
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { Checks } from '../checks/checks';
import { Problem, Problems } from '../core/errors';
import { LABELS, MANAGED_BY, isDnsLabel, isLabelValue } from '../core/labels';
import { clusterNameOf } from '../core/naming';
import { parseQuantity } from '../core/quantity';
import { durationSeconds } from '../reliability/error-budget';
import { AlertRoutingOptions, alertRoutingProblems, renderAlertmanagerConfig } from '../render/alertmanager';
import { Alertmanager, Prometheus, SecretKeySelector } from './crds/monitoring-stack';
import { NetworkPeer } from './dependency';
import { CHAOS_CONTROLLER_POD_LABELS, FLAGGER_POD_LABELS, LOADTESTER_POD_LABELS } from '../core/addons';
import { platformContext } from './private/context';
import { MESH_CERTS_VOLUME, PROMETHEUS_MESH_CERTS_DIR, prometheusMeshPodMetadata } from './private/mesh';
import { containerSecurityContext, podSecurityContext, zoneSpread } from './private/pod';
import { HardenedDeploymentObjects, hardenedDeployment } from './private/workload';
import {
  ContainerResources, PodIdentity, identityProblems, imageProblems, renderResources, resolveResources, resourceProblems,
} from './workload-options';

/** Prometheus settings. */
export interface PrometheusOptions {
  /**
   * Replicas (identical HA pair or more, each scraping everything), spread across zones.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Local retention (blocks older than this live only in object storage). Prometheus evaluates
   * the SLO rules on its local data, so it must hold the longest SLO window (30 days).
   * @default '30d'
   * @see https://prometheus.io/docs/prometheus/latest/storage/#operational-aspects
   */
  readonly retention?: string;
  /**
   * Local size cap; keep it below the volume size so compaction has room. Size it so that 30 days
   * fit: whichever cap is reached first deletes blocks.
   * @default '90GB'
   */
  readonly retentionSize?: string;
  /**
   * Persistent volume size per replica.
   * @default '100Gi'
   */
  readonly storageSize?: string;
  /**
   * Storage class of the volumes.
   * @default the cluster's default class
   */
  readonly storageClassName?: string;
  /**
   * Scrape and rule evaluation interval.
   * @default '15s' (the case study's scrape interval)
   * @see the case study, section 3.2 ("At 15-second scrape interval")
   */
  readonly scrapeInterval?: string;
  /**
   * Container resources of the prometheus container.
   * @default cpu 1 (no limit), memory 4Gi / 8Gi, ephemeral-storage 256Mi / 1Gi
   */
  readonly resources?: ContainerResources;
  /**
   * The Prometheus image, pinned.
   * @default 'quay.io/prometheus/prometheus:v2.53.1'
   */
  readonly image?: string;
}

/** Alertmanager settings. */
export interface AlertmanagerOptions {
  /**
   * Cluster members (gossip deduplicates notifications), spread across zones.
   * @default 3
   */
  readonly replicas?: number;
  /**
   * Container resources.
   * @default cpu 100m / 500m, memory 256Mi / 512Mi, ephemeral-storage 64Mi / 256Mi
   */
  readonly resources?: ContainerResources;
  /**
   * Volume size for silences and the notification log.
   * @default '2Gi'
   */
  readonly storageSize?: string;
  /**
   * The Alertmanager image, pinned.
   * @default 'quay.io/prometheus/alertmanager:v0.27.0'
   */
  readonly image?: string;
}

/** Thanos sidecar and the global query layer. */
export interface ThanosOptions {
  /**
   * The Secret key holding the sidecar's `objstore.yml` (the bucket from the AWS side).
   * @default { name: 'thanos-objstore', key: 'objstore.yml' }
   */
  readonly objectStorageSecret?: SecretKeySelector;
  /**
   * The Thanos image, pinned.
   * @default 'quay.io/thanos/thanos:v0.35.1'
   */
  readonly image?: string;
  /**
   * Thanos Query replicas.
   * @default 2
   */
  readonly queryReplicas?: number;
  /**
   * Thanos Query container resources.
   * @default cpu 250m / 1, memory 512Mi / 1Gi, ephemeral-storage 64Mi / 256Mi
   */
  readonly queryResources?: ContainerResources;
  /**
   * gRPC store endpoints of the other regions' Thanos sidecars (`host:port` of their
   * {@link MonitoringStack.sidecarService}), queried alongside the local sidecars for the global
   * view. Sidecars, not the other regions' Query: Query-to-Query fan-out between regions would
   * loop.
   * @default [] (this region only)
   */
  readonly remoteEndpoints?: readonly string[];
  /**
   * CIDRs of the other regions (their VPCs): allowed in to this region's sidecars on gRPC 10901
   * (through an internal load balancer) and reached by this region's Query. When non-empty, the
   * stack creates that internal load-balancer Service.
   * @default []
   */
  readonly remoteCidrs?: readonly string[];
}

/** Props of a {@link MonitoringStack}. */
export interface MonitoringStackProps {
  /**
   * Alert routing (receivers by Secret reference); see `renderAlertmanagerConfig`.
   * @see the case study, section 3.4
   */
  readonly alertRouting: AlertRoutingOptions;
  /**
   * Name of the Prometheus and Alertmanager resources.
   * @default 'nines'
   */
  readonly name?: string;
  /**
   * Namespace.
   * @default the platform's monitoring namespace
   */
  readonly namespace?: string;
  /**
   * The `cluster` external label.
   * @default `${environment}-${region}`
   */
  readonly cluster?: string;
  /**
   * Labels a ServiceMonitor, PodMonitor or PrometheusRule must carry to be picked up (any
   * namespace).
   * @default { 'app.kubernetes.io/managed-by': 'nines' } (what the library's constructs emit)
   */
  readonly selectorLabels?: Readonly<Record<string, string>>;
  /** Prometheus settings. */
  readonly prometheus?: PrometheusOptions;
  /** Alertmanager settings. */
  readonly alertmanager?: AlertmanagerOptions;
  /** Thanos settings. */
  readonly thanos?: ThanosOptions;
  /**
   * The non-root identity of every pod.
   * @default { user: 10001, group: 10001, fsGroup: 10001 }
   */
  readonly identity?: PodIdentity;
  /**
   * Priority class of the stack's pods (monitoring must outlive what it watches).
   * @default 'nines-critical'
   */
  readonly priorityClassName?: string;
}

const PROMETHEUS_RESOURCES: ContainerResources = { cpu: { request: '1', limit: false }, memory: { request: '4Gi', limit: '8Gi' }, ephemeralStorage: { request: '256Mi', limit: '1Gi' } };
const ALERTMANAGER_RESOURCES: ContainerResources = { cpu: { request: '100m', limit: '500m' }, memory: { request: '256Mi', limit: '512Mi' }, ephemeralStorage: { request: '64Mi', limit: '256Mi' } };
const QUERY_RESOURCES: ContainerResources = { cpu: { request: '250m', limit: '1' }, memory: { request: '512Mi', limit: '1Gi' }, ephemeralStorage: { request: '64Mi', limit: '256Mi' } };
const RETENTION = /^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$/;
const RETENTION_SIZE = /^(0|([0-9]+(\.[0-9]+)?(B|KB|MB|GB|TB|PB|EB)))$/;

function replicasProblem(prop: string, value: unknown, min: number, why: string): Problem[] {
  return typeof value === 'number' && Number.isInteger(value) && value >= min ? []
    : [{ prop, value, why: `must be an integer >= ${min} (${why})`, fix: `use ${min} or more` }];
}

function sizeProblem(prop: string, value: string): Problem[] {
  const q = parseQuantity(value);
  return q !== undefined && q > 0 && /^\d+(\.\d+)?(Ki|Mi|Gi|Ti)$/.test(value) ? [] : [{ prop, value, why: 'is not a volume size', fix: 'use e.g. "50Gi"' }];
}

/**
 * One region's Prometheus (HA, Thanos sidecar), Alertmanager cluster and Thanos Query.
 *
 * Objects: Prometheus + ServiceAccount + ClusterRole/Binding (service discovery) + PDB +
 * NetworkPolicy; Alertmanager + config Secret (rendered routing, no credentials) + PDB +
 * NetworkPolicy; Thanos Query Deployment + Service + PDB + NetworkPolicy + ServiceAccount.
 */
export class MonitoringStack extends Construct {
  /** The name of the Prometheus and Alertmanager resources. */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  /** The `cluster` external label. */
  public readonly cluster: string;
  /** The `region` external label. */
  public readonly region: string;
  /** Labels that select ServiceMonitors, PodMonitors and PrometheusRules. */
  public readonly selectorLabels: Readonly<Record<string, string>>;
  /** Prometheus replicas. */
  public readonly prometheusReplicas: number;
  /** Local retention. */
  public readonly retention: string;
  /** Local size cap. */
  public readonly retentionSize: string;
  /** Volume size per Prometheus replica. */
  public readonly storageSize: string;
  /** Scrape and evaluation interval. */
  public readonly scrapeInterval: string;
  /** Alertmanager members. */
  public readonly alertmanagerReplicas: number;
  /** Thanos Query replicas. */
  public readonly queryReplicas: number;
  /** The sidecar's object-storage Secret key. */
  public readonly objectStorageSecret: SecretKeySelector;
  /** Other regions' store endpoints. */
  public readonly remoteEndpoints: readonly string[];
  /** Pod labels of the Prometheus pods (as prometheus-operator sets them). */
  public readonly prometheusPodLabels: Readonly<Record<string, string>>;
  /** Pod labels of the Alertmanager pods. */
  public readonly alertmanagerPodLabels: Readonly<Record<string, string>>;

  public readonly prometheus: Prometheus;
  public readonly alertmanager: Alertmanager;
  public readonly alertmanagerConfig: ApiObject;
  public readonly query: HardenedDeploymentObjects;
  /**
   * The internal load balancer exposing this region's sidecars (gRPC 10901) to the other
   * regions' Query; only when `thanos.remoteCidrs` is set.
   */
  public readonly sidecarService?: ApiObject;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id);
    const ctx = platformContext(this);
    const region = ctx.region;
    const problems = new Problems('MonitoringStack', this.node.path);
    if (!region) {
      problems.add('scope', this.node.path, 'is not inside a RegionChart, so the zones and namespaces are unknown', 'create the stack inside a RegionChart');
      scope.node.tryRemoveChild(id);
      problems.throwIfAny();
    }
    const p = props.prometheus ?? {};
    const a = props.alertmanager ?? {};
    const t = props.thanos ?? {};

    this.name = props.name ?? 'nines';
    this.namespace = props.namespace ?? ctx.monitoringNamespace;
    this.region = region!.name;
    this.cluster = props.cluster ?? clusterNameOf(region!);
    this.selectorLabels = props.selectorLabels ?? { [LABELS.managedBy]: MANAGED_BY };
    this.prometheusReplicas = p.replicas ?? 2;
    this.retention = p.retention ?? '30d';
    this.retentionSize = p.retentionSize ?? '90GB';
    this.storageSize = p.storageSize ?? '100Gi';
    this.scrapeInterval = p.scrapeInterval ?? '15s';
    this.alertmanagerReplicas = a.replicas ?? 3;
    this.queryReplicas = t.queryReplicas ?? 2;
    this.objectStorageSecret = t.objectStorageSecret ?? { name: 'thanos-objstore', key: 'objstore.yml' };
    this.remoteEndpoints = t.remoteEndpoints ?? [];
    const remoteCidrs = t.remoteCidrs ?? [];
    const identity = { user: 10001, group: 10001, fsGroup: 10001, ...props.identity };
    const promImage = p.image ?? 'quay.io/prometheus/prometheus:v2.53.1';
    const amImage = a.image ?? 'quay.io/prometheus/alertmanager:v0.27.0';
    const thanosImage = t.image ?? 'quay.io/thanos/thanos:v0.35.1';
    const promResources = resolveResources(p.resources, PROMETHEUS_RESOURCES);
    const amResources = resolveResources(a.resources, ALERTMANAGER_RESOURCES);
    const queryResources = resolveResources(t.queryResources, QUERY_RESOURCES);
    const priorityClassName = props.priorityClassName ?? 'nines-critical';

    problems.when(!isDnsLabel(this.name), 'name', this.name, 'is not a DNS label', 'use e.g. "nines"');
    problems.when(!isDnsLabel(this.namespace), 'namespace', this.namespace, 'is not a DNS label', 'use e.g. "monitoring"');
    problems.when(!isLabelValue(this.cluster) || this.cluster === '', 'cluster', this.cluster, 'is not a label value', 'use e.g. "prod-us-east-1"');
    problems.when(Object.keys(this.selectorLabels).length === 0, 'selectorLabels', this.selectorLabels,
      'is empty, which would pick up every ServiceMonitor and rule in the cluster', 'give e.g. { "app.kubernetes.io/managed-by": "nines" }');
    problems.addAll(replicasProblem('prometheus.replicas', this.prometheusReplicas, 2, 'one replica is a single point of failure for alerting'));
    problems.addAll(replicasProblem('alertmanager.replicas', this.alertmanagerReplicas, 2, 'a lone Alertmanager loses silences and pages when it restarts'));
    problems.addAll(replicasProblem('thanos.queryReplicas', this.queryReplicas, 2, 'the global view must survive a node drain'));
    problems.when(!RETENTION.test(this.retention) || this.retention === '0', 'prometheus.retention', this.retention, 'is not a Prometheus retention', 'use e.g. "15d"');
    problems.when(!RETENTION_SIZE.test(this.retentionSize), 'prometheus.retentionSize', this.retentionSize, 'is not a Prometheus size', 'use e.g. "45GB"');
    problems.addAll(sizeProblem('prometheus.storageSize', this.storageSize));
    problems.addAll(sizeProblem('alertmanager.storageSize', a.storageSize ?? '2Gi'));
    if (RETENTION_SIZE.test(this.retentionSize) && parseQuantity(this.storageSize) !== undefined) {
      const m = /^([0-9.]+)(B|KB|MB|GB|TB|PB|EB)$/.exec(this.retentionSize);
      const bytes = m ? Number(m[1]) * 1000 ** ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'].indexOf(m[2]) : 0;
      problems.when(bytes >= parseQuantity(this.storageSize)!, 'prometheus.retentionSize', this.retentionSize,
        `is not below the volume size (${this.storageSize}), so the volume fills before retention deletes blocks`, 'keep retentionSize at about 90% of storageSize');
    }
    const interval = durationSeconds(this.scrapeInterval);
    problems.when(interval === undefined || interval < 5, 'prometheus.scrapeInterval', this.scrapeInterval, 'is not a Prometheus duration of at least 5s', 'use e.g. "15s"');
    problems.addAll(imageProblems('prometheus.image', promImage));
    problems.addAll(imageProblems('alertmanager.image', amImage));
    problems.addAll(imageProblems('thanos.image', thanosImage));
    problems.addAll(resourceProblems('prometheus.resources', promResources));
    problems.addAll(resourceProblems('alertmanager.resources', amResources));
    problems.addAll(resourceProblems('thanos.queryResources', queryResources));
    problems.addAll(identityProblems('identity', identity));
    problems.addAll(alertRoutingProblems(props.alertRouting ?? ({} as AlertRoutingOptions)), 'alertRouting');
    problems.when(!isDnsLabel(this.objectStorageSecret.name) || !/^[-._a-zA-Z0-9]+$/.test(this.objectStorageSecret.key ?? ''),
      'thanos.objectStorageSecret', this.objectStorageSecret, 'is not a Secret name and key', 'give e.g. { name: "thanos-objstore", key: "objstore.yml" }');
    this.remoteEndpoints.forEach((e, i) => problems.when(!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:\d{1,5}$/.test(e), `thanos.remoteEndpoints[${i}]`, e,
      'is not a host:port gRPC endpoint', 'give e.g. "thanos-query-grpc.monitoring.eu-west-1.example.internal:10901"'));
    remoteCidrs.forEach((c, i) => problems.when(!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(c), `thanos.remoteCidrs[${i}]`, c, 'is not an IPv4 CIDR', 'give e.g. "10.1.0.0/16"'));
    if (problems.count > 0) {
      scope.node.tryRemoveChild(id);
      problems.throwIfAny();
    }

    const routing = renderAlertmanagerConfig(props.alertRouting);
    const operatorOwned = 'selects the pods of the StatefulSet prometheus-operator creates from the '
      + 'Prometheus/Alertmanager resource; that StatefulSet is not an object of this app, so no workload here matches';
    const common = { [LABELS.partOf]: 'monitoring', [LABELS.managedBy]: MANAGED_BY };
    this.prometheusPodLabels = { [LABELS.name]: 'prometheus', [LABELS.instance]: this.name };
    this.alertmanagerPodLabels = { [LABELS.name]: 'alertmanager', [LABELS.instance]: this.name };
    const promMeta = (name = `prometheus-${this.name}`) => ({ name, namespace: this.namespace, labels: { ...this.prometheusPodLabels, ...common } });
    const amMeta = (name = `alertmanager-${this.name}`) => ({ name, namespace: this.namespace, labels: { ...this.alertmanagerPodLabels, ...common } });
    const hardened = (name: string) => ({ name, securityContext: containerSecurityContext(identity) });
    const volume = (size: string, storageClassName?: string) => ({
      volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], ...(storageClassName ? { storageClassName } : {}), resources: { requests: { storage: size } } } },
    });

    // ---- Prometheus ----
    new ApiObject(this, 'PrometheusServiceAccount', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: promMeta() });
    new ApiObject(this, 'PrometheusClusterRole', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `prometheus-${this.namespace}-${this.name}`, labels: promMeta().labels },
      rules: [
        { apiGroups: [''], resources: ['services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
        { nonResourceURLs: ['/metrics'], verbs: ['get'] },
      ],
    } as any);
    new ApiObject(this, 'PrometheusClusterRoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `prometheus-${this.namespace}-${this.name}`, labels: promMeta().labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `prometheus-${this.namespace}-${this.name}` },
      subjects: [{ kind: 'ServiceAccount', name: `prometheus-${this.name}`, namespace: this.namespace }],
    } as any);
    const everyNamespace = {};
    const meshPod = prometheusMeshPodMetadata();
    this.prometheus = new Prometheus(this, 'Prometheus', {
      metadata: { name: this.name, namespace: this.namespace, labels: common },
      spec: {
        replicas: this.prometheusReplicas,
        image: promImage,
        // A sidecar that only writes a mesh certificate: Prometheus scrapes meshed targets (STRICT
        // mTLS) over Istio mutual TLS with it (ServiceMonitor), intercepting no traffic of its own.
        podMetadata: {
          labels: { ...this.prometheusPodLabels, ...common, ...meshPod.labels },
          annotations: meshPod.annotations,
        },
        serviceAccountName: `prometheus-${this.name}`,
        priorityClassName,
        securityContext: podSecurityContext(identity),
        initContainers: [hardened('init-config-reloader')],
        containers: [
          { ...hardened('prometheus'), volumeMounts: [{ name: MESH_CERTS_VOLUME, mountPath: PROMETHEUS_MESH_CERTS_DIR, readOnly: true }] },
          hardened('config-reloader'),
          hardened('thanos-sidecar'),
        ],
        volumes: [{ name: MESH_CERTS_VOLUME, emptyDir: { medium: 'Memory' } }],
        resources: renderResources(promResources),
        topologySpreadConstraints: zoneSpread(this.prometheusPodLabels, false),
        storage: volume(this.storageSize, p.storageClassName),
        retention: this.retention,
        retentionSize: this.retentionSize,
        scrapeInterval: this.scrapeInterval,
        evaluationInterval: this.scrapeInterval,
        walCompression: true,
        externalLabels: { cluster: this.cluster, region: this.region },
        replicaExternalLabelName: 'prometheus_replica',
        serviceMonitorSelector: { matchLabels: { ...this.selectorLabels } },
        serviceMonitorNamespaceSelector: everyNamespace,
        podMonitorSelector: { matchLabels: { ...this.selectorLabels } },
        podMonitorNamespaceSelector: everyNamespace,
        probeSelector: { matchLabels: { ...this.selectorLabels } },
        probeNamespaceSelector: everyNamespace,
        ruleSelector: { matchLabels: { ...this.selectorLabels } },
        ruleNamespaceSelector: everyNamespace,
        alerting: { alertmanagers: [{ namespace: this.namespace, name: 'alertmanager-operated', port: 'web', apiVersion: 'v2' }] },
        thanos: {
          image: thanosImage,
          objectStorageConfig: { ...this.objectStorageSecret },
          resources: renderResources(resolveResources(undefined, QUERY_RESOURCES)),
          logFormat: 'json',
        },
        logFormat: 'json',
      },
    });
    const promPdb = new ApiObject(this, 'PrometheusPodDisruptionBudget', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: promMeta(),
      spec: { maxUnavailable: 1, selector: { matchLabels: { ...this.prometheusPodLabels } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    });
    const fromMonitoring = (ports: number[]): NetworkPeer => ({ namespace: this.namespace, ports: ports.map(port => ({ port, protocol: 'TCP' as const })) });
    new ApiObject(this, 'PrometheusNetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: promMeta(),
      spec: {
        podSelector: { matchLabels: { ...this.prometheusPodLabels } },
        policyTypes: ['Ingress', 'Egress'],
        // All egress, explicitly (a namespace default-deny would otherwise cut it): Prometheus
        // scrapes any port in every namespace, reads the API server and ships to object storage.
        egress: [{}],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { [LABELS.namespaceName]: this.namespace } } }],
            ports: [9090, 10901, 10902].map(port => ({ port, protocol: 'TCP' })),
          },
          // Exactly the add-ons that query Prometheus, on its API port only: Flagger's metric checks,
          // the load tester's error-budget gate and Chaos Mesh's game-day status checks.
          {
            from: [
              [ctx.flaggerNamespace, FLAGGER_POD_LABELS],
              [ctx.flaggerNamespace, LOADTESTER_POD_LABELS],
              [ctx.chaosNamespace, CHAOS_CONTROLLER_POD_LABELS],
            ].map(([ns, pods]) => ({
              namespaceSelector: { matchLabels: { [LABELS.namespaceName]: ns } },
              podSelector: { matchLabels: { ...(pods as object) } },
            })),
            ports: [{ port: 9090, protocol: 'TCP' }],
          },
          // The other regions' Thanos Query read this region's sidecars (the global view).
          ...(remoteCidrs.length ? [{ from: remoteCidrs.map(cidr => ({ ipBlock: { cidr } })), ports: [{ port: 10901, protocol: 'TCP' }] }] : []),
        ],
      },
    });
    if (remoteCidrs.length) {
      this.sidecarService = new ApiObject(this, 'SidecarService', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          ...promMeta(`prometheus-${this.name}-sidecar`),
          annotations: {
            'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
            'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
            'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
          },
        },
        spec: {
          type: 'LoadBalancer',
          loadBalancerSourceRanges: [...remoteCidrs],
          selector: { ...this.prometheusPodLabels },
          ports: [{ name: 'grpc', port: 10901, targetPort: 10901, protocol: 'TCP' }],
        },
      });
      Checks.suppress(this.sidecarService, 'NINES-WL-06', operatorOwned);
    }

    // ---- Alertmanager ----
    this.alertmanagerConfig = new ApiObject(this, 'AlertmanagerConfigSecret', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: amMeta(`alertmanager-${this.name}-config`),
      type: 'Opaque',
      // No credential: receivers read theirs from the Secrets in spec.secrets, mounted as files.
      stringData: { 'alertmanager.yaml': stringify(routing.config) },
    } as any);
    new ApiObject(this, 'AlertmanagerServiceAccount', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: amMeta(), automountServiceAccountToken: false } as any);
    this.alertmanager = new Alertmanager(this, 'Alertmanager', {
      metadata: { name: this.name, namespace: this.namespace, labels: common },
      spec: {
        replicas: this.alertmanagerReplicas,
        image: amImage,
        podMetadata: { labels: { ...this.alertmanagerPodLabels, ...common } },
        serviceAccountName: `alertmanager-${this.name}`,
        priorityClassName,
        securityContext: podSecurityContext(identity),
        initContainers: [hardened('init-config-reloader')],
        containers: [hardened('alertmanager'), hardened('config-reloader')],
        resources: renderResources(amResources),
        topologySpreadConstraints: zoneSpread(this.alertmanagerPodLabels, false),
        storage: volume(a.storageSize ?? '2Gi'),
        configSecret: `alertmanager-${this.name}-config`,
        secrets: [...routing.secrets],
        retention: '120h',
        logFormat: 'json',
      },
    });
    const amPdb = new ApiObject(this, 'AlertmanagerPodDisruptionBudget', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: amMeta(),
      spec: { maxUnavailable: 1, selector: { matchLabels: { ...this.alertmanagerPodLabels } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    });
    new ApiObject(this, 'AlertmanagerNetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: amMeta(),
      spec: {
        podSelector: { matchLabels: { ...this.alertmanagerPodLabels } },
        policyTypes: ['Ingress', 'Egress'],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { [LABELS.namespaceName]: 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
          },
          { to: [{ podSelector: { matchLabels: { ...this.alertmanagerPodLabels } } }], ports: [{ port: 9094, protocol: 'TCP' }, { port: 9094, protocol: 'UDP' }] },
          // Receivers are SaaS endpoints (PagerDuty, Opsgenie, Slack) with changing addresses: HTTPS anywhere.
          { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443, protocol: 'TCP' }] },
        ],
        ingress: [
          { from: [{ namespaceSelector: { matchLabels: { [LABELS.namespaceName]: this.namespace } } }], ports: [{ port: 9093, protocol: 'TCP' }] },
          {
            from: [{ podSelector: { matchLabels: { ...this.alertmanagerPodLabels } } }],
            ports: [{ port: 9094, protocol: 'TCP' }, { port: 9094, protocol: 'UDP' }],
          },
        ],
      },
    });
    Checks.suppress(promPdb, 'NINES-WL-07', operatorOwned);
    Checks.suppress(amPdb, 'NINES-WL-07', operatorOwned);

    // ---- Thanos Query: the global view ----
    const querySelector = { [LABELS.name]: 'thanos-query', [LABELS.instance]: `thanos-query-${this.name}` };
    const grpc = [{ port: 10901, protocol: 'TCP' as const }];
    this.query = hardenedDeployment(this, {
      name: 'thanos-query',
      namespace: this.namespace,
      labels: { ...querySelector, [LABELS.component]: 'query', ...common },
      selector: querySelector,
      replicas: this.queryReplicas,
      image: thanosImage,
      args: [
        'query',
        '--http-address=0.0.0.0:10902',
        '--grpc-address=0.0.0.0:10901',
        '--log.format=json',
        '--query.replica-label=prometheus_replica',
        '--query.partial-response',
        `--endpoint=dnssrv+_grpc._tcp.prometheus-operated.${this.namespace}.svc.${ctx.clusterDomain}`,
        ...this.remoteEndpoints.map(e => `--endpoint=${e}`),
      ],
      ports: [{ name: 'http', port: 10902 }, { name: 'grpc', port: 10901 }],
      liveness: { path: '/-/healthy', port: 'http' },
      readiness: { path: '/-/ready', port: 'http' },
      resources: queryResources,
      identity,
      priorityClassName,
      ingress: [fromMonitoring([10902])],
      egress: [
        { namespace: this.namespace, podLabels: { ...this.prometheusPodLabels }, ports: grpc },
        ...(remoteCidrs.length ? [{ cidrs: remoteCidrs, ports: grpc }] : []),
      ],
      meshNamespace: ctx.meshNamespace,
    });
    Checks.of(this.node.root);
  }
}
