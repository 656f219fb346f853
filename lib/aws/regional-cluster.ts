import * as cloudwatch from '@pulumi/aws/cloudwatch';
import * as ec2 from '@pulumi/aws/ec2';
import * as eks from '@pulumi/aws/eks';
import * as iam from '@pulumi/aws/iam';
import * as kms from '@pulumi/aws/kms';
import * as s3 from '@pulumi/aws/s3';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { irsaTrustPolicy } from './irsa';
import { MultiAzVpc } from './multi-az-vpc';
import { nodeGroupReleaseVersion } from './node-ami';
import { podIdentityRole, serviceTrustPolicy } from './private/pod-identity';
import { RegionalClusterSettings, resolveRegionalClusterArgs } from './private/regional-cluster-args';
import { settingsOrThrow } from './private/resolve';
import { AwsTagsArgs } from './tags';
import { Provision, regionalClusterProvisions } from '../core/capabilities';
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

/** When backup objects change storage class and expire. */
export interface BackupLifecycle {
  /**
   * Days before backup objects move to Glacier Instant Retrieval (S3's minimum for it: 30).
   * @default 30
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html
   */
  readonly transitionDays?: number;
  /**
   * Days before backup objects expire (after the transition).
   * @default 365
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html
   */
  readonly expirationDays?: number;
  /**
   * Days a replaced or deleted version is kept.
   * @default 30
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-configuration-examples.html
   */
  readonly noncurrentExpirationDays?: number;
}

/** Arguments of {@link RegionalCluster}. */
export interface RegionalClusterArgs extends AwsTagsArgs {
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
   * The EKS-optimized AL2023 AMI release of every node (the managed node groups' `releaseVersion`, and
   * Karpenter's `al2023@<release>` alias): pinned, so new nodes run the image that was tested, and an AMI
   * update is a change here that rolls the node groups (and drifts Karpenter's nodes) on purpose.
   * `"latest"` follows AWS's newest image; refused when the platform's environment is `production`.
   * @default DEFAULT_NODE_AMI_RELEASE ('v20260714')
   * @see https://karpenter.sh/docs/tasks/managing-amis/
   * @see https://docs.aws.amazon.com/eks/latest/userguide/update-managed-node-group.html
   */
  readonly nodeAmiRelease?: string;
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
  readonly backupLifecycle?: BackupLifecycle;
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
}

/**
 * The default StorageClass this cluster creates: the name the stateful constructs (PatroniCluster,
 * EtcdCluster, RedisSentinel, KafkaCluster) request, taken from them so the two cannot drift.
 */
export const GP3_ENCRYPTED_STORAGE_CLASS: string = DEFAULT_STORAGE_CLASS;
/** Control-plane log types, all of them. */
export const CONTROL_PLANE_LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'] as const;

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
  /** Resolved node AMI release (`vYYYYMMDD`, or `latest` outside production). */
  public readonly nodeAmiRelease: string;
  /** Resolved backup service accounts. */
  public readonly backupServiceAccounts: readonly Required<ServiceAccountRef>[];
  /** Name of the backup IAM role: `<clusterName>-db-backup`, cut to IAM's 64 characters. */
  public readonly backupRoleName: string;
  /** Resolved lifecycle. */
  public readonly backupLifecycle: Required<BackupLifecycle>;
  /** The cluster's name as created. */
  public readonly name: pulumi.Output<string>;
  /** API endpoint. */
  public readonly endpoint: pulumi.Output<string>;
  /** The cluster's ARN (what a controller's `eks:DescribeCluster` grant names). */
  public readonly clusterArn: pulumi.Output<string>;
  /** The cluster security group EKS creates and attaches to the managed nodes (and, tagged for discovery, to Karpenter's). */
  public readonly clusterSecurityGroupId: pulumi.Output<string>;
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
  /** The EKS Pod Identity agent add-on: every Pod Identity association waits for it. */
  public readonly podIdentityAgent: eks.Addon;
  /** The EKS Pod Identity associations of the backup role, by `<namespace>/<service account>`. */
  public readonly backupAssociations: Readonly<Record<string, eks.PodIdentityAssociation>>;

  constructor(name: string, args: RegionalClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    const s = settingsOrThrow('RegionalCluster', name, resolveRegionalClusterArgs(name, args));
    super('nines:aws:RegionalCluster', name, {}, opts);
    this.clusterName = s.clusterName;
    this.kubernetesVersion = s.kubernetesVersion;
    this.provides = regionalClusterProvisions(s.vpc.zones, GP3_ENCRYPTED_STORAGE_CLASS);
    this.publicAccessCidrs = s.publicAccessCidrs;
    this.instanceTypes = s.instanceTypes;
    this.nodesPerZone = s.nodesPerZone;
    this.rootVolumeGiB = s.rootVolumeGiB;
    this.nodeAmiRelease = s.nodeAmiRelease;
    this.backupServiceAccounts = s.backupServiceAccounts;
    this.backupLifecycle = s.backupLifecycle;
    this.backupRoleName = s.backupRoleName;

    const { cluster, secretsKey } = this.controlPlane(name, s);
    this.name = cluster.name;
    this.endpoint = cluster.endpoint;
    this.clusterArn = cluster.arn;
    this.clusterSecurityGroupId = cluster.vpcConfig.apply(v => v.clusterSecurityGroupId);
    this.secretsKeyArn = secretsKey.arn;
    this.oidcIssuer = cluster.identities.apply(ids => ids?.[0]?.oidcs?.[0]?.issuer ?? '');
    // IRSA, for the EBS CSI driver (and ClusterAddons' load balancer controller).
    const oidc = new iam.OpenIdConnectProvider(`${name}-oidc`, {
      url: this.oidcIssuer, clientIdLists: ['sts.amazonaws.com'], tags: s.tags,
    }, { parent: this });
    this.oidcProviderArn = oidc.arn;
    this.nodeGroups = this.nodes(name, s, cluster);
    this.nodeGroupNames = Object.fromEntries(Object.entries(this.nodeGroups).map(([zone, g]) => [zone, g.nodeGroupName]));
    const { csi, podIdentityAgent } = this.eksAddons(name, s, cluster);
    this.podIdentityAgent = podIdentityAgent;
    const backup = this.backups(name, s, cluster, podIdentityAgent);
    this.backupKeyArn = backup.key.arn;
    this.backupBucket = backup.bucket.bucket;
    this.backupRoleArn = backup.role.arn;
    this.backupAssociations = backup.associations;
    this.kubeconfig = kubeconfigOf(cluster);
    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this });
    this.defaultStorageClass(name, csi);

