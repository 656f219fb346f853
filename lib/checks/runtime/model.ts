/**
 * The runtime model: the app's objects as the cluster will run them, built once per check pass
 * (linear in the objects). Rules over the running system (admission, controllers, traffic,
 * signals) read this model instead of each object alone.
 *
 * What it holds:
 * - namespaces with their Pod Security level and mesh injection (from the Namespace objects the
 *   app makes; a namespace the app does not make is `declared: false`, privileged, not meshed);
 * - pods as they will run: one {@link PodView} per pod template a controller will run, with the
 *   labels after the controllers act (Flagger's primary, prometheus-operator's StatefulSets,
 *   labels a controller sets at run time such as Patroni's role), whether the mesh injects them
 *   and the platform facts of their region;
 * - Services with the selector they will have after the controllers act (Flagger's apex,
 *   `-primary` and `-canary` Services included);
 * - an index to find the pods a selector selects without scanning every pod.
 *
 * It is a model of the cluster, not a cluster: it knows what the app declares and what the
 * controllers the platform installs are documented to do with it, nothing that happens later.
 */
import { IConstruct } from 'constructs';
import { PlatformSettings, platformSettingsOf } from '../../core/platform';
import { CheckedObject, LabelSelector, PairIndex, podLabelsOf, podSpecOf, selects } from '../object-index';
import { applyControllers, ControllerResults } from './controllers';
import { runtimeLabelsOf } from './facts';

/** Pod Security Standards levels, weakest first. */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** A namespace as the cluster will hold it. */
export interface NamespaceView {
  readonly name: string;
  /** The Namespace object, when the app makes it. */
  readonly object?: CheckedObject;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * The enforced Pod Security level (`pod-security.kubernetes.io/enforce`; `privileged` when
   * unset, the admission plugin's default).
   */
  readonly enforce: PodSecurityLevel;
  /** `pod-security.kubernetes.io/enforce-version`, `latest` when unset. */
  readonly enforceVersion: string;
  /** Istio injects pods here (`istio-injection=enabled` or an `istio.io/rev` label). */
  readonly injection: boolean;
}

/** A container port of a pod. */
export interface PodPort {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol: string;
  /** The container that declares it. */
  readonly container: string;
}

/** Who runs a pod. */
export type PodController = 'kubernetes' | 'flagger' | 'prometheus-operator';

/** Pods one controller runs from one template, as the cluster will run them. */
export interface PodView {
  /** The object the app declares these pods come from (a Deployment, a Prometheus, ...). */
  readonly source: CheckedObject;
  /** Who makes the pods' workload: the app itself (`kubernetes`) or an operator. */
  readonly controller: PodController;
  /** The workload that owns the pods, `Kind/namespace/name` (e.g. `Deployment/orders/order-primary`). */
  readonly workload: string;
  /** Kind of that workload. */
  readonly kind: string;
  /** Name of that workload. */
  readonly name: string;
  readonly namespace: string;
  /** Pod labels after the controllers act. */
  readonly labels: Readonly<Record<string, string>>;
  /** Labels a controller sets on the running pods, with every value it may set (Patroni's role). */
  readonly runtimeLabels: Readonly<Record<string, readonly string[]>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** The pod spec as declared (before any mutating webhook). */
  readonly spec: any;
  /** `spec.serviceAccountName`, `default` when unset. */
  readonly serviceAccount: string;
  readonly ports: readonly PodPort[];
  /** Whether the pods run all the time (`false`: only while a controller needs them, e.g. Flagger's canary during analysis). */
  readonly steady: boolean;
  /** Istio's injector adds its containers to these pods. */
  readonly meshed: boolean;
  /** The platform facts of the pods' region (mesh mode, Kubernetes version, namespaces). */
  readonly platform: PlatformSettings;
}

/** A Service after the controllers act. */
export interface ServiceView {
  readonly name: string;
  readonly namespace: string;
  /** The Service object the app declares; for a Service a controller makes, the object that makes it (a Canary). */
  readonly source: CheckedObject;
  /** Who makes the Service. */
  readonly controller: PodController;
  readonly labels: Readonly<Record<string, string>>;
  /** The selector the Service will have (`undefined`: no selector, endpoints managed elsewhere). */
  readonly selector?: Readonly<Record<string, string>>;
  readonly ports: ReadonlyArray<{ readonly name?: string; readonly port: number; readonly targetPort?: number | string; readonly protocol: string }>;
  readonly headless: boolean;
}

/** What a controller changes, before the views are built (see controllers.ts). */
export interface ModelDraft {
  readonly objects: readonly CheckedObject[];
  readonly pods: PodView[];
  readonly services: ServiceView[];
  readonly platformOf: (o: CheckedObject) => PlatformSettings;
  /** Pod views by `namespace/Kind/name` of their workload. */
  readonly podsByWorkload: Map<string, PodView>;
  /** Service views by `namespace/name`. */
  readonly servicesByName: Map<string, ServiceView>;
}

/** The running system, as far as the app's objects and the platform's controllers tell. */
export class RuntimeModel {
  /** Every object of the app. */
  public readonly objects: readonly CheckedObject[];
  /** Namespaces by name (declared ones, and every namespace an object sits in). */
  public readonly namespaces: ReadonlyMap<string, NamespaceView>;
  /** Every pod template the cluster will run. */
  public readonly pods: readonly PodView[];
  /** Every Service, including those controllers make. */
  public readonly services: readonly ServiceView[];
  /** What the controllers made: Flagger's releases, prometheus-operator's StatefulSets. */
  public readonly controllers: ControllerResults;
  private readonly byKind = new Map<string, CheckedObject[]>();
  private readonly byRef = new Map<string, CheckedObject>();
  private readonly podsByPair = new PairIndex<PodView>();
  private readonly podsByNamespace = new Map<string, PodView[]>();
  /** Pods by label pair in any namespace (filed under the namespace `''`). */
  private readonly podsByPairAnywhere = new PairIndex<PodView>();
  private readonly podsByWorkload: ReadonlyMap<string, PodView>;
  private readonly servicesByName: ReadonlyMap<string, ServiceView>;
  private readonly servicesByPair = new PairIndex<ServiceView>();
  private readonly servicesByNamespace = new Map<string, ServiceView[]>();
  /** Services with a selector, by the first pair of it (`namespace`, key, value). */
  private readonly servicesBySelectorPair = new PairIndex<ServiceView>();
  private readonly servicePosition = new Map<ServiceView, number>();
  private readonly platformOfObject: (o: CheckedObject) => PlatformSettings;

