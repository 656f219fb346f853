import * as cloudwatch from '@pulumi/aws/cloudwatch';
import * as ec2 from '@pulumi/aws/ec2';
import * as iam from '@pulumi/aws/iam';
import * as pulumi from '@pulumi/pulumi';
import { CidrPlan } from './cidr-plan';
import { KARPENTER_DISCOVERY_TAG } from './karpenter';
import { MultiAzVpcSettings, ResolvedFlowLogs, resolveMultiAzVpcArgs } from './private/multi-az-vpc-args';
import { settingsOrThrow } from './private/resolve';
import { AwsTagsArgs } from './tags';
import { Region } from '../core/platform';

/** Where and how VPC flow logs go. */
export interface FlowLogOptions {
  /**
   * Destination type. `s3` needs `s3BucketArn`.
   * @default 'cloud-watch-logs'
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html
   */
  readonly destination?: 'cloud-watch-logs' | 's3';
  /**
   * CloudWatch Logs retention in days (one of the values CloudWatch accepts).
   * @default 365
   * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
   */
  readonly retentionDays?: number;
  /**
   * Bucket ARN for `destination: 's3'`.
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3.html
   */
  readonly s3BucketArn?: pulumi.Input<string>;
  /**
   * Traffic captured.
   * @default 'ALL'
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html
   */
  readonly trafficType?: 'ALL' | 'ACCEPT' | 'REJECT';
}

/** Arguments of {@link MultiAzVpc}. */
export interface MultiAzVpcArgs extends AwsTagsArgs {
  /**
   * The region from the platform description: its name, zones, VPC CIDR, and the other regions'
   * CIDRs (which this VPC must not overlap).
   * @see Platform.fromDescription
   */
  readonly region: Region;
  /**
   * Zones to span (an override; never "the first N the account has").
   * @default region.zones
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html
   */
  readonly zones?: readonly string[];
  /**
   * The VPC block.
   * @default region.vpcCidr
   * @see planCidrs
   */
  readonly vpcCidr?: string;
  /**
   * Slots per subnet tier (see {@link CidrPlanInput.zoneSlots}).
   * @default 8
   * @see CidrPlanInput.zoneSlots
   */
  readonly zoneSlots?: number;
  /**
   * VPC flow logs; `false` turns them off.
   * @default { destination: 'cloud-watch-logs', retentionDays: 365, trafficType: 'ALL' }
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html
   */
  readonly flowLogs?: FlowLogOptions | false;
  /**
   * Interface endpoints to create, as service suffixes (`ecr.api`, `ecr.dkr`, `sts`, `logs`, ...), in
   * every private subnet with private DNS. Each costs about $7.30 a month per zone.
   * @default [] (egress goes through the per-zone NAT gateways; S3 and DynamoDB gateway endpoints are always created)
   * @see https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html
   */
  readonly interfaceEndpoints?: readonly string[];
  /**
   * EKS cluster name for the `kubernetes.io/cluster/<name>` subnet tag.
   * @default `${environment}-${region}`
   * @see https://docs.aws.amazon.com/eks/latest/userguide/network-load-balancing.html
   */
  readonly clusterName?: string;
}

/**
 * A hardened multi-AZ VPC for one region: public, private (workloads) and data (isolated)
 * subnets per zone laid out by a deterministic plan keyed by zone name; one NAT gateway and
 * one private route table per zone (losing a zone never cuts another zone's egress); flow logs;
 * S3 and DynamoDB gateway endpoints; the default security group stripped of rules; EKS
 * load-balancer discovery tags; and the one security group open to the internet, for the
 * public load balancer on 443.
 *
 * Logical names carry the zone name, so adding a zone adds resources and replaces none.
 */
