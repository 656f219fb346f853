/*
 * Internal: The pure props resolver of {@link ResilientService}: every default applied once
 * (tier, zones, replicas, protocol, probes, rollout, disruption, traffic), every problem
 * collected in prop order, nothing built.
 */
import { Duration } from 'cdk8s';
import { Criticality, TierDefaults, isCriticality, tierDefaults } from '../../core/criticality';
import { Problems } from '../../core/errors';
import { instanceLabelProblems, isDnsLabel, isLabelValue } from '../../core/labels';
import type { IstioConnectionPool, IstioOutlierDetection } from '../crds/istio';
import type { AutoscalingOptions, FileMount, ResilientServiceProps, ServiceProtocol } from '../resilient-service';
import { PlatformContext } from './context';
import { Resolution, resolution } from './resolve';
import { resolveIdentity } from './stateful';
import { PropTypes, propTypeProblems, typedProps, withTypeProblems } from '../../core/prop-types';
import {
  ContainerCommand, PROBE_DEFAULTS, PodIdentity, Probe, ResolvedProbe, ResolvedResources, formatDuration, identityProblems, imageProblems,
  probeProblems, resolveResources, resourceProblems,
  WORKLOAD_PROP_TYPES, RESOURCES_TYPES,
} from '../workload-options';

/** The values of {@link ServiceProtocol} (the enum is the construct's; this file imports only its type). */
const HTTP = 'http' as ServiceProtocol;
const TCP = 'tcp' as ServiceProtocol;
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const PERCENT = /^([1-9]\d?|100)%$/;
const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled';

/** The service's probes, resolved. */
export interface ResolvedServiceProbes {
  readonly startup?: ResolvedProbe;
  readonly liveness: ResolvedProbe;
  readonly readiness: ResolvedProbe;
}

/** Retries of an HTTP route, resolved. */
export interface ResolvedRetries {
  readonly attempts: number;
  readonly perTryTimeout: Duration;
  readonly retryOn: string;
}

/** The autoscaler's targets, resolved (only when autoscaling is on). */
export interface ResolvedAutoscaling {
  readonly cpuUtilization: number;
  readonly memoryUtilization: number;
  readonly podMetrics: NonNullable<AutoscalingOptions['podMetrics']>;
}

/** {@link ResilientServiceProps} with every default applied. */
export interface ResolvedResilientServiceProps extends ContainerCommand {
  readonly name: string;
  readonly namespace: string;
  readonly team: string;
  readonly tier: Criticality;
  readonly image: string;
  readonly entryPoint: boolean;
  readonly priorityClassName: string;
  /** Fully qualified service host, under the context's cluster domain. */
  readonly host: string;
  readonly zones: readonly string[];
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly autoscaled: boolean;
  /** The autoscaler's targets; undefined without autoscaling. */
  readonly autoscaling?: ResolvedAutoscaling;
  readonly protocol: ServiceProtocol;
  readonly appProtocol: string;
  readonly portName: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly servicePort: number;
  readonly metrics: boolean;
  readonly probes: ResolvedServiceProbes;
  /** A TCP service whose liveness and readiness are the same TCP connect. */
  readonly sameTcpProbes: boolean;
  readonly resources: ResolvedResources;
  readonly identity: Required<PodIdentity>;
  readonly drain: Duration;
  readonly gracePeriod: Duration;
  readonly afterDrain?: string;
  readonly maxSurge: number | string;
  readonly minReady: Duration;
  readonly progressDeadline: Duration;
  readonly revisionHistoryLimit: number;
  readonly disruption: { readonly maxUnavailable?: number | string; readonly minAvailable?: number };
  readonly timeout: Duration;
  readonly retries?: ResolvedRetries;
  readonly connectionPool: IstioConnectionPool;
  readonly outlierDetection: IstioOutlierDetection;
  readonly env: Readonly<Record<string, string>>;
  readonly envFromSecrets: readonly string[];
  readonly files: readonly FileMount[];
  readonly tmpSize: string;
}

/** Runtime types of a Probe's timing and check (from `Probe.http(path, timing)` / `Probe.tcp(port, timing)`). */
const PROBE_TYPES: PropTypes = {
  period: 'duration', timeout: 'duration', failureThreshold: 'number', initialDelay: 'duration', path: 'string', port: { anyOf: ['number', 'string'] },
};