  constructor(objects: readonly CheckedObject[], platformOf: (c: IConstruct) => PlatformSettings | undefined = () => undefined) {
    this.objects = objects;
    const defaults = platformSettingsOf(undefined);
    // The region a RegionChart gave the object carries its platform; other objects ask.
    this.platformOfObject = o => o.region?.platform ?? platformOf(o.construct) ?? defaults;
    for (const o of objects) {
      push(this.byKind, o.kind, o);
    }
    this.namespaces = buildNamespaces(objects);

    const draft: ModelDraft = {
      objects,
      pods: [],
      services: [],
      platformOf: this.platformOfObject,
      podsByWorkload: new Map(),
      servicesByName: new Map(),
    };
    for (const o of objects) {
      const view = workloadView(o, this.namespaces, this.platformOfObject);
      if (view) {
        draft.pods.push(view);
        draft.podsByWorkload.set(`${view.namespace}/${view.kind}/${view.name}`, view);
      }
      if (o.kind === 'Service') {
        const s = serviceView(o);
        draft.services.push(s);
        draft.servicesByName.set(`${s.namespace}/${s.name}`, s);
      }
    }
    this.controllers = applyControllers(draft, this.namespaces);
    this.pods = draft.pods;
    this.services = draft.services;
    this.podsByWorkload = draft.podsByWorkload;
    this.servicesByName = draft.servicesByName;
    for (const p of this.pods) {
      push(this.podsByNamespace, p.namespace, p);
      for (const [k, v] of Object.entries(p.labels)) {
        this.podsByPair.add(p.namespace, k, v, p);
        this.podsByPairAnywhere.add('', k, v, p);
      }
      for (const [k, values] of Object.entries(p.runtimeLabels)) for (const v of values) this.podsByPair.add(p.namespace, k, v, p);
    }
    for (const s of this.services) {
      this.servicePosition.set(s, this.servicePosition.size);
      push(this.servicesByNamespace, s.namespace, s);
      for (const [k, v] of Object.entries(s.labels)) this.servicesByPair.add(s.namespace, k, v, s);
      const first = s.selector ? Object.entries(s.selector)[0] : undefined;
      if (first) this.servicesBySelectorPair.add(s.namespace, first[0], first[1], s);
    }
  }

  /** Objects of one kind. */
  public ofKind(kind: string): readonly CheckedObject[] {
    return this.byKind.get(kind) ?? [];
  }

