/**
 * A Pulumi program's components checked together: every problem of every component in every region
 * (and of the program's settings) in one error, before any resource is registered.
 */
import { ACCOUNT, installMocks } from './mocks';
import { globalFailoverProblems, ProgramValidationError, regionComponentProblems, throwIfAnyProblems } from '../../lib/aws';
import { ValidationError } from '../../lib/core/errors';
import { Platform } from '../../lib/core/platform';
import { PRODUCTION } from '../../stacks/platform';
import { buildPlatformStack, describePlatform } from '../../stacks/pulumi/stack';
import { errorOf } from '../util/errors';

const mocks = installMocks();
beforeEach(() => mocks.reset());

const DEPLOY = {
  publicAccessCidrs: ['198.18.7.0/28'],
  hostedZoneId: 'Z04538211PDQ8TJ0UQ4A5',
  recordName: 'api.shop.dev',
  accountId: ACCOUNT,
  dashboardBaseUrl: 'https://grafana.shop.dev/d/shop',
  externalEndpoints: { 'identity-provider': ['login.idp.shop.dev'], 'payment-provider': ['api.payments.shop.dev'] },
};
const platform = Platform.fromDescription(PRODUCTION);
/** The deployment's runbook site and each region's log store and trace backend (nines:runbookBaseUrl, nines:logStores, nines:traceBackends). */
const SITES = {
  runbookBaseUrl: 'https://runbooks.shop.dev/shop',
  logStores: Object.fromEntries(PRODUCTION.regions.map(r => [r.name, `vpc-logs-${r.name}.${r.name}.es.amazonaws.com:443`])),
  traceBackends: Object.fromEntries(PRODUCTION.regions.map(r => [r.name, `tempo.${r.name}.shop.dev:4317`])),
};

describe('the Pulumi program: every problem of the whole program at once, nothing registered', () => {
  test('bad inputs for five kinds of component in two regions, and a bad record name in the objects: one error listing all', () => {
    const staging = Platform.fromDescription(describePlatform('staging', ['us-east-1', 'eu-west-1'], SITES));
    const e = errorOf(() => buildPlatformStack(staging, {
      ...DEPLOY,
      recordName: 'api',
      interfaceEndpoints: ['s3', 'sts'],
      nodesPerZone: { min: 0, desired: 3, max: 2 },
      nodePoolLimitsPerZone: { cpu: 0, memoryGiB: 0 },
      addons: { versions: { istio: '^1.30' }, gatewayMinReplicas: 1 },
    }));
    expect(e).toBeInstanceOf(ProgramValidationError);
    expect(e.name).toBe('ProgramValidationError');
    const region = (r: string) => [
      `MultiAzVpc '${r}': 1 problem:`,
      ' - interfaceEndpoints ("s3") already has a (free) gateway endpoint; use suffixes such as "ecr.api", "ecr.dkr", "sts", "logs"',
      `RegionalCluster '${r}': 1 problem:`,
      ' - nodesPerZone ({"min":0,"desired":3,"max":2}) must be integers with 1 <= min <= desired <= max; e.g. { min: 1, desired: 2, max: 6 } (min 1 keeps each zone schedulable)',
      `ClusterAddons '${r}': 2 problems:`,
      ' - versions.istio ("^1.30") is not an exact chart version; pin one, e.g. "1.30.0" (ranges make `pulumi up` non-repeatable)',
      ' - gatewayMinReplicas (1) is below 2, so one pod or zone loss takes the region\'s entry point down; use 3 (one per zone)',
      `Karpenter '${r}': 2 problems:`,
      ' - limitsPerZone.cpu (0) is not a positive number; derive it from the capacity model (regionCapacity): the static node group\'s size per zone',
      ' - limitsPerZone.memoryGiB (0) is not a positive number; derive it from the capacity model (regionCapacity): the static node group\'s size per zone',
    ];
    expect(e.message).toBe([
      '14 problems in 10 components, nothing was registered:',
      "EntryGateway 'services/api-gateway-entry (us-east-1, eu-west-1)': 1 problem:",
      ' - hosts[0] ("api") is not a DNS name; use a lowercase fully qualified name, e.g. "api.example.com" or "*.api.example.com"',
      ...region('us-east-1'),
      ...region('eu-west-1'),
      "GlobalFailover 'staging': 1 problem:",
      ' - recordName ("api") is not a fully qualified host name; use e.g. "api.example.com"',
    ].join('\n'));
    expect((e as ProgramValidationError).errors.map(x => x.constructType)).toEqual([
      'EntryGateway', 'MultiAzVpc', 'RegionalCluster', 'ClusterAddons', 'Karpenter', 'MultiAzVpc', 'RegionalCluster', 'ClusterAddons', 'Karpenter', 'GlobalFailover',
    ]);
    expect(mocks.resources).toEqual([]);
  }, 120_000);

  test('the program\'s own settings, a capacity too small and a component\'s args: in the same error', () => {
    const staging = Platform.fromDescription(describePlatform('staging', ['us-east-1'], SITES));
    const e = errorOf(() => buildPlatformStack(staging, { ...DEPLOY, hostedZoneId: 'Z0EXAMPLE0000000000', nodesPerZone: { min: 1, desired: 1, max: 1 }, interfaceEndpoints: ['Logs'] }));
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('3 problems in 2 components, nothing was registered:');
    expect(lines.slice(1, 3)).toEqual([
      "PulumiStack 'staging': 2 problems:",
      ' - nines:hostedZoneId ("Z0EXAMPLE0000000000") is a placeholder; set the id of your Route53 hosted zone (`aws route53 list-hosted-zones`)',
    ]);
    expect(lines[3]).toMatch(/^ - nodesPerZone\.min \(1\) leaves us-east-1 without room after a zone loss \(.*\); use at least \d+ m6i\.xlarge per zone, or leave nodesPerZone unset to size it from the requests$/);
    expect(lines.slice(4)).toEqual([
      "MultiAzVpc 'us-east-1': 1 problem:",
      ' - interfaceEndpoints ("Logs") is not an AWS service suffix; use suffixes such as "ecr.api", "ecr.dkr", "sts", "logs"',
    ]);
    expect(mocks.resources).toEqual([]);
  }, 120_000);
});

