import * as iam from '@pulumi/aws/iam';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import LOAD_BALANCER_CONTROLLER_POLICY from './aws-load-balancer-controller-policy.json';
import { irsaTrustPolicy } from './irsa';
import { MultiAzVpc } from './multi-az-vpc';
import { RegionalCluster } from './regional-cluster';
import { clusterAddonsProvisions, Provision } from '../core/capabilities';
import { Problems } from '../core/errors';
import { addonVersionProblems } from '../core/kubernetes-version';
import { LABELS, MANAGED_BY, isDnsLabel } from '../core/labels';
import { platformSettingsOf, prometheusUrlOf } from '../core/platform';

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
   * (`http://flagger-loadtester.flagger-system/`) names.
   * @default 'flagger-system'
   * @see CanaryReleaseProps.loadTesterUrl
   */
  readonly flagger?: string;
}

/** Arguments of {@link ClusterAddons}. */
export interface ClusterAddonsArgs {
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
   * Tags added to the AWS resources (the controller's IAM role).
   * @default {}
   * @see https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The chart versions used when {@link ClusterAddonsArgs.versions} leaves one unset. */
export const DEFAULT_ADDON_CHART_VERSIONS: Readonly<Required<AddonChartVersions>> = {
  istio: '1.30.0',
  prometheusOperatorCrds: '16.0.1',
  kubePrometheusStack: '66.3.1',
  chaosMesh: '2.7.0',
  flagger: '1.38.0',
  flaggerLoadtester: '0.33.0',
  awsLoadBalancerController: '1.10.1',
};

/** The Helm repositories the charts come from. */
export const ADDON_CHART_REPOSITORIES = {
  istio: 'https://istio-release.storage.googleapis.com/charts',
  prometheusCommunity: 'https://prometheus-community.github.io/helm-charts',
  chaosMesh: 'https://charts.chaos-mesh.org',
  flagger: 'https://flagger.app',
  eks: 'https://aws.github.io/eks-charts',
} as const;

/** The IAM policy of the AWS Load Balancer Controller (v2.10, from the project's docs/install/iam_policy.json). */
export const AWS_LOAD_BALANCER_CONTROLLER_POLICY: { readonly Version: string; readonly Statement: readonly any[] } = LOAD_BALANCER_CONTROLLER_POLICY;

/** The service account of the AWS Load Balancer Controller (the only subject its role trusts). */
export const AWS_LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'aws-load-balancer-controller' } as const;

/** Release (and Service) name of the ingress gateway. */
export const INGRESS_GATEWAY_NAME = 'istio-ingressgateway';

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

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
  public readonly provides: readonly Provision[];
  /** IRSA role of the AWS Load Balancer Controller (when it is on). */
  public readonly loadBalancerControllerRoleArn?: pulumi.Output<string>;
  /**
   * The ingress gateway's public NLB host name (from the Service's status): the region's entry point.
   * Undefined when the gateway is off.
   */
  public readonly entryPoint?: pulumi.Output<string>;

