import { ApiObject, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { Checks } from '../checks/checks';
import { declareMetrics } from '../checks/runtime/facts';
import { Criticality, isCriticality, tierDefaults } from '../core/criticality';
import { Problems } from '../core/errors';
import { LABELS, MANAGED_BY, isDnsLabel, isLabelValue } from '../core/labels';
import { IstioConnectionPool, IstioDestinationRule, IstioOutlierDetection, IstioSidecar, IstioVirtualService } from './crds/istio';
import { ServiceMonitor } from './crds/monitoring';
import { DependOnOptions, DependencyFacts, DependencyKind, IDependable, IDependent, NetworkPeer, ServiceGraph } from './dependency';
import { platformContext } from './private/context';
import { renderNetworkPolicySpec } from './private/network';
import { preStopSleep } from './private/pod';
import { hardenedContainer, hardenedDeploymentSpec, serviceAccountWithoutToken } from './private/workload';
import {
  ContainerResources, PodIdentity, formatDuration, PROBE_DEFAULTS, Probe, ResolvedProbe, ResolvedResources, identityProblems, imageProblems,
  probeProblems, renderProbe, resolveResources, resourceProblems,
} from './workload-options';

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
export interface ResilientServiceProps {
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
   * Container entrypoint.
   * @default - the image's
   */
  readonly command?: readonly string[];
  /**
   * Container arguments.
   * @default - the image's
   */
  readonly args?: readonly string[];
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

const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled';
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
export class ResilientService extends Construct implements IDependent {
  /** Service name. */
  public readonly name: string;
  public readonly namespace: string;
  public readonly team: string;
  public readonly tier: Criticality;
  public readonly image: string;
  /** Zones the replicas spread over. */
  public readonly zones: readonly string[];
  /** Fixed replicas, or the autoscaler's minimum. */
  public readonly minReplicas: number;
  /** The autoscaler's maximum (equals minReplicas without autoscaling). */
  public readonly maxReplicas: number;
  public readonly autoscaled: boolean;
  /** Protocol spoken on {@link port}. */
  public readonly protocol: ServiceProtocol;
  /** The Service port's appProtocol (`http`, or `tcp`/the given one for TCP). */
  public readonly appProtocol: string;
  /** Name of the serving port on the container and the Service: `http` or `tcp`. */
  public readonly portName: string;
  public readonly port: number;
  public readonly metricsPort: number;
  public readonly servicePort: number;
  /** Whether metrics are served and scraped. */
  public readonly metrics: boolean;
  public readonly probes: { readonly startup?: ResolvedProbe; readonly liveness: ResolvedProbe; readonly readiness: ResolvedProbe };
  public readonly resources: ResolvedResources;
  public readonly drain: Duration;
  public readonly gracePeriod: Duration;
  /** Shell command the preStop runs after the drain, if any. */
  public readonly afterDrain?: string;
  public readonly maxSurge: number | string;
  public readonly minReady: Duration;
  public readonly progressDeadline: Duration;
  public readonly revisionHistoryLimit: number;
  public readonly disruption: { readonly maxUnavailable?: number | string; readonly minAvailable?: number };
  public readonly identity: Required<PodIdentity>;
  public readonly priorityClassName: string;
  /** Per-request timeout (HTTP only: resolved but not rendered for a TCP service). */
  public readonly timeout: Duration;
  /** Retries (HTTP only; undefined for TCP). */
  public readonly retries?: { readonly attempts: number; readonly perTryTimeout: Duration; readonly retryOn: string };
  public readonly connectionPool: IstioConnectionPool;
  public readonly outlierDetection: IstioOutlierDetection;
  /** Labels selecting this service's pods. */
  public readonly selectorLabels: Record<string, string>;
  /**
   * The label that selects every pod of this service for policies (PDB, NetworkPolicy, mesh
   * Sidecar, callers' egress): `app.kubernetes.io/instance` only, which survives Flagger's
   * rewrite of `app.kubernetes.io/name` to `<name>-primary` on the pods it promotes.
   */
  public readonly podSelector: Record<string, string>;
  /** Labels on every object. */
  public readonly labels: Record<string, string>;
  /** Fully qualified service host, e.g. `order-service.orders.svc.cluster.local`. */
  public readonly host: string;
  public readonly entryPoint: boolean;

  /** The Deployment (`node.defaultChild`). */
  public readonly deployment: ApiObject;
  public readonly service: ApiObject;
  public readonly serviceAccount: ApiObject;
  public readonly podDisruptionBudget: ApiObject;
  public readonly horizontalPodAutoscaler?: ApiObject;
  public readonly networkPolicy: ApiObject;
  public readonly destinationRule: ApiObject;
  public readonly virtualService: ApiObject;
  public readonly sidecar: ApiObject;
  /** The ServiceMonitor (absent with `metrics: false`). */
  public readonly serviceMonitor?: ApiObject;

  private readonly meshNamespace: string;
  private readonly admitted: NetworkPeer[] = [];
  private readonly monitoringNamespace: string;
  /** TCP service whose liveness and readiness are the same TCP connect (NINES-WL-04 suppressed with the reason). */
  private readonly sameTcpProbes: boolean;

  constructor(scope: Construct, id: string, props: ResilientServiceProps) {
    super(scope, id);
    const ctx = platformContext(this);
    const problems = new Problems('ResilientService', this.node.path);

    this.name = props.name ?? id;
    this.namespace = props.namespace;
    this.team = props.team ?? props.namespace;
    this.tier = props.tier;
    this.image = props.image;
    this.entryPoint = props.entryPoint ?? false;
    this.meshNamespace = ctx.meshNamespace;
    this.monitoringNamespace = ctx.monitoringNamespace;
    this.host = `${this.name}.${this.namespace}.svc.${ctx.clusterDomain}`;

    problems.when(!isDnsLabel(this.name), 'name', this.name, 'is not a DNS label (Service names must be)', 'use lower-case letters, digits and "-", at most 63 characters');
    problems.when(!isDnsLabel(this.namespace), 'namespace', this.namespace, 'is not a DNS label', 'use lower-case letters, digits and "-"');
    problems.when(!isLabelValue(this.team), 'team', this.team, 'is not a valid label value', 'use letters, digits, "-", "_" or ".", at most 63 characters');
    const tierOk = !problems.when(!isCriticality(props.tier), 'tier', props.tier, 'is not a criticality tier', 'use Criticality.CRITICAL, HIGH, MEDIUM or LOW');
    problems.when(props.entryPoint !== undefined && typeof props.entryPoint !== 'boolean', 'entryPoint', props.entryPoint, 'is not a boolean', 'use true (the mesh gateway may call it) or false');
    const tier = tierDefaults(tierOk ? props.tier : Criticality.LOW);
    problems.addAll(imageProblems('image', props.image));

    this.zones = props.zones ?? ctx.zones ?? [];
    if (props.zones === undefined && ctx.zones === undefined) {
      problems.add('zones', undefined, 'are unknown: the service is not inside a RegionChart and no zones were given', 'create it inside a RegionChart (zones come from the platform description) or pass zones');
    } else if (this.zones.length < 2 || new Set(this.zones).size !== this.zones.length) {
      problems.add('zones', this.zones, 'must list at least 2 distinct zones, or one zone outage takes the service down', 'spread over 2 or more zones (the case study uses 3 per region)');
    }
    const zoneCount = Math.max(this.zones.length, 1);

    // Replicas and autoscaling.
    this.autoscaled = props.autoscaling !== false;
    const scaling = props.autoscaling === false ? undefined : props.autoscaling ?? {};
    if (scaling && props.replicas !== undefined) {
      problems.add('replicas', props.replicas, 'is set while autoscaling is on (the autoscaler owns the replica count)', 'set autoscaling.minReplicas instead, or autoscaling: false');
    }
    const tierMin = tier.replicasCoverZones ? Math.max(tier.replicas, zoneCount) : tier.replicas;
    this.minReplicas = scaling ? scaling.minReplicas ?? tierMin : props.replicas ?? tierMin;
    this.maxReplicas = scaling ? scaling.maxReplicas ?? Math.max(tier.maxReplicas, this.minReplicas) : this.minReplicas;
    const replicasProp = scaling ? 'autoscaling.minReplicas' : 'replicas';
    if (!Number.isInteger(this.minReplicas) || this.minReplicas < 2) {
      problems.add(replicasProp, this.minReplicas, 'must be an integer >= 2: one replica is a single point of failure', 'use at least 2 (3 for critical and high tiers)');
    } else if (tierOk && tier.replicasCoverZones && this.zones.length >= 2 && this.minReplicas < this.zones.length) {
      problems.add(replicasProp, this.minReplicas, `must be >= zones (${this.zones.length}) for tier '${props.tier}', so every zone keeps a replica`, `raise it to ${this.zones.length} or lower the tier`);
    }
    if (scaling) {
      problems.when(!Number.isInteger(this.maxReplicas) || this.maxReplicas < this.minReplicas, 'autoscaling.maxReplicas', this.maxReplicas, `must be an integer >= minReplicas (${this.minReplicas})`, `raise it to at least ${this.minReplicas}`);
      for (const [k, v] of [['cpuUtilization', scaling.cpuUtilization], ['memoryUtilization', scaling.memoryUtilization]] as const) {
        if (v !== undefined) problems.when(!Number.isInteger(v) || v < 1 || v > 100, `autoscaling.${k}`, v, 'must be an integer percentage between 1 and 100', 'use e.g. 70');
      }
      for (const [i, m] of (scaling.podMetrics ?? []).entries()) {
        problems.when(!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(m.name), `autoscaling.podMetrics[${i}].name`, m.name, 'is not a metric name', 'use a Prometheus metric name such as "queue_depth"');
      }
    }

    // Protocol and ports.
    this.protocol = props.protocol ?? ServiceProtocol.HTTP;
    const tcp = this.protocol === ServiceProtocol.TCP;
    problems.when(this.protocol !== ServiceProtocol.HTTP && !tcp, 'protocol', this.protocol, 'is not a service protocol', 'use ServiceProtocol.HTTP or ServiceProtocol.TCP');
    this.portName = tcp ? 'tcp' : 'http';
    this.appProtocol = tcp ? props.appProtocol ?? 'tcp' : 'http';
    if (props.appProtocol !== undefined && !tcp) {
      problems.add('appProtocol', props.appProtocol, 'is only for a TCP service (an HTTP service always uses appProtocol http)', 'remove it, or set protocol: ServiceProtocol.TCP');
    } else if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(this.appProtocol)) {
      problems.add('appProtocol', this.appProtocol, 'is not an application protocol name', 'use an IANA service name such as "postgresql", or "tcp"');
    }
    this.metrics = props.metrics ?? true;
    this.port = props.port ?? 8080;
    this.metricsPort = props.metricsPort ?? 9090;
    this.servicePort = props.servicePort ?? (tcp ? this.port : 80);
    for (const [k, v] of [['port', this.port], ['metricsPort', this.metricsPort], ['servicePort', this.servicePort]] as const) {
      problems.when(!Number.isInteger(v) || v < 1 || v > 65535, k, v, 'is not a port number', 'use an integer between 1 and 65535');
    }
    problems.when(this.metrics && this.port === this.metricsPort, 'metricsPort', this.metricsPort, `duplicates port (${this.port})`, 'serve metrics on their own port, e.g. 9090');
    problems.when(this.metrics && this.servicePort === this.metricsPort, 'servicePort', this.servicePort, `duplicates the metrics port (${this.metricsPort}) on the Service`, 'use e.g. 80 for the service port');

    // Probes.
    const p = props.probes ?? {};
    const byDefault = (role: 'startup' | 'liveness' | 'readiness') => tcp ? Probe.tcp(this.portName) : Probe.http(PROBE_DEFAULTS[role].path);
    const startup = p.startup === false ? undefined : (p.startup ?? byDefault('startup')).withDefaults(PROBE_DEFAULTS.startup);
    const liveness = (p.liveness ?? byDefault('liveness')).withDefaults(PROBE_DEFAULTS.liveness);
    const readiness = (p.readiness ?? byDefault('readiness')).withDefaults(PROBE_DEFAULTS.readiness);
    this.probes = { startup, liveness, readiness };
    for (const [role, probe] of [['startup', startup], ['liveness', liveness], ['readiness', readiness]] as const) {
      if (!probe) continue;
      problems.addAll(probeProblems(`probes.${role}`, role, probe));
      const named = probe.check.port;
      if (typeof named === 'string' && named !== this.portName && !(this.metrics && named === 'metrics')) {
        problems.add(`probes.${role}.port`, named, `names a port the container does not have (it has "${this.portName}"${this.metrics ? ' and "metrics"' : ''})`,
          tcp ? `use Probe.tcp('${this.portName}'), or a port number` : `use the "${this.portName}" port, or a port number`);
      }
    }
    // A TCP connect is answered by the listening process alone: the same check for liveness and
    // readiness cannot restart pods on a dependency outage, so it is sound for a TCP service.
    this.sameTcpProbes = tcp && liveness.check.kind === 'tcp' && JSON.stringify(liveness.check) === JSON.stringify(readiness.check);
    if (!this.sameTcpProbes && JSON.stringify(liveness.check) === JSON.stringify(readiness.check)) {
      problems.add('probes.liveness', liveness.check.kind === 'http' ? liveness.check.path : liveness.check.port,
        'checks the same endpoint as readiness, so a dependency outage that should only remove pods from load balancing restarts them all',
        'give liveness its own endpoint that checks only the process (e.g. "/health/live")');
    }

    // Resources, identity, shutdown, rollout, disruption.
    this.resources = resolveResources(props.resources);
    problems.addAll(resourceProblems('resources', this.resources));
    this.identity = { user: props.identity?.user ?? 10001, group: props.identity?.group ?? 10001, fsGroup: props.identity?.fsGroup ?? 10001 };
    problems.addAll(identityProblems('identity', this.identity));
    this.drain = props.shutdown?.drain ?? Duration.seconds(15);
    this.gracePeriod = props.shutdown?.gracePeriod ?? Duration.seconds(30);
    if (!(this.drain.toSeconds() < this.gracePeriod.toSeconds())) {
      problems.add('shutdown.drain', formatDuration(this.drain), `must be shorter than the grace period (${formatDuration(this.gracePeriod)}), or in-flight requests are killed`, `lower the drain or raise shutdown.gracePeriod above ${formatDuration(this.drain)} (the case study: drain 15 s, grace 30 s)`);
    }
    this.afterDrain = props.shutdown?.afterDrain;
    problems.when(this.afterDrain !== undefined && (typeof this.afterDrain !== 'string' || this.afterDrain.trim() === '' || /[\n\r]/.test(this.afterDrain)),
      'shutdown.afterDrain', this.afterDrain, 'must be a one-line shell command', 'use e.g. "kill -INT 1; while kill -0 1; do sleep 1; done"');
    this.maxSurge = props.rollout?.maxSurge ?? 2;
    this.minReady = props.rollout?.minReady ?? Duration.seconds(10);
    this.progressDeadline = props.rollout?.progressDeadline ?? Duration.minutes(10);
    this.revisionHistoryLimit = props.rollout?.revisionHistoryLimit ?? 5;
    if (!(typeof this.maxSurge === 'number' ? Number.isInteger(this.maxSurge) && this.maxSurge >= 1 : /^([1-9]\d?|100)%$/.test(this.maxSurge))) {
      problems.add('rollout.maxSurge', this.maxSurge, 'must be >= 1 (or 1%-100%): with maxUnavailable 0 a rollout needs surge to progress', 'use e.g. 2 or "25%"');
    }
    problems.when(!(this.progressDeadline.toSeconds() > this.minReady.toSeconds()), 'rollout.progressDeadline', formatDuration(this.progressDeadline), `must be longer than minReady (${formatDuration(this.minReady)})`, 'use e.g. 10 minutes');
    problems.when(!Number.isInteger(this.revisionHistoryLimit) || this.revisionHistoryLimit < 1, 'rollout.revisionHistoryLimit', this.revisionHistoryLimit, 'must keep at least one old revision to roll back to', 'use e.g. 5');

    const d = props.disruption ?? {};
    if (d.minAvailable !== undefined && d.maxUnavailable !== undefined) {
      problems.add('disruption', d, 'sets both minAvailable and maxUnavailable, which a PodDisruptionBudget rejects', 'set only one');
    }
    if (d.minAvailable !== undefined) {
      problems.when(!Number.isInteger(d.minAvailable) || d.minAvailable < 1 || d.minAvailable >= this.minReplicas, 'disruption.minAvailable', d.minAvailable,
        `must be an integer between 1 and replicas - 1 (${this.minReplicas - 1}), or no node can ever be drained`, `use at most ${this.minReplicas - 1}, or maxUnavailable: 1`);
      this.disruption = { minAvailable: d.minAvailable };
    } else {
      const mu = d.maxUnavailable ?? 1;
      problems.when(!(typeof mu === 'number' ? Number.isInteger(mu) && mu >= 1 : /^([1-9]\d?|100)%$/.test(mu)), 'disruption.maxUnavailable', mu,
        'must allow at least one pod to be evicted, or no node can ever be drained', 'use 1 (or a percentage such as "25%")');
      this.disruption = { maxUnavailable: mu };
    }

    // Traffic policy.
    if (tcp) {
      const httpOnly = 'is HTTP-only: a TCP route has no requests to time out or retry (a stream cannot be replayed)';
      if (props.traffic?.timeout !== undefined) problems.add('traffic.timeout', formatDuration(props.traffic.timeout), httpOnly, 'remove it; bound connection setup with traffic.connectionPool.tcp.connectTimeout');
      if (props.traffic?.retries !== undefined && props.traffic.retries !== false) {
        problems.add('traffic.retries', props.traffic.retries.attempts, httpOnly, 'remove it; clients of a TCP service retry at their own protocol level');
      }
      if (props.traffic?.connectionPool?.http !== undefined) {
        problems.add('traffic.connectionPool.http', props.traffic.connectionPool.http, 'is HTTP-only: the limits of a TCP service are in connectionPool.tcp', 'move the limits to connectionPool.tcp (maxConnections, connectTimeout)');
      }
    }
    this.timeout = props.traffic?.timeout ?? Duration.seconds(10);
    const r = tcp ? false : props.traffic?.retries;
    this.retries = r === false ? undefined : {
      attempts: r?.attempts ?? 2,
      perTryTimeout: r?.perTryTimeout ?? Duration.seconds(3),
      retryOn: r?.retryOn ?? DEFAULT_RETRY_ON,
    };
    if (this.retries) {
      const { attempts, perTryTimeout } = this.retries;
      const total = (attempts + 1) * perTryTimeout.toSeconds();
      if (!Number.isInteger(attempts) || attempts < 0 || attempts > 10) {
        problems.add('traffic.retries.attempts', attempts, 'must be an integer between 0 and 10', 'use e.g. 2');
      } else if (total > this.timeout.toSeconds()) {
        problems.add('traffic.retries', `${attempts} x ${formatDuration(perTryTimeout)}`, `can take ${total} s with the first try, longer than the timeout (${formatDuration(this.timeout)})`, 'lower attempts or perTryTimeout, or raise traffic.timeout');
      }
    }
    this.connectionPool = props.traffic?.connectionPool ?? (tcp ? { tcp: { maxConnections: 100, connectTimeout: '5s' } } : {
      tcp: { maxConnections: 100 },
      http: { http1MaxPendingRequests: 50, http2MaxRequests: 100, maxRequestsPerConnection: 2 },
    });
    // Over an opaque TCP connection Istio counts connect timeouts and failures as gateway errors;
    // 5xx detection is turned off because a TCP stream has no responses.
    this.outlierDetection = props.traffic?.outlierDetection ?? (tcp
      ? { consecutive5xxErrors: 0, consecutiveGatewayErrors: 5, interval: '30s', baseEjectionTime: '30s', maxEjectionPercent: 50 }
      : { consecutive5xxErrors: 5, interval: '30s', baseEjectionTime: '30s', maxEjectionPercent: 50 });

    for (const [k, v] of Object.entries(props.env ?? {})) {
      problems.when(!C_IDENTIFIER.test(k), `env.${k}`, k, 'is not a valid environment variable name', 'use letters, digits and "_", not starting with a digit');
      problems.when(typeof v !== 'string', `env.${k}`, v, 'is not a string', 'quote the value');
    }
    for (const [i, s] of (props.envFromSecrets ?? []).entries()) {
      problems.when(!isDnsLabel(s) && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s), `envFromSecrets[${i}]`, s, 'is not a Secret name', 'use the name of a Secret in the same namespace');
    }
    const mountPaths = new Set<string>(['/tmp']);
    for (const [i, f] of (props.files ?? []).entries()) {
      const sources = [f.configMap, f.secret].filter(x => x !== undefined);
      if (sources.length !== 1) {
        problems.add(`files[${i}]`, f, 'must name exactly one of configMap and secret', 'give configMap or secret');
      } else if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(sources[0]!) || sources[0]!.length > 253) {
        problems.add(`files[${i}].${f.configMap !== undefined ? 'configMap' : 'secret'}`, sources[0], 'is not an object name', 'use the name of an object in the same namespace');
      }
      if (!/^\/[^\s]*$/.test(f.mountPath) || mountPaths.has(f.mountPath.replace(/\/+$/, ''))) {
        problems.add(`files[${i}].mountPath`, f.mountPath, 'must be an absolute path, distinct from /tmp and the other mounts', 'use e.g. "/etc/<name>"');
      }
      mountPaths.add(f.mountPath.replace(/\/+$/, ''));
    }
    const tmpSize = props.tmpSize ?? '64Mi';
    problems.when(!/^\d+(Ki|Mi|Gi)$/.test(tmpSize), 'tmpSize', tmpSize, 'is not a byte quantity', 'use e.g. "64Mi"');

    if (problems.count > 0) {
      // Leave the tree as it was: a caught error must not leave a half-built construct behind.
      scope.node.tryRemoveChild(id);
      problems.throwIfAny();
    }

    // ---- children (props are valid from here on) ----
    this.priorityClassName = tier.priorityClassName;
    this.selectorLabels = { [LABELS.name]: this.name, [LABELS.instance]: `${this.name}-${this.namespace}` };
    this.podSelector = { [LABELS.instance]: `${this.name}-${this.namespace}` };
    const version = imageVersion(this.image);
    this.labels = {
      ...this.selectorLabels,
      [LABELS.component]: 'service',
      [LABELS.partOf]: this.namespace,
      [LABELS.managedBy]: MANAGED_BY,
      [LABELS.team]: this.team,
      [LABELS.tier]: this.tier,
      ...(version ? { [LABELS.version]: version } : {}),
    };
    const meta = (name: string = this.name) => ({ name, namespace: this.namespace, labels: this.labels });

    this.serviceAccount = serviceAccountWithoutToken(this, 'ServiceAccount', meta());

    this.deployment = new ApiObject(this, 'Resource', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(),
      spec: this.renderDeploymentSpec(props, tmpSize),
    });
    if (this.sameTcpProbes) Checks.suppress(this.deployment, 'NINES-WL-04', WL04_TCP_REASON);

    this.service = new ApiObject(this, 'Service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(),
      spec: {
        type: 'ClusterIP',
        selector: this.selectorLabels,
        ports: [
          { name: this.portName, port: this.servicePort, targetPort: this.portName, protocol: 'TCP', appProtocol: this.appProtocol },
          ...(this.metrics ? [{ name: 'metrics', port: this.metricsPort, targetPort: 'metrics', protocol: 'TCP', appProtocol: 'http' }] : []),
        ],
      },
    });

    this.podDisruptionBudget = new ApiObject(this, 'PodDisruptionBudget', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(),
      spec: {
        ...this.disruption,
        selector: { matchLabels: this.podSelector },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });

    if (scaling) {
      this.horizontalPodAutoscaler = new ApiObject(this, 'HorizontalPodAutoscaler', {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: meta(),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.name },
          minReplicas: this.minReplicas,
          maxReplicas: this.maxReplicas,
          metrics: [
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: scaling.cpuUtilization ?? 70 } } },
            { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: scaling.memoryUtilization ?? 80 } } },
            ...(scaling.podMetrics ?? []).map(m => ({ type: 'Pods', pods: { metric: { name: m.name }, target: { type: 'AverageValue', averageValue: m.averageValue } } })),
          ],
          behavior: {
            scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }] },
            scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
          },
        },
      });
    }

    const graph = ServiceGraph.of(this);
    graph.addNode(this);
    this.networkPolicy = new ApiObject(this, 'NetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(),
      spec: Lazy.any({ produce: () => this.renderNetworkPolicy() }),
    });

    this.destinationRule = new IstioDestinationRule(this, 'DestinationRule', {
      metadata: meta(),
      spec: {
        host: this.host,
        trafficPolicy: { connectionPool: this.connectionPool, outlierDetection: this.outlierDetection, tls: { mode: 'ISTIO_MUTUAL' } },
      },
    });

    const destination = { host: this.host, port: { number: this.servicePort } };
    this.virtualService = new IstioVirtualService(this, 'VirtualService', {
      metadata: meta(),
      // A TCP service gets a `tcp` route only: no timeout or retries exist for an opaque stream.
      spec: tcp ? { hosts: [this.host], tcp: [{ match: [{ port: this.servicePort }], route: [{ destination }] }] } as any : {
        hosts: [this.host],
        http: [{
          name: 'default',
          route: [{ destination: { host: this.host, port: { number: this.servicePort } } }],
          timeout: `${this.timeout.toSeconds()}s`,
          ...(this.retries ? { retries: { attempts: this.retries.attempts, perTryTimeout: `${this.retries.perTryTimeout.toSeconds()}s`, retryOn: this.retries.retryOn } } : { retries: { attempts: 0 } }),
        }],
      },
    });

    this.sidecar = new IstioSidecar(this, 'Sidecar', {
      metadata: meta(),
      spec: Lazy.any({ produce: () => this.renderSidecar() }) as any,
    });

    this.serviceMonitor = !this.metrics ? undefined : new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: meta(),
      spec: {
        // podSelector: also selects the -canary Service Flagger makes (it relabels app.kubernetes.io/name), so the canary is scraped
        selector: { matchLabels: this.podSelector },
        namespaceSelector: { matchNames: [this.namespace] },
        endpoints: [{ port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '10s' }],
        jobLabel: LABELS.name,
      },
    });
    if (this.serviceMonitor) declareMetrics(this.serviceMonitor, { producer: 'the service\'s /metrics (the SLI convention: http_requests_total with a code label, http_request_duration_seconds)', metrics: ['http_requests_total', 'http_request_duration_seconds_bucket', 'http_request_duration_seconds_count', 'http_request_duration_seconds_sum'] });

    Checks.of(this.node.root);
    for (const dep of props.dependencies ?? []) this.dependOn(dep);
  }

  /** Graph identity and availability facts. */
  public get dependencyFacts(): DependencyFacts {
    return {
      id: `${this.namespace}/${this.name}`,
      kind: DependencyKind.SERVICE,
      tier: this.tier,
      replicas: this.minReplicas,
      zones: this.zones.length,
      automaticFailover: this.minReplicas >= 2,
    };
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

  private renderDeploymentSpec(props: ResilientServiceProps, tmpSize: string): Record<string, unknown> {
    const env = Object.entries(props.env ?? {}).map(([name, value]) => ({ name, value }));
    const envFrom = (props.envFromSecrets ?? []).map(name => ({ secretRef: { name } }));
    const files = props.files ?? [];
    // 0440: readable by the pod's group (fsGroup) only.
    const fileVolumes = files.map((f, i) => ({
      name: `files-${i}`,
      ...(f.secret !== undefined
        ? { secret: { secretName: f.secret, defaultMode: 0o440 } }
        : { configMap: { name: f.configMap, defaultMode: 0o440 } }),
    }));
    const container = hardenedContainer({
      name: this.name,
      image: this.image,
      command: props.command,
      args: props.args,
      ports: [
        { name: this.portName, port: this.port },
        ...(this.metrics ? [{ name: 'metrics', port: this.metricsPort }] : []),
      ],
      env,
      envFrom,
      resources: this.resources,
      probes: {
        startup: this.probes.startup ? renderProbe(this.probes.startup) : undefined,
        liveness: renderProbe(this.probes.liveness),
        readiness: renderProbe(this.probes.readiness),
      },
      lifecycle: this.afterDrain === undefined
        ? preStopSleep(this.drain.toSeconds())
        : { preStop: { exec: { command: ['/bin/sh', '-c', `sleep ${this.drain.toSeconds()}; ${this.afterDrain}`] } } },
      identity: this.identity,
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...files.map((f, i) => ({ name: `files-${i}`, mountPath: f.mountPath, readOnly: true }))],
    });
    return hardenedDeploymentSpec({
      replicas: this.autoscaled ? undefined : this.minReplicas,
      selector: this.selectorLabels,
      // podSelector: Flagger's -primary copy keeps app.kubernetes.io/instance, so it spreads its own pods too
      spreadSelector: this.podSelector,
      labels: this.labels,
      rollout: {
        maxSurge: this.maxSurge,
        minReadySeconds: this.minReady.toSeconds(),
        progressDeadlineSeconds: this.progressDeadline.toSeconds(),
        revisionHistoryLimit: this.revisionHistoryLimit,
      },
      serviceAccountName: this.name,
      priorityClassName: this.priorityClassName,
      identity: this.identity,
      terminationGracePeriodSeconds: this.gracePeriod.toSeconds(),
      container,
      volumes: [{ name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: tmpSize } }, ...fileVolumes],
    });
  }

  private renderNetworkPolicy(): Record<string, unknown> {
    const graph = ServiceGraph.of(this);
    const callers = graph.callingPeersOf(this);
    const serving = [{ port: this.portName, protocol: 'TCP' as const }];
    const ingress: NetworkPeer[] = callers.map(c => ({ ...c.callerPeer(), ports: serving }));
    for (const source of this.admitted) ingress.push({ ...source, ports: serving });
    if (this.entryPoint) ingress.push({ namespace: this.meshNamespace, ports: serving });
    if (this.metrics) ingress.push({ namespace: this.monitoringNamespace, ports: [{ port: 'metrics', protocol: 'TCP' }] });
    const egress = graph.dependenciesOf(this).flatMap(e => e.to.egressPeers());
    return renderNetworkPolicySpec({
      podSelector: this.podSelector,
      ingress,
      egress,
      meshNamespace: this.meshNamespace,
    });
  }

  private renderSidecar(): Record<string, unknown> {
    const hosts = new Set<string>([`${this.meshNamespace}/*`]);
    for (const e of ServiceGraph.of(this).dependenciesOf(this)) for (const h of e.to.meshHosts()) hosts.add(h);
    return {
      workloadSelector: { labels: this.podSelector },
      egress: [{ hosts: [...hosts].sort() }],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
    };
  }
}

/** The tag of an image reference, if it is a valid label value. */
function imageVersion(image: string): string | undefined {
  const noDigest = image.split('@')[0];
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', lastSlash + 1);
  const tag = colon >= 0 ? noDigest.slice(colon + 1) : undefined;
  return tag && isLabelValue(tag) ? tag : undefined;
}
