/**
 * Controllers: every selector of the app must select the pods it is meant for after the
 * controllers act (Flagger's `<name>-primary`, prometheus-operator's StatefulSets, Patroni's role
 * label; see controllers.ts), and nothing may select pods that do not exist.
 *
 * Selectors read: Services (as Flagger re-points them), PodDisruptionBudgets, NetworkPolicy
 * `podSelector`s, ServiceMonitors (through the Services they select) and PodMonitors, every
 * Chaos Mesh `selector` (experiments, Schedules, Workflows), Flagger's `targetRef`, and each pod
 * template's own topology spread and anti-affinity selectors.
 *
 * @see https://github.com/fluxcd/flagger/blob/main/pkg/canary/deployment_controller.go
 * @see https://github.com/fluxcd/flagger/blob/main/pkg/router/kubernetes_default.go
 * @see https://github.com/prometheus-operator/prometheus-operator/blob/main/Documentation/api-reference/api.md#servicemonitor (selector, namespaceSelector)
 * @see https://chaos-mesh.org/docs/define-chaos-experiment-scope/ (namespaces, labelSelectors, expressionSelectors; the experiment's own namespace when namespaces is empty)
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/ (labelSelector counts the matching pods)
 */
import { LabelSelector } from '../object-index';
import { AppFinding, AppRule, appRule } from './app-rule';
import { FLAGGER_SELECTOR_LABELS, FlaggerRelease } from './controllers';
import { PodView, RuntimeModel } from './model';

/** Kinds whose missing canary pods matter (they must see the canary while Flagger judges it). */
const MUST_SEE_CANARY = new Set(['ServiceMonitor', 'PodMonitor', 'NetworkPolicy', 'PodDisruptionBudget']);

function show(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) parts.push(`${e.key} ${e.operator}${e.values ? ` (${e.values.join(', ')})` : ''}`);
  return `{${parts.join(', ')}}`;
}

/** Judges what one selector selects after the controllers act; `undefined` when it is right. */
function judge(
  model: RuntimeModel, kind: string, namespaces: readonly string[], selector: LabelSelector, pods: readonly PodView[],
): { message: string; fix: string } | undefined {
  const where = namespaces.length === 1 ? `namespace ${namespaces[0]}` : `namespaces ${namespaces.join(', ')}`;
  if (pods.length === 0) {
    const elsewhere = [...new Set(model.podsMatchingAnywhere(selector).map(p => p.namespace))].filter(n => !namespaces.includes(n));
    return {
      message: `selector ${show(selector)} in ${where} selects no pod the cluster will run${elsewhere.length ? `; pods with these labels run in namespace ${elsewhere.join(', ')}` : ''}`,
      fix: elsewhere.length ? `select them in namespace ${elsewhere.join(', ')}: derive the namespace from the construct that runs the pods` : 'derive the selector from the construct that runs the pods (its podSelector), not from retyped labels',
    };
  }
  const releases = new Map<FlaggerRelease, { target: boolean; primary: boolean }>();
  for (const r of model.controllers.flagger) {
    const target = !!r.target && pods.includes(r.target);
    const primary = !!r.primary && pods.includes(r.primary);
    if (target || primary) releases.set(r, { target, primary });
  }
  for (const [r, hit] of releases) {
    if (!hit.primary && r.primary) {
      return {
        message: `selector ${show(selector)} selects the pods of ${r.target!.workload} only while Flagger analyses a canary: between releases the service runs as ${r.primary.workload}, `
          + `whose ${r.label} is ${r.labelValue}-primary (Flagger rewrites its selector label ${r.label}), so it selects no running pod`,
        fix: `select the pods by a label Flagger keeps on both (e.g. the service's podSelector, app.kubernetes.io/instance), not by ${r.label}`,
      };
    }
    if (!hit.target && r.primary && MUST_SEE_CANARY.has(kind)) {
      return {
        message: `selector ${show(selector)} selects ${r.primary.workload} but not the canary pods of ${r.target!.workload} that Flagger judges during an analysis`,
        fix: `select both by a label Flagger keeps (e.g. app.kubernetes.io/instance), not by ${r.label}`,
      };
    }
  }
  return undefined;
}

/** Pods a ServiceMonitor scrapes: the pods behind the Services it selects. */
function serviceMonitorPods(model: RuntimeModel, namespaces: readonly string[], selector: LabelSelector): PodView[] {
  const out = new Set<PodView>();
  for (const ns of namespaces) {
    for (const s of model.servicesLabelled(ns, selector)) {
      if (s.selector) for (const p of model.podsSelectedBy(s.namespace, { matchLabels: s.selector })) out.add(p);
    }
  }
  return [...out];
}

