/*
 * Internal: The one hardened Deployment of the library: the container, the Deployment spec
 * around it and, for the stateless components of the monitoring and tracing stacks, the whole
 * set (ServiceAccount without token, Deployment, Service, PDB, default-deny NetworkPolicy).
 * ResilientService renders its Deployment with the same container and spec builders.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { containerSecurityContext, hardenedPodBasics, preStopSleep, zoneSpread } from './pod';
import { NetworkPeer } from '../dependency';
import { renderNetworkPolicySpec } from './network';
import { ContainerCommand, PodIdentity, ResolvedResources, renderResources } from '../workload-options';

/** @internal The main container of a hardened workload. */
export interface HardenedContainerInput extends ContainerCommand {
  readonly name: string;
  readonly image: string;
  readonly ports: ReadonlyArray<{ readonly name: string; readonly port: number; readonly protocol?: 'TCP' | 'UDP' }>;
  readonly env?: ReadonlyArray<Record<string, unknown>>;
  readonly envFrom?: ReadonlyArray<Record<string, unknown>>;
  readonly resources: ResolvedResources;
  /** Rendered probes (`startupProbe` is left out when undefined). */
  readonly probes: {
    readonly startup?: Record<string, unknown>;
    readonly liveness: Record<string, unknown>;
    readonly readiness: Record<string, unknown>;
  };
  /** The container's `lifecycle` (its drain). */
  readonly lifecycle: Record<string, unknown>;
  readonly identity: { readonly user: number; readonly group: number };
  readonly volumeMounts: ReadonlyArray<Record<string, unknown>>;
}

/** @internal A container running as the pod's identity: no privilege, no capabilities, read-only root. */
export function hardenedContainer(c: HardenedContainerInput): Record<string, unknown> & { readonly name: string } {
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    ...(c.command ? { command: [...c.command] } : {}),
    ...(c.args ? { args: [...c.args] } : {}),
    ports: c.ports.map(p => ({ name: p.name, containerPort: p.port, protocol: p.protocol ?? 'TCP' })),
    ...(c.env?.length ? { env: c.env.map(e => ({ ...e })) } : {}),
    ...(c.envFrom?.length ? { envFrom: c.envFrom.map(e => ({ ...e })) } : {}),
    resources: renderResources(c.resources),
    ...(c.probes.startup ? { startupProbe: c.probes.startup } : {}),
    livenessProbe: c.probes.liveness,
    readinessProbe: c.probes.readiness,
    lifecycle: c.lifecycle,
    securityContext: containerSecurityContext(c.identity),
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [...c.volumeMounts],
  };
}

/** @internal The Deployment around a hardened container. */
export interface HardenedDeploymentSpecInput {
  /** Left out when an HPA owns the replica count. */
  readonly replicas?: number;
  readonly selector: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly annotations?: Record<string, string>;
  /** Labels the zone and host spread count (labels every controller keeps on the pods). @default - the selector */
  readonly spreadSelector?: Record<string, string>;
  readonly rollout: {
    readonly maxSurge: number | string;
    readonly minReadySeconds: number;
    readonly progressDeadlineSeconds?: number;
    readonly revisionHistoryLimit: number;
  };
  readonly serviceAccountName: string;
  readonly priorityClassName: string;
  readonly identity: Required<PodIdentity>;
  readonly terminationGracePeriodSeconds: number;
  readonly container: Record<string, unknown> & { readonly name: string };
  readonly volumes: ReadonlyArray<Record<string, unknown>>;
}

/**
 * @internal A Deployment spec that rolls out without losing capacity (maxUnavailable 0),
 * spreads over zones and hosts, runs restricted (no token, no service links, non-root).
 */
export function hardenedDeploymentSpec(d: HardenedDeploymentSpecInput): Record<string, unknown> {
  return {
    ...(d.replicas === undefined ? {} : { replicas: d.replicas }),
    selector: { matchLabels: d.selector },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: d.rollout.maxSurge, maxUnavailable: 0 } },
    minReadySeconds: d.rollout.minReadySeconds,
    ...(d.rollout.progressDeadlineSeconds === undefined ? {} : { progressDeadlineSeconds: d.rollout.progressDeadlineSeconds }),
    revisionHistoryLimit: d.rollout.revisionHistoryLimit,
    template: {
      metadata: { labels: d.labels, annotations: { 'kubectl.kubernetes.io/default-container': d.container.name, ...d.annotations } },
      spec: {
        ...hardenedPodBasics({ serviceAccountName: d.serviceAccountName, priorityClassName: d.priorityClassName, identity: d.identity }),
        terminationGracePeriodSeconds: d.terminationGracePeriodSeconds,
        topologySpreadConstraints: zoneSpread(d.spreadSelector ?? d.selector),
        containers: [d.container],
        volumes: [...d.volumes],
      },
    },
  };
}

/** @internal A ServiceAccount whose token is not mounted (the pods that need one ask for it). */
export function serviceAccountWithoutToken(scope: Construct, id: string, metadata: Record<string, unknown>): ApiObject {
  return new ApiObject(scope, id, { apiVersion: 'v1', kind: 'ServiceAccount', metadata, automountServiceAccountToken: false } as any);
}