  constructor(name: string, args: ClusterAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = new Problems('ClusterAddons', name);
    if (!(args?.cluster instanceof RegionalCluster)) problems.add('cluster', args?.cluster, 'is not a RegionalCluster', 'pass the region\'s RegionalCluster');
    if (!(args?.vpc instanceof MultiAzVpc)) problems.add('vpc', args?.vpc, 'is not a MultiAzVpc', 'pass the region\'s MultiAzVpc');
    problems.throwIfAny();
    const { cluster, vpc } = args;
    const versions = { ...DEFAULT_ADDON_CHART_VERSIONS, ...definedOnly(args.versions ?? {}) };
    for (const [k, v] of Object.entries(versions)) {
      problems.when(typeof v !== 'string' || !SEMVER.test(v), `versions.${k}`, v, 'is not an exact chart version',
        `pin one, e.g. "${DEFAULT_ADDON_CHART_VERSIONS[k as keyof AddonChartVersions]}" (ranges make \`pulumi up\` non-repeatable)`);
    }
    const enabled = resolveAddonSwitches(args.enable);
    problems.when(enabled.ingressGateway && !enabled.istio, 'enable.ingressGateway', true, 'needs enable.istio (the gateway is an Istio proxy)',
      'turn istio on, or the gateway off');
    problems.when(enabled.ingressGateway && !enabled.awsLoadBalancerController, 'enable.ingressGateway', true,
      'needs enable.awsLoadBalancerController (only it honours the NLB and security-group annotations)',
      'turn awsLoadBalancerController on, or the gateway off');
    problems.when(enabled.flagger && !enabled.istio, 'enable.flagger', true, 'needs enable.istio (meshProvider istio)', 'turn istio on, or flagger off');
    const platform = platformSettingsOf(vpc.region);
    const namespaces = {
      mesh: args.namespaces?.mesh ?? platform.meshNamespace,
      ingress: args.namespaces?.ingress ?? 'istio-ingress',
      monitoring: args.namespaces?.monitoring ?? platform.monitoringNamespace,
      prometheusOperator: args.namespaces?.prometheusOperator ?? 'prometheus-operator',
      chaos: args.namespaces?.chaos ?? platform.chaosNamespace,
      flagger: args.namespaces?.flagger ?? 'flagger-system',
    };
    for (const [k, v] of Object.entries(namespaces)) {
      problems.when(!isDnsLabel(v), `namespaces.${k}`, v, 'is not a namespace name', 'use a DNS label, e.g. "istio-ingress"');
    }
    // The namespaces the add-ons create (the monitoring namespace is only read: Prometheus lives there).
    const owned = Object.entries(namespaces).filter(([k]) => k !== 'monitoring');
    const reserved = new Set(args.reservedNamespaces ?? []);
    for (const [k, v] of owned) {
      problems.when(reserved.has(v), `namespaces.${k}`, v, 'is also created by the cdk8s charts, so two owners would create (and delete) it',
        'give the add-on a namespace of its own');
    }
    const gatewayMinReplicas = args.gatewayMinReplicas ?? vpc.zones.length;
    problems.when(!Number.isInteger(gatewayMinReplicas) || gatewayMinReplicas < 2, 'gatewayMinReplicas', gatewayMinReplicas,
      'is below 2, so one pod or zone loss takes the region\'s entry point down', `use ${vpc.zones.length} (one per zone)`);
    // Every pin supports the platform's Kubernetes version, as the add-on's documentation states it.
    problems.addAll(addonVersionProblems(cluster.kubernetesVersion,
      Object.fromEntries(Object.entries(versions).filter(([, v]) => typeof v === 'string' && SEMVER.test(v)))));
    problems.throwIfAny();

    super('nines:aws:ClusterAddons', name, {}, opts);
    const meshCni = platform.mesh.cni;
    this.provides = clusterAddonsProvisions({
      istio: enabled.istio, prometheusOperator: enabled.prometheusOperator, chaosMesh: enabled.chaosMesh, flagger: enabled.flagger,
    }, meshCni);
    this.versions = versions;
    this.enabled = enabled;
    this.namespaces = namespaces;
    this.gatewayMinReplicas = gatewayMinReplicas;
    const releases: Record<string, k8s.helm.v3.Release> = {};
    // Every release waits for the nodes (an atomic release rolls back while its pods stay Pending)
    // and, once it is installed, for the load balancer controller (see below).
    const nodes = Object.values(cluster.nodeGroups);
    const namespaceResources = new Map<string, k8s.core.v1.Namespace>();
    const namespaceOf = (ns: string, labels?: Record<string, string>, after: pulumi.Resource[] = []) => {
      let r = namespaceResources.get(ns);
      if (!r) {
        r = new k8s.core.v1.Namespace(`${name}-${ns}`, { metadata: { name: ns, ...(labels ? { labels } : {}) } },
          { parent: this, provider: cluster.provider, dependsOn: after });
        namespaceResources.set(ns, r);
      }
      return r;
    };
    let lbc: k8s.helm.v3.Release | undefined;
    const release = (key: string, chart: string, repo: string, version: string, namespace: string, values: Record<string, any>,
      dependsOn: (k8s.helm.v3.Release | pulumi.Resource | undefined)[] = [], extra: Partial<k8s.helm.v3.ReleaseArgs> = {}) => {
      dependsOn = [...nodes, lbc, namespace === 'kube-system' ? undefined : namespaceOf(namespace), ...dependsOn];
      const r = new k8s.helm.v3.Release(`${name}-${key}`, {
        name: key,
        chart,
        version,
        repositoryOpts: { repo },
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
      }, { parent: this, provider: cluster.provider, dependsOn: dependsOn.filter((d): d is pulumi.Resource => d !== undefined) });
      releases[key] = r;
      return r;
    };

    // --- AWS Load Balancer Controller (IRSA) ---------------------------------------------------
    if (enabled.awsLoadBalancerController) {
      const sa = AWS_LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT;
      const role = new iam.Role(`${name}-lb-controller`, {
        assumeRolePolicy: irsaTrustPolicy(cluster.oidcProviderArn, cluster.oidcIssuer, [sa]),
        tags: { ...(args.tags ?? {}), 'nines.dev/cluster': cluster.clusterName },
      }, { parent: this });
      new iam.RolePolicy(`${name}-lb-controller`, { role: role.id, policy: JSON.stringify(AWS_LOAD_BALANCER_CONTROLLER_POLICY) }, { parent: this });
      this.loadBalancerControllerRoleArn = role.arn;
      lbc = release(sa.name, 'aws-load-balancer-controller', ADDON_CHART_REPOSITORIES.eks, versions.awsLoadBalancerController, sa.namespace, {
        clusterName: cluster.name,
        region: vpc.region?.name,
        vpcId: vpc.vpcId,
        replicaCount: 2,
        serviceAccount: { create: true, name: sa.name, annotations: { 'eks.amazonaws.com/role-arn': role.arn } },
        podDisruptionBudget: { maxUnavailable: 1 },
        // The Service mutator webhook (failurePolicy Fail, every namespace) refuses every Service in the
        // cluster while the controller has no ready pod; it only claims LoadBalancer Services that name no
        // class, and the one this platform makes (the gateway) names the controller itself
        // (aws-load-balancer-type: external). Off, and every other release still waits for the controller.
        // @see https://github.com/kubernetes-sigs/aws-load-balancer-controller/tree/main/helm/aws-load-balancer-controller#configuration
        enableServiceMutatorWebhook: false,
      }, [role]);
    }

    // --- Istio ---------------------------------------------------------------------------------
    let istiod: k8s.helm.v3.Release | undefined;
    if (enabled.istio) {
      const base = release('istio-base', 'base', ADDON_CHART_REPOSITORIES.istio, versions.istio, namespaces.mesh, { defaultRevision: 'default' });
      // The platform's mesh mode (platform.mesh): with cni the CNI node agent redirects traffic, so the
      // injector adds the unprivileged istio-validation init container instead of istio-init.
      // https://istio.io/latest/docs/setup/additional-setup/cni/#installing-with-helm
      const cni = meshCni
        ? release('istio-cni', 'cni', ADDON_CHART_REPOSITORIES.istio, versions.istio, namespaces.mesh, {}, [base])
        : undefined;
      istiod = release('istiod', 'istiod', ADDON_CHART_REPOSITORIES.istio, versions.istio, namespaces.mesh, {
        pilot: {
          autoscaleMin: 2,
          replicaCount: 2,
          cni: { enabled: meshCni },
          // Native sidecars as the platform declares them (the admission model reads the same fact).
          env: { ENABLE_NATIVE_SIDECARS: String(platform.mesh.nativeSidecars) },
        },
        meshConfig: { accessLogFile: '/dev/stdout' },
      }, [base, cni]);
    }
    if (enabled.ingressGateway) {
      const annotations = {
        'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
        'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
        'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
        'service.beta.kubernetes.io/aws-load-balancer-attributes': 'load_balancing.cross_zone.enabled=true',
        'service.beta.kubernetes.io/aws-load-balancer-security-groups': vpc.publicIngressSecurityGroupId,
        'service.beta.kubernetes.io/aws-load-balancer-manage-backend-security-group-rules': 'true',
      };
      release(INGRESS_GATEWAY_NAME, 'gateway', ADDON_CHART_REPOSITORIES.istio, versions.istio, namespaces.ingress, {
        labels: { istio: 'ingressgateway' },
        // Only 443: the public security group admits nothing else.
        service: { type: 'LoadBalancer', annotations, ports: [{ name: 'https', port: 443, targetPort: 443, protocol: 'TCP' }] },
        autoscaling: { enabled: true, minReplicas: gatewayMinReplicas, maxReplicas: Math.max(gatewayMinReplicas * 3, 6) },
        topologySpreadConstraints: [{
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { istio: 'ingressgateway' } },
        }],
        podDisruptionBudget: { minAvailable: Math.max(gatewayMinReplicas - 1, 1) },
      }, [istiod, lbc]);
      // The Service the chart creates (named after the release), read back once Helm has waited for its NLB.
      const service = k8s.core.v1.Service.get(`${name}-${INGRESS_GATEWAY_NAME}-service`, `${namespaces.ingress}/${INGRESS_GATEWAY_NAME}`,
        { parent: this, provider: cluster.provider, dependsOn: [releases[INGRESS_GATEWAY_NAME]] });
      this.entryPoint = service.status.apply(s => {
        const ingress = s?.loadBalancer?.ingress?.[0];
        const host = ingress?.hostname ?? ingress?.ip;
        if (!host) throw new Error(`ClusterAddons '${name}': the ingress gateway Service has no load balancer address yet`);
        return host;
      });
    }

