/*
 * Internal: The hardened pod pieces every workload construct shares (ResilientService now,
 * the stateful constructs later): security contexts, zone spread, graceful shutdown.
 */
import { LABELS } from '../../core/labels';

/** Pod-level security context: Pod Security Standards "restricted" and more. */
export function podSecurityContext(id: { user: number; group: number; fsGroup: number }): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: id.user,
    runAsGroup: id.group,
    fsGroup: id.fsGroup,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * The fields every hardened pod spec starts with: the workload's own ServiceAccount with its API
 * token left unmounted (`apiToken: true` only for Pods that call the API), no service-link
 * environment variables, the priority class and the non-root pod security context.
 */
export function hardenedPodBasics(o: {
  serviceAccountName: string;
  priorityClassName: string;
  identity: { user: number; group: number; fsGroup: number };
  apiToken?: boolean;
}): Record<string, unknown> {
  return {
    serviceAccountName: o.serviceAccountName,
    automountServiceAccountToken: o.apiToken ?? false,
    enableServiceLinks: false,
    priorityClassName: o.priorityClassName,
    securityContext: podSecurityContext(o.identity),
  };
}

/** Container-level security context: no privilege, no capabilities, read-only root. */
export function containerSecurityContext(id: { user: number; group: number }, readOnlyRoot = true): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: id.user,
    runAsGroup: id.group,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: readOnlyRoot,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * Spread across zones (hard: maxSkew 1, DoNotSchedule) and hosts (soft: ScheduleAnyway), so
 * 10 replicas on 3 zones schedule 4/3/3 where a required anti-affinity would strand the 4th.
 * `nodeTaintsPolicy: Honor` leaves a failed zone's tainted nodes out of the skew, so
 * replacements still schedule in the surviving zones during a zone outage.
 */
export function zoneSpread(selector: Record<string, string>, perRollout = true): Record<string, unknown>[] {
  const common = {
    labelSelector: { matchLabels: selector },
    // Deployments: count only the current ReplicaSet's pods, so a rollout spreads too.
    ...(perRollout ? { matchLabelKeys: ['pod-template-hash'] } : {}),
    nodeAffinityPolicy: 'Honor',
    nodeTaintsPolicy: 'Honor',
  };
  return [
    { ...common, maxSkew: 1, topologyKey: LABELS.zone, whenUnsatisfiable: 'DoNotSchedule' },
    { ...common, maxSkew: 1, topologyKey: LABELS.hostname, whenUnsatisfiable: 'ScheduleAnyway' },
  ];
}

/** A preStop hook that keeps serving while endpoints and proxies drop the pod. */
export function preStopSleep(seconds: number): Record<string, unknown> {
  return { preStop: { exec: { command: ['/bin/sh', '-c', `sleep ${seconds}`] } } };
}
