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
