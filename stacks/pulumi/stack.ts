import * as aws from '@pulumi/aws/provider';
import type * as pulumi from '@pulumi/pulumi';
import { RegionObjects, regionObjects } from './kubernetes-objects';
import { isReservedHost, mergedAcrossRegions, placeholderProblems } from './placeholders';
import { regionComponentArgs, RegionStack, RegionStackArgs } from './region-stack';
import {
  ClusterAddonsArgs, CrossRegionNetwork, GlobalFailover, GlobalFailoverArgs, globalFailoverProblems, NodeGroupScaling, NodePoolLimits,
  nodePoolLimitsFor,
  PrivateZone, regionComponentProblems, resolveAddonSwitches, throwIfAnyProblems,
} from '../../lib/aws';
import { concurrentChallengeProblems } from '../../lib/aws/cert-manager';
import { M6I_XLARGE_CAPACITY } from '../../lib/aws/karpenter';
import { DEFAULT_NODE_AMI_RELEASE, nodeAmiProblems } from '../../lib/aws/node-ami';
import { regionCapacity } from '../../lib/core/addon-capacity';
import { AppValidationError } from '../../lib/core/app-problems';
import {
  clusterAddonsProvisions, contractProblems, crossRegionNetworkProvisions, gatewayCertificatesOf, karpenterProvisions, privateZoneProvisions,
  regionalClusterProvisions, scaleOutRequirementsOf,
} from '../../lib/core/capabilities';
import { formatHeadroom, M6I_XLARGE } from '../../lib/core/capacity';
import { Problems, ValidationError } from '../../lib/core/errors';
import { backupBucketNameOf } from '../../lib/core/naming';
import { Platform, PlatformDescription, Region } from '../../lib/core/platform';
import { PRODUCTION } from '../platform';
import { EXTERNAL_ENDPOINTS } from '../services';

/** What the stack's configuration (`Pulumi.<stack>.yaml`, namespace `nines`) may set. */
export interface StackOptions {
  /**
   * The Route53 hosted zone of {@link recordName}: the failover records, and the DNS-01 challenges
   * that issue the entry's certificate. Required.
   */
  readonly hostedZoneId?: string;
  /** The entry's public name, e.g. `api.shop.com` (each region also answers `<region>.<recordName>`). Required. */
  readonly recordName?: string;
  /**
   * Overrides of regions' public entry point host names (e.g. a CDN or a name published elsewhere).
   * @default each region's ingress gateway NLB host name (`${region}.${recordName}` if the gateway is off)
   */
  readonly entryPoints?: Readonly<Record<string, string>>;
  /**
   * CIDRs allowed to reach the clusters' API endpoints from outside the VPC: where `pulumi up` runs.
   * Required (see RegionalClusterArgs.publicAccessCidrs).
   */
  readonly publicAccessCidrs?: readonly string[];
  /**
   * Registry the images are pulled from (`<registry>/shop/<service>`, `<registry>/platform/patroni`).
   * @default each region's ECR registry of the deploying account (`<account>.dkr.ecr.<region>.amazonaws.com`)
   */
  readonly registry?: string;
  /** The deploying account, from the caller's identity (`aws.getCallerIdentity`), never typed. */
  readonly accountId?: string;
  /**
   * Nodes per zone.
   * @default - sized from the region's requests (sidecars, add-on Deployments and every DaemonSet's share of
   *   each node included) so that with one zone lost the other zones hold them at <= 80% of allocatable:
   *   { min: n, desired: n, max: 2n } (regionCapacity)
   */
  readonly nodesPerZone?: NodeGroupScaling;
  /**
   * The nodes' EKS-optimized AL2023 AMI release (`vYYYYMMDD`), for the managed node groups and Karpenter's
   * EC2NodeClass alike; `latest` is refused in production (see RegionalClusterArgs.nodeAmiRelease).
   * @default DEFAULT_NODE_AMI_RELEASE
   * @see https://karpenter.sh/docs/tasks/managing-amis/
   */
  readonly nodeAmiRelease?: string;
  /**
   * Node autoscaling: Karpenter in every region, one NodePool per zone. Off, nothing adds nodes, and a
   * region whose HPAs can scale past what the static node groups hold is refused (its HPAs require
   * `node-autoscaling:<zone>`).
   * @default true
   * @see https://karpenter.sh/docs/concepts/nodepools/
   */
  readonly nodeAutoscaling?: boolean;
  /**
   * Each zone's Karpenter NodePool limits (instance capacity, on top of the static node group).
   * @default - from the capacity model: the nodes each zone needs, beyond its static floor, to hold every
   *   HPA at its maxReplicas with one zone lost (regionCapacity(...).peak.autoscaledNodesPerZone, at least one node)
   */
  readonly nodePoolLimitsPerZone?: NodePoolLimits;
  /**
   * Where the alerts' dashboard links point (`<dashboardBaseUrl>/<service>`): your Grafana.
   * Unset, the objects keep the reference platform's documentation placeholder, which preview refuses.
   */
  readonly dashboardBaseUrl?: string;
  /**
   * The real hosts of the platform's external dependencies, by endpoint name (EXTERNAL_ENDPOINTS in
   * stacks/services.ts): the reference platform's `*.example.com` hosts are refused at preview.
   * @default EXTERNAL_ENDPOINTS' hosts
   */
  readonly externalEndpoints?: Readonly<Record<string, readonly string[]>>;
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
  /** VPC peering between every pair of regions (with two regions or more). */
  readonly network?: CrossRegionNetwork;
  /** The platform's private hosted zone (when an object names a host under `internalZone`). */
  readonly privateZone?: PrivateZone;
}