/** @internal Inputs of {@link hardenedDeployment}. */
export interface HardenedDeploymentInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  readonly replicas: number;
  readonly image: string;
  readonly args: readonly string[];
  readonly ports: ReadonlyArray<{ readonly name: string; readonly port: number; readonly protocol?: 'TCP' | 'UDP' }>;
  readonly liveness: { readonly path: string; readonly port: string };
  readonly readiness: { readonly path: string; readonly port: string };
  readonly resources: ResolvedResources;
  readonly identity: Required<PodIdentity>;
  readonly priorityClassName: string;
  readonly configMap?: { readonly name: string; readonly mountPath: string };
  readonly ingress: readonly NetworkPeer[];
  readonly egress: readonly NetworkPeer[];
  readonly meshNamespace: string;
  readonly annotations?: Record<string, string>;
  /** Ingress rules added verbatim (e.g. from every namespace: `{ from: [{ namespaceSelector: {} }] }`). */
  readonly extraIngress?: ReadonlyArray<Record<string, unknown>>;
  /** Environment of the container. */
  readonly env?: ReadonlyArray<Record<string, unknown>>;
  /**
   * The image has no shell (distroless): drain with the kubelet's `sleep` action instead of
   * `sh -c sleep`.
   * @default false
   */
  readonly distroless?: boolean;
}

/** The objects of a hardened stateless component (`MonitoringStack.query`, `TraceCollector.gateway` and `.sampler`). */
export interface HardenedDeploymentObjects {
  readonly serviceAccount: ApiObject;
  readonly deployment: ApiObject;
  readonly service: ApiObject;
  readonly podDisruptionBudget: ApiObject;
  readonly networkPolicy: ApiObject;
}

/**
 * @internal A hardened Deployment with its ServiceAccount (no token), Service, PDB
 * (maxUnavailable 1) and default-deny NetworkPolicy, for the stateless components of the monitoring and tracing stacks.
 */
export function hardenedDeployment(scope: Construct, input: HardenedDeploymentInput): HardenedDeploymentObjects {
  const meta = { name: input.name, namespace: input.namespace, labels: input.labels };
  const serviceAccount = serviceAccountWithoutToken(scope, 'ServiceAccount', meta);
  const probe = (p: { path: string; port: string }, period: number, failures: number) => ({
    httpGet: { path: p.path, port: p.port, scheme: 'HTTP' }, initialDelaySeconds: 0, periodSeconds: period, timeoutSeconds: 3, failureThreshold: failures, successThreshold: 1,
  });
  const volumes: Record<string, unknown>[] = [{ name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }];
  const mounts: Record<string, unknown>[] = [{ name: 'tmp', mountPath: '/tmp' }];
  if (input.configMap) {
    volumes.push({ name: 'config', configMap: { name: input.configMap.name } });
    mounts.push({ name: 'config', mountPath: input.configMap.mountPath, readOnly: true });
  }
  const deployment = new ApiObject(scope, 'Deployment', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta,
    spec: hardenedDeploymentSpec({
      replicas: input.replicas,
      selector: input.selector,
      labels: input.labels,
      annotations: input.annotations,
      rollout: { maxSurge: 1, minReadySeconds: 5, revisionHistoryLimit: 5 },
      serviceAccountName: input.name,
      priorityClassName: input.priorityClassName,
      identity: input.identity,
      terminationGracePeriodSeconds: 30,
      container: hardenedContainer({
        name: input.name,
        image: input.image,
        args: input.args,
        ports: input.ports,
        env: input.env,
        resources: input.resources,
        probes: { startup: probe(input.readiness, 5, 30), liveness: probe(input.liveness, 10, 3), readiness: probe(input.readiness, 5, 2) },
        lifecycle: input.distroless ? { preStop: { sleep: { seconds: 10 } } } : preStopSleep(10),
        identity: input.identity,
        volumeMounts: mounts,
      }),
      volumes,
    }),
  });
  const service = new ApiObject(scope, 'Service', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta,
    spec: {
      type: 'ClusterIP',
      selector: input.selector,
      ports: input.ports.map(p => ({ name: p.name, port: p.port, targetPort: p.name, protocol: p.protocol ?? 'TCP' })),
    },
  });
  const podDisruptionBudget = new ApiObject(scope, 'PodDisruptionBudget', {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta,
    spec: { maxUnavailable: 1, selector: { matchLabels: input.selector }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
  });
  const networkPolicy = new ApiObject(scope, 'NetworkPolicy', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta,
    spec: withExtraIngress(
      renderNetworkPolicySpec({ podSelector: input.selector, ingress: input.ingress, egress: input.egress, meshNamespace: input.meshNamespace }),
      input.extraIngress ?? []),
  });
  return { serviceAccount, deployment, service, podDisruptionBudget, networkPolicy };
}

function withExtraIngress(spec: Record<string, unknown>, extra: ReadonlyArray<Record<string, unknown>>): Record<string, unknown> {
  return extra.length ? { ...spec, ingress: [...(spec.ingress as unknown[]), ...extra] } : spec;
}
