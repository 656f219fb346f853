/**
 * The nodes' operating system image, pinned: one release of the EKS-optimized Amazon Linux 2023 AMI
 * (awslabs/amazon-eks-ami, released as `vYYYYMMDD`) for both the managed node groups (`releaseVersion`)
 * and Karpenter's EC2NodeClass (`amiSelectorTerms: [{ alias: 'al2023@vYYYYMMDD' }]`). Pure data and
 * functions (no Pulumi): RegionalCluster and Karpenter read them, the tests check them.
 */
import { Problem } from '../core/errors';

/** The alias version that follows every new AMI release (what the pin replaces). */
export const LATEST_NODE_AMI = 'latest';

/**
 * The AMI release pinned by default: amazon-eks-ami v20260714.
 * @see https://github.com/awslabs/amazon-eks-ami/releases/tag/v20260714
 */
export const DEFAULT_NODE_AMI_RELEASE = 'v20260714';

/**
 * Each recorded AMI release's managed node group release versions (`<kubernetes>.<patch>-<date>`), per
 * Kubernetes minor, as the release's CHANGELOG entry lists them ("Release version" column). A managed
 * node group takes a release version, not the release name, so a release is usable only once recorded here.
 * @see https://github.com/awslabs/amazon-eks-ami/blob/main/CHANGELOG.md ("AMI Release v20260714")
 * @see https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html (releaseVersion)
 */
export const NODE_AMI_RELEASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  v20260714: {
    '1.30': '1.30.14-20260714',
    '1.31': '1.31.14-20260714',
    '1.32': '1.32.13-20260714',
    '1.33': '1.33.13-20260714',
    '1.34': '1.34.9-20260714',
    '1.35': '1.35.6-20260714',
    '1.36': '1.36.2-20260714',
  },
};

const RELEASE = /^v\d{8}$/;

/**
 * Karpenter's alias for the AL2023 AMI of `release` (`al2023@v20260714`): with a version it resolves to
 * that release for the cluster's Kubernetes version, with `latest` to whatever AWS published last.
 * @see https://karpenter.sh/docs/concepts/nodeclasses/#specamiselectorterms (alias: `<family>@<version>`)
 */
export function karpenterAmiAlias(release: string): string {
  return `al2023@${release}`;
}

/** The managed node groups' release version of `release` at `kubernetesVersion` (undefined for `latest`: EKS's newest at creation). */
export function nodeGroupReleaseVersion(release: string, kubernetesVersion: string): string | undefined {
  return release === LATEST_NODE_AMI ? undefined : NODE_AMI_RELEASES[release]?.[kubernetesVersion];
}

/**
 * Problems of a node AMI release for a cluster at `kubernetesVersion`: not a `vYYYYMMDD` release, a
 * release whose node group versions are not recorded, or `latest` in production. With `latest`
 * Karpenter re-resolves the alias periodically and treats every node on an older AMI as drifted:
 * each new AMI AWS publishes replaces every Karpenter node (within the NodePools' disruption budgets),
 * an untested image reaching production without a change on our side.
 * @see https://karpenter.sh/docs/tasks/managing-amis/ ("we strongly recommend using version pins in production environments")
 * @see https://karpenter.sh/docs/concepts/disruption/#drift
 */
export function nodeAmiProblems(release: unknown, kubernetesVersion: string, environment: string, prop = 'nodeAmiRelease'): Problem[] {
  const problems: Problem[] = [];
  const fix = `pin a release, e.g. "${DEFAULT_NODE_AMI_RELEASE}" (https://github.com/awslabs/amazon-eks-ami/releases), after trying it in staging`;
  if (release === LATEST_NODE_AMI) {
    if (environment === 'production') {
      problems.push({
        prop,
        value: release,
        why: 'lets every AMI AWS publishes replace the production nodes: Karpenter re-resolves al2023@latest and replaces each node '
          + 'on an older AMI as drifted, so an untested image rolls through the fleet without a change here',
        fix,
      });
    }
    return problems;
  }
  if (typeof release !== 'string' || !RELEASE.test(release)) {
    problems.push({ prop, value: release, why: 'is not an EKS-optimized AMI release ("vYYYYMMDD") or "latest"', fix });
  } else if (NODE_AMI_RELEASES[release]?.[kubernetesVersion] === undefined) {
    const known = Object.keys(NODE_AMI_RELEASES).join(', ');
    problems.push({
      prop,
      value: release,
      why: `has no recorded managed node group release version for Kubernetes ${kubernetesVersion} (recorded: ${known})`,
      fix: `add the release's "Release version" for ${kubernetesVersion} from the amazon-eks-ami CHANGELOG to NODE_AMI_RELEASES, or use "${DEFAULT_NODE_AMI_RELEASE}"`,
    });
  }
  return problems;
}