/** Runtime types of every prop the resolver reads (casts are problems, not TypeErrors). */
const RESILIENT_SERVICE_PROP_TYPES: PropTypes = {
  // tier, protocol, the ports and entryPoint have checks of their own below, with their own fixes
  ...WORKLOAD_PROP_TYPES,
  appProtocol: 'string',
  metrics: 'boolean',
  command: ['string'],
  args: ['string'],
  files: [{ mountPath: 'string', configMap: 'string', secret: 'string' }],
  replicas: 'number',
  autoscaling: { anyOf: ['false', { minReplicas: 'number', maxReplicas: 'number', cpuUtilization: 'number', memoryUtilization: 'number', podMetrics: [{ name: 'string', averageValue: 'string' }] }] },
  resources: RESOURCES_TYPES,
  probes: { startup: { anyOf: ['false', 'object'] }, liveness: 'object', readiness: 'object' },
  shutdown: { drain: 'duration', gracePeriod: 'duration', afterDrain: 'string' },
  rollout: { maxSurge: { anyOf: ['number', 'string'] }, minReady: 'duration', progressDeadline: 'duration', revisionHistoryLimit: 'number' },
  disruption: { maxUnavailable: { anyOf: ['number', 'string'] }, minAvailable: 'number' },
  env: { record: 'string' },
  envFromSecrets: ['string'],
  traffic: {
    timeout: 'duration',
    retries: { anyOf: ['false', { attempts: 'number', perTryTimeout: 'duration', retryOn: 'string' }] },
    // the fields of Istio's ConnectionPoolSettings and OutlierDetection the library models (lib/k8s/crds/istio.ts)
    connectionPool: {
      tcp: { maxConnections: 'number', connectTimeout: 'string' },
      http: { http1MaxPendingRequests: 'number', http2MaxRequests: 'number', maxRequestsPerConnection: 'number', maxRetries: 'number', idleTimeout: 'string' },
    },
    outlierDetection: {
      consecutive5xxErrors: 'number', consecutiveGatewayErrors: 'number', interval: 'string', baseEjectionTime: 'string', maxEjectionPercent: 'number', minHealthPercent: 'number',
    },
  },
  dependencies: 'list',
  tmpSize: 'string',
};

/** Resolves `props` of the ResilientService with id `id` in `context`, or returns every problem. */
export function resolveResilientServiceProps(
  id: string, given: ResilientServiceProps, context: PlatformContext,
): Resolution<ResolvedResilientServiceProps> {
  const { props, problems: typeProblems } = typedProps(given, RESILIENT_SERVICE_PROP_TYPES);
  const problems = new Problems('ResilientService', id);
  const name = props.name ?? id;
  const namespace = props.namespace;
  const team = props.team ?? props.namespace;
  problems.when(!isDnsLabel(name), 'name', name, 'is not a DNS label (Service names must be)', 'use lower-case letters, digits and "-", at most 63 characters');
  problems.when(!isDnsLabel(namespace), 'namespace', namespace, 'is not a DNS label', 'use lower-case letters, digits and "-"');
  problems.addAll(instanceLabelProblems(name, namespace));
  problems.when(!isLabelValue(team), 'team', team, 'is not a valid label value', 'use letters, digits, "-", "_" or ".", at most 63 characters');
  const tierOk = !problems.when(!isCriticality(props.tier), 'tier', props.tier, 'is not a criticality tier', 'use Criticality.CRITICAL, HIGH, MEDIUM or LOW');
  problems.when(props.entryPoint !== undefined && typeof props.entryPoint !== 'boolean', 'entryPoint', props.entryPoint, 'is not a boolean',
    'use true (the mesh gateway may call it) or false');
  const tier = tierDefaults(tierOk ? props.tier : Criticality.LOW);
  problems.addAll(imageProblems('image', props.image));

  const zones = props.zones ?? context.zones ?? [];
  if (props.zones === undefined && context.zones === undefined) {
    problems.add('zones', undefined, 'are unknown: the service is not inside a RegionChart and no zones were given',
      'create it inside a RegionChart (zones come from the platform description) or pass zones');
  } else if (zones.length < 2 || new Set(zones).size !== zones.length) {
    problems.add('zones', zones, 'must list at least 2 distinct zones, or one zone outage takes the service down', 'spread over 2 or more zones (the case study uses 3 per region)');
  }
  const scaling = resolveScaling(problems, props, tier, tierOk, zones);
  const ports = resolvePorts(problems, props);
  const probes = resolveProbes(problems, props, ports);
  const resources = resolveResources(props.resources);
  problems.addAll(resourceProblems('resources', resources));
  const identity = resolveIdentity(props.identity);
  problems.addAll(identityProblems('identity', identity));
  const rollout = resolveRollout(problems, props, scaling.minReplicas);
  const traffic = resolveTraffic(problems, props, ports.protocol === TCP);
  const container = resolveContainer(problems, props);

  return resolution(withTypeProblems(typeProblems, problems.all), () => ({
    name,
    namespace,
    team,
    tier: props.tier,
    image: props.image,
    entryPoint: props.entryPoint ?? false,
    priorityClassName: tier.priorityClassName,
    host: `${name}.${namespace}.svc.${context.clusterDomain}`,
    zones,
    resources,
    identity,
    ...scaling,
    ...ports,
    ...probes,
    ...container,
    ...rollout,
    ...traffic,
  }));
}

