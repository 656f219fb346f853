/**
 * The contract between the two engines: what the manifests require of the cluster, and what the
 * cluster provides. Pure data and functions (no cdk8s, no Pulumi): the check pass (lib/checks)
 * matches every object's requirements against the platform's capabilities at synth, and the
 * Pulumi program (stacks/pulumi) matches the same requirements against what RegionalCluster and
 * ClusterAddons (lib/aws) provide, before registering any resource.
 */
import type { PeakCapacity } from './addon-capacity';
import { parseIpv4Block } from './cidr';
import { Problem } from './errors';
import type { Region } from './platform';
import { DEFAULT_STORAGE_CLASS } from './storage';

/**
 * A capability's name. Each one is a fact about the running cluster the manifests rely on; the
 * names are stable (users list them in `PlatformDescription.capabilities`).
 */
export type CapabilityName = string;

/** The capability names. */
export const Capability = {
  /**
   * NetworkPolicy objects are enforced (a CNI with a policy engine: the VPC CNI with
   * `enableNetworkPolicy`, Calico, Cilium). Without it every NetworkPolicy is accepted and ignored.
   * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/#prerequisites
   */
  NETWORK_POLICY: 'network-policy',
  /**
   * Istio's control plane (istiod: sidecar injector, CRDs `networking.istio.io`, `security.istio.io`).
   * @see https://istio.io/latest/docs/setup/install/helm/
   */
  MESH: 'mesh:istio',
  /**
   * The Istio CNI node agent: injected pods get the unprivileged `istio-validation` init container
   * instead of `istio-init` (root, NET_ADMIN, NET_RAW), so meshed namespaces pass Pod Security `restricted`.
   * @see https://istio.io/latest/docs/setup/additional-setup/cni/
   */
  MESH_CNI: 'mesh:istio-cni',
  /**
   * prometheus-operator and its CRDs (`monitoring.coreos.com/v1`).
   * @see https://prometheus-operator.dev/docs/getting-started/installation/
   */
  PROMETHEUS_OPERATOR: 'crd:prometheus-operator',
  /**
   * Flagger and its CRDs (`flagger.app/v1beta1`), with Istio as mesh provider.
   * @see https://docs.flagger.app/install/flagger-install-on-kubernetes
   */
  FLAGGER: 'crd:flagger',
  /**
   * Chaos Mesh and its CRDs (`chaos-mesh.org/v1alpha1`).
   * @see https://chaos-mesh.org/docs/production-installation-using-helm/
   */
  CHAOS_MESH: 'crd:chaos-mesh',
  /**
   * Something produces the TLS Secrets the gateways name (`credentialName`): cert-manager with an
   * issuer, or an equivalent controller.
   * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/secure-ingress/
   */
  CERTIFICATE_ISSUER: 'tls:certificate-issuer',
  /**
   * The StorageClass `name` exists (`(default)`: a default StorageClass exists).
   * @see https://kubernetes.io/docs/concepts/storage/storage-classes/#default-storageclass
   */
  storageClass: (name: string): CapabilityName => `storage-class:${name}`,
  /**
   * Nodes can be scheduled in `zone` (a node group or an autoscaler's pool there).
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/
   */
  nodes: (zone: string): CapabilityName => `nodes:${zone}`,
  /**
   * Nodes are added in `zone` when pods there stay Pending (an autoscaler's pool limited to that zone).
   * @see https://karpenter.sh/docs/concepts/nodepools/
   */
  nodeAutoscaling: (zone: string): CapabilityName => `node-autoscaling:${zone}`,
  /**
   * A producer of the metrics an alert or an analysis reads (see {@link MetricProducer}).
   * @see https://prometheus.io/docs/prometheus/latest/querying/basics/
   */
  metrics: (producer: MetricProducer): CapabilityName => `metrics:${producer}`,
  /**
   * Packets from this region's VPC reach the VPC of `region` and come back: a route to that VPC's
   * CIDR in every private route table at both ends (VPC peering or a Transit Gateway), and
   * security groups that admit the flows' ports from the peer's CIDR (security groups cannot
   * reference a group in another region). Required by an object whose traffic crosses into
   * another region of the platform (a NetworkPolicy or a load balancer's source ranges naming
   * that region's VPC CIDR); the runtime model reads it for the flows between regions.
   * @see https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-routing.html
   * @see https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html
   */
  crossRegionRoutes: (region: string): CapabilityName => `network:cross-region-routes:${region}`,
  /**
   * Names under the private DNS zone `zone` (e.g. `nines.internal`) resolve from the cluster's
   * VPC: a Route53 private hosted zone associated with that VPC (resolved by the VPC's
   * Route 53 Resolver, which CoreDNS forwards to).
   * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zones-private.html
   */
  dns: (zone: string): CapabilityName => `dns:${zone}`,
  /**
   * A controller publishes, in the private zone `zone`, the name a Service asks for with the
   * `external-dns.alpha.kubernetes.io/hostname` annotation (external-dns with a Route53 provider
   * limited to that zone).
   * @see https://kubernetes-sigs.github.io/external-dns/latest/docs/annotations/annotations/
   */
  dnsRecords: (zone: string): CapabilityName => `dns-records:${zone}`,
} as const;

