import * as cloudwatch from '@pulumi/aws/cloudwatch';
import * as ec2 from '@pulumi/aws/ec2';
import * as eks from '@pulumi/aws/eks';
import * as iam from '@pulumi/aws/iam';
import * as kms from '@pulumi/aws/kms';
import * as s3 from '@pulumi/aws/s3';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { parseCidr } from './cidr-plan';
import { irsaTrustPolicy } from './irsa';
import { MultiAzVpc } from './multi-az-vpc';
import { Provision, regionalClusterProvisions } from '../core/capabilities';
import { Problems } from '../core/errors';
import { isDnsLabel } from '../core/labels';
import { backupRoleNameOf } from '../core/naming';
import { DEFAULT_STORAGE_CLASS } from '../core/storage';

/** Size of each zone's managed node group. */
export interface NodeGroupScaling {
  /**
   * @default 1
   * @see https://docs.aws.amazon.com/eks/latest/APIReference/API_NodegroupScalingConfig.html
   */
  readonly min?: number;
  /**
   * @default 2
   * @see https://docs.aws.amazon.com/eks/latest/APIReference/API_NodegroupScalingConfig.html
   */
  readonly desired?: number;
  /**
   * @default 6
   * @see https://docs.aws.amazon.com/eks/latest/APIReference/API_NodegroupScalingConfig.html
   */
  readonly max?: number;
}

/** A Kubernetes service account associated with the backup role (EKS Pod Identity). */
export interface ServiceAccountRef {
  /**
   * @default 'databases'
   * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html
   */
  readonly namespace?: string;
  /**
   * @default 'database-backup'
   * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html
   */
  readonly name?: string;
}

