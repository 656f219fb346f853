/**
 * Progressive delivery of a ResilientService with Flagger and Istio: the case study's canary
 * analysis (section 4.3 "Canary Releases with Automated Rollback"), judged by the same SLI that
 * pages, gated on the error budget.
 *
 * @see the case study, section 4.3
 * @see https://docs.flagger.app/usage/how-it-works
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { loadTesterUrlIn } from '../core/addons';
import { Problems } from '../core/errors';
import { derivedNameProblems } from '../core/labels';
import { durationSeconds, PromDuration, successThresholdProblems } from '../reliability/error-budget';
import { LatencySli, promSelector } from '../render/slo-rules';
import { FlaggerCanary, FlaggerMatch, FlaggerMetric, FlaggerMetricTemplate, FlaggerWebhook } from './crds/flagger';
import { PlatformContext, platformContext } from './private/context';
import { Resolution, adopt, resolution, settingsOrInvalid } from './private/resolve';
import { ResilientService, ServiceProtocol } from './resilient-service';
import { ServiceLevelObjective } from './service-level-objective';

/** The scrape interval of a ResilientService's ServiceMonitor: an analysis step must not be shorter. */
export const SCRAPE_INTERVAL_SECONDS = 15;

/** A cohort of users routed to the canary in A/B mode: by header or by cookie. */
export type CohortMatch =
  | {
    /** Request header name, e.g. `x-user-cohort`. */
    readonly header: string;
    /** Exact header value, e.g. `beta`. */
    readonly exact?: string;
    /** RE2 regular expression the header value must match (instead of `exact`). */
    readonly regex?: string;
  }
  | {
    /** Cookie name, e.g. `canary`. */
    readonly cookie: string;
    /** The cookie's value, e.g. `always`. */
    readonly value: string;
  };

/** How traffic reaches the canary. */
export type CanaryStrategy =
  | {
    /** Progressive traffic shifting (the case study's default). */
    readonly type: 'progressive';
    /**
     * Largest share of traffic (percent) the canary gets before promotion.
     * @default 50
     */
    readonly maxWeight?: number;
    /**
     * Traffic share added per successful step (percent).
     * @default 10
     */
    readonly stepWeight?: number;
  }
  | {
    /** Blue/green: the canary is tested for `iterations` intervals without user traffic, then switched over. */
    readonly type: 'blueGreen';
    /**
     * Number of analysis intervals before the switch.
     * @default 10
     */
    readonly iterations?: number;
  }
  | {
    /** A/B: only the matching cohort reaches the canary, for `iterations` intervals. */
    readonly type: 'abTest';
    /**
     * Number of analysis intervals.
     * @default 10
     */
    readonly iterations?: number;
    /** Who reaches the canary (any of them). */
    readonly match: readonly CohortMatch[];
  };

/** An extra metric check: a MetricTemplate with its own query. */
export interface CanaryMetric {
  /** Template and check name (a DNS label). */
  readonly name: string;
  /** PromQL; may use Flagger's `{{ interval }}`, `{{ namespace }}` and `{{ target }}`. Returns no value without data (Flagger then fails the check); never a passing fallback. */
  readonly query: string;
  /** Lowest accepted value. @default - no lower bound */
  readonly min?: number;
  /** Highest accepted value. @default - no upper bound */
  readonly max?: number;
}

