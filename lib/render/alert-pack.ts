/**
 * The standard per-service alert pack of the case study (section 3.4's order-service example and
 * the appendix's "Complete Alert Rules"), rendered as one plain Prometheus rule group.
 *
 * | alert                 | condition (defaults)                                           | for | severity |
 * |-----------------------|----------------------------------------------------------------|-----|----------|
 * | `<Service>Down`       | no target of the service is up (or none is scraped at all)     | 1m  | P0       |
 * | `<Service>HighErrorRate` | 5xx share of requests over 5m > 5%                          | 3m  | P1       |
 * | `<Service>HighLatency`   | p95 over 5m > 1 s                                           | 5m  | P2       |
 * | `<Service>DbPoolExhausted` | connections to the database / max_connections > 80% (only when a database is named) | 10m | P3 |
 * | `<Service>HighMemory`    | working set / memory limit > 70%                            | 15m | P4       |
 * | `<Service>PodNotReady`   | a pod's Ready condition is false                            | 10m | P3       |
 * | `<Service>CrashLooping`  | > 3 restarts in 15m, or waiting in CrashLoopBackOff         | 5m  | P3       |
 *
 * Deliberate differences from the case study's snippets: the service-down alert asks whether
 * *any* target is up (`max(up) == 0`) rather than paging P0 for each lost replica, and also fires
 * when the targets vanish from discovery (`absent(up)`); memory uses the working set (what the
 * OOM killer acts on) against kube-state-metrics' limit rather than `container_memory_usage_bytes`
 * (which counts reclaimable page cache); the database pool counts connections in every state,
 * since idle connections hold a `max_connections` slot too.
 *
 * @see the case study, section 3.4 "Alerting Strategy" and the appendix "Complete Alert Rules"
 * @see https://sre.google/workbook/alerting-on-slos/
 */
import {
  alertAnnotations,
  AlertOptions,
  alertOptionProblems,
  toAlertName,
  percentText,
  PrometheusAlertingRule,
  PrometheusRuleGroup,
  promSelector,
  serviceIdentityProblems,
  ServiceIdentity,
  Severity,
  linkProblems,
} from './slo-rules';
import { Problem, Problems } from '../core/errors';
import { DURATION_FIX, durationSeconds, PromDuration } from '../reliability/error-budget';

/** An alert with a ratio or value threshold. */
export interface ThresholdAlertOptions extends AlertOptions {
  /**
   * The value above which the alert's condition holds.
   * @default - per alert, see {@link StandardAlertPackOptions}
   * @see the case study, section 3.4
   */
  readonly threshold?: number;
}

/** The latency alert. */
export interface LatencyAlertOptions extends ThresholdAlertOptions {
  /**
   * The quantile compared with `threshold` (seconds).
   * @default 0.95
   * @see the case study, section 3.4 ("p95 latency >1s")
   */
  readonly quantile?: number;
}

/** The database connection-pool alert. */
export interface DatabasePoolAlertOptions extends ThresholdAlertOptions {
  /**
   * The database's name: the `datname` label of postgres_exporter's `pg_stat_activity_count`.
   * @see the case study, section 3.4 (`pg_stat_activity_count{database="orders"}`)
   */
  readonly database: string;
  /**
   * Equality matchers that select the database server's exporter series, e.g. `{ job: 'orders-db' }`.
   * @default {} (every exporter the Prometheus scrapes; the division pairs series by `instance`)
   * @see https://github.com/prometheus-community/postgres_exporter
   */
  readonly selector?: Readonly<Record<string, string>>;
}

/** The crash-loop alert. */
export interface CrashLoopAlertOptions extends AlertOptions {
  /**
   * More restarts than this within `window` count as crash looping.
   * @default 3
   * @see https://github.com/kubernetes/kube-state-metrics/blob/main/docs/metrics/workload/pod-metrics.md
   */
  readonly restarts?: number;
  /**
   * The window `restarts` are counted over.
   * @default '15m'
   * @see https://prometheus.io/docs/prometheus/latest/querying/functions/#increase
   */
  readonly window?: PromDuration;
}

