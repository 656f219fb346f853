/**
 * What the controllers the platform installs do to the app's objects, applied to the model
 * before any rule reads it: Flagger's primary/canary Deployments and Services, and the
 * StatefulSets and governing Services prometheus-operator makes for Prometheus and Alertmanager.
 * Labels a controller sets on running pods (Patroni's role) are declared by the construct that
 * configures it (see facts.ts).
 */
import { CheckedObject } from '../object-index';
import { ModelDraft, NamespaceView, PodView, ServiceView, podView } from './model';

/**
 * The labels Flagger looks for, in order, in the target Deployment's `spec.selector.matchLabels`
 * (its `-selector-labels` flag / the chart's `selectorLabels`): the first one present is the
 * label it rewrites to `<value>-primary` on the primary's pods and selects on in its Services.
 * @see https://github.com/fluxcd/flagger/blob/main/cmd/flagger/main.go (`selector-labels` default "app,name,app.kubernetes.io/name")
 * @see https://github.com/fluxcd/flagger/blob/main/pkg/canary/deployment_controller.go (`getSelectorLabel`)
 */
export const FLAGGER_SELECTOR_LABELS: readonly string[] = ['app', 'name', 'app.kubernetes.io/name'];

/** A Flagger Canary as the model sees it. */
export interface FlaggerRelease {
  /** The Canary object. */
  readonly canary: CheckedObject;
  /** The target Deployment's pods as Flagger runs them during an analysis (scaled to zero otherwise). */
  readonly target?: PodView;
  /** The `<target>-primary` pods that serve between analyses. */
  readonly primary?: PodView;
  /** The label Flagger rewrites (`undefined`: the target selects on none of {@link FLAGGER_SELECTOR_LABELS}). */
  readonly label?: string;
  /** The target's value of that label. */
  readonly labelValue?: string;
}

/** prometheus-operator's pods, per Prometheus / Alertmanager resource. */
export interface OperatorWorkload {
  readonly source: CheckedObject;
  readonly pods: PodView;
}

/** Results of the controllers, kept on the model for rules. */
export interface ControllerResults {
  readonly flagger: FlaggerRelease[];
  readonly operator: OperatorWorkload[];
}

/** Applies every controller to the draft (in place) and returns what they made. */
export function applyControllers(draft: ModelDraft, namespaces: ReadonlyMap<string, NamespaceView>): ControllerResults {
  const results: ControllerResults = { flagger: [], operator: [] };
  for (const o of draft.objects) {
    if (o.kind === 'Canary' && String(o.json.apiVersion ?? '').startsWith('flagger.app/')) {results.flagger.push(applyFlagger(o, draft, namespaces));} else if ((o.kind === 'Prometheus' || o.kind === 'Alertmanager') && String(o.json.apiVersion ?? '').startsWith('monitoring.coreos.com/')) {
      results.operator.push(applyPrometheusOperator(o, draft, namespaces));
    }
  }
  return results;
}

/**
 * Flagger's Kubernetes Deployment controller and its Kubernetes router (the Istio router routes
 * through the same Services):
 * - it creates `<target>-primary`, a copy of the target whose pod labels are the target's with
 *   the selector label set to `<value>-primary` (`makePrimaryLabels`), and scales the target to
 *   zero: the target's pods run only during an analysis;
 * - it makes `<apex>-primary` (selecting `<label>: <value>-primary`) and `<apex>-canary`
 *   (`<label>: <value>`), labelled with the Canary's `service.primary/canary.labels` and
 *   `<label>: <Service name>`, and rewrites the apex Service's selector to the primary's pods.
 * @see https://github.com/fluxcd/flagger/blob/main/pkg/canary/deployment_controller.go (`createPrimaryDeployment`, `ScaleToZero`)
 * @see https://github.com/fluxcd/flagger/blob/main/pkg/canary/util.go (`makePrimaryLabels`)
 * @see https://github.com/fluxcd/flagger/blob/main/pkg/router/kubernetes_default.go (`Initialize`, `Reconcile`, `reconcileService`)
 * @see https://docs.flagger.app/usage/how-it-works
 */
