import { ValidationError } from '../../lib/core/errors';

/** The error `fn` throws (fails the test when it does not throw). */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}

/** The message of the error `fn` throws. */
export function messageOf(fn: () => unknown): string {
  return errorOf(fn).message;
}

/** The ValidationError `fn` throws; any other error is rethrown. */
export function validationErrorOf(fn: () => unknown): ValidationError {
  const e = errorOf(fn);
  if (e instanceof ValidationError) return e;
  throw e;
}