/**
 * Producers of metrics that rules read and that no workload of the app exposes itself. The
 * runtime model maps each metric name an expression reads to one of these.
 * - `istio-proxy`: `istio_requests_total`, `istio_request_duration_milliseconds_*` (scraped from the sidecars)
 * - `kube-state-metrics`: `kube_*` (pod status, restarts, deployment replicas)
 * - `kubelet`: `container_*` from cAdvisor, `kubelet_volume_stats_*`
 * - `node-exporter`: `node_*`
 * @see https://istio.io/latest/docs/reference/config/metrics/
 * @see https://github.com/kubernetes/kube-state-metrics/tree/main/docs
 */
export type MetricProducer = 'istio-proxy' | 'kube-state-metrics' | 'kubelet' | 'node-exporter';

/** One capability a manifest requires, with who requires it and why. */
export interface Requirement {
  readonly capability: CapabilityName;
  /** Why the object needs it (one clause, e.g. `NetworkPolicy isolates the pods`). */
  readonly why: string;
}

/** One capability a component provides. */
export interface Provision {
  readonly capability: CapabilityName;
  /** What provides it (e.g. `RegionalCluster: VPC CNI add-on with enableNetworkPolicy`). */
  readonly by: string;
}

/** The platform facts requirements depend on. */
export interface RequirementContext {
  /** Istio CNI is the mesh's traffic-redirection mode (`platform.mesh.cni`). */
  readonly meshCni: boolean;
  /** The zones of the object's region (zone-spread workloads need nodes in each). */
  readonly zones?: readonly string[];
  /**
   * The region at its peak (every HPA at its maxReplicas) against its static nodes, from the capacity
   * model (`regionCapacity(...).peak`). Unset: scale-out is not judged.
   */
  readonly peak?: Pick<PeakCapacity, 'requested' | 'staticAllocatable' | 'staticHoldsPeak'>;
  /**
   * The platform's other regions and their VPC CIDRs: a NetworkPolicy or load balancer naming one
   * of those CIDRs sends or admits traffic across regions, which needs routes to that region.
   */
  readonly otherRegions?: ReadonlyArray<{ readonly name: string; readonly vpcCidr: string }>;
  /** The platform's private DNS zone (`internalZone`): a name under it must resolve, and a Service asking for one must be published. */
  readonly internalZone?: string;
}

/** The requirement context of an object of `region` (its platform's mesh mode, zones, other regions and private zone). */
export function requirementContextOf(region: Region): RequirementContext {
  let ctx = CONTEXTS.get(region);
  if (!ctx) {
    CONTEXTS.set(region, ctx = {
      meshCni: region.platform.mesh.cni,
      zones: region.zones,
      otherRegions: region.platform.regions.filter(r => r.name !== region.name && r.vpcCidr !== undefined)
        .map(r => ({ name: r.name, vpcCidr: r.vpcCidr! })),
      internalZone: region.platform.internalZone,
    });
  }
  return ctx;
}
const CONTEXTS = new WeakMap<Region, RequirementContext>();

