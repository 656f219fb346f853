import * as aws from '@pulumi/aws/provider';
import * as pulumi from '@pulumi/pulumi';
import { ClusterAddonsArgs, GlobalFailover, NodeGroupScaling, planPlatform, resolveAddonSwitches } from '../../lib/aws';
import { clusterAddonsProvisions, contractProblems, regionalClusterProvisions } from '../../lib/core/capabilities';
import { formatHeadroom, headroom, M6I_XLARGE, nodesPerZoneFor } from '../../lib/core/capacity';
import { Problems } from '../../lib/core/errors';
import { backupBucketNameOf } from '../../lib/core/naming';
import { Platform, PlatformDescription } from '../../lib/core/platform';
import { PRODUCTION } from '../platform';
import { regionObjects } from './kubernetes-objects';
import { RegionStack } from './region-stack';

/** What the stack's configuration (`Pulumi.<stack>.yaml`, namespace `nines`) may set. */
export interface StackOptions {
  /** Public DNS: the hosted zone and the global name; without them no GlobalFailover is built. */
  readonly hostedZoneId?: pulumi.Input<string>;
  /** e.g. `api.example.com`. */
  readonly recordName?: string;
  /**
   * Overrides of regions' public entry point host names (e.g. a CDN or a name published elsewhere).
   * @default each region's ingress gateway NLB host name (`${region}.${recordName}` if the gateway is off)
   */
  readonly entryPoints?: Readonly<Record<string, string>>;
  /** CIDRs allowed to reach the clusters' public API endpoints (default none: private only). */
  readonly publicAccessCidrs?: readonly string[];
  /**
   * Nodes per zone.
   * @default - sized from the region's requests (sidecars included) so that with one zone lost the
   *   other zones hold them at <= 80% of allocatable: { min: n, desired: n, max: 2n } (nodesPerZoneFor)
   */
  readonly nodesPerZone?: NodeGroupScaling;
  /** Interface endpoints per VPC. */
  readonly interfaceEndpoints?: readonly string[];
  /** Add-on chart versions and switches, for every region. */
  readonly addons?: Pick<ClusterAddonsArgs, 'versions' | 'enable' | 'gatewayMinReplicas'>;
}

/** The built stack. */
export interface PlatformStack {
  readonly providers: Readonly<Record<string, aws.Provider>>;
  readonly regions: Readonly<Record<string, RegionStack>>;
  readonly failover?: GlobalFailover;
}

/**
 * The platform description of an environment: the reference platform's regions (zones and
 * CIDRs from stacks/platform.ts), restricted to `regionNames`.
 */
export function describePlatform(environment: string, regionNames?: readonly string[]): PlatformDescription {
  const known = PRODUCTION.regions.map(r => r.name);
  const problems = new Problems('PulumiStack', environment);
  for (const r of regionNames ?? []) {
    problems.when(!known.includes(r), 'regions', r, 'is not a region of the platform description (stacks/platform.ts)',
      `use some of ${known.join(', ')}`);
  }
  problems.when(regionNames !== undefined && regionNames.length === 0, 'regions', regionNames, 'is empty', 'list at least one region');
  problems.throwIfAny();
  const regions = regionNames ? PRODUCTION.regions.filter(r => regionNames.includes(r.name)) : PRODUCTION.regions;
  return { ...PRODUCTION, environment, regions };
}

/**
 * Builds every region (one aws.Provider each, its VPC, cluster and cdk8s objects) and, when DNS
 * is configured, the global failover. CIDRs are planned and checked disjoint before anything
 * is registered.
 */
export function buildPlatformStack(platform: Platform, options: StackOptions = {}): PlatformStack {
  planPlatform(platform); // throws on any CIDR problem before a resource exists
  const objects = Object.fromEntries(platform.regions.map(r => [r.name, regionObjects(platform, r.name)]));
  // The contract: every capability the region's objects require is provided by what this program
  // builds (RegionalCluster + ClusterAddons with these switches), checked before any resource exists.
  const switches = resolveAddonSwitches(options.addons?.enable);
  const contract = new Problems('PulumiStack', platform.environment);
  for (const r of platform.regions) {
    const provided = new Set([
      ...regionalClusterProvisions(r.zones),
      ...clusterAddonsProvisions(switches, platform.mesh.cni),
    ].map(p => p.capability));
    contract.addAll(contractProblems(objects[r.name].requirements, provided), r.name);
  }
  // Capacity: each zone's nodes hold the region's requests with one zone lost; a smaller floor is refused.
  const sizing: Record<string, NodeGroupScaling> = {};
  for (const r of platform.regions) {
    const n = nodesPerZoneFor(objects[r.name].requests, M6I_XLARGE, r.zones.length);
    const given = options.nodesPerZone;
    sizing[r.name] = given ?? { min: n, desired: n, max: 2 * n };
    const h = headroom(objects[r.name].requests, M6I_XLARGE, r.zones.length, given?.min ?? n);
    contract.when(given !== undefined && (given.min ?? 1) < n, 'nodesPerZone.min', given?.min ?? 1,
      `leaves ${r.name} without room after a zone loss (${formatHeadroom(h)})`,
      `use at least ${n} ${M6I_XLARGE.instanceType} per zone, or leave nodesPerZone unset to size it from the requests`);
  }
  contract.throwIfAny();
  const providers: Record<string, aws.Provider> = {};
  const regions: Record<string, RegionStack> = {};
  for (const region of platform.regions) {
    const provider = new aws.Provider(`aws-${region.name}`, {
      region: region.name,
      defaultTags: { tags: { 'nines.dev/environment': platform.environment, 'nines.dev/managed-by': 'pulumi' } },
    });
    providers[region.name] = provider;
    regions[region.name] = new RegionStack(region.name, {
      region,
      objects: objects[region.name],
      // The name the reference platform's PatroniClusters are synthesized with (stacks/reference-platform.ts).
      backupBucketName: backupBucketNameOf(region),
      publicAccessCidrs: options.publicAccessCidrs,
      nodesPerZone: sizing[region.name],
      interfaceEndpoints: options.interfaceEndpoints,
      addons: options.addons,
    }, { providers: [provider] });
  }
  let failover: GlobalFailover | undefined;
  if (options.hostedZoneId !== undefined && options.recordName !== undefined) {
    // Each region's ingress NLB (read from its Service once Helm has waited for it), unless overridden.
    const entryPoints = Object.fromEntries(platform.regions.map(r =>
      [r.name, options.entryPoints?.[r.name] ?? regions[r.name].entryPoint ?? `${r.name}.${options.recordName}`]));
    // Route53 is global; its API lives in us-east-1.
    const dnsProvider = providers['us-east-1'] ?? new aws.Provider('aws-global', { region: 'us-east-1' });
    failover = new GlobalFailover(platform.environment, {
      platform, hostedZoneId: options.hostedZoneId, recordName: options.recordName, entryPoints,
    }, { providers: [dnsProvider] });
  }
  return { providers, regions, failover };
}
