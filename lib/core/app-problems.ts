/**
 * Every problem of an app in one error.
 *
 * A construct whose props have problems does not throw: it records them on its app, builds
 * nothing and leaves the tree, so the program goes on and every other construct reports its own
 * problems too. The app's first validation (`app.synth()`, `app.synthYaml()`, `chart.toJson()`,
 * `Testing.synth()`, `Checks.of(app).run()`) then throws one {@link AppValidationError} listing
 * them all, before anything is rendered. The construct the program holds is a placeholder:
 * reading any of its fields throws a {@link NotBuiltError} naming it (never a `TypeError` on a
 * half-built object).
 */
import type { IConstruct } from 'constructs';
import { CombinedValidationError, Problem, ValidationError } from './errors';
import { PerApp } from './private/per-app';

/**
 * Thrown by the first validation of an app in which constructs recorded problems: the problems
 * of every construct, each block in the {@link ValidationError} format. With one construct the
 * message is exactly that construct's ValidationError message.
 */
export class AppValidationError extends CombinedValidationError {
  /**
   * @param path The app's path (`''` for an App).
   * @param errors One error per construct, in the order the constructs were created.
   */
  constructor(path: string, errors: readonly ValidationError[]) {
    super('App', path, errors, 'constructs', 'nothing was synthesized');
  }
}

/**
 * Thrown when a field of a construct that was not built (its props had problems) is read. Its
 * message names the construct and lists every problem the app has recorded so far.
 */
export class NotBuiltError extends Error {
  constructor(
    /** The construct type, e.g. `ResilientService`. */
    public readonly constructType: string,
    /** The construct path. */
    public readonly path: string,
    /** The field that was read. */
    public readonly field: string,
    /** Every problem of the app so far (the construct's own included). */
    public readonly appError: AppValidationError,
  ) {
    super(`${constructType} '${path}' was not built because its props have problems, so its '${field}' cannot be read; fix them first:\n${appError.message}`);
    this.name = 'NotBuiltError';
  }
}

class AppProblems {
  public readonly errors: ValidationError[] = [];

  constructor(private readonly root: IConstruct) {
    // Any validation of the app (every synth path of cdk8s validates first) throws them all.
    root.node.addValidation({ validate: () => { this.throwIfAny(); return []; } });
  }

  public error(): AppValidationError | undefined {
    return this.errors.length === 0 ? undefined : new AppValidationError(this.root.node.path, this.errors);
  }

  public throwIfAny(): void {
    const error = this.error();
    if (!error) return;
    UNREPORTED.delete(this);
    throw error;
  }
}

const APPS = new PerApp(root => new AppProblems(root));
/** Apps with problems no validation has thrown yet (see {@link takeRecordedProblems}). */
const UNREPORTED = new Set<AppProblems>();
/** Placeholders of constructs that were not built, and the constructs they stand for. */
const NOT_BUILT = new WeakMap<object, ValidationError>();

function problemsOf(scope: IConstruct): AppProblems {
  return APPS.of(scope);
}

/**
 * Records `error` on the app of `scope`, to be thrown with every other problem of the app at its
 * first validation (for problems found outside a construct's props, like a dependency cycle).
 * @internal
 */
export function recordAppProblem(scope: IConstruct, error: ValidationError): void {
  const app = problemsOf(scope);
  app.errors.push(error);
  UNREPORTED.add(app);
}

/**
 * Records the problems of `construct`'s props on its app and takes it out of the tree (nothing
 * half-built stays behind), and returns the placeholder its constructor returns: the program
 * holds a construct whose `node` still works and whose every other field throws a
 * {@link NotBuiltError} naming it. Use as `return notBuilt(this, 'X', problems)`.
 * @internal
 */
export function notBuilt<T extends IConstruct>(construct: T, constructType: string, problems: readonly Problem[]): T {
  const error = new ValidationError(constructType, construct.node.path, problems);
  recordAppProblem(construct, error);
  construct.node.scope?.node.tryRemoveChild(construct.node.id);
  const placeholder = new Proxy(construct, {
    get(target, key, receiver) {
      // The construct's own fields (public and private) were never set: reading one throws.
      // Methods run (wiring such as `dependOn` only records), until they read a field.
      if (typeof key === 'string' && key !== 'node' && Object.prototype.hasOwnProperty.call(target, key)) {
        throw new NotBuiltError(constructType, error.path, key, problemsOf(target).error() ?? new AppValidationError('', [error]));
      }
      return Reflect.get(target, key, receiver);
    },
  });
  NOT_BUILT.set(placeholder, error);
  NOT_BUILT.set(construct, error);
  return placeholder;
}

/** The problems of `value` when it is a construct that was not built (its props had problems). */
export function notBuiltProblemsOf(value: unknown): ValidationError | undefined {
  return typeof value === 'object' && value !== null ? NOT_BUILT.get(value) : undefined;
}

/**
 * A problem for each prop that holds a construct that was not built: `props` and the objects and
 * lists in it, three levels down (`routes[0].service`).
 * @internal
 */
export function notBuiltPropProblems(props: object): Problem[] {
  const problems: Problem[] = [];
  const visit = (prop: string, value: unknown, depth: number): void => {
    const failed = notBuiltProblemsOf(value);
    if (failed) {
      problems.push({
        prop,
        value: failed.path,
        why: `is ${failed.constructType} '${failed.path}', which was not built because of its own problems (listed in this error)`,
        fix: `fix the problems of '${failed.path}'`,
      });
      return;
    }
    if (depth >= 3 || typeof value !== 'object' || value === null || 'node' in value) return;
    if (Array.isArray(value)) value.forEach((v, i) => visit(`${prop}[${i}]`, v, depth + 1));
    else if (Object.getPrototypeOf(value) === Object.prototype) for (const [k, v] of Object.entries(value)) visit(`${prop}.${k}`, v, depth + 1);
  };
  for (const [key, value] of Object.entries(props)) visit(key, value, 1);
  return problems;
}

/**
 * Throws, as one {@link AppValidationError}, every problem the constructs of `scope`'s app have
 * recorded; does nothing when there is none. The app's validation (any synth) calls it first.
 */
export function throwIfAppInvalid(scope: IConstruct): void {
  APPS.peek(scope)?.throwIfAny();
}

/**
 * Takes the problems every app recorded and no validation has thrown yet (no synth ran), as one
 * error per app, off the apps: as if each construct had thrown its error and the caller had
 * caught it. For tests that build a construct and expect its error without a synth.
 * @internal
 */
export function takeRecordedProblems(): AppValidationError[] {
  const errors: AppValidationError[] = [];
  for (const app of [...UNREPORTED]) {
    const error = app.error();
    app.errors.length = 0;
    UNREPORTED.delete(app);
    if (error) errors.push(error);
  }
  return errors;
}
