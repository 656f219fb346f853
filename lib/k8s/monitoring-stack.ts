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
import { CHAOS_CONTROLLER_POD_LABELS, FLAGGER_POD_LABELS, LOADTESTER_POD_LABELS } from '../core/addons';
import { LABELS, MANAGED_BY } from '../core/labels';
import { internalServiceHostOf } from '../core/naming';
import { AlertRoutingOptions, renderAlertmanagerConfig } from '../render/alertmanager';
import { Alertmanager, Prometheus, SecretKeySelector } from './crds/monitoring-stack';
import { PlatformContext } from './private/context';
import { MESH_CERTS_VOLUME, PROMETHEUS_MESH_CERTS_DIR, prometheusMeshPodMetadata } from './private/mesh';
import { ResolvedMonitoringStackProps, THANOS_RESOURCES, resolveMonitoringStackProps } from './private/monitoring-props';
import { containerSecurityContext, podSecurityContext, zoneSpread } from './private/pod';
import { adopt, resolveConstruct } from './private/resolve';
import { HardenedDeploymentObjects, hardenedDeployment } from './private/workload';
import { ContainerResources, PodIdentity, renderResources, resolveResources } from './workload-options';

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

/**
 * One region's Prometheus (HA, Thanos sidecar), Alertmanager cluster and Thanos Query.
 *
 * Objects: Prometheus + ServiceAccount + ClusterRole/Binding (service discovery) + PDB +
 * NetworkPolicy; Alertmanager + config Secret (rendered routing, no credentials) + PDB +
 * NetworkPolicy; Thanos Query Deployment + Service + PDB + NetworkPolicy + ServiceAccount.
 */
export class MonitoringStack extends Construct {
  /** The name of the Prometheus and Alertmanager resources. */
  public readonly name!: string;
  /** Namespace. */
  public readonly namespace!: string;
  /** The `cluster` external label. */
  public readonly cluster!: string;
  /** The `region` external label. */
  public readonly region!: string;
  /** Labels that select ServiceMonitors, PodMonitors and PrometheusRules. */
  public readonly selectorLabels!: Readonly<Record<string, string>>;
  /** Prometheus replicas. */
  public readonly prometheusReplicas!: number;
  /** Local retention. */
  public readonly retention!: string;
  /** Local size cap. */
  public readonly retentionSize!: string;
  /** Volume size per Prometheus replica. */
  public readonly storageSize!: string;
  /** Scrape and evaluation interval. */
  public readonly scrapeInterval!: string;
  /** Alertmanager members. */
  public readonly alertmanagerReplicas!: number;
  /** Thanos Query replicas. */
  public readonly queryReplicas!: number;
  /** The sidecar's object-storage Secret key. */
  public readonly objectStorageSecret!: SecretKeySelector;
  /** Other regions' store endpoints. */
  public readonly remoteEndpoints!: readonly string[];
  /** Pod labels of the Prometheus pods (as prometheus-operator sets them). */
  public readonly prometheusPodLabels!: Readonly<Record<string, string>>;
  /** Pod labels of the Alertmanager pods. */
  public readonly alertmanagerPodLabels!: Readonly<Record<string, string>>;

