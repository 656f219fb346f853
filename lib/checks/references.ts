/**
 * Nothing a pod uses is missing: the Namespace, PriorityClass, ServiceAccount, ConfigMaps and
 * Secrets a workload names either exist in the app or are declared as provided outside it
 * (`Checks.of(app).provide(...)`). StorageClasses are cluster capabilities: the capability
 * contract (NINES-CAP-01, lib/core/capabilities.ts) checks them against what the cluster provides. A manifest that names a missing one is
 * accepted by `kubectl apply` only to fail later: the API server refuses objects in a missing
 * namespace, the Pod admission refuses an unknown priority class, and pods with a missing
 * ServiceAccount, ConfigMap or Secret never start.
 */
import { IConstruct } from 'constructs';
import { CheckedObject, ObjectIndex, WORKLOAD_KINDS, podSpecOf } from './object-index';
import type { Rule, RuleResult } from './rules';
import { PerApp } from '../core/private/per-app';

/**
 * Objects that exist in the cluster without being part of the app: created by another app,
 * by an operator or by hand (Secrets holding credentials).
 */
export interface ProvidedObjects {
  /** Namespaces, e.g. `['istio-system']`. */
  readonly namespaces?: readonly string[];
  /** PriorityClasses. */
  readonly priorityClasses?: readonly string[];
  /** ServiceAccounts as `namespace/name`. */
  readonly serviceAccounts?: readonly string[];
  /** ConfigMaps as `namespace/name`. */
  readonly configMaps?: readonly string[];
  /** Secrets as `namespace/name`, e.g. `['orders/orders-db-superuser']`. */
  readonly secrets?: readonly string[];
}

/** The kinds a workload can reference, with the {@link ProvidedObjects} field declaring them. */
const REFERENCED = {
  Namespace: { field: 'namespaces', namespaced: false },
  PriorityClass: { field: 'priorityClasses', namespaced: false },
  ServiceAccount: { field: 'serviceAccounts', namespaced: true },
  ConfigMap: { field: 'configMaps', namespaced: true },
  Secret: { field: 'secrets', namespaced: true },
} as const;
type ReferencedKind = keyof typeof REFERENCED;

/**
 * What every cluster has without anyone creating it.
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#initial-namespaces
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/#priorityclass (system-cluster-critical, system-node-critical)
 * @see https://kubernetes.io/docs/concepts/security/service-accounts/#default-service-accounts (a `default` ServiceAccount in every namespace)
 * @see https://kubernetes.io/docs/tasks/tls/managing-tls-in-a-cluster/ (`kube-root-ca.crt` published into every namespace)
 */
const BUILT_IN: Record<ReferencedKind, (name: string) => boolean> = {
  Namespace: n => ['default', 'kube-system', 'kube-public', 'kube-node-lease'].includes(n),
  PriorityClass: n => n === 'system-cluster-critical' || n === 'system-node-critical',
  ServiceAccount: n => n === 'default',
  ConfigMap: n => n === 'kube-root-ca.crt',
  Secret: () => false,
};

const PROVIDED = new PerApp(() => new Map<ReferencedKind, Set<string>>());

/** Records objects provided outside the app of `root` (see `Checks.provide`). */
export function declareProvided(root: IConstruct, objects: ProvidedObjects): void {
  const byKind = PROVIDED.of(root);
  for (const [kind, { field }] of Object.entries(REFERENCED) as Array<[ReferencedKind, typeof REFERENCED[ReferencedKind]]>) {
    const names = objects[field] ?? [];
    let set = byKind.get(kind);
    if (!set) byKind.set(kind, set = new Set());
    for (const n of names) set.add(n);
  }
}

/** Problems with a {@link ProvidedObjects} declaration (names must be `name` or `namespace/name`). */
export function providedObjectsProblems(objects: ProvidedObjects): Array<{ prop: string; value: unknown; why: string; fix: string }> {
  const out: Array<{ prop: string; value: unknown; why: string; fix: string }> = [];
  const fields: readonly string[] = Object.values(REFERENCED).map(r => r.field);
  if (typeof objects !== 'object' || objects === null || Array.isArray(objects)) {
    return [{ prop: 'objects', value: objects, why: 'is not an object', fix: 'give an object of lists of names, e.g. { namespaces: ["istio-system"] }' }];
  }
  // A misspelt field would declare nothing and leave the reference unresolved without a word.
  for (const k of Object.keys(objects).filter(key => !fields.includes(key))) {
    out.push({ prop: k, value: (objects as Record<string, unknown>)[k], why: 'is not a kind that can be declared provided', fix: `use ${fields.join(', ')}` });
  }
  for (const { field, namespaced } of Object.values(REFERENCED)) {
    const names: unknown = (objects as any)?.[field];
    if (names === undefined) continue;
    if (!Array.isArray(names)) {
      out.push({ prop: field, value: names, why: 'is not a list of names', fix: 'give an array of strings' });
      continue;
    }
    names.forEach((n, i) => {
      const ok = typeof n === 'string' && (namespaced ? /^[a-z0-9-]+\/[a-z0-9.-]+$/ : /^[a-z0-9.-]+$/).test(n);
      if (!ok) {
        out.push({
          prop: `${field}[${i}]`,
          value: n,
          why: namespaced ? 'is not "namespace/name"' : 'is not an object name',
          fix: namespaced ? 'write the namespace and the name, e.g. "orders/orders-db-superuser"' : 'write the object\'s metadata.name',
        });
      }
    });
  }
  return out;
}

