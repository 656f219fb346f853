import * as route53 from '@pulumi/aws/route53';
import * as pulumi from '@pulumi/pulumi';
import { MultiAzVpc } from './multi-az-vpc';
import { componentTags } from './private/resolve';
import type { AwsTagsArgs } from './tags';
import { privateZoneProvisions, Provision } from '../core/capabilities';
import { Problems } from '../core/errors';

/** Arguments of {@link PrivateZone}. */
export interface PrivateZoneArgs extends AwsTagsArgs {
  /**
   * The zone's name: the platform description's `internalZone` (e.g. `nines.internal`).
   * @see PlatformDescription.internalZone
   */
  readonly name: string;
  /** Every region's VPC: the zone resolves in each of them (a private hosted zone may be associated with VPCs of any region of the account). */
  readonly vpcs: readonly MultiAzVpc[];
}

/**
 * The platform's Route53 private hosted zone, associated with every region's VPC (which resolve it
 * through their Route 53 Resolver, with DNS support and DNS host names on, as MultiAzVpc sets
 * them). The records are published by each region's external-dns (ClusterAddons `privateZone`),
 * never typed here. Route53 is global: pass the us-east-1 provider.
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zones-private.html
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-private-considerations.html (enableDnsHostnames, enableDnsSupport)
 */
export class PrivateZone extends pulumi.ComponentResource {
  /** The zone's name. */
  public readonly zoneName: string;
  /** The hosted zone's id. */
  public readonly zoneId: pulumi.Output<string>;
  /** What it provides to each region: names under the zone resolve there. */
  public readonly provides: Readonly<Record<string, readonly Provision[]>>;

  constructor(name: string, args: PrivateZoneArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = new Problems('PrivateZone', name);
    problems.when(!/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$/.test(String(args?.name)), 'name', args?.name,
      'is not a DNS zone name', 'use the platform\'s internalZone, e.g. "nines.internal"');
    const vpcs = [...(args?.vpcs ?? [])];
    problems.when(vpcs.length === 0, 'vpcs', vpcs.length, 'is empty, and a private hosted zone needs at least one VPC', 'pass every region\'s MultiAzVpc');
    vpcs.forEach((v, i) => problems.when(!(v instanceof MultiAzVpc), `vpcs[${i}]`, v, 'is not a MultiAzVpc', 'pass the region\'s MultiAzVpc'));
    problems.throwIfAny();
    super('nines:aws:PrivateZone', name, {}, opts);
    this.zoneName = args.name;
    // All the VPCs on the zone itself (not separate ZoneAssociations, which the zone's own list would fight).
    // @see https://www.pulumi.com/registry/packages/aws/api-docs/route53/zone/
    const zone = new route53.Zone(name, {
      name: args.name,
      comment: `The platform's internal names (${vpcs.map(v => v.region.name).join(', ')}), published by external-dns`,
      vpcs: vpcs.map(v => ({ vpcId: v.vpcId, vpcRegion: v.region.name })),
      tags: componentTags(args, {}),
    }, { parent: this });
    this.zoneId = zone.zoneId;
    this.provides = Object.fromEntries(vpcs.map(v => [v.region.name, privateZoneProvisions(args.name)]));
    this.registerOutputs({ zoneId: this.zoneId });
  }
}
