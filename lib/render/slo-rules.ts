/**
 * SLO recording rules and multi-window, multi-burn-rate alerts, rendered as plain Prometheus rule
 * groups (the shape of a rule file's `groups:` and of a prometheus-operator PrometheusRule's
 * `spec.groups`). Pure: the same objects go into a PrometheusRule and, in the system test, to
 * `promtool check rules` / `promtool test rules`.
 *
 * **Recording rules.** Per SLO, labelled `{service, namespace, slo}`:
 * - `slo:sli_errors:rate5m` and `slo:sli_requests:rate5m`: bad and all events per second over 5m,
 *   summed over every series the selector matches (one output series per SLO);
 * - `slo:sli_error:ratio_rate<w>` for w in 5m, 30m, 1h, 2h, 6h from raw `rate(...[w])`;
 * - `slo:sli_error:ratio_rate<w>` for w in 1d, 3d and the SLO window (30d) as
 *   `sum_over_time(slo:sli_errors:rate5m[w]) / sum_over_time(slo:sli_requests:rate5m[w])`;
 * - `slo:error_budget:remaining` = `1 - ratio_rate<window> / (1 - objective)`.
 *
 * **Why long windows come from the 5m records.** `rate(http_requests_total[3d])` reads three
 * days of samples of every matching series (every pod × route × status code) at each evaluation;
 * summing one pre-aggregated series per SLO reads one sample per evaluation interval instead.
 * The price: (1) the long ratios cover only the time since the 5m records began (a new SLO's
 * "1d" ratio is its first hours), (2) the recorded series must be retained for the whole SLO
 * window (Prometheus' default retention is 15d; a 30d window needs 30d of retention or a
 * long-term store), (3) each 5m rate is sampled once per `interval`, so the group interval must
 * not exceed 5m or events between samples are missed. The ratio of sums is request-weighted, so a
 * quiet night does not weigh as much as a busy day (an average of ratios would).
 *
 * **Alerts.** A tier fires when both its long and short window error ratios exceed
 * `burnRate × (1 - objective)` (14.4 × 0.0005 = 0.0072 for the 1h/5m page at 99.95%). Severities
 * follow the case study's P0–P4 tiers: the two pages are P1 ("SLO breached, high error rate";
 * P0 is kept for complete outage, which the standard alert pack's service-down alert covers),
 * the two tickets P3 ("elevated but within SLO"), budget exhaustion P3 (a deployment-freeze
 * signal for the pipeline and the team, not a reason to wake anyone: the pages did that while
 * the budget burned). Every severity, `for` and the tier itself can be overridden or switched off.
 *
 * @see https://sre.google/workbook/alerting-on-slos/
 * @see the case study, "Error Budgets and SLO/SLI Definitions" and section 3.4 "Tiered Alerting System (P0–P4)"
 */
import { Problem, Problems } from '../core/errors';
import { isDnsLabel } from '../core/labels';
import {
  allowedDowntime,
  BURN_RATE_TIERS,
  BurnRateTier,
  burnRateThreshold,
  burnRateWindows,
  DURATION_FIX,
  durationSeconds,
  formatExact,
  LONGEST_WINDOW_SECONDS,
  Objective,
  ObjectiveLike,
  PromDuration,
  validateObjective,
} from '../reliability/error-budget';

/**
 * The case study's alert severities (section 3.4, "Tiered Alerting System (P0–P4)").
 *
 * @see the case study, section 3.4
 */
export type Severity = 'P0' | 'P1' | 'P2' | 'P3' | 'P4';

/** What each severity means and how it is handled, as the case study's table puts it. */
export const SEVERITIES: Readonly<Record<Severity, string>> = {
  P0: 'Critical: service completely unavailable, production data loss, SLA breach; page on-call immediately',
  P1: 'Urgent: service degraded >50%, SLO breached, high error rate; page on-call, respond within 15 min',
  P2: 'High: service degraded 10-50%, elevated error rate or latency; page on-call, respond within 30 min',
  P3: 'Medium: elevated but within SLO, resource warning; Slack notification and a ticket',
  P4: 'Low: informational; log to dashboards, review during office hours',
};

