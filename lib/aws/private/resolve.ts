/*
 * Internal: how a Pulumi component turns its pure args resolver's result into settings, and the
 * one check every component makes on an argument that must be another component.
 */
import { Problems, Resolution, ValidationError } from '../../core/errors';
import type { Region } from '../../core/platform';
import type { AwsTagsArgs } from '../tags';

/**
 * What the resolvers of RegionalCluster, ClusterAddons and Karpenter read of the region's
 * MultiAzVpc: known from its args before anything is registered (a MultiAzVpc has these fields,
 * and so have its resolved settings), so a program can resolve every component of a region
 * before it registers the first one.
 */
export interface VpcFacts {
  readonly region: Region;
  /** The zones of the plan (sorted). */
  readonly zones: readonly string[];
  readonly clusterName: string;
}

/** What the resolvers of ClusterAddons and Karpenter read of the region's RegionalCluster (see {@link VpcFacts}). */
export interface ClusterFacts {
  readonly clusterName: string;
  readonly kubernetesVersion: string;
  readonly instanceTypes: readonly string[];
}

/**
 * The settings of `resolved`, or one ValidationError naming the component and every problem.
 * Called before `super(...)`, so a refused component registers nothing.
 */
export function settingsOrThrow<T>(componentType: string, name: string, resolved: Resolution<T>): T {
  if (resolved.problems === undefined) return resolved.settings;
  throw new ValidationError(componentType, name, resolved.problems);
}

/**
 * Whether `value` is an instance of `type`; records the problem (`prop`, the value, and the fix)
 * when it is not, so the resolver can stop before reading it.
 */
export function isInstance<T>(problems: Problems, prop: string, value: unknown,
  type: ClassOf<T>, fix: string, why = `is not a ${type.name}`): value is T {
  return !problems.when(!(value instanceof (type as unknown as abstract new () => T)), prop, value, why, fix);
}

/** A class, whatever its constructor's visibility (Platform's is private). */
interface ClassOf<T> {
  readonly name: string;
  readonly prototype: T;
}

/** The user's tags (`args.tags`) plus the component's own `nines.dev/*` tags, which win. */
export function componentTags(args: AwsTagsArgs, own: Readonly<Record<string, string>>): Record<string, string> {
  return { ...(args.tags ?? {}), ...own };
}
