/**
 * A Pulumi program's components checked together before any resource is registered.
 *
 * Each component resolves its args with a pure resolver and throws its own problems. A program
 * that builds several components would stop at the first one with problems, after registering
 * the ones before it. {@link regionComponentProblems} runs the resolvers of a region's components
 * without registering anything (each component the next one is given is stood in for by the
 * facts its args state), and {@link throwIfAnyProblems} throws every component's problems, for
 * every region, as one {@link ProgramValidationError}: the program calls both first.
 */
import type { ClusterAddonsArgs } from './cluster-addons';
import type { GlobalFailoverArgs } from './global-failover';
import type { KarpenterArgs } from './karpenter';
import type { MultiAzVpcArgs } from './multi-az-vpc';
import { resolveClusterAddonsArgsIn } from './private/cluster-addons-args';
import { resolveGlobalFailoverArgs } from './private/global-failover-args';
import { resolveKarpenterArgsIn } from './private/karpenter-args';
import { resolveMultiAzVpcArgs } from './private/multi-az-vpc-args';
import { DEFAULT_INSTANCE_TYPES, resolveRegionalClusterArgsIn } from './private/regional-cluster-args';
import { ClusterFacts, VpcFacts } from './private/resolve';
import type { RegionalClusterArgs } from './regional-cluster';
import { CombinedValidationError, Resolution, ValidationError } from '../core/errors';
import { clusterNameOf } from '../core/naming';
import { Region } from '../core/platform';

/**
 * Every problem of a program's components (and of the program's own settings) in one error, thrown
 * before any resource is registered. With one component the message is exactly its
 * ValidationError's.
 */
export class ProgramValidationError extends CombinedValidationError {
  /**
   * @param path The program (e.g. the stack's environment).
   * @param errors One error per component with problems, in the order the program builds them.
   */
  constructor(path: string, errors: readonly ValidationError[]) {
    super('Program', path, errors, 'components', 'nothing was registered');
  }
}

/**
 * Throws one {@link ProgramValidationError} listing every error given (`undefined` entries and
 * errors without problems are skipped); does nothing when there is none.
 */
export function throwIfAnyProblems(path: string, errors: ReadonlyArray<ValidationError | undefined>): void {
  const found = errors.filter((e): e is ValidationError => e !== undefined && e.problems.length > 0);
  if (found.length > 0) throw new ProgramValidationError(path, found);
}

/**
 * The args of a region's components, each without the components it is given (the region's
 * MultiAzVpc and RegionalCluster): what a program passes to them.
 */
export interface RegionComponentsArgs {
  /** The MultiAzVpc's args. */
  readonly vpc: MultiAzVpcArgs;
  /** The RegionalCluster's args, but `vpc`. */
  readonly cluster: Omit<RegionalClusterArgs, 'vpc'>;
  /** The ClusterAddons' args, but `cluster` and `vpc` (unset: no ClusterAddons). */
  readonly addons?: Omit<ClusterAddonsArgs, 'cluster' | 'vpc'>;
  /** The Karpenter's args, but `cluster` and `vpc` (unset: no Karpenter). */
  readonly karpenter?: Omit<KarpenterArgs, 'cluster' | 'vpc'>;
}

/**
 * The problems of a region's MultiAzVpc, RegionalCluster, ClusterAddons and Karpenter (each named
 * `name`, as their constructors would report them), from their pure resolvers: one
 * ValidationError per component with problems, nothing registered. A component whose own args
 * have problems is stood in for, in the resolvers of the components it is given, by the facts of
 * its region (zones from the platform description, the cluster name, the platform's Kubernetes
 * version), so their own problems are reported too, and none derived from its bad values.
 */
export function regionComponentProblems(name: string, args: RegionComponentsArgs): ValidationError[] {
  const errors: ValidationError[] = [];
  const collect = <T>(type: string, resolved: Resolution<T>): T | undefined => {
    if (resolved.problems !== undefined) errors.push(new ValidationError(type, name, resolved.problems));
    return resolved.settings;
  };
  const vpc: VpcFacts | undefined = collect('MultiAzVpc', resolveMultiAzVpcArgs(name, args.vpc)) ?? statedVpcFacts(args.vpc);
  if (vpc === undefined) return errors;
  const cluster: ClusterFacts = collect('RegionalCluster', resolveRegionalClusterArgsIn(name, args.cluster, vpc))
    ?? { clusterName: vpc.clusterName, kubernetesVersion: vpc.region.platform.kubernetesVersion, instanceTypes: DEFAULT_INSTANCE_TYPES };
  if (args.addons) collect('ClusterAddons', resolveClusterAddonsArgsIn(name, args.addons, cluster, vpc));
  if (args.karpenter) collect('Karpenter', resolveKarpenterArgsIn(name, args.karpenter, cluster, vpc));
  return errors;
}

/**
 * The facts that stand in for a MultiAzVpc whose args did not resolve (undefined without a
 * Region): its region with the region's zones from the platform description (its own zones may be
 * what failed, and a problem derived from them would only repeat it) and its cluster name.
 */
function statedVpcFacts(args: MultiAzVpcArgs): VpcFacts | undefined {
  const region = args?.region;
  if (!(region instanceof Region)) return undefined;
  return {
    region,
    zones: [...region.zones].sort(),
    clusterName: typeof args.clusterName === 'string' ? args.clusterName : clusterNameOf(region),
  };
}

/** The problems of a GlobalFailover named `name` with these args (its pure resolver; nothing registered), or undefined. */
export function globalFailoverProblems(name: string, args: GlobalFailoverArgs): ValidationError | undefined {
  const resolved = resolveGlobalFailoverArgs(name, args);
  return resolved.problems === undefined ? undefined : new ValidationError('GlobalFailover', name, resolved.problems);
}
