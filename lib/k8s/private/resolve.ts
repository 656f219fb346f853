/*
 * Internal: What a construct's pure props resolver returns: the settings with every default
 * applied, or every problem with the props (never a throw, so it is tested alone), and the one
 * place a constructor turns problems into the app's record of problems (lib/core/app-problems).
 */
import { Construct, IConstruct } from 'constructs';
import { PlatformContext, platformContext } from './context';
import { NotBuiltError, notBuilt, notBuiltPropProblems } from '../../core/app-problems';
import { Problem, Resolution } from '../../core/errors';

export { Resolution, resolution } from '../../core/errors';

/** What a constructor gets: the settings, or the placeholder it returns (`if (!r.built) return r.placeholder;`). */
export type Resolved<C, T> =
  | { readonly built: true; readonly settings: T }
  | { readonly built: false; readonly placeholder: C };

/**
 * Runs `resolve` and returns its settings, or every problem: those it returns, and a problem for
 * each prop holding a construct that was not built (pass `props` to have them named; a resolver
 * reading such a construct does not escape as an error). Pure: it records nothing.
 */
function settingsOrProblems<T>(resolve: () => Resolution<T>, props?: object): Resolution<T> {
  const problems = props === undefined ? [] : notBuiltPropProblems(props);
  let resolved: Resolution<T> | undefined;
  try {
    resolved = resolve();
  } catch (e) {
    if (!(e instanceof NotBuiltError)) throw e;
    if (problems.length === 0) {
      problems.push({ prop: '(props)', value: e.path, why: `name ${e.constructType} '${e.path}', which was not built because of its own problems (listed in this error)`, fix: `fix the problems of '${e.path}'` });
    }
  }
  if (resolved?.problems === undefined && resolved !== undefined && problems.length === 0) return { settings: resolved.settings };
  return { problems: [...problems, ...resolved?.problems ?? []] };
}

/**
 * Runs `resolve`; with problems, records them on the app (thrown all together at its first
 * validation) and hands back the placeholder the constructor returns (see {@link notBuilt}).
 * A prop holding a construct that was not built is a problem of this construct too (and the
 * resolver reading it does not escape as an error): pass `props` to have it named.
 */
export function settingsOrInvalid<C extends Construct, T>(construct: C, constructType: string,
  resolve: () => Resolution<T>, props?: object): Resolved<C, T> {
  const resolved = settingsOrProblems(resolve, props);
  if (resolved.problems === undefined) return { built: true, settings: resolved.settings };
  return { built: false, placeholder: notBuilt(construct, constructType, resolved.problems) };
}

/**
 * A construct's props resolved in its platform context, before the construct exists: the
 * settings and that context, or every problem (which the construct's base turns into its
 * placeholder, see PlatformWorkload).
 */
export type ResolvedInScope<S> =
  | { readonly built: true; readonly settings: S; readonly context: PlatformContext }
  | { readonly built: false; readonly problems: readonly Problem[] };

/**
 * Resolves the props of a construct about to be created in `scope` (`resolve` is its pure
 * resolver, run in the scope's platform context), recording nothing: what a constructor computes
 * before `super` and hands to its base. Pass `props` to have props holding constructs that were
 * not built named.
 */
export function resolveInScope<S>(scope: IConstruct, resolve: (context: PlatformContext) => Resolution<S>, props?: object): ResolvedInScope<S> {
  const context = platformContext(scope);
  const resolved = settingsOrProblems(() => resolve(context), props);
  return resolved.problems === undefined ? { built: true, settings: resolved.settings, context } : { built: false, problems: resolved.problems };
}

/**
 * Resolves a construct's props in its platform context (`resolve` is its pure resolver) and
 * returns the settings with the context they were resolved in, or (with problems, recorded on
 * the app) the placeholder the constructor returns: `if (!r.built) return r.placeholder;`.
 */
export function resolveConstruct<C extends Construct, S>(construct: C, constructType: string,
  resolve: (context: PlatformContext) => Resolution<S>, props?: object):
  | { readonly built: true; readonly settings: S; readonly context: PlatformContext }
  | { readonly built: false; readonly placeholder: C } {
  const context = platformContext(construct);
  const resolved = settingsOrInvalid(construct, constructType, () => resolve(context), props);
  return resolved.built ? { ...resolved, context } : resolved;
}

/**
 * Sets a construct's public fields from its resolved settings, field for field under the same
 * name (`adopt(this, s, ['name', 'namespace'])`). The compiler checks that each key is a field of
 * the construct and that the setting's type fits it.
 */
export function adopt<C extends object, K extends keyof C>(construct: C, settings: Pick<C, K>, keys: readonly K[]): void {
  for (const key of keys) construct[key] = settings[key];
}
