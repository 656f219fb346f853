import * as cloudwatch from '@pulumi/aws/cloudwatch';
import * as ec2 from '@pulumi/aws/ec2';
import * as eks from '@pulumi/aws/eks';
import * as iam from '@pulumi/aws/iam';
import * as sqs from '@pulumi/aws/sqs';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { karpenterImageValues } from './addon-images';
import type { MultiAzVpc } from './multi-az-vpc';
import { karpenterAmiAlias } from './node-ami';
import type { RegionalCluster } from './regional-cluster';
import { AwsTagsArgs } from './tags';
import { KARPENTER_CONTROLLER_RESOURCES } from '../core/addon-capacity';
import { karpenterProvisions, Provision } from '../core/capabilities';
import { resolveKarpenterArgsIn } from './private/karpenter-args';
import { resolveOnCluster } from './private/on-cluster';
import { podIdentityRole } from './private/pod-identity';
import { settingsOrThrow } from './private/resolve';

/**
 * Karpenter's charts (OCI, on Amazon ECR Public): `karpenter-crd` holds the CRDs as a chart of its
 * own, so Helm upgrades them (a chart's `crds/` folder is installed once and never upgraded).
 * @see https://karpenter.sh/docs/upgrading/upgrade-guide/ ("CRD Upgrades")
 */
export const KARPENTER_CHARTS = {
  crds: 'oci://public.ecr.aws/karpenter/karpenter-crd',
  controller: 'oci://public.ecr.aws/karpenter/karpenter',
} as const;

/**
 * The Karpenter release pinned by default: v1.9, the LTS line (supported until Feb 2027), which
 * supports Kubernetes 1.29-1.35 (ADDON_KUBERNETES_SUPPORT.karpenter).
 * @see https://karpenter.sh/v1.9/upgrading/upgrade-guide/
 * @see https://karpenter.sh/docs/upgrading/compatibility/
 */
export const DEFAULT_KARPENTER_VERSION = '1.9.2';

/** The controller's service account (the only subject its role is associated with). */
export const KARPENTER_SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'karpenter' } as const;

/** The tag Karpenter's EC2NodeClass selects the private subnets and the node security group by. */
export const KARPENTER_DISCOVERY_TAG = 'karpenter.sh/discovery';

/** The largest size each zone's NodePool may reach, on top of the zone's static node group. */
export interface NodePoolLimits {
  /** vCPU (instance capacity, not allocatable: what Karpenter counts against `limits.cpu`). */
  readonly cpu: number;
  /** Memory in GiB (instance capacity). */
  readonly memoryGiB: number;
}

/**
 * m6i.xlarge's capacity as Karpenter counts it against a NodePool's limits: 4 vCPU, 16 GiB.
 * @see https://aws.amazon.com/ec2/instance-types/m6i/
 */
export const M6I_XLARGE_CAPACITY: NodePoolLimits = { cpu: 4, memoryGiB: 16 };

/**
 * A NodePool's limits for `nodes` nodes of `capacity`. The Pulumi program gives each zone the nodes the
 * capacity model says it needs beyond its static floor at the peak: `regionCapacity(...).peak.autoscaledNodesPerZone`
 * (every HPA at its maxReplicas, one zone lost).
 */
export function nodePoolLimitsFor(nodesPerZone: number, capacity: NodePoolLimits = M6I_XLARGE_CAPACITY): NodePoolLimits {
  return { cpu: nodesPerZone * capacity.cpu, memoryGiB: nodesPerZone * capacity.memoryGiB };
}

/** Arguments of {@link Karpenter}. */
export interface KarpenterArgs extends AwsTagsArgs {
  /**
   * The region's cluster: its node groups (the controller runs there, not on nodes it launches),
   * Pod Identity agent, cluster security group and Kubernetes provider.
   * @see RegionalCluster
   */
  readonly cluster: RegionalCluster;
  /**
   * The region's VPC: its zones (one NodePool each) and private subnets (tagged for discovery).
   * @see MultiAzVpc
   */
  readonly vpc: MultiAzVpc;
  /**
   * Each zone's NodePool limits. Derive them from the capacity model (`regionCapacity(...).peak`): the
   * Pulumi program gives each zone what every HPA at its maximum needs beyond the static node group,
   * with one zone lost.
   * @see https://karpenter.sh/docs/concepts/nodepools/#speclimits
   */
  readonly limitsPerZone: NodePoolLimits;
  /**
   * Chart version of `karpenter` and `karpenter-crd` (they must match).
   * @default DEFAULT_KARPENTER_VERSION
   * @see https://karpenter.sh/docs/upgrading/compatibility/
   */
  readonly version?: string;
  /**
   * Instance types the NodePools may launch.
   * @default the cluster's instanceTypes
   * @see https://karpenter.sh/docs/concepts/nodepools/#instance-types
   */
  readonly instanceTypes?: readonly string[];
}