/** The annotation external-dns reads the names to publish for a Service from. */
export const EXTERNAL_DNS_HOSTNAME_ANNOTATION = 'external-dns.alpha.kubernetes.io/hostname';

/** Every CIDR an object sends to or admits from: NetworkPolicy ipBlocks, a load balancer's source ranges. */
function cidrsOf(obj: any, kind: string): string[] {
  if (kind === 'NetworkPolicy') {
    const peers = [...(obj?.spec?.ingress ?? []).flatMap((r: any) => r?.from ?? []), ...(obj?.spec?.egress ?? []).flatMap((r: any) => r?.to ?? [])];
    return peers.map((p: any) => p?.ipBlock?.cidr).filter((c: unknown): c is string => typeof c === 'string');
  }
  if (kind === 'Service') return (obj?.spec?.loadBalancerSourceRanges ?? []).filter((c: unknown): c is string => typeof c === 'string');
  return [];
}

/** Whether a string names a host under `zone` (`<label>.<zone>`, optionally with a port or a scheme). */
function namesHostUnder(text: string, suffix: string): boolean {
  let at = text.indexOf(suffix);
  while (at >= 0) {
    const end = at + suffix.length;
    if (at > 0 && /[a-z0-9-]/.test(text[at - 1]) && (end === text.length || !/[a-z0-9-]/.test(text[end]))) return true;
    at = text.indexOf(suffix, at + 1);
  }
  return false;
}

/** Whether any string value of an object (but the external-dns annotation, which asks to publish) names a host under `zone`. */
function usesNameUnder(obj: unknown, zone: string): boolean {
  const suffix = `.${zone}`;
  const walk = (o: unknown, key?: string): boolean => {
    if (typeof o === 'string') return key !== EXTERNAL_DNS_HOSTNAME_ANNOTATION && namesHostUnder(o, suffix);
    if (Array.isArray(o)) return o.some(v => walk(v));
    if (o && typeof o === 'object') return Object.entries(o).some(([k, v]) => walk(v, k));
    return false;
  };
  return walk(obj);
}

/**
 * What an object needs between regions: routes to each other region whose VPC CIDR it names
 * (a NetworkPolicy peer, a load balancer's source range), the private zone resolving for a name
 * under it, and a publisher for a name a Service asks for under it.
 */