/** What a deployment's configuration sets in the reference description. */
export interface DescriptionOverrides {
  /** `nines:runbookBaseUrl`: where the alerts' runbooks are published. */
  readonly runbookBaseUrl?: string;
  /** `nines:logStores`: each region's log store (`host[:port]`, Elasticsearch/OpenSearch API), by region name. */
  readonly logStores?: Readonly<Record<string, string>>;
  /** `nines:traceBackends`: each region's trace backend (OTLP gRPC `host:port`), by region name. */
  readonly traceBackends?: Readonly<Record<string, string>>;
}

/**
 * The platform description of an environment: the reference platform's regions (zones and
 * CIDRs from stacks/platform.ts), restricted to `regionNames`.
 */
export function describePlatform(environment: string, regionNames?: readonly string[],
  overrides: DescriptionOverrides = {}): PlatformDescription {
  const known = PRODUCTION.regions.map(r => r.name);
  const problems = new Problems('PulumiStack', environment);
  for (const r of regionNames ?? []) {
    problems.when(!known.includes(r), 'regions', r, 'is not a region of the platform description (stacks/platform.ts)',
      `use some of ${known.join(', ')}`);
  }
  problems.when(regionNames !== undefined && regionNames.length === 0, 'regions', regionNames, 'is empty', 'list at least one region');
  problems.throwIfAny();
  const regions = (regionNames ? PRODUCTION.regions.filter(r => regionNames.includes(r.name)) : PRODUCTION.regions).map(r => ({
    ...r,
    // Each region's log store and trace backend (`nines:logStores`, `nines:traceBackends`, by region):
    // the platform runs neither, so the deployment names them; unset, preview refuses (buildPlatformStack).
    ...(overrides.logStores?.[r.name] !== undefined ? { logStore: overrides.logStores[r.name] } : {}),
    ...(overrides.traceBackends?.[r.name] !== undefined ? { traceBackend: overrides.traceBackends[r.name] } : {}),
  }));
  // The runbook site every alert links to (`nines:runbookBaseUrl`); unset, the documentation placeholder stays and preview refuses it.
  return { ...PRODUCTION, environment, regions, ...(overrides.runbookBaseUrl !== undefined ? { runbookBaseUrl: overrides.runbookBaseUrl } : {}) };
}

/** The stand-in for a region whose objects did not synthesize (their problems are reported). */
const NO_OBJECTS: RegionObjects = { charts: [], backupServiceAccounts: [], requirements: [], requests: [] };

/** What the program builds from, once every problem of it has been ruled out. */
interface ValidatedStack {
  readonly objects: Readonly<Record<string, RegionObjects>>;
  readonly sizing: Readonly<Record<string, NodeGroupScaling>>;
  /** Each region's NodePool limits per zone; none with node autoscaling off. */
  readonly limits: Readonly<Record<string, NodePoolLimits | undefined>>;
}

