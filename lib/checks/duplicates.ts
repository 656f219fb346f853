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
const GENERATED = new WeakMap<ObjectIndex, Map<string, { readonly by: CheckedObject; readonly what: string; readonly controller: string }>>();

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

/**
 * The objects prometheus-operator creates for a Prometheus or an Alertmanager: the StatefulSet
 * `prometheus-<name>` / `alertmanager-<name>` and the governing Service `prometheus-operated` /
 * `alertmanager-operated` (one per namespace, shared by the resources of the kind).
 * @see https://github.com/prometheus-operator/prometheus-operator/blob/main/pkg/prometheus/server/statefulset.go (`makeStatefulSetService`: "prometheus-operated")
 * @see https://github.com/prometheus-operator/prometheus-operator/blob/main/pkg/alertmanager/statefulset.go ("alertmanager-operated")
 * @see lib/checks/runtime/controllers.ts (applyPrometheusOperator: the same objects in the runtime model)
 */
function operatorGenerated(o: CheckedObject): { readonly id: string; readonly what: string }[] {
  const app = o.kind === 'Prometheus' ? 'prometheus' : 'alertmanager';
  return [
    { id: `apps/StatefulSet/${o.namespace}/${app}-${o.name}`, what: `StatefulSet "${app}-${o.name}"` },
    { id: `core/Service/${o.namespace}/${app}-operated`, what: `Service "${app}-operated"` },
  ];
}

/** The objects a controller of the platform creates for `o` (a Flagger Canary, a prometheus-operator resource). */
function controllerGenerated(o: CheckedObject): { readonly id: string; readonly what: string; readonly controller: string }[] {
  const apiVersion = String(o.json.apiVersion ?? '');
  if (o.kind === 'Canary' && apiVersion.startsWith('flagger.app/')) return flaggerGenerated(o).map(g => ({ ...g, controller: 'Flagger' }));
  if ((o.kind === 'Prometheus' || o.kind === 'Alertmanager') && apiVersion.startsWith('monitoring.coreos.com/')) {
    return operatorGenerated(o).map(g => ({ ...g, controller: 'prometheus-operator' }));
  }
  return [];
}

/** A clash between an object `o` of the app and one a controller creates for `by`. */
function generatedClash(o: CheckedObject, by: CheckedObject, what: string, controller: string, appObjectIsLater: boolean): RuleResult {
  const where = ` in namespace ${JSON.stringify(o.namespace)}`;
  const mine = ownerOf(o.path);
  const theirs = ownerOf(by.path);
  const release = controller === 'Flagger' ? `the canary release ${theirs}` : `${by.kind} ${theirs}`;
  const message = appObjectIsLater
    ? `${o.kind} ${JSON.stringify(o.name)}${where} has the name of the ${what} ${controller} creates for ${release}, so one replaces the other`
    : `${controller} creates ${what}${where} for this ${controller === 'Flagger' ? 'canary release' : by.kind}, with the names of objects of ${mine}, so one replaces the other`;
  return {
    message,
    fix: controller === 'Flagger'
      ? 'rename one of the two constructs: Flagger names its objects <service>-primary and <service>-canary'
      : `rename one of the two constructs: prometheus-operator names its objects ${by.kind === 'Prometheus' ? 'prometheus' : 'alertmanager'}-<name> and ${by.kind === 'Prometheus' ? 'prometheus' : 'alertmanager'}-operated`,
    cause: { key: `generated\0${theirs}\0${mine}`, message: `${mine} and ${release} (${controller}'s ${what}) define objects of one name${where}, so one replaces the other` },
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
    if (made) out.push(generatedClash(o, made.by, made.what, made.controller, true));
    const creates = controllerGenerated(o);
    if (creates.length > 0) {
      // One finding per construct whose objects the controller's would replace, naming them all.
      const clashes = new Map<string, { declared: CheckedObject; what: string[] }>();
      for (const g of creates) {
        if (!generated.has(g.id)) generated.set(g.id, { by: o, what: g.what, controller: g.controller });
        const declared = seen.get(g.id);
        if (!declared) continue;
        const owner = ownerOf(declared.path);
        const c = clashes.get(owner) ?? { declared, what: [] };
        c.what.push(g.what);
        clashes.set(owner, c);
      }
      for (const c of clashes.values()) {
        const what = c.what.length === 1 ? c.what[0] : `${c.what.slice(0, -1).join(', ')} and ${c.what[c.what.length - 1]}`;
        out.push(generatedClash(c.declared, o, what, creates[0].controller, false));
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