function crossRegionRequirements(obj: any, kind: string, ctx: RequirementContext): Requirement[] {
  const out: Requirement[] = [];
  const cidrs = cidrsOf(obj, kind);
  for (const other of ctx.otherRegions ?? []) {
    const theirs = parseIpv4Block(other.vpcCidr);
    // A block inside that VPC (not a wider one such as 0.0.0.0/0, which the NAT gateway serves).
    const named = theirs && cidrs.find(c => {
      const b = parseIpv4Block(c);
      return b !== undefined && b.first >= theirs.first && b.last <= theirs.last;
    });
    if (named) {
      out.push({
        capability: Capability.crossRegionRoutes(other.name),
        why: `${kind === 'Service' ? 'its load balancer admits' : 'it lets traffic through to or from'} ${named}, the VPC of ${other.name}, which only a route between the regions reaches`,
      });
    }
  }
  const zone = ctx.internalZone;
  if (zone === undefined) return out;
  const published = String(obj?.metadata?.annotations?.[EXTERNAL_DNS_HOSTNAME_ANNOTATION] ?? '').split(',').map(h => h.trim())
    .filter(h => h === zone || h.endsWith(`.${zone}`));
  if (kind === 'Service' && published.length > 0) {
    out.push({ capability: Capability.dnsRecords(zone), why: `it asks for ${published.join(', ')} in the private zone ${zone}, which a controller must publish` });
  }
  if (usesNameUnder(obj, zone)) out.push({ capability: Capability.dns(zone), why: `it names a host under the private zone ${zone}, which must resolve from the region's VPC` });
  return out;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

function podTemplateOf(obj: any): any {
  switch (obj?.kind) {
    case 'Pod': return obj;
    case 'CronJob': return obj.spec?.jobTemplate?.spec?.template;
    default: return obj?.spec?.template;
  }
}

function meshRequirements(ctx: RequirementContext, why: string): Requirement[] {
  const out: Requirement[] = [{ capability: Capability.MESH, why }];
  // With mesh.cni the injector adds istio-validation instead of the privileged istio-init, and the
  // restricted namespaces rely on that: the cluster must run the Istio CNI node agent.
  if (ctx.meshCni) out.push({ capability: Capability.MESH_CNI, why: `${why} with mesh.cni (no privileged istio-init)` });
  return out;
}

/**
 * What one synthesized object requires of the cluster. The requirement follows from what the
 * object is (its API group, a NetworkPolicy, a meshed namespace, a StorageClass it names, a
 * TLS Secret a gateway reads, a zone spread), so objects written by hand are held to the
 * contract as well as the constructs'.
 */
export function requirementsOf(obj: any, ctx: RequirementContext): Requirement[] {
  const out: Requirement[] = [];
  const apiVersion = String(obj?.apiVersion ?? '');
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  const kind = String(obj?.kind ?? '');
  if (kind === 'NetworkPolicy' && group === 'networking.k8s.io') {
    out.push({ capability: Capability.NETWORK_POLICY, why: 'a NetworkPolicy isolates pods only where a policy engine enforces it' });
  }
  if (group.endsWith('.istio.io')) out.push(...meshRequirements(ctx, `${kind} is an Istio resource`).slice(0, 1));
  if (kind === 'Namespace' && obj?.metadata?.labels?.['istio-injection'] === 'enabled') {
    out.push(...meshRequirements(ctx, 'the namespace has sidecar injection on'));
  }
  if (group === 'monitoring.coreos.com') out.push({ capability: Capability.PROMETHEUS_OPERATOR, why: `${kind} is a prometheus-operator resource` });
  if (group === 'flagger.app') out.push({ capability: Capability.FLAGGER, why: `${kind} is a Flagger resource` });
  if (group === 'chaos-mesh.org') out.push({ capability: Capability.CHAOS_MESH, why: `${kind} is a Chaos Mesh resource` });
  if (kind === 'Gateway' && group === 'networking.istio.io') {
    const secrets = (obj?.spec?.servers ?? []).map((s: any) => s?.tls?.credentialName).filter((n: unknown) => typeof n === 'string');
    if (secrets.length > 0) {
      out.push({ capability: Capability.CERTIFICATE_ISSUER, why: `the gateway serves TLS from Secret ${secrets.map((s: string) => JSON.stringify(s)).join(', ')}, which something must issue` });
    }
  }
  const claims: any[] = [];
  if (kind === 'PersistentVolumeClaim') claims.push(obj);
  if (kind === 'StatefulSet') claims.push(...(obj?.spec?.volumeClaimTemplates ?? []));
  if (group === 'monitoring.coreos.com') {
    const vct = obj?.spec?.storage?.volumeClaimTemplate;
    if (vct) claims.push(vct);
  }
  for (const c of claims) {
    const name = c?.spec?.storageClassName;
    out.push(name === undefined
      ? { capability: Capability.storageClass('(default)'), why: `volume claim ${JSON.stringify(c?.metadata?.name ?? '')} names no StorageClass, so it binds through the default one` }
      : { capability: Capability.storageClass(String(name)), why: `volume claim ${JSON.stringify(c?.metadata?.name ?? '')} names StorageClass ${JSON.stringify(name)}` });
  }
  out.push(...scaleOutRequirementsOf(obj, ctx));
  out.push(...crossRegionRequirements(obj, kind, ctx));
  if (WORKLOAD_KINDS.has(kind) && ctx.zones) {
    const spread = (podTemplateOf(obj)?.spec?.topologySpreadConstraints ?? [])
      .some((t: any) => t?.topologyKey === 'topology.kubernetes.io/zone' && t?.whenUnsatisfiable === 'DoNotSchedule');
    if (spread) {
      for (const z of ctx.zones) out.push({ capability: Capability.nodes(z), why: 'its pods must spread over every zone of the region' });
    }
  }
  return out;
}

/**
 * What a HorizontalPodAutoscaler requires when the region's static nodes cannot hold its peak:
 * node autoscaling in every zone of the region. The static node groups are sized at the floor
 * (every HPA at minReplicas, one zone lost; `regionCapacity`), and a fixed-size node group adds no
 * node, so pods the HPA adds beyond what the static nodes hold stay Pending (the scheduler never
 * creates nodes) unless an autoscaler adds nodes there; in every zone, because the workloads spread
 * over the zones (the NodePools of lib/aws/karpenter.ts are one per zone). An HPA that cannot grow
 * (maxReplicas = minReplicas) requires nothing.
 * @see https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/ (the HPA changes replicas, never nodes)
 * @see https://karpenter.sh/docs/concepts/ (Karpenter launches nodes for unschedulable pods)
 */
export function scaleOutRequirementsOf(obj: any, ctx: RequirementContext): Requirement[] {
  if (obj?.kind !== 'HorizontalPodAutoscaler' || !ctx.zones || !ctx.peak || ctx.peak.staticHoldsPeak) return [];
  const min = Number(obj.spec?.minReplicas ?? 1);
  const max = Number(obj.spec?.maxReplicas ?? min);
  if (!(max > min)) return [];
  const t = obj.spec?.scaleTargetRef ?? {};
  const cpu = (x: number) => `${x.toFixed(1)} vCPU`;
  const why = `it scales ${t.kind}/${t.name} from ${min} to ${max} replicas, and with every HPA at its maximum the region requests `
    + `${cpu(ctx.peak.requested.cpu)} / ${(ctx.peak.requested.memoryBytes / 2 ** 30).toFixed(1)} GiB, more than the static nodes' `
    + `${cpu(ctx.peak.staticAllocatable.cpu)} / ${(ctx.peak.staticAllocatable.memoryBytes / 2 ** 30).toFixed(1)} GiB allocatable`;
  return ctx.zones.map(z => ({ capability: Capability.nodeAutoscaling(z), why }));
}

/** A TLS Secret a gateway serves from, and the names its certificate must carry. */
export interface GatewayCertificate {
  /** The gateway's namespace: Istio reads `credentialName` from the namespace of the gateway workload. */
  readonly namespace: string;
  /** The `kubernetes.io/tls` Secret (the servers' `tls.credentialName`). */
  readonly secretName: string;
  /** Every host of the servers that name it (a bare `*` catch-all and `namespace/` prefixes dropped). */
  readonly dnsNames: readonly string[];
}

/**
 * The certificates the Istio Gateways among `objects` serve: one per (namespace, credentialName),
 * with the hosts of every server naming it. What an issuer must produce for the gateways to
 * terminate TLS, read from the objects themselves (never retyped).
 * @see https://istio.io/latest/docs/reference/config/networking/gateway/#ServerTLSSettings
 * @see https://istio.io/latest/docs/reference/config/networking/gateway/#Server (hosts: `namespace/dnsName`)
 */
export function gatewayCertificatesOf(objects: readonly any[]): GatewayCertificate[] {
  const found = new Map<string, { namespace: string; secretName: string; dnsNames: Set<string> }>();
  for (const o of objects) {
    if (o?.kind !== 'Gateway' || !String(o?.apiVersion ?? '').startsWith('networking.istio.io/')) continue;
    const namespace = String(o.metadata?.namespace ?? 'default');
    for (const server of o.spec?.servers ?? []) {
      const secretName = server?.tls?.credentialName;
      if (typeof secretName !== 'string') continue;
      const key = `${namespace}/${secretName}`;
      const entry = found.get(key) ?? { namespace, secretName, dnsNames: new Set<string>() };
      for (const host of server.hosts ?? []) {
        const name = String(host).includes('/') ? String(host).split('/').slice(1).join('/') : String(host);
        if (name !== '*') entry.dnsNames.add(name);
      }
      found.set(key, entry);
    }
  }
  return [...found.values()].map(e => ({ namespace: e.namespace, secretName: e.secretName, dnsNames: [...e.dnsNames] }));
}

/** The requirements no provision meets. */
export function unmet(requirements: readonly Requirement[], provided: ReadonlySet<CapabilityName>): Requirement[] {
  return requirements.filter(r => !provided.has(r.capability));
}

/** The fix for a missing capability: what provides it on EKS, and how a cluster brought by the user declares it. */
export function fixFor(capability: CapabilityName): string {
  const hint: Record<string, string> = {
    [Capability.NETWORK_POLICY]: 'the VPC CNI add-on with enableNetworkPolicy (RegionalCluster does this), or Calico/Cilium',
    [Capability.MESH]: 'Istio (ClusterAddons enable.istio)',
    [Capability.MESH_CNI]: 'the Istio CNI node agent (ClusterAddons installs the `cni` chart when mesh.cni), or set mesh.cni false',
    [Capability.PROMETHEUS_OPERATOR]: 'prometheus-operator and its CRDs (ClusterAddons enable.prometheusOperator)',
    [Capability.FLAGGER]: 'Flagger (ClusterAddons enable.flagger)',
    [Capability.CHAOS_MESH]: 'Chaos Mesh (ClusterAddons enable.chaosMesh)',
    [Capability.CERTIFICATE_ISSUER]: 'cert-manager with an issuer for the gateway\'s Secret (ClusterAddons enable.certManager with tls.hostedZoneId)',
  };
  const what = hint[capability]
    ?? (capability.startsWith('storage-class:') ? `a StorageClass ${JSON.stringify(capability.slice('storage-class:'.length))}`
      : capability.startsWith('nodes:') ? `nodes (a node group or NodePool) in zone ${capability.slice('nodes:'.length)}`
        : capability.startsWith('node-autoscaling:')
          ? `a node autoscaler with a pool in zone ${capability.slice('node-autoscaling:'.length)} (the Pulumi program's Karpenter: leave `
            + 'nines:nodeAutoscaling on), or give the static node groups room for every HPA at its maximum (nines:nodesPerZone)'
          : capability.startsWith('network:cross-region-routes:')
            ? `routes to the VPC of ${capability.slice('network:cross-region-routes:'.length)} (CrossRegionNetwork: VPC peering, routes in every private route table, security group rules for the peer CIDRs)`
            : capability.startsWith('dns:') ? `the Route53 private hosted zone ${capability.slice('dns:'.length)} associated with the region's VPC (PrivateZone)`
              : capability.startsWith('dns-records:')
                ? `external-dns publishing Service hostnames into the private zone ${capability.slice('dns-records:'.length)} (ClusterAddons with privateZone)`
                : `a producer of ${capability}`);
  return `install ${what}; a cluster you bring declares it in the platform description's capabilities (${JSON.stringify(capability)})`;
}

/** The contract's problems as {@link Problem}s, one per unmet requirement (for the Pulumi side). */
export function contractProblems(
  requirements: ReadonlyArray<Requirement & { readonly object: string }>, provided: ReadonlySet<CapabilityName>,
): Problem[] {
  return requirements.filter(r => !provided.has(r.capability)).map(r => ({
    prop: r.object,
    value: r.capability,
    why: `is required (${r.why}) and nothing in the cluster provides it`,
    fix: fixFor(r.capability),
  }));
}

/** What RegionalCluster (lib/aws) provides: its node zones, the enforced NetworkPolicy, the default StorageClass. */
export function regionalClusterProvisions(zones: readonly string[], storageClass: string = DEFAULT_STORAGE_CLASS): Provision[] {
  const by = 'RegionalCluster';
  return [
    // https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html
    { capability: Capability.NETWORK_POLICY, by: `${by}: vpc-cni add-on with enableNetworkPolicy "true"` },
    { capability: Capability.storageClass(storageClass), by: `${by}: StorageClass ${storageClass} (EBS CSI driver)` },
    { capability: Capability.storageClass('(default)'), by: `${by}: StorageClass ${storageClass} is the default class` },
    ...zones.map(z => ({ capability: Capability.nodes(z), by: `${by}: nodes in ${z}` })),
  ];
}

/**
 * What the cross-region network (lib/aws CrossRegionNetwork: VPC peering between every pair of
 * regions, routes in every private route table, security group rules for the peer CIDRs) provides
 * to `region`: routes to each of `peers`.
 */
export function crossRegionNetworkProvisions(peers: readonly string[]): Provision[] {
  return peers.map(p => ({ capability: Capability.crossRegionRoutes(p), by: `CrossRegionNetwork: VPC peering with ${p}` }));
}

/** What the private hosted zone (lib/aws PrivateZone, associated with the region's VPC) provides. */
export function privateZoneProvisions(zone: string): Provision[] {
  return [{ capability: Capability.dns(zone), by: `PrivateZone: Route53 private hosted zone ${zone} associated with the VPC` }];
}

/** What the Karpenter component (lib/aws) provides: one NodePool per zone, so nodes in each zone and more of them on demand. */
export function karpenterProvisions(zones: readonly string[]): Provision[] {
  return zones.flatMap(z => [
    { capability: Capability.nodes(z), by: `Karpenter: NodePool zone-${z}` },
    { capability: Capability.nodeAutoscaling(z), by: `Karpenter: NodePool zone-${z}` },
  ]);
}

/** The add-ons switched on, as {@link clusterAddonsProvisions} reads them. */
export interface AddonsOn {
  readonly istio: boolean;
  readonly prometheusOperator: boolean;
  readonly chaosMesh: boolean;
  readonly flagger: boolean;
  /** cert-manager with an ACME issuer and a Certificate for each Secret the gateways name. */
  readonly certificateIssuer?: boolean;
  /** external-dns publishing Services' hostnames into this private zone. */
  readonly externalDnsZone?: string;
}

/** What ClusterAddons (lib/aws) provides with these switches and this mesh mode. */
export function clusterAddonsProvisions(on: AddonsOn, meshCni: boolean): Provision[] {
  const by = 'ClusterAddons';
  const out: Provision[] = [];
  if (on.istio) {
    out.push({ capability: Capability.MESH, by: `${by}: istio base + istiod` });
    out.push({ capability: Capability.metrics('istio-proxy'), by: `${by}: istio sidecars (standard metrics)` });
    if (meshCni) out.push({ capability: Capability.MESH_CNI, by: `${by}: istio cni chart` });
  }
  if (on.prometheusOperator) out.push({ capability: Capability.PROMETHEUS_OPERATOR, by: `${by}: prometheus-operator CRDs + operator` });
  if (on.chaosMesh) out.push({ capability: Capability.CHAOS_MESH, by: `${by}: chaos-mesh` });
  if (on.flagger) out.push({ capability: Capability.FLAGGER, by: `${by}: flagger` });
  if (on.externalDnsZone !== undefined) {
    out.push({ capability: Capability.dnsRecords(on.externalDnsZone), by: `${by}: external-dns (Route53, private zone ${on.externalDnsZone})` });
  }
  if (on.certificateIssuer) {
    out.push({ capability: Capability.CERTIFICATE_ISSUER, by: `${by}: cert-manager, an ACME DNS-01 (Route53) ClusterIssuer and a Certificate per gateway Secret` });
  }
  return out;
}

/** The add-ons ClusterAddons installs by default (the certificate issuer with the hosted zone the program is given). */
export const DEFAULT_ADDONS_ON: AddonsOn = { istio: true, prometheusOperator: true, chaosMesh: true, flagger: true, certificateIssuer: true };

/** What the library's AWS side builds between the regions of a platform (see {@link ninesClusterCapabilities}). */
export interface BetweenRegions {
  /** The other regions, reached by the cross-region network. */
  readonly peers?: readonly string[];
  /** The platform's private zone (PrivateZone, with external-dns publishing into it). */
  readonly internalZone?: string;
}

/**
 * What a region's cluster provides when the platform description declares no `capabilities`:
 * the library's own AWS cluster (RegionalCluster + ClusterAddons + Karpenter) with their defaults and,
 * given `between`, the cross-region network and the private zone the Pulumi program builds with them.
 */
export function ninesClusterCapabilities(zones: readonly string[], meshCni: boolean, between: BetweenRegions = {}): Provision[] {
  return [
    ...regionalClusterProvisions(zones),
    ...clusterAddonsProvisions({ ...DEFAULT_ADDONS_ON, externalDnsZone: between.internalZone }, meshCni),
    ...karpenterProvisions(zones),
    ...crossRegionNetworkProvisions(between.peers ?? []),
    ...(between.internalZone === undefined ? [] : privateZoneProvisions(between.internalZone)),
  ];
}
