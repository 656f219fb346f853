import * as ec2 from '@pulumi/aws/ec2';
import * as aws from '@pulumi/aws/provider';
import * as vpc from '@pulumi/aws/vpc';
import * as pulumi from '@pulumi/pulumi';
import { MultiAzVpc } from './multi-az-vpc';
import { crossRegionNetworkProvisions, Provision } from '../core/capabilities';
import { blocksOverlap, parseIpv4Block } from '../core/cidr';
import { Problems, Resolution, resolution } from '../core/errors';
import { componentTags, settingsOrThrow } from './private/resolve';
import type { AwsTagsArgs } from './tags';

/** One region joined to the others. */
export interface CrossRegionPeer {
  /** The region's VPC (its id, CIDR, region and private route tables). */
  readonly vpc: MultiAzVpc;
  /** The aws.Provider of the VPC's region: the region's routes, the accepter side and its rules are made with it. */
  readonly provider: aws.Provider;
  /**
   * The security group of the region's nodes and pods (the EKS cluster security group: managed node
   * groups and the VPC CNI's pods use it): the other regions' CIDRs are admitted on {@link CrossRegionNetworkArgs.ports}.
   * @default - no rule (the group must admit the peers' CIDRs otherwise)
   */
  readonly securityGroupId?: pulumi.Input<string>;
}

/** Arguments of {@link CrossRegionNetwork}. */
export interface CrossRegionNetworkArgs extends AwsTagsArgs {
  /** The regions, in the platform description's order (the earlier one of each pair requests the peering). At least 2. */
  readonly peers: readonly CrossRegionPeer[];
  /**
   * TCP ports the other regions' VPC CIDRs are admitted on in each peer's security group: exactly
   * what crosses the regions. A security group cannot reference a group of another region, so the
   * rule names the peer's CIDR.
   * @default [10901] (Thanos StoreAPI gRPC: each region's Query reads the other regions' sidecars
   *   through their internal NLB, which preserves the client address, so the pods see the peer CIDR)
   * @see https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html
   */
  readonly ports?: readonly number[];
}

/** The ports admitted by default: Thanos StoreAPI gRPC (MonitoringStack's sidecar Service). */
export const CROSS_REGION_PORTS: readonly number[] = [10901];

/** {@link CrossRegionNetworkArgs} resolved: the peers, the admitted ports and the tags. */
export interface CrossRegionNetworkSettings {
  readonly peers: readonly CrossRegionPeer[];
  readonly ports: readonly number[];
  readonly tags: Readonly<Record<string, string>>;
}

/** Resolves {@link CrossRegionNetworkArgs}: the settings, or every problem (distinct regions, disjoint CIDRs, ports). */
export function resolveCrossRegionNetworkArgs(name: string, args: CrossRegionNetworkArgs): Resolution<CrossRegionNetworkSettings> {
  const problems = new Problems('CrossRegionNetwork', name);
  const peers = [...(args?.peers ?? [])];
  problems.when(peers.length < 2, 'peers', peers.length, 'has fewer than 2 regions, so there is nothing to join', 'pass every region\'s VPC and provider');
  peers.forEach((p, i) => {
    problems.when(!(p?.vpc instanceof MultiAzVpc), `peers[${i}].vpc`, p?.vpc, 'is not a MultiAzVpc', 'pass the region\'s MultiAzVpc');
    problems.when(!(p?.provider instanceof aws.Provider), `peers[${i}].provider`, p?.provider, 'is not an aws.Provider', 'pass the region\'s aws.Provider');
  });
  if (problems.count > 0) return { problems: problems.all };
  peers.forEach((p, i) => {
    const region = p.vpc.region.name;
    const earlier = peers.findIndex(q => q.vpc.region.name === region);
    problems.when(earlier < i, `peers[${i}].vpc`, region, `is the region of peers[${earlier}] too; a VPC cannot peer with its own region's twin here`,
      'pass each region once');
    // VPC peering refuses overlapping CIDRs: @see https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html#vpc-peering-limitations
    const mine = parseIpv4Block(p.vpc.plan.vpcCidr)!;
    peers.slice(0, i).forEach((q, j) => {
      const theirs = parseIpv4Block(q.vpc.plan.vpcCidr)!;
      problems.when(blocksOverlap(mine, theirs), `peers[${i}].vpc`, p.vpc.plan.vpcCidr,
        `overlaps peers[${j}]'s ${q.vpc.plan.vpcCidr}, and VPC peering refuses overlapping CIDR blocks`, 'give every region a disjoint VPC CIDR');
    });
  });
  const ports = [...(args.ports ?? CROSS_REGION_PORTS)];
  problems.when(ports.length === 0, 'ports', ports, 'is empty, so nothing could cross the regions', `use ${JSON.stringify(CROSS_REGION_PORTS)}`);
  ports.forEach((port, i) => problems.when(!Number.isInteger(port) || port < 1 || port > 65535, `ports[${i}]`, port, 'is not a TCP port', 'use e.g. 10901'));
  return resolution(problems.all, () => ({ peers, ports, tags: componentTags(args, {}) }));
}

