/*
 * Internal: the pure args resolver of {@link MultiAzVpc}: the CIDR plan, every default applied
 * once, every problem collected, nothing registered.
 */
import * as pulumi from '@pulumi/pulumi';
import { Problems, Resolution, resolution } from '../../core/errors';
import { clusterNameOf } from '../../core/naming';
import { Region } from '../../core/platform';
import { PropTypes, typedProps, withTypeProblems } from '../../core/prop-types';
import { CidrPlan, DEFAULT_ZONE_SLOTS, parseCidr, validateCidrPlan } from '../cidr-plan';
import type { FlowLogOptions, MultiAzVpcArgs } from '../multi-az-vpc';
import { componentTags, isInstance } from './resolve';
import { REGION_TAG } from '../tags';

/** The retentions CloudWatch Logs accepts. @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const SERVICE_SUFFIX = /^[a-z0-9-]+(\.[a-z0-9-]+)*$/;

/** Runtime types of the args the resolver reads (casts are problems, not TypeErrors). */
const MULTI_AZ_VPC_ARG_TYPES: PropTypes = {
  zones: ['string'],
  vpcCidr: 'string',
  zoneSlots: 'number',
  // s3BucketArn is a pulumi.Input (a string or an Output)
  flowLogs: { anyOf: ['false', { destination: 'string', retentionDays: 'number', trafficType: 'string' }] },
  interfaceEndpoints: ['string'],
  clusterName: 'string',
  tags: { record: 'string' },
};

/** Flow log options with every default applied (the S3 bucket apart). */
export type ResolvedFlowLogs = Required<Omit<FlowLogOptions, 's3BucketArn'>> & { readonly s3BucketArn?: pulumi.Input<string> };

/** {@link MultiAzVpcArgs} with every default applied. */
export interface MultiAzVpcSettings {
  readonly region: Region;
  /** The zones of the plan (sorted). */
  readonly zones: readonly string[];
  readonly plan: CidrPlan;
  readonly flowLogs: ResolvedFlowLogs | false;
  readonly interfaceEndpoints: readonly string[];
  readonly clusterName: string;
  /** The user's tags plus `nines.dev/region`. */
  readonly tags: Readonly<Record<string, string>>;
}

/** Resolves {@link MultiAzVpcArgs}: the settings, or every problem. */
export function resolveMultiAzVpcArgs(name: string, given: MultiAzVpcArgs): Resolution<MultiAzVpcSettings> {
  const problems = new Problems('MultiAzVpc', name);
  const { props: args, problems: typeProblems } = typedProps(given, MULTI_AZ_VPC_ARG_TYPES);
  if (!isInstance(problems, 'region', args?.region, Region, 'pass platform.region("us-east-1") from Platform.fromDescription(...)',
    'is not a Region of a platform description')) {
    return { problems: withTypeProblems(typeProblems, problems.all) };
  }
  const region = args.region;
  const zones = [...(args.zones ?? region.zones)];
  const vpcCidr = args.vpcCidr ?? region.vpcCidr;
  if (vpcCidr === undefined) {
    problems.add('vpcCidr', undefined, `is not set and region ${region.name} has no vpcCidr`,
      'set vpcCidr in the platform description or pass it');
  }
  const plan = vpcCidr === undefined ? undefined
    : validateCidrPlan({ region: region.name, vpcCidr, zones, zoneSlots: args.zoneSlots ?? DEFAULT_ZONE_SLOTS }, problems);
  if (plan) {
    for (const other of region.platform.regions) {
      const theirs = other.name === region.name ? undefined : parseCidr(other.vpcCidr);
      problems.when(!!theirs && theirs.isOverlapping(parseCidr(plan.vpcCidr)!), 'vpcCidr', plan.vpcCidr,
        `overlaps ${other.name}'s VPC ${other.vpcCidr}, so the regions cannot be peered or routed to each other`,
        'give every region a disjoint block (e.g. 10.10.0.0/16, 10.20.0.0/16, ...)');
    }
  }
  const flowLogs = resolveFlowLogs(problems, args.flowLogs);
  const endpoints = [...(args.interfaceEndpoints ?? [])];
  for (const e of endpoints) {
    problems.when(!SERVICE_SUFFIX.test(e) || e === 's3' || e === 'dynamodb', 'interfaceEndpoints', e,
      e === 's3' || e === 'dynamodb' ? 'already has a (free) gateway endpoint' : 'is not an AWS service suffix',
      'use suffixes such as "ecr.api", "ecr.dkr", "sts", "logs"');
  }
  return resolution(withTypeProblems(typeProblems, problems.all), () => ({
    region,
    zones: Object.keys(plan!.zones),
    plan: plan!,
    flowLogs,
    interfaceEndpoints: endpoints,
    clusterName: args.clusterName ?? clusterNameOf(region),
    tags: componentTags(args, { [REGION_TAG]: region.name }),
  }));
}

/** Flow logs with their defaults (CloudWatch Logs, 365 days, all traffic), or false when turned off. */
function resolveFlowLogs(problems: Problems, given: FlowLogOptions | false | undefined): ResolvedFlowLogs | false {
  if (given === false) return false;
  const f = given ?? {};
  const flowLogs = {
    destination: f.destination ?? 'cloud-watch-logs',
    retentionDays: f.retentionDays ?? 365,
    trafficType: f.trafficType ?? 'ALL',
  };
  problems.when(!['cloud-watch-logs', 's3'].includes(flowLogs.destination), 'flowLogs.destination',
    flowLogs.destination, 'is not a supported destination', 'use "cloud-watch-logs" or "s3"');
  problems.when(!RETENTION_DAYS.includes(flowLogs.retentionDays), 'flowLogs.retentionDays', flowLogs.retentionDays,
    'is not a retention CloudWatch Logs accepts', `use one of ${RETENTION_DAYS.join(', ')}`);
  problems.when(!['ALL', 'ACCEPT', 'REJECT'].includes(flowLogs.trafficType), 'flowLogs.trafficType',
    flowLogs.trafficType, 'is not a traffic type', 'use "ALL", "ACCEPT" or "REJECT"');
  problems.when(flowLogs.destination === 's3' && f.s3BucketArn === undefined, 'flowLogs.s3BucketArn', undefined,
    'is required when destination is "s3"', 'pass the ARN of the log bucket, or use destination "cloud-watch-logs"');
  return { ...flowLogs, ...(f.s3BucketArn !== undefined ? { s3BucketArn: f.s3BucketArn } : {}) };
}