/** A recording rule. */
export interface PrometheusRecordingRule {
  /** The recorded series' name, e.g. `slo:sli_error:ratio_rate5m`. */
  readonly record: string;
  /** The PromQL expression. */
  readonly expr: string;
  /** Labels added to the recorded series. */
  readonly labels: Readonly<Record<string, string>>;
}

/** An alerting rule. */
export interface PrometheusAlertingRule {
  /** The alert's name, e.g. `OrderServiceDown`. */
  readonly alert: string;
  /** The PromQL condition: the alert is pending while it returns a result. */
  readonly expr: string;
  /** How long the condition must hold before the alert fires. */
  readonly for: PromDuration;
  /** Labels on the alert: `severity`, `service`, `namespace` and, for SLO alerts, `slo`. */
  readonly labels: Readonly<Record<string, string>>;
  /** `summary`, `description`, `runbook_url`, `dashboard_url`. */
  readonly annotations: Readonly<Record<string, string>>;
}

/** A Prometheus rule group, as in a rule file or a PrometheusRule's `spec.groups`. */
export interface PrometheusRuleGroup {
  /** The group's name, unique in the file. */
  readonly name: string;
  /** How often the group is evaluated. */
  readonly interval?: PromDuration;
  /** The rules, evaluated in order. */
  readonly rules: ReadonlyArray<PrometheusRecordingRule | PrometheusAlertingRule>;
}

/** Who a rule set is about, and how to find the service's own metrics. */
export interface ServiceIdentity {
  /**
   * The service's name (a DNS label). Names the rule groups and alerts and becomes the
   * `service` label.
   * @see the case study, section 3.4 (alerts named after the service: `OrderServiceDown`)
   */
  readonly name: string;
  /**
   * The service's namespace; becomes the `namespace` label on every recorded series and alert.
   * @see https://sre.google/workbook/alerting-on-slos/
   */
  readonly namespace: string;
  /**
   * Equality matchers that select the service's own metrics (`http_requests_total`, `up`), e.g.
   * `{ job: 'order-service', namespace: 'orders' }`. Required, no default: a wrong guess would
   * select nothing and the alerts would stay silent.
   * @see the case study, section 3.3 (`rate(http_requests_total{job="order-service"}[5m])`)
   */
  readonly selector: Readonly<Record<string, string>>;
}

/** Severity, `for` and on/off switch of one alert. */
export interface AlertOptions {
  /**
   * Whether the alert is rendered.
   * @default true
   * @see https://sre.google/workbook/alerting-on-slos/
   */
  readonly enabled?: boolean;
  /**
   * The `severity` label.
   * @default - per alert, see the alert's documentation
   * @see the case study, section 3.4
   */
  readonly severity?: Severity;
  /**
   * How long the condition must hold before the alert fires.
   * @default - per alert, see the alert's documentation
   * @see https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/
   */
  readonly for?: PromDuration;
}

/** Per-tier alert settings; a tier left out keeps its defaults. */
export type BurnRateAlertsOptions = { readonly [T in BurnRateTier]?: AlertOptions };

/**
 * Default severity and `for` of each burn-rate tier and of the budget-exhausted alert.
 *
 * Pages are P1 and tickets P3 (see the module doc). The `for` durations are 1/30 to 1/24 of
 * the long window: enough to ride out one bad evaluation (a scrape gap, a counter reset) while
 * adding at most 4% of the long window to detection; the short window already stops the alert
 * soon after recovery. The workbook itself uses no `for`; set `for: '0s'` to follow it exactly.
 *
 * @see https://sre.google/workbook/alerting-on-slos/#6-multiwindow-multi-burn-rate-alerts
 */
export const DEFAULT_SLO_ALERTS: Readonly<Record<BurnRateTier | 'budgetExhausted' | 'noData', { readonly severity: Severity; readonly for: PromDuration }>> = {
  fastPage: { severity: 'P1', for: '2m' },
  slowPage: { severity: 'P1', for: '15m' },
  fastTicket: { severity: 'P3', for: '1h' },
  slowTicket: { severity: 'P3', for: '3h' },
  budgetExhausted: { severity: 'P3', for: '5m' },
  noData: { severity: 'P2', for: '10m' },
};

