import * as iam from '@pulumi/aws/iam';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import {
  certManagerImageValues, chaosMeshImageValues, flaggerImageValues, istioImageValues, kubePrometheusStackImageValues,
  externalDnsImageValues, loadBalancerControllerImageValues, mergeValues,
} from './addon-images';
import LOAD_BALANCER_CONTROLLER_POLICY from './aws-load-balancer-controller-policy.json';
import { ACME_CLUSTER_ISSUER, acmeClusterIssuer, CERT_MANAGER_SERVICE_ACCOUNT, certManagerRoute53Policy, gatewayCertificate } from './cert-manager';
import { irsaTrustPolicy } from './irsa';
import type { MultiAzVpc } from './multi-az-vpc';
import { ClusterAddonsSettings, resolveClusterAddonsArgsIn } from './private/cluster-addons-args';
import { resolveOnCluster } from './private/on-cluster';
import { podIdentityRole } from './private/pod-identity';
import { settingsOrThrow } from './private/resolve';
import type { RegionalCluster } from './regional-cluster';
import { AwsTagsArgs } from './tags';
import { clusterAddonsProvisions, GatewayCertificate, Provision } from '../core/capabilities';
import { LABELS, MANAGED_BY } from '../core/labels';
import { prometheusUrlOf } from '../core/platform';

export { DEFAULT_ADDON_CHART_VERSIONS, resolveAddonSwitches } from './private/cluster-addons-args';

/**
 * Pinned Helm chart versions of the add-ons. Each pin is one upstream release whose CRDs match the
 * typed objects of lib/k8s/crds (Istio `networking.istio.io/v1`, prometheus-operator `monitoring.coreos.com/v1`,
 * Chaos Mesh `chaos-mesh.org/v1alpha1`, Flagger `flagger.app/v1beta1`) and whose documented Kubernetes
 * range (ADDON_KUBERNETES_SUPPORT, lib/core/kubernetes-version.ts) includes the platform's version:
 * a pin outside it is refused before any resource is registered.
 */
export interface AddonChartVersions {
  /**
   * Istio charts `base`, `cni`, `istiod` and `gateway` (one version for all: they must match).
   * Istio 1.30 supports Kubernetes 1.32-1.36.
   * @default '1.30.0'
   * @see https://istio.io/latest/docs/releases/supported-releases/
   */
  readonly istio?: string;
  /**
   * `prometheus-operator-crds` (the CRDs only, upgraded as a chart of their own: Helm never upgrades a chart's `crds/`).
   * @default '16.0.1' (prometheus-operator v0.78)
   * @see https://github.com/prometheus-community/helm-charts/tree/main/charts/prometheus-operator-crds
   */
  readonly prometheusOperatorCrds?: string;
  /**
   * `kube-prometheus-stack`, of which only the operator is installed (the MonitoringStack construct creates
   * Prometheus and Alertmanager).
   * @default '66.3.1' (prometheus-operator v0.78, the version the CRDs above come from)
   * @see https://github.com/prometheus-community/helm-charts/tree/main/charts/kube-prometheus-stack
   */
  readonly kubePrometheusStack?: string;
  /**
   * `chaos-mesh`.
   * @default '2.7.0'
   * @see https://chaos-mesh.org/docs/production-installation-using-helm/
   */
  readonly chaosMesh?: string;
  /**
   * `flagger`.
   * @default '1.38.0'
   * @see https://docs.flagger.app/install/flagger-install-on-kubernetes
   */
  readonly flagger?: string;
  /**
   * `loadtester` (flagger-loadtester).
   * @default '0.33.0'
   * @see https://github.com/fluxcd/flagger/tree/main/charts/loadtester
   */
  readonly flaggerLoadtester?: string;
  /**
   * `aws-load-balancer-controller` (chart 1.10.x = controller v2.10.x, the release the IAM policy file matches).
   * @default '1.10.1'
   * @see https://github.com/kubernetes-sigs/aws-load-balancer-controller/tree/main/helm/aws-load-balancer-controller
   */
  readonly awsLoadBalancerController?: string;
  /**
   * `cert-manager` (jetstack); its CRDs are installed by the chart (`crds.enabled`). cert-manager
   * 1.21 supports Kubernetes 1.33-1.36.
   * @default 'v1.21.1'
   * @see https://cert-manager.io/docs/releases/
   */
  readonly certManager?: string;
  /**
   * `external-dns` (kubernetes-sigs; chart 1.21.x installs external-dns v0.21, which supports
   * Kubernetes 1.21 and later).
   * @default '1.21.1'
   * @see https://github.com/kubernetes-sigs/external-dns/tree/master/charts/external-dns
   */
  readonly externalDns?: string;
}

