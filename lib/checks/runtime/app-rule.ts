import { CheckedObject } from '../object-index';
import { RuntimeModel } from './model';

/** What an app-wide rule reports: the object it is about, what is wrong and the fix. */
export interface AppFinding {
  /** The object the finding is filed on (its construct path carries the finding and its suppressions). */
  readonly object: CheckedObject;
  readonly message: string;
  readonly fix: string;
}

/**
 * A rule over the running system: it reads the whole {@link RuntimeModel} once per pass and
 * files each finding on one object, so findings carry that object's construct path and are
 * suppressed like every other rule (`Checks.suppress(scope, id, reason)`).
 */
export interface AppRule {
  /** Stable id, e.g. `NINES-RT-ADM-01`. */
  readonly id: string;
  readonly severity: 'error' | 'warning';
  /** One line: what the rule demands. */
  readonly description: string;
  checkApp(model: RuntimeModel): AppFinding[];
}

/**
 * An app rule from its id, severity, description and a function that files its findings: the
 * shape every runtime-model rule shares.
 */
export function appRule(
  id: string, severity: AppRule['severity'], description: string, collect: (model: RuntimeModel, file: (finding: AppFinding) => void) => void,
): AppRule {
  return {
    id,
    severity,
    description,
    checkApp(model) {
      const out: AppFinding[] = [];
      collect(model, f => out.push(f));
      return out;
    },
  };
}
