/**
 * Runtime types of props. TypeScript's types stop at the caller's compiler: a value cast with
 * `as any`, read from untyped JSON or passed by a JavaScript caller can be a string where a
 * number is declared, NaN, a single value where a list is, or an object that is not the
 * documented shape. A props resolver checks the runtime type of every prop it reads against its
 * {@link PropTypes} first, and reports each mismatch as a problem naming the prop, instead of
 * failing later with a TypeError or writing the value into a manifest.
 */
import { Problem } from './errors';

/** The runtime type a prop must have when it is set (`undefined` is always allowed: the default). */
export type PropType =
  | 'string' | 'number' | 'boolean' | 'object' | 'list' | 'duration' | 'function'
  /** Exactly `false` (an option turned off). */
  | 'false'
  /** A list whose items have this type. */
  | readonly [PropType]
  /** An object whose props have these types (others are not checked). */
  | { readonly [prop: string]: PropType }
  /** An object whose every prop has this type (a map such as `env` or `tags`). */
  | { readonly record: PropType }
  /** Any of these types. */
  | { readonly anyOf: readonly PropType[] };

/** The runtime types of a construct's props. */
export type PropTypes = { readonly [prop: string]: PropType };

const WORDS: Record<string, { readonly why: string; readonly fix: string }> = {
  string: { why: 'is not a string', fix: 'give a string' },
  number: { why: 'is not a finite number', fix: 'give a number (not NaN, Infinity or a string)' },
  boolean: { why: 'is not a boolean', fix: 'give true or false' },
  object: { why: 'is not an object', fix: 'give an object of the documented shape' },
  list: { why: 'is not a list', fix: 'give a list (an array), even of one item' },
  duration: { why: 'is not a Duration', fix: 'give a cdk8s Duration, e.g. Duration.seconds(30)' },
  function: { why: 'is not a function', fix: 'give a function' },
  false: { why: 'is not false', fix: 'give false' },
};

function isAnyOf(type: PropType): type is { readonly anyOf: readonly PropType[] } {
  return typeof type === 'object' && !Array.isArray(type) && Array.isArray((type as { anyOf?: unknown }).anyOf);
}

function isRecord(type: PropType): type is { readonly record: PropType } {
  const record = typeof type === 'object' && !Array.isArray(type) ? (type as { record?: unknown }).record : undefined;
  return typeof record === 'string' || (typeof record === 'object' && record !== null);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function matches(value: unknown, type: PropType): boolean {
  if (typeof type === 'string') {
    switch (type) {
      case 'number': return typeof value === 'number' && Number.isFinite(value);
      case 'object': return isPlainObject(value);
      case 'list': return Array.isArray(value);
      case 'false': return value === false;
      case 'duration': return isPlainObject(value) && typeof (value as { toSeconds?: unknown }).toSeconds === 'function';
      default: return typeof value === type;
    }
  }
  if (Array.isArray(type)) return Array.isArray(value);
  if (isAnyOf(type)) return type.anyOf.some(t => matches(value, t));
  return isPlainObject(value);
}

function wordsFor(type: PropType): { why: string; fix: string } {
  if (typeof type === 'string') return WORDS[type];
  if (Array.isArray(type)) return WORDS.list;
  if (isAnyOf(type)) {
    const words = type.anyOf.map(t => wordsFor(t).why.replace(/^is not /, ''));
    return { why: `is not ${words.join(' or ')}`, fix: `give ${words.join(' or ')}` };
  }
  return WORDS.object;
}

/**
 * A problem for every prop of `props` (and of the objects and lists in it) whose runtime type is
 * not its {@link PropType}; props without a type and unset props are not checked. `props` that
 * is not an object at all is one problem, at `prefix` (or `props`).
 */
export function propTypeProblems(props: unknown, types: PropTypes, prefix = ''): Problem[] {
  const problems: Problem[] = [];
  const visit = (prop: string, value: unknown, type: PropType): void => {
    if (value === undefined) return;
    if (!matches(value, type)) {
      const { why, fix } = wordsFor(type);
      problems.push({ prop, value, why, fix });
      return;
    }
    if (isAnyOf(type)) {
      // the first of the types the value has: its items or props are checked against it
      visitChildren(prop, value, type.anyOf.find(t => matches(value, t))!);
    } else {
      visitChildren(prop, value, type);
    }
  };
  const visitChildren = (prop: string, value: unknown, type: PropType): void => {
    if (Array.isArray(type)) {
      (value as unknown[]).forEach((v, i) => visit(`${prop}[${i}]`, v, type[0]));
    } else if (isRecord(type)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) visit(`${prop}.${k}`, v, type.record);
    } else if (typeof type === 'object' && !isAnyOf(type)) {
      for (const [k, t] of Object.entries(type as PropTypes)) visit(`${prop}.${k}`, (value as Record<string, unknown>)[k], t);
    }
  };
  if (!isPlainObject(props)) {
    problems.push({ prop: prefix || 'props', value: props, ...WORDS.object });
    return problems;
  }
  for (const [k, t] of Object.entries(types)) visit(prefix ? `${prefix}.${k}` : k, props[k], t);
  return problems;
}

/**
 * `props` with every value of the wrong runtime type taken out, and a problem for each: a value
 * taken out reads as unset (its default applies) and a list item is dropped, so the resolver
 * checks the other props as usual and reports its problems with these (see
 * {@link withTypeProblems}). `props` that is not an object at all reads as `{}`.
 */
export function typedProps<T>(props: T, types: PropTypes): { readonly props: T; readonly problems: readonly Problem[] } {
  const problems = propTypeProblems(props, types);
  if (problems.length === 0) return { props, problems };
  if (!isPlainObject(props)) return { props: {} as T, problems };
  const root: Record<string, unknown> = copy(props) as Record<string, unknown>;
  const lists = new Set<unknown[]>();
  for (const p of problems) {
    // A wrong value inside a list item takes the whole item out (the item would be half a shape).
    const inItem = /^(.*?\[\d+\])[.[]/.exec(p.prop);
    const keys = (inItem ? inItem[1] : p.prop).match(/[^.[\]]+/g) ?? [];
    let at: any = root;
    for (const k of keys.slice(0, -1)) {
      at[k] = copy(at[k]);
      at = at[k];
    }
    const last = keys[keys.length - 1];
    if (Array.isArray(at)) {
      at[Number(last)] = TAKEN_OUT;
      lists.add(at);
    } else {
      delete at[last];
    }
  }
  for (const list of lists) {
    const kept = list.filter(v => v !== TAKEN_OUT);
    list.length = 0;
    list.push(...kept);
  }
  return { props: root as T, problems };
}

const TAKEN_OUT = Symbol('taken out');

/** A shallow copy keeping the prototype (a list, a plain object or a class instance). */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return [...value];
  if (typeof value === 'object' && value !== null) return Object.assign(Object.create(Object.getPrototypeOf(value)), value);
  return value;
}

/**
 * The type problems followed by the resolver's other problems, without those on a prop that has
 * a type problem (or inside it, or holding it): the value was taken out, so a problem about it
 * (e.g. "is not set") would only repeat the type problem.
 */
export function withTypeProblems(typeProblems: readonly Problem[], problems: readonly Problem[]): Problem[] {
  const related = (a: string, b: string) => a === b || b.startsWith(`${a}.`) || b.startsWith(`${a}[`) || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
  return [...typeProblems, ...problems.filter(p => !typeProblems.some(t => related(t.prop, p.prop)))];
}
