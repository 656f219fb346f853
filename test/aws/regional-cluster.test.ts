import { ACCOUNT, installMocks, settle, valueOf } from './mocks';
import { MultiAzVpc } from '../../lib/aws/multi-az-vpc';
import { CONTROL_PLANE_LOG_TYPES, GP3_ENCRYPTED_STORAGE_CLASS, RegionalCluster } from '../../lib/aws/regional-cluster';
import { ValidationError } from '../../lib/core/errors';
import { Platform } from '../../lib/core/platform';
import { PRODUCTION } from '../../stacks/platform';

const mocks = installMocks();
const platform = Platform.fromDescription(PRODUCTION);
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const ARN = (svc: string, name: string) => `arn:aws:${svc}::${ACCOUNT}:${name}`;
const RUNNER = ['198.18.7.0/28'];
const ISSUER_HOST = 'oidc.eks.example/id/USE1';

async function build(name = 'use1', args: Partial<ConstructorParameters<typeof RegionalCluster>[1]> = {},
  zones: string[] = ZONES): Promise<RegionalCluster> {
  const vpc = new MultiAzVpc(name, { region: platform.region('us-east-1'), zones });
  const cluster = new RegionalCluster(name, { vpc, publicAccessCidrs: RUNNER, ...args });
  await settle(mocks, cluster.urn, cluster.backupRoleArn, cluster.kubeconfig);
  return cluster;
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

beforeEach(() => mocks.reset());

describe('RegionalCluster defaults', () => {
  test('resolved fields', async () => {
    const c = await build();
    expect(c.clusterName).toBe('production-us-east-1');
    expect(c.kubernetesVersion).toBe('1.35'); // the platform description's (DEFAULT_KUBERNETES_VERSION)
    expect(c.publicAccessCidrs).toEqual(RUNNER);
    expect(Object.keys(c.nodeGroups)).toEqual(ZONES);
    expect(c.instanceTypes).toEqual(['m6i.xlarge']);
    expect(c.nodesPerZone).toEqual({ min: 1, desired: 2, max: 6 });
    expect(c.rootVolumeGiB).toBe(50);
    expect(c.backupServiceAccounts).toEqual([{ namespace: 'databases', name: 'database-backup' }]);
    expect(c.backupRoleName).toBe('production-us-east-1-db-backup');
    expect(c.backupLifecycle).toEqual({ transitionDays: 30, expirationDays: 365, noncurrentExpirationDays: 30 });
    expect(await valueOf(c.oidcIssuer)).toBe(`https://${ISSUER_HOST}`);
    expect(Object.keys(c.nodeGroupNames)).toEqual(ZONES);
  });

  test('control plane: private endpoint plus the runner\'s allow-list, secrets encrypted with a rotated KMS key, every log type', async () => {
    await build();
    const cluster = mocks.one('aws:eks/cluster:Cluster', 'use1').inputs;
    expect(cluster.vpcConfig).toEqual({
      subnetIds: ZONES.map(z => `use1-${z}-private-id`), endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: RUNNER,
    });
    expect(cluster.encryptionConfig).toEqual({ provider: { keyArn: ARN('kms', 'use1-secrets') }, resources: ['secrets'] });
    expect(cluster.enabledClusterLogTypes).toEqual([...CONTROL_PLANE_LOG_TYPES]);
    expect(cluster.enabledClusterLogTypes).toEqual(['api', 'audit', 'authenticator', 'controllerManager', 'scheduler']);
    expect(cluster).toMatchObject({ name: 'production-us-east-1', version: '1.35', zonalShiftConfig: { enabled: true } });
    expect(mocks.one('aws:kms/key:Key', 'use1-secrets').inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
    expect(mocks.one('aws:cloudwatch/logGroup:LogGroup', 'use1-control-plane').inputs)
      .toMatchObject({ name: '/aws/eks/production-us-east-1/cluster', retentionInDays: 90 });
  });

  test('the API endpoint: private for nodes, public only to the runner\'s allow-list; the in-program provider connects', async () => {
    const c = await build('pub', { publicAccessCidrs: ['198.18.7.0/28'] });
    expect(c.publicAccessCidrs).toEqual(['198.18.7.0/28']);
    expect(mocks.one('aws:eks/cluster:Cluster', 'pub').inputs.vpcConfig)
      .toMatchObject({ endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ['198.18.7.0/28'] });
    expect(mocks.errors).toEqual([]);
  });

  test('a private-only endpoint is refused before anything is registered (the program applies objects from outside the VPC)', () => {
    const vpc = new MultiAzVpc('priv', { region: platform.region('us-east-1') });
    expect(errorOf(() => new RegionalCluster('priv', { vpc, publicAccessCidrs: [] })).message).toBe(
      'RegionalCluster \'priv\': 1 problem:\n - publicAccessCidrs ([]) leaves the API endpoint private, but this program applies Kubernetes objects '
      + '(StorageClass, Helm releases, manifests) through an in-program provider from where `pulumi up` runs, outside the VPC it creates, '
      + 'so every one of them would time out; list the egress CIDRs `pulumi up` runs from (CI runner, VPN), e.g. ["198.18.7.0/28"]');
  });

  test('one managed node group per zone, in that zone only; IMDSv2 required with hop limit 1; encrypted gp3 root', async () => {
    await build();
    expect(mocks.ofType('aws:eks/nodeGroup:NodeGroup')).toHaveLength(3);
    for (const zone of ZONES) {
      const lt = mocks.one('aws:ec2/launchTemplate:LaunchTemplate', `use1-${zone}`).inputs;
      expect(lt.metadataOptions).toEqual({
        httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'disabled',
      });
      expect(lt.blockDeviceMappings).toEqual([{
        deviceName: '/dev/xvda', ebs: { volumeType: 'gp3', volumeSize: 50, encrypted: 'true', deleteOnTermination: 'true' },
      }]);
      const ng = mocks.one('aws:eks/nodeGroup:NodeGroup', `use1-${zone}`).inputs;
      expect(ng).toMatchObject({
        clusterName: 'production-us-east-1',
        subnetIds: [`use1-${zone}-private-id`],
        scalingConfig: { minSize: 1, desiredSize: 2, maxSize: 6 },
        updateConfig: { maxUnavailablePercentage: 33 },
        launchTemplate: { id: `use1-${zone}-id`, version: '1' },
        amiType: 'AL2023_x86_64_STANDARD',
        instanceTypes: ['m6i.xlarge'],
      });
    }
  });

  test('IRSA: OIDC provider for sts.amazonaws.com; EBS CSI driver with its own role; default encrypted gp3 StorageClass', async () => {
    await build();
    // Add-ons that run pods wait for the node groups.
    const groups = ZONES.map(z => `use1-${z}`);
    expect(mocks.dependsOn('aws:eks/addon:Addon', 'use1-ebs-csi')).toEqual(expect.arrayContaining(groups));
    expect(mocks.dependsOn('aws:eks/addon:Addon', 'use1-pod-identity-agent')).toEqual(expect.arrayContaining(groups));
    expect(mocks.one('aws:iam/openIdConnectProvider:OpenIdConnectProvider', 'use1-oidc').inputs)
      .toMatchObject({ url: `https://${ISSUER_HOST}`, clientIdLists: ['sts.amazonaws.com'] });
    expect(mocks.one('aws:eks/addon:Addon', 'use1-ebs-csi').inputs).toMatchObject({
      clusterName: 'production-us-east-1', addonName: 'aws-ebs-csi-driver', serviceAccountRoleArn: ARN('iam', 'use1-ebs-csi'),
    });
    const csiTrust = JSON.parse(mocks.one('aws:iam/role:Role', 'use1-ebs-csi').inputs.assumeRolePolicy);
    expect(csiTrust.Statement[0].Condition.StringEquals[`${ISSUER_HOST}:sub`]).toBe('system:serviceaccount:kube-system:ebs-csi-controller-sa');
    expect(GP3_ENCRYPTED_STORAGE_CLASS).toBe('gp3-encrypted');
    const sc = mocks.one('kubernetes:storage.k8s.io/v1:StorageClass', `use1-${GP3_ENCRYPTED_STORAGE_CLASS}`);
    expect(sc.inputs).toEqual({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'gp3-encrypted', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3', encrypted: 'true', fsType: 'ext4' },
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      reclaimPolicy: 'Retain',
    });
    expect(sc.provider).toMatch(/::use1-k8s::/);
  });

  test('backup bucket: SSE-KMS with its own key, versioning, public access blocked, TLS only, lifecycle', async () => {
    await build();
    expect(mocks.one('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration', 'use1-backup').inputs.rules)
      .toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: ARN('kms', 'use1-backup') }, bucketKeyEnabled: true }]);
    expect(mocks.one('aws:kms/key:Key', 'use1-backup').inputs.enableKeyRotation).toBe(true);
    expect(mocks.one('aws:s3/bucketVersioning:BucketVersioning', 'use1-backup').inputs.versioningConfiguration).toEqual({ status: 'Enabled' });
    expect(mocks.one('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', 'use1-backup').inputs).toMatchObject({
      blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
    });
    const policy = JSON.parse(mocks.one('aws:s3/bucketPolicy:BucketPolicy', 'use1-backup').inputs.policy);
    expect(policy.Statement).toEqual([{
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [ARN('s3', 'use1-backup'), `${ARN('s3', 'use1-backup')}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    }]);
    expect(mocks.one('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration', 'use1-backup').inputs.rules).toEqual([{
      id: 'backups',
      status: 'Enabled',
      filter: {},
      transitions: [{ days: 30, storageClass: 'GLACIER_IR' }],
      expiration: { days: 365 },
      noncurrentVersionExpiration: { noncurrentDays: 30 },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    }]);
  });

  test('the backup role (EKS Pod Identity): trusted by the service, bound to the listed service accounts only, each to its namespace\'s keys', async () => {
    await build('use1', { backupServiceAccounts: [{ namespace: 'orders', name: 'orders-db' }, { namespace: 'orders', name: 'orders-db-backup' }] });
    expect(mocks.one('aws:iam/role:Role', 'use1-backup').inputs.name).toBe('production-us-east-1-db-backup');
    expect(mocks.one('aws:s3/bucket:Bucket', 'use1-backup').inputs)
      .toMatchObject({ bucketPrefix: 'production-us-east-1-backup-', forceDestroy: false });
    const trust = JSON.parse(mocks.one('aws:iam/role:Role', 'use1-backup').inputs.assumeRolePolicy);
    expect(trust.Statement).toEqual([{
      Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'],
    }]);
    expect(mocks.ofType('aws:eks/podIdentityAssociation:PodIdentityAssociation').map(a => a.inputs)).toEqual([
      expect.objectContaining({ clusterName: 'production-us-east-1', namespace: 'orders', serviceAccount: 'orders-db', roleArn: ARN('iam', 'use1-backup') }),
      expect.objectContaining({ clusterName: 'production-us-east-1', namespace: 'orders', serviceAccount: 'orders-db-backup', roleArn: ARN('iam', 'use1-backup') }),
    ]);
    expect(mocks.dependsOn('aws:eks/podIdentityAssociation:PodIdentityAssociation', 'use1-backup-orders-orders-db')).toContain('use1-pod-identity-agent');
    // Every S3 and KMS call WAL-G makes (wal-push, wal-fetch, backup-push, delete retain), under the pod's own namespace only.
    const b = ARN('s3', 'use1-backup');
    const policy = JSON.parse(mocks.one('aws:iam/rolePolicy:RolePolicy', 'use1-backup').inputs.policy);
    expect(policy.Statement).toEqual([
      {
        Sid: 'ListOwnPrefix',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [b],
        Condition: { StringLike: { 's3:prefix': ['${aws:PrincipalTag/kubernetes-namespace}/*'] } },
      },
      { Sid: 'BucketLocation', Effect: 'Allow', Action: ['s3:GetBucketLocation'], Resource: [b] },
      {
        Sid: 'OwnObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: [`${b}/\${aws:PrincipalTag/kubernetes-namespace}/*`],
      },
      { Sid: 'BucketKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], Resource: [ARN('kms', 'use1-backup')] },
    ]);
  });

  test('an empty backup service account list is refused', () => {
    expect(errorOf(() => new RegionalCluster('none', { vpc: {} as any, publicAccessCidrs: RUNNER, backupServiceAccounts: [] })).problems.map(p => p.prop)).toEqual(['vpc']);
  });

  test('a fixed backup bucket name, for synthesizing its consumers in the same program', async () => {
    await build('named', { backupBucketName: 'acme-prod-use1-backups' });
    const bucket = mocks.one('aws:s3/bucket:Bucket', 'named-backup').inputs;
    expect(bucket.bucket).toBe('acme-prod-use1-backups');
    expect(bucket.bucketPrefix).toBeUndefined();
  });

  test('adding a zone adds a launch template and a node group and replaces nothing', async () => {
    await build('grow');
    const before = new Map(mocks.resources.map(r => [`${r.type}::${r.name}`, r.inputs]));
    mocks.reset();
    await build('grow', {}, [...ZONES, 'us-east-1d']);
    const after = new Map(mocks.resources.map(r => [`${r.type}::${r.name}`, r.inputs]));
    for (const k of before.keys()) expect(after.has(k)).toBe(true);
    for (const zone of ZONES) {
      const k = `aws:eks/nodeGroup:NodeGroup::grow-${zone}`;
      expect(after.get(k)).toEqual(before.get(k));
    }
    expect([...after.keys()].filter(k => !before.has(k) && /(NodeGroup|LaunchTemplate)/.test(k)).sort()).toEqual([
      'aws:ec2/launchTemplate:LaunchTemplate::grow-us-east-1d', 'aws:eks/nodeGroup:NodeGroup::grow-us-east-1d',
    ]);
    // The control plane spans the new zone's private subnet too (an in-place update of its subnets).
    expect(after.get('aws:eks/cluster:Cluster::grow')!.vpcConfig.subnetIds).toHaveLength(4);
  });
});

describe('RegionalCluster errors', () => {
  test('every bad arg at once, naming the component and the arg; nothing registered', async () => {
    const vpc = new MultiAzVpc('errs', { region: platform.region('us-east-1') });
    await settle(mocks, vpc.urn);
    const registered = mocks.resources.length;
    const e = errorOf(() => new RegionalCluster('errs', {
      vpc,
      publicAccessCidrs: ['0.0.0.0/0', 'office', '203.0.113.0/25'],
      nodesPerZone: { min: 0, desired: 2, max: 1 },
      backupServiceAccounts: [{ namespace: 'Databases' }],
      backupBucketName: 'My_Bucket',
    }));
    expect(e.message).toBe([
      'RegionalCluster \'errs\': 6 problems:',
      ' - publicAccessCidrs ("0.0.0.0/0") opens the API server to the whole internet; list the egress ranges `pulumi up` runs from (CI runner, VPN)',
      ' - publicAccessCidrs ("office") is not an IPv4 CIDR block; use e.g. "198.18.7.0/28"',
      ' - publicAccessCidrs ("203.0.113.0/25") is in the documentation range 203.0.113.0/24 (RFC 5737), a placeholder no runner egresses from; '
        + 'replace it with the egress range `pulumi up` runs from',
      ' - nodesPerZone ({"min":0,"desired":2,"max":1}) must be integers with 1 <= min <= desired <= max; '
        + 'e.g. { min: 1, desired: 2, max: 6 } (min 1 keeps each zone schedulable)',
      ' - backupServiceAccounts[0].namespace ("Databases") is not a namespace name; use a DNS label',
      ' - backupBucketName ("My_Bucket") is not an S3 bucket name; use 3-63 lower-case letters, digits, "-" and ".", '
        + 'or leave it unset for a generated name',
    ].join('\n'));
    await settle(mocks);
    expect(mocks.resources).toHaveLength(registered);
  });

  test('a vpc that is not a MultiAzVpc', () => {
    expect(errorOf(() => new RegionalCluster('novpc', { vpc: {} as any, publicAccessCidrs: RUNNER })).message)
      .toBe('RegionalCluster \'novpc\': 1 problem:\n - vpc ({}) is not a MultiAzVpc; pass the region\'s MultiAzVpc');
  });
});