/** Replicas and autoscaling: at least 2, one per zone for the tiers that cover zones. */
function resolveScaling(problems: Problems, props: ResilientServiceProps, tier: TierDefaults, tierOk: boolean, zones: readonly string[]) {
  const zoneCount = Math.max(zones.length, 1);
  const given = props.autoscaling === false ? undefined : props.autoscaling ?? {};
  if (given && props.replicas !== undefined) {
    problems.add('replicas', props.replicas, 'is set while autoscaling is on (the autoscaler owns the replica count)',
      'set autoscaling.minReplicas instead, or autoscaling: false');
  }
  const tierMin = tier.replicasCoverZones ? Math.max(tier.replicas, zoneCount) : tier.replicas;
  const minReplicas = given ? given.minReplicas ?? tierMin : props.replicas ?? tierMin;
  const maxReplicas = given ? given.maxReplicas ?? Math.max(tier.maxReplicas, minReplicas) : minReplicas;
  const replicasProp = given ? 'autoscaling.minReplicas' : 'replicas';
  if (!Number.isInteger(minReplicas) || minReplicas < 2) {
    problems.add(replicasProp, minReplicas, 'must be an integer >= 2: one replica is a single point of failure', 'use at least 2 (3 for critical and high tiers)');
  } else if (tierOk && tier.replicasCoverZones && zones.length >= 2 && minReplicas < zones.length) {
    problems.add(replicasProp, minReplicas, `must be >= zones (${zones.length}) for tier '${props.tier}', so every zone keeps a replica`,
      `raise it to ${zones.length} or lower the tier`);
  }
  let autoscaling: ResolvedAutoscaling | undefined;
  if (given) {
    problems.when(!Number.isInteger(maxReplicas) || maxReplicas < minReplicas, 'autoscaling.maxReplicas', maxReplicas, `must be an integer >= minReplicas (${minReplicas})`,
      `raise it to at least ${minReplicas}`);
    for (const [k, v] of [['cpuUtilization', given.cpuUtilization], ['memoryUtilization', given.memoryUtilization]] as const) {
      if (v !== undefined) problems.when(!Number.isInteger(v) || v < 1 || v > 100, `autoscaling.${k}`, v, 'must be an integer percentage between 1 and 100', 'use e.g. 70');
    }
    for (const [i, m] of (given.podMetrics ?? []).entries()) {
      problems.when(!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(m.name), `autoscaling.podMetrics[${i}].name`, m.name, 'is not a metric name',
        'use a Prometheus metric name such as "queue_depth"');
    }
    autoscaling = {
      cpuUtilization: given.cpuUtilization ?? 70,
      memoryUtilization: given.memoryUtilization ?? 80,
      podMetrics: given.podMetrics ?? [],
    };
  }
  return { minReplicas, maxReplicas, autoscaled: given !== undefined, autoscaling };
}