/** Options of {@link Sli.availability}. */
export interface AvailabilitySliOptions {
  /**
   * The request counter.
   * @default 'http_requests_total'
   * @see the case study, section 3.3 (RED metrics)
   */
  readonly metric?: string;
  /**
   * The label carrying the HTTP status (`code` in Go and most exporters, `status` in the case
   * study's Python example).
   * @default 'code'
   */
  readonly statusLabel?: string;
  /**
   * Regular expression for the statuses that count as failed requests.
   * @default '5..'
   * @see the case study, "Defining SLIs and SLOs" (non-5xx responses succeed)
   */
  readonly errorStatus?: string;
}

/** Options of {@link Sli.latency}. */
export interface LatencySliOptions {
  /**
   * A request is good when it completes within this many seconds; must be one of `buckets`,
   * since only a bucket boundary can be counted exactly.
   * @see the case study, "Latency SLO: 99.5% of requests complete within 100ms"
   */
  readonly thresholdSeconds: number;
  /**
   * The histogram's bucket boundaries (`le` values) in seconds.
   * @default [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] (the case study's order-service histogram)
   */
  readonly buckets?: readonly number[];
  /**
   * The histogram's base name (`_bucket` and `_count` are appended).
   * @default 'http_request_duration_seconds'
   * @see the case study, section 3.3 (the order-service histogram)
   */
  readonly metric?: string;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A PromQL selector: `metric{a="x",b=~"y"}` (or just `metric` when there is no matcher).
 * @internal shared with alert-pack.ts
 */
export function promSelector(metric: string, equal: Readonly<Record<string, string>>, extra: readonly string[] = []): string {
  const matchers = [...Object.entries(equal).map(([k, v]) => `${k}=${JSON.stringify(v)}`), ...extra];
  return matchers.length === 0 ? metric : `${metric}{${matchers.join(',')}}`;
}

/**
 * What counts as a good event: a non-5xx response ({@link Sli.availability}) or a response within
 * a latency threshold ({@link Sli.latency}).
 */
export abstract class Sli {
  /** Availability: the share of requests that did not fail with a 5xx (or `errorStatus`). */
  public static availability(options: AvailabilitySliOptions = {}): AvailabilitySli {
    return new AvailabilitySli(options);
  }

  /** Latency: the share of requests that completed within `thresholdSeconds`. */
  public static latency(options: LatencySliOptions): LatencySli {
    return new LatencySli(options);
  }

  /** `availability` or `latency`; part of the default SLO name (`order-service-availability`). */
  public abstract readonly kind: 'availability' | 'latency';

  /**
   * The problems with this SLI's options, props relative to the SLI.
   * @internal
   */
  public abstract problems(service: ServiceIdentity): Problem[];

  /**
   * PromQL: bad events per second over `window`, summed over the service's series.
   * @param matchers extra label matchers, e.g. `pod=~"order-service-[a-z0-9]+-[a-z0-9]{5}"` to judge a canary's pods only
   */
  public abstract errorRate(service: ServiceIdentity, window: PromDuration, matchers?: readonly string[]): string;

  /**
   * PromQL: all events per second over `window`, summed over the service's series.
   * @param matchers extra label matchers (see {@link Sli.errorRate})
   */
  public abstract requestRate(service: ServiceIdentity, window: PromDuration, matchers?: readonly string[]): string;

  /**
   * PromQL: the series every event is counted in (the request counter), selected for the service:
   * what the SLO's no-data alert watches with `absent(...)`.
   */
  public abstract sourceSeries(service: ServiceIdentity): string;
}

/** Availability SLI: non-5xx requests over all requests. Create with {@link Sli.availability}. */
export class AvailabilitySli extends Sli {
  public readonly kind = 'availability' as const;
  /** The request counter. */
  public readonly metric: string;
  /** The status label. */
  public readonly statusLabel: string;
  /** The regular expression of failed statuses. */
  public readonly errorStatus: string;

  /** @internal use {@link Sli.availability} */
  constructor(options: AvailabilitySliOptions) {
    super();
    this.metric = options.metric ?? 'http_requests_total';
    this.statusLabel = options.statusLabel ?? 'code';
    this.errorStatus = options.errorStatus ?? '5..';
  }