/** Metric and label names of the service's HTTP instrumentation. */
export interface HttpMetricsOptions {
  /**
   * The request counter.
   * @default 'http_requests_total'
   * @see the case study, section 3.3 (RED metrics)
   */
  readonly requestsMetric?: string;
  /**
   * The label carrying the HTTP status (`status` in the case study's Python example).
   * @default 'code'
   * @see the case study, section 3.3
   */
  readonly statusLabel?: string;
  /**
   * Regular expression of failed statuses.
   * @default '5..'
   * @see the case study, section 3.4 (`status=~"5.."`)
   */
  readonly errorStatus?: string;
  /**
   * The request-duration histogram's base name.
   * @default 'http_request_duration_seconds'
   * @see the case study, section 3.4 (`http_request_duration_seconds_bucket`)
   */
  readonly durationMetric?: string;
}

/** Input of {@link renderStandardAlertPack}. */
export interface StandardAlertPackOptions {
  /**
   * The service the alerts are about.
   * @see the case study, section 3.4
   */
  readonly service: ServiceIdentity;
  /**
   * Runbook base URL; each alert links `${runbookBaseUrl}/${slug}`, e.g. `…/order-service-down`.
   * @see the case study, section 3.4
   */
  readonly runbookBaseUrl: string;
  /**
   * The service's dashboard, linked from every alert as `dashboard_url`.
   * @see the case study, section 3.4 (actionable alerts link their dashboards)
   */
  readonly dashboardUrl: string;
  /**
   * The service's HTTP metric names.
   * @default - `http_requests_total` with a `code` label, `http_request_duration_seconds`
   * @see the case study, section 3.3 (RED metrics)
   */
  readonly http?: HttpMetricsOptions;
  /**
   * Regular expression for the service's pod names in kube-state-metrics and cAdvisor series
   * (which carry no `job` of the service). Matches Deployment pods (`<name>-<hash>-<5 chars>`)
   * and StatefulSet pods (`<name>-<ordinal>`).
   * @default - `${service.name}-([a-z0-9]{1,10}-[a-z0-9]{5}|[0-9]+)`
   * @see https://github.com/kubernetes/kube-state-metrics/blob/main/docs/metrics/workload/pod-metrics.md
   */
  readonly podPattern?: string;
  /**
   * How often the group is evaluated.
   * @default '30s'
   * @see https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/
   */
  readonly interval?: PromDuration;
  /**
   * Complete outage: `max(up) == 0 or absent(up)` over the service's targets.
   * @default - P0, for 1m
   * @see the case study, section 3.4 ("P0: Complete outage", `for: 1m`)
   */
  readonly serviceDown?: AlertOptions;
  /**
   * Share of 5xx responses over 5m.
   * @default - threshold 0.05, P1, for 3m
   * @see the case study, section 3.4 ("P1: High error rate", `> 0.05`, `for: 3m`)
   */
  readonly highErrorRate?: ThresholdAlertOptions;
  /**
   * A latency quantile over 5m, in seconds.
   * @default - quantile 0.95, threshold 1 (second), P2, for 5m
   * @see the case study, section 3.4 ("P2: Elevated latency")
   */
  readonly highLatency?: LatencyAlertOptions;
  /**
   * Connections to the service's database as a share of the server's `max_connections`.
   * Not rendered unless given (a service without a database has no pool).
   * @default - not rendered; when given: threshold 0.8, P3, for 10m
   * @see the case study, section 3.4 ("P3: Database connection pool exhausted")
   */
  readonly databasePool?: DatabasePoolAlertOptions;
  /**
   * Container working set as a share of its memory limit.
   * @default - threshold 0.7, P4, for 15m
   * @see the case study, section 3.4 ("P4: Informational", memory > 70%)
   */
  readonly highMemory?: ThresholdAlertOptions;
  /**
   * A pod of the service reports Ready=false (kube-state-metrics).
   * @default - P3, for 10m
   * @see the case study, appendix "Complete Alert Rules" (`PodNotReady`, `for: 10m`)
   */
  readonly podNotReady?: AlertOptions;
  /**
   * A container restarts more than `restarts` times in `window`, or waits in CrashLoopBackOff.
   * @default - more than 3 restarts in 15m, P3, for 5m
   * @see the case study, section 3.4 (P3: "resource warning, non-critical path affected")
   */
  readonly crashLooping?: CrashLoopAlertOptions;
}

