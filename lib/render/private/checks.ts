/** @internal Small input checks the renderers share. */

/** True for an integer number. */
export function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

/** True for an absolute path without white space (safe to put in a command line or config). */
export function isAbsolutePath(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith('/') && !/\s/.test(value);
}
