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
  if ('anyOf' in type && Array.isArray(type.anyOf)) return type.anyOf.some(t => matches(value, t));
  return isPlainObject(value);
}

function wordsFor(type: PropType): { why: string; fix: string } {
  if (typeof type === 'string') return WORDS[type];
  if (Array.isArray(type)) return WORDS.list;
  if ('anyOf' in type && Array.isArray(type.anyOf)) {
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
    if (typeof type === 'object' && 'anyOf' in type && Array.isArray(type.anyOf)) {
      // the first of the types the value has: its items or props are checked against it
      visitChildren(prop, value, type.anyOf.find(t => matches(value, t))!);
    } else {
      visitChildren(prop, value, type);
    }
  };
  const visitChildren = (prop: string, value: unknown, type: PropType): void => {
    if (Array.isArray(type)) {(value as unknown[]).forEach((v, i) => visit(`${prop}[${i}]`, v, type[0]));} else if (typeof type === 'object' && !('anyOf' in type && Array.isArray(type.anyOf))) {
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