/**
 * Every check of the program before any resource is registered, thrown as one
 * ProgramValidationError: the stack's settings, the placeholders left in the objects, the capacity
 * and the contract (every capability the objects require is provided by what the program builds),
 * the objects' own problems, and every component's args (MultiAzVpc, RegionalCluster,
 * ClusterAddons and Karpenter of every region, and GlobalFailover) through their pure resolvers,
 * with exactly the args the build passes them (regionComponentArgs).
 */
export function validatePlatformStack(platform: Platform, options: StackOptions = {}): ValidatedStack {
  const problems = new Problems('PulumiStack', platform.environment);
  const required = (key: keyof StackOptions, fix: string) =>
    problems.when(options[key] === undefined || (Array.isArray(options[key]) && (options[key] as unknown[]).length === 0),
      `nines:${key}`, options[key], 'is not set', fix);
  required('publicAccessCidrs', 'run `pulumi config set --path \'nines:publicAccessCidrs[0]\' <egress CIDR of the machine running pulumi up>`');
  required('hostedZoneId', 'run `pulumi config set nines:hostedZoneId <the Route53 zone id of recordName>`');
  required('recordName', 'run `pulumi config set nines:recordName <the entry\'s public name, e.g. api.shop.com>`');
  problems.when(options.hostedZoneId !== undefined && /EXAMPLE/i.test(options.hostedZoneId), 'nines:hostedZoneId', options.hostedZoneId,
    'is a placeholder', 'set the id of your Route53 hosted zone (`aws route53 list-hosted-zones`)');
  problems.when(options.recordName !== undefined && isReservedHost(options.recordName), 'nines:recordName', options.recordName,
    'is under a domain reserved for documentation (RFC 2606), so no certificate can be issued for it and no client resolves it',
    'set a name under your hosted zone, e.g. "api.shop.com"');
  problems.when(options.registry !== undefined && isReservedHost(options.registry.split('/')[0]), 'nines:registry', options.registry,
    'is a registry host reserved for documentation', 'set your registry, or unset it to use the account\'s ECR');
  for (const p of nodeAmiProblems(options.nodeAmiRelease ?? DEFAULT_NODE_AMI_RELEASE, platform.kubernetesVersion, platform.environment, 'nines:nodeAmiRelease')) {
    problems.add(p.prop, p.value, p.why, p.fix);
  }
  problems.when(options.registry === undefined && options.accountId === undefined, 'nines:registry', undefined,
    'is not set and the deploying account is unknown', 'set nines:registry, or pass accountId from aws.getCallerIdentity()');
  // The log store and trace backend each region ships to: prerequisites the platform does not run,
  // so each must be named, and not be a placeholder or a name in the private zone nothing publishes.
  for (const r of platform.regions) {
    for (const [key, value, what, example] of [
      ['logStores', r.logStore, 'log store', 'vpc-logs-abc123.us-east-1.es.amazonaws.com:443'],
      ['traceBackends', r.traceBackend, 'trace backend', 'tempo-distributor.tracing.corp.net:4317'],
    ] as const) {
      const fix = `run \`pulumi config set --path 'nines:${key}.${r.name}' <${example}>\` (the platform does not run a ${what}; see the README's prerequisites)`;
      problems.when(value === undefined, `nines:${key}.${r.name}`, value, `is not set, so ${r.name}'s ${what} is a placeholder`, fix)
      || problems.when(isReservedHost(value!.split(':')[0]), `nines:${key}.${r.name}`, value, 'is under a domain reserved for documentation (RFC 2606)', fix)
      || problems.when(platform.internalZone !== undefined && value!.split(':')[0].endsWith(`.${platform.internalZone}`), `nines:${key}.${r.name}`, value,
        `is under the private zone ${platform.internalZone}, where only the platform's own Services are published (external-dns), so nothing answers it`, fix);
    }
  }
  for (const [name, hosts] of Object.entries(options.externalEndpoints ?? {})) {
    problems.when(!(name in EXTERNAL_ENDPOINTS), `nines:externalEndpoints.${name}`, hosts, 'is not an external endpoint of the platform',
      `use one of ${Object.keys(EXTERNAL_ENDPOINTS).join(', ')} (stacks/services.ts)`);
    const bad = !Array.isArray(hosts) || hosts.length === 0 || hosts.some(h => typeof h !== 'string');
    problems.when(bad, `nines:externalEndpoints.${name}`, hosts, 'is not a non-empty list of host names', `e.g. ["${name}.your-vendor.com"]`);
  }
  // Without a registry the objects are still synthesized (for the checks below) with an ECR host of no account.
  const registry = (region: string) => options.registry ?? `${options.accountId ?? '000000000000'}.dkr.ecr.${region}.amazonaws.com`;
  // A region whose objects do not synthesize (their constructs' problems, e.g. from a bad nines:recordName) is
  // checked on without them; the problems are reported once for the regions that share them.
  const objectErrors = new Map<string, { error: ValidationError; regions: string[] }>();
  const objects = Object.fromEntries(platform.regions.map(r => {
    try {
      const reference = {
        registry: registry(r.name),
        entryDomain: options.recordName,
        dashboardBaseUrl: options.dashboardBaseUrl,
        externalEndpoints: options.externalEndpoints,
      };
      return [r.name, regionObjects(platform, r.name, reference)];
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      for (const error of e instanceof AppValidationError ? e.errors : [e]) {
        const seen = objectErrors.get(error.message) ?? { error, regions: [] };
        seen.regions.push(r.name);
        objectErrors.set(error.message, seen);
      }
      return [r.name, NO_OBJECTS];
    }
  }));
  const placeholders = new Problems('PulumiStack', platform.environment);
  for (const r of platform.regions) placeholderProblems(placeholders, r.name, objects[r.name].charts.flatMap(c => c.objects));
  // An image under a placeholder nines:registry is that one problem (reported above), not one per image.
  const fromRegistry = (v: unknown) => options.registry !== undefined && isReservedHost(options.registry.split('/')[0])
    && String(v).startsWith(`${options.registry}/`);
  problems.addAll(mergedAcrossRegions(placeholders.all.filter(p => !(p.prop.endsWith(' image') && fromRegistry(p.value))), platform.regions.map(r => r.name)));
  // Capacity first (the contract reads it): each zone's nodes hold the region's requests with one zone lost (the
  // app's pods with their sidecars, the add-ons' Deployments, Karpenter's controller, every DaemonSet's share of each
  // node); a smaller floor is refused. Every HPA at its maximum (the peak) needs the static nodes plus each zone's
  // NodePool limits to hold it with one zone lost; smaller limits are refused. Both are read from the objects: a
  // region whose objects did not synthesize is checked for neither.
  const switches = resolveAddonSwitches(options.addons?.enable);
  const autoscaling = options.nodeAutoscaling ?? true;
  const { peered, zone } = betweenRegionsOf(platform, objects);
  const sizing: Record<string, NodeGroupScaling> = {};
  const limits: Record<string, NodePoolLimits | undefined> = {};
  for (const r of platform.regions) {
    if (objects[r.name] === NO_OBJECTS) {
      sizing[r.name] = options.nodesPerZone ?? { min: 1, desired: 1, max: 2 };
      limits[r.name] = autoscaling ? options.nodePoolLimitsPerZone ?? nodePoolLimitsFor(1) : undefined;
      continue;
    }
    const addons = {
      ...switches, karpenter: autoscaling, zones: r.zones.length, meshCni: platform.mesh.cni, gatewayMinReplicas: options.addons?.gatewayMinReplicas,
    };
    const all = objects[r.name].charts.flatMap(c => c.objects);
    const n = regionCapacity(all, addons, M6I_XLARGE).nodesPerZone;
    const given = options.nodesPerZone;
    sizing[r.name] = given ?? { min: n, desired: n, max: 2 * n };
    const floor = given?.min ?? n;
    const c = regionCapacity(all, addons, M6I_XLARGE, floor);
    problems.when(given !== undefined && (given.min ?? 1) < n, 'nodesPerZone.min', given?.min ?? 1,
      `leaves ${r.name} without room after a zone loss (${formatHeadroom(c.headroom)})`,
      `use at least ${n} ${M6I_XLARGE.instanceType} per zone, or leave nodesPerZone unset to size it from the requests`);
    const l = options.nodePoolLimitsPerZone ?? nodePoolLimitsFor(Math.max(c.peak.autoscaledNodesPerZone, 1));
    // Karpenter may add, per zone, what every HPA at its maximum needs beyond the static floor (none when off).
    limits[r.name] = autoscaling ? l : undefined;
    const nodePoolNodes = Math.floor(Math.min(l.cpu / M6I_XLARGE_CAPACITY.cpu, l.memoryGiB / M6I_XLARGE_CAPACITY.memoryGiB));
    problems.when(autoscaling && options.nodePoolLimitsPerZone !== undefined && floor + nodePoolNodes < c.peak.nodesPerZone,
      'nodePoolLimitsPerZone', options.nodePoolLimitsPerZone,
      `lets each zone of ${r.name} reach ${floor} + ${nodePoolNodes} ${M6I_XLARGE.instanceType}, but with every HPA at its maximum `
      + `(${c.peak.requested.cpu.toFixed(1)} vCPU requested) and one zone lost each zone needs ${c.peak.nodesPerZone}`,
      `raise it to ${JSON.stringify(nodePoolLimitsFor(c.peak.nodesPerZone - floor))}, or leave it unset to size it from the requests`);
    // The contract: every capability the region's objects require (their HPAs' scale-out judged against these
    // static nodes) is provided by what this program builds (RegionalCluster, ClusterAddons with these switches,
    // and Karpenter when node autoscaling is on).
    // ... and, between the regions, the peering and the private zone with external-dns publishing into it.
    const provided = new Set([
      ...regionalClusterProvisions(r.zones),
      ...clusterAddonsProvisions({
        ...switches, certificateIssuer: switches.certManager, externalDnsZone: switches.externalDns ? zone : undefined,
      }, platform.mesh.cni),
      ...(autoscaling ? karpenterProvisions(r.zones) : []),
      ...(peered ? crossRegionNetworkProvisions(platform.regions.filter(o => o !== r).map(o => o.name)) : []),
      ...(zone === undefined ? [] : privateZoneProvisions(zone)),
    ].map(p => p.capability));
    const scaleOut = all.flatMap(o => scaleOutRequirementsOf(o, { meshCni: platform.mesh.cni, zones: r.zones, peak: c.peak })
      .map(q => ({ ...q, object: `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}` })));
    problems.addAll(contractProblems([...objects[r.name].requirements, ...scaleOut], provided), r.name);
  }
  // Every region's cert-manager solves DNS-01 for the shared entry name in the same hosted zone at once:
  // each challenge is a multivalue TXT record of its own, within Route53's answer size (lib/aws/cert-manager.ts).
  problems.addAll(concurrentChallengeProblems(Object.fromEntries(platform.regions.map(r =>
    [r.name, gatewayCertificatesOf(objects[r.name].charts.flatMap(c => c.objects))]))));
  // Every component of every region, resolved with the args the build gives it.
  const components = platform.regions.flatMap(r => regionComponentProblems(r.name,
    regionComponentArgs(regionStackArgs(r, objects[r.name], sizing[r.name], limits[r.name], options)))
    // A setting the stack reported above (with the command that sets it) is not reported again by the component it feeds.
    .map(e => withoutProblemsOn(e, [
      ...(options.publicAccessCidrs === undefined ? ['publicAccessCidrs'] : []),
      ...(problems.all.some(p => p.prop === 'nines:nodeAmiRelease') ? ['nodeAmiRelease'] : []),
    ])));
  const failover = options.hostedZoneId !== undefined && options.recordName !== undefined
    ? globalFailoverProblems(platform.environment, failoverArgs(platform, options, r => `${r}.${options.recordName}`)) : undefined;
  const objectProblems = [...objectErrors.values()].map(({ error, regions }) =>
    new ValidationError(error.constructType, `${error.path} (${regions.join(', ')})`, error.problems));
  const own = new ValidationError('PulumiStack', platform.environment, problems.all);
  throwIfAnyProblems(platform.environment, [own, ...objectProblems, ...components, failover]);
  return { objects, sizing, limits };
}

