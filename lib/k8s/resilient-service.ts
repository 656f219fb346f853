import { ApiObject, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { Checks } from '../checks/checks';
import { Criticality } from '../core/criticality';
import { IstioConnectionPool, IstioDestinationRule, IstioOutlierDetection, IstioSidecar, IstioVirtualService } from './crds/istio';
import { DependOnOptions, DependencyFacts, DependencyKind, IDependable, IDependent, NetworkPeer, ServiceGraph } from './dependency';
import { PlatformWorkload } from './platform-workload';
import { renderNetworkPolicySpec } from './private/network';
import { resolveResilientServiceProps } from './private/resilient-service-props';
import {
  autoscalerSpec, deploymentSpec, destinationRuleSpec, disruptionBudgetSpec, serviceLabels, serviceSpec, virtualServiceSpec,
} from './private/resilient-service-specs';
import { adopt, resolveInScope } from './private/resolve';
import { scrapeEndpoint, scrapeServices } from './private/scrape';
import { serviceAccountWithoutToken } from './private/workload';
import { ContainerCommand, ContainerResources, PodIdentity, Probe, ResolvedProbe, ResolvedResources } from './workload-options';

/** Autoscaling (HorizontalPodAutoscaler autoscaling/v2). */
export interface AutoscalingOptions {
  /**
   * Minimum replicas.
   * @default - the tier's replicas (critical/high: 3, medium/low: 2), at least one per zone for critical and high
   */
  readonly minReplicas?: number;
  /**
   * Maximum replicas.
   * @default - the tier's maximum (critical 30, high 20, medium 10, low 5)
   */
  readonly maxReplicas?: number;
  /**
   * Target average CPU utilization, percent of the request.
   * @default 70
   * @see the case study, section 4.1 (HPA)
   */
  readonly cpuUtilization?: number;
  /**
   * Target average memory utilization, percent of the request.
   * @default 80
   */
  readonly memoryUtilization?: number;
  /**
   * Extra per-pod custom metrics (e.g. queue depth), each with an average value target.
   * @default - none
   */
  readonly podMetrics?: ReadonlyArray<{ readonly name: string; readonly averageValue: string }>;
}

/** Rollout settings. */
export interface RolloutOptions {
  /**
   * Extra pods during a rollout (maxUnavailable is always 0).
   * @default 2 (the case study's rolling update)
   */
  readonly maxSurge?: number | string;
  /**
   * Seconds a new pod must be ready before it counts as available.
   * @default Duration.seconds(10)
   */
  readonly minReady?: Duration;
  /**
   * Time after which a stuck rollout is reported failed.
   * @default Duration.minutes(10)
   */
  readonly progressDeadline?: Duration;
  /**
   * Old ReplicaSets kept for rollback.
   * @default 5
   */
  readonly revisionHistoryLimit?: number;
}

/** Graceful shutdown. */
export interface ShutdownOptions {
  /**
   * preStop sleep: time for endpoints and mesh proxies to stop sending new requests.
   * @default Duration.seconds(15)
   */
  readonly drain?: Duration;
  /**
   * terminationGracePeriodSeconds; must be longer than the drain.
   * @default Duration.seconds(30)
   */
  readonly gracePeriod?: Duration;
  /**
   * A shell command the preStop runs after the drain, for a process whose SIGTERM is not graceful
   * (e.g. PgBouncer before 1.23: `kill -INT 1` and wait for it to exit). The kubelet sends SIGTERM
   * when the preStop returns or the grace period ends.
   * @default - none (the preStop only sleeps)
   */
  readonly afterDrain?: string;
}

/** Probes; unset timings take the case study's values. */
export interface ProbeOptions {
  /**
   * Startup probe; `false` for none.
   * @default Probe.http('/health/startup') with period 5 s, timeout 3 s, failureThreshold 30
   */
  readonly startup?: Probe | false;
  /**
   * Liveness probe (restart when failing).
   * @default Probe.http('/health/live') with period 10 s, timeout 5 s, failureThreshold 3
   */
  readonly liveness?: Probe;
  /**
   * Readiness probe (removed from load balancing when failing).
   * @default Probe.http('/health/ready') with period 5 s, timeout 3 s, failureThreshold 2
   */
  readonly readiness?: Probe;
}

/** Disruption budget; give at most one of the two. */
export interface DisruptionOptions {
  /**
   * Pods that may be down at once for voluntary disruptions.
   * @default 1
   */
  readonly maxUnavailable?: number | string;
  /**
   * Pods that must stay up; must be below the (minimum) replicas so a node drain is possible.
   * @default - unset (maxUnavailable is used)
   */
  readonly minAvailable?: number;
}

/** The Istio client-side policy for callers of this service. */
export interface TrafficOptions {
  /**
   * Per-request timeout.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Retries; `(attempts + 1) x perTryTimeout` must fit in the timeout. `false` for none.
   * @default { attempts: 2, perTryTimeout: Duration.seconds(3), retryOn: 'connect-failure,refused-stream,unavailable,cancelled' }
   */
  readonly retries?: { readonly attempts: number; readonly perTryTimeout: Duration; readonly retryOn?: string } | false;
  /**
   * Connection-pool limits.
   * @default the case study's: tcp.maxConnections 100, http1MaxPendingRequests 50, http2MaxRequests 100, maxRequestsPerConnection 2
   */
  readonly connectionPool?: IstioConnectionPool;
  /**
   * Outlier detection (circuit breaker).
   * @default the case study's: consecutive5xxErrors 5, interval 30s, baseEjectionTime 30s, maxEjectionPercent 50
   */
  readonly outlierDetection?: IstioOutlierDetection;
}

/** The protocol a {@link ResilientService} speaks to its callers. */
export enum ServiceProtocol {
  /**
   * HTTP: port named `http` (appProtocol http), HTTP probes, an Istio `http` route with a
   * per-request timeout and retries, outlier detection on 5xx responses.
   */
  HTTP = 'http',
  /**
   * Opaque TCP (e.g. PostgreSQL through PgBouncer): port named `tcp` (appProtocol `tcp` or the
   * given {@link ResilientServiceProps.appProtocol}), TCP connect probes, an Istio `tcp` route
   * (no per-request timeout, no retries: a stream cannot be replayed), TCP connection-pool limits
   * and outlier detection on connect failures and timeouts (consecutiveGatewayErrors).
   */
  TCP = 'tcp',
}

/** A ConfigMap or Secret mounted read-only as files. Give exactly one of `configMap` and `secret`. */
export interface FileMount {
  /** Absolute directory the files appear in (not /tmp). */
  readonly mountPath: string;
  /** Name of a ConfigMap in the service's namespace. */
  readonly configMap?: string;
  /** Name of a Secret in the service's namespace (mounted by reference; mode 0440). */
  readonly secret?: string;
}

/** Props of a {@link ResilientService}. */
export interface ResilientServiceProps extends ContainerCommand {
  /** Container image, pinned by tag (not `latest`) or digest. */
  readonly image: string;
  /** Criticality tier (the case study's service table); drives replicas, PDB and priority. */
  readonly tier: Criticality;
  /** Namespace (one per domain or team: the case study's bulkheads). */
  readonly namespace: string;
  /**
   * Service name.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Owning team (label `nines.dev/team`).
   * @default - the namespace
   */
  readonly team?: string;
  /**
   * Protocol spoken on {@link port}.
   * @default ServiceProtocol.HTTP
   */
  readonly protocol?: ServiceProtocol;
  /**
   * The Service port's `appProtocol` for a TCP service (e.g. `'postgresql'`); HTTP services always use `http`.
   * @default 'tcp'
   */
  readonly appProtocol?: string;
  /**
   * Container port serving the protocol (named `http`, or `tcp` for a TCP service).
   * @default 8080
   */
  readonly port?: number;
  /**
   * Container port serving Prometheus metrics (named `metrics`).
   * @default 9090
   */
  readonly metricsPort?: number;
  /**
   * Service port callers use.
   * @default - 80 for HTTP; the container port for TCP (clients keep their usual port, e.g. 6432)
   */
  readonly servicePort?: number;
  /**
   * Whether the container serves Prometheus metrics on {@link metricsPort} (the port, the monitoring
   * ingress and the ServiceMonitor). `false` for a process with no metrics endpoint.
   * @default true
   */
  readonly metrics?: boolean;
  /**
   * ConfigMaps and Secrets mounted read-only as files (configuration, auth files).
   * @default - none
   */
  readonly files?: readonly FileMount[];
  /**
   * Fixed replicas, used when `autoscaling` is `false`.
   * @default - the tier's replicas
   */
  readonly replicas?: number;
  /**
   * Autoscaling; `false` for a fixed replica count.
   * @default - on, with the tier's bounds
   */
  readonly autoscaling?: AutoscalingOptions | false;
  /**
   * Zones to spread over.
   * @default - the zones of the enclosing RegionChart's region
   */
  readonly zones?: readonly string[];
  /**
   * Resources, merged over the MEDIUM preset (cpu 500m/1000m, memory 512Mi/1Gi, ephemeral 256Mi/1Gi).
   * @default ResourcePresets.MEDIUM
   */
  readonly resources?: ContainerResources;
  /**
   * Probes.
   * @default - HTTP: startup, liveness and readiness HTTP probes on the case study's paths and timings.
   * TCP: startup, liveness and readiness TCP connect probes on the `tcp` port with the same timings
   * (see {@link ServiceProtocol.TCP}: a connect is answered by the listening process alone, so it
   * cannot fail on a dependency outage; liveness and readiness differ in timings, not in check).
   */
  readonly probes?: ProbeOptions;
  /** Graceful shutdown. @default - drain 15 s, grace 30 s */
  readonly shutdown?: ShutdownOptions;
  /** Rollout. @default - maxSurge 2, maxUnavailable 0, minReady 10 s, deadline 10 min, 5 revisions */
  readonly rollout?: RolloutOptions;
  /** Disruption budget. @default { maxUnavailable: 1 } */
  readonly disruption?: DisruptionOptions;
  /** Non-root identity. @default - uid/gid/fsGroup 10001 */
  readonly identity?: PodIdentity;
  /** Plain environment variables. @default - none */
  readonly env?: Record<string, string>;
  /** Secrets whose keys become environment variables (by reference only). @default - none */
  readonly envFromSecrets?: readonly string[];
  /**
   * Istio traffic policy. `timeout`, `retries` and `connectionPool.http` are HTTP-only (an error with TCP).
   * @default - HTTP: the case study's circuit breaker, 10 s timeout, 2 safe retries. TCP: tcp.maxConnections 100,
   * connectTimeout 5s; ejection after 5 consecutive connect failures/timeouts (consecutiveGatewayErrors; 5xx off)
   */
  readonly traffic?: TrafficOptions;
  /** Dependencies (same as calling `dependOn` for each). @default - none */
  readonly dependencies?: readonly IDependable[];
  /**
   * An entry point: admits traffic from the mesh's ingress gateways in the mesh namespace.
   * @default false
   */
  readonly entryPoint?: boolean;
  /**
   * Writable scratch space mounted at /tmp (the root filesystem is read-only).
   * @default '64Mi'
   */
  readonly tmpSize?: string;
}

const WL04_TCP_REASON = 'a TCP service checks its serving port for liveness and readiness: a TCP connect is answered by the '
  + 'listening process alone and cannot fail on a dependency outage, so it never restarts pods for one; the probes differ in timings';

/**
 * A stateless HTTP (or, with `protocol: ServiceProtocol.TCP`, opaque TCP) service with every practice of the case study applied by default:
 * Deployment spread over the region's zones, PodDisruptionBudget, HorizontalPodAutoscaler,
 * Service, ServiceAccount, default-deny NetworkPolicy derived from declared dependencies,
 * Istio DestinationRule (circuit breaker), VirtualService (timeout, retries), Sidecar
 * (egress only to dependencies) and a prometheus-operator ServiceMonitor.
 *
 * ```ts
 * const order = new ResilientService(chart, 'order-service', {
 *   image: 'registry.example.com/order-service:1.4.2',
 *   tier: Criticality.CRITICAL,
 *   namespace: 'orders',
 * });
 * order.dependOn(payment);
 * ```
 */
export class ResilientService extends PlatformWorkload implements IDependent {
  public readonly tier!: Criticality;
  /** Fixed replicas, or the autoscaler's minimum. */
  public readonly minReplicas!: number;
  /** The autoscaler's maximum (equals minReplicas without autoscaling). */
  public readonly maxReplicas!: number;
  public readonly autoscaled!: boolean;
  /** Protocol spoken on {@link port}. */
  public readonly protocol!: ServiceProtocol;
  /** The Service port's appProtocol (`http`, or `tcp`/the given one for TCP). */
  public readonly appProtocol!: string;
  /** Name of the serving port on the container and the Service: `http` or `tcp`. */
  public readonly portName!: string;
  public readonly port!: number;
  public readonly metricsPort!: number;
  public readonly servicePort!: number;
  /** Whether metrics are served and scraped. */
  public readonly metrics!: boolean;
  public readonly probes!: { readonly startup?: ResolvedProbe; readonly liveness: ResolvedProbe; readonly readiness: ResolvedProbe };
  public readonly resources!: ResolvedResources;
  public readonly drain!: Duration;
  public readonly gracePeriod!: Duration;
  /** Shell command the preStop runs after the drain, if any. */
  public readonly afterDrain?: string;
  public readonly maxSurge!: number | string;
  public readonly minReady!: Duration;
  public readonly progressDeadline!: Duration;
  public readonly revisionHistoryLimit!: number;
  public readonly disruption!: { readonly maxUnavailable?: number | string; readonly minAvailable?: number };
  public readonly priorityClassName!: string;
  /** Per-request timeout (HTTP only: resolved but not rendered for a TCP service). */
  public readonly timeout!: Duration;
  /** Retries (HTTP only; undefined for TCP). */
  public readonly retries?: { readonly attempts: number; readonly perTryTimeout: Duration; readonly retryOn: string };
  public readonly connectionPool!: IstioConnectionPool;
  public readonly outlierDetection!: IstioOutlierDetection;
  /** Labels selecting this service's pods. */
  public readonly selectorLabels!: Record<string, string>;
  /**
   * The label that selects every pod of this service for policies (PDB, NetworkPolicy, mesh
   * Sidecar, callers' egress): `app.kubernetes.io/instance` only, which survives Flagger's
   * rewrite of `app.kubernetes.io/name` to `<name>-primary` on the pods it promotes.
   */
  public readonly podSelector!: Record<string, string>;
  /** Labels on every object. */
  public readonly labels!: Record<string, string>;
  /** Fully qualified service host, e.g. `order-service.orders.svc.cluster.local`. */
  public readonly host!: string;
  public readonly entryPoint!: boolean;

  /** The Deployment (`node.defaultChild`). */
  public readonly deployment!: ApiObject;
  public readonly service!: ApiObject;
  public readonly serviceAccount!: ApiObject;
  public readonly podDisruptionBudget!: ApiObject;
  public readonly horizontalPodAutoscaler?: ApiObject;
  public readonly networkPolicy!: ApiObject;
  public readonly destinationRule!: ApiObject;
  public readonly virtualService!: ApiObject;
  public readonly sidecar!: ApiObject;
  /** The ServiceMonitor (absent with `metrics: false`). */
  public readonly serviceMonitor?: ApiObject;

  private readonly admitted: NetworkPeer[] = [];

  constructor(scope: Construct, id: string, props: ResilientServiceProps) {
    const resolved = resolveInScope(scope, c => resolveResilientServiceProps(id, props, c), props);
    super(scope, id, 'ResilientService', resolved);
    if (!resolved.built) return;
    const s = resolved.settings;
    adopt(this, s, [
      'tier', 'entryPoint', 'host', 'minReplicas', 'maxReplicas', 'autoscaled', 'protocol', 'appProtocol', 'portName', 'port', 'metricsPort',
      'servicePort', 'metrics', 'probes', 'resources', 'drain', 'gracePeriod', 'afterDrain', 'maxSurge', 'minReady', 'progressDeadline',
      'revisionHistoryLimit', 'disruption', 'priorityClassName', 'timeout', 'retries', 'connectionPool', 'outlierDetection',
    ]);
    const labels = serviceLabels(s);
    this.selectorLabels = labels.selectorLabels;
    this.podSelector = labels.podSelector;
    this.labels = labels.labels;
    const meta = () => ({ name: this.name, namespace: this.namespace, labels: this.labels });
    const object = (childId: string, apiVersion: string, kind: string, spec: unknown) =>
      new ApiObject(this, childId, { apiVersion, kind, metadata: meta(), spec });

    this.serviceAccount = serviceAccountWithoutToken(this, 'ServiceAccount', meta());
    this.deployment = object('Resource', 'apps/v1', 'Deployment', deploymentSpec(s, labels));
    // A TCP service whose liveness and readiness are the same TCP connect: NINES-WL-04 suppressed with the reason.
    if (s.sameTcpProbes) Checks.suppress(this.deployment, 'NINES-WL-04', WL04_TCP_REASON);
    this.service = object('Service', 'v1', 'Service', serviceSpec(s, labels));
    this.podDisruptionBudget = object('PodDisruptionBudget', 'policy/v1', 'PodDisruptionBudget', disruptionBudgetSpec(s, labels));
    if (s.autoscaling) this.horizontalPodAutoscaler = object('HorizontalPodAutoscaler', 'autoscaling/v2', 'HorizontalPodAutoscaler', autoscalerSpec(s));

    this.networkPolicy = object('NetworkPolicy', 'networking.k8s.io/v1', 'NetworkPolicy', Lazy.any({ produce: () => this.renderNetworkPolicy() }));
    this.destinationRule = new IstioDestinationRule(this, 'DestinationRule', { metadata: meta(), spec: destinationRuleSpec(s) });
    this.virtualService = new IstioVirtualService(this, 'VirtualService', { metadata: meta(), spec: virtualServiceSpec(s) });
    this.sidecar = new IstioSidecar(this, 'Sidecar', { metadata: meta(), spec: Lazy.any({ produce: () => this.renderSidecar() }) as any });
    this.serviceMonitor = this.metrics ? this.scrape(meta()) : undefined;

    Checks.of(this.node.root);
    for (const dep of props.dependencies ?? []) this.dependOn(dep);
  }

  protected get availabilityFacts(): Omit<DependencyFacts, 'id' | 'zones'> {
    return { kind: DependencyKind.SERVICE, tier: this.tier, replicas: this.minReplicas, automaticFailover: this.minReplicas >= 2 };
  }

  /**
   * Declares that this service calls `dependency`. NetworkPolicy egress (and the callee's
   * ingress), the mesh's allowed hosts and the dependency graph all follow from this.
   * @throws ValidationError when the edge closes a cycle.
   */
  public dependOn(dependency: IDependable, options?: DependOnOptions): void {
    ServiceGraph.of(this).addEdge(this, dependency, options);
  }

  /**
   * Admits traffic from `source` on the serving port: for clients that are not part of the
   * dependency graph, such as a canary's load tester. Prefer `caller.dependOn(this)`.
   */
  public admit(source: Omit<NetworkPeer, 'ports'>): void {
    this.admitted.push({ ...source, ports: [] });
  }

  /** Pods of this service, on its serving port. */
  public egressPeers(): readonly NetworkPeer[] {
    return [{ namespace: this.namespace, podLabels: this.podSelector, ports: [{ port: this.port, protocol: 'TCP' }] }];
  }

  public meshHosts(): readonly string[] {
    return [`${this.namespace}/${this.host}`];
  }

  /** This service's pods as a traffic source. */
  public callerPeer(): NetworkPeer {
    return { namespace: this.namespace, podLabels: this.podSelector, ports: [] };
  }

  /** The ServiceMonitor over every pod of the service (the canary's too), with the SLI metrics it declares. */
  private scrape(metadata: { name: string; namespace: string; labels: Record<string, string> }): ApiObject {
    return scrapeServices(this, {
      metadata,
      // podSelector: also selects the -canary Service Flagger makes (it relabels app.kubernetes.io/name), so the canary is scraped
      selector: this.podSelector,
      endpoints: [scrapeEndpoint('metrics', '15s', '10s')],
      produces: {
        producer: 'the service\'s /metrics (the SLI convention: http_requests_total with a code label, http_request_duration_seconds)',
        metrics: ['http_requests_total', 'http_request_duration_seconds_bucket', 'http_request_duration_seconds_count', 'http_request_duration_seconds_sum'],
      },
    });
  }

  private renderNetworkPolicy(): Record<string, unknown> {
    const graph = ServiceGraph.of(this);
    const callers = graph.callingPeersOf(this);
    const serving = [{ port: this.portName, protocol: 'TCP' as const }];
    const ingress: NetworkPeer[] = callers.map(c => ({ ...c.callerPeer(), ports: serving }));
    for (const source of this.admitted) ingress.push({ ...source, ports: serving });
    if (this.entryPoint) ingress.push({ namespace: this.context.meshNamespace, ports: serving });
    if (this.metrics) ingress.push({ namespace: this.context.monitoringNamespace, ports: [{ port: 'metrics', protocol: 'TCP' }] });
    const egress = graph.dependenciesOf(this).flatMap(e => e.to.egressPeers());
    return renderNetworkPolicySpec({
      podSelector: this.podSelector,
      ingress,
      egress,
      meshNamespace: this.context.meshNamespace,
    });
  }

  private renderSidecar(): Record<string, unknown> {
    const hosts = new Set<string>([`${this.context.meshNamespace}/*`]);
    for (const e of ServiceGraph.of(this).dependenciesOf(this)) for (const h of e.to.meshHosts()) hosts.add(h);
    return {
      workloadSelector: { labels: this.podSelector },
      egress: [{ hosts: [...hosts].sort() }],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
    };
  }
}
