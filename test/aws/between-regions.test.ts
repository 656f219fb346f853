import * as ec2 from '@pulumi/aws/ec2';
import * as aws from '@pulumi/aws/provider';
import { installMocks, settle, valueOf } from './mocks';
import { ClusterAddons, externalDnsPolicy } from '../../lib/aws/cluster-addons';
import { CrossRegionNetwork } from '../../lib/aws/cross-region-network';
import { MultiAzVpc } from '../../lib/aws/multi-az-vpc';
import { PrivateZone } from '../../lib/aws/private-zone';
import { RegionalCluster } from '../../lib/aws/regional-cluster';
import { Platform } from '../../lib/core/platform';
import { PRODUCTION } from '../../stacks/platform';
import { regionObjects } from '../../stacks/pulumi/kubernetes-objects';
import { buildPlatformStack, describePlatform } from '../../stacks/pulumi/stack';

const mocks = installMocks();
const platform = Platform.fromDescription(PRODUCTION);
const THREE = ['us-east-1', 'us-west-2', 'eu-west-1'];

/** A region's provider and VPC (and, when asked, its cluster), as the stack makes them. */
function regionOf(name: string, withCluster = false) {
  const provider = new aws.Provider(`aws-${name}`, { region: name });
  const vpc = new MultiAzVpc(name, { region: platform.region(name) }, { providers: [provider] });
  const cluster = withCluster ? new RegionalCluster(name, { vpc, publicAccessCidrs: ['198.18.7.0/28'] }, { providers: [provider] }) : undefined;
  return { provider, vpc, cluster };
}

beforeEach(() => mocks.reset());

describe('CrossRegionNetwork: VPC peering between every pair of regions', () => {
  test('3 regions: 3 peerings requested in the earlier region and accepted in the later one, a route per private route table, port 10901 per peer CIDR', async () => {
    const regions = THREE.map(r => regionOf(r));
    const network = new CrossRegionNetwork('prod', {
      peers: regions.map(r => ({ vpc: r.vpc, provider: r.provider, securityGroupId: `sg-${r.vpc.region.name}` })),
    });
    await settle(mocks, network.urn, ...Object.values(network.peeringConnectionIds));
    expect(mocks.errors).toEqual([]);
    const providerOf = (p?: string) => p?.split('::').slice(-2)[0];
    expect(mocks.ofType('aws:ec2/vpcPeeringConnection:VpcPeeringConnection')
      .map(c => `${providerOf(c.provider)}: ${c.inputs.vpcId} -> ${c.inputs.peerVpcId} (${c.inputs.peerRegion}, autoAccept ${c.inputs.autoAccept})`))
      .toEqual([
        'aws-us-east-1: us-east-1-id -> us-west-2-id (us-west-2, autoAccept false)',
        'aws-us-east-1: us-east-1-id -> eu-west-1-id (eu-west-1, autoAccept false)',
        'aws-us-west-2: us-west-2-id -> eu-west-1-id (eu-west-1, autoAccept false)',
      ]);
    expect(mocks.ofType('aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter')
      .map(a => `${providerOf(a.provider)}: ${a.inputs.vpcPeeringConnectionId} ${a.inputs.autoAccept}`)).toEqual([
      'aws-us-west-2: prod-us-east-1-us-west-2-id true',
      'aws-eu-west-1: prod-us-east-1-eu-west-1-id true',
      'aws-eu-west-1: prod-us-west-2-eu-west-1-id true',
    ]);
    // Every private route table of every region routes each other region's CIDR; no other table does.
    const routes = mocks.ofType('aws:ec2/route:Route');
    expect(routes).toHaveLength(3 * 2 * 3);
    const table = (r: typeof routes[number]) => `${providerOf(r.provider)} ${r.inputs.routeTableId} ${r.inputs.destinationCidrBlock}`;
    expect(routes.filter(r => r.inputs.routeTableId === 'us-east-1-us-east-1a-private-id').map(table)).toEqual([
      'aws-us-east-1 us-east-1-us-east-1a-private-id 10.20.0.0/16',
      'aws-us-east-1 us-east-1-us-east-1a-private-id 10.30.0.0/16',
    ]);
    expect(new Set(routes.map(r => r.inputs.routeTableId)).size).toBe(9);
    // Security groups cannot reference a group of another region: each peer CIDR is admitted on 10901, nothing else.
    expect(mocks.ofType('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule')
      .filter(r => r.inputs.securityGroupId === 'sg-eu-west-1')
      .map(r => `${providerOf(r.provider)} ${r.inputs.ipProtocol} ${r.inputs.cidrIpv4} ${r.inputs.fromPort}-${r.inputs.toPort}`))
      .toEqual(['aws-eu-west-1 tcp 10.10.0.0/16 10901-10901', 'aws-eu-west-1 tcp 10.20.0.0/16 10901-10901']);
    expect(network.provides['us-west-2'].map(p => p.capability))
      .toEqual(['network:cross-region-routes:us-east-1', 'network:cross-region-routes:eu-west-1']);
  });

  test('refused before registering anything: one region, the same region twice, a bad port', () => {
    const [a] = [regionOf('us-east-1')];
    const registered = mocks.resources.length;
    expect(() => new CrossRegionNetwork('x', { peers: [{ vpc: a.vpc, provider: a.provider }, { vpc: a.vpc, provider: a.provider }], ports: [0] }))
      .toThrow('CrossRegionNetwork \'x\': 3 problems:\n'
        + ' - peers[1].vpc ("us-east-1") is the region of peers[0] too; a VPC cannot peer with its own region\'s twin here; pass each region once\n'
        + ' - peers[1].vpc ("10.10.0.0/16") overlaps peers[0]\'s 10.10.0.0/16, and VPC peering refuses overlapping CIDR blocks; give every region a disjoint VPC CIDR\n'
        + ' - ports[0] (0) is not a TCP port; use e.g. 10901');
    expect(() => new CrossRegionNetwork('y', { peers: [{ vpc: a.vpc, provider: a.provider }] })).toThrow(
      'CrossRegionNetwork \'y\': 1 problem:\n - peers (1) has fewer than 2 regions, so there is nothing to join; pass every region\'s VPC and provider');
    expect(mocks.resources.length).toBe(registered);
  });
});