/**
 * Node autoscaling with Karpenter, zone-aware: one NodePool per zone (each limited, each pinned to
 * its zone by a `topology.kubernetes.io/zone` requirement), one EC2NodeClass (IMDSv2 with hop
 * limit 1, encrypted gp3 root), a node role with an EKS access entry, the controller's role through
 * EKS Pod Identity with exactly the controller policy Karpenter v1.9 documents, and the SQS interruption
 * queue fed by the four EventBridge rules. The controller runs on the static node groups (the
 * chart's default affinity keeps it off the nodes it launches) and installs after them and after
 * its CRDs; the NodePools apply after the controller.
 */
export class Karpenter extends pulumi.ComponentResource {
  /** Resolved chart version. */
  public readonly version: string;
  /** What it provides (the capability contract, lib/core/capabilities.ts): nodes, and node autoscaling, in every zone. */
  public readonly provides: readonly Provision[];
  /** Resolved NodePool limits per zone. */
  public readonly limitsPerZone: NodePoolLimits;
  /** The controller's role (EKS Pod Identity). */
  public readonly controllerRoleArn: pulumi.Output<string>;
  /** The role of the nodes Karpenter launches. */
  public readonly nodeRoleArn: pulumi.Output<string>;
  /** The interruption queue's name. */
  public readonly interruptionQueueName: pulumi.Output<string>;
  /** The releases: `karpenter-crd` and `karpenter`. */
  public readonly releases: Readonly<Record<'karpenter-crd' | 'karpenter', k8s.helm.v3.Release>>;
  /** The NodePools by zone. */
  public readonly nodePools: Readonly<Record<string, k8s.apiextensions.CustomResource>>;

