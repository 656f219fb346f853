/**
 * Renders `alertmanager.yml` from the case study's severity tiers (section 3.4):
 *
 * | Severity | Receiver            | Notification                      | Escalation                                   |
 * |----------|---------------------|-----------------------------------|----------------------------------------------|
 * | P0       | pager               | at once (`group_wait: 0s`)        | escalation receiver after 10 min if firing   |
 * | P1       | pager               | after 30 s of grouping            | escalation receiver after 10 min unless acked |
 * | P2       | pager               | after a 5 min delay               | none from Alertmanager                        |
 * | P3       | chat                | after 1 min of grouping           | none (ticket)                                |
 * | P4       | `null` (dashboards) | never                             | none                                         |
 *
 * Grouping is by `service` and `region` (the latter from Prometheus' external labels), and a
 * firing P0 "service down" alert (`severity="P0"`, alert name ending in `Down`) inhibits the
 * same service's P1-P4 alerts in the same region and namespace.
 *
 * **Escalation.** Alertmanager has no notion of acknowledgement. The escalation routes are
 * second routes (`continue: true`) whose `group_wait` is the escalation delay: they notify the
 * escalation receiver only if the alert still fires after 10 min. For P1, "acknowledged" means
 * silenced in Alertmanager (a silence suppresses the pending escalation) or acknowledged in the
 * pager, whose own escalation policy should use the same 10 min. A P0 escalates after 10 min
 * unless it resolves; silencing a P0 also stops its escalation (Alertmanager cannot exempt a
 * route from silences), which the runbooks say not to do for P0. P2's "ticket if not
 * acknowledged in 20 min" is left to the pager's escalation policy.
 *
 * **Secrets.** No URL or key appears in the configuration: each receiver reads its credential
 * from a file (`routing_key_file`, `api_key_file`, `api_url_file`) under the directory where
 * prometheus-operator mounts the Secrets listed in `Alertmanager.spec.secrets`
 * (`/etc/alertmanager/secrets/<secret>/<key>`). Alertmanager 0.25 (Debian's) has no
 * `url_file` for webhooks, so webhook receivers are not offered.
 *
 * @see the case study, section 3.4 (tiered alerting, P0-P4 table, escalation)
 * @see https://prometheus.io/docs/alerting/latest/configuration/
 */
import { Severity } from './slo-rules';
import { Problem, Problems } from '../core/errors';
import { isDnsLabel } from '../core/labels';
import { durationSeconds, PromDuration } from '../reliability/error-budget';

/** Where prometheus-operator mounts the Secrets of `Alertmanager.spec.secrets`. */
export const ALERTMANAGER_SECRETS_DIR = '/etc/alertmanager/secrets';

/** A key of a Kubernetes Secret in the Alertmanager's namespace. */
export interface SecretKeyRef {
  /** The Secret's name. */
  readonly name: string;
  /** The key holding the credential. */
  readonly key: string;
}

/** A notification target; its credential is read from a mounted Secret file. */
export type AlertReceiver =
  | { readonly kind: 'pagerduty'; readonly routingKey: SecretKeyRef }
  | { readonly kind: 'opsgenie'; readonly apiKey: SecretKeyRef }
  | { readonly kind: 'slack'; readonly apiUrl: SecretKeyRef; readonly channel: string };

/** Timing of one severity's route. */
export interface TierTiming {
  /** Wait before the first notification of a new group. */
  readonly groupWait: PromDuration;
  /** Wait before notifying about new alerts added to a group already notified. */
  readonly groupInterval: PromDuration;
  /** Wait before re-sending a notification that is still firing. */
  readonly repeatInterval: PromDuration;
}

/**
 * Default timing per tier. P0 0 s (page at once), P1 30 s (respond within 15 min), P2 5 min
 * (the "delay": a short blip resolves before anyone is paged), P3 1 min, P4 is never sent.
 * @see the case study, section 3.4
 */
export const DEFAULT_TIER_TIMING: Readonly<Record<Exclude<Severity, 'P4'>, TierTiming>> = {
  P0: { groupWait: '0s', groupInterval: '1m', repeatInterval: '30m' },
  P1: { groupWait: '30s', groupInterval: '5m', repeatInterval: '1h' },
  P2: { groupWait: '5m', groupInterval: '5m', repeatInterval: '4h' },
  P3: { groupWait: '1m', groupInterval: '10m', repeatInterval: '12h' },
};