describe('the mocks answer like EC2 where a program\'s mistake would only show at `pulumi up`', () => {
  test('a route to the VPC\'s own CIDR, overlapping peers, an accepter in the wrong region, a route through a pending peering', async () => {
    const east = regionOf('us-east-1');
    const west = regionOf('us-west-2');
    await settle(mocks, east.vpc.vpcId, west.vpc.vpcId);
    const overlapping = new ec2.Vpc('overlap', { cidrBlock: '10.10.128.0/17' }, { provider: west.provider });
    const bad = new ec2.VpcPeeringConnection('bad', { vpcId: east.vpc.vpcId, peerVpcId: overlapping.id, peerRegion: 'us-west-2', autoAccept: true },
      { provider: east.provider });
    const good = new ec2.VpcPeeringConnection('good', { vpcId: east.vpc.vpcId, peerVpcId: west.vpc.vpcId, peerRegion: 'us-west-2' },
      { provider: east.provider });
    new ec2.Route('own', { routeTableId: east.vpc.privateRouteTableIds['us-east-1a'], destinationCidrBlock: '10.10.0.0/16', vpcPeeringConnectionId: good.id },
      { provider: east.provider });
    const wrongSide = new ec2.VpcPeeringConnectionAccepter('wrong-region', { vpcPeeringConnectionId: good.id, autoAccept: true },
      { provider: east.provider });
    new ec2.Route('pending', { routeTableId: east.vpc.privateRouteTableIds['us-east-1b'], destinationCidrBlock: '10.20.0.0/16', vpcPeeringConnectionId: good.id },
      { provider: east.provider, dependsOn: [wrongSide] });
    await settle(mocks, bad.id, good.id, wrongSide.id);
    // Registration order between independent resources is not fixed: compare as sets.
    expect([...mocks.errors].sort()).toEqual([
      'bad: InvalidParameterValue: overlapping CIDR blocks 10.10.0.0/16 and 10.10.128.0/17 cannot be peered',
      'bad: an inter-region peering cannot be auto-accepted by its requester (accept it in us-west-2)',
      'own: InvalidParameterValue: The destination CIDR block 10.10.0.0/16 is equal to or more specific than one of this VPC\'s CIDR blocks',
      'own: 10.10.0.0/16 is not the peer VPC\'s CIDR: AWS takes the route, the peering drops the packets',
      'wrong-region: InvalidVpcPeeringConnectionID.NotFound: The vpcPeeringConnection ID \'good-id\' does not exist in us-east-1',
      'pending: peering good-id is pending-acceptance: the route is a blackhole',
    ].sort());
  });
});

