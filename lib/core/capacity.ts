/**
 * Capacity: what a region's pods request (injected sidecars included) against what its nodes can
 * hold, with one zone lost. Pure functions over synthesized objects (no cdk8s, no Pulumi): the
 * synth prints the headroom, and the AWS side sizes each zone's nodes from the same numbers.
 */
import { parseQuantity } from './quantity';

/**
 * What Istio's injector adds to each meshed pod: the `istio-proxy` container's default requests
 * (`global.proxy.resources.requests`: cpu 100m, memory 128Mi).
 * @see https://github.com/istio/istio/blob/master/manifests/charts/istio-control/istio-discovery/values.yaml
 */
export const ISTIO_PROXY_REQUESTS = { cpu: 0.1, memoryBytes: 128 * 2 ** 20 } as const;

/** CPU (cores) and memory (bytes). */
export interface Resources {
  readonly cpu: number;
  readonly memoryBytes: number;
}

/** One workload's steady-state requests. */
export interface WorkloadRequests extends Resources {
  /** `Kind/namespace/name`. */
  readonly workload: string;
  readonly replicas: number;
  /** Of which the injected istio-proxy sidecars. */
  readonly sidecar: Resources;
}

const POD_OWNERS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);

function containerRequests(containers: any[]): Resources {
  let cpu = 0;
  let mem = 0;
  for (const c of containers ?? []) {
    const r = c?.resources?.requests ?? {};
    if (r.cpu !== undefined) cpu += parseQuantity(String(r.cpu)) ?? 0;
    if (r.memory !== undefined) mem += parseQuantity(String(r.memory)) ?? 0;
  }
  return { cpu, memoryBytes: mem };
}

/**
 * The requests of every long-running pod of the objects: Deployments, StatefulSets and ReplicaSets
 * at their floor (an HPA's minReplicas when one targets them; with `at: 'peak'`, its maxReplicas),
 * and the pods prometheus-operator
 * creates from Prometheus and Alertmanager resources; plus an istio-proxy per pod in a namespace
 * with injection on (unless the pod opts out). Jobs and CronJobs are transient and left out;
 * init containers run before the app and do not add to the steady state.
 * @see https://kubernetes.io/docs/concepts/workloads/pods/init-containers/#resource-sharing-within-containers
 */
export function workloadRequests(objects: readonly any[], at: 'floor' | 'peak' = 'floor'): WorkloadRequests[] {
  const meshed = new Set(objects.filter(o => o?.kind === 'Namespace' && o?.metadata?.labels?.['istio-injection'] === 'enabled')
    .map(o => o.metadata.name));
  const hpaReplicas = new Map<string, number>();
  for (const o of objects) {
    if (o?.kind !== 'HorizontalPodAutoscaler') continue;
    const t = o.spec?.scaleTargetRef ?? {};
    // https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/ (minReplicas defaults to 1)
    hpaReplicas.set(`${t.kind}/${o.metadata?.namespace ?? 'default'}/${t.name}`, Number(at === 'peak' ? o.spec?.maxReplicas : o.spec?.minReplicas ?? 1));
  }
  const out: WorkloadRequests[] = [];
  for (const o of objects) {
    const kind = o?.kind;
    const ns = o?.metadata?.namespace ?? 'default';
    const ref = `${kind}/${ns}/${o?.metadata?.name}`;
    let replicas: number;
    let pod: any;
    let annotations: Record<string, string> = {};
    if (POD_OWNERS.has(kind)) {
      replicas = hpaReplicas.get(ref) ?? Number(o.spec?.replicas ?? 1);
      pod = o.spec?.template?.spec;
      annotations = { ...o.spec?.template?.metadata?.labels, ...o.spec?.template?.metadata?.annotations };
    } else if ((kind === 'Prometheus' || kind === 'Alertmanager') && String(o?.apiVersion).startsWith('monitoring.coreos.com/')) {
      replicas = Number(o.spec?.replicas ?? 1);
      pod = { containers: [{ resources: o.spec?.resources }, ...(o.spec?.containers ?? [])] };
      annotations = { ...o.spec?.podMetadata?.labels, ...o.spec?.podMetadata?.annotations };
    } else {
      continue;
    }
    const own = containerRequests(pod?.containers ?? []);
    const injected = meshed.has(ns) && annotations['sidecar.istio.io/inject'] !== 'false';
    const sidecar = injected ? ISTIO_PROXY_REQUESTS : { cpu: 0, memoryBytes: 0 };
    out.push({
      workload: ref,
      replicas,
      cpu: replicas * (own.cpu + sidecar.cpu),
      memoryBytes: replicas * (own.memoryBytes + sidecar.memoryBytes),
      sidecar: { cpu: replicas * sidecar.cpu, memoryBytes: replicas * sidecar.memoryBytes },
    });
  }
  return out;
}

/** One node type's allocatable resources (what the kubelet offers pods after its reservations). */
export interface NodeType extends Resources {
  readonly instanceType: string;
  /** On-demand price, USD per hour (us-east-1). */
  readonly hourlyUsd: number;
}

/**
 * m6i.xlarge: 4 vCPU, 16 GiB; allocatable after EKS's AL2023 kube-reserved (80m CPU for 4 cores;
 * 255Mi + 11Mi x 58 pods of memory) and the 100Mi eviction threshold.
 * @see https://github.com/awslabs/amazon-eks-ami/blob/main/templates/al2023/runtime/ (kube-reserved formula)
 * @see https://aws.amazon.com/ec2/pricing/on-demand/
 */