/** Options of {@link renderAlertmanagerConfig}. */
export interface AlertRoutingOptions {
  /** The primary on-call pager (P0, P1, P2). */
  readonly pager: AlertReceiver;
  /**
   * The on-call manager, paged when a P0 or P1 still fires after `escalateAfter`.
   * @see the case study, section 3.4 ("Escalate to on-call manager after 10 min")
   */
  readonly escalation: AlertReceiver;
  /** The team chat (P3, and any alert without a severity). */
  readonly chat: AlertReceiver;
  /**
   * Per-region pagers (follow-the-sun rotations): P0-P2 alerts with `region="<name>"` page
   * this receiver instead of `pager`.
   * @default {} (every region pages `pager`)
   */
  readonly regionalPagers?: Readonly<Record<string, AlertReceiver>>;
  /**
   * Delay after which a P0/P1 still firing (and not silenced) is escalated.
   * @default '10m'
   * @see the case study, section 3.4
   */
  readonly escalateAfter?: PromDuration;
  /**
   * Timing overrides per tier.
   * @default DEFAULT_TIER_TIMING
   */
  readonly timing?: Partial<Record<Exclude<Severity, 'P4'>, Partial<TierTiming>>>;
  /**
   * Labels alerts are grouped by.
   * @default ['service', 'region']
   */
  readonly groupBy?: readonly string[];
  /**
   * Regex (RE2, anchored by Alertmanager) on `alertname` that marks a P0 alert as "service
   * down", whose firing inhibits the same service's P1-P4 alerts.
   * @default '.+Down' (the standard alert pack's `<Service>Down`)
   */
  readonly serviceDownAlertName?: string;
  /**
   * Labels that must be equal for the inhibition to apply.
   * @default ['service', 'namespace', 'region']
   */
  readonly inhibitEqual?: readonly string[];
  /**
   * Directory where the receiver Secrets are mounted.
   * @default ALERTMANAGER_SECRETS_DIR ('/etc/alertmanager/secrets', prometheus-operator's)
   */
  readonly secretsDir?: string;
  /**
   * `global.resolve_timeout`.
   * @default '5m'
   */
  readonly resolveTimeout?: PromDuration;
}

/** The rendered configuration and the Secrets it reads. */
export interface RenderedAlertmanagerConfig {
  /** The configuration as a plain object (serialise with `yaml.stringify`). */
  readonly config: Record<string, any>;
  /** Names of the Secrets the receivers read; list them in `Alertmanager.spec.secrets`. */
  readonly secrets: readonly string[];
  /** Receiver names by role, e.g. `{ P0: 'pager', escalation: 'escalation', ... }`. */
  readonly receivers: Readonly<Record<string, string>>;
}

/** Receiver names the configuration uses. */
export const RECEIVER_NAMES = { pager: 'pager', escalation: 'escalation', chat: 'chat', none: 'null' } as const;

