import * as pulumi from '@pulumi/pulumi';

/** One resource registered under the mocks. */
export interface Recorded {
  readonly type: string;
  readonly name: string;
  readonly inputs: any;
  /** The provider reference (urn::id), when one was passed or inherited. */
  readonly provider?: string;
  /** The id of a read (`Resource.get`); undefined for a registration. */
  readonly id?: string;
}

/** The deploying account the mocked caller identity answers (not the documentation's example id). */
export const ACCOUNT = '210987654321';

/**
 * What each chart needs from the cluster, as the real charts behave:
 * - `services`: it creates Services, so with the load balancer controller's Service mutator webhook
 *   (failurePolicy Fail, every namespace) it fails while the controller has no ready pod;
 * - `crdCharts`: charts whose CRDs its objects are instances of (Helm fails on "no matches for kind");
 * - `crdValue`: a value that renders the CRDs of the chart's crds/ folder again (Helm 3 installs that folder).
 */
const CHARTS: Record<string, { services: boolean; crdCharts?: string[]; crdValue?: string }> = {
  'aws-load-balancer-controller': { services: true },
  'base': { services: false },
  'cni': { services: false, crdCharts: [] },
  'istiod': { services: true, crdCharts: ['base'] },
  'gateway': { services: true, crdCharts: ['base'] },
  'prometheus-operator-crds': { services: false },
  'kube-prometheus-stack': { services: true, crdCharts: ['prometheus-operator-crds'] },
  'chaos-mesh': { services: true },
  'flagger': { services: true, crdValue: 'crd.create' },
  'loadtester': { services: true },
  'cert-manager': { services: true },
  'external-dns': { services: true },
  // Karpenter's charts, pulled from ECR Public by their OCI references.
  'oci://public.ecr.aws/karpenter/karpenter-crd': { services: false },
  'oci://public.ecr.aws/karpenter/karpenter': { services: true, crdCharts: ['oci://public.ecr.aws/karpenter/karpenter-crd'] },
};
/** The chart that installs each API group's CRDs (a custom resource needs that release applied first). */
const CRD_GROUPS: Record<string, string> = {
  'networking.istio.io': 'base',
  'security.istio.io': 'base',
  'telemetry.istio.io': 'base',
  'monitoring.coreos.com': 'prometheus-operator-crds',
  'chaos-mesh.org': 'chaos-mesh',
  'flagger.app': 'flagger',
  'cert-manager.io': 'cert-manager',
  'acme.cert-manager.io': 'cert-manager',
  // NodePools and EC2NodeClasses are served once the controller (its CRDs, its conversion webhook) runs.
  'karpenter.sh': 'oci://public.ecr.aws/karpenter/karpenter',
  'karpenter.k8s.aws': 'oci://public.ecr.aws/karpenter/karpenter',
};
/** Namespaces every cluster starts with. */
const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** One EKS cluster as the mocks see it. */
interface ClusterModel {
  readonly name: string;
  readonly publicAccess: boolean;
  readonly publicAccessCidrs: readonly string[];
  readonly nodeGroups: string[];
  /** Namespace -> the key of what created it. */
  readonly namespaces: Map<string, string>;
  /** Chart -> key of its release. */
  readonly releases: Map<string, { key: string; webhook: boolean }>;
}

const keyOf = (type: string, name: string) => `${type}::${name}`;
/** `type::name` of a URN (`urn:pulumi:stack::project::parent$type::name`). */
const keyOfUrn = (urn: string) => {
  const parts = urn.split('::');
  const name = parts.pop()!;
  return keyOf(parts.pop()!.split('$').pop()!, name);
};

/**
 * Mocks that record every registration, return plausible computed outputs, and behave like the
 * services where a program's mistake would only show at `pulumi up`: each violation is recorded in
 * {@link errors} with the message the real service would give.
 * - a Kubernetes provider for a cluster whose API endpoint is private (or open to no CIDR) cannot connect;
 * - a namespace created twice in a cluster (two Namespace objects, or Helm's `createNamespace` and a Namespace);
 * - a Helm release registered without depending on the cluster's node groups, on the namespace it installs
 *   into, on the load balancer controller when that one's Service webhook would refuse its Services, or on
 *   the release whose CRDs it uses; a chart whose CRDs would be installed twice;
 * - a custom resource not ordered after the release that installs its CRD.
 */