/** Which add-ons to install. Turning one off also drops what depends on it (see each flag). */
export interface AddonSwitches {
  /**
   * Istio base CRDs and istiod.
   * @default true
   * @see https://istio.io/latest/docs/setup/install/helm/
   */
  readonly istio?: boolean;
  /**
   * The Istio ingress gateway (the region's public NLB, its failover entry point). Needs `istio` and
   * `awsLoadBalancerController`.
   * @default true
   * @see https://istio.io/latest/docs/setup/additional-setup/gateway/
   */
  readonly ingressGateway?: boolean;
  /**
   * prometheus-operator CRDs and the operator.
   * @default true
   * @see https://prometheus-operator.dev/docs/getting-started/installation/
   */
  readonly prometheusOperator?: boolean;
  /**
   * Chaos Mesh (containerd runtime, no dashboard).
   * @default true
   * @see https://chaos-mesh.org/docs/production-installation-using-helm/
   */
  readonly chaosMesh?: boolean;
  /**
   * Flagger (meshProvider istio) and flagger-loadtester. Needs `istio`.
   * @default true
   * @see https://docs.flagger.app/install/flagger-install-on-kubernetes
   */
  readonly flagger?: boolean;
  /**
   * The AWS Load Balancer Controller, with its IRSA role.
   * @default true
   * @see https://kubernetes-sigs.github.io/aws-load-balancer-controller/
   */
  readonly awsLoadBalancerController?: boolean;
  /**
   * cert-manager, whose controller gets a Route53 role through EKS Pod Identity; with
   * {@link ClusterAddonsArgs.tls} it also issues every gateway's certificate.
   * @default true
   * @see https://cert-manager.io/docs/installation/helm/
   */
  readonly certManager?: boolean;
  /**
   * external-dns, publishing the names Services ask for (`external-dns.alpha.kubernetes.io/hostname`)
   * in {@link ClusterAddonsArgs.privateZone}; installed only when that zone is given.
   * @default true
   * @see https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/aws/
   */
  readonly externalDns?: boolean;
}

/** Namespaces of the add-ons. */
export interface AddonNamespaces {
  /**
   * istio base and istiod.
   * @default platform.meshNamespace ('istio-system')
   * @see Platform.meshNamespace
   */
  readonly mesh?: string;
  /**
   * The ingress gateway (its own namespace, as Istio recommends, so its Service account and policies stand apart).
   * @default 'istio-ingress'
   * @see https://istio.io/latest/docs/setup/additional-setup/gateway/#deploying-a-gateway
   */
  readonly ingress?: string;
  /**
   * Where Prometheus runs (the MonitoringStack's namespace, owned by the cdk8s side): Flagger queries
   * `prometheus-operated` there. No add-on is installed into it.
   * @default platform.monitoringNamespace ('monitoring')
   * @see Platform.monitoringNamespace
   */
  readonly monitoring?: string;
  /**
   * The prometheus-operator itself (it watches every namespace): its own namespace, so the
   * monitoring namespace has one owner, the cdk8s Bulkhead that isolates Prometheus.
   * @default 'prometheus-operator'
   * @see https://prometheus-operator.dev/docs/getting-started/installation/
   */
  readonly prometheusOperator?: string;
  /**
   * Chaos Mesh.
   * @default platform.chaosNamespace ('chaos-mesh')
   * @see Platform.chaosNamespace
   * @see https://chaos-mesh.org/docs/production-installation-using-helm/
   */
  readonly chaos?: string;
  /**
   * Flagger and flagger-loadtester: the namespace CanaryRelease's default loadtester URL
   * (`http://flagger-loadtester.<platform.flaggerNamespace>/`) names, so both engines read it from
   * the platform description.
   * @default platform.flaggerNamespace ('flagger-system')
   * @see Platform.flaggerNamespace
   * @see CanaryReleaseProps.loadTesterUrl
   */
  readonly flagger?: string;
  /**
   * cert-manager.
   * @default 'cert-manager'
   * @see https://cert-manager.io/docs/installation/helm/
   */
  readonly certManager?: string;
  /**
   * external-dns.
   * @default 'external-dns'
   */
  readonly externalDns?: string;
}

/** The Route53 private hosted zone external-dns publishes into (a {@link PrivateZone}'s name and id). */
export interface PrivateZoneRef {
  /** The zone's name, e.g. `nines.internal` (external-dns's domain filter). */
  readonly name: string;
  /** The hosted zone's id (the only zone external-dns may change). */
  readonly zoneId: pulumi.Input<string>;
}

/**
 * The certificates of the region's entry: cert-manager issues them from an ACME CA with DNS-01
 * challenges in Route53, inside the platform, so HTTPS (and the Route53 health checks) work from
 * the first deploy.
 */