function applyFlagger(canary: CheckedObject, draft: ModelDraft, namespaces: ReadonlyMap<string, NamespaceView>): FlaggerRelease {
  const spec = canary.json.spec ?? {};
  const ref = spec.targetRef ?? {};
  if (ref.kind !== 'Deployment') return { canary };
  const key = `${canary.namespace}/Deployment/${ref.name}`;
  const target = draft.podsByWorkload.get(key);
  if (!target) return { canary };
  const matchLabels: Record<string, string> = target.source.json.spec?.selector?.matchLabels ?? {};
  const label = FLAGGER_SELECTOR_LABELS.find(l => matchLabels[l] !== undefined);
  if (!label) return { canary, target };
  const labelValue = matchLabels[label];
  const primaryValue = `${labelValue}-primary`;

  const during: PodView = { ...target, steady: false };
  const primary = podView({
    source: target.source,
    controller: 'flagger',
    kind: 'Deployment',
    name: `${ref.name}-primary`,
    namespace: target.namespace,
    labels: { ...target.labels, [label]: primaryValue },
    runtimeLabels: target.runtimeLabels,
    annotations: target.annotations,
    spec: target.spec,
    steady: true,
    platform: target.platform,
  }, namespaces);
  const i = draft.pods.indexOf(target);
  draft.pods.splice(i, 1, during, primary);
  draft.podsByWorkload.set(key, during);
  draft.podsByWorkload.set(`${primary.namespace}/Deployment/${primary.name}`, primary);

  const svc = spec.service ?? {};
  const apex = String(svc.name ?? ref.name);
  const ports = [{ name: String(svc.portName ?? 'http'), port: Number(svc.port), targetPort: svc.targetPort ?? svc.port, protocol: 'TCP' }];
  const generated = (name: string, selectorValue: string, meta: any): ServiceView => ({
    name,
    namespace: canary.namespace,
    source: canary,
    controller: 'flagger',
    labels: { ...(meta?.labels ?? {}), [label]: name },
    selector: { [label]: selectorValue },
    ports,
    headless: false,
  });
  const put = (s: ServiceView) => {
    const k = `${s.namespace}/${s.name}`;
    const old = draft.servicesByName.get(k);
    if (old) draft.services.splice(draft.services.indexOf(old), 1, s);
    else draft.services.push(s);
    draft.servicesByName.set(k, s);
  };
  put(generated(`${apex}-canary`, labelValue, svc.canary));
  put(generated(`${apex}-primary`, primaryValue, svc.primary));
  const declared = draft.servicesByName.get(`${canary.namespace}/${apex}`);
  // The apex keeps its own labels when the app declares it (Flagger relabels only Services it owns).
  put(declared ? { ...declared, selector: { [label]: primaryValue } } : generated(apex, primaryValue, svc.apex));
  return { canary, target: during, primary, label, labelValue };
}

/**
 * prometheus-operator turns a `Prometheus` into the StatefulSet `prometheus-<name>` (shard 0)
 * and an `Alertmanager` into `alertmanager-<name>`, with pod labels of its own added to
 * `spec.podMetadata.labels`, the containers it builds (merged by name with `spec.containers` /
 * `spec.initContainers`, the way it patches them) and the governing headless Service
 * `prometheus-operated` / `alertmanager-operated` selecting `app.kubernetes.io/name`.
 * @see https://github.com/prometheus-operator/prometheus-operator/blob/main/pkg/prometheus/server/statefulset.go (`makeStatefulSetSpec` podSelectorLabels, `makeStatefulSetService`)
 * @see https://github.com/prometheus-operator/prometheus-operator/blob/main/pkg/alertmanager/statefulset.go
 */