  constructor(name: string, args: KarpenterArgs, opts?: pulumi.ComponentResourceOptions) {
    const s = settingsOrThrow('Karpenter', name, resolveOnCluster('Karpenter', name, args, resolveKarpenterArgsIn));
    super('nines:aws:Karpenter', name, {}, opts);
    const { cluster, vpc, version, tags } = s;
    this.version = version;
    this.provides = karpenterProvisions(vpc.zones);
    this.limitsPerZone = s.limitsPerZone;
    const p = { parent: this };
    const region = vpc.region.name;

    // Discovery: the EC2NodeClass selects the private subnets (MultiAzVpc tags them) and the cluster
    // security group by this tag. EKS creates that group, so a separate tag resource is the only way to tag it.
    // @see https://karpenter.sh/docs/getting-started/getting-started-with-karpenter/ ("Add tags to subnets and security groups")
    const discovery = new ec2.Tag(`${name}-karpenter-discovery-sg`, {
      resourceId: cluster.clusterSecurityGroupId, key: KARPENTER_DISCOVERY_TAG, value: cluster.clusterName,
    }, p);

    // The node role: the four managed policies of Karpenter's KarpenterNodeRole (cloudformation.yaml).
    const nodeRole = new iam.Role(`${name}-karpenter-node`, {
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: ['sts:AssumeRole'] }],
      }),
      tags,
    }, p);
    for (const policy of KARPENTER_NODE_POLICIES) {
      new iam.RolePolicyAttachment(`${name}-karpenter-node-${policy}`, { role: nodeRole.name, policyArn: `arn:aws:iam::aws:policy/${policy}` }, p);
    }
    // The nodes join through an access entry of type EC2_LINUX (the cluster's authentication mode is API).
    // @see https://karpenter.sh/docs/getting-started/migrating-from-cas/ ("aws eks create-access-entry ... --type EC2_LINUX")
    // @see https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html
    const accessEntry = new eks.AccessEntry(`${name}-karpenter-node`, {
      clusterName: cluster.name, principalArn: nodeRole.arn, type: 'EC2_LINUX', tags,
    }, p);

    const queue = this.interruptionQueue(name, cluster.clusterName, tags);

    // The controller's role, handed to the controller's service account only.
    // @see https://karpenter.sh/docs/reference/cloudformation/ (KarpenterControllerPolicy)
    const controllerPolicy = pulumi.all([queue.arn, nodeRole.arn, cluster.clusterArn]).apply(([q, n, c]) => JSON.stringify(karpenterControllerPolicy({
      clusterName: cluster.clusterName, region, interruptionQueueArn: q, nodeRoleArn: n, clusterArn: c,
    })));
    const { role: controllerRole, associations } = podIdentityRole(this, `${name}-karpenter-controller`, cluster,
      [{ ...KARPENTER_SERVICE_ACCOUNT, resourceName: `${name}-karpenter` }], controllerPolicy, tags);

    const nodeGroups = Object.values(cluster.nodeGroups);
    // As ClusterAddons' releases: atomic (roll back a failed upgrade), waited for, the namespace not Helm's.
    const release = {
      namespace: KARPENTER_SERVICE_ACCOUNT.namespace,
      version,
      createNamespace: false,
      atomic: true,
      cleanupOnFail: true,
      timeout: 900,
      maxHistory: 10,
    };
    const k8sOpts = { parent: this, provider: cluster.provider };
    const crds = new k8s.helm.v3.Release(`${name}-karpenter-crd`, { ...release, name: 'karpenter-crd', chart: KARPENTER_CHARTS.crds, values: {} },
      { ...k8sOpts, dependsOn: nodeGroups });
    // Values of the karpenter chart (charts/karpenter/values.yaml): settings.clusterName and
    // settings.interruptionQueue; the default affinity requires nodes without the
    // karpenter.sh/nodepool label (the static node groups) and spreads the 2 replicas over zones.
    // @see https://github.com/aws/karpenter-provider-aws/blob/main/charts/karpenter/values.yaml
    const controller = new k8s.helm.v3.Release(`${name}-karpenter`, {
      ...release,
      name: 'karpenter',
      chart: KARPENTER_CHARTS.controller,
      skipCrds: true,
      values: {
        settings: { clusterName: cluster.name, interruptionQueue: queue.name },
        serviceAccount: { create: true, name: KARPENTER_SERVICE_ACCOUNT.name },
        replicas: 2,
        podDisruptionBudget: { name: 'karpenter', maxUnavailable: 1 },
        // Requests the capacity model counts on the static nodes (the chart's default is none).
        controller: {
          resources: { requests: { ...KARPENTER_CONTROLLER_RESOURCES }, limits: { ...KARPENTER_CONTROLLER_RESOURCES } },
          // The controller image, explicit (the chart's own pin, by digest).
          image: karpenterImageValues(version).controller.image,
        },
      },
    }, { ...k8sOpts, dependsOn: [...nodeGroups, crds, ...Object.values(associations), accessEntry, discovery] });
    this.releases = { 'karpenter-crd': crds, 'karpenter': controller };

    const nodeClassName = 'default';
    const nodeClassObject = ec2NodeClass(nodeClassName, cluster.clusterName, nodeRole.name, cluster.rootVolumeGiB, tags, cluster.nodeAmiRelease);
    const nodeClass = new k8s.apiextensions.CustomResource(`${name}-karpenter-nodeclass`, nodeClassObject as k8s.apiextensions.CustomResourceArgs,
      { ...k8sOpts, dependsOn: [controller] });
    const nodePools: Record<string, k8s.apiextensions.CustomResource> = {};
    for (const zone of vpc.zones) {
      nodePools[zone] = new k8s.apiextensions.CustomResource(`${name}-karpenter-${zone}`,
        nodePool(zone, nodeClassName, s.instanceTypes, s.limitsPerZone) as k8s.apiextensions.CustomResourceArgs,
        { ...k8sOpts, dependsOn: [controller, nodeClass] });
    }
    this.nodePools = nodePools;
    this.controllerRoleArn = controllerRole.arn;
    this.nodeRoleArn = nodeRole.arn;
    this.interruptionQueueName = queue.name;
    this.registerOutputs({
      controllerRoleArn: this.controllerRoleArn, nodeRoleArn: this.nodeRoleArn, interruptionQueueName: this.interruptionQueueName,
    });
  }

  /**
   * The interruption queue (5 minutes' retention, SQS-managed encryption), writable by EventBridge,
   * and the four rules Karpenter documents: AWS Health events, Spot interruption warnings, rebalance
   * recommendations, instance state changes.
   * @see https://karpenter.sh/docs/concepts/disruption/#interruption
   * @see https://github.com/aws/karpenter-provider-aws/blob/v1.9.2/website/content/en/v1.9/getting-started/getting-started-with-karpenter/cloudformation.yaml
   */
  private interruptionQueue(name: string, clusterName: string, tags: Record<string, string>): sqs.Queue {
    const p = { parent: this };
    const queue = new sqs.Queue(`${name}-karpenter`, {
      name: clusterName.slice(0, 80), messageRetentionSeconds: 300, sqsManagedSseEnabled: true, tags,
    }, p);
    new sqs.QueuePolicy(`${name}-karpenter`, {
      queueUrl: queue.url,
      policy: queue.arn.apply(arn => JSON.stringify({
        Version: '2012-10-17',
        Statement: [{
          Effect: 'Allow', Principal: { Service: ['events.amazonaws.com', 'sqs.amazonaws.com'] }, Action: 'sqs:SendMessage', Resource: arn,
        }, {
          // Refuse anything not over TLS (the template's DenyHTTP).
          Sid: 'DenyHTTP',
          Effect: 'Deny',
          Principal: '*',
          Action: 'sqs:*',
          Resource: arn,
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }],
      })),
    }, p);
    for (const [key, rule] of Object.entries(KARPENTER_INTERRUPTION_EVENTS)) {
      const r = new cloudwatch.EventRule(`${name}-karpenter-${key}`, {
        description: `Karpenter interruption events of ${clusterName}: ${rule['detail-type'][0]}`,
        eventPattern: JSON.stringify(rule),
        tags,
      }, p);
      new cloudwatch.EventTarget(`${name}-karpenter-${key}`, { rule: r.name, arn: queue.arn, targetId: 'KarpenterInterruptionQueueTarget' }, p);
    }
    return queue;
  }
}