    this.registerOutputs({
      name: this.name,
      endpoint: this.endpoint,
      oidcProviderArn: this.oidcProviderArn,
      backupBucket: this.backupBucket,
      backupRoleArn: this.backupRoleArn,
      nodeGroupNames: this.nodeGroupNames,
    });
  }

  /** The control plane: KMS-encrypted secrets, every log type (retention ours), private + allow-listed public endpoint. */
  private controlPlane(name: string, s: RegionalClusterSettings): { cluster: eks.Cluster; secretsKey: kms.Key } {
    const p = { parent: this };
    const tags = s.tags;
    const secretsKey = new kms.Key(`${name}-secrets`, {
      description: `EKS secrets envelope encryption for ${s.clusterName}`, enableKeyRotation: true, deletionWindowInDays: 30, tags,
    }, p);
    new kms.Alias(`${name}-secrets`, { name: `alias/${s.clusterName}-eks-secrets`, targetKeyId: secretsKey.keyId }, p);
    const clusterRole = new iam.Role(`${name}-cluster`, { assumeRolePolicy: serviceTrustPolicy('eks.amazonaws.com'), tags }, p);
    new iam.RolePolicyAttachment(`${name}-cluster`, { role: clusterRole.name, policyArn: policyArn('AmazonEKSClusterPolicy') }, p);
    // Created before the cluster so the retention is ours, not "never expire".
    const logGroup = new cloudwatch.LogGroup(`${name}-control-plane`, {
      name: `/aws/eks/${s.clusterName}/cluster`, retentionInDays: s.logRetentionDays, tags,
    }, p);
    const cluster = new eks.Cluster(name, {
      name: s.clusterName,
      version: s.kubernetesVersion,
      roleArn: clusterRole.arn,
      vpcConfig: {
        subnetIds: s.vpc.zones.map(z => s.vpc.privateSubnetIds[z]),
        endpointPrivateAccess: true,
        endpointPublicAccess: s.publicAccessCidrs.length > 0,
        publicAccessCidrs: s.publicAccessCidrs.length > 0 ? [...s.publicAccessCidrs] : undefined,
      },
      encryptionConfig: { provider: { keyArn: secretsKey.arn }, resources: ['secrets'] },
      enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
      accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: true },
      zonalShiftConfig: { enabled: true },
      tags,
    }, { parent: this, dependsOn: [logGroup] });
    return { cluster, secretsKey };
  }

  /** One managed node group per zone, each from a launch template (IMDSv2 with hop limit 1, encrypted gp3 root). */
  private nodes(name: string, s: RegionalClusterSettings, cluster: eks.Cluster): Record<string, eks.NodeGroup> {
    const p = { parent: this };
    const nodeRole = new iam.Role(`${name}-nodes`, { assumeRolePolicy: serviceTrustPolicy('ec2.amazonaws.com'), tags: s.tags }, p);
    for (const policy of ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryReadOnly', 'AmazonEKS_CNI_Policy', 'AmazonSSMManagedInstanceCore']) {
      new iam.RolePolicyAttachment(`${name}-nodes-${policy}`, { role: nodeRole.name, policyArn: policyArn(policy) }, p);
    }
    const nodeGroups: Record<string, eks.NodeGroup> = {};
    for (const zone of s.vpc.zones) {
      const zoneTags = { ...s.tags, 'nines.dev/zone': zone };
      const lt = new ec2.LaunchTemplate(`${name}-${zone}`, {
        description: `EKS nodes of ${s.clusterName} in ${zone}`,
        metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'disabled' },
        blockDeviceMappings: [{
          deviceName: '/dev/xvda',
          ebs: { volumeType: 'gp3', volumeSize: s.rootVolumeGiB, encrypted: 'true', deleteOnTermination: 'true' },
        }],
        tagSpecifications: [{ resourceType: 'instance', tags: zoneTags }, { resourceType: 'volume', tags: zoneTags }],
        updateDefaultVersion: true,
        tags: s.tags,
      }, p);
      nodeGroups[zone] = new eks.NodeGroup(`${name}-${zone}`, {
        clusterName: cluster.name,
        nodeGroupNamePrefix: `${zone}-`,
        nodeRoleArn: nodeRole.arn,
        subnetIds: [s.vpc.privateSubnetIds[zone]],
        amiType: 'AL2023_x86_64_STANDARD',
        // The pinned AMI release (unset with `latest`: EKS's newest at creation, kept until updated).
        releaseVersion: nodeGroupReleaseVersion(s.nodeAmiRelease, s.kubernetesVersion),
        capacityType: 'ON_DEMAND',
        instanceTypes: [...s.instanceTypes],
        scalingConfig: { minSize: s.nodesPerZone.min, desiredSize: s.nodesPerZone.desired, maxSize: s.nodesPerZone.max },
        updateConfig: { maxUnavailablePercentage: 33 },
        launchTemplate: { id: lt.id, version: pulumi.interpolate`${lt.latestVersion}` },
        labels: { 'nines.dev/zone': zone },
        tags: zoneTags,
      }, { parent: this, ignoreChanges: ['scalingConfig.desiredSize'] });
    }
    return nodeGroups;
  }

  /** The EKS add-ons: EBS CSI driver (IRSA) and the Pod Identity agent once nodes can take their pods; the VPC CNI enforcing NetworkPolicy. */
  private eksAddons(name: string, s: RegionalClusterSettings, cluster: eks.Cluster): { csi: eks.Addon; podIdentityAgent: eks.Addon } {
    const tags = s.tags;
    const afterNodes = { parent: this, dependsOn: Object.values(this.nodeGroups) };
    const addon = { clusterName: cluster.name, resolveConflictsOnCreate: 'OVERWRITE', resolveConflictsOnUpdate: 'PRESERVE', tags };
    const csiRole = new iam.Role(`${name}-ebs-csi`, {
      assumeRolePolicy: irsaTrustPolicy(this.oidcProviderArn, this.oidcIssuer, [{ namespace: 'kube-system', name: 'ebs-csi-controller-sa' }]), tags,
    }, { parent: this });
    new iam.RolePolicyAttachment(`${name}-ebs-csi`, {
      role: csiRole.name, policyArn: policyArn('service-role/AmazonEBSCSIDriverPolicy'),
    }, { parent: this });
    const csi = new eks.Addon(`${name}-ebs-csi`, { ...addon, addonName: 'aws-ebs-csi-driver', serviceAccountRoleArn: csiRole.arn }, afterNodes);
    // EKS Pod Identity, chosen over IRSA for the workloads: the association (cluster, namespace,
    // service account -> role) lives on the AWS side, so the manifests carry no role ARN and no
    // account id, and the session tags (kubernetes-namespace, ...) scope a shared role per namespace.
    // @see https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html
    const podIdentityAgent = new eks.Addon(`${name}-pod-identity-agent`, { ...addon, addonName: 'eks-pod-identity-agent' }, afterNodes);
    // Without enableNetworkPolicy the VPC CNI accepts NetworkPolicies and enforces none: its node
    // agent (eBPF) runs only when the add-on's configuration turns it on.
    // https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html
    new eks.Addon(`${name}-vpc-cni`, {
      ...addon,
      addonName: 'vpc-cni',
      configurationValues: JSON.stringify({ enableNetworkPolicy: 'true' }),
      resolveConflictsOnUpdate: 'OVERWRITE',
    }, { parent: this });
    return { csi, podIdentityAgent };
  }

  /**
   * The backup bucket (SSE-KMS with its own key, versioning, public access blocked, TLS only,
   * lifecycle) and the backup role, associated (Pod Identity) with the backup service accounts only.
   */
  private backups(name: string, s: RegionalClusterSettings, cluster: eks.Cluster, podIdentityAgent: eks.Addon) {
    const p = { parent: this };
    const tags = s.tags;
    const key = new kms.Key(`${name}-backup`, {
      description: `Database backups of ${s.clusterName}`, enableKeyRotation: true, deletionWindowInDays: 30, tags,
    }, p);
    new kms.Alias(`${name}-backup`, { name: `alias/${s.clusterName}-backup`, targetKeyId: key.keyId }, p);
    const bucket = new s3.Bucket(`${name}-backup`, {
      ...(s.backupBucketName ? { bucket: s.backupBucketName }
        : { bucketPrefix: `${s.clusterName.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 29)}-backup-` }),
      forceDestroy: false,
      tags,
    }, p);
    new s3.BucketPublicAccessBlock(`${name}-backup`, {
      bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
    }, p);
    new s3.BucketVersioning(`${name}-backup`, { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } }, p);
    new s3.BucketServerSideEncryptionConfiguration(`${name}-backup`, {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }],
    }, p);
    const l = s.backupLifecycle;
    new s3.BucketLifecycleConfiguration(`${name}-backup`, {
      bucket: bucket.id,
      rules: [{
        id: 'backups',
        status: 'Enabled',
        filter: {},
        transitions: [{ days: l.transitionDays, storageClass: 'GLACIER_IR' }],
        expiration: { days: l.expirationDays },
        noncurrentVersionExpiration: { noncurrentDays: l.noncurrentExpirationDays },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      }],
    }, p);
    new s3.BucketPolicy(`${name}-backup`, { bucket: bucket.id, policy: bucket.arn.apply(arn => JSON.stringify(tlsOnlyPolicy(arn))) }, p);
    const accounts = s.backupServiceAccounts.map(a => ({ ...a, resourceName: `${name}-backup-${a.namespace}-${a.name}` }));
    const policy = pulumi.all([bucket.arn, key.arn]).apply(([b, k]) => JSON.stringify(backupPolicy(b, k)));
    const { role, associations } = podIdentityRole(this, `${name}-backup`, { name: cluster.name, podIdentityAgent }, accounts, policy, tags, s.backupRoleName);
    return { key, bucket, role, associations };
  }

  /** The default StorageClass the stateful constructs request, once the EBS CSI driver runs. */
  private defaultStorageClass(name: string, csi: eks.Addon): void {
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
  }
}


/** A bucket policy refusing every request not made over TLS. */
function tlsOnlyPolicy(bucketArn: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [{
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    }],
  };
}

/** A kubeconfig for the cluster that authenticates with `aws eks get-token`. */
function kubeconfigOf(cluster: eks.Cluster): pulumi.Output<string> {
  return pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority]).apply(([n, endpoint, ca]) =>
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