export class RecordingMocks implements pulumi.runtime.Mocks {
  public readonly resources: Recorded[] = [];
  /** What the real services would have refused, in registration order. */
  public readonly errors: string[] = [];
  private readonly clusters = new Map<string, ClusterModel>();
  private readonly clusterByEndpoint = new Map<string, string>();
  private readonly clusterOfProvider = new Map<string, string>();
  /** aws provider name -> its region. */
  private readonly providerRegion = new Map<string, string>();
  /** VPC id -> its CIDR and region. */
  private readonly vpcs = new Map<string, { cidr: string; region: string }>();
  /** Route table id -> its VPC id. */
  private readonly routeTables = new Map<string, string>();
  /** Peering connection id -> its sides and whether the accepter's region accepted it. */
  private readonly peerings = new Map<string, { vpcId: string; peerVpcId: string; peerRegion: string; accepted: boolean }>();
  /**
   * The URNs each registration declared it depends on (`dependsOn`, and components expanded to their
   * children by the SDK), keyed `type::name`. Captured from the register request the mock monitor receives.
   */
  public readonly dependencies = new Map<string, readonly string[]>();

  public newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
    this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, id: args.id || undefined });
    this.model(args);
    const id = `${args.name}-id`;
    const arn = `arn:aws:${(args.type.split(':')[1] ?? 'x').split('/')[0]}::${ACCOUNT}:${args.name}`;
    const state: Record<string, any> = { ...args.inputs, arn };
    switch (args.type) {
      case 'aws:eks/cluster:Cluster':
        state.endpoint = `https://${args.name}.eks.example`;
        state.certificateAuthority = { data: 'Q0E=' };
        state.identities = [{ oidcs: [{ issuer: `https://oidc.eks.example/id/${args.name.toUpperCase()}` }] }];
        state.vpcConfig = { ...args.inputs.vpcConfig, clusterSecurityGroupId: `sg-${args.name}-cluster` };
        break;
      case 'aws:ec2/launchTemplate:LaunchTemplate':
        state.latestVersion = 1;
        break;
      case 'aws:eks/nodeGroup:NodeGroup':
        state.nodeGroupName = `${args.inputs.nodeGroupNamePrefix ?? ''}${args.name}`;
        break;
      case 'aws:s3/bucket:Bucket':
        state.bucket = args.inputs.bucket ?? `${args.inputs.bucketPrefix ?? ''}${args.name}`;
        break;
      case 'aws:kms/key:Key':
        state.keyId = `${args.name}-key`;
        break;
      case 'aws:route53/zone:Zone':
        state.zoneId = `Z${args.name.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 20)}`;
        break;
      case 'aws:route53/record:Record':
        state.fqdn = args.inputs.name;
        break;
      case 'kubernetes:core/v1:Service':
        if (args.id) {
          // A read of a Service the chart made: its NLB host name, as the AWS Load Balancer Controller publishes it.
          const [namespace, name] = args.id.split('/');
          state.metadata = { namespace, name };
          state.status = { loadBalancer: { ingress: [{ hostname: `${args.name}.elb.amazonaws.com` }] } };
        }
        break;
      default:
    }
    return { id, state };
  }

  public call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    if (args.token === 'aws:index/getCallerIdentity:getCallerIdentity') {
      return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/deployer`, userId: 'AIDEXAMPLE', id: ACCOUNT };
    }
    return args.inputs;
  }

  /** Every dependency of a registration, transitively. */
  public dependencyClosure(key: string): Set<string> {
    const seen = new Set<string>();
    const stack = [...(this.dependencies.get(key) ?? []).map(keyOfUrn)];
    while (stack.length > 0) {
      const k = stack.pop()!;
      if (seen.has(k)) continue;
      seen.add(k);
      stack.push(...(this.dependencies.get(k) ?? []).map(keyOfUrn));
    }
    return seen;
  }

  private model(args: pulumi.runtime.MockResourceArgs): void {
    const key = keyOf(args.type, args.name);
    const i = args.inputs ?? {};
    if (this.network(args)) return;
    if (args.type === 'aws:eks/cluster:Cluster') {
      this.clusters.set(i.name, {
        name: i.name,
        publicAccess: i.vpcConfig?.endpointPublicAccess === true,
        publicAccessCidrs: i.vpcConfig?.publicAccessCidrs ?? [],
        nodeGroups: [],
        namespaces: new Map(BUILTIN_NAMESPACES.map(n => [n, 'cluster'])),
        releases: new Map(),
      });
      this.clusterByEndpoint.set(`https://${args.name}.eks.example`, i.name);
      return;
    }
    if (args.type === 'aws:eks/nodeGroup:NodeGroup') {
      this.clusters.get(i.clusterName)?.nodeGroups.push(key);
      return;
    }
    if (args.type === 'pulumi:providers:kubernetes') {
      const server = typeof i.kubeconfig === 'string' ? JSON.parse(i.kubeconfig).clusters?.[0]?.cluster?.server : undefined;
      const clusterName = this.clusterByEndpoint.get(server);
      const cluster = clusterName ? this.clusters.get(clusterName) : undefined;
      if (!cluster) return;
      this.clusterOfProvider.set(args.name, cluster.name);
      // The program runs outside the VPC it creates: only a public endpoint open to some CIDR answers it.
      if (!cluster.publicAccess || cluster.publicAccessCidrs.length === 0) {
        this.errors.push(`${args.name}: dial tcp ${server}:443: i/o timeout (cluster ${cluster.name} has a private API endpoint; `
          + 'the program is outside its VPC)');
      }
      return;
    }
    if (!args.type.startsWith('kubernetes:') || args.id || !args.provider) return;
    const cluster = this.clusters.get(this.clusterOfProvider.get(args.provider.split('::').slice(-2)[0]) ?? '');
    if (!cluster) return;
    const deps = this.dependencyClosure(key);
    const createNamespace = (ns: string) => {
      const owner = cluster.namespaces.get(ns);
      if (owner !== undefined) {
        this.errors.push(`${args.name}: namespaces "${ns}" already exists (created by ${owner})`);
      } else {
        cluster.namespaces.set(ns, key);
      }
    };
    if (args.type === 'kubernetes:core/v1:Namespace') {
      createNamespace(i.metadata?.name);
      return;
    }
    if (args.type === 'kubernetes:helm.sh/v3:Release') {
      const chart = CHARTS[i.chart];
      const ns = i.namespace ?? 'default';
      if (i.createNamespace === true) {
        createNamespace(ns);
      } else {
        const owner = cluster.namespaces.get(ns);
        if (owner === undefined) this.errors.push(`${args.name}: namespaces "${ns}" not found`);
        else if (owner !== 'cluster' && !deps.has(owner)) this.errors.push(`${args.name}: installs into namespace "${ns}" without depending on its creation (${owner})`);
      }
      for (const group of cluster.nodeGroups) {
        if (!deps.has(group)) this.errors.push(`${args.name}: does not depend on node group ${group.split('::')[1]}: its pods stay Pending and the atomic release rolls back`);
      }
      const lbc = cluster.releases.get('aws-load-balancer-controller');
      const createsLoadBalancer = i.values?.service?.type === 'LoadBalancer';
      if (lbc && i.chart !== 'aws-load-balancer-controller' && ((lbc.webhook && chart?.services !== false) || createsLoadBalancer) && !deps.has(lbc.key)) {
        this.errors.push(`${args.name}: does not depend on the AWS Load Balancer Controller: `
          + (createsLoadBalancer ? 'its LoadBalancer Service gets no load balancer' : 'failed calling webhook "mservice.elbv2.k8s.aws": no endpoints available'));
      }
      for (const needed of chart?.crdCharts ?? []) {
        const provider = cluster.releases.get(needed);
        if (!provider || !deps.has(provider.key)) this.errors.push(`${args.name}: uses the CRDs of chart ${needed} without depending on its release`);
      }
      if (chart?.crdValue && i.skipCrds !== true && chart.crdValue.split('.').reduce((o: any, k) => o?.[k], i.values) === true) {
        this.errors.push(`${args.name}: rendered manifests contain a resource that already exists: CustomResourceDefinition of chart ${i.chart} `
          + `(installed from crds/ and again by ${chart.crdValue})`);
      }
      if (i.chart === 'aws-load-balancer-controller') {
        const webhook = i.values?.enableServiceMutatorWebhook !== false;
        // A release registered earlier cannot depend on the controller: with the webhook on, it races it.
        for (const [c, r] of cluster.releases) {
          if (webhook && CHARTS[c]?.services !== false) this.errors.push(`${r.key.split('::')[1]}: registered before the AWS Load Balancer Controller, whose webhook refuses its Services`);
        }
        cluster.releases.set(i.chart, { key, webhook });
      } else {
        cluster.releases.set(i.chart, { key, webhook: false });
      }
      return;
    }
    const group = args.type.split(':')[1]?.split('/')[0];
    const crdChart = CRD_GROUPS[group];
    if (crdChart !== undefined) {
      const provider = cluster.releases.get(crdChart);
      if (!provider || !deps.has(provider.key)) {
        this.errors.push(`${args.name}: no matches for kind "${args.type.split(':')[2]}" in group "${group}" (not ordered after chart ${crdChart})`);
      }
    }
  }

  /**
   * EC2 and Route53 between regions, as AWS answers (each refusal recorded in {@link errors}):
   * - a route whose destination is the route table's own VPC CIDR (or inside it) is refused;
   * - a route through a peering connection its VPC is not a side of, or to a CIDR that is not the peer VPC's, goes nowhere;
   * - a peering of overlapping CIDRs is refused; an inter-region peering cannot be auto-accepted by the requester;
   *   its peer VPC must exist in `peerRegion`;
   * - a peering accepted with a provider of another region than the accepter's is not found;
   * - a private hosted zone's VPC must exist in the region it names.
   * Returns whether the registration was one of these.
   * @see https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html#vpc-peering-limitations
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/route-table-options.html#route-tables-priority
   */
  private network(args: pulumi.runtime.MockResourceArgs): boolean {
    const i = args.inputs ?? {};
    const region = args.provider ? this.providerRegion.get(args.provider.split('::').slice(-2)[0]) : undefined;
    const id = `${args.name}-id`;
    const overlap = (a: string, b: string) => {
      const [x, y] = [blockOf(a), blockOf(b)];
      return x !== undefined && y !== undefined && x.first <= y.last && y.first <= x.last;
    };
    const inside = (a: string, b: string) => {
      const [x, y] = [blockOf(a), blockOf(b)];
      return x !== undefined && y !== undefined && x.first >= y.first && x.last <= y.last;
    };
    switch (args.type) {
      case 'pulumi:providers:aws':
        this.providerRegion.set(args.name, i.region);
        return true;
      case 'aws:ec2/vpc:Vpc':
        this.vpcs.set(id, { cidr: i.cidrBlock, region: region ?? '?' });
        return true;
      case 'aws:ec2/routeTable:RouteTable':
        this.routeTables.set(id, i.vpcId);
        return true;
      case 'aws:ec2/vpcPeeringConnection:VpcPeeringConnection': {
        const [mine, peer] = [this.vpcs.get(i.vpcId), this.vpcs.get(i.peerVpcId)];
        const peerRegion = i.peerRegion ?? region;
        if (!mine || mine.region !== region) this.errors.push(`${args.name}: InvalidVpcID.NotFound: The vpc ID '${i.vpcId}' does not exist in ${region}`);
        if (!peer || peer.region !== peerRegion) this.errors.push(`${args.name}: InvalidVpcID.NotFound: The vpc ID '${i.peerVpcId}' does not exist in ${peerRegion}`);
        if (mine && peer && overlap(mine.cidr, peer.cidr)) {
          this.errors.push(`${args.name}: InvalidParameterValue: overlapping CIDR blocks ${mine.cidr} and ${peer.cidr} cannot be peered`);
        }
        if (i.autoAccept === true && peerRegion !== region) {
          this.errors.push(`${args.name}: an inter-region peering cannot be auto-accepted by its requester (accept it in ${peerRegion})`);
        }
        this.peerings.set(id, { vpcId: i.vpcId, peerVpcId: i.peerVpcId, peerRegion, accepted: false });
        return true;
      }
      case 'aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter': {
        const pcx = this.peerings.get(i.vpcPeeringConnectionId);
        if (!pcx || pcx.peerRegion !== region) {
          this.errors.push(`${args.name}: InvalidVpcPeeringConnectionID.NotFound: The vpcPeeringConnection ID '${i.vpcPeeringConnectionId}' does not exist in ${region}`);
        } else {
          pcx.accepted = true;
        }
        return true;
      }
      case 'aws:ec2/route:Route': {
        const vpcId = this.routeTables.get(i.routeTableId);
        const vpc = vpcId === undefined ? undefined : this.vpcs.get(vpcId);
        const dest = String(i.destinationCidrBlock);
        if (vpc && overlap(dest, vpc.cidr)) {
          this.errors.push(`${args.name}: InvalidParameterValue: The destination CIDR block ${dest} is equal to or more specific than one of this VPC's CIDR blocks`);
        }
        if (i.vpcPeeringConnectionId !== undefined) {
          const pcx = this.peerings.get(i.vpcPeeringConnectionId);
          const other = pcx && (pcx.vpcId === vpcId ? pcx.peerVpcId : pcx.peerVpcId === vpcId ? pcx.vpcId : undefined);
          if (!pcx || other === undefined) {
            this.errors.push(`${args.name}: InvalidVpcPeeringConnectionID.NotFound: route table ${i.routeTableId} is not in a VPC of peering ${i.vpcPeeringConnectionId}`);
          } else if (!inside(dest, this.vpcs.get(other)?.cidr ?? '')) {
            this.errors.push(`${args.name}: ${dest} is not the peer VPC's CIDR: AWS takes the route, the peering drops the packets`);
          } else if (!pcx.accepted) {
            this.errors.push(`${args.name}: peering ${i.vpcPeeringConnectionId} is pending-acceptance: the route is a blackhole`);
          }
        }
        return true;
      }
      case 'aws:route53/zone:Zone':
        for (const v of i.vpcs ?? []) {
          const vpc = this.vpcs.get(v.vpcId);
          if (!vpc || vpc.region !== v.vpcRegion) this.errors.push(`${args.name}: InvalidVPCId: the VPC '${v.vpcId}' does not exist in ${v.vpcRegion}`);
        }
        return true;
      default:
        return false;
    }
  }

  /** Resources of one type (`aws:ec2/subnet:Subnet`). */
  public ofType(type: string): Recorded[] {
    return this.resources.filter(r => r.type === type);
  }

  /** The one resource with this logical name and type. */
  public one(type: string, name: string): Recorded {
    const found = this.resources.filter(r => r.type === type && r.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    return found[0];
  }

  /** The logical names of the resources a registration depends on. */
  public dependsOn(type: string, name: string): string[] {
    return (this.dependencies.get(`${type}::${name}`) ?? []).map(urn => urn.split('::').pop()!);
  }

  public reset(): void {
    this.resources.length = 0;
    this.errors.length = 0;
    this.dependencies.clear();
    this.clusters.clear();
    this.clusterByEndpoint.clear();
    this.clusterOfProvider.clear();
    this.providerRegion.clear();
    this.vpcs.clear();
    this.routeTables.clear();
    this.peerings.clear();
  }
}

