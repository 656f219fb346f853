import { takeRecordedProblems } from '../../lib/core/app-problems';
import { ValidationError } from '../../lib/core/errors';

/**
 * The error `fn` throws (fails the test when it does not throw). A construct with bad props
 * does not throw: it records its problems on the app, thrown at the app's first validation;
 * problems `fn` recorded and no validation threw count as the error here, as a synth would
 * throw them.
 */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  const recorded = takeRecordedProblems();
  if (recorded.length === 1) return recorded[0];
  if (recorded.length > 1) throw new Error(`expected one app's error, ${recorded.length} apps recorded problems`);
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

/**
 * What `fn` returns; the problems it recorded on its app (a construct with bad props records
 * them for the app's first validation) are taken off the app and thrown as one error, as a synth
 * would throw them.
 */
export function built<T>(fn: () => T): T {
  const value = fn();
  const recorded = takeRecordedProblems();
  if (recorded.length > 0) throw recorded[0];
  return value;
}