/** Arguments of {@link RegionalCluster}. */
export interface RegionalClusterArgs {
  /**
   * The region's VPC (zones, private subnets).
   * @see MultiAzVpc
   */
  readonly vpc: MultiAzVpc;
  /**
   * EKS cluster name.
   * @default vpc.clusterName (`${environment}-${region}`)
   * @see https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html
   */
  readonly clusterName?: string;
  /**
   * CIDRs allowed to reach the public API endpoint: where `pulumi up` runs (a CI runner's or VPN's
   * egress). Required: this component applies a StorageClass, and ClusterAddons its Helm releases,
   * through an in-program Kubernetes provider, from outside the VPC this same program creates, so a
   * private-only endpoint could never be reached. The private endpoint stays on: nodes and pods use it.
   * `0.0.0.0/0` and the documentation ranges (RFC 5737) are refused.
   * @see https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html
   */
  readonly publicAccessCidrs: readonly string[];
  /**
   * Node instance types (several spread Spot/On-Demand capacity risk).
   * @default ['m6i.xlarge']
   * @see https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html
   */
  readonly instanceTypes?: readonly string[];
  /**
   * Nodes per zone (one managed node group per zone, so EBS-bound pods find a node in their zone).
   * @default { min: 1, desired: 2, max: 6 }
   * @see https://docs.aws.amazon.com/eks/latest/best-practices/cas.html
   */
  readonly nodesPerZone?: NodeGroupScaling;
  /**
   * Root volume size in GiB (gp3, encrypted).
   * @default 50
   * @see https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html
   */
  readonly rootVolumeGiB?: number;
  /**
   * Control-plane log retention in days.
   * @default 90
   * @see https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html
   */
  readonly logRetentionDays?: number;
  /**
   * Days before backup objects move to Glacier Instant Retrieval, and before they expire.
   * @default { transitionDays: 30, expirationDays: 365, noncurrentExpirationDays: 30 }
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html
   */
  readonly backupLifecycle?: { readonly transitionDays?: number; readonly expirationDays?: number; readonly noncurrentExpirationDays?: number };
  /**
   * The only service accounts associated with the backup role (EKS Pod Identity): the database
   * clusters' members and base-backup jobs (each PatroniCluster's `serviceAccountName` and
   * `backupServiceAccountName`). Each may reach only the keys under its own namespace
   * (`<namespace>/...`, PatroniCluster's default prefix `<namespace>/<name>`). At least one.
   * @default [{ namespace: 'databases', name: 'database-backup' }]
   * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-abac.html
   */
  readonly backupServiceAccounts?: readonly ServiceAccountRef[];
  /**
   * Backup bucket name, when it must be known before deployment (e.g. to synthesize a
   * PatroniCluster's `backup.bucket` in the same program). Globally unique, 3-63 characters.
   * @default a unique name generated from `<clusterName>-backup-` (S3's prefix limit: 37 characters)
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
   */
  readonly backupBucketName?: string;
  /**
   * Tags added to every AWS resource.
   * @default {}
   * @see https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The default StorageClass this cluster creates: the name the stateful constructs (PatroniCluster,
 * EtcdCluster, RedisSentinel, KafkaCluster) request, taken from them so the two cannot drift.
 */
export const GP3_ENCRYPTED_STORAGE_CLASS: string = DEFAULT_STORAGE_CLASS;
/** Control-plane log types, all of them. */
export const CONTROL_PLANE_LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'] as const;

/** IPv4 blocks reserved for documentation: placeholders in examples, never a real runner's address. */
const DOCUMENTATION_RANGES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'] as const; // RFC 5737 section 3
const policyArn = (n: string) => `arn:aws:iam::aws:policy/${n}`;

/**
 * One region's EKS cluster across the VPC's zones: a private API endpoint (public only with an
 * allow-list), secrets envelope-encrypted with a KMS key, every control-plane log type, one managed
 * node group per zone (launch template: IMDSv2 required with hop limit 1, encrypted gp3 root
 * volume; updates at most 33% unavailable), IRSA, the EBS CSI driver with a default encrypted
 * gp3 StorageClass `gp3-encrypted`, and a regional backup bucket (SSE-KMS, versioning, public
 * access blocked, TLS only, lifecycle) writable through IRSA by one service account only.
 */
export class RegionalCluster extends pulumi.ComponentResource {
  /** Resolved cluster name. */
  public readonly clusterName: string;
  /** The Kubernetes version, read from the platform description (`kubernetesVersion`). */
  public readonly kubernetesVersion: string;
  /** What this cluster provides to the manifests (the capability contract, lib/core/capabilities.ts). */
  public readonly provides: readonly Provision[];
  /** Resolved public access CIDRs (empty: private endpoint only). */
  public readonly publicAccessCidrs: readonly string[];
  /** Resolved instance types. */
  public readonly instanceTypes: readonly string[];
  /** Resolved nodes per zone. */
  public readonly nodesPerZone: Required<NodeGroupScaling>;
  /** Resolved root volume size. */
  public readonly rootVolumeGiB: number;
  /** Resolved backup service accounts. */
  public readonly backupServiceAccounts: readonly Required<ServiceAccountRef>[];
  /** Name of the backup IAM role: `<clusterName>-db-backup`, cut to IAM's 64 characters. */
  public readonly backupRoleName: string;
  /** Resolved lifecycle. */
  public readonly backupLifecycle: { readonly transitionDays: number; readonly expirationDays: number; readonly noncurrentExpirationDays: number };
  /** The cluster's name as created. */
  public readonly name: pulumi.Output<string>;
  /** API endpoint. */
  public readonly endpoint: pulumi.Output<string>;
  /** OIDC issuer URL. */
  public readonly oidcIssuer: pulumi.Output<string>;
  /** IRSA OIDC provider ARN. */
  public readonly oidcProviderArn: pulumi.Output<string>;
  /** KMS key encrypting Kubernetes secrets. */
  public readonly secretsKeyArn: pulumi.Output<string>;
  /** KMS key encrypting backups. */
  public readonly backupKeyArn: pulumi.Output<string>;
  /** Backup bucket name. */
  public readonly backupBucket: pulumi.Output<string>;
  /** The backup role (EKS Pod Identity), associated with the backup service accounts. */
  public readonly backupRoleArn: pulumi.Output<string>;
  /** Kubeconfig (uses `aws eks get-token`). */
  public readonly kubeconfig: pulumi.Output<string>;
  /** The Kubernetes provider for this cluster. */
  public readonly provider: k8s.Provider;
  /** Node group names by zone. */
  public readonly nodeGroupNames: Readonly<Record<string, pulumi.Output<string>>>;
  /**
   * The managed node groups by zone: what every in-cluster release must wait for (its pods need
   * nodes, and an atomic Helm release rolls back if they stay Pending).
   */
  public readonly nodeGroups: Readonly<Record<string, eks.NodeGroup>>;
  /** The EKS Pod Identity associations of the backup role, by `<namespace>/<service account>`. */
  public readonly backupAssociations: Readonly<Record<string, eks.PodIdentityAssociation>>;