/** A CIDR block's first and last address. */
function blockOf(cidr: string): { first: number; last: number } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return undefined;
  const first = ((Number(m[1]) * 256 + Number(m[2])) * 256 + Number(m[3])) * 256 + Number(m[4]);
  return { first, last: first + 2 ** (32 - Number(m[5])) - 1 };
}

/** Installs recording mocks (not a preview, so every output resolves). */
export function installMocks(): RecordingMocks {
  const mocks = new RecordingMocks();
  void pulumi.runtime.setMocks(mocks, 'nines', 'test', false);
  // The Mocks interface does not see dependencies; the monitor's register request does.
  const monitor = pulumi.runtime.getMonitor() as any;
  for (const method of ['registerResource', 'readResource']) {
    const original = monitor[method].bind(monitor);
    monitor[method] = (req: any, callback: any) => {
      mocks.dependencies.set(`${req.getType()}::${req.getName()}`, req.getDependenciesList());
      return original(req, callback);
    };
  }
  return mocks;
}

/** Resolves an output (test only). */
export function valueOf<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise(resolve => pulumi.output(o).apply(v => {
    resolve(v as T);
    return v;
  }));
}

/**
 * Waits until every registration has reached the mocks: the count must stay unchanged over
 * several event-loop turns after every given output resolved.
 */
export async function settle(mocks: RecordingMocks, ...outputs: pulumi.Input<unknown>[]): Promise<void> {
  await Promise.all(outputs.map(o => valueOf(o)));
  let last = -1;
  let stable = 0;
  while (stable < 10) {
    await new Promise(r => setTimeout(r, 1));
    if (mocks.resources.length === last) {stable++;} else {
      stable = 0;
      last = mocks.resources.length;
    }
  }
}
