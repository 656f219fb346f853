/*
 * Internal: the first step of the resolvers of the components that run on a region's cluster
 * (ClusterAddons, Karpenter): their `cluster` and `vpc` args must be the region's components.
 */
import { Problems, Resolution } from '../../core/errors';
import { MultiAzVpc } from '../multi-az-vpc';
import { RegionalCluster } from '../regional-cluster';
import { isInstance } from './resolve';

/** The args every component on a region's cluster is given: the region's cluster and VPC. */
interface OnClusterArgs {
  readonly cluster: RegionalCluster;
  readonly vpc: MultiAzVpc;
}

/**
 * Resolves the args of the `componentType` named `name`: when `args.cluster` and `args.vpc` are the
 * region's RegionalCluster and MultiAzVpc, the rest by `resolveIn` against them; otherwise the
 * problems of both, before anything else is read.
 */
export function resolveOnCluster<A extends OnClusterArgs, S>(componentType: string, name: string, args: A,
  resolveIn: (name: string, given: A, cluster: RegionalCluster, vpc: MultiAzVpc) => Resolution<S>): Resolution<S> {
  const problems = new Problems(componentType, name);
  const hasCluster = isInstance(problems, 'cluster', args?.cluster, RegionalCluster, 'pass the region\'s RegionalCluster');
  const hasVpc = isInstance(problems, 'vpc', args?.vpc, MultiAzVpc, 'pass the region\'s MultiAzVpc');
  if (!hasCluster || !hasVpc) return { problems: problems.all };
  return resolveIn(name, args, args.cluster, args.vpc);
}
