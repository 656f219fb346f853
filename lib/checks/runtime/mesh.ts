/**
 * What Istio's sidecar injector adds to a meshed pod, for the platform's mesh mode (a platform
 * fact: `PlatformDescription.mesh`): the fields of the injected containers that admission and
 * traffic rules read.
 *
 * From Istio's injection template (the `istio-init` / `istio-validation` init container and the
 * `istio-proxy` container, with their securityContexts, for `global.proxy.privileged: false`,
 * the default):
 * - classic (no Istio CNI): `istio-init` runs `istio-iptables` as root (`runAsUser: 0`,
 *   `runAsNonRoot: false`) and adds `NET_ADMIN` and `NET_RAW`;
 * - Istio CNI: `istio-validation` (`--run-validation --skip-rule-apply`) runs as 1337, non-root,
 *   with every capability dropped;
 * - `istio-proxy` runs as 1337, non-root, read-only root, every capability dropped; with native
 *   sidecars the injector puts it among the init containers with `restartPolicy: Always`.
 * Neither sets a seccomp profile: the pod's own applies to them.
 *
 * @see https://github.com/istio/istio/blob/master/manifests/charts/istio-control/istio-discovery/files/injection-template.yaml
 * @see https://istio.io/latest/docs/setup/additional-setup/cni/
 * @see https://istio.io/latest/docs/ops/deployment/application-requirements/ (UID 1337, NET_ADMIN/NET_RAW without CNI)
 */
import { MeshDescription } from '../../core/platform';

/** The user the proxy runs as. */
export const ISTIO_PROXY_UID = 1337;

/** The containers the injector adds, by list, for a mesh mode. */
export function injectedContainers(mesh: Required<MeshDescription>): { initContainers: any[]; containers: any[] } {
  // istio-validation and istio-proxy: UID 1337, non-root, read-only root, every capability dropped.
  const unprivileged = {
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
    runAsGroup: ISTIO_PROXY_UID,
    runAsUser: ISTIO_PROXY_UID,
    runAsNonRoot: true,
  };
  const init = mesh.cni
    ? { name: 'istio-validation', args: ['istio-iptables', '--run-validation', '--skip-rule-apply'], securityContext: unprivileged }
    : {
      name: 'istio-init',
      args: ['istio-iptables'],
      securityContext: {
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
        readOnlyRootFilesystem: false,
        runAsGroup: 0,
        runAsUser: 0,
        runAsNonRoot: false,
      },
    };
  const proxy = {
    name: 'istio-proxy',
    ports: [{ name: 'http-envoy-prom', containerPort: 15090, protocol: 'TCP' }],
    securityContext: unprivileged,
  };
  return mesh.nativeSidecars
    ? { initContainers: [init, { ...proxy, restartPolicy: 'Always' }], containers: [] }
    : { initContainers: [init], containers: [proxy] };
}

/** The mesh mode in words, for messages. */
export function meshModeName(mesh: Required<MeshDescription>): string {
  return `${mesh.cni ? 'Istio CNI' : 'classic istio-init'}${mesh.nativeSidecars ? ', native sidecars' : ''}`;
}

/** A pod spec as admitted: the declared spec plus what the injector adds (when meshed). */
export function admittedSpec(spec: any, meshed: boolean, mesh: Required<MeshDescription>): any {
  if (!meshed) return spec;
  const add = injectedContainers(mesh);
  // The injector prepends its init containers (istio-init must run first) and appends the proxy.
  return {
    ...spec,
    initContainers: [...add.initContainers, ...(spec?.initContainers ?? [])],
    containers: [...(spec?.containers ?? []), ...add.containers],
    volumes: [...(spec?.volumes ?? []), { name: 'istio-envoy', emptyDir: { medium: 'Memory' } }, { name: 'istio-data', emptyDir: {} },
      { name: 'istio-podinfo', downwardAPI: {} }, { name: 'istio-token', projected: {} }, { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } }],
  };
}
