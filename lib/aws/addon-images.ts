/**
 * The images every Helm release of the platform deploys, set explicitly in its values (pinned, from
 * the registries upstream publishes to) instead of left to the chart's defaults, so the image scan
 * (lib/core/images.ts) sees every one of them and a chart upgrade cannot move an image unseen. Pure
 * data (no Pulumi): ClusterAddons and Karpenter merge these values, the tests read them.
 */

/**
 * kube-prometheus-stack pins its operator to the chart's appVersion and resolves its subcharts'
 * versions (kube-state-metrics `5.27.*`, prometheus-node-exporter `4.42.*`) when packaged, so the
 * images are recorded per chart version (the releases published before kube-prometheus-stack 66.3.1).
 * @see https://github.com/prometheus-community/helm-charts/blob/kube-prometheus-stack-66.3.1/charts/kube-prometheus-stack/Chart.yaml (appVersion v0.78.2)
 * @see https://github.com/prometheus-community/helm-charts/blob/kube-state-metrics-5.27.0/charts/kube-state-metrics/Chart.yaml (appVersion 2.14.0)
 * @see https://github.com/prometheus-community/helm-charts/blob/prometheus-node-exporter-4.42.0/charts/prometheus-node-exporter/Chart.yaml (appVersion 1.8.2)
 */
export const KUBE_PROMETHEUS_STACK_IMAGE_TAGS: Readonly<Record<string, { operator: string; kubeStateMetrics: string; nodeExporter: string }>> = {
  '66.3.1': { operator: 'v0.78.2', kubeStateMetrics: 'v2.14.0', nodeExporter: 'v1.8.2' },
};

/**
 * Karpenter's controller image digests, as each release's chart pins them (`controller.image.digest`).
 * @see https://github.com/aws/karpenter-provider-aws/blob/v1.9.2/charts/karpenter/values.yaml (the "Stable Release updates Release v1.9.2" commit)
 */
export const KARPENTER_IMAGE_DIGESTS: Readonly<Record<string, string>> = {
  '1.9.2': 'sha256:daa1a6ab518560d48db0e3137111ca14ad97a92595548fbdd5e27e1f08c35a0d',
};

/**
 * Istio's images from its official mirror on Google's registry rather than Docker Hub, whose pull rate
 * limits a cluster's NAT addresses hit (every meshed pod pulls the proxy image). Set as `global.hub`
 * and `global.tag` of istiod (which also names the sidecars' and the gateway's `proxyv2`: the gateway
 * chart's `image: auto` is filled by the injector) and of the CNI chart.
 * @see https://istio.io/latest/blog/2020/docker-rate-limit/ ("--set hub=gcr.io/istio-release")
 */
export const ISTIO_HUB = 'gcr.io/istio-release';

/** Values naming Istio's hub and tag (charts `cni` and `istiod`). */
export function istioImageValues(version: string): { global: { hub: string; tag: string } } {
  return { global: { hub: ISTIO_HUB, tag: version } };
}

/** An image as most charts take it. */
export interface ImageRef {
  readonly repository: string;
  readonly tag: string;
}

/**
 * cert-manager's five images at the chart's version (the chart builds them from `imageRegistry`
 * quay.io, `imageNamespace` jetstack and each component's name; `repository` overrides it whole).
 * @see https://github.com/cert-manager/cert-manager/blob/v1.21.1/deploy/charts/cert-manager/values.yaml
 */
export function certManagerImageValues(version: string): Record<string, ImageRef | { image: ImageRef }> {
  const image = (name: string) => ({ image: { repository: `quay.io/jetstack/cert-manager-${name}`, tag: version } });
  return {
    ...image('controller'),
    webhook: image('webhook'),
    cainjector: image('cainjector'),
    acmesolver: image('acmesolver'),
    startupapicheck: image('startupapicheck'),
  };
}

/**
 * Chaos Mesh's controller, daemon and DNS server (on by default: `dnsServer.create: true`) from GHCR.
 * @see https://github.com/chaos-mesh/chaos-mesh/blob/v2.7.0/helm/chaos-mesh/values.yaml (images.registry ghcr.io, dnsServer.image.tag v0.2.6)
 */
export function chaosMeshImageValues(version: string): Record<string, { image: { registry: string; repository: string; tag: string } }> {
  const image = (repository: string, tag: string) => ({ image: { registry: 'ghcr.io', repository, tag } });
  return {
    controllerManager: image('chaos-mesh/chaos-mesh', `v${version}`),
    chaosDaemon: image('chaos-mesh/chaos-daemon', `v${version}`),
    dnsServer: image('chaos-mesh/chaos-coredns', 'v0.2.6'),
  };
}