/** Protocol and ports: the serving port's name and appProtocol follow the protocol. */
function resolvePorts(problems: Problems, props: ResilientServiceProps) {
  const protocol = props.protocol ?? HTTP;
  const tcp = protocol === TCP;
  problems.when(protocol !== HTTP && !tcp, 'protocol', protocol, 'is not a service protocol', 'use ServiceProtocol.HTTP or ServiceProtocol.TCP');
  const portName = tcp ? 'tcp' : 'http';
  const appProtocol = tcp ? props.appProtocol ?? 'tcp' : 'http';
  if (props.appProtocol !== undefined && !tcp) {
    problems.add('appProtocol', props.appProtocol, 'is only for a TCP service (an HTTP service always uses appProtocol http)', 'remove it, or set protocol: ServiceProtocol.TCP');
  } else if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(appProtocol)) {
    problems.add('appProtocol', appProtocol, 'is not an application protocol name', 'use an IANA service name such as "postgresql", or "tcp"');
  }
  const metrics = props.metrics ?? true;
  const port = props.port ?? 8080;
  const metricsPort = props.metricsPort ?? 9090;
  const servicePort = props.servicePort ?? (tcp ? port : 80);
  for (const [k, v] of [['port', port], ['metricsPort', metricsPort], ['servicePort', servicePort]] as const) {
    problems.when(!Number.isInteger(v) || v < 1 || v > 65535, k, v, 'is not a port number', 'use an integer between 1 and 65535');
  }
  problems.when(metrics && port === metricsPort, 'metricsPort', metricsPort, `duplicates port (${port})`, 'serve metrics on their own port, e.g. 9090');
  problems.when(metrics && servicePort === metricsPort, 'servicePort', servicePort, `duplicates the metrics port (${metricsPort}) on the Service`,
    'use e.g. 80 for the service port');
  return { protocol, appProtocol, portName, port, metricsPort, servicePort, metrics };
}

/** Probes: the protocol's defaults with the case study's timings; liveness must not be readiness (but for TCP). */
function resolveProbes(problems: Problems, props: ResilientServiceProps, ports: { protocol: ServiceProtocol; portName: string; metrics: boolean }) {
  const tcp = ports.protocol === TCP;
  const { portName, metrics } = ports;
  const p = props.probes ?? {};
  const byDefault = (role: 'startup' | 'liveness' | 'readiness') => tcp ? Probe.tcp(portName) : Probe.http(PROBE_DEFAULTS[role].path);
  // An object that is not a Probe (a cast) is a problem; the default stands in so the rest is checked.
  const given = (role: 'startup' | 'liveness' | 'readiness'): Probe => {
    const probe: unknown = p[role];
    if (probe === undefined) return byDefault(role);
    if (probe instanceof Probe) {
      // Probe.http(path, timing) from a cast: its timing and check are typed too
      const typeProblems = propTypeProblems({ ...probe.timing, ...probe.check }, PROBE_TYPES, `probes.${role}`);
      problems.addAll(typeProblems);
      return typeProblems.length > 0 ? byDefault(role) : probe;
    }
    problems.add(`probes.${role}`, probe, 'is not a Probe', `build it with Probe.http(path) or Probe.tcp(port)${role === 'startup' ? ', or give false' : ''}`);
    return byDefault(role);
  };
  const startup = p.startup === false ? undefined : given('startup').withDefaults(PROBE_DEFAULTS.startup);
  const liveness = given('liveness').withDefaults(PROBE_DEFAULTS.liveness);
  const readiness = given('readiness').withDefaults(PROBE_DEFAULTS.readiness);
  for (const [role, probe] of [['startup', startup], ['liveness', liveness], ['readiness', readiness]] as const) {
    if (!probe) continue;
    problems.addAll(probeProblems(`probes.${role}`, role, probe));
    const named = probe.check.port;
    if (typeof named === 'string' && named !== portName && !(metrics && named === 'metrics')) {
      problems.add(`probes.${role}.port`, named, `names a port the container does not have (it has "${portName}"${metrics ? ' and "metrics"' : ''})`,
        tcp ? `use Probe.tcp('${portName}'), or a port number` : `use the "${portName}" port, or a port number`);
    }
  }
  // A TCP connect is answered by the listening process alone: the same check for liveness and
  // readiness cannot restart pods on a dependency outage, so it is sound for a TCP service.
  const sameCheck = JSON.stringify(liveness.check) === JSON.stringify(readiness.check);
  const sameTcpProbes = tcp && liveness.check.kind === 'tcp' && sameCheck;
  if (!sameTcpProbes && sameCheck) {
    problems.add('probes.liveness', liveness.check.kind === 'http' ? liveness.check.path : liveness.check.port,
      'checks the same endpoint as readiness, so a dependency outage that should only remove pods from load balancing restarts them all',
      'give liveness its own endpoint that checks only the process (e.g. "/health/live")');
  }
  return { probes: { startup, liveness, readiness }, sameTcpProbes };
}