export interface EntryTlsOptions {
  /**
   * The public Route53 hosted zone holding the certificates' names (the challenge TXT records go
   * there; cert-manager's role may change only `_acme-challenge.*` TXT records in it).
   * @see https://cert-manager.io/docs/configuration/acme/dns01/route53/
   */
  readonly hostedZoneId: string;
  /**
   * One Certificate per Secret the gateways serve from: read them from the region's objects with
   * `gatewayCertificatesOf` (lib/core/capabilities.ts), never retype them.
   * @default []
   * @see https://cert-manager.io/docs/usage/certificate/
   */
  readonly certificates?: readonly GatewayCertificate[];
  /**
   * The ACME directory (e.g. Let's Encrypt's staging directory while trying things out).
   * @default LETS_ENCRYPT_PRODUCTION
   * @see https://letsencrypt.org/docs/staging-environment/
   */
  readonly acmeServer?: string;
  /**
   * The ACME account's contact address.
   * @default - none (Let's Encrypt no longer sends expiry mail; cert-manager renews at two thirds of the lifetime)
   * @see https://cert-manager.io/docs/configuration/acme/
   */
  readonly email?: string;
}

/** Arguments of {@link ClusterAddons}. */
export interface ClusterAddonsArgs extends AwsTagsArgs {
  /**
   * The region's cluster: its Kubernetes provider, name, and IRSA OIDC provider.
   * @see RegionalCluster
   */
  readonly cluster: RegionalCluster;
  /**
   * The region's VPC: its id (for the load balancer controller) and its public ingress security group
   * (attached to the gateway's NLB).
   * @see MultiAzVpc
   */
  readonly vpc: MultiAzVpc;
  /**
   * Chart versions (each overridable).
   * @default DEFAULT_ADDON_CHART_VERSIONS
   * @see AddonChartVersions
   */
  readonly versions?: AddonChartVersions;
  /**
   * Which add-ons to install.
   * @default all on
   * @see AddonSwitches
   */
  readonly enable?: AddonSwitches;
  /**
   * Namespaces.
   * @default { mesh: platform.meshNamespace, ingress: 'istio-ingress', monitoring: platform.monitoringNamespace,
   *   chaos: 'chaos-mesh', flagger: 'flagger-system' }
   * @see AddonNamespaces
   */
  readonly namespaces?: AddonNamespaces;
  /**
   * Minimum ingress gateway replicas (the HPA floor): one per zone, so a zone loss keeps two serving.
   * @default the number of the VPC's zones
   * @see https://istio.io/latest/docs/setup/additional-setup/gateway/
   */
  readonly gatewayMinReplicas?: number;
  /**
   * Namespaces other code owns (the Namespaces of the cdk8s charts applied after the add-ons): an
   * add-on namespace among them is refused, so each namespace is created in one place.
   * @default []
   */
  readonly reservedNamespaces?: readonly string[];
  /**
   * The entry's certificates (cert-manager with an ACME DNS-01 ClusterIssuer). Without it
   * cert-manager is installed without an issuer, and the gateways' TLS requirement is not provided.
   * @default - no issuer
   * @see EntryTlsOptions
   */
  readonly tls?: EntryTlsOptions;
  /**
   * The platform's private zone: external-dns (with `enable.externalDns`) publishes the names the
   * region's Services ask for there, as this cluster's records (its own TXT owner id).
   * @default - no external-dns
   * @see PrivateZone
   */
  readonly privateZone?: PrivateZoneRef;
}

/** The Helm repositories the charts come from. */
export const ADDON_CHART_REPOSITORIES = {
  istio: 'https://istio-release.storage.googleapis.com/charts',
  prometheusCommunity: 'https://prometheus-community.github.io/helm-charts',
  chaosMesh: 'https://charts.chaos-mesh.org',
  flagger: 'https://flagger.app',
  eks: 'https://aws.github.io/eks-charts',
  jetstack: 'https://charts.jetstack.io',
  externalDns: 'https://kubernetes-sigs.github.io/external-dns/',
} as const;

/** The IAM policy of the AWS Load Balancer Controller (v2.10, from the project's docs/install/iam_policy.json). */
export const AWS_LOAD_BALANCER_CONTROLLER_POLICY: { readonly Version: string; readonly Statement: readonly any[] } = LOAD_BALANCER_CONTROLLER_POLICY;

/** The service account of the AWS Load Balancer Controller (the only subject its role trusts). */
export const AWS_LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'aws-load-balancer-controller' } as const;

/** The pause image Chaos Mesh's pod-failure action runs in place of the target's containers. */
export const CHAOS_MESH_PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

/** Release (and Service) name of the ingress gateway. */
export const INGRESS_GATEWAY_NAME = 'istio-ingressgateway';

