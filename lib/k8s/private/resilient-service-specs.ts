/*
 * Internal: The build phase of {@link ResilientService}, as pure functions of its resolved props:
 * the labels and the spec of each object it creates (but the NetworkPolicy and the Sidecar, which
 * follow the dependency graph and render lazily in the construct).
 */
import { Duration } from 'cdk8s';
import { LABELS, MANAGED_BY, isLabelValue } from '../../core/labels';
import { renderProbe } from '../workload-options';
import { preStopSleep } from './pod';
import type { ResolvedResilientServiceProps, ResolvedRetries } from './resilient-service-props';
import { hardenedContainer, hardenedDeploymentSpec } from './workload';

/** The labels of a service's objects and the selectors of its pods. */
export interface ServiceLabels {
  /** The Deployment's and the Service's selector (name and instance). */
  readonly selectorLabels: Record<string, string>;
  /** The instance label alone: what policies select (it survives Flagger's `-primary` rewrite of the name). */
  readonly podSelector: Record<string, string>;
  /** Labels on every object. */
  readonly labels: Record<string, string>;
}

/** The labels of the service `s`: selectors, ownership and the image's tag as its version. */
export function serviceLabels(s: ResolvedResilientServiceProps): ServiceLabels {
  const instance = { [LABELS.instance]: `${s.name}-${s.namespace}` };
  const selectorLabels = { [LABELS.name]: s.name, ...instance };
  const version = imageVersion(s.image);
  const labels = {
    ...selectorLabels,
    [LABELS.component]: 'service',
    [LABELS.partOf]: s.namespace,
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.team]: s.team,
    [LABELS.tier]: s.tier,
    ...(version ? { [LABELS.version]: version } : {}),
  };
  return { selectorLabels, podSelector: instance, labels };
}

/** The Deployment's spec: the hardened workload with the service's container, probes, rollout and mounts. */
export function deploymentSpec(s: ResolvedResilientServiceProps, l: ServiceLabels): Record<string, unknown> {
  // 0440: readable by the pod's group (fsGroup) only.
  const fileVolumes = s.files.map((f, i) => ({
    name: `files-${i}`,
    ...(f.secret !== undefined
      ? { secret: { secretName: f.secret, defaultMode: 0o440 } }
      : { configMap: { name: f.configMap, defaultMode: 0o440 } }),
  }));
  const container = hardenedContainer({
    name: s.name,
    image: s.image,
    command: s.command,
    args: s.args,
    ports: [{ name: s.portName, port: s.port }, ...(s.metrics ? [{ name: 'metrics', port: s.metricsPort }] : [])],
    env: Object.entries(s.env).map(([name, value]) => ({ name, value })),
    envFrom: s.envFromSecrets.map(name => ({ secretRef: { name } })),
    resources: s.resources,
    probes: {
      startup: s.probes.startup ? renderProbe(s.probes.startup) : undefined,
      liveness: renderProbe(s.probes.liveness),
      readiness: renderProbe(s.probes.readiness),
    },
    lifecycle: s.afterDrain === undefined
      ? preStopSleep(s.drain.toSeconds())
      : { preStop: { exec: { command: ['/bin/sh', '-c', `sleep ${s.drain.toSeconds()}; ${s.afterDrain}`] } } },
    identity: s.identity,
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...s.files.map((f, i) => ({ name: `files-${i}`, mountPath: f.mountPath, readOnly: true }))],
  });
  return hardenedDeploymentSpec({
    replicas: s.autoscaled ? undefined : s.minReplicas,
    selector: l.selectorLabels,
    // podSelector: Flagger's -primary copy keeps app.kubernetes.io/instance, so it spreads its own pods too
    spreadSelector: l.podSelector,
    labels: l.labels,
    rollout: {
      maxSurge: s.maxSurge,
      minReadySeconds: s.minReady.toSeconds(),
      progressDeadlineSeconds: s.progressDeadline.toSeconds(),
      revisionHistoryLimit: s.revisionHistoryLimit,
    },
    serviceAccountName: s.name,
    priorityClassName: s.priorityClassName,
    identity: s.identity,
    terminationGracePeriodSeconds: s.gracePeriod.toSeconds(),
    container,
    volumes: [{ name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: s.tmpSize } }, ...fileVolumes],
  });
}