const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function receiverProblems(r: AlertReceiver | undefined, prop: string): Problem[] {
  const fix = 'give { kind: "pagerduty", routingKey: { name, key } }, { kind: "opsgenie", apiKey: {...} } or { kind: "slack", apiUrl: {...}, channel }';
  if (!r || typeof r !== 'object') return [{ prop, value: r, why: 'is not a receiver', fix }];
  const ref = r.kind === 'pagerduty' ? r.routingKey : r.kind === 'opsgenie' ? r.apiKey : r.kind === 'slack' ? r.apiUrl : undefined;
  const refProp = r.kind === 'pagerduty' ? 'routingKey' : r.kind === 'opsgenie' ? 'apiKey' : 'apiUrl';
  if (ref === undefined && !['pagerduty', 'opsgenie', 'slack'].includes((r as any).kind)) {
    return [{ prop: `${prop}.kind`, value: (r as any).kind, why: 'is not a supported receiver kind', fix }];
  }
  const out: Problem[] = [];
  if (!ref || typeof ref.name !== 'string' || !SECRET_NAME.test(ref.name) || ref.name.length > 253) {
    out.push({ prop: `${prop}.${refProp}.name`, value: ref?.name, why: 'is not a Secret name', fix: 'name a Secret in the Alertmanager\'s namespace, e.g. "alertmanager-pagerduty"' });
  }
  if (!ref || typeof ref.key !== 'string' || !SECRET_KEY.test(ref.key)) {
    out.push({ prop: `${prop}.${refProp}.key`, value: ref?.key, why: 'is not a Secret key', fix: 'use letters, digits, "-", "_" and ".", e.g. "routing-key"' });
  }
  if (r.kind === 'slack' && (typeof r.channel !== 'string' || !/^[#@]?[^\s]+$/.test(r.channel))) {
    out.push({ prop: `${prop}.channel`, value: r.channel, why: 'is not a Slack channel', fix: 'give e.g. "#orders-alerts"' });
  }
  return out;
}

function durationProblems(value: unknown, prop: string, allowZero: boolean): Problem[] {
  const s = durationSeconds(value);
  return s === undefined || (!allowZero && s === 0)
    ? [{ prop, value, why: `is not a ${allowZero ? '' : 'positive '}Prometheus duration`, fix: 'use e.g. "30s", "5m" or "1h"' }] : [];
}

/**
 * Validates the options; returns every problem (empty when valid).
 */
export function alertRoutingProblems(options: AlertRoutingOptions): Problem[] {
  const p: Problem[] = [];
  p.push(...receiverProblems(options.pager, 'pager'));
  p.push(...receiverProblems(options.escalation, 'escalation'));
  p.push(...receiverProblems(options.chat, 'chat'));
  for (const [region, r] of Object.entries(options.regionalPagers ?? {})) {
    if (!isDnsLabel(region)) p.push({ prop: `regionalPagers.${region}`, value: region, why: 'is not a region name', fix: 'use the region\'s name, e.g. "us-east-1"' });
    p.push(...receiverProblems(r, `regionalPagers.${region}`));
  }
  p.push(...durationProblems(options.escalateAfter ?? '10m', 'escalateAfter', false));
  p.push(...durationProblems(options.resolveTimeout ?? '5m', 'resolveTimeout', false));
  for (const [tier, t] of Object.entries(options.timing ?? {})) {
    if (!(tier in DEFAULT_TIER_TIMING)) {
      p.push({ prop: `timing.${tier}`, value: tier, why: 'is not a notified severity', fix: 'use P0, P1, P2 or P3 (P4 is never notified)' });
      continue;
    }
    if (t?.groupWait !== undefined) p.push(...durationProblems(t.groupWait, `timing.${tier}.groupWait`, true));
    if (t?.groupInterval !== undefined) p.push(...durationProblems(t.groupInterval, `timing.${tier}.groupInterval`, false));
    if (t?.repeatInterval !== undefined) p.push(...durationProblems(t.repeatInterval, `timing.${tier}.repeatInterval`, false));
  }
  for (const [prop, list] of [['groupBy', options.groupBy], ['inhibitEqual', options.inhibitEqual]] as const) {
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0) {
      p.push({ prop, value: list, why: 'must list at least one label name', fix: 'give e.g. ["service", "region"]' });
      continue;
    }
    list.forEach((l, i) => {
      if (!LABEL_NAME.test(l)) p.push({ prop: `${prop}[${i}]`, value: l, why: 'is not a Prometheus label name', fix: 'use letters, digits and "_", not starting with a digit' });
    });
  }
  const down = options.serviceDownAlertName ?? '.+Down';
  let badRegex = typeof down !== 'string' || down === '';
  if (!badRegex) {
    try {
      new RegExp(`^(?:${down})$`);
    } catch {
      badRegex = true;
    }
  }
  if (badRegex) p.push({ prop: 'serviceDownAlertName', value: down, why: 'is not a regular expression', fix: 'give e.g. ".+Down"' });
  const dir = options.secretsDir ?? ALERTMANAGER_SECRETS_DIR;
  if (typeof dir !== 'string' || !dir.startsWith('/')) p.push({ prop: 'secretsDir', value: dir, why: 'is not an absolute path', fix: `use "${ALERTMANAGER_SECRETS_DIR}"` });
  return p;
}

function receiverConfig(name: string, r: AlertReceiver, dir: string, severity: string): Record<string, unknown> {
  const file = (ref: SecretKeyRef) => `${dir.replace(/\/+$/, '')}/${ref.name}/${ref.key}`;
  switch (r.kind) {
    case 'pagerduty':
      return { name, pagerduty_configs: [{ routing_key_file: file(r.routingKey), severity, send_resolved: true }] };
    case 'opsgenie':
      return { name, opsgenie_configs: [{ api_key_file: file(r.apiKey), priority: '{{ .CommonLabels.severity }}', send_resolved: true }] };
    case 'slack':
      return { name, slack_configs: [{ api_url_file: file(r.apiUrl), channel: r.channel, send_resolved: true }] };
  }
}

function secretOf(r: AlertReceiver): string {
  return r.kind === 'pagerduty' ? r.routingKey.name : r.kind === 'opsgenie' ? r.apiKey.name : r.apiUrl.name;
}

/**
 * Renders the Alertmanager configuration.
 * @throws ValidationError listing every bad option.
 */
export function renderAlertmanagerConfig(options: AlertRoutingOptions): RenderedAlertmanagerConfig {
  const problems = new Problems('renderAlertmanagerConfig', 'options');
  problems.addAll(alertRoutingProblems(options));
  problems.throwIfAny();

  const dir = options.secretsDir ?? ALERTMANAGER_SECRETS_DIR;
  const escalateAfter = options.escalateAfter ?? '10m';
  const groupBy = [...(options.groupBy ?? ['service', 'region'])];
  const timing = (tier: Exclude<Severity, 'P4'>): Record<string, string> => {
    const t = { ...DEFAULT_TIER_TIMING[tier], ...options.timing?.[tier] };
    return { group_wait: t.groupWait, group_interval: t.groupInterval, repeat_interval: t.repeatInterval };
  };
  const regional = Object.entries(options.regionalPagers ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const N = RECEIVER_NAMES;

  const receivers: Record<string, unknown>[] = [
    { name: N.none },
    receiverConfig(N.pager, options.pager, dir, 'critical'),
    ...regional.map(([region, r]) => receiverConfig(`${N.pager}-${region}`, r, dir, 'critical')),
    receiverConfig(N.escalation, options.escalation, dir, 'critical'),
    receiverConfig(N.chat, options.chat, dir, 'warning'),
  ];
  const pagerRoute = (severity: Severity): Record<string, unknown> => ({
    receiver: N.pager,
    matchers: [`severity="${severity}"`],
    ...timing(severity as Exclude<Severity, 'P4'>),
    ...(regional.length ? { routes: regional.map(([region]) => ({ receiver: `${N.pager}-${region}`, matchers: [`region="${region}"`] })) } : {}),
  });
  const escalationRoute = (severity: Severity): Record<string, unknown> => ({
    receiver: N.escalation,
    matchers: [`severity="${severity}"`],
    group_wait: escalateAfter,
    group_interval: timing(severity as Exclude<Severity, 'P4'>).group_interval,
    repeat_interval: timing(severity as Exclude<Severity, 'P4'>).repeat_interval,
  });

  const config = {
    global: { resolve_timeout: options.resolveTimeout ?? '5m' },
    route: {
      // Anything without a known severity still reaches a person, in chat.
      receiver: N.chat,
      group_by: groupBy,
      ...timing('P3'),
      routes: [
        { ...pagerRoute('P0'), continue: true },
        escalationRoute('P0'),
        { ...pagerRoute('P1'), continue: true },
        escalationRoute('P1'),
        pagerRoute('P2'),
        { receiver: N.chat, matchers: ['severity="P3"'], ...timing('P3') },
        { receiver: N.none, matchers: ['severity="P4"'] },
      ],
    },
    inhibit_rules: [{
      source_matchers: ['severity="P0"', `alertname=~"${options.serviceDownAlertName ?? '.+Down'}"`],
      target_matchers: ['severity=~"P1|P2|P3|P4"'],
      equal: [...(options.inhibitEqual ?? ['service', 'namespace', 'region'])],
    }],
    receivers,
  };
  const secrets = [...new Set([options.pager, options.escalation, options.chat, ...regional.map(([, r]) => r)].map(secretOf))].sort();
  return {
    config,
    secrets,
    receivers: {
      P0: N.pager,
      P1: N.pager,
      P2: N.pager,
      P3: N.chat,
      P4: N.none,
      escalation: N.escalation,
      ...Object.fromEntries(regional.map(([region]) => [`pager:${region}`, `${N.pager}-${region}`])),
    },
  };
}
