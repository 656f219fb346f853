/**
 * Validation errors that name the construct, every bad property, its value and the fix.
 *
 * Constructs collect every problem with their props before creating any child; a construct
 * records them on its app (lib/core/app-problems), and the app's first validation throws every
 * construct's list in one error, so a user sees the whole list in one run:
 *
 * ```
 * ResilientService 'prod/order-service': 2 problems:
 *  - replicas (1) must be >= zones (3) for tier 'critical'; raise replicas to 3 or lower the tier
 *  - image ("order:latest") is not pinned; use an immutable tag ("order:1.4.2") or a digest
 * ```
 */

/** One problem with one property. */
export interface Problem {
  /** The property path, e.g. `probes.liveness.period`. */
  readonly prop: string;
  /** The value as given (quoted exactly in the message). */
  readonly value: unknown;
  /** Why the value is wrong. */
  readonly why: string;
  /** What to do instead. */
  readonly fix: string;
}

/** Renders a value the way a user typed it: strings quoted, objects as JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'object' && value !== null && typeof (value as any).toString === 'function'
    && (value as any).toString !== Object.prototype.toString && !Array.isArray(value)) {
    return String(value);
  }
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Thrown by a construct whose props are invalid; lists every problem at once. */
export class ValidationError extends Error {
  private static render(type: string, path: string, problems: readonly Problem[]): string {
    const head = `${type} '${path}': ${problems.length} problem${problems.length === 1 ? '' : 's'}:`;
    const lines = problems.map(p => ` - ${p.prop} (${formatValue(p.value)}) ${p.why}; ${p.fix}`);
    return [head, ...lines].join('\n');
  }

  constructor(
    /** The construct type, e.g. `ResilientService`. */
    public readonly constructType: string,
    /** The construct path (`node.path`), or a name for non-construct inputs. */
    public readonly path: string,
    public readonly problems: readonly Problem[],
  ) {
    super(ValidationError.render(constructType, path, problems));
    this.name = 'ValidationError';
  }
}

/**
 * Several {@link ValidationError}s thrown as one (an app's constructs, a program's components): its
 * problems are all of theirs, and its message a head counting the problems and the `things` that
 * have them, then each error's block. One error alone keeps its own construct type, path and message.
 * Its `name` is its class's (`AppValidationError`, `ProgramValidationError`).
 */
export class CombinedValidationError extends ValidationError {
  constructor(
    /** What holds the parts (`App`, `Program`): the construct type named when there are several. */
    whole: string,
    /** The whole's path. */
    path: string,
    /** One error per part with problems, in the order the parts were created. */
    public readonly errors: readonly ValidationError[],
    /** What the parts are, plural (`constructs`, `components`). */
    things: string,
    /** What did not happen because of them (`nothing was synthesized`). */
    outcome: string,
  ) {
    super(errors.length === 1 ? errors[0].constructType : whole, errors.length === 1 ? errors[0].path : path, errors.flatMap(e => e.problems));
    this.name = new.target.name;
    const count = errors.reduce((n, e) => n + e.problems.length, 0);
    this.message = errors.length === 1 ? errors[0].message
      : [`${count} problems in ${errors.length} ${things}, ${outcome}:`, ...errors.map(e => e.message)].join('\n');
  }
}

/**
 * Collects problems with a construct's props; `throwIfAny` throws one {@link ValidationError}.
 */
export class Problems {
  private readonly list: Problem[] = [];

  constructor(private readonly constructType: string, private readonly path: string) {}

  /** Records a problem. */
  public add(prop: string, value: unknown, why: string, fix: string): void {
    this.list.push({ prop, value, why, fix });
  }

  /** Records a problem when `condition` is true. Returns `condition`. */
  public when(condition: boolean, prop: string, value: unknown, why: string, fix: string): boolean {
    if (condition) this.add(prop, value, why, fix);
    return condition;
  }

  /** Adds problems found by a nested validator (its props prefixed with `prefix.`). */
  public addAll(problems: readonly Problem[], prefix?: string): void {
    for (const p of problems) this.list.push(prefix ? { ...p, prop: `${prefix}.${p.prop}` } : p);
  }

  public get count(): number {
    return this.list.length;
  }

  public get all(): readonly Problem[] {
    return this.list;
  }

  /** Throws a {@link ValidationError} listing every recorded problem, if there is any. */
  public throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError(this.constructType, this.path, this.list);
  }
}

/**
 * What a pure props resolver returns: the settings with every default applied, or every problem
 * with the props (never a throw, so a resolver is tested alone). Shared by the cdk8s constructs
 * and the Pulumi components.
 */
export type Resolution<T> =
  | { readonly settings: T; readonly problems?: undefined }
  | { readonly settings?: undefined; readonly problems: readonly Problem[] };

/** `settings` when `problems` is empty, else the problems. */
export function resolution<T>(problems: readonly Problem[], settings: () => T): Resolution<T> {
  return problems.length > 0 ? { problems } : { settings: settings() };
}
