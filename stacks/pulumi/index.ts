/**
 * `pulumi up` entry (Pulumi.yaml `main`): the AWS side of the reference platform. Regions, zones
 * and CIDRs come from stacks/platform.ts (the description `cdk8s synth` reads too); each region's
 * cluster receives the same objects `npm run synth` writes to dist/<region>/, with the deployment's
 * registry and entry name in place of the placeholders.
 *
 * Config (namespace `nines`): environment, regions, publicAccessCidrs (required), hostedZoneId and
 * recordName (required), runbookBaseUrl and dashboardBaseUrl (required: the alerts' links), logStores and traceBackends
 * (required, by region: the log store and trace backend the platform ships to and does not run), externalEndpoints (required
 * while a dependency's hosts are placeholders), registry, entryPoints,
 * nodesPerZone, nodeAmiRelease, nodeAutoscaling, nodePoolLimitsPerZone, interfaceEndpoints, addons
 * ({ versions, enable, gatewayMinReplicas }). See Pulumi.production.yaml.
 *
 * An async program (Pulumi awaits the default export and takes its result as the stack outputs):
 * the deploying account is read from the caller's identity before anything is synthesized.
 */
import { getCallerIdentity } from '@pulumi/aws/getCallerIdentity';
import * as pulumi from '@pulumi/pulumi';
import { buildPlatformStack, describePlatform, StackOptions } from './stack';
import { Platform } from '../../lib/core/platform';

export = async () => {
  const config = new pulumi.Config('nines');
  const platform = Platform.fromDescription(describePlatform(
    config.get('environment') ?? pulumi.getStack(),
    config.getObject<string[]>('regions'),
    {
      runbookBaseUrl: config.get('runbookBaseUrl'),
      logStores: config.getObject<Record<string, string>>('logStores'),
      traceBackends: config.getObject<Record<string, string>>('traceBackends'),
    },
  ));
  const { accountId } = await getCallerIdentity();
  const built = buildPlatformStack(platform, {
    accountId,
    registry: config.get('registry'),
    hostedZoneId: config.get('hostedZoneId'),
    recordName: config.get('recordName'),
    dashboardBaseUrl: config.get('dashboardBaseUrl'),
    entryPoints: config.getObject<Record<string, string>>('entryPoints'),
    publicAccessCidrs: config.getObject<string[]>('publicAccessCidrs'),
    nodesPerZone: config.getObject<StackOptions['nodesPerZone']>('nodesPerZone'),
    nodeAutoscaling: config.getBoolean('nodeAutoscaling'),
    nodeAmiRelease: config.get('nodeAmiRelease'),
    nodePoolLimitsPerZone: config.getObject<StackOptions['nodePoolLimitsPerZone']>('nodePoolLimitsPerZone'),
    interfaceEndpoints: config.getObject<string[]>('interfaceEndpoints'),
    externalEndpoints: config.getObject<Record<string, string[]>>('externalEndpoints'),
    addons: config.getObject<StackOptions['addons']>('addons'),
  });
  const perRegion = <T>(f: (r: (typeof built.regions)[string]) => T) =>
    Object.fromEntries(Object.entries(built.regions).map(([name, r]) => [name, f(r)]));
  return {
    accountId,
    cidrPlans: perRegion(r => r.vpc.cidrPlan),
    clusterNames: perRegion(r => r.cluster.name),
    clusterEndpoints: perRegion(r => r.cluster.endpoint),
    backupBuckets: perRegion(r => r.cluster.backupBucket),
    backupRoleArns: perRegion(r => r.cluster.backupRoleArn),
    entryPoints: perRegion(r => r.entryPoint),
    healthCheckIds: built.failover?.healthCheckIds,
    peeringConnectionIds: built.network?.peeringConnectionIds,
    privateZoneId: built.privateZone?.zoneId,
  };
};
