import { ClusterAddonsArgs } from '../../lib/aws/cluster-addons';
import { resolveClusterAddonsArgsIn } from '../../lib/aws/private/cluster-addons-args';
import { resolveMultiAzVpcArgs } from '../../lib/aws/private/multi-az-vpc-args';
import { resolveOnCluster } from '../../lib/aws/private/on-cluster';
import { resolveRegionalClusterArgs } from '../../lib/aws/private/regional-cluster-args';
import { gatewayCertificatesOf } from '../../lib/core/capabilities';
import { Platform } from '../../lib/core/platform';
import { PRODUCTION } from '../../stacks/platform';

// The components' args resolvers are pure: no Pulumi runtime, no mocks, nothing registered.
const platform = Platform.fromDescription(PRODUCTION);

describe('args resolvers, alone', () => {
  test('MultiAzVpc: the plan, the flow log defaults and the tags, from the region alone', () => {
    const r = resolveMultiAzVpcArgs('us-east-1', { region: platform.region('us-east-1'), tags: { team: 'platform' } });
    expect(r.problems).toBeUndefined();
    expect(r.settings!.zones).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(r.settings!.flowLogs).toEqual({ destination: 'cloud-watch-logs', retentionDays: 365, trafficType: 'ALL' });
    expect(r.settings!.clusterName).toBe('production-us-east-1');
    expect(r.settings!.tags).toEqual({ 'team': 'platform', 'nines.dev/region': 'us-east-1' });
  });

  test('MultiAzVpc: every problem returned, none thrown', () => {
    const r = resolveMultiAzVpcArgs('bad', {
      region: platform.region('us-east-1'), zones: ['us-east-1a'], flowLogs: { trafficType: 'SOME' as 'ALL' }, interfaceEndpoints: ['dynamodb'],
    });
    expect(r.settings).toBeUndefined();
    expect(r.problems!.map(p => `${p.prop}: ${p.why}`)).toEqual([
      'zones: has fewer than 2 zones, so one zone outage takes the region down',
      'flowLogs.trafficType: is not a traffic type',
      'interfaceEndpoints: already has a (free) gateway endpoint',
    ]);
  });

  test('RegionalCluster and ClusterAddons: a wrong component argument is a problem, not a crash', () => {
    expect(resolveRegionalClusterArgs('x', { vpc: {} as never, publicAccessCidrs: [] }).problems)
      .toEqual([{ prop: 'vpc', value: {}, why: 'is not a MultiAzVpc', fix: 'pass the region\'s MultiAzVpc' }]);
    expect(resolveOnCluster('ClusterAddons', 'x', { cluster: undefined, vpc: 'vpc' } as unknown as ClusterAddonsArgs, resolveClusterAddonsArgsIn).problems).toEqual([
      { prop: 'cluster', value: undefined, why: 'is not a RegionalCluster', fix: 'pass the region\'s RegionalCluster' },
      { prop: 'vpc', value: 'vpc', why: 'is not a MultiAzVpc', fix: 'pass the region\'s MultiAzVpc' },
    ]);
  });
});

describe('gatewayCertificatesOf', () => {
  test('one certificate per (namespace, Secret), with every host of the servers naming it; "*" and "ns/" prefixes dropped', () => {
    const gateway = (namespace: string, servers: any[]) => ({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'g', namespace }, spec: { servers } });
    const tls = (credentialName: string) => ({ mode: 'SIMPLE', credentialName });
    expect(gatewayCertificatesOf([
      gateway('istio-ingress', [
        { hosts: ['api.shop.com', 'us-east-1.api.shop.com'], tls: tls('api-tls') },
        { hosts: ['*'], tls: tls('api-tls') },
        { hosts: ['edge/admin.shop.com'], tls: tls('admin-tls') },
        { hosts: ['api.shop.com'], tls: { httpsRedirect: true } },
      ]),
      { apiVersion: 'v1', kind: 'Gateway', metadata: { name: 'not-istio' }, spec: { servers: [{ hosts: ['x.shop.com'], tls: tls('x') }] } },
    ])).toEqual([
      { namespace: 'istio-ingress', secretName: 'api-tls', dnsNames: ['api.shop.com', 'us-east-1.api.shop.com'] },
      { namespace: 'istio-ingress', secretName: 'admin-tls', dnsNames: ['admin.shop.com'] },
    ]);
  });
});
