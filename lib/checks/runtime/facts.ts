import { IConstruct } from 'constructs';

/** A label a controller sets on running pods, with every value it may set and who sets it. */
export interface RuntimeLabel {
  /** Every value the controller may set, e.g. `['master', 'replica']`. */
  readonly values: readonly string[];
  /** Who sets it and where that is documented, e.g. Patroni's `kubernetes.role_label`. */
  readonly setBy: string;
}

const RUNTIME_LABELS = new WeakMap<IConstruct, Record<string, RuntimeLabel>>();

/**
 * Declares labels a controller sets on the pods of `workload` at run time (not in the pod
 * template), so the runtime model knows that a selector on them selects those pods. The
 * construct that configures the controller declares them: `PatroniCluster` declares Patroni's
 * role label.
 */
export function declareRuntimeLabels(workload: IConstruct, labels: Readonly<Record<string, RuntimeLabel>>): void {
  RUNTIME_LABELS.set(workload, { ...(RUNTIME_LABELS.get(workload) ?? {}), ...labels });
}

const NONE: Readonly<Record<string, readonly string[]>> = Object.freeze({});

/** The runtime labels declared for `workload`: label key to its possible values. */
export function runtimeLabelsOf(workload: IConstruct): Readonly<Record<string, readonly string[]>> {
  const declared = RUNTIME_LABELS.get(workload);
  if (!declared) return NONE;
  const out: Record<string, readonly string[]> = {};
  for (const [k, v] of Object.entries(declared)) out[k] = v.values;
  return out;
}
