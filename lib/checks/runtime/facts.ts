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

/** Metrics an exporter deployed by a construct produces, once scraped. */
export interface DeclaredMetrics {
  /** Who produces them, e.g. `postgres_exporter`. */
  readonly producer: string;
  /** Metric names; a trailing `*` matches a prefix (`pg_*`). */
  readonly metrics: readonly string[];
}

const METRICS = new WeakMap<IConstruct, DeclaredMetrics[]>();

/**
 * Declares the metrics the pods scraped through `scrape` (a ServiceMonitor or PodMonitor) produce,
 * so the signals rules know every alert and check that reads them has a producer.
 */
export function declareMetrics(scrape: IConstruct, declared: DeclaredMetrics): void {
  METRICS.set(scrape, [...(METRICS.get(scrape) ?? []), declared]);
}

/** The metrics declared on `scrape`. */
export function metricsDeclaredBy(scrape: IConstruct): readonly DeclaredMetrics[] {
  return METRICS.get(scrape) ?? [];
}
