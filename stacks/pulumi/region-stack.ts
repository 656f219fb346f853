import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { RegionObjects } from './kubernetes-objects';
import {
  ClusterAddons, ClusterAddonsArgs, Karpenter, MultiAzVpc, MultiAzVpcArgs, NodeGroupScaling, NodePoolLimits, RegionalCluster, RegionComponentsArgs,
} from '../../lib/aws';
import { gatewayCertificatesOf } from '../../lib/core/capabilities';
import { Region } from '../../lib/core/platform';

/** Arguments of {@link RegionStack}. */
export interface RegionStackArgs {
  /** The region from the platform description. */
  readonly region: Region;
  /** The region's cdk8s objects (charts applied in order, each after the previous one). */
  readonly objects: RegionObjects;
  /** The backup bucket name the database clusters were synthesized with. */
  readonly backupBucketName?: string;
  /** CIDRs allowed to reach the API endpoint from outside the VPC: where `pulumi up` runs. */
  readonly publicAccessCidrs: readonly string[];
  /** Nodes per zone. */
  readonly nodesPerZone?: NodeGroupScaling;
  /** The nodes' AMI release (RegionalClusterArgs.nodeAmiRelease). */
  readonly nodeAmiRelease?: string;
  /** Each zone's Karpenter NodePool limits (from the capacity model; see PulumiStack). Unset: no Karpenter (no node autoscaling). */
  readonly nodePoolLimitsPerZone?: NodePoolLimits;
  /** Interface endpoints. */
  readonly interfaceEndpoints?: MultiAzVpcArgs['interfaceEndpoints'];
  /** The Route53 hosted zone of the entry's names: cert-manager issues the gateways' certificates there (DNS-01). */
  readonly hostedZoneId?: string;
  /** Add-on chart versions and switches (default: all add-ons at their pinned versions). */
  readonly addons?: Pick<ClusterAddonsArgs, 'versions' | 'enable' | 'gatewayMinReplicas'>;
}

/**
 * The args RegionStack gives its MultiAzVpc, RegionalCluster, ClusterAddons and Karpenter (each
 * without the components it is given): what it builds, and what the program resolves for every
 * region before it registers anything (regionComponentProblems).
 */
export function regionComponentArgs(args: RegionStackArgs): RegionComponentsArgs & Required<Pick<RegionComponentsArgs, 'addons'>> {
  // The charts' Namespaces are theirs: no add-on may create one of them too.
  const reservedNamespaces = args.objects.charts.flatMap(c => c.objects.filter(o => o.kind === 'Namespace').map(o => o.metadata.name as string));
  // The certificates the region's gateways serve, read from its Gateway objects.
  const certificates = gatewayCertificatesOf(args.objects.charts.flatMap(c => c.objects));
  const tls = args.hostedZoneId === undefined ? undefined : { hostedZoneId: args.hostedZoneId, certificates };
  return {
    vpc: { region: args.region, interfaceEndpoints: args.interfaceEndpoints },
    cluster: {
      publicAccessCidrs: args.publicAccessCidrs,
      nodesPerZone: args.nodesPerZone,
      nodeAmiRelease: args.nodeAmiRelease,
      backupBucketName: args.backupBucketName,
      backupServiceAccounts: args.objects.backupServiceAccounts.length > 0 ? args.objects.backupServiceAccounts : undefined,
    },
    addons: { reservedNamespaces, tls, ...args.addons },
    // Unset limits: no Karpenter (no node autoscaling).
    karpenter: args.nodePoolLimitsPerZone === undefined ? undefined : { limitsPerZone: args.nodePoolLimitsPerZone },
  };
}

/**
 * One region of the platform: its MultiAzVpc, its RegionalCluster, the ClusterAddons the objects
 * need (CRDs, controllers, the ingress gateway's NLB), and its cdk8s objects applied after them
 * through the cluster's Kubernetes provider. Pass the region's aws.Provider in
 * `opts.providers`; every child inherits it.
 */
export class RegionStack extends pulumi.ComponentResource {
  public readonly vpc: MultiAzVpc;
  public readonly cluster: RegionalCluster;
  /** What the cluster runs before the cdk8s objects (Istio, prometheus-operator, Chaos Mesh, Flagger, the LB controller). */
  public readonly addons: ClusterAddons;
  /** The region's public entry point: the ingress gateway's NLB host name (undefined with the gateway off). */
  public readonly entryPoint?: pulumi.Output<string>;
  /** Node autoscaling: one Karpenter NodePool per zone (undefined with node autoscaling off). */
  public readonly karpenter?: Karpenter;
  /** One ConfigGroup per chart, by chart id. */
  public readonly workloads: Readonly<Record<string, k8s.yaml.ConfigGroup>>;

  constructor(name: string, args: RegionStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('nines:stack:Region', name, {}, opts);
    const components = regionComponentArgs(args);
    this.vpc = new MultiAzVpc(name, components.vpc, { parent: this });
    this.cluster = new RegionalCluster(name, { vpc: this.vpc, ...components.cluster }, { parent: this });
    this.addons = new ClusterAddons(name, { cluster: this.cluster, vpc: this.vpc, ...components.addons }, { parent: this });
    this.entryPoint = this.addons.entryPoint;
    this.karpenter = components.karpenter === undefined ? undefined
      : new Karpenter(name, { cluster: this.cluster, vpc: this.vpc, ...components.karpenter }, { parent: this });
    // The CRDs and controllers (and their webhooks) the objects need exist before any chart applies,
    // and so do the NodePools that add nodes for pods the node groups cannot hold.
    const addonReleases: pulumi.Resource[] = [
      ...Object.values(this.addons.releases),
      ...Object.values(this.karpenter?.releases ?? {}), ...Object.values(this.karpenter?.nodePools ?? {}),
    ];
    const workloads: Record<string, k8s.yaml.ConfigGroup> = {};
    let previous: pulumi.Resource = this.cluster;
    for (const chart of args.objects.charts) {
      // ConfigGroup (client-side) registers one typed resource per object, named by
      // kind/namespace/name: stable names, a per-object preview, and testable under mocks.
      // The group's dependsOn does not order its children (a component's dependencies are not
      // inherited): each object is made to depend on the previous chart and every add-on itself.
      const after = [previous, ...addonReleases];
      const group: k8s.yaml.ConfigGroup = new k8s.yaml.ConfigGroup(`${name}-${chart.chart}`, {
        objs: [...chart.objects],
        resourcePrefix: `${name}-${chart.chart}`,
        transformations: [(_obj: unknown, objectOpts: pulumi.CustomResourceOptions) => {
          const own = objectOpts.dependsOn;
          objectOpts.dependsOn = own === undefined ? after : pulumi.output(own).apply(d => [...[d].flat(), ...after]);
        }],
      }, { parent: this, provider: this.cluster.provider, dependsOn: after });
      workloads[chart.chart] = group;
      previous = group;
    }
    this.workloads = workloads;
    this.registerOutputs({ vpcId: this.vpc.vpcId, cidrPlan: this.vpc.cidrPlan, clusterName: this.cluster.name, entryPoint: this.entryPoint });
  }
}