  /** @internal */
  public problems(service: ServiceIdentity): Problem[] {
    const p: Problem[] = [];
    if (!METRIC_NAME.test(this.metric)) {
      p.push({ prop: 'metric', value: this.metric, why: 'is not a Prometheus metric name', fix: 'use letters, digits, _ and :, e.g. "http_requests_total"' });
    }
    if (!LABEL_NAME.test(this.statusLabel)) {
      p.push({ prop: 'statusLabel', value: this.statusLabel, why: 'is not a Prometheus label name', fix: 'use the label carrying the HTTP status, e.g. "code" or "status"' });
    } else if (service.selector && Object.prototype.hasOwnProperty.call(service.selector, this.statusLabel)) {
      p.push({
        prop: 'statusLabel',
        value: this.statusLabel,
        why: 'is also a label of service.selector, so good and bad requests could not both be selected',
        fix: `remove "${this.statusLabel}" from service.selector`,
      });
    }
    if (this.errorStatus.length === 0) {
      p.push({ prop: 'errorStatus', value: this.errorStatus, why: 'is empty, so no request could ever fail', fix: 'use a regular expression such as "5.."' });
    }
    return p;
  }

  public errorRate(service: ServiceIdentity, window: PromDuration, matchers: readonly string[] = []): string {
    const bad = promSelector(this.metric, service.selector, [`${this.statusLabel}=~${JSON.stringify(this.errorStatus)}`, ...matchers]);
    // A service that never failed has no 5xx series at all: count that as zero errors, not as no data.
    return `(sum(rate(${bad}[${window}])) or vector(0))`;
  }

  public requestRate(service: ServiceIdentity, window: PromDuration, matchers: readonly string[] = []): string {
    return `sum(rate(${promSelector(this.metric, service.selector, matchers)}[${window}]))`;
  }

  public sourceSeries(service: ServiceIdentity): string {
    return promSelector(this.metric, service.selector);
  }
}

/** The histogram's default bucket boundaries: the case study's order-service histogram. */
export const CASE_STUDY_BUCKETS: readonly number[] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** Latency SLI: requests within a histogram bucket over all requests. Create with {@link Sli.latency}. */
export class LatencySli extends Sli {
  public readonly kind = 'latency' as const;
  /** The threshold in seconds. */
  public readonly thresholdSeconds: number;
  /** The histogram's bucket boundaries. */
  public readonly buckets: readonly number[];
  /** The histogram's base name. */
  public readonly metric: string;

  /** @internal use {@link Sli.latency} */
  constructor(options: LatencySliOptions) {
    super();
    this.thresholdSeconds = options.thresholdSeconds;
    this.buckets = options.buckets ?? CASE_STUDY_BUCKETS;
    this.metric = options.metric ?? 'http_request_duration_seconds';
  }

  /** @internal */
  public problems(): Problem[] {
    const p: Problem[] = [];
    if (!METRIC_NAME.test(this.metric)) {
      p.push({ prop: 'metric', value: this.metric, why: 'is not a Prometheus metric name', fix: 'use the histogram base name, e.g. "http_request_duration_seconds"' });
    }
    if (typeof this.thresholdSeconds !== 'number' || !(this.thresholdSeconds > 0) || !Number.isFinite(this.thresholdSeconds)) {
      p.push({ prop: 'thresholdSeconds', value: this.thresholdSeconds, why: 'must be a positive number of seconds', fix: 'give the latency target, e.g. 0.1 for 100 ms' });
    } else if (!this.buckets.includes(this.thresholdSeconds)) {
      p.push({
        prop: 'thresholdSeconds',
        value: this.thresholdSeconds,
        why: `is not one of the histogram's buckets (${this.buckets.join(', ')})`,
        fix: 'pick a bucket boundary as the threshold, or add it to the histogram and to buckets',
      });
    }
    return p;
  }

  public errorRate(service: ServiceIdentity, window: PromDuration, matchers: readonly string[] = []): string {
    return `(${this.requestRate(service, window, matchers)} - ${this.goodRate(service, window, matchers)})`;
  }

  public requestRate(service: ServiceIdentity, window: PromDuration, matchers: readonly string[] = []): string {
    return `sum(rate(${promSelector(`${this.metric}_count`, service.selector, matchers)}[${window}]))`;
  }

  public sourceSeries(service: ServiceIdentity): string {
    return promSelector(`${this.metric}_count`, service.selector);
  }

