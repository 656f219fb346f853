import { IConstruct } from 'constructs';
import { Region } from '../core/platform';

/** An object under check: its rendered JSON and where it came from. */
export interface CheckedObject {
  readonly construct: IConstruct;
  readonly path: string;
  readonly json: any;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  /** `Kind/namespace/name`. */
  readonly ref: string;
  /** Zones of the object's region, when known. */
  readonly zones?: number;
  /** The object's region (and through it the platform), when it is inside a RegionChart. */
  readonly region?: Region;
}

/** A label selector (matchLabels and matchExpressions). */
export interface LabelSelector {
  readonly matchLabels?: Record<string, string>;
  readonly matchExpressions?: ReadonlyArray<{ readonly key: string; readonly operator: string; readonly values?: readonly string[] }>;
}

/** True when `labels` satisfy `selector` (an empty selector selects everything). */
export function selects(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

const NONE: readonly never[] = Object.freeze([]);

/**
 * Items filed by (namespace, label key, label value) in nested maps: a lookup builds no key
 * string (a fresh string would be hashed on every lookup; the labels' own strings keep theirs).
 */
export class PairIndex<T> {
  private readonly byNamespace = new Map<string, Map<string, Map<string, T[]>>>();

  public add(namespace: string, key: string, value: string, item: T): void {
    let keys = this.byNamespace.get(namespace);
    if (!keys) this.byNamespace.set(namespace, keys = new Map());
    let values = keys.get(key);
    if (!values) keys.set(key, values = new Map());
    const list = values.get(value);
    if (list) list.push(item);
    else values.set(value, [item]);
  }

  /** The items filed under the pair (an empty list when none). */
  public get(namespace: string, key: string, value: string): readonly T[] {
    return this.byNamespace.get(namespace)?.get(key)?.get(value) ?? NONE;
  }

  /** The key/value maps of one namespace (to look up a label set's pairs without re-reading the namespace). */
  public namespace(namespace: string): ReadonlyMap<string, ReadonlyMap<string, readonly T[]>> | undefined {
    return this.byNamespace.get(namespace);
  }
}

/**
 * Finds the selectors (of PDBs, NetworkPolicies, ...) that select a label set, without
 * scanning every selector: each selector is filed under its first matchLabels pair, so a
 * lookup visits only the buckets of the labels' own pairs (plus the few selectors with no
 * matchLabels). Keeps the pass linear in the number of objects.
 */
export class SelectorIndex<T> {
  private readonly byPair = new PairIndex<{ selector: LabelSelector; item: T }>();
  private readonly generic = new Map<string, Array<{ selector: LabelSelector; item: T }>>();
  private readonly namespaces = new Set<string>();

  public add(namespace: string, selector: LabelSelector | undefined, item: T): void {
    if (!selector) return;
    this.namespaces.add(namespace);
    const first = Object.entries(selector.matchLabels ?? {})[0];
    const entry = { selector, item };
    if (first) this.byPair.add(namespace, first[0], first[1], entry);
    else push(this.generic, namespace, entry);
  }

  /** Whether any selector was added in `namespace`. */
  public has(namespace: string): boolean {
    return this.namespaces.has(namespace);
  }

  public lookup(namespace: string, labels: Record<string, string>): T[] {
    const out: T[] = [];
    const pairs = this.byPair.namespace(namespace);
    if (pairs) {
      for (const k in labels) {
        const bucket = pairs.get(k)?.get(labels[k]);
        if (bucket) for (const e of bucket) if (selects(e.selector, labels)) out.push(e.item);
      }
    }
    for (const e of this.generic.get(namespace) ?? []) if (selects(e.selector, labels)) out.push(e.item);
    return out;
  }
}

/** Kinds that run pods from a template. */
export const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);
/** Kinds that run long-lived replicated pods. */
export const REPLICATED_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);

/** The pod template spec of a workload object. */
export function podSpecOf(o: CheckedObject): any {
  const j = o.json;
  if (o.kind === 'Pod') return j.spec;
  if (o.kind === 'CronJob') return j.spec?.jobTemplate?.spec?.template?.spec;
  return j.spec?.template?.spec;
}

/** The pod template labels of a workload object. */
export function podLabelsOf(o: CheckedObject): Record<string, string> {
  const j = o.json;
  if (o.kind === 'Pod') return j.metadata?.labels ?? {};
  if (o.kind === 'CronJob') return j.spec?.jobTemplate?.spec?.template?.metadata?.labels ?? {};
  return j.spec?.template?.metadata?.labels ?? {};
}

/** Cross-object facts the rules look up. */
export interface ObjectIndex {
  readonly pdbs: SelectorIndex<CheckedObject>;
  readonly networkPolicies: SelectorIndex<CheckedObject>;
  /** Workloads by namespace and a pair of their pod labels. */
  readonly workloadsByLabel: PairIndex<CheckedObject>;
  /** HPAs by `namespace/Kind/name` of their target. */
  readonly hpaByTarget: Map<string, CheckedObject>;
  /** Objects by `namespace/Kind/name`. */
  readonly byRef: Map<string, CheckedObject>;
}

/** Builds the index in one pass. */
export function buildIndex(objects: readonly CheckedObject[]): ObjectIndex {
  const index: ObjectIndex = {
    pdbs: new SelectorIndex(),
    networkPolicies: new SelectorIndex(),
    workloadsByLabel: new PairIndex(),
    hpaByTarget: new Map(),
    byRef: new Map(),
  };
  for (const o of objects) {
    index.byRef.set(`${o.namespace}/${o.kind}/${o.name}`, o);
    if (o.kind === 'PodDisruptionBudget') index.pdbs.add(o.namespace, o.json.spec?.selector, o);
    if (o.kind === 'NetworkPolicy') index.networkPolicies.add(o.namespace, o.json.spec?.podSelector ?? {}, o);
    if (o.kind === 'HorizontalPodAutoscaler') {
      const t = o.json.spec?.scaleTargetRef ?? {};
      index.hpaByTarget.set(`${o.namespace}/${t.kind}/${t.name}`, o);
    }
    if (WORKLOAD_KINDS.has(o.kind)) {
      const labels = podLabelsOf(o);
      for (const k in labels) index.workloadsByLabel.add(o.namespace, k, labels[k], o);
    }
  }
  return index;
}

/** Workloads in `namespace` whose pod labels satisfy `selector` (matchLabels required). */
export function workloadsSelectedBy(index: ObjectIndex, namespace: string, selector: LabelSelector): CheckedObject[] {
  const first = Object.entries(selector.matchLabels ?? {})[0];
  if (!first) return [];
  return index.workloadsByLabel.get(namespace, first[0], first[1]).filter(w => selects(selector, podLabelsOf(w)));
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
