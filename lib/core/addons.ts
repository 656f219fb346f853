/**
 * The pods of the cluster add-ons the platform installs (ClusterAddons), as NetworkPolicies and
 * the runtime model select them: the labels each upstream chart puts on its pods.
 */

/**
 * Flagger's controller (chart `flagger`, release `flagger`): it runs the canary analysis and
 * queries Prometheus for every MetricTemplate.
 * @see https://github.com/fluxcd/flagger/blob/main/charts/flagger/templates/deployment.yaml
 */
export const FLAGGER_POD_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/name': 'flagger' };

/**
 * flagger-loadtester (chart `loadtester`): drives traffic at the canary and runs the
 * confirm-promotion gate's Prometheus query. Its pods carry `app: <chart name>`.
 * @see https://github.com/fluxcd/flagger/blob/main/charts/loadtester/templates/deployment.yaml
 */
export const LOADTESTER_POD_LABELS: Readonly<Record<string, string>> = { app: 'loadtester' };

/**
 * Chaos Mesh's controller manager: it runs Workflows and their StatusChecks (the game-day guards'
 * HTTP queries to Prometheus).
 * @see https://github.com/chaos-mesh/chaos-mesh/blob/master/helm/chaos-mesh/templates/controller-manager-deployment.yaml
 */
export const CHAOS_CONTROLLER_POD_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/component': 'controller-manager' };

/**
 * The ServiceAccounts the add-ons' pods run as, as ClusterAddons installs them (release names
 * `flagger`, `flagger-loadtester`, `chaos-mesh`, chart defaults): the identity a meshed add-on
 * presents to AuthorizationPolicies (`<trust domain>/ns/<namespace>/sa/<account>`).
 * - Flagger: `flagger.serviceAccountName`, the chart's full name (`flagger`) with `serviceAccount.create: true`;
 * - flagger-loadtester: `loadtester.fullname` (the release name, which contains the chart name);
 * - Chaos Mesh's controller manager: `controllerManager.serviceAccount`, `chaos-controller-manager`.
 * @see https://github.com/fluxcd/flagger/blob/main/charts/flagger/templates/_helpers.tpl
 * @see https://github.com/fluxcd/flagger/blob/main/charts/loadtester/templates/deployment.yaml
 * @see https://github.com/chaos-mesh/chaos-mesh/blob/master/helm/chaos-mesh/values.yaml
 */
export const FLAGGER_SERVICE_ACCOUNT = 'flagger';
/** flagger-loadtester's ServiceAccount (see {@link FLAGGER_SERVICE_ACCOUNT}). */
export const LOADTESTER_SERVICE_ACCOUNT = 'flagger-loadtester';
/** Chaos Mesh controller manager's ServiceAccount (see {@link FLAGGER_SERVICE_ACCOUNT}). */
export const CHAOS_CONTROLLER_SERVICE_ACCOUNT = 'chaos-controller-manager';

/**
 * Whether the pods of an add-on namespace the app does not declare run in the mesh, as far as the
 * platform description tells. On the library's AWS cluster (no `capabilities` declared) ClusterAddons
 * labels Flagger's namespace `istio-injection: enabled` (flagger-loadtester must call the canaries,
 * which require mTLS; the loadtester chart asks for an injected namespace) and installs Chaos Mesh
 * in a namespace without injection. For a cluster the user brings it is not known (`undefined`):
 * declare the add-on's Namespace in the app to have its callers judged.
 * @see https://github.com/fluxcd/flagger/tree/main/charts/loadtester ("the namespace where you deploy the load tester should have the Istio sidecar injection enabled")
 * @see lib/aws/cluster-addons.ts (`flagger()`: the namespace labelled istio-injection=enabled; `chaosMesh()`: no label)
 */
export function addonNamespaceMeshed(
  platform: { readonly capabilities?: readonly string[]; readonly flaggerNamespace: string; readonly chaosNamespace: string },
  namespace: string,
): boolean | undefined {
  if (platform.capabilities !== undefined) return undefined;
  if (namespace === platform.flaggerNamespace) return true;
  if (namespace === platform.chaosNamespace) return false;
  return undefined;
}

/**
 * The URL of flagger-loadtester in Flagger's namespace: ClusterAddons installs the `loadtester`
 * chart as release `flagger-loadtester`, whose Service is named after the release.
 * @see https://github.com/fluxcd/flagger/blob/main/charts/loadtester/templates/service.yaml
 * @see https://docs.flagger.app/usage/webhooks#load-testing
 */
export function loadTesterUrlIn(flaggerNamespace: string): string {
  return `http://flagger-loadtester.${flaggerNamespace}/`;
}