/** One object a workload names: its kind, its namespace (namespaced kinds) and where it is named. */
interface Reference {
  readonly kind: ReferencedKind;
  readonly name: string;
  readonly namespace?: string;
  readonly at: string;
}

/** The objects a workload's pod names. */
export function referencesOf(o: CheckedObject): Reference[] {
  const ns = o.json.metadata?.namespace ?? 'default';
  const out: Reference[] = [{ kind: 'Namespace', name: ns, at: 'metadata.namespace' }];
  const pod = podSpecOf(o) ?? {};
  if (pod.priorityClassName) out.push({ kind: 'PriorityClass', name: pod.priorityClassName, at: 'priorityClassName' });
  out.push({ kind: 'ServiceAccount', name: pod.serviceAccountName ?? 'default', namespace: ns, at: 'serviceAccountName' });
  const named = (kind: ReferencedKind, name: unknown, optional: unknown, at: string) => {
    if (typeof name === 'string' && name !== '' && optional !== true) out.push({ kind, name, namespace: ns, at });
  };
  for (const [i, v] of (pod.volumes ?? []).entries()) {
    named('ConfigMap', v.configMap?.name, v.configMap?.optional, `volumes[${i}] "${v.name}"`);
    named('Secret', v.secret?.secretName, v.secret?.optional, `volumes[${i}] "${v.name}"`);
    for (const s of v.projected?.sources ?? []) {
      named('ConfigMap', s.configMap?.name, s.configMap?.optional, `volumes[${i}] "${v.name}"`);
      named('Secret', s.secret?.name, s.secret?.optional, `volumes[${i}] "${v.name}"`);
    }
  }
  for (const [i, s] of (pod.imagePullSecrets ?? []).entries()) named('Secret', s.name, false, `imagePullSecrets[${i}]`);
  for (const list of ['initContainers', 'containers'] as const) {
    for (const c of pod[list] ?? []) {
      const where = `${list} "${c.name}"`;
      for (const e of c.env ?? []) {
        named('ConfigMap', e.valueFrom?.configMapKeyRef?.name, e.valueFrom?.configMapKeyRef?.optional, `${where} env ${e.name}`);
        named('Secret', e.valueFrom?.secretKeyRef?.name, e.valueFrom?.secretKeyRef?.optional, `${where} env ${e.name}`);
      }
      for (const e of c.envFrom ?? []) {
        named('ConfigMap', e.configMapRef?.name, e.configMapRef?.optional, `${where} envFrom`);
        named('Secret', e.secretRef?.name, e.secretRef?.optional, `${where} envFrom`);
      }
    }
  }
  return out;
}

function fixFor(r: Reference): string {
  const key = r.namespace ? `${r.namespace}/${r.name}` : r.name;
  const declare = `or, when something outside the app creates it, declare it: Checks.of(app).provide({ ${REFERENCED[r.kind].field}: [${JSON.stringify(key)}] })`;
  switch (r.kind) {
    case 'Namespace': return `add the namespace to the app (new Bulkhead(chart, ${JSON.stringify(r.name)}) makes it a hardened bulkhead), ${declare}`;
    case 'PriorityClass': return `add new PriorityClasses(chart, 'priority') (one class per tier) to the app, ${declare}`;
    default: return `add the ${r.kind} to the app, ${declare}`;
  }
}

/**
 * The rule: every object a workload names exists in the app, is built into every cluster, or
 * is declared provided.
 */
export const REFERENCE_RULE: Rule = {
  id: 'NINES-REF-01',
  severity: 'error',
  description: 'Every Namespace, PriorityClass, ServiceAccount, ConfigMap and Secret a pod uses exists in the app or is declared provided (Checks.provide)',
  appliesTo: WORKLOAD_KINDS,
  check(o: CheckedObject, index: ObjectIndex): RuleResult[] {
    const provided = PROVIDED.peek(o.construct);
    const out: RuleResult[] = [];
    const seen = new Set<string>();
    for (const r of referencesOf(o)) {
      const key = r.namespace ? `${r.namespace}/${r.name}` : r.name;
      if (seen.has(`${r.kind}/${key}`)) continue;
      seen.add(`${r.kind}/${key}`);
      const inApp = index.byRef.has(`${r.namespace ?? 'default'}/${r.kind}/${r.name}`);
      if (inApp || BUILT_IN[r.kind](r.name) || provided?.get(r.kind)?.has(key)) continue;
      out.push({
        message: `${r.at} names ${r.kind} ${JSON.stringify(key)}, which the app does not create and which is not declared provided, so the manifests cannot be applied as written`,
        fix: fixFor(r),
      });
    }
    return out;
  },
};
