/**
 * The pods the cluster runs besides the app's own: the add-ons ClusterAddons installs and the EKS
 * add-ons RegionalCluster turns on, with the requests their charts and manifests set. Deployments
 * add to the region's requests; DaemonSets take their requests from every node's allocatable.
 * Pure data (no cdk8s, no Pulumi): the capacity check and the node sizing read it.
 */
import {
  daemonSetRequestsPerNode, Headroom, headroom, NodeType, nodesPerZoneFor, Resources, workloadRequests, WorkloadRequests,
} from './capacity';

const Mi = 2 ** 20;

/** One add-on workload. */
export interface AddonWorkload {
  /** The workload, e.g. `Deployment/istio-system/istiod`. */
  readonly workload: string;
  readonly kind: 'Deployment' | 'DaemonSet';
  /** Replicas as installed (Deployments; a DaemonSet runs one per node). */
  readonly replicas: number;
  /** Requests of one pod (all containers); zero where the chart sets none (the scheduler then reserves nothing). */
  readonly perPod: Resources;
  /** Where the requests (and replicas) come from. */
  readonly source: string;
}

/** What the add-ons switched on, as the sizing reads them. */
export interface AddonCapacityOptions {
  readonly zones: number;
  readonly meshCni: boolean;
  readonly gatewayMinReplicas?: number;
  readonly istio?: boolean;
  readonly ingressGateway?: boolean;
  readonly chaosMesh?: boolean;
  readonly flagger?: boolean;
  readonly certManager?: boolean;
  readonly prometheusOperator?: boolean;
  readonly awsLoadBalancerController?: boolean;
  /** Karpenter's controller (lib/aws/karpenter.ts), on the static node groups. */
  readonly karpenter?: boolean;
}

/**
 * What ClusterAddons' sibling Karpenter sets as its controller's requests (and limits): 1 vCPU and
 * 1Gi, as Karpenter's getting-started guide installs it. The chart's own default is `resources: {}`
 * (it asks for nothing), and its default affinity (`karpenter.sh/nodepool DoesNotExist`) keeps both
 * replicas on the static node groups, never on nodes Karpenter launches: they count against the floor.
 * @see https://github.com/aws/karpenter-provider-aws/blob/v1.9.2/charts/karpenter/values.yaml (controller.resources, affinity, replicas 2)
 * @see https://github.com/aws/karpenter-provider-aws/blob/v1.9.2/website/content/en/v1.9/getting-started/getting-started-with-karpenter/scripts/step08-apply-helm-chart.sh
 */
export const KARPENTER_CONTROLLER_RESOURCES = { cpu: '1', memory: '1Gi' } as const;

const r = (cpu: number, memoryMi: number): Resources => ({ cpu, memoryBytes: memoryMi * Mi });
const NONE = r(0, 0);

/**
 * The add-on workloads of a region with these switches (all on unless turned off).
 * @see https://github.com/istio/istio/blob/master/manifests/charts/istio-control/istio-discovery/values.yaml (istiod 500m / 2048Mi)
 * @see https://github.com/istio/istio/blob/master/manifests/charts/gateway/values.yaml (gateway 100m / 128Mi)
 * @see https://github.com/istio/istio/blob/master/manifests/charts/istio-cni/values.yaml (istio-cni 100m / 100Mi)
 * @see https://github.com/chaos-mesh/chaos-mesh/blob/v2.7.0/helm/chaos-mesh/values.yaml (controller 25m / 256Mi x 3; daemon none; DNS server 100m / 70Mi x 1)
 * @see https://github.com/cert-manager/cert-manager/blob/v1.21.1/deploy/charts/cert-manager/values.yaml (resources: {})
 * @see https://github.com/fluxcd/flagger/blob/main/charts/flagger/values.yaml (10m / 32Mi), charts/loadtester/values.yaml (10m / 64Mi)
 * @see https://github.com/kubernetes/kubernetes/blob/master/cluster/addons/dns/coredns/coredns.yaml.base (CoreDNS 100m / 70Mi)
 */