  /** Requests within the threshold. `le` is written "1" by Go clients and "1.0" by Python/Java ones: match both. */
  private goodRate(service: ServiceIdentity, window: PromDuration, matchers: readonly string[]): string {
    const le = String(this.thresholdSeconds).replace(/\./g, '\\.');
    const pattern = Number.isInteger(this.thresholdSeconds) ? `${le}(\\.0)?` : `${le}0*`;
    return `sum(rate(${promSelector(`${this.metric}_bucket`, service.selector, [`le=~${JSON.stringify(pattern)}`, ...matchers])}[${window}]))`;
  }
}

/** Input of {@link renderSloRules}. */
export interface SloRulesOptions {
  /**
   * The service the SLO belongs to.
   * @see https://sre.google/workbook/alerting-on-slos/
   */
  readonly service: ServiceIdentity;
  /**
   * The objective: `Objective.percent(99.95)`, or a plain fraction (`0.9995`).
   * @see the case study, "Target: 99.95% Uptime"
   */
  readonly objective: ObjectiveLike;
  /**
   * What counts as a good event.
   * @see the case study, "Defining SLIs and SLOs"
   */
  readonly sli: Sli;
  /**
   * The SLO (error budget) window; at least the longest alert window (3d).
   * @default '30d'
   * @see https://sre.google/workbook/alerting-on-slos/
   */
  readonly window?: PromDuration;
  /**
   * The SLO's name: the `slo` label, and the prefix of groups, alerts and runbook pages.
   * @default - `${service.name}-${sli.kind}`, e.g. `order-service-availability`
   */
  readonly name?: string;
  /**
   * Runbook base URL; each alert links `${runbookBaseUrl}/${slug}`, e.g.
   * `https://wiki.example.com/runbooks/order-service-availability-burn-rate-fast-page`.
   * @see the case study, section 3.4 ("Runbooks: clear procedures for common alerts")
   */
  readonly runbookBaseUrl: string;
  /**
   * The service's dashboard, linked from every alert as `dashboard_url`.
   * @see the case study, section 3.4 (actionable alerts link their dashboards)
   */
  readonly dashboardUrl: string;
  /**
   * How often the groups are evaluated; at most 5m so every 5m rate is sampled.
   * @default '30s'
   * @see https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/
   */
  readonly interval?: PromDuration;
  /**
   * Per-tier overrides: severity, `for`, or `enabled: false` to drop a tier's alert.
   * @default - every tier on, with {@link DEFAULT_SLO_ALERTS}
   * @see https://sre.google/workbook/alerting-on-slos/#6-multiwindow-multi-burn-rate-alerts
   */
  readonly tiers?: BurnRateAlertsOptions;
  /**
   * The alert that fires while `slo:error_budget:remaining <= 0`: the case study's
   * "exhausted budget: deployment freeze" signal.
   * @default - on, severity P3, for 5m
   * @see the case study, "Error Budgets and SLO/SLI Definitions"
   */
  readonly budgetExhausted?: AlertOptions;
  /**
   * The alert that fires while the SLI's source series (the request counter) is absent: the
   * burn-rate and budget alerts compare ratios with thresholds, and a comparison without data is
   * silent, so an SLO whose metrics stopped arriving (scrape broken, metric renamed) would pass
   * for ever. `absent(<counter>{<service selector>})` fails it instead.
   * @default - on, severity P2, for 10m
   * @see https://prometheus.io/docs/prometheus/latest/querying/functions/#absent
   * @see https://sre.google/workbook/alerting-on-slos/ (alerts over ratios stay silent without data)
   */
  readonly noData?: AlertOptions;
}

/** Windows whose error ratio is computed from raw counters. */
const RAW_WINDOWS: readonly PromDuration[] = ['5m', '30m', '1h', '2h', '6h'];
/** Windows whose error ratio is summed from the 5m records. */
const DERIVED_WINDOWS: readonly PromDuration[] = ['1d', '3d'];

/**
 * An alert name from a slug: `order-service-availability` → `OrderServiceAvailability`.
 * @internal shared with alert-pack.ts
 */
export function toAlertName(slug: string): string {
  return slug.split('-').filter(Boolean).map(w => w[0].toUpperCase() + w.slice(1)).join('');
}

/** 180000 → `2d 2h`; 90 → `1m 30s`. */
function humanizeSeconds(seconds: number): string {
  const units: Array<[string, number]> = [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]];
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [unit, size] of units) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.slice(0, 2).join(' ') || '0s';
}