/** Every Chaos Mesh selector inside an object (experiments, Schedules, Workflows), with where it sits. */
function chaosSelectors(json: any, at: string, out: Array<{ at: string; selector: any }>): void {
  if (!json || typeof json !== 'object') return;
  if (Array.isArray(json)) {
    json.forEach((x, i) => chaosSelectors(x, `${at}[${i}]`, out));
    return;
  }
  for (const [k, v] of Object.entries(json)) {
    if (k === 'selector' && v && typeof v === 'object' && ('labelSelectors' in v || 'namespaces' in v || 'expressionSelectors' in v)) out.push({ at: `${at}.${k}`, selector: v });
    else chaosSelectors(v, `${at}.${k}`, out);
  }
}

/** NINES-RT-CTL-01: selectors select the intended pods after the controllers act. */
export const SELECTION_RULE: AppRule = appRule('NINES-RT-CTL-01', 'error',
  'Every selector (Services, PDBs, NetworkPolicies, ServiceMonitors, PodMonitors, chaos experiments, pod spread) selects running pods after Flagger, prometheus-operator and Patroni act',
  (model, file) => {
    const report = (object: AppFinding['object'], kind: string, namespaces: readonly string[], selector: LabelSelector, pods: readonly PodView[], prefix = '') => {
      const r = judge(model, kind, namespaces, selector, pods);
      if (r) file({ object, message: prefix + r.message, fix: r.fix });
    };
    for (const s of model.services) {
      if (s.controller !== 'kubernetes' || !s.selector) continue;
      report(s.source, 'Service', [s.namespace], { matchLabels: s.selector }, model.podsSelectedBy(s.namespace, { matchLabels: s.selector }));
    }
    for (const o of model.ofKind('PodDisruptionBudget')) {
      const sel = o.json.spec?.selector ?? {};
      report(o, o.kind, [o.namespace], sel, model.podsSelectedBy(o.namespace, sel));
    }
    for (const o of model.ofKind('NetworkPolicy')) {
      const sel = o.json.spec?.podSelector ?? {};
      if (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) continue; // every pod of the namespace
      report(o, o.kind, [o.namespace], sel, model.podsSelectedBy(o.namespace, sel));
    }
    for (const kind of ['ServiceMonitor', 'PodMonitor']) {
      for (const o of model.ofKind(kind)) {
        const spec = o.json.spec ?? {};
        const nsSel = spec.namespaceSelector ?? {};
        const namespaces: string[] = nsSel.any ? [...model.namespaces.keys()] : nsSel.matchNames ?? [o.namespace];
        const sel = spec.selector ?? {};
        const pods = kind === 'ServiceMonitor' ? serviceMonitorPods(model, namespaces, sel) : namespaces.flatMap(n => model.podsSelectedBy(n, sel));
        report(o, kind, namespaces, sel, pods);
      }
    }
    for (const o of model.objects) {
      if (!String(o.json.apiVersion ?? '').startsWith('chaos-mesh.org/')) continue;
      const found: Array<{ at: string; selector: any }> = [];
      chaosSelectors(o.json.spec, 'spec', found);
      for (const { at, selector } of found) {
        const namespaces: string[] = selector.namespaces?.length ? selector.namespaces : [o.namespace];
        const sel: LabelSelector = { matchLabels: selector.labelSelectors, matchExpressions: selector.expressionSelectors };
        report(o, o.kind, namespaces, sel, namespaces.flatMap(n => model.podsSelectedBy(n, sel)), `${at}: `);
      }
    }
    for (const r of model.controllers.flagger) {
      const ref = r.canary.json.spec?.targetRef ?? {};
      if (!r.target) {
        file({
          object: r.canary,
          message: `targetRef ${ref.kind}/${ref.name} is not a Deployment of namespace ${r.canary.namespace} in this app, so Flagger has nothing to release`,
          fix: 'point targetRef at the Deployment of the service released',
        });
      } else if (!r.label) {
        file({
          object: r.canary,
          message: `Flagger refuses ${r.target.workload}: its spec.selector.matchLabels has none of ${FLAGGER_SELECTOR_LABELS.join(', ')} (Flagger's selectorLabels)`,
          fix: 'select the Deployment\'s pods by app.kubernetes.io/name (or app) as well',
        });
      }
    }
    // A pod template's own spread and anti-affinity selectors must count its own pods.
    for (const pod of model.pods) {
      if (!pod.steady) continue;
      const spec = pod.spec ?? {};
      const constraints = [
        ...(spec.topologySpreadConstraints ?? []).map((t: any, i: number) => ({ at: `topologySpreadConstraints[${i}]`, sel: t.labelSelector })),
        ...(spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t: any, i: number) => ({ at: `podAntiAffinity.required[${i}]`, sel: t.labelSelector })),
      ];
      for (const { at, sel } of constraints) {
        if (!sel || model.podsSelectedBy(pod.namespace, sel).includes(pod)) continue;
        file({
          object: pod.source,
          message: `${at} of ${pod.workload}${pod.controller !== 'kubernetes' ? ` (made by ${pod.controller})` : ''} selects ${show(sel)}, which its own pods do not carry, so the scheduler spreads them against other pods and not against each other`,
          fix: 'select the pods by a label every controller keeps on them (e.g. the service\'s podSelector, app.kubernetes.io/instance)',
        });
      }
    }
  });
