/*
 * Internal: What a construct's pure props resolver returns: the settings with every default
 * applied, or every problem with the props (never a throw, so it is tested alone), and the one
 * place a constructor turns problems into a {@link ValidationError}.
 */
import { Construct } from 'constructs';
import { PlatformContext, platformContext } from './context';
import { Resolution, ValidationError } from '../../core/errors';

export { Resolution, resolution } from '../../core/errors';

/**
 * The settings of `resolved`; with problems, removes `construct` from its scope (so a caught
 * error leaves no half-built child behind) and throws one ValidationError naming its path.
 */
export function settingsOrThrow<T>(construct: Construct, constructType: string, resolved: Resolution<T>): T {
  if (resolved.problems === undefined) return resolved.settings;
  const path = construct.node.path;
  construct.node.scope?.node.tryRemoveChild(construct.node.id);
  throw new ValidationError(constructType, path, resolved.problems);
}

/**
 * Resolves a construct's props in its platform context (`resolve` is its pure resolver), throws
 * every problem at once, and returns the settings with the context they were resolved in.
 */
export function resolveConstruct<S>(construct: Construct, constructType: string,
  resolve: (context: PlatformContext) => Resolution<S>): { settings: S; context: PlatformContext } {
  const context = platformContext(construct);
  return { settings: settingsOrThrow(construct, constructType, resolve(context)), context };
}