describe('the log store and trace backend: named by the deployment, never a placeholder or an unpublished internal name', () => {
  test('unset, a documentation placeholder, or under the private zone: refused at preview with the config key and the fix', () => {
    const staging = Platform.fromDescription(describePlatform('staging', ['us-east-1', 'eu-west-1'], {
      runbookBaseUrl: 'https://runbooks.shop.dev/shop',
      logStores: { 'us-east-1': 'logs.example.com:9200', 'eu-west-1': 'logs.eu-west-1.nines.internal' },
      traceBackends: { 'us-east-1': 'traces.corp.net:4317' },
    }));
    let message = '';
    try {
      buildPlatformStack(staging, {
        publicAccessCidrs: ['198.18.7.0/28'],
        hostedZoneId: 'Z04538211PDQ8TJ0UQ4A5',
        recordName: 'api.shop.dev',
        accountId: '210987654321',
        dashboardBaseUrl: 'https://grafana.shop.dev/d/shop',
        externalEndpoints: { 'identity-provider': ['login.idp.shop.dev'], 'payment-provider': ['api.payments.shop.dev'] },
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'PulumiStack \'staging\': 3 problems:',
      ' - nines:logStores.us-east-1 ("logs.example.com:9200") is under a domain reserved for documentation (RFC 2606); run `pulumi config set --path '
      + '\'nines:logStores.us-east-1\' <vpc-logs-abc123.us-east-1.es.amazonaws.com:443>` (the platform does not run a log store; see the README\'s prerequisites)',
      ' - nines:logStores.eu-west-1 ("logs.eu-west-1.nines.internal") is under the private zone nines.internal, where only the platform\'s own Services '
      + 'are published (external-dns), so nothing answers it; run `pulumi config set --path \'nines:logStores.eu-west-1\' '
      + '<vpc-logs-abc123.us-east-1.es.amazonaws.com:443>` (the platform does not run a log store; see the README\'s prerequisites)',
      ' - nines:traceBackends.eu-west-1 (undefined) is not set, so eu-west-1\'s trace backend is a placeholder; run `pulumi config set --path '
      + '\'nines:traceBackends.eu-west-1\' <tempo-distributor.tracing.corp.net:4317>` (the platform does not run a trace backend; see the README\'s prerequisites)',
    ]);
    expect(mocks.resources).toEqual([]);
  });

  test('set, they are what the region\'s Fluent Bit and OpenTelemetry sampler ship to', () => {
    const staging = Platform.fromDescription(describePlatform('staging', ['us-east-1'], {
      logStores: { 'us-east-1': 'vpc-logs-abc.us-east-1.es.amazonaws.com' }, traceBackends: { 'us-east-1': 'tempo.corp.net:4317' },
    }));
    const objects = regionObjects(staging, 'us-east-1').charts.flatMap(c => c.objects);
    const text = JSON.stringify(objects);
    expect(text).toMatch(/Host +vpc-logs-abc\.us-east-1\.es\.amazonaws\.com\\n +Port +443/);
    expect(text).toContain('endpoint: tempo.corp.net:4317');
    expect(text).not.toContain('example.com:4317');
  });
});

describe('PrivateZone and external-dns', () => {
  test('one private zone associated with every region\'s VPC; each region\'s external-dns publishes into it only, as its own records', async () => {
    const east = regionOf('us-east-1', true);
    const west = regionOf('us-west-2', true);
    const zone = new PrivateZone('prod-internal', { name: 'nines.internal', vpcs: [east.vpc, west.vpc] }, { provider: east.provider });
    const addons = new ClusterAddons('us-west-2', { vpc: west.vpc, cluster: west.cluster!, enable: { chaosMesh: false } }, { providers: [west.provider] });
    const release = addons.publishInto({ name: zone.zoneName, zoneId: zone.zoneId })!;
    await settle(mocks, zone.zoneId, release.urn);
    expect(mocks.errors).toEqual([]);
    expect(mocks.one('aws:route53/zone:Zone', 'prod-internal').inputs.vpcs).toEqual([
      { vpcId: 'us-east-1-id', vpcRegion: 'us-east-1' }, { vpcId: 'us-west-2-id', vpcRegion: 'us-west-2' },
    ]);
    const zoneId = await valueOf(zone.zoneId);
    const values = mocks.one('kubernetes:helm.sh/v3:Release', 'us-west-2-external-dns').inputs;
    expect([values.chart, values.version, values.namespace, values.repositoryOpts.repo])
      .toEqual(['external-dns', '1.21.1', 'external-dns', 'https://kubernetes-sigs.github.io/external-dns/']);
    expect(values.values).toEqual({
      serviceAccount: { create: true, name: 'external-dns' },
      provider: { name: 'aws' },
      sources: ['service'],
      domainFilters: ['nines.internal'],
      policy: 'sync',
      registry: 'txt',
      txtOwnerId: 'production-us-west-2',
      extraArgs: ['--aws-zone-type=private', `--zone-id-filter=${zoneId}`],
      env: [{ name: 'AWS_DEFAULT_REGION', value: 'us-west-2' }],
      // Pinned explicitly, as every release's images (lib/aws/addon-images.ts).
      image: { repository: 'registry.k8s.io/external-dns/external-dns', tag: 'v0.21.0' },
    });
    expect(JSON.parse(mocks.one('aws:iam/rolePolicy:RolePolicy', 'us-west-2-external-dns').inputs.policy)).toEqual(externalDnsPolicy(zoneId));
    expect(externalDnsPolicy('Z123').Statement[0].Resource).toEqual(['arn:aws:route53:::hostedzone/Z123']);
    const association = mocks.one('aws:eks/podIdentityAssociation:PodIdentityAssociation', 'us-west-2-external-dns').inputs;
    expect(`${association.namespace}/${association.serviceAccount}`).toBe('external-dns/external-dns');
    expect(mocks.dependsOn('kubernetes:helm.sh/v3:Release', 'us-west-2-external-dns')).toContain('us-west-2-external-dns');
    expect(addons.provides.map(p => p.capability)).toContain('dns-records:nines.internal');
    expect(zone.provides['us-east-1'].map(p => p.capability)).toEqual(['dns:nines.internal']);
  });

  test('the stack refuses, before registering anything, external-dns off while the sidecars ask for their names', () => {
    const two = Platform.fromDescription(describePlatform('staging', ['us-east-1', 'eu-west-1'], {
      runbookBaseUrl: 'https://runbooks.shop.dev/shop',
      logStores: { 'us-east-1': 'logs.corp.net', 'eu-west-1': 'logs.corp.net' },
      traceBackends: { 'us-east-1': 'traces.corp.net:4317', 'eu-west-1': 'traces.corp.net:4317' },
    }));
    expect(() => buildPlatformStack(two, {
      publicAccessCidrs: ['198.18.7.0/28'],
      hostedZoneId: 'Z04538211PDQ8TJ0UQ4A5',
      recordName: 'api.shop.dev',
      accountId: '210987654321',
      dashboardBaseUrl: 'https://grafana.shop.dev/d/shop',
      externalEndpoints: { 'identity-provider': ['login.idp.shop.dev'], 'payment-provider': ['api.payments.shop.dev'] },
      addons: { enable: { externalDns: false } },
    })).toThrow(' - us-east-1.Service/monitoring/prometheus-nines-sidecar ("dns-records:nines.internal") is required (it asks for '
      + 'prometheus-nines-sidecar.monitoring.us-east-1.nines.internal in the private zone nines.internal, which a controller must publish) '
      + 'and nothing in the cluster provides it; install external-dns publishing Service hostnames into the private zone nines.internal '
      + '(ClusterAddons with privateZone); a cluster you bring declares it in the platform description\'s capabilities ("dns-records:nines.internal")');
    expect(mocks.resources).toEqual([]);
  });
});