/** Props of a {@link CanaryRelease}. */
export interface CanaryReleaseProps {
  /**
   * The service released progressively.
   * @see the case study, section 4.3
   */
  readonly service: ResilientService;
  /**
   * The service's availability SLO: its SLI is the canary's success-rate check, and its
   * remaining error budget gates promotion.
   * @see the case study, "Error Budgets and SLO/SLI Definitions" (exhausted budget: deployment freeze)
   */
  readonly slo: ServiceLevelObjective;
  /**
   * The service's latency SLO: its histogram is the canary's duration check.
   * @default - the `http_request_duration_seconds` histogram
   */
  readonly latencySlo?: ServiceLevelObjective;
  /**
   * Time between analysis steps (at least the 15 s scrape interval; seconds or minutes).
   * @default '1m'
   * @see the case study, section 4.3 (`interval: 1m`)
   */
  readonly interval?: PromDuration;
  /**
   * Failed checks after which the canary is rolled back.
   * @default 5
   * @see the case study, section 4.3 (`threshold: 5`)
   */
  readonly threshold?: number;
  /**
   * Traffic strategy.
   * @default { type: 'progressive', maxWeight: 50, stepWeight: 10 }
   * @see the case study, section 4.3 (`maxWeight: 50`, `stepWeight: 10`)
   */
  readonly strategy?: CanaryStrategy;
  /**
   * Lowest accepted success rate of the canary's requests, percent.
   * @default 99
   * @see the case study, section 4.3 (request-success-rate min 99)
   */
  readonly minSuccessRate?: number;
  /**
   * Highest accepted p99 request duration of the canary, milliseconds.
   * @default 500
   * @see the case study, section 4.3 (request-duration max 500)
   */
  readonly maxRequestDurationMs?: number;
  /**
   * Extra metric checks.
   * @default - none
   */
  readonly metrics?: readonly CanaryMetric[];
  /**
   * Prometheus base URL for the MetricTemplates and the error-budget gate.
   * @default - the platform's `prometheusUrl`: `http://prometheus-operated.<monitoring namespace>.svc:9090` (prometheus-operator's service)
   * @see https://docs.flagger.app/usage/metrics#prometheus
   */
  readonly prometheusUrl?: string;
  /**
   * flagger-loadtester URL (runs the load test and the budget gate's query); `false` for neither.
   * @default - `http://flagger-loadtester.<flaggerNamespace>/`, in the platform's Flagger namespace (`'http://flagger-loadtester.flagger-system/'` by default)
   * @see https://docs.flagger.app/usage/webhooks#load-testing
   */
  readonly loadTesterUrl?: string | false;
  /**
   * Load test command run before the rollout and at every step (so the checks see traffic).
   * @default - `hey -z <interval> -q 10 -c 2 http://<name>-canary.<namespace>:<port>/`
   * @see https://docs.flagger.app/usage/webhooks#load-testing
   */
  readonly loadTestCommand?: string;
  /**
   * Hold promotion while the SLO's error budget is exhausted.
   * @default true
   * @see the case study, "Error Budgets and SLO/SLI Definitions" (deployment freeze)
   */
  readonly budgetGate?: boolean;
}

/**
 * A Flagger Canary for a ResilientService, with MetricTemplates derived from its SLOs.
 *
 * - Analysis: every `interval` (1m) the canary's success rate (>= 99%) and p99 duration
 *   (<= 500 ms) are checked; `threshold` (5) failures roll back; traffic grows by `stepWeight`
 *   (10%) up to `maxWeight` (50%), then the canary is promoted.
 * - The success rate is the availability SLO's own SLI (same counter, same failed statuses, same
 *   aggregation), narrowed to the canary's pods (`<name>-<hash>-<id>`; the `-primary` pods
 *   do not match). Without data they return nothing, which Flagger counts as a failed check, so
 *   an unscraped or idle canary is rolled back, never promoted; the load-test webhooks make the traffic.
 * - Webhooks: a pre-rollout load test, the same load at each step, and a confirm-promotion gate
 *   that asks Prometheus for the SLO's `slo:error_budget:remaining` and holds while it is <= 0,
 *   has no record, or Prometheus cannot be reached.
 * - Flagger generates the DestinationRules and the VirtualService for the service's host, so the
 *   service's circuit breaker (outlier detection, HTTP connection pool, mTLS), timeout and
 *   retries move into the Canary's `service` and the service's own DestinationRule and
 *   VirtualService are removed. The CRD has no `connectionPool.tcp`: `maxConnections` is not
 *   carried over (http2MaxRequests still bounds concurrent requests).
 * - The HPA is handed to Flagger (`autoscalerRef`), which clones it for the primary.
 *
 * @see the case study, section 4.3
 */
export class CanaryRelease extends Construct {
  /** The service released. */
  public readonly service!: ResilientService;
  /** Analysis interval. */
  public readonly interval!: PromDuration;
  /** Failed checks before rollback. */
  public readonly threshold!: number;
  /** The strategy, with defaults resolved. */
  public readonly strategy!: CanaryStrategy;
  /** Success-rate floor, percent. */
  public readonly minSuccessRate!: number;
  /** p99 duration ceiling, ms. */
  public readonly maxRequestDurationMs!: number;
  /** Prometheus base URL. */
  public readonly prometheusUrl!: string;
  /** flagger-loadtester URL, if webhooks are on. */
  public readonly loadTesterUrl?: string;
  /** Load-test command. */
  public readonly loadTestCommand!: string;
  /** Whether promotion is gated on the error budget. */
  public readonly budgetGate!: boolean;
  /** The PromQL the budget gate runs: non-empty while budget remains (or no record exists yet). */
  public readonly budgetGateQuery!: string;
  /** The Canary (`node.defaultChild`). */
  public readonly canary!: ApiObject;
  /** The MetricTemplates, by check name. */
  public readonly metricTemplates!: ReadonlyMap<string, ApiObject>;