export class MultiAzVpc extends pulumi.ComponentResource {
  /** The region from the platform description (its name and platform). */
  public readonly region: Region;
  /** The zones spanned. */
  public readonly zones: readonly string[];
  /** The resolved CIDR plan (plain data). */
  public readonly plan: CidrPlan;
  /** The CIDR plan as a stack output. */
  public readonly cidrPlan: pulumi.Output<CidrPlan>;
  /** The resolved flow log options, or false. */
  public readonly flowLogOptions: Required<Omit<FlowLogOptions, 's3BucketArn'>> | false;
  /** Resolved interface endpoint services. */
  public readonly interfaceEndpointServices: readonly string[];
  /** Resolved cluster name used in subnet tags. */
  public readonly clusterName: string;
  /** VPC id. */
  public readonly vpcId: pulumi.Output<string>;
  /** VPC CIDR. */
  public readonly vpcCidr: pulumi.Output<string>;
  /** Public subnet ids by zone. */
  public readonly publicSubnetIds: Readonly<Record<string, pulumi.Output<string>>>;
  /** Private subnet ids by zone. */
  public readonly privateSubnetIds: Readonly<Record<string, pulumi.Output<string>>>;
  /** Data subnet ids by zone. */
  public readonly dataSubnetIds: Readonly<Record<string, pulumi.Output<string>>>;
  /** NAT gateway ids by zone. */
  public readonly natGatewayIds: Readonly<Record<string, pulumi.Output<string>>>;
  /** Private route table ids by zone. */
  public readonly privateRouteTableIds: Readonly<Record<string, pulumi.Output<string>>>;
  /** The public load balancer's security group (443 from anywhere; the only such ingress). */
  public readonly publicIngressSecurityGroupId: pulumi.Output<string>;
  /** Flow log id, when on. */
  public readonly flowLogId?: pulumi.Output<string>;