    // --- prometheus-operator -------------------------------------------------------------------
    let operator: k8s.helm.v3.Release | undefined;
    if (enabled.prometheusOperator) {
      const crds = release('prometheus-operator-crds', 'prometheus-operator-crds', ADDON_CHART_REPOSITORIES.prometheusCommunity,
        versions.prometheusOperatorCrds, namespaces.prometheusOperator, {});
      const off = { enabled: false };
      const scrapedByNines = { [LABELS.managedBy]: MANAGED_BY };
      operator = release('prometheus-operator', 'kube-prometheus-stack', ADDON_CHART_REPOSITORIES.prometheusCommunity,
        versions.kubePrometheusStack, namespaces.prometheusOperator, {
          'crds': off,
          'defaultRules': { create: false },
          'prometheus': off,
          'alertmanager': off,
          'grafana': off,
          // The metric producers the platform description declares (clusterMetrics, read by the
          // synth-time signals rules too), labelled so the MonitoringStack's Prometheus selects them.
          'kubeStateMetrics': { enabled: platform.clusterMetrics.kubeStateMetrics },
          'kube-state-metrics': { prometheus: { monitor: { enabled: true, additionalLabels: scrapedByNines } } },
          'nodeExporter': { enabled: platform.clusterMetrics.nodeExporter },
          'prometheus-node-exporter': { prometheus: { monitor: { enabled: true, additionalLabels: scrapedByNines } } },
          'kubeApiServer': off,
          'kubelet': { enabled: platform.clusterMetrics.kubelet, serviceMonitor: { cAdvisor: true, additionalLabels: scrapedByNines } },
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
        }, [crds], { skipCrds: true });
    }