  /** The object `Kind` named `name` in `namespace`. */
  public object(namespace: string, kind: string, name: string): CheckedObject | undefined {
    // Built on the first question (few rules ask): one key per object.
    if (this.byRef.size === 0) for (const o of this.objects) this.byRef.set(`${o.namespace}/${o.kind}/${o.name}`, o);
    return this.byRef.get(`${namespace}/${kind}/${name}`);
  }

  /** The platform facts of an object's region. */
  public platformOf(o: CheckedObject): PlatformSettings {
    return this.platformOfObject(o);
  }

  /** The namespace view of `name` (an undeclared namespace: privileged, not meshed). */
  public namespace(name: string): NamespaceView {
    return this.namespaces.get(name) ?? undeclaredNamespace(name);
  }

  /** The pods of the workload `Kind/name` in `namespace`, as run. */
  public workload(namespace: string, kind: string, name: string): PodView | undefined {
    return this.podsByWorkload.get(`${namespace}/${kind}/${name}`);
  }

  /** The Service `name` in `namespace`, as it will be after the controllers act. */
  public service(namespace: string, name: string): ServiceView | undefined {
    return this.servicesByName.get(`${namespace}/${name}`);
  }

  /**
   * The Services in `namespace` whose own labels satisfy `selector` (what a ServiceMonitor
   * selects), found through their label pairs rather than by scanning every Service.
   */
  public servicesLabelled(namespace: string, selector: LabelSelector): ServiceView[] {
    const first = Object.entries(selector.matchLabels ?? {})[0];
    const candidates = first ? this.servicesByPair.get(namespace, first[0], first[1]) : this.servicesByNamespace.get(namespace) ?? [];
    return candidates.filter(s => selects(selector, s.labels));
  }

  /**
   * The Services whose selector selects the pods of `p` (runtime labels included), found through the
   * first pair of each selector rather than by scanning the namespace's Services.
   */
  public servicesSelecting(p: PodView): ServiceView[] {
    const found = new Set<ServiceView>();
    const look = (k: string, v: string) => {
      for (const s of this.servicesBySelectorPair.get(p.namespace, k, v)) if (podMatches(p, { matchLabels: s.selector })) found.add(s);
    };
    for (const [k, v] of Object.entries(p.labels)) look(k, v);
    for (const [k, values] of Object.entries(p.runtimeLabels)) for (const v of values) look(k, v);
    // In the app's order, as a scan of the namespace would give them.
    return [...found].sort((a, b) => this.servicePosition.get(a)! - this.servicePosition.get(b)!);
  }

  /** The Services of `namespace`. */
  public servicesIn(namespace: string): readonly ServiceView[] {
    return this.servicesByNamespace.get(namespace) ?? [];
  }

  /** The pods in any namespace whose labels satisfy `selector` (matchLabels required). */
  public podsMatchingAnywhere(selector: LabelSelector): PodView[] {
    const first = Object.entries(selector.matchLabels ?? {})[0];
    if (!first) return [];
    return this.podsByPairAnywhere.get('', first[0], first[1]).filter(p => podMatches(p, selector));
  }

  /**
   * The pods in `namespace` a label selector selects. An empty selector (`{}`) selects every pod
   * of the namespace; `undefined` selects none. Runtime labels (e.g. Patroni's role) match any of
   * their values.
   */
  public podsSelectedBy(namespace: string, selector: LabelSelector | undefined): PodView[] {
    if (!selector) return [];
    const first = Object.entries(selector.matchLabels ?? {})[0];
    const candidates = first ? this.podsByPair.get(namespace, first[0], first[1]) : this.podsByNamespace.get(namespace) ?? [];
    return candidates.filter(p => podMatches(p, selector));
  }
}

/** True when the pods of `p` (with their runtime labels) satisfy `selector`. */
export function podMatches(p: PodView, selector: LabelSelector): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (p.labels[k] !== v && !(p.runtimeLabels[k] ?? []).includes(v)) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(p.labels, e.key) || Object.prototype.hasOwnProperty.call(p.runtimeLabels, e.key);
    const values = [...(p.labels[e.key] !== undefined ? [p.labels[e.key]] : []), ...(p.runtimeLabels[e.key] ?? [])];
    const inValues = values.some(v => (e.values ?? []).includes(v));
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues && values.every(v => (e.values ?? []).includes(v))) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

const PSA_LEVELS = new Set<PodSecurityLevel>(['privileged', 'baseline', 'restricted']);