/** The managed policies of Karpenter's node role (v1.9 cloudformation.yaml, KarpenterNodeRole). */
export const KARPENTER_NODE_POLICIES = ['AmazonEKS_CNI_Policy', 'AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonSSMManagedInstanceCore'] as const;

/**
 * The EventBridge patterns feeding the interruption queue (v1.9 cloudformation.yaml: ScheduledChangeRule,
 * SpotInterruptionRule, RebalanceRule, InstanceStateChangeRule).
 */
export const KARPENTER_INTERRUPTION_EVENTS = {
  'scheduled-change': { 'source': ['aws.health'], 'detail-type': ['AWS Health Event'] },
  'spot-interruption': { 'source': ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] },
  'rebalance': { 'source': ['aws.ec2'], 'detail-type': ['EC2 Instance Rebalance Recommendation'] },
  'instance-state-change': { 'source': ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] },
} as const;

/** What {@link karpenterControllerPolicy} scopes its grants to. */
export interface KarpenterPolicyScope {
  /** The EKS cluster's name (the `kubernetes.io/cluster/<name>` and `eks:eks-cluster-name` tags). */
  readonly clusterName: string;
  /** The region the controller may act in. */
  readonly region: string;
  /** The interruption queue's ARN. */
  readonly interruptionQueueArn: string;
  /** The node role's ARN (the only role the controller may pass; its account is the instance profiles' account). */
  readonly nodeRoleArn: string;
  /** The cluster's ARN (`eks:DescribeCluster`). */
  readonly clusterArn: string;
}

/**
 * Karpenter's controller policy for the pinned release, statement for statement as v1.9's
 * `cloudformation.yaml` documents it (its five managed policies NodeLifecyclePolicy,
 * IAMIntegrationPolicy, EKSIntegrationPolicy, InterruptionPolicy and ResourceDiscoveryPolicy, merged;
 * partition `aws`): instance and fleet creation only with the cluster's `owned` and
 * `eks:eks-cluster-name` tags and a NodePool tag, tagging and deletion only of what carries them,
 * region-scoped reads, the public SSM parameters, pricing, the interruption queue, passing the node
 * role to EC2 only, instance profiles scoped by tags, and `eks:DescribeCluster` of this cluster. The
 * account is read from the node role's ARN, never typed.
 * @see https://github.com/aws/karpenter-provider-aws/blob/v1.9.2/website/content/en/v1.9/getting-started/getting-started-with-karpenter/cloudformation.yaml
 * @see https://karpenter.sh/v1.9/reference/cloudformation/
 */
