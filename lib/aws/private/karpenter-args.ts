/*
 * Internal: the pure args resolver of {@link Karpenter}: the chart pin (checked against Karpenter's
 * documented Kubernetes range), the NodePool limits, every default applied once, every problem
 * collected, nothing registered.
 */
import { Problems, Resolution, resolution } from '../../core/errors';
import { addonVersionProblems } from '../../core/kubernetes-version';
import { PropTypes, typedProps, withTypeProblems } from '../../core/prop-types';
import { DEFAULT_KARPENTER_VERSION, KarpenterArgs, NodePoolLimits } from '../karpenter';
import { MultiAzVpc } from '../multi-az-vpc';
import { RegionalCluster } from '../regional-cluster';
import { ClusterFacts, componentTags, VpcFacts } from './resolve';
import { CLUSTER_TAG } from '../tags';

/** Runtime types of the args the resolver reads (casts are problems, not TypeErrors). */
const KARPENTER_ARG_TYPES: PropTypes = {
  limitsPerZone: { cpu: 'number', memoryGiB: 'number' },
  version: 'string',
  instanceTypes: ['string'],
  tags: { record: 'string' },
};

/** {@link KarpenterArgs} with every default applied (`cluster` and `vpc` the components, or their facts). */
export interface KarpenterSettings<C extends ClusterFacts = RegionalCluster, V extends VpcFacts = MultiAzVpc> {
  readonly cluster: C;
  readonly vpc: V;
  readonly version: string;
  readonly limitsPerZone: NodePoolLimits;
  readonly instanceTypes: readonly string[];
  /** The user's tags plus `nines.dev/cluster`. */
  readonly tags: Readonly<Record<string, string>>;
}

/** Resolves {@link KarpenterArgs} but `cluster` and `vpc` for the cluster and VPC with these facts. */
export function resolveKarpenterArgsIn<C extends ClusterFacts, V extends VpcFacts>(name: string,
  given: Omit<KarpenterArgs, 'cluster' | 'vpc'>, cluster: C, vpc: V): Resolution<KarpenterSettings<C, V>> {
  const problems = new Problems('Karpenter', name);
  const { props: args, problems: typeProblems } = typedProps(given, KARPENTER_ARG_TYPES);
  const version = args.version ?? DEFAULT_KARPENTER_VERSION;
  const limits = args.limitsPerZone;
  problems.when(limits === undefined, 'limitsPerZone', limits, 'is not set, so the NodePools would have no limit',
    'derive it from the capacity model: nodePoolLimitsFor(regionCapacity(...).nodesPerZone)');
  for (const [k, v] of Object.entries(limits ?? {})) {
    problems.when(!(typeof v === 'number' && v > 0), `limitsPerZone.${k}`, v, 'is not a positive number',
      'derive it from the capacity model (regionCapacity): the static node group\'s size per zone');
  }
  const instanceTypes = [...(args.instanceTypes ?? cluster.instanceTypes)];
  problems.when(instanceTypes.length === 0, 'instanceTypes', instanceTypes, 'is empty, so the NodePools could launch no node',
    'list at least one instance type, or leave it unset for the cluster\'s');
  problems.addAll(addonVersionProblems(cluster.kubernetesVersion, { karpenter: version }, 'version'));
  return resolution(withTypeProblems(typeProblems, problems.all), () => ({
    cluster, vpc, version, limitsPerZone: limits!, instanceTypes, tags: componentTags(args, { [CLUSTER_TAG]: cluster.clusterName }),
  }));
}