    // --- Chaos Mesh ----------------------------------------------------------------------------
    if (enabled.chaosMesh) {
      release('chaos-mesh', 'chaos-mesh', ADDON_CHART_REPOSITORIES.chaosMesh, versions.chaosMesh, namespaces.chaos, {
        // EKS AL2023 nodes run containerd.
        chaosDaemon: { runtime: 'containerd', socketPath: '/run/containerd/containerd.sock' },
        controllerManager: { replicaCount: 3 },
        dashboard: { create: false },
      });
    }

    // --- Flagger -------------------------------------------------------------------------------
    if (enabled.flagger) {
      // In the mesh, so the load tester reaches services that require mTLS (the Bulkhead's STRICT PeerAuthentication).
      const ns = namespaceOf(namespaces.flagger, { 'istio-injection': 'enabled' }, istiod ? [istiod] : []);
      const flagger = release('flagger', 'flagger', ADDON_CHART_REPOSITORIES.flagger, versions.flagger, namespaces.flagger, {
        meshProvider: 'istio',
        metricsServer: prometheusUrlOf(namespaces.monitoring),
        // Helm 3 installs the chart's crds/ folder; `crd.create` would render the same CRDs again
        // ("should be enabled for Helm v2 only"), and the install fails on objects that already exist.
        // @see https://github.com/fluxcd/flagger/tree/main/charts/flagger#configuration
        crd: { create: false },
      }, [ns, istiod, operator]);
      release('flagger-loadtester', 'loadtester', ADDON_CHART_REPOSITORIES.flagger, versions.flaggerLoadtester, namespaces.flagger, {},
        [flagger]);
    }

    this.releases = releases;
    this.registerOutputs({ entryPoint: this.entryPoint, loadBalancerControllerRoleArn: this.loadBalancerControllerRoleArn });
  }
}

/** The switches with their defaults (all on): what ClusterAddons installs, known before any resource exists. */
export function resolveAddonSwitches(e: AddonSwitches = {}): Required<AddonSwitches> {
  return {
    istio: e.istio ?? true,
    ingressGateway: e.ingressGateway ?? true,
    prometheusOperator: e.prometheusOperator ?? true,
    chaosMesh: e.chaosMesh ?? true,
    flagger: e.flagger ?? true,
    awsLoadBalancerController: e.awsLoadBalancerController ?? true,
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
