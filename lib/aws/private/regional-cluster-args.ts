/*
 * Internal: the pure args resolver of {@link RegionalCluster}: every default applied once, every
 * problem collected, nothing registered.
 */
import { Problems, Resolution, resolution } from '../../core/errors';
import { isDnsLabel } from '../../core/labels';
import { backupRoleNameOf } from '../../core/naming';
import { PropTypes, typedProps, withTypeProblems } from '../../core/prop-types';
import { parseCidr } from '../cidr-plan';
import { MultiAzVpc } from '../multi-az-vpc';
import { DEFAULT_NODE_AMI_RELEASE, nodeAmiProblems } from '../node-ami';
import type { BackupLifecycle, NodeGroupScaling, RegionalClusterArgs, ServiceAccountRef } from '../regional-cluster';
import { ClusterFacts, componentTags, isInstance, VpcFacts } from './resolve';
import { CLUSTER_TAG } from '../tags';

/** Runtime types of the args the resolver reads (casts are problems, not TypeErrors). */
const REGIONAL_CLUSTER_ARG_TYPES: PropTypes = {
  clusterName: 'string',
  publicAccessCidrs: ['string'],
  instanceTypes: ['string'],
  nodesPerZone: { min: 'number', desired: 'number', max: 'number' },
  nodeAmiRelease: 'string',
  rootVolumeGiB: 'number',
  logRetentionDays: 'number',
  backupLifecycle: { transitionDays: 'number', expirationDays: 'number', noncurrentExpirationDays: 'number' },
  backupServiceAccounts: [{ namespace: 'string', name: 'string' }],
  backupBucketName: 'string',
  tags: { record: 'string' },
};

/** IPv4 blocks reserved for documentation: placeholders in examples, never a real runner's address. */
const DOCUMENTATION_RANGES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'] as const; // RFC 5737 section 3
/** EKS cluster names: 1-100 characters, letters, digits, `-` and `_`, starting with a letter or digit. */
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/; // https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html
/** S3 bucket names. @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The node instance types when {@link RegionalClusterArgs.instanceTypes} is unset. */
export const DEFAULT_INSTANCE_TYPES: readonly string[] = ['m6i.xlarge'];

/** {@link RegionalClusterArgs} with every default applied (`vpc` the MultiAzVpc, or its facts before it is registered). */
export interface RegionalClusterSettings<V extends VpcFacts = MultiAzVpc> extends ClusterFacts {
  readonly vpc: V;
  readonly clusterName: string;
  /** Declared once, in the platform description (validated there); EKS creates the cluster at it. */
  readonly kubernetesVersion: string;
  readonly publicAccessCidrs: readonly string[];
  readonly instanceTypes: readonly string[];
  readonly nodesPerZone: Required<NodeGroupScaling>;
  readonly rootVolumeGiB: number;
  readonly nodeAmiRelease: string;
  readonly logRetentionDays: number;
  readonly backupLifecycle: Required<BackupLifecycle>;
  readonly backupServiceAccounts: readonly Required<ServiceAccountRef>[];
  readonly backupBucketName?: string;
  /** `<clusterName>-db-backup`, cut to IAM's 64 characters. */
  readonly backupRoleName: string;
  /** The user's tags plus `nines.dev/cluster`. */
  readonly tags: Readonly<Record<string, string>>;
}

/** Resolves {@link RegionalClusterArgs}: the settings, or every problem. */
export function resolveRegionalClusterArgs(name: string, args: RegionalClusterArgs): Resolution<RegionalClusterSettings> {
  const problems = new Problems('RegionalCluster', name);
  if (!isInstance(problems, 'vpc', args?.vpc, MultiAzVpc, 'pass the region\'s MultiAzVpc')) return { problems: problems.all };
  return resolveRegionalClusterArgsIn(name, args, args.vpc);
}

/**
 * Resolves {@link RegionalClusterArgs} but `vpc` in the region whose MultiAzVpc has the facts
 * `vpc` (the MultiAzVpc itself, or the facts of its args before anything is registered).
 */