function buildNamespaces(objects: readonly CheckedObject[]): Map<string, NamespaceView> {
  const out = new Map<string, NamespaceView>();
  for (const o of objects) {
    if (o.kind !== 'Namespace') continue;
    const labels: Record<string, string> = o.json.metadata?.labels ?? {};
    const enforce = labels['pod-security.kubernetes.io/enforce'] as PodSecurityLevel;
    out.set(o.name, {
      name: o.name,
      object: o,
      labels,
      enforce: PSA_LEVELS.has(enforce) ? enforce : 'privileged',
      enforceVersion: labels['pod-security.kubernetes.io/enforce-version'] ?? 'latest',
      // Istio's injector webhook selects namespaces labelled istio-injection=enabled, or with an
      // istio.io/rev revision label (istio-injection wins when both are set).
      // @see https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/#controlling-the-injection-policy
      injection: labels['istio-injection'] !== undefined ? labels['istio-injection'] === 'enabled' : labels['istio.io/rev'] !== undefined,
    });
  }
  return out;
}

function undeclaredNamespace(name: string): NamespaceView {
  return { name, labels: {}, enforce: 'privileged', enforceVersion: 'latest', injection: false };
}

/** Kinds whose pod template the app's own controllers run. */
const APP_WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

function workloadView(
  o: CheckedObject, namespaces: ReadonlyMap<string, NamespaceView>, platformOf: (o: CheckedObject) => PlatformSettings,
): PodView | undefined {
  if (!APP_WORKLOADS.has(o.kind)) return undefined;
  const spec = podSpecOf(o) ?? {};
  const labels = podLabelsOf(o);
  const annotations = (o.kind === 'Pod' ? o.json.metadata?.annotations : o.kind === 'CronJob'
    ? o.json.spec?.jobTemplate?.spec?.template?.metadata?.annotations : o.json.spec?.template?.metadata?.annotations) ?? {};
  return podView({
    source: o,
    controller: 'kubernetes',
    kind: o.kind,
    name: o.name,
    namespace: o.namespace,
    labels,
    runtimeLabels: runtimeLabelsOf(o.construct),
    annotations,
    spec,
    steady: o.json.spec?.replicas !== 0,
    platform: platformOf(o),
  }, namespaces);
}

/** Builds a pod view from its parts: workload ref, ports, service account and mesh membership. */
export function podView(p: Omit<PodView, 'workload' | 'ports' | 'serviceAccount' | 'meshed'>, namespaces: ReadonlyMap<string, NamespaceView>): PodView {
  const ns = namespaces.get(p.namespace);
  const ports: PodPort[] = [];
  for (const c of p.spec?.containers ?? []) {
    for (const port of c.ports ?? []) ports.push({ name: port.name, containerPort: Number(port.containerPort), protocol: port.protocol ?? 'TCP', container: c.name });
  }
  return {
    ...p,
    workload: `${p.kind}/${p.namespace}/${p.name}`,
    ports,
    serviceAccount: p.spec?.serviceAccountName ?? p.spec?.serviceAccount ?? 'default',
    meshed: injected(ns, p.labels, p.annotations, p.spec),
  };
}

/**
 * Whether Istio's injector adds its containers: the namespace selects injection and the pod does
 * not opt out (`sidecar.istio.io/inject: "false"`, as a label or the older annotation); pods on
 * the host network are never injected.
 * @see https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/#controlling-the-injection-policy
 */
function injected(ns: NamespaceView | undefined, labels: Record<string, string>, annotations: Record<string, string>, spec: any): boolean {
  if (spec?.hostNetwork === true) return false;
  const opt = labels['sidecar.istio.io/inject'] ?? annotations['sidecar.istio.io/inject'];
  if (opt === 'false') return false;
  // The injector's object selector: a pod labelled sidecar.istio.io/inject=true is injected in a
  // namespace that carries no injection label of its own (not in one labelled istio-injection=disabled).
  // @see https://github.com/istio/istio/blob/master/manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml
  if (labels['sidecar.istio.io/inject'] === 'true' && ns?.labels['istio-injection'] !== 'disabled') return true;
  return ns?.injection === true;
}

function serviceView(o: CheckedObject): ServiceView {
  const spec = o.json.spec ?? {};
  const selector = spec.selector && Object.keys(spec.selector).length > 0 && spec.type !== 'ExternalName' ? spec.selector : undefined;
  return {
    name: o.name,
    namespace: o.namespace,
    source: o,
    controller: 'kubernetes',
    labels: o.json.metadata?.labels ?? {},
    selector,
    ports: (spec.ports ?? []).map((p: any) => ({ name: p.name, port: Number(p.port), targetPort: p.targetPort, protocol: p.protocol ?? 'TCP' })),
    headless: spec.clusterIP === 'None',
  };
}


/** Appends `v` to the list at `k`. */
export function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
