/**
 * Admission: every pod is evaluated the way the PodSecurity admission plugin will evaluate it,
 * with its namespace's enforced level applied to the pod spec as the mutating webhooks leave it
 * (Istio's injected containers for the platform's mesh mode, see mesh.ts). A pod that fails is
 * never created: its Deployment, StatefulSet or operator reports FailedCreate for ever.
 *
 * @see https://kubernetes.io/docs/concepts/security/pod-security-admission/ (namespace labels, `enforce`, `enforce-version`)
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
 * @see https://github.com/istio/istio/blob/master/manifests/charts/istio-control/istio-discovery/files/injection-template.yaml
 */
import { AppRule, appRule } from './app-rule';
import { admittedSpec, meshModeName } from './mesh';
import { PodView } from './model';
import { podSecurityViolations } from './pod-security';

const INJECTED = new Set(['istio-init', 'istio-validation', 'istio-proxy']);

/** NINES-RT-ADM-01: pods (with what the injector adds) pass their namespace's enforced Pod Security level. */
export const ADMISSION_RULE: AppRule = appRule('NINES-RT-ADM-01', 'error',
  'Every pod, with the containers the mesh injects for the platform\'s mesh mode, passes its namespace\'s enforced Pod Security level',
  (model, file) => {
    const seen = new Set<string>();
    for (const pod of model.pods) {
      const ns = model.namespace(pod.namespace);
      if (ns.enforce === 'privileged') continue;
      const violations = podSecurityViolations(ns.enforce, admittedSpec(pod.spec, pod.meshed, pod.platform.mesh));
      if (violations.length === 0) continue;
      const injected = violations.filter(v => [...INJECTED].some(n => v.detail.includes(`"${n}"`)));
      const key = `${pod.source.path}\u0000${violations.map(v => v.detail).join()}`;
      if (seen.has(key)) continue; // Flagger's primary is a copy of the target's template
      seen.add(key);
      file({
        object: pod.source,
        message: `the pods of ${describe(pod)} are refused at admission by Pod Security "${ns.enforce}" (enforce-version ${ns.enforceVersion}) of namespace ${ns.name}`
          + `${pod.meshed ? `, with the containers Istio injects (${meshModeName(pod.platform.mesh)})` : ''}: `
          + violations.map(v => `${v.detail} [${v.check}]`).join('; '),
        fix: injected.length > 0 && !pod.platform.mesh.cni
          ? 'install Istio CNI and declare mesh: { cni: true } in the platform description (the injector then adds the unprivileged istio-validation instead of istio-init), or take the pods out of the mesh (sidecar.istio.io/inject: "false")'
          : injected.length > 0
            ? 'set a RuntimeDefault seccomp profile and runAsNonRoot on the pod (the injected containers inherit the pod\'s), or take the pods out of the mesh'
            : `make the pod spec meet "${ns.enforce}" (see the listed fields), or run it in a namespace whose level allows it, with the reason written down`,
      });
    }
  });

function describe(pod: PodView): string {
  return pod.controller === 'kubernetes' ? pod.workload : `${pod.workload} (made by ${pod.controller} from ${pod.source.ref})`;
}