export const M6I_XLARGE: NodeType = { instanceType: 'm6i.xlarge', cpu: 3.92, memoryBytes: 14.5 * 2 ** 30, hourlyUsd: 0.192 };

/** A region's headroom with one zone lost. */
export interface Headroom {
  /** Everything the region's pods request, sidecars included. */
  readonly requested: Resources;
  /** Of which istio-proxy sidecars. */
  readonly sidecars: Resources;
  /** What the DaemonSets take on every node (theirs before any other pod's). */
  readonly perNode: Resources;
  /** Allocatable of all the region's nodes, less the DaemonSets' share. */
  readonly allocatable: Resources;
  /** Allocatable with the largest zone lost, less the DaemonSets' share. */
  readonly allocatableOneZoneLost: Resources;
  /** allocatableOneZoneLost - requested (negative: pods stay Pending after a zone loss). */
  readonly headroomOneZoneLost: Resources;
}

const NOTHING: Resources = { cpu: 0, memoryBytes: 0 };

/**
 * Headroom of `requests` on `nodesPerZone` nodes of `node` in each of `zones` zones, each node
 * giving `perNode` to its DaemonSet pods first.
 */
export function headroom(requests: readonly WorkloadRequests[], node: NodeType, zones: number, nodesPerZone: number,
  perNode: Resources = NOTHING): Headroom {
  const sum = (f: (w: WorkloadRequests) => Resources) => requests.reduce(
    (a, w) => ({ cpu: a.cpu + f(w).cpu, memoryBytes: a.memoryBytes + f(w).memoryBytes }), { cpu: 0, memoryBytes: 0 });
  const requested = sum(w => w);
  const usable = { cpu: node.cpu - perNode.cpu, memoryBytes: node.memoryBytes - perNode.memoryBytes };
  const perZone = { cpu: usable.cpu * nodesPerZone, memoryBytes: usable.memoryBytes * nodesPerZone };
  const lost = { cpu: perZone.cpu * (zones - 1), memoryBytes: perZone.memoryBytes * (zones - 1) };
  return {
    requested,
    sidecars: sum(w => w.sidecar),
    perNode,
    allocatable: { cpu: perZone.cpu * zones, memoryBytes: perZone.memoryBytes * zones },
    allocatableOneZoneLost: lost,
    headroomOneZoneLost: { cpu: lost.cpu - requested.cpu, memoryBytes: lost.memoryBytes - requested.memoryBytes },
  };
}

/**
 * Nodes each zone needs so that, with one zone lost, the other zones hold every request at no
 * more than `targetUtilization` of their allocatable (room for rollouts' surge pods and HPA steps),
 * after each node's DaemonSet share `perNode`.
 */
export function nodesPerZoneFor(requests: readonly WorkloadRequests[], node: NodeType, zones: number, targetUtilization = 0.8,
  perNode: Resources = NOTHING): number {
  const h = headroom(requests, node, zones, 1, perNode);
  const survivors = Math.max(zones - 1, 1);
  const usable = { cpu: node.cpu - perNode.cpu, memoryBytes: node.memoryBytes - perNode.memoryBytes };
  const byCpu = h.requested.cpu / (survivors * usable.cpu * targetUtilization);
  const byMemory = h.requested.memoryBytes / (survivors * usable.memoryBytes * targetUtilization);
  return Math.max(1, Math.ceil(Math.max(byCpu, byMemory)));
}

/**
 * What the DaemonSets among `objects` take on every node: each one's pod requests, plus an
 * istio-proxy where its namespace has injection on (a DaemonSet pod runs on every node, so it
 * reduces each node's allocatable rather than adding to the region's requests).
 */
export function daemonSetRequestsPerNode(objects: readonly any[]): Resources {
  const meshed = new Set(objects.filter(o => o?.kind === 'Namespace' && o?.metadata?.labels?.['istio-injection'] === 'enabled')
    .map(o => o.metadata.name));
  let cpu = 0;
  let memoryBytes = 0;
  for (const o of objects) {
    if (o?.kind !== 'DaemonSet') continue;
    const own = containerRequests(o.spec?.template?.spec?.containers ?? []);
    const a = { ...o.spec?.template?.metadata?.labels, ...o.spec?.template?.metadata?.annotations };
    const injected = meshed.has(o.metadata?.namespace ?? 'default') && a['sidecar.istio.io/inject'] !== 'false';
    cpu += own.cpu + (injected ? ISTIO_PROXY_REQUESTS.cpu : 0);
    memoryBytes += own.memoryBytes + (injected ? ISTIO_PROXY_REQUESTS.memoryBytes : 0);
  }
  return { cpu, memoryBytes };
}

/** One line: `requested 39.2 vCPU / 61.0 GiB (sidecars 9.1 vCPU / 11.6 GiB); DaemonSets per node ...; one zone lost: ...`. */
export function formatHeadroom(h: Headroom): string {
  const r = (x: Resources) => `${x.cpu.toFixed(1)} vCPU / ${(x.memoryBytes / 2 ** 30).toFixed(1)} GiB`;
  const perNode = h.perNode.cpu > 0 || h.perNode.memoryBytes > 0
    ? `; DaemonSets ${(h.perNode.cpu * 1000).toFixed(0)}m / ${(h.perNode.memoryBytes / 2 ** 20).toFixed(0)}Mi per node` : '';
  return `requested ${r(h.requested)} (sidecars ${r(h.sidecars)})${perNode}; allocatable ${r(h.allocatable)}; `
    + `one zone lost: ${r(h.allocatableOneZoneLost)} allocatable, headroom ${r(h.headroomOneZoneLost)}`;
}