function applyPrometheusOperator(o: CheckedObject, draft: ModelDraft, namespaces: ReadonlyMap<string, NamespaceView>): OperatorWorkload {
  const spec = o.json.spec ?? {};
  const isProm = o.kind === 'Prometheus';
  const app = isProm ? 'prometheus' : 'alertmanager';
  const operatorLabels: Record<string, string> = isProm
    ? {
      'app.kubernetes.io/name': 'prometheus',
      'app.kubernetes.io/managed-by': 'prometheus-operator',
      'app.kubernetes.io/instance': o.name,
      'prometheus': o.name,
      'operator.prometheus.io/shard': '0',
      'operator.prometheus.io/name': o.name,
    }
    : {
      'app.kubernetes.io/name': 'alertmanager',
      'app.kubernetes.io/managed-by': 'prometheus-operator',
      'app.kubernetes.io/instance': o.name,
      'alertmanager': o.name,
    };
  // The operator's own containers: read-only root, no privilege escalation, ALL capabilities dropped.
  const hardened = { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
  const own = (name: string, ports: any[] = []) => ({ name, ports, securityContext: hardened });
  const containers = isProm
    ? [own('prometheus', [{ name: spec.portName ?? 'web', containerPort: 9090, protocol: 'TCP' }]), own('config-reloader', [{ name: 'reloader-web', containerPort: 8080, protocol: 'TCP' }]),
      ...(spec.thanos ? [own('thanos-sidecar', [{ name: 'http', containerPort: 10902, protocol: 'TCP' }, { name: 'grpc', containerPort: 10901, protocol: 'TCP' }])] : [])]
    : [own('alertmanager', [{ name: spec.portName ?? 'web', containerPort: 9093, protocol: 'TCP' }, { name: 'mesh-tcp', containerPort: 9094, protocol: 'TCP' }, { name: 'mesh-udp', containerPort: 9094, protocol: 'UDP' }]),
      own('config-reloader', [{ name: 'reloader-web', containerPort: 8080, protocol: 'TCP' }])];
  const initContainers = [own('init-config-reloader')];
  const podSpec = {
    serviceAccountName: spec.serviceAccountName,
    securityContext: spec.securityContext,
    hostNetwork: spec.hostNetwork,
    volumes: spec.volumes,
    initContainers: mergeByName(initContainers, spec.initContainers ?? []),
    containers: mergeByName(containers, spec.containers ?? []),
  };
  const pods = podView({
    source: o,
    controller: 'prometheus-operator',
    kind: 'StatefulSet',
    name: `${app}-${o.name}`,
    namespace: o.namespace,
    labels: { ...(spec.podMetadata?.labels ?? {}), ...operatorLabels },
    runtimeLabels: {},
    annotations: spec.podMetadata?.annotations ?? {},
    spec: podSpec,
    steady: spec.replicas !== 0,
    platform: draft.platformOf(o),
  }, namespaces);
  draft.pods.push(pods);
  draft.podsByWorkload.set(`${pods.namespace}/StatefulSet/${pods.name}`, pods);
  const governing = `${app}-operated`;
  if (!draft.servicesByName.has(`${o.namespace}/${governing}`)) {
    const s: ServiceView = {
      name: governing,
      namespace: o.namespace,
      source: o,
      controller: 'prometheus-operator',
      labels: { [`operated-${app}`]: 'true' },
      selector: { 'app.kubernetes.io/name': app },
      ports: isProm
        ? [{ name: spec.portName ?? 'web', port: 9090, targetPort: spec.portName ?? 'web', protocol: 'TCP' }, ...(spec.thanos ? [{ name: 'grpc', port: 10901, targetPort: 'grpc', protocol: 'TCP' }] : [])]
        : [{ name: spec.portName ?? 'web', port: 9093, targetPort: spec.portName ?? 'web', protocol: 'TCP' }, { name: 'tcp-mesh', port: 9094, targetPort: 9094, protocol: 'TCP' }, { name: 'udp-mesh', port: 9094, targetPort: 9094, protocol: 'UDP' }],
      headless: true,
    };
    draft.services.push(s);
    draft.servicesByName.set(`${s.namespace}/${s.name}`, s);
  }
  return { source: o, pods };
}

/** The operator's strategic merge of user containers into its own, by name (securityContext merged field by field). */
function mergeByName(base: any[], patches: any[]): any[] {
  const out = base.map(c => ({ ...c }));
  for (const p of patches) {
    const i = out.findIndex(c => c.name === p.name);
    if (i < 0) out.push(p);
    else out[i] = { ...out[i], ...p, securityContext: { ...(out[i].securityContext ?? {}), ...(p.securityContext ?? {}) } };
  }
  return out;
}