/** The ClusterIP Service: the serving port, and the metrics port when metrics are served. */
export function serviceSpec(s: ResolvedResilientServiceProps, l: ServiceLabels): Record<string, unknown> {
  return {
    type: 'ClusterIP',
    selector: l.selectorLabels,
    ports: [
      { name: s.portName, port: s.servicePort, targetPort: s.portName, protocol: 'TCP', appProtocol: s.appProtocol },
      ...(s.metrics ? [{ name: 'metrics', port: s.metricsPort, targetPort: 'metrics', protocol: 'TCP', appProtocol: 'http' }] : []),
    ],
  };
}

/** The PodDisruptionBudget over every pod of the service (the canary's and the primary's). */
export function disruptionBudgetSpec(s: ResolvedResilientServiceProps, l: ServiceLabels): Record<string, unknown> {
  return { ...s.disruption, selector: { matchLabels: l.podSelector }, unhealthyPodEvictionPolicy: 'AlwaysAllow' };
}

/** The HorizontalPodAutoscaler: quick scale-up, slow scale-down. Only with autoscaling. */
export function autoscalerSpec(s: ResolvedResilientServiceProps): Record<string, unknown> {
  const a = s.autoscaling!;
  return {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: s.name },
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    metrics: [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.cpuUtilization } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: a.memoryUtilization } } },
      ...a.podMetrics.map(m => ({ type: 'Pods', pods: { metric: { name: m.name }, target: { type: 'AverageValue', averageValue: m.averageValue } } })),
    ],
    behavior: {
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }] },
      scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
    },
  };
}

/** The DestinationRule: connection pool, outlier detection and mesh mTLS for every caller. */
export function destinationRuleSpec(s: ResolvedResilientServiceProps) {
  return { host: s.host, trafficPolicy: { connectionPool: s.connectionPool, outlierDetection: s.outlierDetection, tls: { mode: 'ISTIO_MUTUAL' as const } } };
}

/** The VirtualService: an `http` route with timeout and retries, or (TCP) a `tcp` route only. */
export function virtualServiceSpec(s: ResolvedResilientServiceProps): any {
  // A TCP service gets a `tcp` route only: no timeout or retries exist for an opaque stream.
  if (s.protocol as string === 'tcp') {
    const destination = { host: s.host, port: { number: s.servicePort } };
    return { hosts: [s.host], tcp: [{ match: [{ port: s.servicePort }], route: [{ destination }] }] };
  }
  return { hosts: [s.host], http: [defaultHttpRoute(s)] };
}

/** What an HTTP route to a service needs of it: its host and port, its timeout and retries. */
export interface HttpRouteTarget {
  readonly host: string;
  readonly servicePort: number;
  readonly timeout: Duration;
  readonly retries?: ResolvedRetries;
}

/**
 * The route to an HTTP service with its own timeout and retries (none: `attempts: 0`, since
 * Istio retries twice when a route names none): the service's VirtualService and the
 * EntryGateway's public one route with it.
 * @see https://istio.io/latest/docs/concepts/traffic-management/#retries (the default: 2 retries)
 */
export function defaultHttpRoute(target: HttpRouteTarget) {
  return {
    name: 'default',
    route: [{ destination: { host: target.host, port: { number: target.servicePort } } }],
    timeout: `${target.timeout.toSeconds()}s`,
    retries: target.retries
      ? { attempts: target.retries.attempts, perTryTimeout: `${target.retries.perTryTimeout.toSeconds()}s`, retryOn: target.retries.retryOn }
      : { attempts: 0 },
  };
}

/** The tag of an image reference, if it is a valid label value. */
function imageVersion(image: string): string | undefined {
  const noDigest = image.split('@')[0];
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', lastSlash + 1);
  const tag = colon >= 0 ? noDigest.slice(colon + 1) : undefined;
  return tag && isLabelValue(tag) ? tag : undefined;
}
