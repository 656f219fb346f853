/**
 * Names and label values the API server would refuse. Constructs derive many of them
 * (`<name>-<namespace>` instance labels, `<name>-pooler`, `<name>-canary`), so a name that is
 * valid as given can still push a derived one past a limit; this rule checks what is actually
 * written, naming the object, the field, the value and the limit.
 *
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set (label values: at most 63 characters, alphanumeric at both ends, `-_.` inside)
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names (Service and Namespace names: RFC 1123 labels, at most 63 characters)
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#writing-a-cronjob-spec (a CronJob name can be no longer than 52 characters)
 * @see https://github.com/kubernetes/kubernetes/issues/64023 (a StatefulSet's `controller-revision-hash` label is its name plus an 11-character suffix, so names over 52 characters leave its pods unlabelled and its rollouts stuck)
 */
import { CheckedObject, podLabelsOf } from './object-index';
import type { Rule, RuleResult } from './rules';
import { isDnsLabel, isLabelValue } from '../core/labels';

const LABEL_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const DNS_LABEL_KINDS = new Set(['Service', 'Namespace']);
const MAX_52 = new Set(['StatefulSet', 'CronJob']);

/**
 * Label keys and values already found valid. Objects repeat the same few keys and values (name,
 * instance, part-of, namespace names), so the pass tests each distinct string once.
 */
const VALID_KEYS = new Set<string>();
const VALID_VALUES = new Set<string>();

function validKey(k: string): boolean {
  if (VALID_KEYS.has(k)) return true;
  const ok = LABEL_NAME.test(k) && k.split('/').pop()!.length <= 63;
  if (ok && VALID_KEYS.size < 100_000) VALID_KEYS.add(k);
  return ok;
}

function validValue(v: unknown): boolean {
  if (typeof v === 'string' && VALID_VALUES.has(v)) return true;
  const ok = isLabelValue(v);
  if (ok && VALID_VALUES.size < 100_000) VALID_VALUES.add(v);
  return ok;
}

/** Appends to `out` the problems of a label map (nothing allocated for a valid one). */
function labelProblems(out: RuleResult[], labels: unknown, at: string): void {
  if (!labels || typeof labels !== 'object') return;
  for (const k in labels as Record<string, unknown>) {
    const v = (labels as Record<string, unknown>)[k];
    if (!validKey(k)) {
      out.push({
        message: `${at} key ${JSON.stringify(k)} is not a label key`,
        fix: 'use an optional DNS prefix and "/" and a name of at most 63 characters',
        cause: { key: `key\0${k}`, message: `label key ${JSON.stringify(k)} is not a label key`, where: at },
      });
    }
    if (!validValue(v)) {
      const long = typeof v === 'string' && v.length > 63;
      const why = `is not a label value${long ? ` (${v.length} characters, at most 63)` : ''}`;
      out.push({
        message: `${at}[${JSON.stringify(k)}] ${JSON.stringify(v)} ${why}`,
        fix: long
          ? 'shorten the construct\'s name or namespace it is derived from, so the value fits 63 characters'
          : 'use letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
        // One value derived from one name is one cause, whichever objects and fields carry it.
        cause: { key: `value\0${String(v)}`, message: `label value ${JSON.stringify(v)} ${why}`, where: `${at}[${JSON.stringify(k)}]` },
      });
    }
  }
}

/** The rule: valid object names and label keys and values, derived ones included. */
export const NAME_RULE: Rule = {
  id: 'NINES-META-01',
  severity: 'error',
  description: 'Object names, label keys and label values are valid (label values at most 63 characters, derived ones included)',
  check(o: CheckedObject): RuleResult[] {
    const out: RuleResult[] = [];
    const name = o.name;
    if (DNS_LABEL_KINDS.has(o.kind) ? !isDnsLabel(name) : !DNS_SUBDOMAIN.test(name)) {
      const limit = DNS_LABEL_KINDS.has(o.kind) ? 'a DNS label, at most 63' : 'a DNS subdomain, at most 253';
      out.push({
        message: `metadata.name ${JSON.stringify(name)} (${name.length} characters) is not a valid ${o.kind} name (${limit} characters)`,
        fix: 'shorten or rename the construct the name is derived from (lower-case letters, digits and "-")',
        cause: { key: `name\0${limit}\0${name}`, message: `metadata.name ${JSON.stringify(name)} (${name.length} characters) is not a valid name for these kinds (${limit} characters)` },
      });
    } else if (MAX_52.has(o.kind) && name.length > 52) {
      out.push({
        message: `metadata.name ${JSON.stringify(name)} has ${name.length} characters; a ${o.kind} name over 52 leaves no room for the suffix the controller appends (${o.kind === 'CronJob' ? 'Job names' : 'the controller-revision-hash label'})`,
        fix: 'shorten the construct\'s name to at most 52 characters',
        cause: {
          key: `name\0max52\0${name}`,
          message: `metadata.name ${JSON.stringify(name)} has ${name.length} characters; a StatefulSet or CronJob name over 52 leaves no room for the suffix the controller appends`,
        },
      });
    }
    labelProblems(out, o.json.metadata?.labels, 'metadata.labels');
    const spec = o.json.spec ?? {};
    labelProblems(out, spec.selector?.matchLabels, 'spec.selector.matchLabels');
    if (o.kind === 'Service') labelProblems(out, spec.selector, 'spec.selector');
    if (spec.template || spec.jobTemplate) labelProblems(out, podLabelsOf(o), 'pod template labels');
    return out;
  },
};
