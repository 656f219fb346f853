/**
 * Two objects of the app with the same identity (API group, kind, namespace, name): applied
 * together, the second silently replaces the first (`kubectl apply` and GitOps controllers key
 * objects by that identity), so one of two services, say, loses its Deployment, Service and
 * PodDisruptionBudget. Reported on the later object, naming the earlier one's construct path;
 * the objects one construct shares with another are reported once, listed.
 *
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/names/ (a name is unique per kind and namespace)
 */
import { CheckedObject, ObjectIndex } from './object-index';
import type { Rule, RuleResult } from './rules';

const CLUSTER_SCOPED = new Set(['Namespace', 'PriorityClass', 'StorageClass', 'ClusterRole', 'ClusterRoleBinding',
  'CustomResourceDefinition', 'PersistentVolume', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'IngressClass']);

const SEEN = new WeakMap<ObjectIndex, Map<string, CheckedObject>>();
/** Identities a controller will create, by the object that makes it create them (a Flagger Canary). */
const GENERATED = new WeakMap<ObjectIndex, Map<string, { readonly by: CheckedObject; readonly what: string }>>();

/**
 * The objects Flagger creates for a Canary, with their identities: Deployment `<target>-primary`
 * (and HPA `<autoscaler>-primary`), Services `<service>-primary` and `<service>-canary`. An object
 * of the app with one of these identities is overwritten by Flagger (or overwrites its copy).
 * @see https://docs.flagger.app/usage/how-it-works ("deployment/<targetRef.name>-primary", "hpa/<autoscalerRef.name>-primary", services <service.name>-primary and <service.name>-canary)
 * @see lib/checks/runtime/controllers.ts (applyFlagger: the same objects in the runtime model)
 */
function flaggerGenerated(canary: CheckedObject): { readonly id: string; readonly what: string }[] {
  const spec = canary.json.spec ?? {};
  const target = spec.targetRef?.name;
  if (spec.targetRef?.kind !== 'Deployment' || typeof target !== 'string') return [];
  const apex = String(spec.service?.name ?? target);
  const ns = canary.namespace;
  return [
    { id: `apps/Deployment/${ns}/${target}-primary`, what: `Deployment "${target}-primary"` },
    ...(typeof spec.autoscalerRef?.name === 'string' ? [{ id: `autoscaling/HorizontalPodAutoscaler/${ns}/${spec.autoscalerRef.name}-primary`, what: `HorizontalPodAutoscaler "${spec.autoscalerRef.name}-primary"` }] : []),
    { id: `core/Service/${ns}/${apex}-primary`, what: `Service "${apex}-primary"` },
    { id: `core/Service/${ns}/${apex}-canary`, what: `Service "${apex}-canary"` },
  ];
}

/** A clash between an object of the app and one Flagger creates for `canary`, reported on `o`'s construct. */
function generatedClash(o: CheckedObject, canary: CheckedObject, what: string, appObjectIsLater: boolean): RuleResult {
  const where = ` in namespace ${JSON.stringify(o.namespace)}`;
  const mine = ownerOf(o.path);
  const theirs = ownerOf(canary.path);
  const message = appObjectIsLater
    ? `${o.kind} ${JSON.stringify(o.name)}${where} has the name of the ${what} Flagger creates for the canary release ${theirs}, so one replaces the other`
    : `Flagger creates ${what}${where} for this canary release, with the names of objects of ${mine}, so one replaces the other`;
  return {
    message,
    fix: 'rename one of the two constructs: Flagger names its objects <service>-primary and <service>-canary',
    cause: { key: `flagger\0${theirs}\0${mine}`, message: `${mine} and the canary release ${theirs} (Flagger's ${what}) define objects of one name${where}, so one replaces the other` },
  };
}

/** The construct that made the object at `path` (its parent's path). */
function ownerOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i > 0 ? path.slice(0, i) : path;
}

/** The identity the API server keys an object by. */
export function identityOf(o: CheckedObject): string {
  const apiVersion = String(o.json.apiVersion ?? '');
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : 'core';
  return `${group}/${o.kind}/${CLUSTER_SCOPED.has(o.kind) ? '' : o.namespace}/${o.name}`;
}

/** The rule: no two objects of the app share an identity. */
export const DUPLICATE_RULE: Rule = {
  id: 'NINES-DUP-01',
  severity: 'error',
  description: 'No two objects share API group, kind, namespace and name (the second would replace the first)',
  check(o: CheckedObject, index: ObjectIndex): RuleResult[] {
    let seen = SEEN.get(index);
    if (!seen) SEEN.set(index, seen = new Map());
    let generated = GENERATED.get(index);
    if (!generated) GENERATED.set(index, generated = new Map());
    const id = identityOf(o);
    const out: RuleResult[] = [];
    // Objects a controller will create: reported whichever of the two comes first.
    const made = generated.get(id);
    if (made) out.push(generatedClash(o, made.by, made.what, true));
    if (o.kind === 'Canary' && String(o.json.apiVersion ?? '').startsWith('flagger.app/')) {
      // One finding per construct whose objects Flagger's would replace, naming them all.
      const clashes = new Map<string, { declared: CheckedObject; what: string[] }>();
      for (const g of flaggerGenerated(o)) {
        generated.set(g.id, { by: o, what: g.what });
        const declared = seen.get(g.id);
        if (!declared) continue;
        const owner = ownerOf(declared.path);
        const c = clashes.get(owner) ?? { declared, what: [] };
        c.what.push(g.what);
        clashes.set(owner, c);
      }
      for (const c of clashes.values()) {
        const what = c.what.length === 1 ? c.what[0] : `${c.what.slice(0, -1).join(', ')} and ${c.what[c.what.length - 1]}`;
        out.push(generatedClash(c.declared, o, what, false));
      }
    }
    const first = seen.get(id);
    if (!first) {
      seen.set(id, o);
      return out;
    }
    if (first === o) return out;
    const where = CLUSTER_SCOPED.has(o.kind) ? '' : ` in namespace ${JSON.stringify(o.namespace)}`;
    // One cause per pair of constructs: two services of one name collide on each of their objects.
    const firstOwner = ownerOf(first.path);
    return [...out, {
      message: `${o.kind} ${JSON.stringify(o.name)}${where} is also defined by ${first.path}, so applying both keeps only one of them`,
      fix: 'give one of the two constructs another name or namespace (two services of one name must live in different namespaces)',
      cause: {
        key: `${firstOwner}\0${ownerOf(o.path)}`,
        message: `each of these objects is also defined, with the same API group, kind, namespace and name, by ${firstOwner}, so applying both keeps only one of each`,
      },
    }];
  },
};