/**
 * Flagger's and its load tester's images on GHCR at the charts' versions.
 * @see https://github.com/fluxcd/flagger/blob/v1.38.0/charts/flagger/values.yaml
 * @see https://github.com/fluxcd/flagger/blob/v1.38.0/charts/loadtester/values.yaml
 */
export function flaggerImageValues(repository: 'flagger' | 'flagger-loadtester', version: string): { image: { repository: string; tag: string } } {
  return { image: { repository: `ghcr.io/fluxcd/${repository}`, tag: version } };
}

/**
 * The AWS Load Balancer Controller's image on ECR Public: chart 1.x.y ships controller v2.x.y.
 * @see https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/v2.10.1/helm/aws-load-balancer-controller/values.yaml
 */
export function loadBalancerControllerImageValues(chartVersion: string): { image: { repository: string; tag: string } } {
  return { image: { repository: 'public.ecr.aws/eks/aws-load-balancer-controller', tag: `v${chartVersion.replace(/^1\./, '2.')}` } };
}

/**
 * kube-prometheus-stack's operator, config reloader (which the operator injects into every Prometheus
 * and Alertmanager pod), kube-state-metrics and node exporter, for a chart version with recorded images;
 * `{}` for another version (its defaults then apply).
 * @see https://github.com/prometheus-community/helm-charts/blob/kube-prometheus-stack-66.3.1/charts/kube-prometheus-stack/values.yaml
 */
export function kubePrometheusStackImageValues(chartVersion: string): Record<string, any> {
  const tags = KUBE_PROMETHEUS_STACK_IMAGE_TAGS[chartVersion];
  if (!tags) return {};
  return {
    'prometheusOperator': {
      image: { registry: 'quay.io', repository: 'prometheus-operator/prometheus-operator', tag: tags.operator },
      prometheusConfigReloader: { image: { registry: 'quay.io', repository: 'prometheus-operator/prometheus-config-reloader', tag: tags.operator } },
    },
    'kube-state-metrics': { image: { registry: 'registry.k8s.io', repository: 'kube-state-metrics/kube-state-metrics', tag: tags.kubeStateMetrics } },
    'prometheus-node-exporter': { image: { registry: 'quay.io', repository: 'prometheus/node-exporter', tag: tags.nodeExporter } },
  };
}

/**
 * external-dns's image on registry.k8s.io: chart 1.x.y ships external-dns v0.x.z, the chart's appVersion
 * (the chart's `image.tag` defaults to it), recorded per chart version.
 * @see https://github.com/kubernetes-sigs/external-dns/blob/external-dns-helm-chart-1.21.1/charts/external-dns/Chart.yaml (appVersion 0.21.0)
 * @see https://github.com/kubernetes-sigs/external-dns/blob/external-dns-helm-chart-1.21.1/charts/external-dns/values.yaml (image.repository)
 */
export const EXTERNAL_DNS_APP_VERSIONS: Readonly<Record<string, string>> = { '1.21.1': '0.21.0' };

/** external-dns's image for a chart version with a recorded appVersion; `{}` for another (the chart's default then applies). */
export function externalDnsImageValues(chartVersion: string): { image?: { repository: string; tag: string } } {
  const app = EXTERNAL_DNS_APP_VERSIONS[chartVersion];
  return app === undefined ? {} : { image: { repository: 'registry.k8s.io/external-dns/external-dns', tag: `v${app}` } };
}

/** Karpenter's controller image on ECR Public, by digest where the release's digest is recorded. */
export function karpenterImageValues(version: string): { controller: { image: { repository: string; tag: string; digest?: string } } } {
  const digest = KARPENTER_IMAGE_DIGESTS[version];
  return { controller: { image: { repository: 'public.ecr.aws/karpenter/controller', tag: version, ...(digest ? { digest } : {}) } } };
}

/** Deep merge of plain values objects (later wins), for combining a release's values with its image values. */
export function mergeValues(...values: ReadonlyArray<Record<string, any>>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const v of values) {
    for (const [k, x] of Object.entries(v)) {
      const plain = (o: unknown) => o !== null && typeof o === 'object' && !Array.isArray(o) && Object.getPrototypeOf(o) === Object.prototype;
      out[k] = plain(out[k]) && plain(x) ? mergeValues(out[k], x) : x;
    }
  }
  return out;
}
