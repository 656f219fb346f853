/**
 * `pulumi up` entry (Pulumi.yaml `main`): the AWS side of the reference platform. Regions, zones
 * and CIDRs come from stacks/platform.ts (the description `cdk8s synth` reads too); each region's
 * cluster receives the same objects `npm run synth` writes to dist/<region>/.
 *
 * Config (namespace `nines`): environment, regions, hostedZoneId, recordName, entryPoints,
 * publicAccessCidrs, nodesPerZone, interfaceEndpoints, addons ({ versions, enable, gatewayMinReplicas }). See Pulumi.production.yaml.
 */
import * as pulumi from '@pulumi/pulumi';
import { buildPlatformStack, describePlatform, StackOptions } from './stack';
import { Platform } from '../../lib/core/platform';

const config = new pulumi.Config('nines');
const platform = Platform.fromDescription(describePlatform(
  config.get('environment') ?? pulumi.getStack(),
  config.getObject<string[]>('regions'),
));
const built = buildPlatformStack(platform, {
  hostedZoneId: config.get('hostedZoneId'),
  recordName: config.get('recordName'),
  entryPoints: config.getObject<Record<string, string>>('entryPoints'),
  publicAccessCidrs: config.getObject<string[]>('publicAccessCidrs'),
  nodesPerZone: config.getObject<StackOptions['nodesPerZone']>('nodesPerZone'),
  interfaceEndpoints: config.getObject<string[]>('interfaceEndpoints'),
  addons: config.getObject<StackOptions['addons']>('addons'),
});

const perRegion = <T>(f: (r: (typeof built.regions)[string]) => T) =>
  Object.fromEntries(Object.entries(built.regions).map(([name, r]) => [name, f(r)]));

export const cidrPlans = perRegion(r => r.vpc.cidrPlan);
export const clusterNames = perRegion(r => r.cluster.name);
export const clusterEndpoints = perRegion(r => r.cluster.endpoint);
export const backupBuckets = perRegion(r => r.cluster.backupBucket);
export const backupRoleArns = perRegion(r => r.cluster.backupRoleArn);
export const entryPoints = perRegion(r => r.entryPoint);
export const healthCheckIds = built.failover?.healthCheckIds;
