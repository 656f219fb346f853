/**
 * The default rule pack: Pod Security Standards "restricted", kube-score / Polaris style
 * workload checks, availability rules, and the case study's probe guidance (section 2.2).
 *
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
 */
import { FindingCause } from './causes';
import { CONTRACT_RULES } from './contract-rules';
import { DUPLICATE_RULE } from './duplicates';
import { NAME_RULE } from './names';
import { CheckedObject, LabelSelector, ObjectIndex, REPLICATED_KINDS, WORKLOAD_KINDS, podLabelsOf, podSpecOf, workloadsSelectedBy } from './object-index';
import { REFERENCE_RULE } from './references';
import { parseQuantity } from '../core/quantity';

/** What a rule reports for one object. */
export interface RuleResult {
  readonly message: string;
  readonly fix: string;
  /** The cause, when the same one shows on many objects: the pass reports it once, listing them. */
  readonly cause?: FindingCause;
}

/** A check over one object (with the app's index for cross-object rules). */
export interface Rule {
  /** Stable id, e.g. `NINES-PSS-07`. */
  readonly id: string;
  readonly severity: 'error' | 'warning';
  /** One line: what the rule demands. */
  readonly description: string;
  /** Kinds the rule looks at (all kinds when unset). */
  readonly appliesTo?: ReadonlySet<string>;
  check(obj: CheckedObject, index: ObjectIndex): RuleResult[];
}

/** All containers of a pod spec, init and ephemeral included, with their list name. */
function containersOf(spec: any): Array<{ c: any; where: string }> {
  const out: Array<{ c: any; where: string }> = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    (spec?.[list] ?? []).forEach((c: any, i: number) => out.push({ c, where: `${list}[${i}] "${c?.name}"` }));
  }
  return out;
}

/** Builds a rule over every container of every workload's pod spec. */
function containerRule(id: string, description: string, fn: (c: any, pod: any, where: string) => RuleResult | undefined, severity: 'error' | 'warning' = 'error'): Rule {
  return {
    id,
    severity,
    description,
    appliesTo: WORKLOAD_KINDS,
    check(o) {
      const pod = podSpecOf(o);
      const out: RuleResult[] = [];
      for (const { c, where } of containersOf(pod)) {
        const r = fn(c, pod, where);
        if (r) out.push(r);
      }
      return out;
    },
  };
}

/** Builds a rule over each workload's pod spec. */
function podRule(id: string, description: string, fn: (pod: any, o: CheckedObject, index: ObjectIndex) => RuleResult[], severity: 'error' | 'warning' = 'error', kinds: ReadonlySet<string> = WORKLOAD_KINDS): Rule {
  return { id, severity, description, appliesTo: kinds, check: (o, index) => fn(podSpecOf(o) ?? {}, o, index) };
}

/** An effective container security setting: the container's, else the pod's. */
function effective(c: any, pod: any, key: string): any {
  return c?.securityContext?.[key] ?? pod?.securityContext?.[key];
}

const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret', 'name']);
const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

/** Replicas a workload runs with: the HPA's minimum when one targets it. */
function replicasOf(o: CheckedObject, index: ObjectIndex): number {
  const hpa = index.hpaByTarget.get(`${o.namespace}/${o.kind}/${o.name}`);
  if (hpa) return Number(hpa.json.spec?.minReplicas ?? 1);
  return Number(o.json.spec?.replicas ?? 1);
}