export function karpenterControllerPolicy(s: KarpenterPolicyScope): { Version: string; Statement: Record<string, unknown>[] } {
  const ec2Arn = (r: string) => `arn:aws:ec2:${s.region}:*:${r}/*`;
  const account = s.nodeRoleArn.split(':')[4];
  const instanceProfiles = `arn:aws:iam::${account}:instance-profile/*`;
  const owned = `kubernetes.io/cluster/${s.clusterName}`;
  const created = [ec2Arn('fleet'), ec2Arn('instance'), ec2Arn('volume'), ec2Arn('network-interface'), ec2Arn('launch-template'),
    ec2Arn('spot-instances-request')];
  const requestTags = { [`aws:RequestTag/${owned}`]: 'owned', 'aws:RequestTag/eks:eks-cluster-name': s.clusterName };
  const nodePoolTagged = { StringEquals: { [`aws:ResourceTag/${owned}`]: 'owned' }, StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' } };
  const regionTag = 'topology.kubernetes.io/region';
  const nodeClassTag = 'karpenter.k8s.aws/ec2nodeclass';
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowScopedEC2InstanceAccessActions',
        Effect: 'Allow',
        Resource: [`arn:aws:ec2:${s.region}::image/*`, `arn:aws:ec2:${s.region}::snapshot/*`, ec2Arn('security-group'), ec2Arn('subnet'),
          ec2Arn('capacity-reservation')],
        Action: ['ec2:RunInstances', 'ec2:CreateFleet'],
      },
      {
        Sid: 'AllowScopedEC2LaunchTemplateAccessActions',
        Effect: 'Allow',
        Resource: ec2Arn('launch-template'),
        Action: ['ec2:RunInstances', 'ec2:CreateFleet'],
        Condition: nodePoolTagged,
      },
      {
        Sid: 'AllowScopedEC2InstanceActionsWithTags',
        Effect: 'Allow',
        Resource: created,
        Action: ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate'],
        Condition: { StringEquals: requestTags, StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' } },
      },
      {
        Sid: 'AllowScopedResourceCreationTagging',
        Effect: 'Allow',
        Resource: created,
        Action: 'ec2:CreateTags',
        Condition: {
          StringEquals: { ...requestTags, 'ec2:CreateAction': ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'] },
          StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
        },
      },
      {
        Sid: 'AllowScopedResourceTagging',
        Effect: 'Allow',
        Resource: ec2Arn('instance'),
        Action: 'ec2:CreateTags',
        Condition: {
          ...nodePoolTagged,
          'StringEqualsIfExists': { 'aws:RequestTag/eks:eks-cluster-name': s.clusterName },
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['eks:eks-cluster-name', 'karpenter.sh/nodeclaim', 'Name'] },
        },
      },
      {
        Sid: 'AllowScopedDeletion',
        Effect: 'Allow',
        Resource: [ec2Arn('instance'), ec2Arn('launch-template')],
        Action: ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate'],
        Condition: nodePoolTagged,
      },
      {
        Sid: 'AllowPassingInstanceRole',
        Effect: 'Allow',
        Resource: s.nodeRoleArn,
        Action: 'iam:PassRole',
        Condition: { StringEquals: { 'iam:PassedToService': ['ec2.amazonaws.com', 'ec2.amazonaws.com.cn'] } },
      },
      {
        Sid: 'AllowScopedInstanceProfileCreationActions',
        Effect: 'Allow',
        Resource: instanceProfiles,
        Action: ['iam:CreateInstanceProfile'],
        Condition: {
          StringEquals: { ...requestTags, [`aws:RequestTag/${regionTag}`]: s.region },
          StringLike: { [`aws:RequestTag/${nodeClassTag}`]: '*' },
        },
      },
      {
        Sid: 'AllowScopedInstanceProfileTagActions',
        Effect: 'Allow',
        Resource: instanceProfiles,
        Action: ['iam:TagInstanceProfile'],
        Condition: {
          StringEquals: {
            [`aws:ResourceTag/${owned}`]: 'owned',
            [`aws:ResourceTag/${regionTag}`]: s.region,
            ...requestTags,
            [`aws:RequestTag/${regionTag}`]: s.region,
          },
          StringLike: { [`aws:ResourceTag/${nodeClassTag}`]: '*', [`aws:RequestTag/${nodeClassTag}`]: '*' },
        },
      },
      {
        Sid: 'AllowScopedInstanceProfileActions',
        Effect: 'Allow',
        Resource: instanceProfiles,
        Action: ['iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile', 'iam:DeleteInstanceProfile'],
        Condition: {
          StringEquals: { [`aws:ResourceTag/${owned}`]: 'owned', [`aws:ResourceTag/${regionTag}`]: s.region },
          StringLike: { [`aws:ResourceTag/${nodeClassTag}`]: '*' },
        },
      },
      { Sid: 'AllowAPIServerEndpointDiscovery', Effect: 'Allow', Resource: s.clusterArn, Action: 'eks:DescribeCluster' },
      {
        Sid: 'AllowInterruptionQueueActions',
        Effect: 'Allow',
        Resource: s.interruptionQueueArn,
        Action: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
      },
      {
        Sid: 'AllowRegionalReadActions',
        Effect: 'Allow',
        Resource: '*',
        Action: ['ec2:DescribeCapacityReservations', 'ec2:DescribeImages', 'ec2:DescribeInstances', 'ec2:DescribeInstanceTypeOfferings',
          'ec2:DescribeInstanceTypes', 'ec2:DescribeLaunchTemplates', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSpotPriceHistory',
          'ec2:DescribeSubnets'],
        Condition: { StringEquals: { 'aws:RequestedRegion': s.region } },
      },
      { Sid: 'AllowSSMReadActions', Effect: 'Allow', Resource: `arn:aws:ssm:${s.region}::parameter/aws/service/*`, Action: 'ssm:GetParameter' },
      { Sid: 'AllowPricingReadActions', Effect: 'Allow', Resource: '*', Action: 'pricing:GetProducts' },
      { Sid: 'AllowUnscopedInstanceProfileListAction', Effect: 'Allow', Resource: '*', Action: 'iam:ListInstanceProfiles' },
      { Sid: 'AllowInstanceProfileReadActions', Effect: 'Allow', Resource: instanceProfiles, Action: 'iam:GetInstanceProfile' },
    ],
  };
}