  constructor(name: string, args: RegionalClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = new Problems('RegionalCluster', name);
    if (!(args?.vpc instanceof MultiAzVpc)) {
      problems.add('vpc', args?.vpc, 'is not a MultiAzVpc', 'pass the region\'s MultiAzVpc');
      problems.throwIfAny();
    }
    const vpc = args.vpc;
    const clusterName = args.clusterName ?? vpc.clusterName;
    problems.when(!/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(clusterName), 'clusterName', clusterName,
      'is not an EKS cluster name', 'use letters, digits, "-" and "_", starting with a letter or digit');
    // Declared once, in the platform description (validated there); EKS creates the cluster at it.
    const kubernetesVersion = vpc.region.platform.kubernetesVersion;
    const publicAccessCidrs = [...(args.publicAccessCidrs ?? [])];
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
    const instanceTypes = [...(args.instanceTypes ?? ['m6i.xlarge'])];
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
    problems.when(bucketName !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucketName), 'backupBucketName', bucketName,
      'is not an S3 bucket name', 'use 3-63 lower-case letters, digits, "-" and ".", or leave it unset for a generated name');
    problems.throwIfAny();

    super('nines:aws:RegionalCluster', name, {}, opts);
    this.clusterName = clusterName;
    this.kubernetesVersion = kubernetesVersion;
    this.provides = regionalClusterProvisions(vpc.zones, GP3_ENCRYPTED_STORAGE_CLASS);
    this.publicAccessCidrs = publicAccessCidrs;
    this.instanceTypes = instanceTypes;
    this.nodesPerZone = nodes;
    this.rootVolumeGiB = rootVolumeGiB;
    this.backupServiceAccounts = accounts;
    this.backupLifecycle = lifecycle;
    this.backupRoleName = backupRoleNameOf(clusterName);
    const p = { parent: this };
    const tags = { ...(args.tags ?? {}), 'nines.dev/cluster': clusterName };
    const assume = (service: string) => JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: ['sts:AssumeRole', 'sts:TagSession'] }],
    });

    // --- Control plane -------------------------------------------------------------------------
    const secretsKey = new kms.Key(`${name}-secrets`, {
      description: `EKS secrets envelope encryption for ${clusterName}`, enableKeyRotation: true, deletionWindowInDays: 30, tags,
    }, p);
    new kms.Alias(`${name}-secrets`, { name: `alias/${clusterName}-eks-secrets`, targetKeyId: secretsKey.keyId }, p);
    this.secretsKeyArn = secretsKey.arn;
    const clusterRole = new iam.Role(`${name}-cluster`, { assumeRolePolicy: assume('eks.amazonaws.com'), tags }, p);
    new iam.RolePolicyAttachment(`${name}-cluster`, { role: clusterRole.name, policyArn: policyArn('AmazonEKSClusterPolicy') }, p);
    // Created before the cluster so the retention is ours, not "never expire".
    const logGroup = new cloudwatch.LogGroup(`${name}-control-plane`, {
      name: `/aws/eks/${clusterName}/cluster`, retentionInDays: logRetentionDays, tags,
    }, p);
    const privateSubnets = vpc.zones.map(z => vpc.privateSubnetIds[z]);
    const cluster = new eks.Cluster(name, {
      name: clusterName,
      version: kubernetesVersion,
      roleArn: clusterRole.arn,
      vpcConfig: {
        subnetIds: privateSubnets,
        endpointPrivateAccess: true,
        endpointPublicAccess: publicAccessCidrs.length > 0,
        publicAccessCidrs: publicAccessCidrs.length > 0 ? publicAccessCidrs : undefined,
      },
      encryptionConfig: { provider: { keyArn: secretsKey.arn }, resources: ['secrets'] },
      enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
      accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: true },
      zonalShiftConfig: { enabled: true },
      tags,
    }, { parent: this, dependsOn: [logGroup] });
    this.name = cluster.name;
    this.endpoint = cluster.endpoint;
    this.oidcIssuer = cluster.identities.apply(ids => ids?.[0]?.oidcs?.[0]?.issuer ?? '');

    // --- IRSA ----------------------------------------------------------------------------------
    const oidc = new iam.OpenIdConnectProvider(`${name}-oidc`, {
      url: this.oidcIssuer, clientIdLists: ['sts.amazonaws.com'], tags,
    }, p);
    this.oidcProviderArn = oidc.arn;
    const irsaTrust = (subjects: readonly Required<ServiceAccountRef>[]) => irsaTrustPolicy(oidc.arn, this.oidcIssuer, subjects);

    // --- Nodes: one managed group per zone -----------------------------------------------------
    const nodeRole = new iam.Role(`${name}-nodes`, { assumeRolePolicy: assume('ec2.amazonaws.com'), tags }, p);
    for (const policy of ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryReadOnly', 'AmazonEKS_CNI_Policy', 'AmazonSSMManagedInstanceCore']) {
      new iam.RolePolicyAttachment(`${name}-nodes-${policy}`, { role: nodeRole.name, policyArn: policyArn(policy) }, p);
    }
    const groups: Record<string, pulumi.Output<string>> = {};
    const nodeGroups: Record<string, eks.NodeGroup> = {};
    for (const zone of vpc.zones) {
      const lt = new ec2.LaunchTemplate(`${name}-${zone}`, {
        description: `EKS nodes of ${clusterName} in ${zone}`,
        metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'disabled' },
        blockDeviceMappings: [{
          deviceName: '/dev/xvda',
          ebs: { volumeType: 'gp3', volumeSize: rootVolumeGiB, encrypted: 'true', deleteOnTermination: 'true' },
        }],
        tagSpecifications: [
          { resourceType: 'instance', tags: { ...tags, 'nines.dev/zone': zone } },
          { resourceType: 'volume', tags: { ...tags, 'nines.dev/zone': zone } },
        ],
        updateDefaultVersion: true,
        tags,
      }, p);
      const group = new eks.NodeGroup(`${name}-${zone}`, {
        clusterName: cluster.name,
        nodeGroupNamePrefix: `${zone}-`,
        nodeRoleArn: nodeRole.arn,
        subnetIds: [vpc.privateSubnetIds[zone]],
        amiType: 'AL2023_x86_64_STANDARD',
        capacityType: 'ON_DEMAND',
        instanceTypes: instanceTypes,
        scalingConfig: { minSize: nodes.min, desiredSize: nodes.desired, maxSize: nodes.max },
        updateConfig: { maxUnavailablePercentage: 33 },
        launchTemplate: { id: lt.id, version: pulumi.interpolate`${lt.latestVersion}` },
        labels: { 'nines.dev/zone': zone },
        tags: { ...tags, 'nines.dev/zone': zone },
      }, { parent: this, ignoreChanges: ['scalingConfig.desiredSize'] });
      groups[zone] = group.nodeGroupName;
      nodeGroups[zone] = group;
    }
    this.nodeGroupNames = groups;
    this.nodeGroups = nodeGroups;
    // Add-ons run pods (the CSI controller, the Pod Identity agent): created once nodes can take them.
    const afterNodes = { parent: this, dependsOn: Object.values(nodeGroups) };

    // --- EBS CSI driver (IRSA) -----------------------------------------------------------------
    const csiRole = new iam.Role(`${name}-ebs-csi`, { assumeRolePolicy: irsaTrust([{ namespace: 'kube-system', name: 'ebs-csi-controller-sa' }]), tags }, p);
    new iam.RolePolicyAttachment(`${name}-ebs-csi`, {
      role: csiRole.name, policyArn: policyArn('service-role/AmazonEBSCSIDriverPolicy'),
    }, p);
    const csi = new eks.Addon(`${name}-ebs-csi`, {
      clusterName: cluster.name,
      addonName: 'aws-ebs-csi-driver',
      serviceAccountRoleArn: csiRole.arn,
      resolveConflictsOnCreate: 'OVERWRITE',
      resolveConflictsOnUpdate: 'PRESERVE',
      tags,
    }, afterNodes);

    // --- EKS Pod Identity: the agent on every node; roles trust the service, not an OIDC issuer ---
    // Chosen over IRSA for the workloads: the association (cluster, namespace, service account ->
    // role) lives on the AWS side, so the manifests carry no role ARN and no account id, and the
    // session tags (kubernetes-namespace, ...) scope a shared role per namespace.
    // @see https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html
    const podIdentityAgent = new eks.Addon(`${name}-pod-identity-agent`, {
      clusterName: cluster.name,
      addonName: 'eks-pod-identity-agent',
      resolveConflictsOnCreate: 'OVERWRITE',
      resolveConflictsOnUpdate: 'PRESERVE',
      tags,
    }, afterNodes);

    // --- VPC CNI with network policy enforcement -----------------------------------------------
    // Without enableNetworkPolicy the VPC CNI accepts NetworkPolicies and enforces none: its node
    // agent (eBPF) runs only when the add-on's configuration turns it on.
    // https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html
    new eks.Addon(`${name}-vpc-cni`, {
      clusterName: cluster.name,
      addonName: 'vpc-cni',
      configurationValues: JSON.stringify({ enableNetworkPolicy: 'true' }),
      resolveConflictsOnCreate: 'OVERWRITE',
      resolveConflictsOnUpdate: 'OVERWRITE',
      tags,
    }, p);

    // --- Backups -------------------------------------------------------------------------------
    const backupKey = new kms.Key(`${name}-backup`, {
      description: `Database backups of ${clusterName}`, enableKeyRotation: true, deletionWindowInDays: 30, tags,
    }, p);
    new kms.Alias(`${name}-backup`, { name: `alias/${clusterName}-backup`, targetKeyId: backupKey.keyId }, p);
    this.backupKeyArn = backupKey.arn;
    const bucket = new s3.Bucket(`${name}-backup`, {
      ...(bucketName ? { bucket: bucketName } : { bucketPrefix: `${clusterName.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 29)}-backup-` }), forceDestroy: false, tags,
    }, p);
    this.backupBucket = bucket.bucket;
    new s3.BucketPublicAccessBlock(`${name}-backup`, {
      bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
    }, p);
    new s3.BucketVersioning(`${name}-backup`, { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } }, p);
    new s3.BucketServerSideEncryptionConfiguration(`${name}-backup`, {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: backupKey.arn }, bucketKeyEnabled: true }],
    }, p);
    new s3.BucketLifecycleConfiguration(`${name}-backup`, {
      bucket: bucket.id,
      rules: [{
        id: 'backups',
        status: 'Enabled',
        filter: {},
        transitions: [{ days: lifecycle.transitionDays, storageClass: 'GLACIER_IR' }],
        expiration: { days: lifecycle.expirationDays },
        noncurrentVersionExpiration: { noncurrentDays: lifecycle.noncurrentExpirationDays },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      }],
    }, p);
    new s3.BucketPolicy(`${name}-backup`, {
      bucket: bucket.id,
      policy: bucket.arn.apply(arn => JSON.stringify({
        Version: '2012-10-17',
        Statement: [{
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [arn, `${arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }],
      })),
    }, p);
    // Trusted by the EKS Pod Identity service only; which pods get it is decided by the associations below.
    // @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
    const backupRole = new iam.Role(`${name}-backup`, {
      name: this.backupRoleName, assumeRolePolicy: assume('pods.eks.amazonaws.com'), tags,
    }, p);
    new iam.RolePolicy(`${name}-backup`, {
      role: backupRole.id,
      policy: pulumi.all([bucket.arn, backupKey.arn]).apply(([b, k]) => JSON.stringify(backupPolicy(b, k))),
    }, p);
    this.backupRoleArn = backupRole.arn;
    const associations: Record<string, eks.PodIdentityAssociation> = {};
    for (const a of accounts) {
      associations[`${a.namespace}/${a.name}`] = new eks.PodIdentityAssociation(`${name}-backup-${a.namespace}-${a.name}`, {
        clusterName: cluster.name, namespace: a.namespace, serviceAccount: a.name, roleArn: backupRole.arn, tags,
      }, { parent: this, dependsOn: [podIdentityAgent] });
    }
    this.backupAssociations = associations;

    // --- Kubernetes side -----------------------------------------------------------------------
    this.kubeconfig = pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority]).apply(([n, endpoint, ca]) =>
      JSON.stringify({
        'apiVersion': 'v1',
        'kind': 'Config',
        'clusters': [{ name: n, cluster: { 'server': endpoint, 'certificate-authority-data': ca?.data ?? '' } }],
        'contexts': [{ name: n, context: { cluster: n, user: n } }],
        'current-context': n,
        'users': [{
          name: n,
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1beta1',
              command: 'aws',
              args: ['eks', 'get-token', '--cluster-name', n, '--output', 'json'],
            },
          },
        }],
      }));
    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, p);
    new k8s.storage.v1.StorageClass(`${name}-${GP3_ENCRYPTED_STORAGE_CLASS}`, {
      metadata: {
        name: GP3_ENCRYPTED_STORAGE_CLASS,
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3', encrypted: 'true', fsType: 'ext4' },
      // Bind where the pod lands: each zone's volume follows its pod's zone.
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      // Data outlives an accidental PVC deletion.
      reclaimPolicy: 'Retain',
    }, { parent: this, provider: this.provider, dependsOn: [csi] });

    this.registerOutputs({
      name: this.name,
      endpoint: this.endpoint,
      oidcProviderArn: this.oidcProviderArn,
      backupBucket: this.backupBucket,
      backupRoleArn: this.backupRoleArn,
      nodeGroupNames: this.nodeGroupNames,
    });
  }
}

/**
 * The backup role's permissions: exactly what WAL-G runs. The members `wal-push` (PutObject) and
 * `wal-fetch` (GetObject); the base-backup job `backup-push` (ListBucket, PutObject with multipart
 * upload) and `delete retain` (ListBucket, GetObject of the sentinels, DeleteObject); SSE-KMS with the
 * bucket's key (GenerateDataKey to write, Decrypt to read). Each pod reaches only the keys under its
 * namespace (the `kubernetes-namespace` session tag EKS Pod Identity sets).
 * @see https://github.com/wal-g/wal-g/blob/master/docs/PostgreSQL.md
 * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-abac.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuAndPermissions.html
 * @internal
 */
export function backupPolicy(bucketArn: string, keyArn: string): { Version: string; Statement: Record<string, unknown>[] } {
  const own = '${aws:PrincipalTag/kubernetes-namespace}';
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ListOwnPrefix', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucketArn], Condition: { StringLike: { 's3:prefix': [`${own}/*`] } } },
      { Sid: 'BucketLocation', Effect: 'Allow', Action: ['s3:GetBucketLocation'], Resource: [bucketArn] },
      {
        Sid: 'OwnObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: [`${bucketArn}/${own}/*`],
      },
      { Sid: 'BucketKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], Resource: [keyArn] },
    ],
  };
}
