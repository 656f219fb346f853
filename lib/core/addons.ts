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