/** The container's environment, mounted files and scratch space. */
function resolveContainer(problems: Problems, props: ResilientServiceProps) {
  const env = props.env ?? {};
  for (const [k, v] of Object.entries(env)) {
    problems.when(!C_IDENTIFIER.test(k), `env.${k}`, k, 'is not a valid environment variable name', 'use letters, digits and "_", not starting with a digit');
    problems.when(typeof v !== 'string', `env.${k}`, v, 'is not a string', 'quote the value');
  }
  const envFromSecrets = props.envFromSecrets ?? [];
  for (const [i, s] of envFromSecrets.entries()) {
    problems.when(!isDnsLabel(s) && !OBJECT_NAME.test(s), `envFromSecrets[${i}]`, s, 'is not a Secret name', 'use the name of a Secret in the same namespace');
  }
  const files = props.files ?? [];
  const mountPaths = new Set<string>(['/tmp']);
  for (const [i, f] of files.entries()) {
    const sources = [f.configMap, f.secret].filter(x => x !== undefined);
    if (sources.length !== 1) {
      problems.add(`files[${i}]`, f, 'must name exactly one of configMap and secret', 'give configMap or secret');
    } else if (!OBJECT_NAME.test(sources[0]!) || sources[0]!.length > 253) {
      problems.add(`files[${i}].${f.configMap !== undefined ? 'configMap' : 'secret'}`, sources[0], 'is not an object name', 'use the name of an object in the same namespace');
    }
    if (!/^\/[^\s]*$/.test(f.mountPath) || mountPaths.has(f.mountPath.replace(/\/+$/, ''))) {
      problems.add(`files[${i}].mountPath`, f.mountPath, 'must be an absolute path, distinct from /tmp and the other mounts', 'use e.g. "/etc/<name>"');
    }
    mountPaths.add(f.mountPath.replace(/\/+$/, ''));
  }
  const tmpSize = props.tmpSize ?? '64Mi';
  problems.when(!/^\d+(Ki|Mi|Gi)$/.test(tmpSize), 'tmpSize', tmpSize, 'is not a byte quantity', 'use e.g. "64Mi"');
  return { command: props.command, args: props.args, env, envFromSecrets, files, tmpSize };
}

/** Shutdown, rollout and disruption: every one leaves a node drain and a rollout possible. */
function resolveRollout(problems: Problems, props: ResilientServiceProps, minReplicas: number) {
  const drain = props.shutdown?.drain ?? Duration.seconds(15);
  const gracePeriod = props.shutdown?.gracePeriod ?? Duration.seconds(30);
  if (!(drain.toSeconds() < gracePeriod.toSeconds())) {
    problems.add('shutdown.drain', formatDuration(drain), `must be shorter than the grace period (${formatDuration(gracePeriod)}), or in-flight requests are killed`,
      `lower the drain or raise shutdown.gracePeriod above ${formatDuration(drain)} (the case study: drain 15 s, grace 30 s)`);
  }
  const afterDrain = props.shutdown?.afterDrain;
  problems.when(afterDrain !== undefined && (typeof afterDrain !== 'string' || afterDrain.trim() === '' || /[\n\r]/.test(afterDrain)),
    'shutdown.afterDrain', afterDrain, 'must be a one-line shell command', 'use e.g. "kill -INT 1; while kill -0 1; do sleep 1; done"');
  const maxSurge = props.rollout?.maxSurge ?? 2;
  const minReady = props.rollout?.minReady ?? Duration.seconds(10);
  const progressDeadline = props.rollout?.progressDeadline ?? Duration.minutes(10);
  const revisionHistoryLimit = props.rollout?.revisionHistoryLimit ?? 5;
  if (!(typeof maxSurge === 'number' ? Number.isInteger(maxSurge) && maxSurge >= 1 : PERCENT.test(maxSurge))) {
    problems.add('rollout.maxSurge', maxSurge, 'must be >= 1 (or 1%-100%): with maxUnavailable 0 a rollout needs surge to progress', 'use e.g. 2 or "25%"');
  }
  problems.when(!(progressDeadline.toSeconds() > minReady.toSeconds()), 'rollout.progressDeadline', formatDuration(progressDeadline),
    `must be longer than minReady (${formatDuration(minReady)})`, 'use e.g. 10 minutes');
  problems.when(!Number.isInteger(revisionHistoryLimit) || revisionHistoryLimit < 1, 'rollout.revisionHistoryLimit', revisionHistoryLimit,
    'must keep at least one old revision to roll back to', 'use e.g. 5');

  const d = props.disruption ?? {};
  if (d.minAvailable !== undefined && d.maxUnavailable !== undefined) {
    problems.add('disruption', d, 'sets both minAvailable and maxUnavailable, which a PodDisruptionBudget rejects', 'set only one');
  }
  let disruption: ResolvedResilientServiceProps['disruption'];
  if (d.minAvailable !== undefined) {
    problems.when(!Number.isInteger(d.minAvailable) || d.minAvailable < 1 || d.minAvailable >= minReplicas, 'disruption.minAvailable', d.minAvailable,
      `must be an integer between 1 and replicas - 1 (${minReplicas - 1}), or no node can ever be drained`, `use at most ${minReplicas - 1}, or maxUnavailable: 1`);
    disruption = { minAvailable: d.minAvailable };
  } else {
    const mu = d.maxUnavailable ?? 1;
    problems.when(!(typeof mu === 'number' ? Number.isInteger(mu) && mu >= 1 : PERCENT.test(mu)), 'disruption.maxUnavailable', mu,
      'must allow at least one pod to be evicted, or no node can ever be drained', 'use 1 (or a percentage such as "25%")');
    disruption = { maxUnavailable: mu };
  }
  return { drain, gracePeriod, afterDrain, maxSurge, minReady, progressDeadline, revisionHistoryLimit, disruption };
}

