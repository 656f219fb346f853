import { installMocks, settle } from './mocks';
import {
  DEFAULT_KARPENTER_VERSION, Karpenter, KARPENTER_CHARTS, KARPENTER_INTERRUPTION_EVENTS, karpenterControllerPolicy, nodePool, nodePoolLimitsFor,
} from '../../lib/aws/karpenter';
import { MultiAzVpc } from '../../lib/aws/multi-az-vpc';
import { RegionalCluster } from '../../lib/aws/regional-cluster';
import { imagesInHelmValues } from '../../lib/core/images';
import { Platform } from '../../lib/core/platform';
import { PRODUCTION } from '../../stacks/platform';
import { validationErrorOf } from '../util/errors';
import '../util/karpenter-schemas';
import { validateAll } from '../util/schema';

const mocks = installMocks();
const platform = Platform.fromDescription(PRODUCTION);
const RELEASE = 'kubernetes:helm.sh/v3:Release';
const CR_NODEPOOL = 'kubernetes:karpenter.sh/v1:NodePool';
const CR_NODECLASS = 'kubernetes:karpenter.k8s.aws/v1:EC2NodeClass';
const LIMITS = nodePoolLimitsFor(8);

async function build(name = 'use1', version?: string): Promise<{ k: Karpenter; vpc: MultiAzVpc; cluster: RegionalCluster }> {
  const vpc = new MultiAzVpc(name, { region: platform.region('us-east-1') });
  const cluster = new RegionalCluster(name, { vpc, publicAccessCidrs: ['198.18.7.0/28'] });
  const k = new Karpenter(name, { cluster, vpc, limitsPerZone: LIMITS, ...(version ? { version } : {}) });
  await settle(mocks, k.urn, k.controllerRoleArn, ...Object.values(k.nodePools).map(p => p.urn));
  return { k, vpc, cluster };
}

/** Every `type::name` a registration depends on, transitively. */
function closure(key: string): Set<string> {
  const out = new Set<string>();
  const todo = [key];
  while (todo.length > 0) {
    for (const urn of mocks.dependencies.get(todo.pop()!) ?? []) {
      const parts = urn.split('::');
      const n = parts.pop()!;
      const k = `${parts.pop()!.split('$').pop()!}::${n}`;
      if (!out.has(k)) {
        out.add(k);
        todo.push(k);
      }
    }
  }
  return out;
}

beforeEach(() => mocks.reset());