/**
 * What a region's cluster must run before its cdk8s objects apply: Istio (base CRDs, istiod, and an
 * ingress gateway behind an internet-facing, cross-zone NLB carrying the VPC's public ingress security
 * group), the prometheus-operator CRDs and operator, Chaos Mesh, Flagger with its load tester, and the
 * AWS Load Balancer Controller (IRSA role trusted by that one service account through the cluster's
 * OIDC provider). Every release goes through the cluster's Kubernetes provider, in dependency order;
 * {@link ClusterAddons.releases} is what the workloads must `dependsOn`.
 */
export class ClusterAddons extends pulumi.ComponentResource {
  /** Resolved chart versions. */
  public readonly versions: Readonly<Required<AddonChartVersions>>;
  /** Resolved switches. */
  public readonly enabled: Readonly<Required<AddonSwitches>>;
  /** Resolved namespaces. */
  public readonly namespaces: Readonly<Required<AddonNamespaces>>;
  /** Resolved gateway HPA floor. */
  public readonly gatewayMinReplicas: number;
  /** Every Helm release, by add-on key (`istio-base`, `istiod`, `istio-ingressgateway`, ...). */
  public readonly releases: Readonly<Record<string, k8s.helm.v3.Release>>;
  /** What these add-ons provide to the manifests (the capability contract, lib/core/capabilities.ts). */
  public get provides(): readonly Provision[] {
    const s = this.settings;
    return clusterAddonsProvisions({
      istio: s.enabled.istio,
      prometheusOperator: s.enabled.prometheusOperator,
      chaosMesh: s.enabled.chaosMesh,
      flagger: s.enabled.flagger,
      certificateIssuer: s.enabled.certManager && s.tls !== undefined,
      externalDnsZone: this.publishedZone,
    }, s.platform.mesh.cni);
  }
  /**
   * The gateways' Certificates by `<namespace>/<secret>`, each applied with Pulumi waiting until
   * cert-manager reports it Ready (the Secret exists).
   */
  public readonly certificates: Readonly<Record<string, k8s.apiextensions.CustomResource>>;
  /** IRSA role of the AWS Load Balancer Controller (when it is on). */
  public readonly loadBalancerControllerRoleArn?: pulumi.Output<string>;
  /**
   * The ingress gateway's public NLB host name (from the Service's status): the region's entry point.
   * It resolves once the NLB exists and every gateway certificate is issued, so what reads it (the
   * Route53 health checks) starts only when HTTPS can answer. Undefined when the gateway is off.
   */
  public readonly entryPoint?: pulumi.Output<string>;

  /** The resolved settings (for {@link publishInto}, which may run after the constructor). */
  private readonly settings: ClusterAddonsSettings;
  private readonly componentName: string;
  /** The private zone external-dns publishes into, once installed. */
  private publishedZone?: string;
  /** The add-on namespaces created so far (each one Namespace resource, never Helm's createNamespace). */
  private readonly namespaceResources = new Map<string, k8s.core.v1.Namespace>();
  private readonly installed: Record<string, k8s.helm.v3.Release> = {};
  /** The load balancer controller's release, once registered: every later release waits for it. */
  private loadBalancerController?: k8s.helm.v3.Release;

  constructor(name: string, args: ClusterAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
    const s = settingsOrThrow('ClusterAddons', name, resolveOnCluster('ClusterAddons', name, args, resolveClusterAddonsArgsIn));
    super('nines:aws:ClusterAddons', name, {}, opts);
    const { enabled } = s;
    this.settings = s;
    this.componentName = name;
    this.versions = s.versions;
    this.enabled = enabled;
    this.namespaces = s.namespaces;
    this.gatewayMinReplicas = s.gatewayMinReplicas;
    if (enabled.awsLoadBalancerController) this.loadBalancerControllerRoleArn = this.awsLoadBalancerController(name, s);
    const istiod = enabled.istio ? this.istio(name, s) : undefined;
    this.certificates = enabled.certManager ? this.certManager(name, s) : {};
    if (enabled.ingressGateway) {
      const certificates = Object.values(this.certificates).map(c => c.id);
      this.entryPoint = pulumi.all([this.ingressGateway(name, s, istiod), ...certificates]).apply(([host]) => host);
    }
    const operator = enabled.prometheusOperator ? this.prometheusOperator(name, s) : undefined;
    if (enabled.chaosMesh) this.chaosMesh(name, s);
    if (enabled.flagger) this.flagger(name, s, istiod, operator);
    this.releases = this.installed;
    if (s.privateZone) this.publishInto(s.privateZone);
    this.registerOutputs({ entryPoint: this.entryPoint, loadBalancerControllerRoleArn: this.loadBalancerControllerRoleArn });
  }

  /** The add-on namespace `ns`, created once (as a Namespace resource of this component). */
  private namespaceOf(name: string, s: ClusterAddonsSettings, ns: string, labels?: Record<string, string>,
    after: pulumi.Resource[] = []): k8s.core.v1.Namespace {
    let r = this.namespaceResources.get(ns);
    if (!r) {
      r = new k8s.core.v1.Namespace(`${name}-${ns}`, { metadata: { name: ns, ...(labels ? { labels } : {}) } },
        { parent: this, provider: s.cluster.provider, dependsOn: after });
      this.namespaceResources.set(ns, r);
    }
    return r;
  }