/**
 * The Istio client-side policy: timeout and retries (HTTP only), connection pool and outlier
 * detection by protocol.
 */
function resolveTraffic(problems: Problems, props: ResilientServiceProps, tcp: boolean) {
  const given = props.traffic;
  if (tcp) {
    const httpOnly = 'is HTTP-only: a TCP route has no requests to time out or retry (a stream cannot be replayed)';
    if (given?.timeout !== undefined) problems.add('traffic.timeout', formatDuration(given.timeout), httpOnly, 'remove it; bound connection setup with traffic.connectionPool.tcp.connectTimeout');
    if (given?.retries !== undefined && given.retries !== false) {
      problems.add('traffic.retries', given.retries.attempts, httpOnly, 'remove it; clients of a TCP service retry at their own protocol level');
    }
    if (given?.connectionPool?.http !== undefined) {
      problems.add('traffic.connectionPool.http', given.connectionPool.http, 'is HTTP-only: the limits of a TCP service are in connectionPool.tcp',
        'move the limits to connectionPool.tcp (maxConnections, connectTimeout)');
    }
  }
  const timeout = given?.timeout ?? Duration.seconds(10);
  const r = tcp ? false : given?.retries;
  const retries: ResolvedRetries | undefined = r === false ? undefined : {
    attempts: r?.attempts ?? 2,
    perTryTimeout: r?.perTryTimeout ?? Duration.seconds(3),
    retryOn: r?.retryOn ?? DEFAULT_RETRY_ON,
  };
  if (retries) {
    const { attempts, perTryTimeout } = retries;
    const total = (attempts + 1) * perTryTimeout.toSeconds();
    if (!Number.isInteger(attempts) || attempts < 0 || attempts > 10) {
      problems.add('traffic.retries.attempts', attempts, 'must be an integer between 0 and 10', 'use e.g. 2');
    } else if (total > timeout.toSeconds()) {
      problems.add('traffic.retries', `${attempts} x ${formatDuration(perTryTimeout)}`, `can take ${total} s with the first try, longer than the timeout (${formatDuration(timeout)})`,
        'lower attempts or perTryTimeout, or raise traffic.timeout');
    }
  }
  const connectionPool: IstioConnectionPool = given?.connectionPool ?? (tcp ? { tcp: { maxConnections: 100, connectTimeout: '5s' } } : {
    tcp: { maxConnections: 100 },
    http: { http1MaxPendingRequests: 50, http2MaxRequests: 100, maxRequestsPerConnection: 2 },
  });
  // Over an opaque TCP connection Istio counts connect timeouts and failures as gateway errors;
  // 5xx detection is turned off because a TCP stream has no responses.
  const outlierDetection: IstioOutlierDetection = given?.outlierDetection ?? (tcp
    ? { consecutive5xxErrors: 0, consecutiveGatewayErrors: 5, interval: '30s', baseEjectionTime: '30s', maxEjectionPercent: 50 }
    : { consecutive5xxErrors: 5, interval: '30s', baseEjectionTime: '30s', maxEjectionPercent: 50 });
  return { timeout, retries, connectionPool, outlierDetection };
}