describe('regionComponentProblems: a region\'s components from their pure resolvers', () => {
  test('every component\'s problems; components given a VPC or cluster whose args failed are still resolved', () => {
    const errors = regionComponentProblems('us-east-1', {
      vpc: { region: platform.region('us-east-1'), zones: ['us-east-1a'], flowLogs: { retentionDays: 10 } },
      cluster: { publicAccessCidrs: ['0.0.0.0/0'], rootVolumeGiB: 10 },
      addons: { namespaces: { chaos: 'Chaos' } },
      karpenter: { limitsPerZone: { cpu: 8, memoryGiB: 32 }, version: '1.8.2', instanceTypes: [] },
    });
    expect(errors.map(e => e.message)).toEqual([
      [
        "MultiAzVpc 'us-east-1': 2 problems:",
        ' - zones (["us-east-1a"]) has fewer than 2 zones, so one zone outage takes the region down; list at least 2 (the case study uses 3) availability zones',
        ' - flowLogs.retentionDays (10) is not a retention CloudWatch Logs accepts; use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653',
      ].join('\n'),
      [
        "RegionalCluster 'us-east-1': 2 problems:",
        ' - publicAccessCidrs ("0.0.0.0/0") opens the API server to the whole internet; list the egress ranges `pulumi up` runs from (CI runner, VPN)',
        ' - rootVolumeGiB (10) is not between 20 and 16384 GiB; use e.g. 50',
      ].join('\n'),
      "ClusterAddons 'us-east-1': 1 problem:\n - namespaces.chaos (\"Chaos\") is not a namespace name; use a DNS label, e.g. \"istio-ingress\"",
      [
        "Karpenter 'us-east-1': 2 problems:",
        ' - instanceTypes ([]) is empty, so the NodePools could launch no node; list at least one instance type, or leave it unset for the cluster\'s',
        ` - version.karpenter ("1.8.2") installs Karpenter 1.8, which supports Kubernetes 1.26-1.34, not ${platform.kubernetesVersion} (https://karpenter.sh/docs/upgrading/compatibility/); `
          + `pin a release that supports ${platform.kubernetesVersion} (recorded: 1.8 (1.26-1.34), 1.9 (1.26-1.35), 1.10 (1.26-1.35), 1.11 (1.26-1.35)), or change kubernetesVersion`,
      ].join('\n'),
    ]);
    expect(mocks.resources).toEqual([]);
  });

  test('valid args: no problem; a MultiAzVpc without a Region: its problem only (nothing else can be resolved)', () => {
    expect(regionComponentProblems('us-east-1', {
      vpc: { region: platform.region('us-east-1') }, cluster: { publicAccessCidrs: ['198.18.7.0/28'] }, addons: {}, karpenter: { limitsPerZone: { cpu: 8, memoryGiB: 32 } },
    })).toEqual([]);
    expect(regionComponentProblems('x', { vpc: { region: 'us-east-1' as never }, cluster: { publicAccessCidrs: [] } }).map(e => e.message)).toEqual([
      "MultiAzVpc 'x': 1 problem:\n - region (\"us-east-1\") is not a Region of a platform description; pass platform.region(\"us-east-1\") from Platform.fromDescription(...)",
    ]);
  });

  test('throwIfAnyProblems: nothing when no error has problems; one error alone keeps its own text; GlobalFailover through its resolver', () => {
    expect(() => throwIfAnyProblems('p', [undefined, new ValidationError('X', 'x', [])])).not.toThrow();
    const one = globalFailoverProblems('dns', { platform, hostedZoneId: 'Z1', recordName: 'api.shop.dev', entryPoints: {}, ttl: 600 })!;
    expect(errorOf(() => throwIfAnyProblems('p', [one])).message).toBe([
      "GlobalFailover 'dns': 5 problems:",
      ...['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1'].map(r =>
        ` - entryPoints.${r} (undefined) is missing, so the region gets no traffic; pass the host name of the region's public load balancer`),
      ' - ttl (600) is not between 0 and 300 s (a longer TTL keeps clients on a failed region); use 60',
    ].join('\n'));
  });
});