function seconds(command: unknown): number | undefined {
  const text = Array.isArray(command) ? command.join(' ') : '';
  const m = /(?:^|\s|;|&)sleep\s+(\d+(?:\.\d+)?)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The default rule pack. */
/** A rule that the selector of every object of `kind` selects some workload's pods in its namespace. */
function selectsAWorkload(
  id: string, kind: string, description: string, fix: string,
  selectorOf: (o: CheckedObject) => { shown: unknown; selector: LabelSelector } | undefined,
): Rule {
  return {
    id,
    severity: 'error',
    description,
    appliesTo: new Set([kind]),
    check(o, index) {
      const sel = selectorOf(o);
      if (!sel || workloadsSelectedBy(index, o.namespace, sel.selector).length > 0) return [];
      return [{ message: `selector ${JSON.stringify(sel.shown)} matches no workload's pods`, fix }];
    },
  };
}

export const DEFAULT_RULES: readonly Rule[] = [
  // ---- Pod Security Standards: restricted ----
  podRule('NINES-PSS-01', 'Pods do not share the host network, PID or IPC namespaces', pod =>
    ['hostNetwork', 'hostPID', 'hostIPC'].filter(k => pod[k] === true).map(k => ({ message: `${k} is true`, fix: `remove ${k}` }))),
  containerRule('NINES-PSS-02', 'Containers are not privileged', (c, _p, w) =>
    c.securityContext?.privileged === true ? { message: `${w} is privileged`, fix: 'set securityContext.privileged: false' } : undefined),
  containerRule('NINES-PSS-03', 'Containers drop ALL capabilities and add at most NET_BIND_SERVICE', (c, _p, w) => {
    const caps = c.securityContext?.capabilities ?? {};
    const added = (caps.add ?? []).filter((x: string) => x !== 'NET_BIND_SERVICE');
    if (!(caps.drop ?? []).includes('ALL')) return { message: `${w} does not drop ALL capabilities`, fix: 'set securityContext.capabilities.drop: ["ALL"]' };
    if (added.length) return { message: `${w} adds capabilities ${added.join(', ')}`, fix: 'add only NET_BIND_SERVICE, if anything' };
    return undefined;
  }),
  podRule('NINES-PSS-04', 'Pods use only the restricted volume types (no hostPath)', pod =>
    (pod.volumes ?? []).flatMap((v: any) => {
      const bad = Object.keys(v).filter(k => !RESTRICTED_VOLUMES.has(k));
      return bad.length ? [{ message: `volume "${v.name}" is of type ${bad.join(', ')}`, fix: 'use configMap, secret, emptyDir, projected, downwardAPI, csi, ephemeral or persistentVolumeClaim volumes' }] : [];
    })),
  containerRule('NINES-PSS-05', 'Containers expose no host ports', (c, _p, w) =>
    (c.ports ?? []).some((p: any) => p.hostPort) ? { message: `${w} uses a hostPort`, fix: 'remove hostPort; expose the port through a Service' } : undefined),
  containerRule('NINES-PSS-06', 'Containers disallow privilege escalation', (c, _p, w) =>
    c.securityContext?.allowPrivilegeEscalation !== false ? { message: `${w} does not set allowPrivilegeEscalation: false`, fix: 'set securityContext.allowPrivilegeEscalation: false' } : undefined),
  containerRule('NINES-PSS-07', 'Containers run as non-root', (c, pod, w) =>
    effective(c, pod, 'runAsNonRoot') !== true ? { message: `${w} may run as root (runAsNonRoot not true)`, fix: 'set securityContext.runAsNonRoot: true on the pod or container' } : undefined),
  containerRule('NINES-PSS-08', 'Containers do not run as UID 0', (c, pod, w) =>
    effective(c, pod, 'runAsUser') === 0 ? { message: `${w} sets runAsUser: 0`, fix: 'run as a non-zero UID (>= 10000)' } : undefined),
  containerRule('NINES-PSS-09', 'Containers use the RuntimeDefault (or a Localhost) seccomp profile', (c, pod, w) => {
    const t = effective(c, pod, 'seccompProfile')?.type;
    return t === 'RuntimeDefault' || t === 'Localhost' ? undefined : { message: `${w} has seccomp profile ${t ?? 'unset'}`, fix: 'set securityContext.seccompProfile.type: RuntimeDefault on the pod' };
  }),

  // ---- Hardening beyond restricted ----
  containerRule('NINES-HARD-01', 'Containers have a read-only root filesystem', (c, _p, w) =>
    c.securityContext?.readOnlyRootFilesystem !== true ? { message: `${w} has a writable root filesystem`, fix: 'set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the process writes (/tmp)' } : undefined),
  containerRule('NINES-HARD-02', 'Containers run with UID and GID >= 10000', (c, pod, w) => {
    const uid = effective(c, pod, 'runAsUser');
    const gid = effective(c, pod, 'runAsGroup');
    return typeof uid === 'number' && uid >= 10000 && typeof gid === 'number' && gid >= 10000 ? undefined
      : { message: `${w} runs as uid ${uid ?? 'unset'} / gid ${gid ?? 'unset'}, which may map to a host user`, fix: 'set runAsUser and runAsGroup >= 10000 (e.g. 10001)' };
  }),
  podRule('NINES-HARD-03', 'Pods do not mount a service account token unless they call the API', pod =>
    pod.automountServiceAccountToken !== false ? [{ message: 'the service account token is mounted', fix: 'set automountServiceAccountToken: false on the pod (and the ServiceAccount)' }] : []),
  containerRule('NINES-HARD-04', 'Images are pinned to a tag other than latest, or a digest', (c, _p, w) => {
    const img = String(c.image ?? '');
    if (/@sha256:[a-f0-9]{64}$/.test(img)) return undefined;
    const tag = img.includes(':', img.lastIndexOf('/') + 1) ? img.slice(img.lastIndexOf(':') + 1) : '';
    return tag === '' || tag === 'latest' ? { message: `${w} image "${img}" is not pinned`, fix: 'use an immutable tag or a digest' } : undefined;
  }),

  // ---- Workload hygiene (kube-score / Polaris style) ----
  containerRule('NINES-WL-01', 'Containers set CPU and memory requests and a memory limit', (c, _p, w) => {
    const r = c.resources ?? {};
    const missing = [['requests', 'cpu'], ['requests', 'memory'], ['limits', 'memory']].filter(([k, n]) => r[k]?.[n] === undefined).map(([k, n]) => `${k}.${n}`);
    return missing.length ? { message: `${w} has no ${missing.join(', ')}`, fix: 'set cpu and memory requests and a memory limit' } : undefined;
  }),
  containerRule('NINES-WL-02', 'Requests do not exceed limits', (c, _p, w) => {
    const r = c.resources ?? {};
    for (const res of ['cpu', 'memory', 'ephemeral-storage']) {
      const req = r.requests?.[res] !== undefined ? parseQuantity(String(r.requests[res])) : undefined;
      const lim = r.limits?.[res] !== undefined ? parseQuantity(String(r.limits[res])) : undefined;
      if (req !== undefined && lim !== undefined && req > lim) return { message: `${w} requests ${res} ${r.requests[res]} above its limit ${r.limits[res]}`, fix: 'lower the request or raise the limit' };
    }
    return undefined;
  }),
  containerRule('NINES-WL-03', 'Containers set ephemeral-storage requests and limits', (c, _p, w) =>
    c.resources?.requests?.['ephemeral-storage'] === undefined || c.resources?.limits?.['ephemeral-storage'] === undefined
      ? { message: `${w} sets no ephemeral-storage request and limit`, fix: 'set resources.requests/limits["ephemeral-storage"]' } : undefined, 'warning'),
  podRule('NINES-WL-04', 'Long-running containers have distinct liveness and readiness probes', pod =>
    (pod.containers ?? []).flatMap((c: any) => {
      if (!c.readinessProbe || !c.livenessProbe) {
        return [{ message: `container "${c.name}" has no ${!c.readinessProbe ? 'readinessProbe' : 'livenessProbe'}`, fix: 'add readiness and liveness probes on separate endpoints' }];
      }
      const check = (p: any) => JSON.stringify(p.httpGet ?? p.tcpSocket ?? p.exec ?? p.grpc);
      return check(c.readinessProbe) === check(c.livenessProbe)
        ? [{ message: `container "${c.name}" uses the same check for liveness and readiness`, fix: 'point liveness at a process-only endpoint (e.g. /health/live) so dependency failures do not restart pods' }] : [];
    }), 'error', LONG_RUNNING),
  containerRule('NINES-WL-05', 'Probes follow the case study: period >= 5 s, timeout < period, liveness failureThreshold >= 2', (c, _p, w) => {
    const bad: string[] = [];
    for (const kind of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      const p = c[kind];
      if (!p) continue;
      const period = p.periodSeconds ?? 10;
      const timeout = p.timeoutSeconds ?? 1;
      if (period < 5) bad.push(`${kind}.periodSeconds ${period} < 5`);
      if (timeout >= period) bad.push(`${kind}.timeoutSeconds ${timeout} >= periodSeconds ${period}`);
      if (kind === 'livenessProbe' && (p.failureThreshold ?? 3) < 2) bad.push(`livenessProbe.failureThreshold ${p.failureThreshold} < 2`);
    }
    return bad.length ? { message: `${w}: ${bad.join(', ')}`, fix: 'use periods of 5-10 s, timeouts shorter than the period, liveness failureThreshold 2-3' } : undefined;
  }),
  selectsAWorkload('NINES-WL-06', 'Service', 'Service selectors match a workload in the namespace', 'make the selector equal to the workload\'s pod template labels', o => {
    const sel = o.json.spec?.selector;
    // A Service without a selector (endpoints managed elsewhere) or of type ExternalName selects nothing by design.
    if (!sel || Object.keys(sel).length === 0 || o.json.spec?.type === 'ExternalName') return undefined;
    return { shown: sel, selector: { matchLabels: sel } };
  }),
  selectsAWorkload('NINES-WL-07', 'PodDisruptionBudget', 'PodDisruptionBudget selectors match a workload', 'select the workload\'s pod template labels with matchLabels', o => {
    const sel = o.json.spec?.selector ?? {};
    return { shown: sel, selector: sel };
  }),
  {
    id: 'NINES-WL-08',
    severity: 'error',
    description: 'HorizontalPodAutoscalers target an existing workload',
    appliesTo: new Set(['HorizontalPodAutoscaler']),
    check(o, index) {
      const t = o.json.spec?.scaleTargetRef ?? {};
      return index.byRef.has(`${o.namespace}/${t.kind}/${t.name}`) ? []
        : [{ message: `scaleTargetRef ${t.kind}/${t.name} does not exist in namespace ${o.namespace}`, fix: 'point scaleTargetRef at the workload\'s kind and name' }];
    },
  },
  podRule('NINES-WL-09', 'Workload pods are isolated by NetworkPolicies for ingress and egress', (_pod, o, index) => {
    const types = new Set<string>();
    for (const np of index.networkPolicies.lookup(o.namespace, podLabelsOf(o))) {
      for (const t of np.json.spec?.policyTypes ?? ['Ingress']) types.add(t);
    }
    const missing = ['Ingress', 'Egress'].filter(t => !types.has(t));
    return missing.length ? [{ message: `no NetworkPolicy restricts ${missing.join(' and ')} for these pods`, fix: 'add a default-deny NetworkPolicy selecting the pods, with policyTypes Ingress and Egress' }] : [];
  }),

  // ---- Availability ----
  {
    id: 'NINES-AV-01',
    severity: 'error',
    description: 'Replicated workloads run at least 2 replicas',
    appliesTo: REPLICATED_KINDS,
    check(o, index) {
      const n = replicasOf(o, index);
      return n >= 2 ? [] : [{ message: `runs ${n} replica(s): a single point of failure`, fix: 'run at least 2 replicas (or an HPA with minReplicas >= 2)' }];
    },
  },
  {
    id: 'NINES-AV-02',
    severity: 'error',
    description: 'Replicated workloads have a PodDisruptionBudget that permits a drain',
    appliesTo: REPLICATED_KINDS,
    check(o, index) {
      const pdbs = index.pdbs.lookup(o.namespace, podLabelsOf(o));
      if (pdbs.length === 0) return [{ message: 'no PodDisruptionBudget covers these pods, so a drain may evict them all at once', fix: 'add a PodDisruptionBudget with maxUnavailable: 1' }];
      const n = replicasOf(o, index);
      const out: RuleResult[] = [];
      for (const pdb of pdbs) {
        const { minAvailable, maxUnavailable } = pdb.json.spec ?? {};
        const blocks = (typeof minAvailable === 'number' && minAvailable >= n) || minAvailable === '100%'
          || maxUnavailable === 0 || maxUnavailable === '0%';
        if (blocks) out.push({ message: `${pdb.ref} (minAvailable ${minAvailable ?? '-'}, maxUnavailable ${maxUnavailable ?? '-'}) never allows an eviction with ${n} replicas, so nodes cannot be drained`, fix: `use maxUnavailable: 1 or minAvailable <= ${n - 1}` });
      }
      // duplicates of one PDB (same name) are NINES-DUP-01's finding, not a second budget
      if (new Set(pdbs.map(p => p.ref)).size > 1) out.push({ message: `${pdbs.length} PodDisruptionBudgets select these pods; the eviction API refuses such pods`, fix: 'keep exactly one PodDisruptionBudget per workload' });
      return out;
    },
  },
  {
    id: 'NINES-AV-03',
    severity: 'error',
    description: 'Replicas spread across zones in a way the scheduler can satisfy',
    appliesTo: REPLICATED_KINDS,
    check(o, index) {
      const pod = podSpecOf(o) ?? {};
      const n = replicasOf(o, index);
      const zoneSpread = (pod.topologySpreadConstraints ?? []).find((t: any) => t.topologyKey === 'topology.kubernetes.io/zone' && t.whenUnsatisfiable === 'DoNotSchedule');
      const zoneAnti = (pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).find((t: any) => t.topologyKey === 'topology.kubernetes.io/zone');
      const out: RuleResult[] = [];
      if (!zoneSpread && !zoneAnti) {
        out.push({ message: 'replicas are not required to spread across zones, so one zone can hold them all', fix: 'add a topologySpreadConstraint on topology.kubernetes.io/zone with maxSkew 1 and whenUnsatisfiable DoNotSchedule' });
      }
      const maxReplicas = Number(index.hpaByTarget.get(`${o.namespace}/${o.kind}/${o.name}`)?.json.spec?.maxReplicas ?? n);
      if (zoneAnti && o.zones !== undefined && maxReplicas > o.zones) {
        out.push({ message: `a required zone anti-affinity allows one pod per zone, but up to ${maxReplicas} replicas must run on ${o.zones} zones, so the rest stay Pending`, fix: 'replace the required zone anti-affinity with a zone topologySpreadConstraint (maxSkew 1, DoNotSchedule)' });
      }
      return out;
    },
  },
  {
    id: 'NINES-AV-04',
    severity: 'error',
    description: 'Deployments roll out with zero unavailable pods',
    appliesTo: new Set(['Deployment']),
    check(o) {
      const s = o.json.spec?.strategy ?? {};
      if (s.type === 'Recreate') return [{ message: 'the Recreate strategy stops every pod before starting new ones', fix: 'use RollingUpdate with maxUnavailable: 0 and maxSurge >= 1' }];
      const mu = s.rollingUpdate?.maxUnavailable;
      return mu === 0 || mu === '0%' ? [] : [{ message: `rollingUpdate.maxUnavailable is ${mu ?? 'unset (25%)'}`, fix: 'set strategy.rollingUpdate.maxUnavailable: 0 and maxSurge >= 1' }];
    },
  },
  podRule('NINES-AV-05', 'The preStop drain is shorter than the termination grace period', pod => {
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    const out: RuleResult[] = [];
    for (const c of pod.containers ?? []) {
      const pre = c.lifecycle?.preStop;
      const drain = pre?.sleep?.seconds ?? seconds(pre?.exec?.command);
      if (drain !== undefined && drain >= grace) {
        out.push({ message: `container "${c.name}" drains ${drain} s but the grace period is ${grace} s, so it is killed mid-drain`, fix: `raise terminationGracePeriodSeconds above ${drain} or shorten the drain` });
      }
    }
    return out;
  }, 'error', LONG_RUNNING),
  podRule('NINES-AV-06', 'Serving containers drain before shutdown (preStop)', pod =>
    (pod.containers ?? []).filter((c: any) => (c.ports ?? []).length > 0 && !c.lifecycle?.preStop).map((c: any) => ({
      message: `container "${c.name}" serves ports but has no preStop drain, so in-flight requests fail on every rollout`,
      fix: 'add lifecycle.preStop sleeping ~15 s',
    })), 'warning', new Set(['Deployment', 'StatefulSet'])),

  // ---- The app as a whole: valid names, one object per identity, nothing referenced missing ----
  NAME_RULE,
  DUPLICATE_RULE,
  REFERENCE_RULE,

  // ---- The cluster the objects run on: capability contract, Kubernetes version ----
  ...CONTRACT_RULES,
];