/**
 * Routes between every pair of the platform's regions: one inter-region VPC peering connection per
 * pair (requested from the earlier region's provider, accepted with the later region's), a route
 * to the peer's VPC CIDR in every private route table on both sides (the nodes and pods live in the
 * private subnets; the isolated data subnets get none), and, in each region's node security group,
 * the other regions' CIDRs admitted on exactly {@link CrossRegionNetworkArgs.ports}.
 *
 * Peering rather than a Transit Gateway: no hourly charge (a TGW bills every attachment hour and
 * every GB it processes), no extra hop, and the full mesh of n(n-1)/2 connections stays small at
 * four regions (6 connections; the quota is 50 active peerings per VPC by default, 125 at most).
 * Peering is not transitive: each pair has its own connection, which the mesh gives.
 * @see https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html
 * @see https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-routing.html
 * @see https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-connection-quotas.html
 */
export class CrossRegionNetwork extends pulumi.ComponentResource {
  /** The ports admitted from the peers' CIDRs. */
  public readonly ports: readonly number[];
  /** The peering connections by `<requester region>/<accepter region>`. */
  public readonly peeringConnectionIds: Readonly<Record<string, pulumi.Output<string>>>;
  /** What it provides to each region: routes to every other region. */
  public readonly provides: Readonly<Record<string, readonly Provision[]>>;

  constructor(name: string, args: CrossRegionNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    const s = settingsOrThrow('CrossRegionNetwork', name, resolveCrossRegionNetworkArgs(name, args));
    super('nines:aws:CrossRegionNetwork', name, {}, opts);
    this.ports = s.ports;
    const ids: Record<string, pulumi.Output<string>> = {};
    s.peers.forEach((a, i) => s.peers.slice(i + 1).forEach(b => {
      ids[`${a.vpc.region.name}/${b.vpc.region.name}`] = this.peering(name, s, a, b);
    }));
    this.peeringConnectionIds = ids;
    for (const p of s.peers) this.admitPeers(name, s, p);
    this.provides = Object.fromEntries(s.peers.map(p => [p.vpc.region.name,
      crossRegionNetworkProvisions(s.peers.filter(q => q !== p).map(q => q.vpc.region.name))]));
    this.registerOutputs({ peeringConnectionIds: ids });
  }

  /** The peering of `a` (requester) and `b` (accepter), and the routes of both sides. Returns its id. */
  private peering(name: string, s: CrossRegionNetworkSettings, a: CrossRegionPeer, b: CrossRegionPeer): pulumi.Output<string> {
    const [ra, rb] = [a.vpc.region.name, b.vpc.region.name];
    const tags = (n: string) => ({ ...s.tags, Name: n });
    // Inter-region: the requester cannot auto-accept; the accepter's region accepts it.
    // @see https://docs.aws.amazon.com/vpc/latest/peering/create-vpc-peering-connection.html
    const connection = new ec2.VpcPeeringConnection(`${name}-${ra}-${rb}`, {
      vpcId: a.vpc.vpcId, peerVpcId: b.vpc.vpcId, peerRegion: rb, autoAccept: false, tags: tags(`${ra} <-> ${rb}`),
    }, { parent: this, provider: a.provider });
    const accepter = new ec2.VpcPeeringConnectionAccepter(`${name}-${ra}-${rb}-accepter`, {
      vpcPeeringConnectionId: connection.id, autoAccept: true, tags: tags(`${ra} <-> ${rb}`),
    }, { parent: this, provider: b.provider });
    // Each side routes the other's VPC CIDR through the connection, from every zone's private route table.
    for (const [from, to] of [[a, b], [b, a]] as const) {
      for (const [zone, routeTableId] of Object.entries(from.vpc.privateRouteTableIds)) {
        new ec2.Route(`${name}-${zone}-to-${to.vpc.region.name}`, {
          routeTableId, destinationCidrBlock: to.vpc.plan.vpcCidr, vpcPeeringConnectionId: connection.id,
        }, { parent: this, provider: from.provider, dependsOn: [accepter] });
      }
    }
    return connection.id;
  }

  /** The other regions' CIDRs admitted on the ports, in `p`'s node security group (one rule per CIDR and port). */
  private admitPeers(name: string, s: CrossRegionNetworkSettings, p: CrossRegionPeer): void {
    if (p.securityGroupId === undefined) return;
    for (const q of s.peers.filter(x => x !== p)) {
      for (const port of s.ports) {
        new vpc.SecurityGroupIngressRule(`${name}-${p.vpc.region.name}-from-${q.vpc.region.name}-${port}`, {
          securityGroupId: p.securityGroupId,
          cidrIpv4: q.vpc.plan.vpcCidr,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          description: `${q.vpc.region.name} (VPC peering) on ${port}`,
          tags: s.tags,
        }, { parent: this, provider: p.provider });
      }
    }
  }
}