/**
 * What the program builds between the regions: VPC peering with two regions or more, and the
 * private zone (external-dns publishing into it) when an object of a region names a host under the
 * platform's `internalZone`.
 */
function betweenRegionsOf(platform: Platform,
  objects: Readonly<Record<string, { readonly requirements: ReadonlyArray<{ readonly capability: string }> }>>): { peered: boolean; zone?: string } {
  const needsZone = platform.regions.some(r => (objects[r.name]?.requirements ?? []).some(q => q.capability.startsWith('dns')));
  return { peered: platform.regions.length >= 2, zone: platform.internalZone !== undefined && needsZone ? platform.internalZone : undefined };
}

/**
 * Builds every region (one aws.Provider each, its VPC, cluster and cdk8s objects) and, when DNS
 * is configured, the global failover. Every problem of the whole program (settings, objects,
 * capacity, contract, every component's args in every region) is thrown at once, before any
 * resource is registered (validatePlatformStack).
 */
export function buildPlatformStack(platform: Platform, options: StackOptions = {}): PlatformStack {
  const { objects, sizing, limits } = validatePlatformStack(platform, options);
  const { peered, zone } = betweenRegionsOf(platform, objects);
  const providers: Record<string, aws.Provider> = {};
  const regions: Record<string, RegionStack> = {};
  for (const region of platform.regions) {
    const provider = new aws.Provider(`aws-${region.name}`, {
      region: region.name,
      defaultTags: { tags: { 'nines.dev/environment': platform.environment, 'nines.dev/managed-by': 'pulumi' } },
    });
    providers[region.name] = provider;
    regions[region.name] = new RegionStack(region.name,
      regionStackArgs(region, objects[region.name], sizing[region.name], limits[region.name], options), { providers: [provider] });
  }
  // Route53 is global; its API lives in us-east-1.
  let global: aws.Provider | undefined;
  const dnsProvider = () => providers['us-east-1'] ?? (global ??= new aws.Provider('aws-global', { region: 'us-east-1' }));
  // Routes between every pair of regions, and the peers' CIDRs admitted on the Thanos StoreAPI port
  // in each region's node security group (what the cross-region flows need, nothing more).
  const network = peered ? new CrossRegionNetwork(platform.environment, {
    peers: platform.regions.map(r => ({
      vpc: regions[r.name].vpc, provider: providers[r.name], securityGroupId: regions[r.name].cluster.clusterSecurityGroupId,
    })),
  }) : undefined;
  // One private zone for the platform, associated with every region's VPC; each region's external-dns
  // publishes its own Services' names in it (after the zone exists, which needs every VPC).
  let privateZone: PrivateZone | undefined;
  if (zone !== undefined) {
    privateZone = new PrivateZone(`${platform.environment}-internal`, {
      name: zone, vpcs: platform.regions.map(r => regions[r.name].vpc),
    }, { provider: dnsProvider() });
    for (const r of platform.regions) regions[r.name].addons.publishInto({ name: zone, zoneId: privateZone.zoneId });
  }
  let failover: GlobalFailover | undefined;
  if (options.hostedZoneId !== undefined && options.recordName !== undefined) {
    // Each region's ingress NLB (read from its Service once Helm has waited for it), unless overridden.
    const entryPoint = (r: string) => regions[r].entryPoint ?? `${r}.${options.recordName}`;
    failover = new GlobalFailover(platform.environment, failoverArgs(platform, options, entryPoint), { providers: [dnsProvider()] });
  }
  return { providers, regions, failover, network, privateZone };
}