describe('Karpenter', () => {
  test('the mocks see no ordering mistake: the controller after the node groups and its CRDs, the NodePools after the controller', async () => {
    const { vpc } = await build();
    expect(mocks.errors).toEqual([]);
    const deps = closure(`${RELEASE}::use1-karpenter`);
    for (const zone of vpc.zones) expect(deps).toContain(`aws:eks/nodeGroup:NodeGroup::use1-${zone}`);
    expect(deps).toContain(`${RELEASE}::use1-karpenter-crd`);
    expect(deps).toContain('aws:eks/podIdentityAssociation:PodIdentityAssociation::use1-karpenter');
    expect(deps).toContain('aws:eks/accessEntry:AccessEntry::use1-karpenter-node');
    for (const zone of vpc.zones) expect(closure(`${CR_NODEPOOL}::use1-karpenter-${zone}`)).toContain(`${RELEASE}::use1-karpenter`);
  });

  test('the releases: pinned OCI charts in kube-system, CRDs from their own chart, the interruption queue set', async () => {
    await build();
    const rs = Object.fromEntries(mocks.ofType(RELEASE).map(r => [r.inputs.name, r.inputs]));
    expect(rs['karpenter-crd']).toMatchObject({ chart: KARPENTER_CHARTS.crds, version: '1.9.2', namespace: 'kube-system', atomic: true });
    expect(rs.karpenter).toMatchObject({ chart: KARPENTER_CHARTS.controller, version: '1.9.2', namespace: 'kube-system', skipCrds: true });
    expect(rs.karpenter.values.settings).toEqual({ clusterName: 'production-us-east-1', interruptionQueue: 'production-us-east-1' });
    expect(rs.karpenter.values.serviceAccount).toEqual({ create: true, name: 'karpenter' });
    // The requests the capacity model counts on the static nodes (the chart's default is none).
    // The controller image explicit, by the release's digest (the image scan sees it); the CRD chart deploys none.
    expect(imagesInHelmValues(rs.karpenter.values)).toEqual([
      'public.ecr.aws/karpenter/controller:1.9.2@sha256:daa1a6ab518560d48db0e3137111ca14ad97a92595548fbdd5e27e1f08c35a0d',
    ]);
    expect(imagesInHelmValues(rs['karpenter-crd'].values)).toEqual([]);
    expect(rs.karpenter.values.controller.resources).toEqual({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } });
    expect(DEFAULT_KARPENTER_VERSION).toBe('1.9.2');
  });

  test('NodePools cover every zone, each limited to its own zone, with the capacity model\'s limits; valid against Karpenter 1.9.2\'s CRDs', async () => {
    const { vpc } = await build();
    const pools = mocks.ofType(CR_NODEPOOL).map(r => r.inputs);
    const zoneOf = (p: any) => p.spec.template.spec.requirements.find((r: any) => r.key === 'topology.kubernetes.io/zone');
    expect(pools.map(p => zoneOf(p).values).sort()).toEqual(vpc.zones.map(z => [z]).sort());
    for (const p of pools) {
      expect(zoneOf(p).operator).toBe('In');
      expect(p.spec.limits).toEqual({ cpu: '32', memory: '128Gi' });
      expect(p.spec.template.spec.nodeClassRef).toEqual({ group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' });
    }
    const [nodeClass] = mocks.ofType(CR_NODECLASS).map(r => r.inputs);
    expect(nodeClass.spec.metadataOptions).toEqual({ httpEndpoint: 'enabled', httpProtocolIPv6: 'disabled', httpPutResponseHopLimit: 1, httpTokens: 'required' });
    expect(nodeClass.spec.subnetSelectorTerms).toEqual([{ tags: { 'karpenter.sh/discovery': 'production-us-east-1' } }]);
    const strip = (o: any) => { const { metadata, ...rest } = o; return { ...rest, metadata: { name: metadata.name } }; };
    expect(validateAll([...pools, nodeClass].map(strip))).toEqual([]);
  });

  test('the schemas reject what Karpenter would: an unknown field, a zone requirement with a bad operator', () => {
    const p = nodePool('us-east-1a', 'default', ['m6i.xlarge'], LIMITS);
    p.spec.template.spec.requirements[0].operator = 'Within';
    p.spec.disruption.consolidateEvery = '5m';
    expect(validateAll([p]).join('\n')).toMatch(/consolidateEvery: unknown field/);
    expect(validateAll([p]).join('\n')).toMatch(/requirements\[0\]\.operator/);
  });

  test('discovery tags on every private subnet and the cluster security group; an EC2_LINUX access entry for the node role', async () => {
    const { vpc } = await build();
    expect(mocks.ofType('aws:ec2/tag:Tag').map(r => [r.inputs.resourceId, r.inputs.key, r.inputs.value]))
      .toEqual([['sg-use1-cluster', 'karpenter.sh/discovery', 'production-us-east-1']]);
    for (const zone of vpc.zones) {
      expect(mocks.one('aws:ec2/subnet:Subnet', `use1-${zone}-private`).inputs.tags['karpenter.sh/discovery']).toBe('production-us-east-1');
      expect(mocks.one('aws:ec2/subnet:Subnet', `use1-${zone}-public`).inputs.tags['karpenter.sh/discovery']).toBeUndefined();
    }
    const [entry] = mocks.ofType('aws:eks/accessEntry:AccessEntry').map(r => r.inputs);
    expect(entry.type).toBe('EC2_LINUX');
    expect(entry.principalArn).toMatch(/use1-karpenter-node$/);
  });

  test('the interruption queue and the four EventBridge rules feeding it', async () => {
    await build();
    const [queue] = mocks.ofType('aws:sqs/queue:Queue').map(r => r.inputs);
    expect(queue).toMatchObject({ name: 'production-us-east-1', messageRetentionSeconds: 300, sqsManagedSseEnabled: true });
    const rules = mocks.ofType('aws:cloudwatch/eventRule:EventRule').map(r => JSON.parse(r.inputs.eventPattern));
    expect(rules).toEqual(Object.values(KARPENTER_INTERRUPTION_EVENTS));
    expect(mocks.ofType('aws:cloudwatch/eventTarget:EventTarget').map(r => r.inputs.arn)).toEqual(Array(4).fill(expect.stringMatching(/use1-karpenter$/)));
  });

  test('the controller role can do only what Karpenter\'s documented policy says, through Pod Identity for its one service account', async () => {
    await build();
    const role = mocks.ofType('aws:iam/role:Role').find(r => r.name === 'use1-karpenter-controller')!;
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] },
    ]);
    // One inline policy, no managed policy attached.
    expect(mocks.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').filter(r => String(r.inputs.role).includes('controller'))).toEqual([]);
    const policies = mocks.ofType('aws:iam/rolePolicy:RolePolicy').filter(r => r.name === 'use1-karpenter-controller');
    expect(policies).toHaveLength(1);
    const doc = JSON.parse(policies[0].inputs.policy);
    // Every Allow names actions exactly (no wildcard action), and each mutating EC2/IAM action carries the cluster's tag condition.
    const actions = doc.Statement.flatMap((s: any) => [s.Action].flat());
    expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
    expect(new Set(actions)).toEqual(new Set([
      'ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate', 'ec2:CreateTags', 'ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate',
      'ec2:DescribeCapacityReservations', 'ec2:DescribeImages', 'ec2:DescribeInstances', 'ec2:DescribeInstanceTypeOfferings',
      'ec2:DescribeInstanceTypes', 'ec2:DescribeLaunchTemplates', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSpotPriceHistory',
      'ec2:DescribeSubnets', 'ssm:GetParameter', 'pricing:GetProducts', 'sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage',
      'iam:PassRole', 'iam:CreateInstanceProfile', 'iam:TagInstanceProfile', 'iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile',
      'iam:DeleteInstanceProfile', 'iam:ListInstanceProfiles', 'iam:GetInstanceProfile', 'eks:DescribeCluster',
    ]));
    const by = (sid: string) => doc.Statement.find((s: any) => s.Sid === sid);
    expect(by('AllowPassingInstanceRole').Resource).toMatch(/use1-karpenter-node$/);
    expect(by('AllowInterruptionQueueActions').Resource).toMatch(/use1-karpenter$/);
    expect(by('AllowAPIServerEndpointDiscovery').Resource).toMatch(/:use1$/);
    for (const sid of ['AllowScopedEC2InstanceActionsWithTags', 'AllowScopedResourceCreationTagging']) {
      expect(by(sid).Condition.StringEquals['aws:RequestTag/kubernetes.io/cluster/production-us-east-1']).toBe('owned');
      expect(by(sid).Condition.StringEquals['aws:RequestTag/eks:eks-cluster-name']).toBe('production-us-east-1');
    }
    expect(by('AllowScopedDeletion').Condition.StringEquals).toEqual({ 'aws:ResourceTag/kubernetes.io/cluster/production-us-east-1': 'owned' });
    expect(by('AllowScopedInstanceProfileActions').Resource).toBe('arn:aws:iam::210987654321:instance-profile/*');
    expect(by('AllowRegionalReadActions').Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': 'us-east-1' } });
    const [assoc] = mocks.ofType('aws:eks/podIdentityAssociation:PodIdentityAssociation').filter(r => r.name === 'use1-karpenter').map(r => r.inputs);
    expect([assoc.namespace, assoc.serviceAccount]).toEqual(['kube-system', 'karpenter']);
  });

  test('the policy has the 17 statements of Karpenter v1.9\'s cloudformation.yaml, its account read from the node role\'s ARN', () => {
    const doc = karpenterControllerPolicy({
      clusterName: 'c', region: 'eu-west-1', interruptionQueueArn: 'q', nodeRoleArn: 'arn:aws:iam::123456789012:role/n', clusterArn: 'k',
    });
    expect(doc.Statement.map(s => s.Sid)).toEqual([
      'AllowScopedEC2InstanceAccessActions', 'AllowScopedEC2LaunchTemplateAccessActions', 'AllowScopedEC2InstanceActionsWithTags',
      'AllowScopedResourceCreationTagging', 'AllowScopedResourceTagging', 'AllowScopedDeletion', 'AllowPassingInstanceRole',
      'AllowScopedInstanceProfileCreationActions', 'AllowScopedInstanceProfileTagActions', 'AllowScopedInstanceProfileActions',
      'AllowAPIServerEndpointDiscovery', 'AllowInterruptionQueueActions', 'AllowRegionalReadActions', 'AllowSSMReadActions',
      'AllowPricingReadActions', 'AllowUnscopedInstanceProfileListAction', 'AllowInstanceProfileReadActions',
    ]);
    // The node role (PassRole) and the instance profiles of 4 statements: the node role's account, nowhere typed.
    expect(JSON.stringify(doc).match(/\d{12}/g)).toEqual(Array(5).fill('123456789012'));
  });

  test('a pin that does not support the platform\'s Kubernetes version, and bad limits, are refused with every problem at once', () => {
    const vpc = new MultiAzVpc('bad', { region: platform.region('us-east-1') });
    const cluster = new RegionalCluster('bad', { vpc, publicAccessCidrs: ['198.18.7.0/28'] });
    const e = validationErrorOf(() => new Karpenter('bad', { cluster, vpc, version: '1.8.2', limitsPerZone: { cpu: 0, memoryGiB: 64 } }));
    expect(e.message).toBe([
      'Karpenter \'bad\': 2 problems:',
      ' - limitsPerZone.cpu (0) is not a positive number; derive it from the capacity model (regionCapacity): the static node group\'s size per zone',
      ' - version.karpenter ("1.8.2") installs Karpenter 1.8, which supports Kubernetes 1.26-1.34, not 1.35 (https://karpenter.sh/docs/upgrading/compatibility/); '
        + 'pin a release that supports 1.35 (recorded: 1.8 (1.26-1.34), 1.9 (1.26-1.35), 1.10 (1.26-1.35), 1.11 (1.26-1.35)), or change kubernetesVersion',
    ].join('\n'));
  });
});
