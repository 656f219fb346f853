import { installMocks, RecordingMocks, settle, valueOf } from './mocks';
import { planCidrs } from '../../lib/aws/cidr-plan';
import { MultiAzVpc } from '../../lib/aws/multi-az-vpc';
import { ValidationError } from '../../lib/core/errors';
import { Platform, PlatformDescription } from '../../lib/core/platform';
import { PRODUCTION } from '../../stacks/platform';

const mocks = installMocks();
const platform = Platform.fromDescription(PRODUCTION);
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

async function build(name: string, args: Partial<ConstructorParameters<typeof MultiAzVpc>[1]> = {}): Promise<MultiAzVpc> {
  const vpc = new MultiAzVpc(name, { region: platform.region('us-east-1'), ...args });
  await settle(mocks, vpc.urn, vpc.vpcId);
  return vpc;
}

function errorOf(f: () => unknown): ValidationError {
  try {
    f();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

/** Every security group ingress rule open to the internet, as "group:port". */
function openIngress(m: RecordingMocks): string[] {
  const open: string[] = [];
  for (const sg of [...m.ofType('aws:ec2/securityGroup:SecurityGroup'), ...m.ofType('aws:ec2/defaultSecurityGroup:DefaultSecurityGroup')]) {
    for (const rule of sg.inputs.ingress ?? []) {
      if ((rule.cidrBlocks ?? []).includes('0.0.0.0/0') || (rule.ipv6CidrBlocks ?? []).includes('::/0')) {
        open.push(`${sg.name}:${rule.protocol}/${rule.fromPort}-${rule.toPort}`);
      }
    }
  }
  for (const rule of [...m.ofType('aws:ec2/securityGroupRule:SecurityGroupRule'),
    ...m.ofType('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule')]) {
    if (rule.inputs.type !== 'egress' && ((rule.inputs.cidrBlocks ?? []).includes('0.0.0.0/0') || rule.inputs.cidrIpv4 === '0.0.0.0/0')) {
      open.push(`${rule.name}:${rule.inputs.protocol}/${rule.inputs.fromPort}-${rule.inputs.toPort}`);
    }
  }
  return open;
}

beforeEach(() => mocks.reset());

describe('MultiAzVpc defaults (us-east-1 of the production description)', () => {
  test('resolved fields and the CIDR plan output', async () => {
    const vpc = await build('use1');
    expect(vpc.zones).toEqual(ZONES);
    expect(vpc.flowLogOptions).toEqual({ destination: 'cloud-watch-logs', retentionDays: 365, trafficType: 'ALL' });
    expect(vpc.interfaceEndpointServices).toEqual([]);
    expect(vpc.clusterName).toBe('production-us-east-1');
    const plan = planCidrs({ region: 'us-east-1', vpcCidr: '10.10.0.0/16', zones: ZONES });
    expect(vpc.plan).toEqual(plan);
    expect(await valueOf(vpc.cidrPlan)).toEqual(plan);
    expect(mocks.one('aws:ec2/vpc:Vpc', 'use1').inputs).toMatchObject({
      cidrBlock: '10.10.0.0/16', enableDnsHostnames: true, enableDnsSupport: true,
    });
  });

  test('three subnets per zone in that zone, with the planned CIDRs and EKS discovery tags', async () => {
    const vpc = await build('use1');
    const subnets = mocks.ofType('aws:ec2/subnet:Subnet');
    expect(subnets).toHaveLength(9);
    for (const zone of ZONES) {
      const plan = vpc.plan.zones[zone];
      for (const tier of ['public', 'private', 'data'] as const) {
        const s = mocks.one('aws:ec2/subnet:Subnet', `use1-${zone}-${tier}`);
        expect(s.inputs.availabilityZone).toBe(zone);
        expect(s.inputs.cidrBlock).toBe(plan[tier]);
        expect(s.inputs.vpcId).toBe('use1-id');
        expect(s.inputs.tags['nines.dev/tier']).toBe(tier);
      }
      const pub = mocks.one('aws:ec2/subnet:Subnet', `use1-${zone}-public`).inputs;
      expect(pub.mapPublicIpOnLaunch).toBe(false);
      expect(pub.tags['kubernetes.io/role/elb']).toBe('1');
      expect(pub.tags['kubernetes.io/cluster/production-us-east-1']).toBe('shared');
      expect(mocks.one('aws:ec2/subnet:Subnet', `use1-${zone}-private`).inputs.tags['kubernetes.io/role/internal-elb']).toBe('1');
      expect(mocks.one('aws:ec2/subnet:Subnet', `use1-${zone}-data`).inputs.tags['kubernetes.io/role/elb']).toBeUndefined();
    }
  });

  test('one NAT gateway and one private route table per zone: a zone\'s egress never crosses zones', async () => {
    await build('use1');
    expect(mocks.ofType('aws:ec2/natGateway:NatGateway')).toHaveLength(3);
    expect(mocks.ofType('aws:ec2/eip:Eip')).toHaveLength(3);
    for (const zone of ZONES) {
      const nat = mocks.one('aws:ec2/natGateway:NatGateway', `use1-${zone}`).inputs;
      expect(nat).toMatchObject({ subnetId: `use1-${zone}-public-id`, allocationId: `use1-${zone}-nat-id`, connectivityType: 'public' });
      const rt = mocks.one('aws:ec2/routeTable:RouteTable', `use1-${zone}-private`).inputs;
      expect(rt.routes).toEqual([{ cidrBlock: '0.0.0.0/0', natGatewayId: `use1-${zone}-id` }]);
      expect(mocks.one('aws:ec2/routeTableAssociation:RouteTableAssociation', `use1-${zone}-private`).inputs)
        .toEqual({ subnetId: `use1-${zone}-private-id`, routeTableId: `use1-${zone}-private-id` });
      expect(mocks.one('aws:ec2/routeTableAssociation:RouteTableAssociation', `use1-${zone}-public`).inputs.routeTableId)
        .toBe('use1-public-id');
      expect(mocks.one('aws:ec2/routeTableAssociation:RouteTableAssociation', `use1-${zone}-data`).inputs.routeTableId)
        .toBe('use1-data-id');
    }
    expect(mocks.one('aws:ec2/routeTable:RouteTable', 'use1-public').inputs.routes)
      .toEqual([{ cidrBlock: '0.0.0.0/0', gatewayId: 'use1-igw-id' }]);
    // Data subnets are isolated: their route table has no route out.
    expect(mocks.one('aws:ec2/routeTable:RouteTable', 'use1-data').inputs.routes ?? []).toEqual([]);
  });

  test('flow logs on by default: all traffic to a CloudWatch group kept 365 days, through a scoped role', async () => {
    await build('use1');
    const log = mocks.one('aws:ec2/flowLog:FlowLog', 'use1').inputs;
    expect(log).toMatchObject({
      vpcId: 'use1-id',
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: 'arn:aws:cloudwatch::210987654321:use1-flow-logs',
      iamRoleArn: 'arn:aws:iam::210987654321:use1-flow-logs',
      maxAggregationInterval: 60,
    });
    expect(mocks.one('aws:cloudwatch/logGroup:LogGroup', 'use1-flow-logs').inputs)
      .toMatchObject({ name: '/nines/vpc/use1/flow-logs', retentionInDays: 365 });
    const trust = JSON.parse(mocks.one('aws:iam/role:Role', 'use1-flow-logs').inputs.assumeRolePolicy);
    expect(trust.Statement[0].Principal).toEqual({ Service: 'vpc-flow-logs.amazonaws.com' });
    const policy = JSON.parse(mocks.one('aws:iam/rolePolicy:RolePolicy', 'use1-flow-logs').inputs.policy);
    expect(policy.Statement[0].Resource).toEqual([
      'arn:aws:cloudwatch::210987654321:use1-flow-logs', 'arn:aws:cloudwatch::210987654321:use1-flow-logs:*',
    ]);
  });

  test('flow logs to S3, or off', async () => {
    await build('s3logs', { flowLogs: { destination: 's3', s3BucketArn: 'arn:aws:s3:::logs', trafficType: 'REJECT' } });
    expect(mocks.one('aws:ec2/flowLog:FlowLog', 's3logs').inputs)
      .toMatchObject({ logDestinationType: 's3', logDestination: 'arn:aws:s3:::logs', trafficType: 'REJECT' });
    expect(mocks.ofType('aws:cloudwatch/logGroup:LogGroup')).toEqual([]);
    mocks.reset();
    const off = await build('nologs', { flowLogs: false });
    expect(off.flowLogOptions).toBe(false);
    expect(mocks.ofType('aws:ec2/flowLog:FlowLog')).toEqual([]);
  });

  test('gateway endpoints for S3 and DynamoDB on every private and data route table', async () => {
    await build('use1');
    for (const svc of ['s3', 'dynamodb']) {
      expect(mocks.one('aws:ec2/vpcEndpoint:VpcEndpoint', `use1-${svc}`).inputs).toMatchObject({
        serviceName: `com.amazonaws.us-east-1.${svc}`,
        vpcEndpointType: 'Gateway',
        routeTableIds: ['use1-us-east-1a-private-id', 'use1-us-east-1b-private-id', 'use1-us-east-1c-private-id', 'use1-data-id'],
      });
    }
  });

  test('interface endpoints as an option, reachable from the VPC only', async () => {
    const vpc = await build('use1', { interfaceEndpoints: ['ecr.api', 'sts'] });
    expect(vpc.interfaceEndpointServices).toEqual(['ecr.api', 'sts']);
    expect(mocks.one('aws:ec2/vpcEndpoint:VpcEndpoint', 'use1-ecr.api').inputs).toMatchObject({
      serviceName: 'com.amazonaws.us-east-1.ecr.api',
      vpcEndpointType: 'Interface',
      privateDnsEnabled: true,
      subnetIds: ['use1-us-east-1a-private-id', 'use1-us-east-1b-private-id', 'use1-us-east-1c-private-id'],
      securityGroupIds: ['use1-endpoints-id'],
    });
    expect(mocks.one('aws:ec2/securityGroup:SecurityGroup', 'use1-endpoints').inputs.ingress)
      .toEqual([{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['10.10.0.0/16'], description: 'HTTPS from the VPC' }]);
  });

  test('no ingress from 0.0.0.0/0 except the public load balancer on 443; the default group has no rules', async () => {
    const vpc = await build('use1', { interfaceEndpoints: ['logs'] });
    expect(openIngress(mocks)).toEqual(['use1-public-lb:tcp/443-443']);
    expect(await valueOf(vpc.publicIngressSecurityGroupId)).toBe('use1-public-lb-id');
    expect(mocks.one('aws:ec2/securityGroup:SecurityGroup', 'use1-public-lb').inputs.egress)
      .toEqual([{ protocol: 'tcp', fromPort: 0, toPort: 65535, cidrBlocks: ['10.10.0.0/16'], description: 'to targets in the VPC' }]);
    const dflt = mocks.one('aws:ec2/defaultSecurityGroup:DefaultSecurityGroup', 'use1-default-sg').inputs;
    expect(dflt.ingress).toEqual([]);
    expect(dflt.egress).toEqual([]);
  });

  test('adding a zone adds resources and keeps every existing logical name and input (no replacement)', async () => {
    await build('grow', { zones: ZONES });
    const before = new Map(mocks.resources.map(r => [`${r.type}::${r.name}`, r.inputs]));
    mocks.reset();
    await build('grow', { zones: [...ZONES, 'us-east-1d'] });
    const after = new Map(mocks.resources.map(r => [`${r.type}::${r.name}`, r.inputs]));
    for (const [k, inputs] of before) {
      expect(after.has(k)).toBe(true);
      // Only the gateway endpoints' route table list grows (an in-place update).
      if (!k.startsWith('aws:ec2/vpcEndpoint:VpcEndpoint')) expect([k, after.get(k)]).toEqual([k, inputs]);
    }
    const added = [...after.keys()].filter(k => !before.has(k)).sort();
    expect(added).toEqual([
      'aws:ec2/eip:Eip::grow-us-east-1d-nat',
      'aws:ec2/natGateway:NatGateway::grow-us-east-1d',
      'aws:ec2/routeTable:RouteTable::grow-us-east-1d-private',
      'aws:ec2/routeTableAssociation:RouteTableAssociation::grow-us-east-1d-data',
      'aws:ec2/routeTableAssociation:RouteTableAssociation::grow-us-east-1d-private',
      'aws:ec2/routeTableAssociation:RouteTableAssociation::grow-us-east-1d-public',
      'aws:ec2/subnet:Subnet::grow-us-east-1d-data',
      'aws:ec2/subnet:Subnet::grow-us-east-1d-private',
      'aws:ec2/subnet:Subnet::grow-us-east-1d-public',
    ]);
  });
});

describe('MultiAzVpc errors', () => {
  test('every bad arg at once, naming the component and the arg; nothing registered', async () => {
    const e = errorOf(() => new MultiAzVpc('bad', {
      region: platform.region('us-east-1'),
      zones: ['us-east-1a'],
      vpcCidr: '10.10.0.0/33',
      flowLogs: { retentionDays: 42, destination: 's3' },
      interfaceEndpoints: ['s3'],
    }));
    expect(e.message).toBe([
      'MultiAzVpc \'bad\': 5 problems:',
      ' - vpcCidr ("10.10.0.0/33") is not an IPv4 CIDR block (address/prefix with no host bits set); use a private block such as "10.10.0.0/16"',
      ' - zones (["us-east-1a"]) has fewer than 2 zones, so one zone outage takes the region down; '
        + 'list at least 2 (the case study uses 3) availability zones',
      ' - flowLogs.retentionDays (42) is not a retention CloudWatch Logs accepts; use one of '
        + '1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653',
      ' - flowLogs.s3BucketArn (undefined) is required when destination is "s3"; '
        + 'pass the ARN of the log bucket, or use destination "cloud-watch-logs"',
      ' - interfaceEndpoints ("s3") already has a (free) gateway endpoint; use suffixes such as "ecr.api", "ecr.dkr", "sts", "logs"',
    ].join('\n'));
    await settle(mocks);
    expect(mocks.resources).toEqual([]);
  });

  test('a VPC overlapping another region: refused by the description itself, under the property the user wrote', () => {
    const description: PlatformDescription = {
      ...PRODUCTION,
      regions: [PRODUCTION.regions[0], { ...PRODUCTION.regions[1], vpcCidr: '10.10.64.0/18' }],
    };
    expect(errorOf(() => Platform.fromDescription(description)).message).toBe(
      'Platform \'production\': 1 problem:\n - regions[1].vpcCidr ("10.10.64.0/18") overlaps regions[0].vpcCidr ("10.10.0.0/16"), so the regions '
      + 'cannot be peered or routed to each other; give every region a disjoint block (e.g. "10.10.0.0/16", "10.20.0.0/16", ...)');
  });

  test('a region without a CIDR, and a non-Region', () => {
    const noCidr = Platform.fromDescription({ environment: 'dev', regions: [{ name: 'us-east-1', zones: ZONES }] });
    expect(errorOf(() => new MultiAzVpc('x', { region: noCidr.region('us-east-1') })).problems.map(p => p.prop)).toEqual(['vpcCidr']);
    expect(errorOf(() => new MultiAzVpc('y', { region: { name: 'us-east-1' } as any })).message)
      .toMatch(/^MultiAzVpc 'y': 1 problem:\n - region \(\{"name":"us-east-1"\}\) is not a Region of a platform description/);
  });
});