/** Default severity and `for` of an alert. */
export interface AlertDefaults {
  /** The `severity` label. */
  readonly severity: Severity;
  /** How long the condition must hold. */
  readonly for: PromDuration;
}

/** The defaults of every alert of the pack (see {@link StandardAlertPackOptions}). */
export const DEFAULT_PACK_ALERTS: {
  readonly serviceDown: AlertDefaults;
  readonly highErrorRate: AlertDefaults & { readonly threshold: number };
  readonly highLatency: AlertDefaults & { readonly threshold: number; readonly quantile: number };
  readonly databasePool: AlertDefaults & { readonly threshold: number };
  readonly highMemory: AlertDefaults & { readonly threshold: number };
  readonly podNotReady: AlertDefaults;
  readonly crashLooping: AlertDefaults & { readonly restarts: number; readonly window: PromDuration };
} = {
  serviceDown: { severity: 'P0', for: '1m' },
  highErrorRate: { severity: 'P1', for: '3m', threshold: 0.05 },
  highLatency: { severity: 'P2', for: '5m', threshold: 1, quantile: 0.95 },
  databasePool: { severity: 'P3', for: '10m', threshold: 0.8 },
  highMemory: { severity: 'P4', for: '15m', threshold: 0.7 },
  podNotReady: { severity: 'P3', for: '10m' },
  crashLooping: { severity: 'P3', for: '5m', restarts: 3, window: '15m' },
};

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function ratioProblems(value: number | undefined, prop: string, upTo: number, fix: string): Problem[] {
  if (value === undefined || (typeof value === 'number' && value > 0 && value <= upTo)) return [];
  return [{ prop, value, why: upTo === Infinity ? 'must be a positive number' : `must be above 0 and at most ${upTo}`, fix }];
}

function matcherProblems(labels: Readonly<Record<string, string>> | undefined, prop: string): Problem[] {
  const p: Problem[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (!LABEL_NAME.test(k) || k.startsWith('__')) p.push({ prop, value: k, why: 'is not a label name a selector can match', fix: 'use letters, digits and _, e.g. "job"' });
    if (typeof v !== 'string' || v.length === 0) p.push({ prop: `${prop}.${k}`, value: v, why: 'must be a non-empty string', fix: 'give the exact label value' });
  }
  return p;
}

/**
 * Renders the standard alert pack of one service as the rule group `<service>-alerts`.
 *
 * @throws ValidationError listing every problem with `options`
 * @see the case study, section 3.4
 */