  /**
   * One pinned, atomic Helm release. It waits for the nodes (an atomic release rolls back while its
   * pods stay Pending), its namespace, the load balancer controller once that is registered, and `dependsOn`.
   */
  private release(name: string, s: ClusterAddonsSettings, key: string, chart: ChartRef, namespace: string, values: Record<string, any>,
    dependsOn: (pulumi.Resource | undefined)[] = [], extra: Partial<k8s.helm.v3.ReleaseArgs> = {}): k8s.helm.v3.Release {
    const after = [...Object.values(s.cluster.nodeGroups), this.loadBalancerController,
      namespace === 'kube-system' ? undefined : this.namespaceOf(name, s, namespace), ...dependsOn];
    const r = new k8s.helm.v3.Release(`${name}-${key}`, {
      name: key,
      chart: chart.chart,
      version: chart.version,
      repositoryOpts: { repo: chart.repo },
      namespace,
      // Each add-on namespace is one Namespace resource of this component (namespaceOf), never Helm's.
      createNamespace: false,
      values,
      // Roll back a failed upgrade instead of leaving the release half-applied, and wait until ready.
      atomic: true,
      cleanupOnFail: true,
      timeout: 900,
      maxHistory: 10,
      ...extra,
    }, { parent: this, provider: s.cluster.provider, dependsOn: after.filter((d): d is pulumi.Resource => d !== undefined) });
    this.installed[key] = r;
    return r;
  }

  /** The AWS Load Balancer Controller, with an IRSA role trusted by its one service account. Returns the role's ARN. */
  private awsLoadBalancerController(name: string, s: ClusterAddonsSettings): pulumi.Output<string> {
    const sa = AWS_LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT;
    const role = new iam.Role(`${name}-lb-controller`, {
      assumeRolePolicy: irsaTrustPolicy(s.cluster.oidcProviderArn, s.cluster.oidcIssuer, [sa]), tags: s.tags,
    }, { parent: this });
    new iam.RolePolicy(`${name}-lb-controller`, { role: role.id, policy: JSON.stringify(AWS_LOAD_BALANCER_CONTROLLER_POLICY) }, { parent: this });
    const chart = { chart: 'aws-load-balancer-controller', repo: ADDON_CHART_REPOSITORIES.eks, version: s.versions.awsLoadBalancerController };
    this.loadBalancerController = this.release(name, s, sa.name, chart, sa.namespace, {
      clusterName: s.cluster.name,
      region: s.vpc.region?.name,
      vpcId: s.vpc.vpcId,
      replicaCount: 2,
      serviceAccount: { create: true, name: sa.name, annotations: { 'eks.amazonaws.com/role-arn': role.arn } },
      podDisruptionBudget: { maxUnavailable: 1 },
      // The Service mutator webhook (failurePolicy Fail, every namespace) refuses every Service in the
      // cluster while the controller has no ready pod; it only claims LoadBalancer Services that name no
      // class, and the one this platform makes (the gateway) names the controller itself
      // (aws-load-balancer-type: external). Off, and every other release still waits for the controller.
      // @see https://github.com/kubernetes-sigs/aws-load-balancer-controller/tree/main/helm/aws-load-balancer-controller#configuration
      enableServiceMutatorWebhook: false,
      ...loadBalancerControllerImageValues(s.versions.awsLoadBalancerController),
    }, [role]);
    return role.arn;
  }

  /** Istio base, the CNI node agent (with `mesh.cni`) and istiod. Returns istiod's release. */
  private istio(name: string, s: ClusterAddonsSettings): k8s.helm.v3.Release {
    const chart = (c: string) => ({ chart: c, repo: ADDON_CHART_REPOSITORIES.istio, version: s.versions.istio });
    const mesh = s.namespaces.mesh;
    const base = this.release(name, s, 'istio-base', chart('base'), mesh, { defaultRevision: 'default' });
    // The platform's mesh mode (platform.mesh): with cni the CNI node agent redirects traffic, so the
    // injector adds the unprivileged istio-validation init container instead of istio-init.
    // https://istio.io/latest/docs/setup/additional-setup/cni/#installing-with-helm
    const meshCni = s.platform.mesh.cni;
    const cni = meshCni ? this.release(name, s, 'istio-cni', chart('cni'), mesh, istioImageValues(s.versions.istio), [base]) : undefined;
    return this.release(name, s, 'istiod', chart('istiod'), mesh, {
      pilot: {
        autoscaleMin: 2,
        replicaCount: 2,
        cni: { enabled: meshCni },
        // Native sidecars as the platform declares them (the admission model reads the same fact).
        env: { ENABLE_NATIVE_SIDECARS: String(s.platform.mesh.nativeSidecars) },
      },
      // The platform's mesh-wide outbound policy (the traffic model reads the same fact).
      // @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-OutboundTrafficPolicy
      meshConfig: { accessLogFile: '/dev/stdout', outboundTrafficPolicy: { mode: s.platform.mesh.outboundTrafficPolicy } },
      // The proxy and pilot images (the sidecars' and the gateway's proxyv2 included) from Istio's own mirror.
      ...istioImageValues(s.versions.istio),
    }, [base, cni]);
  }