/**
 * The EC2NodeClass (karpenter.k8s.aws/v1): AL2023 at the cluster's pinned AMI release (the same release
 * as the managed node groups), the node role, the private subnets and the cluster security group by
 * discovery tag, IMDSv2 with hop limit 1, an encrypted gp3 root volume.
 * @see https://karpenter.sh/docs/concepts/nodeclasses/
 */
export function ec2NodeClass(name: string, clusterName: string, role: pulumi.Input<string>, rootVolumeGiB: number,
  tags: Record<string, string>, amiRelease: string): Record<string, any> {
  const selector = [{ tags: { [KARPENTER_DISCOVERY_TAG]: clusterName } }];
  return {
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name },
    spec: {
      role,
      // The EKS-optimized AL2023 AMI of the cluster's pinned release, as the static node groups run it
      // (AL2023_x86_64_STANDARD at that release). A versioned alias resolves to that release for the
      // control plane's Kubernetes version; never `@latest` in production (see nodeAmiProblems).
      // https://karpenter.sh/docs/tasks/managing-amis/#pinning-amis
      amiSelectorTerms: [{ alias: karpenterAmiAlias(amiRelease) }],
      subnetSelectorTerms: selector,
      securityGroupSelectorTerms: selector,
      metadataOptions: { httpEndpoint: 'enabled', httpProtocolIPv6: 'disabled', httpPutResponseHopLimit: 1, httpTokens: 'required' },
      blockDeviceMappings: [{
        deviceName: '/dev/xvda',
        ebs: { volumeSize: `${rootVolumeGiB}Gi`, volumeType: 'gp3', encrypted: true, deleteOnTermination: true },
      }],
      tags,
    },
  };
}

/**
 * One zone's NodePool (karpenter.sh/v1): on-demand amd64 nodes of the given types in `zone` only,
 * up to `limits`, consolidated when empty or underutilized (at most 10% of the pool's nodes at once).
 * @see https://karpenter.sh/docs/concepts/nodepools/
 * @see https://karpenter.sh/docs/concepts/disruption/#disruption-budgets
 */
export function nodePool(zone: string, nodeClassName: string, instanceTypes: readonly string[], limits: NodePoolLimits): Record<string, any> {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: `zone-${zone}` },
    spec: {
      template: {
        metadata: { labels: { 'nines.dev/zone': zone } },
        spec: {
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: nodeClassName },
          requirements: [
            { key: 'topology.kubernetes.io/zone', operator: 'In', values: [zone] },
            { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
            { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
            { key: 'node.kubernetes.io/instance-type', operator: 'In', values: [...instanceTypes] },
          ],
          expireAfter: '720h',
        },
      },
      disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '5m', budgets: [{ nodes: '10%' }] },
      limits: { cpu: String(limits.cpu), memory: `${limits.memoryGiB}Gi` },
    },
  };
}