  public readonly prometheus!: Prometheus;
  public readonly alertmanager!: Alertmanager;
  public readonly alertmanagerConfig!: ApiObject;
  public readonly query!: HardenedDeploymentObjects;
  /**
   * The internal load balancer exposing this region's sidecars (gRPC 10901) to the other
   * regions' Query; only when `thanos.remoteCidrs` is set.
   */
  public readonly sidecarService?: ApiObject;
  /**
   * The name the sidecars' internal load balancer is published under in the platform's private
   * zone (`internalServiceHostOf`: `prometheus-<name>-sidecar.<namespace>.<region>.<internalZone>`),
   * which the other regions' Query call; only with `thanos.remoteCidrs` and a platform `internalZone`.
   */
  public readonly sidecarHost?: string;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id);
    const resolved = resolveConstruct(this, 'MonitoringStack', c => resolveMonitoringStackProps(this.node.path, props, c), props);
    if (!resolved.built) return resolved.placeholder;
    const { settings: s, context } = resolved;
    adopt(this, s, [
      'name', 'namespace', 'region', 'cluster', 'selectorLabels', 'prometheusReplicas', 'retention', 'retentionSize', 'storageSize',
      'scrapeInterval', 'alertmanagerReplicas', 'queryReplicas', 'objectStorageSecret', 'remoteEndpoints',
    ]);
    this.prometheusPodLabels = { [LABELS.name]: 'prometheus', [LABELS.instance]: this.name };
    this.alertmanagerPodLabels = { [LABELS.name]: 'alertmanager', [LABELS.instance]: this.name };

    const prometheus = this.buildPrometheus(s, context);
    this.prometheus = prometheus.prometheus;
    this.sidecarService = prometheus.sidecarService;
    this.sidecarHost = prometheus.sidecarHost;
    const alertmanager = this.buildAlertmanager(s);
    this.alertmanager = alertmanager.alertmanager;
    this.alertmanagerConfig = alertmanager.config;
    this.query = this.buildQuery(s, context);
    Checks.of(this.node.root);
  }

  /** Prometheus: its service account and discovery RBAC, the HA pair with the Thanos sidecar, PDB, policy, the sidecars' load balancer. */
  private buildPrometheus(s: ResolvedMonitoringStackProps, ctx: PlatformContext):
  { prometheus: Prometheus; sidecarService?: ApiObject; sidecarHost?: string } {
    const podLabels = this.prometheusPodLabels;
    const meta = (name = `prometheus-${this.name}`) => ({ name, namespace: this.namespace, labels: { ...podLabels, ...COMMON_LABELS } });
    const clusterWide = `prometheus-${this.namespace}-${this.name}`;
    new ApiObject(this, 'PrometheusServiceAccount', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta() });
    new ApiObject(this, 'PrometheusClusterRole', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: clusterWide, labels: meta().labels },
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
      metadata: { name: clusterWide, labels: meta().labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterWide },
      subjects: [{ kind: 'ServiceAccount', name: `prometheus-${this.name}`, namespace: this.namespace }],
    } as any);
    const everyNamespace = {};
    const selector = { matchLabels: { ...this.selectorLabels } };
    const meshPod = prometheusMeshPodMetadata();
    const prometheus = new Prometheus(this, 'Prometheus', {
      metadata: { name: this.name, namespace: this.namespace, labels: COMMON_LABELS },
      spec: {
        replicas: this.prometheusReplicas,
        image: s.images.prometheus,
        // A sidecar that only writes a mesh certificate: Prometheus scrapes meshed targets (STRICT
        // mTLS) over Istio mutual TLS with it (ServiceMonitor), intercepting no traffic of its own.
        podMetadata: {
          labels: { ...podLabels, ...COMMON_LABELS, ...meshPod.labels },
          annotations: meshPod.annotations,
        },
        serviceAccountName: `prometheus-${this.name}`,
        priorityClassName: s.priorityClassName,
        securityContext: podSecurityContext(s.identity),
        initContainers: [hardened('init-config-reloader', s)],
        containers: [
          { ...hardened('prometheus', s), volumeMounts: [{ name: MESH_CERTS_VOLUME, mountPath: PROMETHEUS_MESH_CERTS_DIR, readOnly: true }] },
          hardened('config-reloader', s),
          hardened('thanos-sidecar', s),
        ],
        volumes: [{ name: MESH_CERTS_VOLUME, emptyDir: { medium: 'Memory' } }],
        resources: renderResources(s.resources.prometheus),
        topologySpreadConstraints: zoneSpread(podLabels, false),
        storage: volume(this.storageSize, s.storageClassName),
        retention: this.retention,
        retentionSize: this.retentionSize,
        scrapeInterval: this.scrapeInterval,
        evaluationInterval: this.scrapeInterval,
        walCompression: true,
        externalLabels: { cluster: this.cluster, region: this.region },
        replicaExternalLabelName: 'prometheus_replica',
        serviceMonitorSelector: selector,
        serviceMonitorNamespaceSelector: everyNamespace,
        podMonitorSelector: selector,
        podMonitorNamespaceSelector: everyNamespace,
        probeSelector: selector,
        probeNamespaceSelector: everyNamespace,
        ruleSelector: selector,
        ruleNamespaceSelector: everyNamespace,
        alerting: { alertmanagers: [{ namespace: this.namespace, name: 'alertmanager-operated', port: 'web', apiVersion: 'v2' }] },
        thanos: {
          image: s.images.thanos,
          objectStorageConfig: { ...this.objectStorageSecret },
          resources: renderResources(resolveResources(undefined, THANOS_RESOURCES)),
          logFormat: 'json',
        },
        logFormat: 'json',
      },
    });
    this.operatorPodDisruptionBudget('PrometheusPodDisruptionBudget', meta(), podLabels);
    this.operatorNetworkPolicy('PrometheusNetworkPolicy', meta(), podLabels, {
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
        ...(s.remoteCidrs.length ? [{ from: s.remoteCidrs.map(cidr => ({ ipBlock: { cidr } })), ports: [{ port: 10901, protocol: 'TCP' }] }] : []),
      ],
    });
    if (!s.remoteCidrs.length) return { prometheus };
    const serviceName = thanosSidecarServiceName(this.name);
    const zone = ctx.region?.platform.internalZone;
    const sidecarHost = zone !== undefined && ctx.region ? internalServiceHostOf(serviceName, this.namespace, ctx.region.name, zone) : undefined;
    const sidecarService = new ApiObject(this, 'SidecarService', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        ...meta(serviceName),
        annotations: {
          // An internal NLB of the AWS Load Balancer Controller, targeting the pods' IPs.
          // @see https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/
          'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
          'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
          'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
          // IP targets over TCP see the NLB's own private address unless client IP preservation is
          // on; the NetworkPolicy admits the other regions' VPC CIDRs, so the sidecars must see the
          // callers' addresses. @see https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html#client-ip-preservation
          'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes': 'preserve_client_ip.enabled=true',
          // external-dns publishes the NLB under this name in the platform's private zone.
          // @see https://kubernetes-sigs.github.io/external-dns/latest/docs/annotations/annotations/
          ...(sidecarHost ? { 'external-dns.alpha.kubernetes.io/hostname': sidecarHost } : {}),
        },
      },
      spec: {
        type: 'LoadBalancer',
        loadBalancerSourceRanges: [...s.remoteCidrs],
        selector: { ...podLabels },
        ports: [{ name: 'grpc', port: 10901, targetPort: 10901, protocol: 'TCP' }],
      },
    });
    Checks.suppress(sidecarService, 'NINES-WL-06', OPERATOR_OWNED);
    return { prometheus, sidecarService, sidecarHost };
  }

  /** Alertmanager: the rendered routing (no credentials), its service account, the cluster, PDB and policy. */
  private buildAlertmanager(s: ResolvedMonitoringStackProps): { alertmanager: Alertmanager; config: ApiObject } {
    const podLabels = this.alertmanagerPodLabels;
    const meta = (name = `alertmanager-${this.name}`) => ({ name, namespace: this.namespace, labels: { ...podLabels, ...COMMON_LABELS } });
    const routing = renderAlertmanagerConfig(s.alertRouting);
    const config = new ApiObject(this, 'AlertmanagerConfigSecret', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(`alertmanager-${this.name}-config`),
      type: 'Opaque',
      // No credential: receivers read theirs from the Secrets in spec.secrets, mounted as files.
      stringData: { 'alertmanager.yaml': stringify(routing.config) },
    } as any);
    new ApiObject(this, 'AlertmanagerServiceAccount', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(), automountServiceAccountToken: false } as any);
    const alertmanager = new Alertmanager(this, 'Alertmanager', {
      metadata: { name: this.name, namespace: this.namespace, labels: COMMON_LABELS },
      spec: {
        replicas: this.alertmanagerReplicas,
        image: s.images.alertmanager,
        podMetadata: { labels: { ...podLabels, ...COMMON_LABELS } },
        serviceAccountName: `alertmanager-${this.name}`,
        priorityClassName: s.priorityClassName,
        securityContext: podSecurityContext(s.identity),
        initContainers: [hardened('init-config-reloader', s)],
        containers: [hardened('alertmanager', s), hardened('config-reloader', s)],
        resources: renderResources(s.resources.alertmanager),
        topologySpreadConstraints: zoneSpread(podLabels, false),
        storage: volume(s.alertmanagerStorageSize),
        configSecret: `alertmanager-${this.name}-config`,
        secrets: [...routing.secrets],
        retention: '120h',
        logFormat: 'json',
      },
    });
    this.operatorPodDisruptionBudget('AlertmanagerPodDisruptionBudget', meta(), podLabels);
    const members = [{ podSelector: { matchLabels: { ...podLabels } } }];
    const gossip = [{ port: 9094, protocol: 'TCP' }, { port: 9094, protocol: 'UDP' }];
    this.operatorNetworkPolicy('AlertmanagerNetworkPolicy', meta(), podLabels, {
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { [LABELS.namespaceName]: 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
        },
        { to: members, ports: gossip },
        // Receivers are SaaS endpoints (PagerDuty, Opsgenie, Slack) with changing addresses: HTTPS anywhere.
        { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443, protocol: 'TCP' }] },
      ],
      ingress: [
        { from: [{ namespaceSelector: { matchLabels: { [LABELS.namespaceName]: this.namespace } } }], ports: [{ port: 9093, protocol: 'TCP' }] },
        { from: members, ports: gossip },
      ],
    });
    return { alertmanager, config };
  }

  /** Thanos Query, the global view: this region's sidecars (DNS SRV) and the other regions' endpoints. */
  private buildQuery(s: ResolvedMonitoringStackProps, ctx: PlatformContext): HardenedDeploymentObjects {
    const querySelector = { [LABELS.name]: 'thanos-query', [LABELS.instance]: `thanos-query-${this.name}` };
    const grpc = [{ port: 10901, protocol: 'TCP' as const }];
    return hardenedDeployment(this, {
      name: 'thanos-query',
      namespace: this.namespace,
      labels: { ...querySelector, [LABELS.component]: 'query', ...COMMON_LABELS },
      selector: querySelector,
      replicas: this.queryReplicas,
      image: s.images.thanos,
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
      resources: s.resources.query,
      identity: s.identity,
      priorityClassName: s.priorityClassName,
      ingress: [{ namespace: this.namespace, ports: [{ port: 10902, protocol: 'TCP' }] }],
      egress: [
        { namespace: this.namespace, podLabels: { ...this.prometheusPodLabels }, ports: grpc },
        ...(s.remoteCidrs.length ? [{ cidrs: s.remoteCidrs, ports: grpc }] : []),
      ],
      meshNamespace: ctx.meshNamespace,
    });
  }

  /** A default-deny NetworkPolicy over the pods of an operator-made StatefulSet, with their `rules`. */
  private operatorNetworkPolicy(id: string, metadata: Record<string, unknown>, podLabels: Readonly<Record<string, string>>,
    rules: { readonly egress: unknown[]; readonly ingress: unknown[] }): void {
    new ApiObject(this, id, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata,
      spec: { podSelector: { matchLabels: { ...podLabels } }, policyTypes: ['Ingress', 'Egress'], ...rules },
    });
  }

  /** A PodDisruptionBudget over the pods of an operator-made StatefulSet (one down at a time). */
  private operatorPodDisruptionBudget(id: string, metadata: Record<string, unknown>, podLabels: Readonly<Record<string, string>>): void {
    const pdb = new ApiObject(this, id, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata,
      spec: { maxUnavailable: 1, selector: { matchLabels: { ...podLabels } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    });
    Checks.suppress(pdb, 'NINES-WL-07', OPERATOR_OWNED);
  }
}

/**
 * The Service (an internal NLB) exposing the Thanos sidecars of the MonitoringStack named `name`
 * to the other regions: `prometheus-<name>-sidecar`.
 */
export function thanosSidecarServiceName(name: string): string {
  return `prometheus-${name}-sidecar`;
}

/** The labels of every object of the stack (with the component's own). */
const COMMON_LABELS = { [LABELS.partOf]: 'monitoring', [LABELS.managedBy]: MANAGED_BY };
const OPERATOR_OWNED = 'selects the pods of the StatefulSet prometheus-operator creates from the '
  + 'Prometheus/Alertmanager resource; that StatefulSet is not an object of this app, so no workload here matches';

/** A container of an operator-made pod, given the stack's hardened security context. */
function hardened(name: string, s: ResolvedMonitoringStackProps) {
  return { name, securityContext: containerSecurityContext(s.identity) };
}

/** The operator's volume claim template: one ReadWriteOnce volume per replica. */
function volume(size: string, storageClassName?: string) {
  return {
    volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], ...(storageClassName ? { storageClassName } : {}), resources: { requests: { storage: size } } } },
  };
}