  /** The ingress gateway behind an internet-facing, cross-zone NLB on 443. Returns the NLB's host name. */
  private ingressGateway(name: string, s: ClusterAddonsSettings, istiod: k8s.helm.v3.Release | undefined): pulumi.Output<string> {
    const annotations = {
      'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
      'service.beta.kubernetes.io/aws-load-balancer-attributes': 'load_balancing.cross_zone.enabled=true',
      'service.beta.kubernetes.io/aws-load-balancer-security-groups': s.vpc.publicIngressSecurityGroupId,
      'service.beta.kubernetes.io/aws-load-balancer-manage-backend-security-group-rules': 'true',
    };
    const min = s.gatewayMinReplicas;
    const chart = { chart: 'gateway', repo: ADDON_CHART_REPOSITORIES.istio, version: s.versions.istio };
    const gateway = this.release(name, s, INGRESS_GATEWAY_NAME, chart, s.namespaces.ingress, {
      labels: { istio: 'ingressgateway' },
      // Only 443: the public security group admits nothing else.
      service: { type: 'LoadBalancer', annotations, ports: [{ name: 'https', port: 443, targetPort: 443, protocol: 'TCP' }] },
      autoscaling: { enabled: true, minReplicas: min, maxReplicas: Math.max(min * 3, 6) },
      topologySpreadConstraints: [{
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { istio: 'ingressgateway' } },
      }],
      podDisruptionBudget: { minAvailable: Math.max(min - 1, 1) },
    }, [istiod, this.loadBalancerController]);
    // The Service the chart creates (named after the release), read back once Helm has waited for its NLB.
    const service = k8s.core.v1.Service.get(`${name}-${INGRESS_GATEWAY_NAME}-service`, `${s.namespaces.ingress}/${INGRESS_GATEWAY_NAME}`,
      { parent: this, provider: s.cluster.provider, dependsOn: [gateway] });
    return service.status.apply(st => {
      const ingress = st?.loadBalancer?.ingress?.[0];
      const host = ingress?.hostname ?? ingress?.ip;
      if (!host) throw new Error(`ClusterAddons '${name}': the ingress gateway Service has no load balancer address yet`);
      return host;
    });
  }

  /** The prometheus-operator CRDs (a chart of their own) and the operator alone. Returns the operator's release. */
  private prometheusOperator(name: string, s: ClusterAddonsSettings): k8s.helm.v3.Release {
    const repo = ADDON_CHART_REPOSITORIES.prometheusCommunity;
    const ns = s.namespaces.prometheusOperator;
    const crds = this.release(name, s, 'prometheus-operator-crds',
      { chart: 'prometheus-operator-crds', repo, version: s.versions.prometheusOperatorCrds }, ns, {});
    const off = { enabled: false };
    const scrapedByNines = { [LABELS.managedBy]: MANAGED_BY };
    const metrics = s.platform.clusterMetrics;
    return this.release(name, s, 'prometheus-operator', { chart: 'kube-prometheus-stack', repo, version: s.versions.kubePrometheusStack }, ns, mergeValues({
      'crds': off,
      'defaultRules': { create: false },
      'prometheus': off,
      'alertmanager': off,
      'grafana': off,
      // The metric producers the platform description declares (clusterMetrics, read by the
      // synth-time signals rules too), labelled so the MonitoringStack's Prometheus selects them.
      'kubeStateMetrics': { enabled: metrics.kubeStateMetrics },
      'kube-state-metrics': { prometheus: { monitor: { enabled: true, additionalLabels: scrapedByNines } } },
      'nodeExporter': { enabled: metrics.nodeExporter },
      'prometheus-node-exporter': { prometheus: { monitor: { enabled: true, additionalLabels: scrapedByNines } } },
      'kubeApiServer': off,
      'kubelet': { enabled: metrics.kubelet, serviceMonitor: { cAdvisor: true, additionalLabels: scrapedByNines } },
      'kubeControllerManager': off,
      'coreDns': off,
      'kubeDns': off,
      'kubeEtcd': off,
      'kubeScheduler': off,
      'kubeProxy': off,
      // No admission webhook: the API server would have to reach it through the monitoring namespace's
      // default-deny NetworkPolicy, and our synth-time checks already validate the rules. Its TLS secret
      // comes from the webhook's cert job, so the operator's own TLS goes with it.
      'prometheusOperator': { enabled: true, admissionWebhooks: { enabled: false }, tls: { enabled: false } },
    }, kubePrometheusStackImageValues(s.versions.kubePrometheusStack)), [crds], { skipCrds: true });
  }

  /** Chaos Mesh on containerd, without its dashboard. */
  private chaosMesh(name: string, s: ClusterAddonsSettings): void {
    this.release(name, s, 'chaos-mesh', { chart: 'chaos-mesh', repo: ADDON_CHART_REPOSITORIES.chaosMesh, version: s.versions.chaosMesh },
      s.namespaces.chaos, mergeValues({
        // EKS AL2023 nodes run containerd.
        chaosDaemon: { runtime: 'containerd', socketPath: '/run/containerd/containerd.sock' },
        // The pod-failure action's pause image, pinned where Kubernetes publishes it (the chart's default is
        // gcr.io/google-containers/pause:latest, a mutable tag on the registry Kubernetes left for registry.k8s.io).
        // @see https://kubernetes.io/blog/2023/03/10/image-registry-redirect/
        controllerManager: { replicaCount: 3, podChaos: { podFailure: { pauseImage: CHAOS_MESH_PAUSE_IMAGE } } },
        dashboard: { create: false },
      }, chaosMeshImageValues(s.versions.chaosMesh)));
  }

  /**
   * cert-manager (HA, with its CRDs), its controller's Route53 role through EKS Pod Identity and,
   * with `tls`, the ACME ClusterIssuer and one Certificate per gateway Secret. Returns the Certificates.
   */
  private certManager(name: string, s: ClusterAddonsSettings): Record<string, k8s.apiextensions.CustomResource> {
    const ns = s.namespaces.certManager;
    const ha = { replicaCount: 2, podDisruptionBudget: { enabled: true, minAvailable: 1 } };
    const chart = { chart: 'cert-manager', repo: ADDON_CHART_REPOSITORIES.jetstack, version: s.versions.certManager };
    const after: pulumi.Resource[] = [];
    if (s.tls) {
      const account = { namespace: ns, name: CERT_MANAGER_SERVICE_ACCOUNT, resourceName: `${name}-cert-manager` };
      const { associations } = podIdentityRole(this, `${name}-cert-manager`, s.cluster, [account], JSON.stringify(certManagerRoute53Policy(s.tls.hostedZoneId)), s.tags);
      after.push(...Object.values(associations));
    }
    // The controller starts after its association exists: the agent hands out credentials to pods
    // created after it. @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html
    const release = this.release(name, s, 'cert-manager', chart, ns, mergeValues({
      crds: { enabled: true, keep: true },
      serviceAccount: { create: true, name: CERT_MANAGER_SERVICE_ACCOUNT },
      ...ha,
      webhook: ha,
      cainjector: ha,
    }, certManagerImageValues(s.versions.certManager.replace(/^v?/, 'v'))), after);
    if (!s.tls) return {};
    const opts = { parent: this, provider: s.cluster.provider, dependsOn: [release] };
    const issuer = new k8s.apiextensions.CustomResource(`${name}-${ACME_CLUSTER_ISSUER}`, acmeClusterIssuer({
      hostedZoneId: s.tls.hostedZoneId, region: s.vpc.region.name, server: s.tls.acmeServer, email: s.tls.email,
    }) as k8s.apiextensions.CustomResourceArgs, opts);
    const certificates: Record<string, k8s.apiextensions.CustomResource> = {};
    for (const c of s.tls.certificates) {
      const object = gatewayCertificate(c);
      // Pulumi waits until cert-manager sets the Ready condition (the Secret holds the issued certificate).
      // @see https://github.com/pulumi/pulumi-kubernetes/pull/3134 (pulumi.com/waitFor)
      object.metadata.annotations = { 'pulumi.com/waitFor': 'condition=Ready' };
      certificates[`${c.namespace}/${c.secretName}`] = new k8s.apiextensions.CustomResource(`${name}-${c.namespace}-${c.secretName}`,
        object as k8s.apiextensions.CustomResourceArgs, {
          ...opts, dependsOn: [release, issuer, this.namespaceOf(name, s, c.namespace)], customTimeouts: { create: '20m', update: '20m' },
        });
    }
    return certificates;
  }

  /**
   * external-dns for the private zone: the names the region's Services ask for, as this cluster's
   * records (TXT owner id = the cluster name, so the regions sharing the zone never touch each
   * other's records), through an EKS Pod Identity role that may change records in that zone only.
   * Called by the constructor with {@link ClusterAddonsArgs.privateZone}, or later, once the zone
   * exists (a zone shared by several regions is associated with every region's VPC, so it is made
   * after the regions). Returns the release (undefined with `enable.externalDns` off); no object
   * waits for it (external-dns publishes Services that already exist).
   */
  public publishInto(zone: PrivateZoneRef): k8s.helm.v3.Release | undefined {
    const [name, s] = [this.componentName, this.settings];
    if (!s.enabled.externalDns) return undefined;
    if (this.publishedZone !== undefined) {
      throw new Error(`ClusterAddons '${name}': external-dns already publishes into ${this.publishedZone}; publish into one private zone`);
    }
    this.publishedZone = zone.name;
    const ns = s.namespaces.externalDns;
    const account = { namespace: ns, name: EXTERNAL_DNS_SERVICE_ACCOUNT, resourceName: `${name}-external-dns` };
    const { associations } = podIdentityRole(this, `${name}-external-dns`, s.cluster, [account],
      pulumi.output(zone.zoneId).apply(id => JSON.stringify(externalDnsPolicy(id))), s.tags);
    // @see https://github.com/kubernetes-sigs/external-dns/blob/master/charts/external-dns/values.yaml
    // @see https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/aws/ (--aws-zone-type, --zone-id-filter, --txt-owner-id)
    return this.release(name, s, 'external-dns', { chart: 'external-dns', repo: ADDON_CHART_REPOSITORIES.externalDns, version: s.versions.externalDns }, ns, {
      serviceAccount: { create: true, name: EXTERNAL_DNS_SERVICE_ACCOUNT },
      provider: { name: 'aws' },
      // Only the Services' hostname annotations (the sidecars' internal NLB), only this zone.
      sources: ['service'],
      domainFilters: [zone.name],
      // sync: a record whose Service is gone is deleted, but only among the records this cluster owns (TXT registry).
      policy: 'sync',
      registry: 'txt',
      txtOwnerId: s.cluster.clusterName,
      extraArgs: ['--aws-zone-type=private', pulumi.interpolate`--zone-id-filter=${zone.zoneId}`],
      // Route53 is global, but the AWS SDK needs a region to sign with.
      env: [{ name: 'AWS_DEFAULT_REGION', value: s.vpc.region.name }],
      ...externalDnsImageValues(s.versions.externalDns),
    }, Object.values(associations));
  }

  /** Flagger (Istio provider, the monitoring namespace's Prometheus) and its load tester, in a meshed namespace. */
  private flagger(name: string, s: ClusterAddonsSettings, istiod?: k8s.helm.v3.Release, operator?: k8s.helm.v3.Release): void {
    const repo = ADDON_CHART_REPOSITORIES.flagger;
    // In the mesh, so the load tester reaches services that require mTLS (the Bulkhead's STRICT PeerAuthentication).
    const ns = this.namespaceOf(name, s, s.namespaces.flagger, { 'istio-injection': 'enabled' }, istiod ? [istiod] : []);
    const flagger = this.release(name, s, 'flagger', { chart: 'flagger', repo, version: s.versions.flagger }, s.namespaces.flagger, {
      meshProvider: 'istio',
      metricsServer: prometheusUrlOf(s.namespaces.monitoring),
      // Helm 3 installs the chart's crds/ folder; `crd.create` would render the same CRDs again
      // ("should be enabled for Helm v2 only"), and the install fails on objects that already exist.
      // @see https://github.com/fluxcd/flagger/tree/main/charts/flagger#configuration
      crd: { create: false },
      ...flaggerImageValues('flagger', s.versions.flagger),
    }, [ns, istiod, operator]);
    this.release(name, s, 'flagger-loadtester', { chart: 'loadtester', repo, version: s.versions.flaggerLoadtester }, s.namespaces.flagger,
      flaggerImageValues('flagger-loadtester', s.versions.flaggerLoadtester), [flagger]);
  }
}

/** The service account external-dns runs as (the only one its role is associated with). */
export const EXTERNAL_DNS_SERVICE_ACCOUNT = 'external-dns';

/**
 * external-dns's Route53 policy, scoped to one hosted zone: change, list and read the tags of its
 * records there; list the hosted zones (which Route53 does not scope to a zone).
 * @see https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/aws/#iam-policy
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53.html (ListHostedZones: no resource type)
 */
export function externalDnsPolicy(hostedZoneId: string): { Version: string; Statement: any[] } {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets', 'route53:ListTagsForResources'],
        Resource: [`arn:aws:route53:::hostedzone/${hostedZoneId.replace(/^\/hostedzone\//, '')}`],
      },
      { Effect: 'Allow', Action: ['route53:ListHostedZones'], Resource: ['*'] },
    ],
  };
}

/** A pinned chart: its name, repository and version. */

interface ChartRef {
  readonly chart: string;
  readonly repo: string;
  readonly version: string;
}