  constructor(name: string, args: MultiAzVpcArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate everything before registering anything.
    const s = settingsOrThrow('MultiAzVpc', name, resolveMultiAzVpcArgs(name, args));
    super('nines:aws:MultiAzVpc', name, {}, opts);
    this.region = s.region;
    this.zones = s.zones;
    this.plan = s.plan;
    this.cidrPlan = pulumi.output(s.plan);
    this.flowLogOptions = s.flowLogs && {
      destination: s.flowLogs.destination, retentionDays: s.flowLogs.retentionDays, trafficType: s.flowLogs.trafficType,
    };
    this.interfaceEndpointServices = s.interfaceEndpoints;
    this.clusterName = s.clusterName;
    const p = { parent: this };
    const tags = (n: string, extra: Record<string, string> = {}) => ({ ...s.tags, Name: n, ...extra });

    const vpc = new ec2.Vpc(name, {
      cidrBlock: s.plan.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags(name),
    }, p);
    this.vpcId = vpc.id;
    this.vpcCidr = vpc.cidrBlock;
    new ec2.DefaultSecurityGroup(`${name}-default-sg`, {
      vpcId: vpc.id, ingress: [], egress: [], tags: tags(`${name}-default (no rules)`),
    }, p);
    const igw = new ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags(`${name}-igw`) }, p);
    const publicRt = new ec2.RouteTable(`${name}-public`, {
      vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }], tags: tags(`${name}-public`),
    }, p);
    const dataRt = new ec2.RouteTable(`${name}-data`, { vpcId: vpc.id, tags: tags(`${name}-data (isolated)`) }, p);
    const zones = Object.fromEntries(s.zones.map(zone => [zone, this.zone(name, s, zone, { vpc, igw, publicRt, dataRt }, tags)]));
    const byZone = (k: keyof ZoneResources) => Object.fromEntries(s.zones.map(z => [z, zones[z][k]]));
    this.publicSubnetIds = byZone('publicSubnetId');
    this.privateSubnetIds = byZone('privateSubnetId');
    this.dataSubnetIds = byZone('dataSubnetId');
    this.natGatewayIds = byZone('natGatewayId');
    this.privateRouteTableIds = byZone('privateRouteTableId');
    this.endpoints(name, s, vpc, dataRt, tags);

    const ingress = new ec2.SecurityGroup(`${name}-public-lb`, {
      vpcId: vpc.id,
      description: 'Public load balancer: HTTPS from the internet, to the VPC only',
      ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['0.0.0.0/0'], ipv6CidrBlocks: ['::/0'], description: 'HTTPS' }],
      egress: [{ protocol: 'tcp', fromPort: 0, toPort: 65535, cidrBlocks: [s.plan.vpcCidr], description: 'to targets in the VPC' }],
      revokeRulesOnDelete: true,
      tags: tags(`${name}-public-lb`),
    }, p);
    this.publicIngressSecurityGroupId = ingress.id;
    if (s.flowLogs) this.flowLogId = this.flowLog(name, s.flowLogs, vpc, tags);

    this.registerOutputs({
      vpcId: this.vpcId,
      cidrPlan: this.cidrPlan,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      dataSubnetIds: this.dataSubnetIds,
      natGatewayIds: this.natGatewayIds,
      publicIngressSecurityGroupId: this.publicIngressSecurityGroupId,
    });
  }

  /** One zone: its public, private and data subnets, its NAT gateway and its private route table (egress through that NAT only). */
  private zone(name: string, s: MultiAzVpcSettings, zone: string, shared: SharedNetwork, tags: Tagger): ZoneResources {
    const p = { parent: this };
    const { vpc, igw, publicRt, dataRt } = shared;
    const z = s.plan.zones[zone];
    const clusterTag = `kubernetes.io/cluster/${s.clusterName}`;
    const publicSubnet = new ec2.Subnet(`${name}-${zone}-public`, {
      vpcId: vpc.id,
      availabilityZone: zone,
      cidrBlock: z.public,
      mapPublicIpOnLaunch: false,
      tags: tags(`${name}-${zone}-public`, { 'kubernetes.io/role/elb': '1', [clusterTag]: 'shared', 'nines.dev/tier': 'public' }),
    }, p);
    const privateSubnet = new ec2.Subnet(`${name}-${zone}-private`, {
      vpcId: vpc.id,
      availabilityZone: zone,
      cidrBlock: z.private,
      // The discovery tag Karpenter's EC2NodeClass selects the nodes' subnets by: set here, with the
      // subnet's own tags (a separate ec2.Tag would fight this resource's tags on every update).
      tags: tags(`${name}-${zone}-private`, {
        'kubernetes.io/role/internal-elb': '1', [clusterTag]: 'shared', 'nines.dev/tier': 'private', [KARPENTER_DISCOVERY_TAG]: s.clusterName,
      }),
    }, p);
    const dataSubnet = new ec2.Subnet(`${name}-${zone}-data`, {
      vpcId: vpc.id, availabilityZone: zone, cidrBlock: z.data, tags: tags(`${name}-${zone}-data`, { 'nines.dev/tier': 'data' }),
    }, p);
    new ec2.RouteTableAssociation(`${name}-${zone}-public`, { subnetId: publicSubnet.id, routeTableId: publicRt.id }, p);
    new ec2.RouteTableAssociation(`${name}-${zone}-data`, { subnetId: dataSubnet.id, routeTableId: dataRt.id }, p);
    const eip = new ec2.Eip(`${name}-${zone}-nat`, { domain: 'vpc', tags: tags(`${name}-${zone}-nat`) }, { parent: this, dependsOn: [igw] });
    const nat = new ec2.NatGateway(`${name}-${zone}`, {
      subnetId: publicSubnet.id, allocationId: eip.id, connectivityType: 'public', tags: tags(`${name}-${zone}-nat`),
    }, p);
    const rt = new ec2.RouteTable(`${name}-${zone}-private`, {
      vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', natGatewayId: nat.id }], tags: tags(`${name}-${zone}-private`),
    }, p);
    new ec2.RouteTableAssociation(`${name}-${zone}-private`, { subnetId: privateSubnet.id, routeTableId: rt.id }, p);
    return {
      publicSubnetId: publicSubnet.id,
      privateSubnetId: privateSubnet.id,
      dataSubnetId: dataSubnet.id,
      natGatewayId: nat.id,
      privateRouteTableId: rt.id,
    };
  }

  /** The S3 and DynamoDB gateway endpoints (free) on every private and data route table, and the interface endpoints asked for. */
  private endpoints(name: string, s: MultiAzVpcSettings, vpc: ec2.Vpc, dataRt: ec2.RouteTable, tags: Tagger): void {
    const p = { parent: this };
    const gatewayRts = [...Object.values(this.privateRouteTableIds), dataRt.id];
    for (const svc of ['s3', 'dynamodb']) {
      new ec2.VpcEndpoint(`${name}-${svc}`, {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${s.region.name}.${svc}`,
        vpcEndpointType: 'Gateway',
        routeTableIds: gatewayRts,
        tags: tags(`${name}-${svc}`),
      }, p);
    }
    if (s.interfaceEndpoints.length === 0) return;
    const sg = new ec2.SecurityGroup(`${name}-endpoints`, {
      vpcId: vpc.id,
      description: 'Interface endpoints: HTTPS from inside the VPC only',
      ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: [s.plan.vpcCidr], description: 'HTTPS from the VPC' }],
      egress: [],
      revokeRulesOnDelete: true,
      tags: tags(`${name}-endpoints`),
    }, p);
    for (const svc of s.interfaceEndpoints) {
      new ec2.VpcEndpoint(`${name}-${svc}`, {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${s.region.name}.${svc}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: Object.values(this.privateSubnetIds),
        securityGroupIds: [sg.id],
        tags: tags(`${name}-${svc}`),
      }, p);
    }
  }

  /** The VPC's flow log, to S3 or to a CloudWatch log group of its own (with a role that may write only there). */
  private flowLog(name: string, f: ResolvedFlowLogs, vpc: ec2.Vpc, tags: Tagger): pulumi.Output<string> {
    const p = { parent: this };
    let destination: pulumi.Input<string>;
    let roleArn: pulumi.Input<string> | undefined;
    if (f.destination === 's3') {
      destination = f.s3BucketArn!;
    } else {
      const group = new cloudwatch.LogGroup(`${name}-flow-logs`, {
        name: `/nines/vpc/${name}/flow-logs`, retentionInDays: f.retentionDays, tags: tags(`${name}-flow-logs`),
      }, p);
      const role = new iam.Role(`${name}-flow-logs`, {
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
        tags: tags(`${name}-flow-logs`),
      }, p);
      new iam.RolePolicy(`${name}-flow-logs`, {
        role: role.id,
        policy: group.arn.apply(arn => JSON.stringify({
          Version: '2012-10-17',
          Statement: [{
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            Resource: [arn, `${arn}:*`],
          }],
        })),
      }, p);
      destination = group.arn;
      roleArn = role.arn;
    }
    return new ec2.FlowLog(name, {
      vpcId: vpc.id,
      trafficType: f.trafficType,
      logDestinationType: f.destination,
      logDestination: destination,
      iamRoleArn: roleArn,
      maxAggregationInterval: 60,
      tags: tags(`${name}-flow-logs`),
    }, p).id;
  }
}

/** Tags of a resource: the VPC's tags, its Name, and extra ones. */
type Tagger = (name: string, extra?: Record<string, string>) => Record<string, string>;

/** The VPC-wide resources each zone attaches to. */
interface SharedNetwork {
  readonly vpc: ec2.Vpc;
  readonly igw: ec2.InternetGateway;
  readonly publicRt: ec2.RouteTable;
  readonly dataRt: ec2.RouteTable;
}

/** The ids one zone contributes. */
interface ZoneResources {
  readonly publicSubnetId: pulumi.Output<string>;
  readonly privateSubnetId: pulumi.Output<string>;
  readonly dataSubnetId: pulumi.Output<string>;
  readonly natGatewayId: pulumi.Output<string>;
  readonly privateRouteTableId: pulumi.Output<string>;
}