export function renderStandardAlertPack(options: StandardAlertPackOptions): PrometheusRuleGroup {
  const { service } = options;
  const http = {
    requestsMetric: options.http?.requestsMetric ?? 'http_requests_total',
    statusLabel: options.http?.statusLabel ?? 'code',
    errorStatus: options.http?.errorStatus ?? '5..',
    durationMetric: options.http?.durationMetric ?? 'http_request_duration_seconds',
  };
  const interval = options.interval ?? '30s';
  const podPattern = options.podPattern ?? `${service?.name}-([a-z0-9]{1,10}-[a-z0-9]{5}|[0-9]+)`;
  const crash = options.crashLooping ?? {};

  const problems = new Problems('StandardAlertPack', String(service?.name));
  problems.addAll(serviceIdentityProblems(service));
  problems.addAll(linkProblems(options.runbookBaseUrl, 'runbookBaseUrl'));
  problems.addAll(linkProblems(options.dashboardUrl, 'dashboardUrl'));
  for (const prop of ['requestsMetric', 'durationMetric'] as const) {
    problems.when(!METRIC_NAME.test(http[prop]), `http.${prop}`, http[prop], 'is not a Prometheus metric name', 'use letters, digits, _ and :');
  }
  problems.when(!LABEL_NAME.test(http.statusLabel), 'http.statusLabel', http.statusLabel, 'is not a Prometheus label name', 'use e.g. "code" or "status"');
  let podPatternOk = typeof podPattern === 'string' && podPattern.length > 0;
  try {
    if (podPatternOk) new RegExp(`^(?:${podPattern})$`);
  } catch {
    podPatternOk = false;
  }
  problems.when(!podPatternOk, 'podPattern', podPattern, 'is not a regular expression', 'give a pattern matching the service\'s pod names, e.g. "order-service-.*"');
  const intervalSeconds = durationSeconds(interval);
  problems.when(intervalSeconds === undefined || intervalSeconds === 0, 'interval', interval, 'is not a positive Prometheus duration', DURATION_FIX);
  for (const key of ['serviceDown', 'highErrorRate', 'highLatency', 'databasePool', 'highMemory', 'podNotReady', 'crashLooping'] as const) {
    problems.addAll(alertOptionProblems(options[key], key));
  }
  problems.addAll(ratioProblems(options.highErrorRate?.threshold, 'highErrorRate.threshold', 1, 'give a share of requests, e.g. 0.05 for 5%'));
  problems.addAll(ratioProblems(options.highLatency?.threshold, 'highLatency.threshold', Infinity, 'give seconds, e.g. 1'));
  const quantile = options.highLatency?.quantile;
  problems.when(quantile !== undefined && !(quantile > 0 && quantile < 1), 'highLatency.quantile', quantile,
    'must be between 0 and 1 (exclusive)', 'give a quantile, e.g. 0.95 for p95');
  problems.addAll(ratioProblems(options.highMemory?.threshold, 'highMemory.threshold', 1, 'give a share of the limit, e.g. 0.7 for 70%'));
  if (options.databasePool) {
    problems.addAll(ratioProblems(options.databasePool.threshold, 'databasePool.threshold', 1, 'give a share of max_connections, e.g. 0.8 for 80%'));
    problems.when(typeof options.databasePool.database !== 'string' || options.databasePool.database.length === 0, 'databasePool.database',
      options.databasePool.database, 'must name the database (postgres_exporter\'s datname label)', 'give e.g. "orders"');
    problems.addAll(matcherProblems(options.databasePool.selector, 'databasePool.selector'));
  }
  problems.when(crash.restarts !== undefined && !(Number.isInteger(crash.restarts) && crash.restarts >= 0), 'crashLooping.restarts', crash.restarts,
    'must be a whole number of restarts', 'give e.g. 3');
  if (crash.window !== undefined) {
    const s = durationSeconds(crash.window);
    problems.when(s === undefined || s === 0, 'crashLooping.window', crash.window, 'is not a positive Prometheus duration', DURATION_FIX);
  }
  problems.throwIfAny();

  const name = service.name;
  const labels = { service: name, namespace: service.namespace };
  const pods = { namespace: service.namespace };
  const podMatcher = `pod=~${JSON.stringify(podPattern)}`;
  const rules: PrometheusAlertingRule[] = [];
  const add = (key: keyof typeof DEFAULT_PACK_ALERTS, suffix: string, expr: string, summary: string, description: string) => {
    const o: AlertOptions = options[key] ?? {};
    if (o.enabled === false) return;
    const slug = `${name}-${suffix}`;
    rules.push({
      alert: toAlertName(slug),
      expr,
      for: o.for ?? DEFAULT_PACK_ALERTS[key].for,
      labels: { severity: o.severity ?? DEFAULT_PACK_ALERTS[key].severity, ...labels },
      annotations: alertAnnotations(summary, description, options.runbookBaseUrl, slug, options.dashboardUrl),
    });
  };

  const up = promSelector('up', service.selector);
  add('serviceDown', 'down', `max(${up}) == 0 or absent(${up})`,
    `${name} is completely down`, `No ${name} target in ${service.namespace} is up, or none is scraped at all.`);

  const errorRate = options.highErrorRate?.threshold ?? DEFAULT_PACK_ALERTS.highErrorRate.threshold;
  const bad = promSelector(http.requestsMetric, service.selector, [`${http.statusLabel}=~${JSON.stringify(http.errorStatus)}`]);
  add('highErrorRate', 'high-error-rate',
    `sum(rate(${bad}[5m])) / sum(rate(${promSelector(http.requestsMetric, service.selector)}[5m])) > ${errorRate}`,
    `${name} error rate > ${percentText(errorRate)}`, 'Error rate over 5m: {{ $value | humanizePercentage }}.');

  const latencyQuantile = options.highLatency?.quantile ?? DEFAULT_PACK_ALERTS.highLatency.quantile;
  const latency = options.highLatency?.threshold ?? DEFAULT_PACK_ALERTS.highLatency.threshold;
  const q = `p${+(latencyQuantile * 100).toPrecision(12)}`;
  add('highLatency', 'high-latency',
    `histogram_quantile(${latencyQuantile}, sum by (le) (rate(${promSelector(`${http.durationMetric}_bucket`, service.selector)}[5m]))) > ${latency}`,
    `${name} ${q} latency > ${latency}s`, `${q} latency over 5m: {{ $value | humanizeDuration }}.`);

  if (options.databasePool) {
    const db = options.databasePool;
    const dbThreshold = db.threshold ?? DEFAULT_PACK_ALERTS.databasePool.threshold;
    const activity = promSelector('pg_stat_activity_count', { ...db.selector, datname: db.database });
    const max = promSelector('pg_settings_max_connections', db.selector ?? {});
    add('databasePool', 'db-pool-exhausted',
      `sum by (instance) (${activity}) / on (instance) max by (instance) (${max}) > ${dbThreshold}`,
      `${name} database ${db.database}: connections > ${percentText(dbThreshold)} of max_connections`,
      `Connections to ${db.database} use {{ $value | humanizePercentage }} of the server's max_connections on {{ $labels.instance }}.`);
  }

  const memory = options.highMemory?.threshold ?? DEFAULT_PACK_ALERTS.highMemory.threshold;
  const workingSet = promSelector('container_memory_working_set_bytes', pods, [podMatcher, 'container!=""']);
  const limit = promSelector('kube_pod_container_resource_limits', pods, [podMatcher, 'resource="memory"']);
  add('highMemory', 'high-memory',
    `max by (namespace, pod, container) (${workingSet}) / max by (namespace, pod, container) (${limit}) > ${memory}`,
    `${name} memory > ${percentText(memory)} of the limit`,
    'Container {{ $labels.container }} of pod {{ $labels.pod }} uses {{ $value | humanizePercentage }} of its memory limit.');

  add('podNotReady', 'pod-not-ready',
    `max by (namespace, pod) (${promSelector('kube_pod_status_ready', pods, [podMatcher, 'condition="false"'])}) == 1`,
    `${name} pod {{ $labels.pod }} not ready`, 'Pod {{ $labels.pod }} has not been Ready; it receives no traffic.');

  const restarts = crash.restarts ?? DEFAULT_PACK_ALERTS.crashLooping.restarts;
  const window = crash.window ?? DEFAULT_PACK_ALERTS.crashLooping.window;
  add('crashLooping', 'crash-looping',
    `increase(${promSelector('kube_pod_container_status_restarts_total', pods, [podMatcher])}[${window}]) > ${restarts}\nor\n`
      + `max_over_time(${promSelector('kube_pod_container_status_waiting_reason', pods, [podMatcher, 'reason="CrashLoopBackOff"'])}[5m]) >= 1`,
    `${name} pod {{ $labels.pod }} is crash looping`,
    `Container {{ $labels.container }} of pod {{ $labels.pod }} restarted more than ${restarts} times in ${window} or is waiting in CrashLoopBackOff.`);

  return { name: `${name}-alerts`, interval, rules };
}