export function resolveRegionalClusterArgsIn<V extends VpcFacts>(name: string, given: Omit<RegionalClusterArgs, 'vpc'>,
  vpc: V): Resolution<RegionalClusterSettings<V>> {
  const problems = new Problems('RegionalCluster', name);
  const { props: args, problems: typeProblems } = typedProps(given, REGIONAL_CLUSTER_ARG_TYPES);
  const clusterName = args.clusterName ?? vpc.clusterName;
  problems.when(!CLUSTER_NAME.test(clusterName), 'clusterName', clusterName,
    'is not an EKS cluster name', 'use letters, digits, "-" and "_", starting with a letter or digit');
  const publicAccessCidrs = [...(args.publicAccessCidrs ?? [])];
  publicAccessProblems(problems, publicAccessCidrs);
  const instanceTypes = [...(args.instanceTypes ?? DEFAULT_INSTANCE_TYPES)];
  problems.when(instanceTypes.length === 0, 'instanceTypes', instanceTypes, 'is empty', 'list at least one instance type');
  const nodes = {
    min: args.nodesPerZone?.min ?? 1, desired: args.nodesPerZone?.desired ?? 2, max: args.nodesPerZone?.max ?? 6,
  };
  problems.when(![nodes.min, nodes.desired, nodes.max].every(Number.isInteger) || nodes.min < 1
    || nodes.min > nodes.desired || nodes.desired > nodes.max, 'nodesPerZone', nodes,
  'must be integers with 1 <= min <= desired <= max', 'e.g. { min: 1, desired: 2, max: 6 } (min 1 keeps each zone schedulable)');
  const rootVolumeGiB = args.rootVolumeGiB ?? 50;
  problems.when(!Number.isInteger(rootVolumeGiB) || rootVolumeGiB < 20 || rootVolumeGiB > 16384, 'rootVolumeGiB', rootVolumeGiB,
    'is not between 20 and 16384 GiB', 'use e.g. 50');
  const nodeAmiRelease = args.nodeAmiRelease ?? DEFAULT_NODE_AMI_RELEASE;
  problems.addAll(nodeAmiProblems(nodeAmiRelease, vpc.region.platform.kubernetesVersion, vpc.region.platform.environment));
  const logRetentionDays = args.logRetentionDays ?? 90;
  problems.when(!Number.isInteger(logRetentionDays) || logRetentionDays < 1, 'logRetentionDays', logRetentionDays,
    'is not a positive number of days', 'use e.g. 90');
  const lifecycle = {
    transitionDays: args.backupLifecycle?.transitionDays ?? 30,
    expirationDays: args.backupLifecycle?.expirationDays ?? 365,
    noncurrentExpirationDays: args.backupLifecycle?.noncurrentExpirationDays ?? 30,
  };
  problems.when(!(lifecycle.transitionDays >= 30 && lifecycle.expirationDays > lifecycle.transitionDays
    && lifecycle.noncurrentExpirationDays >= 1), 'backupLifecycle', lifecycle,
  'must transition after >= 30 days (S3 minimum for IA classes) and expire later, and keep noncurrent versions >= 1 day',
  'e.g. { transitionDays: 30, expirationDays: 365, noncurrentExpirationDays: 30 }');
  const accounts = (args.backupServiceAccounts ?? [{}]).map(a => ({
    namespace: a.namespace ?? 'databases', name: a.name ?? 'database-backup',
  }));
  problems.when(accounts.length === 0, 'backupServiceAccounts', [], 'is empty, so nothing can write backups',
    'list the database service accounts, e.g. [{ namespace: "orders", name: "orders-db" }]');
  accounts.forEach((a, i) => {
    problems.when(!isDnsLabel(a.namespace), `backupServiceAccounts[${i}].namespace`, a.namespace, 'is not a namespace name', 'use a DNS label');
    problems.when(!isDnsLabel(a.name), `backupServiceAccounts[${i}].name`, a.name, 'is not a service account name', 'use a DNS label');
  });
  const bucketName = args.backupBucketName;
  problems.when(bucketName !== undefined && !BUCKET_NAME.test(bucketName), 'backupBucketName', bucketName,
    'is not an S3 bucket name', 'use 3-63 lower-case letters, digits, "-" and ".", or leave it unset for a generated name');
  return resolution(withTypeProblems(typeProblems, problems.all), () => ({
    vpc,
    clusterName,
    kubernetesVersion: vpc.region.platform.kubernetesVersion,
    publicAccessCidrs,
    instanceTypes,
    nodesPerZone: nodes,
    rootVolumeGiB,
    nodeAmiRelease,
    logRetentionDays,
    backupLifecycle: lifecycle,
    backupServiceAccounts: accounts,
    backupBucketName: bucketName,
    backupRoleName: backupRoleNameOf(clusterName),
    tags: componentTags(args, { [CLUSTER_TAG]: clusterName }),
  }));
}

/**
 * The API endpoint's allow-list: required (the program applies objects from outside the VPC it
 * creates), no whole-internet range, no documentation range.
 * @see https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html
 */
function publicAccessProblems(problems: Problems, publicAccessCidrs: readonly string[]): void {
  problems.when(publicAccessCidrs.length === 0, 'publicAccessCidrs', publicAccessCidrs,
    'leaves the API endpoint private, but this program applies Kubernetes objects (StorageClass, Helm releases, manifests) '
    + 'through an in-program provider from where `pulumi up` runs, outside the VPC it creates, so every one of them would time out',
    'list the egress CIDRs `pulumi up` runs from (CI runner, VPN), e.g. ["198.18.7.0/28"]');
  for (const c of publicAccessCidrs) {
    const r = parseCidr(c);
    if (!r) {
      problems.add('publicAccessCidrs', c, 'is not an IPv4 CIDR block', 'use e.g. "198.18.7.0/28"');
    } else if (r.cidrPrefix.getValue() === 0n) {
      problems.add('publicAccessCidrs', c, 'opens the API server to the whole internet', 'list the egress ranges `pulumi up` runs from (CI runner, VPN)');
    } else {
      const doc = DOCUMENTATION_RANGES.find(d => parseCidr(d)!.contains(r) || r.contains(parseCidr(d)!));
      problems.when(doc !== undefined, 'publicAccessCidrs', c, `is in the documentation range ${doc} (RFC 5737), a placeholder no runner egresses from`,
        'replace it with the egress range `pulumi up` runs from');
    }
  }
}