/** The args of a region's RegionStack. */
function regionStackArgs(region: Region, objects: RegionObjects, nodesPerZone: NodeGroupScaling, nodePoolLimitsPerZone: NodePoolLimits | undefined,
  options: StackOptions): RegionStackArgs {
  return {
    region,
    objects,
    // The name the reference platform's PatroniClusters are synthesized with (stacks/reference-platform.ts).
    backupBucketName: backupBucketNameOf(region),
    publicAccessCidrs: options.publicAccessCidrs ?? [],
    nodesPerZone,
    nodeAmiRelease: options.nodeAmiRelease,
    nodePoolLimitsPerZone,
    interfaceEndpoints: options.interfaceEndpoints,
    hostedZoneId: options.hostedZoneId,
    addons: options.addons,
  };
}

/** The GlobalFailover's args: each region's entry point (`options.entryPoints` first). */
function failoverArgs(platform: Platform, options: StackOptions, entryPoint: (region: string) => pulumi.Input<string>): GlobalFailoverArgs {
  return {
    platform,
    hostedZoneId: options.hostedZoneId!,
    recordName: options.recordName!,
    entryPoints: Object.fromEntries(platform.regions.map(r => [r.name, options.entryPoints?.[r.name] ?? entryPoint(r.name)])),
  };
}

/** `error` without its problems on `props` (undefined when none is left). */
function withoutProblemsOn(error: ValidationError, props: readonly string[]): ValidationError | undefined {
  const kept = error.problems.filter(p => !props.includes(p.prop));
  return kept.length === 0 ? undefined : new ValidationError(error.constructType, error.path, kept);
}