  constructor(scope: Construct, id: string, props: CanaryReleaseProps) {
    super(scope, id);
    const r = settingsOrInvalid(this, 'CanaryRelease', () => resolveCanaryReleaseProps(props, platformContext(this)), props);
    if (!r.built) return r.placeholder;
    adopt(this, r.settings, ['interval', 'threshold', 'strategy', 'minSuccessRate', 'maxRequestDurationMs', 'prometheusUrl', 'loadTesterUrl', 'budgetGate']);

    // ---- children ----
    const svc = props.service;
    this.service = svc;
    const meta = (name: string) => ({ name, namespace: svc.namespace, labels: svc.labels });
    this.loadTestCommand = props.loadTestCommand ?? `hey -z ${this.interval} -q 10 -c 2 http://${svc.name}-canary.${svc.namespace}:${svc.servicePort}/`;
    // No record (yet) holds the promotion: a gate must not pass on no data.
    this.budgetGateQuery = `${props.slo.budgetRemainingQuery} > 0`;
    // The load tester drives traffic at the canary: admit its namespace through the default-deny policy.
    const loadTesterNamespace = this.loadTesterUrl ? /^https?:\/\/[^./:]+\.([a-z0-9-]+)/.exec(this.loadTesterUrl)?.[1] : undefined;
    if (loadTesterNamespace) svc.admit({ namespace: loadTesterNamespace });

    // The canary's pods only: Deployment pods `<name>-<pod-template-hash>-<5 chars>`; `<name>-primary-…` has one segment more.
    const canaryPods = [`namespace=${JSON.stringify(svc.namespace)}`, `pod=~${JSON.stringify(`${svc.name}-[a-z0-9]{1,10}-[a-z0-9]{5}`)}`];
    const window = '{{ interval }}' as PromDuration;
    const sli = props.slo.sli;
    const successRate = `100 * (1 - ${sli.errorRate({ name: svc.name, namespace: svc.namespace, selector: {} }, window, canaryPods)}`
      + ` / ${sli.requestRate({ name: svc.name, namespace: svc.namespace, selector: {} }, window, canaryPods)})`;
    const histogram = props.latencySlo ? (props.latencySlo.sli as LatencySli).metric : 'http_request_duration_seconds';
    const duration = `1000 * histogram_quantile(0.99, sum by (le) (rate(${promSelector(`${histogram}_bucket`, {}, canaryPods)}[${window}])))`;
    const templates: Array<{ name: string; query: string; range: { min?: number; max?: number } }> = [
      // No traffic: 0/0 is NaN, dropped by ">= 0", so the query has no data, which Flagger counts as a
      // failed check ("no values found"): an unscraped or idle canary is never promoted. The
      // load-test webhooks make the traffic.
      // @see https://github.com/fluxcd/flagger/blob/main/pkg/controller/scheduler_metrics.go
      { name: 'request-success-rate', query: `(${successRate}) >= 0`, range: { min: this.minSuccessRate } },
      { name: 'request-duration', query: `(${duration}) >= 0`, range: { max: this.maxRequestDurationMs } },
      ...(props.metrics ?? []).map(m => ({
        name: m.name,
        query: m.query,
        range: { ...(m.min !== undefined ? { min: m.min } : {}), ...(m.max !== undefined ? { max: m.max } : {}) },
      })),
    ];
    const metricTemplates = new Map<string, ApiObject>();
    const metrics: FlaggerMetric[] = [];
    for (const t of templates) {
      const name = `${svc.name}-${t.name}`;
      metricTemplates.set(t.name, new FlaggerMetricTemplate(this, `MetricTemplate-${t.name}`, {
        metadata: meta(name),
        spec: { provider: { type: 'prometheus', address: this.prometheusUrl }, query: t.query },
      }));
      metrics.push({ name: t.name, templateRef: { name, namespace: svc.namespace }, thresholdRange: t.range, interval: this.interval });
    }
    this.metricTemplates = metricTemplates;

    const webhooks = this.webhooks();

    const pool = svc.connectionPool.http;
    const strategy = this.strategy;
    this.canary = new FlaggerCanary(this, 'Resource', {
      metadata: meta(svc.name),
      spec: {
        provider: 'istio',
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: svc.name },
        ...(svc.horizontalPodAutoscaler ? { autoscalerRef: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: svc.name } } : {}),
        progressDeadlineSeconds: svc.progressDeadline.toSeconds(),
        service: {
          name: svc.name,
          port: svc.servicePort,
          targetPort: 'http',
          portName: 'http',
          appProtocol: 'http',
          portDiscovery: true,
          hosts: [svc.host],
          timeout: `${svc.timeout.toSeconds()}s`,
          retries: svc.retries
            ? { attempts: svc.retries.attempts, perTryTimeout: `${svc.retries.perTryTimeout.toSeconds()}s`, retryOn: svc.retries.retryOn }
            : { attempts: 0 },
          trafficPolicy: {
            ...(pool ? { connectionPool: { http: pool } } : {}),
            outlierDetection: svc.outlierDetection,
            tls: { mode: 'ISTIO_MUTUAL' },
          },
          // the ServiceMonitor selects Services by these labels: the generated -canary Service is scraped too
          canary: { labels: { ...svc.selectorLabels } },
        },
        analysis: {
          interval: this.interval,
          threshold: this.threshold,
          ...(strategy.type === 'progressive' ? { maxWeight: strategy.maxWeight, stepWeight: strategy.stepWeight } : { iterations: strategy.iterations }),
          ...(strategy.type === 'abTest' ? { match: strategy.match.map(renderMatch) } : {}),
          metrics,
          webhooks,
        },
      },
    });

    // Flagger owns the DestinationRules and the VirtualService of the host now.
    svc.node.tryRemoveChild('DestinationRule');
    svc.node.tryRemoveChild('VirtualService');
  }

  /** The load-test webhooks and, with the budget gate, the confirm-promotion gate on the error budget. */
  private webhooks(): FlaggerWebhook[] {
    const webhooks: FlaggerWebhook[] = [];
    if (this.loadTesterUrl) {
      webhooks.push(
        { name: 'load-test', type: 'pre-rollout', url: this.loadTesterUrl, timeout: '15s', metadata: { cmd: this.loadTestCommand } },
        { name: 'load-during-analysis', type: 'rollout', url: this.loadTesterUrl, timeout: '15s', metadata: { cmd: this.loadTestCommand } },
      );
      if (this.budgetGate) {
        webhooks.push({
          name: 'error-budget-gate',
          type: 'confirm-promotion',
          url: this.loadTesterUrl,
          timeout: '30s',
          metadata: {
            type: 'bash',
            cmd: `curl -sfG '${this.prometheusUrl.replace(/\/+$/, '')}/api/v1/query' --data-urlencode 'query=${this.budgetGateQuery}' | grep -q '"value"'`,
          },
        });
      }
    }
    return webhooks;
  }
}

