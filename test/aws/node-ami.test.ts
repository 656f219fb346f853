import { installMocks, settle } from './mocks';
import { Karpenter, nodePoolLimitsFor } from '../../lib/aws/karpenter';
import { MultiAzVpc } from '../../lib/aws/multi-az-vpc';
import {
  DEFAULT_NODE_AMI_RELEASE, karpenterAmiAlias, LATEST_NODE_AMI, NODE_AMI_RELEASES, nodeAmiProblems, nodeGroupReleaseVersion,
} from '../../lib/aws/node-ami';
import { RegionalCluster } from '../../lib/aws/regional-cluster';
import { EKS_RELEASE_CALENDAR } from '../../lib/core/kubernetes-version';
import { Platform } from '../../lib/core/platform';
import { PRODUCTION } from '../../stacks/platform';
import { errorOf } from '../util/errors';

const mocks = installMocks();
beforeEach(() => mocks.reset());

describe('pinned node AMIs', () => {
  test('the default release is pinned, with a node group release version for every Kubernetes version EKS calendars', () => {
    expect(DEFAULT_NODE_AMI_RELEASE).toBe('v20260714');
    expect(karpenterAmiAlias(DEFAULT_NODE_AMI_RELEASE)).toBe('al2023@v20260714');
    expect(nodeGroupReleaseVersion(DEFAULT_NODE_AMI_RELEASE, '1.35')).toBe('1.35.6-20260714');
    expect(nodeGroupReleaseVersion(LATEST_NODE_AMI, '1.35')).toBeUndefined();
    for (const { version } of EKS_RELEASE_CALENDAR) {
      expect([version, nodeGroupReleaseVersion(DEFAULT_NODE_AMI_RELEASE, version)]).toEqual([version, expect.stringMatching(new RegExp(`^${version.replace('.', '\\.')}\\.\\d+-20260714$`))]);
    }
    // Every recorded release version carries its release's date.
    for (const [release, byVersion] of Object.entries(NODE_AMI_RELEASES)) {
      for (const v of Object.values(byVersion)) expect(v.endsWith(`-${release.slice(1)}`)).toBe(true);
    }
  });

  test('"latest" is refused in production with the drift it causes, allowed elsewhere; a malformed or unrecorded release is refused', () => {
    expect(nodeAmiProblems('latest', '1.35', 'production').map(p => `${p.prop} (${JSON.stringify(p.value)}) ${p.why}; ${p.fix}`)).toEqual([
      'nodeAmiRelease ("latest") lets every AMI AWS publishes replace the production nodes: Karpenter re-resolves al2023@latest and replaces '
        + 'each node on an older AMI as drifted, so an untested image rolls through the fleet without a change here; pin a release, e.g. '
        + '"v20260714" (https://github.com/awslabs/amazon-eks-ami/releases), after trying it in staging',
    ]);
    expect(nodeAmiProblems('latest', '1.35', 'staging')).toEqual([]);
    expect(nodeAmiProblems('v20260714', '1.35', 'production')).toEqual([]);
    expect(nodeAmiProblems('2026-07-14', '1.35', 'staging').map(p => p.why)).toEqual(['is not an EKS-optimized AMI release ("vYYYYMMDD") or "latest"']);
    expect(nodeAmiProblems('v20250101', '1.35', 'staging').map(p => `${p.why}; ${p.fix}`)).toEqual([
      'has no recorded managed node group release version for Kubernetes 1.35 (recorded: v20260714); add the release\'s "Release version" '
        + 'for 1.35 from the amazon-eks-ami CHANGELOG to NODE_AMI_RELEASES, or use "v20260714"',
    ]);
  });

  test('the node groups and Karpenter\'s EC2NodeClass run the same pinned release; RegionalCluster refuses "latest" in production', async () => {
    const platform = Platform.fromDescription(PRODUCTION);
    const vpc = new MultiAzVpc('ami', { region: platform.region('us-east-1') });
    const cluster = new RegionalCluster('ami', { vpc, publicAccessCidrs: ['198.18.7.0/28'] });
    const k = new Karpenter('ami', { cluster, vpc, limitsPerZone: nodePoolLimitsFor(1) });
    await settle(mocks, k.urn, ...Object.values(k.nodePools).map(p => p.urn));
    expect(cluster.nodeAmiRelease).toBe('v20260714');
    expect(mocks.ofType('aws:eks/nodeGroup:NodeGroup').map(g => [g.inputs.amiType, g.inputs.releaseVersion]))
      .toEqual(Array(3).fill(['AL2023_x86_64_STANDARD', '1.35.6-20260714']));
    const [nodeClass] = mocks.ofType('kubernetes:karpenter.k8s.aws/v1:EC2NodeClass').map(r => r.inputs);
    expect(nodeClass.spec.amiSelectorTerms).toEqual([{ alias: 'al2023@v20260714' }]);
    const before = mocks.resources.length;
    expect(errorOf(() => new RegionalCluster('ami2', { vpc, publicAccessCidrs: ['198.18.7.0/28'], nodeAmiRelease: 'latest' })).message)
      .toMatch(/^RegionalCluster 'ami2': 1 problem:\n - nodeAmiRelease \("latest"\) lets every AMI AWS publishes replace the production nodes/);
    await settle(mocks);
    expect(mocks.resources.length).toBe(before);
  });
});
