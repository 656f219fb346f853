import type { Problem } from './errors';

/** Label keys the library writes and reads. */
export const LABELS = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  version: 'app.kubernetes.io/version',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  team: 'nines.dev/team',
  tier: 'nines.dev/tier',
  namespaceName: 'kubernetes.io/metadata.name',
  zone: 'topology.kubernetes.io/zone',
  hostname: 'kubernetes.io/hostname',
} as const;

/** The value of `app.kubernetes.io/managed-by` on every object the library makes. */
export const MANAGED_BY = 'nines';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** True when `name` is a valid DNS-1123 label (Service, Namespace and most object names). */
export function isDnsLabel(name: unknown): name is string {
  return typeof name === 'string' && DNS_LABEL.test(name);
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** True when `value` is a valid label value. */
export function isLabelValue(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 63 && LABEL_VALUE.test(value);
}

// Label syntax: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * Problems of a label map that selects pods (a selector, a chaos target's pod labels): each key a
 * label key (an optional DNS-subdomain prefix and "/", then a name of at most 63 characters), each
 * value a non-empty label value, each problem on `<prop>.<key>`.
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
 */
export function podLabelProblems(prop: string, labels: Readonly<Record<string, unknown>>,
  fix: { readonly key: string; readonly value: string }): Problem[] {
  const problems: Problem[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_KEY.test(k)) {
      problems.push({ prop: `${prop}.${k}`, value: k, why: 'is not a label key (an optional DNS subdomain and "/", then at most 63 letters, digits, "-", "_" or ".")', fix: fix.key });
    } else if (!isLabelValue(v) || v === '') {
      problems.push({
        prop: `${prop}.${k}`,
        value: v,
        why: 'is not a non-empty label value (at most 63 letters, digits, "-", "_" or ".", beginning and ending with a letter or digit)',
        fix: fix.value,
      });
    }
  }
  return problems;
}

/**
 * A name the library derives from a user's name (an object name or a label value it writes).
 * `limit` is the longest the derived value may be: 63 for a label value or a DNS label (Service,
 * Namespace, and `<name>-primary` names), 52 for a StatefulSet or CronJob name.
 */
export interface DerivedName {
  /** The derived value, e.g. `order-service-orders`. */
  readonly value: string;
  /** What it is, e.g. `the app.kubernetes.io/instance label`. */
  readonly what: string;
  /** The most characters it may have. */
  readonly limit: number;
}

/**
 * A problem with the user's `prop` when a name derived from it is too long: reported on the name
 * the user wrote, naming the derived value and how much shorter the name must be (at most one
 * problem: the derived name that overruns most). Empty when every derived name fits.
 *
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set (label values: at most 63 characters)
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names (Service names: RFC 1123 labels, at most 63 characters)
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#writing-a-cronjob-spec (CronJob names: at most 52 characters)
 */
export function derivedNameProblems(prop: string, value: unknown, derived: readonly DerivedName[], fix?: string): Problem[] {
  if (typeof value !== 'string') return [];
  const worst = derived
    .map(d => ({ ...d, over: d.value.length - d.limit }))
    .filter(d => d.over > 0)
    .sort((a, b) => b.over - a.over)[0];
  if (!worst) return [];
  return [{
    prop,
    value,
    why: `makes ${worst.what} ${JSON.stringify(worst.value)} ${worst.value.length} characters long, over the ${worst.limit} allowed`,
    fix: fix ?? `shorten it by ${worst.over} character${worst.over === 1 ? '' : 's'} (to at most ${Math.max(1, value.length - worst.over)})`,
  }];
}

/**
 * The `app.kubernetes.io/instance` label the library writes on a construct's objects:
 * `<name>-<namespace>`, unique in the cluster.
 */
export function instanceLabelOf(name: string, namespace: string): string {
  return `${name}-${namespace}`;
}

/**
 * A problem with `name` when `<name>-<namespace>` (the instance label, {@link instanceLabelOf})
 * is longer than a label value may be (63 characters): reported on the name, naming the namespace.
 */
export function instanceLabelProblems(name: unknown, namespace: unknown, prop = 'name'): Problem[] {
  if (!isDnsLabel(name) || !isDnsLabel(namespace)) return [];
  const label = instanceLabelOf(name, namespace);
  const over = label.length - 63;
  return derivedNameProblems(prop, name, [{ value: label, what: `with namespace ${JSON.stringify(namespace)} the app.kubernetes.io/instance label`, limit: 63 }],
    `shorten the name or the namespace by ${over} character${over === 1 ? '' : 's'} together`);
}