function renderMatch(m: CohortMatch): FlaggerMatch {
  if ('header' in m) return { headers: { [m.header]: m.exact !== undefined ? { exact: m.exact } : { regex: m.regex! } } };
  const cookie = `${m.cookie}=${m.value}`.replace(/[.]/g, '\\.');
  return { headers: { cookie: { regex: `^(.*?;\\s*)?(${cookie})(;.*)?$` } } };
}

/** A CanaryRelease's props with every default resolved (see {@link resolveCanaryReleaseProps}). */
export interface ResolvedCanaryReleaseProps {
  readonly interval: PromDuration;
  readonly threshold: number;
  readonly strategy: CanaryStrategy;
  readonly minSuccessRate: number;
  readonly maxRequestDurationMs: number;
  readonly prometheusUrl: string;
  readonly loadTesterUrl?: string;
  readonly budgetGate: boolean;
}

/**
 * Resolves a CanaryRelease's props against the platform (its Prometheus URL): the settings, or
 * every problem at once. Pure: builds nothing, so it is tested alone.
 */
export function resolveCanaryReleaseProps(
  props: CanaryReleaseProps, context: Pick<PlatformContext, 'prometheusUrl' | 'flaggerNamespace'>,
): Resolution<ResolvedCanaryReleaseProps> {
  const problems = new Problems('CanaryRelease', '');

  const serviceOk = !problems.when(!(props.service instanceof ResilientService), 'service', props.service === undefined ? undefined : String(props.service),
    'is not a ResilientService', 'give the ResilientService to release, e.g. { service: order }');
  if (serviceOk) {
    problems.when(props.service.protocol !== ServiceProtocol.HTTP, 'service', props.service.name,
      `speaks ${props.service.protocol}, but Flagger's analysis judges HTTP success rate and latency`, 'release an HTTP service, or roll TCP services out with the Deployment\'s own rolling update');
    // Flagger names what it creates after the target: Deployment and Service `<name>-primary` (the
    // primary's pods labelled app.kubernetes.io/name `<name>-primary`) and Service `<name>-canary`;
    // each must be a DNS label and label value (63 characters), or Flagger fails to create them.
    // @see https://docs.flagger.app/usage/how-it-works ("deployment/<targetRef.name>-primary", services <service.name>-primary and <service.name>-canary)
    const primary = `${props.service.name}-primary`;
    problems.addAll(derivedNameProblems('service', props.service.name, [
      { value: primary, what: 'Flagger\'s primary Deployment, Service and app.kubernetes.io/name label', limit: 63 },
      { value: `${props.service.name}-canary`, what: 'Flagger\'s canary Service', limit: 63 },
    ], `shorten the service's name by ${primary.length - 63} character${primary.length - 63 === 1 ? '' : 's'} (to at most 55)`));
  }
  const sloOk = !problems.when(!(props.slo instanceof ServiceLevelObjective), 'slo', props.slo === undefined ? undefined : String(props.slo),
    'is not a ServiceLevelObjective', 'give the service\'s availability SLO');
  if (serviceOk && sloOk) {
    problems.when(props.slo.service !== props.service, 'slo', props.slo.name, `belongs to ${props.slo.service.name}, not ${props.service.name}`, 'give this service\'s own SLO');
    problems.when(props.slo.sli.kind !== 'availability', 'slo', props.slo.name, 'is not an availability SLO, so it has no success rate',
      'give the Sli.availability() SLO here and the latency SLO as latencySlo');
  }
  if (props.latencySlo !== undefined) {
    const ok = props.latencySlo instanceof ServiceLevelObjective && props.latencySlo.sli instanceof LatencySli;
    problems.when(!ok, 'latencySlo', ok ? undefined : String(props.latencySlo), 'is not a latency ServiceLevelObjective', 'give the Sli.latency(...) SLO, or leave it out');
    if (ok && serviceOk) {
      problems.when(props.latencySlo.service !== props.service, 'latencySlo', props.latencySlo.name, `belongs to ${props.latencySlo.service.name}, not ${props.service.name}`,
        'give this service\'s own latency SLO');
    }
  }

  const interval: ResolvedCanaryReleaseProps['interval'] = props.interval ?? '1m';
  const threshold: ResolvedCanaryReleaseProps['threshold'] = props.threshold ?? 5;
  const s = props.strategy ?? { type: 'progressive' };
  const strategy: ResolvedCanaryReleaseProps['strategy'] = s.type === 'progressive' ? { type: 'progressive', maxWeight: s.maxWeight ?? 50, stepWeight: s.stepWeight ?? 10 }
    : s.type === 'blueGreen' ? { type: 'blueGreen', iterations: s.iterations ?? 10 }
      : { type: 'abTest', iterations: s.iterations ?? 10, match: s.match };
  const minSuccessRate: ResolvedCanaryReleaseProps['minSuccessRate'] = props.minSuccessRate ?? 99;
  const maxRequestDurationMs: ResolvedCanaryReleaseProps['maxRequestDurationMs'] = props.maxRequestDurationMs ?? 500;
  const prometheusUrl: ResolvedCanaryReleaseProps['prometheusUrl'] = props.prometheusUrl ?? context.prometheusUrl;
  const loadTesterUrl: ResolvedCanaryReleaseProps['loadTesterUrl'] = props.loadTesterUrl === false ? undefined : props.loadTesterUrl ?? loadTesterUrlIn(context.flaggerNamespace);
  const budgetGate: ResolvedCanaryReleaseProps['budgetGate'] = props.budgetGate ?? true;

  const intervalSeconds = durationSeconds(interval);
  if (!problems.when(intervalSeconds === undefined || !/^[0-9]+(s|m)$/.test(interval), 'interval', interval,
    'is not a duration in seconds or minutes (Flagger accepts only s and m)', 'write e.g. "1m" or "30s"')) {
    problems.when(intervalSeconds! < SCRAPE_INTERVAL_SECONDS, 'interval', interval,
      `is shorter than the scrape interval (${SCRAPE_INTERVAL_SECONDS}s), so a step could be judged on no new samples`, 'use at least "15s"; the case study uses "1m"');
  }
  problems.when(!Number.isInteger(threshold) || threshold < 1, 'threshold', threshold,
    'must be a whole number >= 1 (failed checks before rollback)', 'use e.g. 5 (the case study)');
  if (strategy.type === 'progressive') {
    const { maxWeight, stepWeight } = strategy as { maxWeight: number; stepWeight: number };
    const maxOk = !problems.when(!Number.isInteger(maxWeight) || maxWeight < 1 || maxWeight > 100, 'strategy.maxWeight', maxWeight,
      'must be a whole percentage between 1 and 100', 'use e.g. 50 (the case study)');
    if (!problems.when(!Number.isInteger(stepWeight) || stepWeight < 1, 'strategy.stepWeight', stepWeight, 'must be a whole percentage >= 1', 'use e.g. 10 (the case study)') && maxOk) {
      problems.when(stepWeight > maxWeight, 'strategy.stepWeight', stepWeight, `must not exceed maxWeight (${maxWeight})`, `lower it to at most ${maxWeight}, or raise maxWeight`);
    }
  } else {
    const it = (strategy as { iterations: number }).iterations;
    problems.when(!Number.isInteger(it) || it < 1, 'strategy.iterations', it, 'must be a whole number >= 1', 'use e.g. 10');
  }
  if (strategy.type === 'abTest') {
    const match = strategy.match;
    if (!Array.isArray(match) || match.length === 0) {
      problems.add('strategy.match', match, 'is empty, so no request would reach the canary', 'give a header or cookie, e.g. [{ header: "x-user-cohort", exact: "beta" }]');
    } else {
      match.forEach((m, i) => {
        if ('header' in m) {
          problems.when(!/^[a-z0-9-]+$/.test(m.header), `strategy.match[${i}].header`, m.header, 'is not a lower-case header name', 'use e.g. "x-user-cohort"');
          problems.when((m.exact === undefined) === (m.regex === undefined), `strategy.match[${i}]`, m, 'must give exactly one of exact and regex', 'write e.g. { header: "x-user-cohort", exact: "beta" }');
        } else {
          problems.when(!/^[A-Za-z0-9_-]+$/.test(String(m.cookie)), `strategy.match[${i}].cookie`, m.cookie, 'is not a cookie name', 'use e.g. "canary"');
          problems.when(!/^[A-Za-z0-9_.-]+$/.test(String(m.value)), `strategy.match[${i}].value`, m.value, 'is not a plain cookie value', 'use letters, digits, ".", "_" or "-", e.g. "always"');
        }
      });
    }
  }
  problems.addAll(successThresholdProblems('minSuccessRate', minSuccessRate, 'percent', 99));
  problems.when(!(maxRequestDurationMs > 0 && Number.isFinite(maxRequestDurationMs)), 'maxRequestDurationMs', maxRequestDurationMs,
    'must be a positive number of milliseconds', 'use e.g. 500 (the case study)');
  const names = new Set(['request-success-rate', 'request-duration']);
  (props.metrics ?? []).forEach((m, i) => {
    problems.when(!/^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/.test(String(m.name)) || names.has(m.name), `metrics[${i}].name`, m.name,
      'must be a unique DNS label (not request-success-rate or request-duration)', 'use e.g. "queue-lag"');
    names.add(m.name);
    problems.when(typeof m.query !== 'string' || m.query.trim().length === 0, `metrics[${i}].query`, m.query, 'is empty: every MetricTemplate needs a query',
      'give the PromQL, e.g. "max(kafka_consumergroup_lag{...})"');
    problems.when(m.min === undefined && m.max === undefined, `metrics[${i}]`, m.name, 'has neither min nor max, so it could never fail', 'give min or max');
  });
  for (const [prop, url] of [['prometheusUrl', prometheusUrl], ['loadTesterUrl', loadTesterUrl]] as const) {
    if (url !== undefined && !/^https?:\/\/[^\s'"]+$/.test(url)) problems.add(prop, url, 'is not an http(s) URL', `give e.g. "${loadTesterUrlIn(context.flaggerNamespace)}"`);
  }
  problems.when(budgetGate && loadTesterUrl === undefined, 'budgetGate', true, 'needs the load tester, which runs the gate\'s query',
    'give loadTesterUrl, or budgetGate: false');

  return resolution(problems.all, () => ({
    interval, threshold, strategy, minSuccessRate, maxRequestDurationMs, prometheusUrl, loadTesterUrl, budgetGate,
  }));
}