export function addonWorkloads(o: AddonCapacityOptions): AddonWorkload[] {
  const on = (x: boolean | undefined) => x !== false;
  const out: AddonWorkload[] = [];
  const add = (workload: string, kind: AddonWorkload['kind'], replicas: number, perPod: Resources, source: string) =>
    out.push({ workload, kind, replicas, perPod, source });
  // EKS add-ons (RegionalCluster): two CoreDNS replicas, and on every node the VPC CNI with its
  // network policy agent, kube-proxy, the EBS CSI node plugin and the Pod Identity agent.
  add('Deployment/kube-system/coredns', 'Deployment', 2, r(0.1, 70), 'EKS CoreDNS add-on (upstream coredns.yaml.base requests)');
  add('DaemonSet/kube-system/aws-node', 'DaemonSet', 1, r(0.025, 0), 'EKS vpc-cni add-on (aws-node requests cpu 25m)');
  add('DaemonSet/kube-system/kube-proxy', 'DaemonSet', 1, r(0.1, 0), 'EKS kube-proxy add-on (requests cpu 100m)');
  add('DaemonSet/kube-system/ebs-csi-node', 'DaemonSet', 1, r(0.01, 40), 'aws-ebs-csi-driver chart node.resources');
  add('Deployment/kube-system/ebs-csi-controller', 'Deployment', 2, r(0.01, 40), 'aws-ebs-csi-driver chart controller.resources');
  add('DaemonSet/kube-system/eks-pod-identity-agent', 'DaemonSet', 1, NONE, 'EKS Pod Identity agent add-on (no requests)');
  if (on(o.awsLoadBalancerController)) {
    add('Deployment/kube-system/aws-load-balancer-controller', 'Deployment', 2, NONE, 'chart resources: {} (ClusterAddons replicaCount 2)');
  }
  if (on(o.karpenter)) {
    add('Deployment/kube-system/karpenter', 'Deployment', 2, r(Number(KARPENTER_CONTROLLER_RESOURCES.cpu), 1024),
      'karpenter chart replicas 2, controller.resources set to the getting-started guide\'s 1 / 1Gi (chart default {})');
  }
  if (on(o.istio)) {
    add('Deployment/istio-system/istiod', 'Deployment', 2, r(0.5, 2048), 'istio-discovery values (ClusterAddons autoscaleMin 2)');
    if (o.meshCni) add('DaemonSet/istio-system/istio-cni-node', 'DaemonSet', 1, r(0.1, 100), 'istio-cni values');
  }
  if (on(o.ingressGateway)) {
    add('Deployment/istio-ingress/istio-ingressgateway', 'Deployment', o.gatewayMinReplicas ?? o.zones, r(0.1, 128),
      'gateway chart values (ClusterAddons HPA floor: one per zone)');
  }
  if (on(o.certManager)) {
    for (const c of ['cert-manager', 'cert-manager-webhook', 'cert-manager-cainjector']) {
      add(`Deployment/cert-manager/${c}`, 'Deployment', 2, NONE, 'chart resources: {} (ClusterAddons replicaCount 2)');
    }
  }
  if (on(o.prometheusOperator)) {
    add('Deployment/prometheus-operator/prometheus-operator', 'Deployment', 1, NONE, 'kube-prometheus-stack prometheusOperator.resources: {}');
    add('Deployment/prometheus-operator/kube-state-metrics', 'Deployment', 1, NONE, 'kube-state-metrics chart resources: {}');
    add('DaemonSet/prometheus-operator/prometheus-node-exporter', 'DaemonSet', 1, NONE, 'prometheus-node-exporter chart resources: {}');
  }
  if (on(o.chaosMesh)) {
    add('Deployment/chaos-mesh/chaos-controller-manager', 'Deployment', 3, r(0.025, 256), 'chaos-mesh values controllerManager');
    add('DaemonSet/chaos-mesh/chaos-daemon', 'DaemonSet', 1, NONE, 'chaos-mesh values chaosDaemon.resources: {}');
    // On by default since chart 2.6 (dnsServer.create: true), for DNSChaos: one replica, 100m / 70Mi.
    // @see https://github.com/chaos-mesh/chaos-mesh/blob/v2.7.0/helm/chaos-mesh/values.yaml (dnsServer.create, replicas, resources.requests)
    add('Deployment/chaos-mesh/chaos-dns-server', 'Deployment', 1, r(0.1, 70), 'chaos-mesh values dnsServer (create: true, 1 replica, 100m / 70Mi)');
  }
  if (on(o.flagger)) {
    // In the meshed flagger-system namespace: each pod also gets an istio-proxy (100m / 128Mi).
    add('Deployment/flagger-system/flagger', 'Deployment', 1, r(0.01 + 0.1, 32 + 128), 'flagger chart resources.requests + istio-proxy');
    add('Deployment/flagger-system/flagger-loadtester', 'Deployment', 1, r(0.01 + 0.1, 64 + 128), 'loadtester chart resources.requests + istio-proxy');
  }
  return out;
}