/**
 * A ratio as a percentage without binary noise: 0.0072 → `0.72%`.
 * @internal shared with alert-pack.ts
 */
export function percentText(ratio: number): string {
  return `${formatExact(ratio * 100)}%`;
}

/**
 * Validates a service identity; props relative to `prefix`.
 * @internal shared with alert-pack.ts
 */
export function serviceIdentityProblems(service: ServiceIdentity | undefined, prefix = 'service'): Problem[] {
  const p: Problem[] = [];
  if (!service || typeof service !== 'object') {
    return [{ prop: prefix, value: service, why: 'is missing', fix: 'give { name, namespace, selector }' }];
  }
  if (!isSlug(service.name)) {
    p.push({ prop: `${prefix}.name`, value: service.name, why: 'is not a DNS label', fix: 'use lower-case letters, digits and "-", e.g. "order-service"' });
  }
  if (!isSlug(service.namespace)) {
    p.push({ prop: `${prefix}.namespace`, value: service.namespace, why: 'is not a DNS label', fix: 'use the namespace the service runs in, e.g. "orders"' });
  }
  const entries = service.selector && typeof service.selector === 'object' ? Object.entries(service.selector) : [];
  if (entries.length === 0) {
    p.push({
      prop: `${prefix}.selector`,
      value: service.selector,
      why: 'has no label, so it would match every service\'s metrics',
      fix: 'select the service\'s own series, e.g. { job: "order-service", namespace: "orders" }',
    });
  }
  for (const [k, v] of entries) {
    if (!LABEL_NAME.test(k) || k.startsWith('__')) {
      p.push({ prop: `${prefix}.selector`, value: k, why: 'is not a label name a selector can match', fix: 'use letters, digits and _ (not starting with __), e.g. "job"' });
    }
    if (typeof v !== 'string' || v.length === 0) {
      p.push({ prop: `${prefix}.selector.${k}`, value: v, why: 'must be a non-empty string (an empty value matches series without the label)', fix: 'give the exact label value, e.g. "order-service"' });
    }
  }
  return p;
}

function isSlug(value: unknown): value is string {
  return isDnsLabel(value);
}

/**
 * Validates an http(s) URL.
 * @internal shared with alert-pack.ts
 */
export function linkProblems(value: unknown, prop: string): Problem[] {
  let ok = false;
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      ok = url.protocol === 'https:' || url.protocol === 'http:';
    } catch {
      ok = false;
    }
  }
  return ok ? [] : [{ prop, value, why: 'is not an absolute http(s) URL', fix: 'give a full URL, e.g. "https://wiki.example.com/runbooks"' }];
}

/**
 * Validates one alert's options; props relative to `prefix`.
 * @internal shared with alert-pack.ts
 */
export function alertOptionProblems(options: AlertOptions | undefined, prefix: string): Problem[] {
  const p: Problem[] = [];
  if (options === undefined) return p;
  if (options.severity !== undefined && !Object.prototype.hasOwnProperty.call(SEVERITIES, options.severity)) {
    p.push({ prop: `${prefix}.severity`, value: options.severity, why: 'is not a severity tier', fix: 'use one of P0, P1, P2, P3, P4 (the case study\'s tiers)' });
  }
  if (options.for !== undefined && durationSeconds(options.for) === undefined) {
    p.push({ prop: `${prefix}.for`, value: options.for, why: 'is not a Prometheus duration', fix: DURATION_FIX });
  }
  if (options.enabled !== undefined && typeof options.enabled !== 'boolean') {
    p.push({ prop: `${prefix}.enabled`, value: options.enabled, why: 'must be true or false', fix: 'write enabled: false to drop the alert' });
  }
  return p;
}

/**
 * The annotations every alert carries: `summary`, `description`, `runbook_url`, `dashboard_url`.
 * @internal shared with alert-pack.ts
 */
export function alertAnnotations(
  summary: string, description: string, runbookBaseUrl: string, slug: string, dashboardUrl: string,
): Record<string, string> {
  return {
    summary,
    description,
    runbook_url: `${runbookBaseUrl.replace(/\/+$/, '')}/${slug}`,
    dashboard_url: dashboardUrl,
  };
}

