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
    const id = identityOf(o);
    const first = seen.get(id);
    if (!first) {
      seen.set(id, o);
      return [];
    }
    if (first === o) return [];
    const where = CLUSTER_SCOPED.has(o.kind) ? '' : ` in namespace ${JSON.stringify(o.namespace)}`;
    // One cause per pair of constructs: two services of one name collide on each of their objects.
    const firstOwner = ownerOf(first.path);
    return [{
      message: `${o.kind} ${JSON.stringify(o.name)}${where} is also defined by ${first.path}, so applying both keeps only one of them`,
      fix: 'give one of the two constructs another name or namespace (two services of one name must live in different namespaces)',
      cause: {
        key: `${firstOwner}\0${ownerOf(o.path)}`,
        message: `each of these objects is also defined, with the same API group, kind, namespace and name, by ${firstOwner}, so applying both keeps only one of each`,
      },
    }];
  },
};