/** What the add-on Deployments request in total, and what every node gives to DaemonSets. */
export function addonCapacity(workloads: readonly AddonWorkload[]): { deployments: Resources; perNode: Resources } {
  const sum = (kind: AddonWorkload['kind'], times: (w: AddonWorkload) => number) => workloads.filter(w => w.kind === kind).reduce(
    (a, w) => ({ cpu: a.cpu + w.perPod.cpu * times(w), memoryBytes: a.memoryBytes + w.perPod.memoryBytes * times(w) }), { cpu: 0, memoryBytes: 0 });
  return { deployments: sum('Deployment', w => w.replicas), perNode: sum('DaemonSet', () => 1) };
}

/** The add-on Deployments as the capacity check counts workloads (their pods' requests, at their replicas). */
export function addonDeploymentRequests(workloads: readonly AddonWorkload[]): WorkloadRequests[] {
  return workloads.filter(w => w.kind === 'Deployment').map(w => ({
    workload: w.workload,
    replicas: w.replicas,
    cpu: w.perPod.cpu * w.replicas,
    memoryBytes: w.perPod.memoryBytes * w.replicas,
    sidecar: { cpu: 0, memoryBytes: 0 },
  }));
}

/** A region's capacity plan: what its pods need and the nodes per zone that hold it with a zone lost. */
export interface RegionCapacity {
  /** The app's workloads (sidecars included) and the add-on Deployments. */
  readonly requests: readonly WorkloadRequests[];
  /** What every node gives its DaemonSet pods first (the app's and the add-ons'). */
  readonly perNode: Resources;
  /** Nodes per zone (one zone lost, the others at <= 80%). */
  readonly nodesPerZone: number;
  /** The headroom at that size. */
  readonly headroom: Headroom;
  /** Every HorizontalPodAutoscaler at its maxReplicas: what the region's nodes must hold at its peak. */
  readonly peak: PeakCapacity;
}

/** A region at its peak: every HPA at its maxReplicas. */
export interface PeakCapacity {
  /** What the pods request with every HPA at its maxReplicas (the add-ons and sidecars included). */
  readonly requested: Resources;
  /** The static node groups' allocatable in all zones, after the DaemonSets (what holds the peak without node autoscaling). */
  readonly staticAllocatable: Resources;
  /** Whether the static node groups hold the peak with every zone up (if not, scaling out needs nodes added). */
  readonly staticHoldsPeak: boolean;
  /** Nodes each zone needs at the peak so that, with one zone lost, the other zones hold it (at <= 100%). */
  readonly nodesPerZone: number;
  /** Nodes each zone's autoscaler must be allowed to add on top of the static floor: nodesPerZone - floor (>= 0). */
  readonly autoscaledNodesPerZone: number;
}

/**
 * Sizes a region from its synthesized objects and the add-ons its cluster runs: the app's pods
 * (sidecars included) plus the add-on Deployments, on nodes that first give every DaemonSet
 * (the app's and the add-ons') its share, so that with one zone lost the others hold it all.
 */
export function regionCapacity(objects: readonly any[], addons: AddonCapacityOptions, node: NodeType, nodesPerZone?: number): RegionCapacity {
  const workloads = addonWorkloads(addons);
  const app = daemonSetRequestsPerNode(objects);
  const theirs = addonCapacity(workloads).perNode;
  const perNode = { cpu: app.cpu + theirs.cpu, memoryBytes: app.memoryBytes + theirs.memoryBytes };
  const requests = [...workloadRequests(objects), ...addonDeploymentRequests(workloads)];
  const n = nodesPerZone ?? nodesPerZoneFor(requests, node, addons.zones, 0.8, perNode);
  const peakRequests = [...workloadRequests(objects, 'peak'), ...addonDeploymentRequests(workloads)];
  const h = headroom(requests, node, addons.zones, n, perNode);
  const atPeak = headroom(peakRequests, node, addons.zones, n, perNode);
  const peakNodes = nodesPerZoneFor(peakRequests, node, addons.zones, 1, perNode);
  return {
    requests,
    perNode,
    nodesPerZone: n,
    headroom: h,
    peak: {
      requested: atPeak.requested,
      staticAllocatable: atPeak.allocatable,
      staticHoldsPeak: atPeak.requested.cpu <= atPeak.allocatable.cpu && atPeak.requested.memoryBytes <= atPeak.allocatable.memoryBytes,
      nodesPerZone: peakNodes,
      autoscaledNodesPerZone: Math.max(0, peakNodes - n),
    },
  };
}