/**
 * Renders an SLO as two rule groups: `<slo>-slo-recordings` (error ratios over 5m … 3d and the
 * SLO window, remaining budget) and `<slo>-slo-alerts` (one multi-window, multi-burn-rate alert
 * per enabled tier, and the budget-exhausted alert). The alerts group is left out when every
 * alert is switched off.
 *
 * @throws ValidationError listing every problem with `options`
 * @see https://sre.google/workbook/alerting-on-slos/
 */
export function renderSloRules(options: SloRulesOptions): PrometheusRuleGroup[] {
  const { service, sli } = options;
  const name = options.name ?? `${service?.name}-${sli?.kind}`;
  const window = options.window ?? '30d';
  const interval = options.interval ?? '30s';

  const problems = new Problems('SloRules', name);
  problems.addAll(serviceIdentityProblems(service));
  problems.addAll(validateObjective(options.objective));
  if (!(sli instanceof Sli)) {
    problems.add('sli', sli, 'is not an SLI', 'use Sli.availability() or Sli.latency({ thresholdSeconds })');
  } else if (service && typeof service === 'object') {
    problems.addAll(sli.problems(service), 'sli');
  }
  // The name (by default `<service>-<sli>`) becomes the slo label and the rule group's name: a
  // name too long only because the service's is long is reported with the count, not as malformed.
  if (typeof name === 'string' && name.length > 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    problems.add('name', name, `is ${name.length} characters, over the 63 of a DNS label (it defaults to <service>-<sli>)`,
      'give the SLO a name of at most 63 characters (the name prop), e.g. "checkout-availability"');
  } else {
    problems.when(!isSlug(name), 'name', name, 'is not a DNS label', 'use lower-case letters, digits and "-", e.g. "order-service-availability"');
  }
  const windowSeconds = durationSeconds(window);
  if (!problems.when(windowSeconds === undefined, 'window', window, 'is not a Prometheus duration', DURATION_FIX)) {
    problems.when(windowSeconds! < LONGEST_WINDOW_SECONDS, 'window', window, 'is shorter than the longest alert window (3d)',
      'use a window of at least "3d"; the workbook uses "30d"');
  }
  const intervalSeconds = durationSeconds(interval);
  problems.when(intervalSeconds === undefined || intervalSeconds === 0 || intervalSeconds > 300, 'interval', interval,
    'must be a Prometheus duration between 1s and 5m, or 5m error rates would go unsampled', 'use e.g. "30s" or "1m"');
  problems.addAll(linkProblems(options.runbookBaseUrl, 'runbookBaseUrl'));
  problems.addAll(linkProblems(options.dashboardUrl, 'dashboardUrl'));
  for (const [tier, tierOptions] of Object.entries(options.tiers ?? {})) {
    if (!(BURN_RATE_TIERS as readonly string[]).includes(tier)) {
      problems.add(`tiers.${tier}`, tierOptions, 'is not a burn-rate tier', `use one of ${BURN_RATE_TIERS.join(', ')}`);
    } else {
      problems.addAll(alertOptionProblems(tierOptions, `tiers.${tier}`));
    }
  }
  problems.addAll(alertOptionProblems(options.budgetExhausted, 'budgetExhausted'));
  problems.addAll(alertOptionProblems(options.noData, 'noData'));
  problems.throwIfAny();

  const objective = Objective.of(options.objective);
  const ids = { service: service.name, namespace: service.namespace, slo: name };
  const series = (metric: string) => promSelector(metric, ids);

  const recordings: PrometheusRecordingRule[] = [
    { record: 'slo:sli_errors:rate5m', expr: sli.errorRate(service, '5m'), labels: ids },
    { record: 'slo:sli_requests:rate5m', expr: sli.requestRate(service, '5m'), labels: ids },
    { record: 'slo:sli_error:ratio_rate5m', expr: `${series('slo:sli_errors:rate5m')} / ${series('slo:sli_requests:rate5m')}`, labels: ids },
    ...RAW_WINDOWS.filter(w => w !== '5m').map(w => ({
      record: `slo:sli_error:ratio_rate${w}`,
      expr: `${sli.errorRate(service, w)} / ${sli.requestRate(service, w)}`,
      labels: ids,
    })),
    ...[...DERIVED_WINDOWS, window].filter((w, i, all) => all.indexOf(w) === i).map(w => ({
      record: `slo:sli_error:ratio_rate${w}`,
      expr: `sum_over_time(${series('slo:sli_errors:rate5m')}[${w}]) / sum_over_time(${series('slo:sli_requests:rate5m')}[${w}])`,
      labels: ids,
    })),
    {
      record: 'slo:error_budget:remaining',
      expr: `1 - ${series(`slo:sli_error:ratio_rate${window}`)} / ${objective.budget}`,
      labels: ids,
    },
  ];

  const what = `${service.name} ${sli.kind}`;
  const budgetText = `the ${objective} objective leaves ${percentText(objective.budget)} of requests, ${formatExact(allowedDowntime(objective, window).minutes)} min of full outage per ${window}`;
  const alerts: PrometheusAlertingRule[] = [];
  for (const row of burnRateWindows(window)) {
    const tierOptions = options.tiers?.[row.tier] ?? {};
    if (tierOptions.enabled === false) continue;
    const threshold = burnRateThreshold(row, objective);
    const slug = `${name}-burn-rate-${row.tier.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)}`;
    alerts.push({
      alert: toAlertName(slug),
      expr: `${series(`slo:sli_error:ratio_rate${row.longWindow}`)} > ${threshold}\nand\n${series(`slo:sli_error:ratio_rate${row.shortWindow}`)} > ${threshold}`,
      for: tierOptions.for ?? DEFAULT_SLO_ALERTS[row.tier].for,
      labels: { severity: tierOptions.severity ?? DEFAULT_SLO_ALERTS[row.tier].severity, ...ids },
      annotations: alertAnnotations(
        `${what} SLO: error budget burn rate above ${row.burnRate}x over ${row.longWindow} and ${row.shortWindow} (${row.action})`,
        `The ${what} error ratio is above ${percentText(threshold)} (${row.burnRate}x the budget) over both ${row.longWindow} and ${row.shortWindow}; `
          + `${budgetText}. At this rate the ${window} budget is gone in ${humanizeSeconds(windowSeconds! / row.burnRate)}, `
          + `and at least ${percentText(row.budgetConsumed)} of it is spent by the time this fires.`,
        options.runbookBaseUrl, slug, options.dashboardUrl),
    });
  }
  if (options.budgetExhausted?.enabled !== false) {
    const slug = `${name}-error-budget-exhausted`;
    alerts.push({
      alert: toAlertName(slug),
      expr: `${series('slo:error_budget:remaining')} <= 0`,
      for: options.budgetExhausted?.for ?? DEFAULT_SLO_ALERTS.budgetExhausted.for,
      labels: { severity: options.budgetExhausted?.severity ?? DEFAULT_SLO_ALERTS.budgetExhausted.severity, ...ids },
      annotations: alertAnnotations(
        `${what} SLO: the ${window} error budget is exhausted; freeze deployments`,
        `More than ${percentText(objective.budget)} of ${what} events failed over the last ${window}; ${budgetText}. `
          + 'Per the error-budget policy: deployment freeze, all effort on stability until the budget recovers.',
        options.runbookBaseUrl, slug, options.dashboardUrl),
    });
  }

  if (options.noData?.enabled !== false) {
    const slug = `${name}-no-data`;
    const source = sli.sourceSeries(service);
    alerts.push({
      alert: toAlertName(slug),
      expr: `absent(${source})`,
      for: options.noData?.for ?? DEFAULT_SLO_ALERTS.noData.for,
      labels: { severity: options.noData?.severity ?? DEFAULT_SLO_ALERTS.noData.severity, ...ids },
      annotations: alertAnnotations(
        `${what} SLO has no data: ${source} is absent`,
        `No ${source} series has arrived for ${options.noData?.for ?? DEFAULT_SLO_ALERTS.noData.for}, so the ${what} SLO's burn-rate and budget alerts cannot fire: `
          + 'check that the service is scraped (its ServiceMonitor, the target\'s up series) and still exposes the metric.',
        options.runbookBaseUrl, slug, options.dashboardUrl),
    });
  }

  const groups: PrometheusRuleGroup[] = [{ name: `${name}-slo-recordings`, interval, rules: recordings }];
  if (alerts.length > 0) groups.push({ name: `${name}-slo-alerts`, interval, rules: alerts });
  return groups;
}
