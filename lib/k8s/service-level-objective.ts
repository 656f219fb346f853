/**
 * SLOs and the standard alert pack as prometheus-operator PrometheusRules, attached to a
 * {@link ResilientService}: the service's name, namespace and labels are read from the service,
 * never retyped, and its metrics are selected the way its own ServiceMonitor labels them
 * (`job` = the service name, through `jobLabel: app.kubernetes.io/name`, and `namespace`).
 *
 * The rules themselves come from the pure renderers in lib/render (`renderSloRules`,
 * `renderStandardAlertPack`), which the promtool system tests check and run.
 *
 * @see the case study, "Error Budgets and SLO/SLI Definitions" and section 3.4 "Alerting Strategy"
 * @see https://sre.google/workbook/alerting-on-slos/
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { notBuilt, notBuiltPropProblems } from '../core/app-problems';
import { Criticality, isCriticality } from '../core/criticality';
import { Problem, ValidationError } from '../core/errors';
import { isLabelValue } from '../core/labels';
import { PropTypes, typedProps, withTypeProblems } from '../core/prop-types';
import { errorBudget, ErrorBudget, Objective, ObjectiveLike, PromDuration } from '../reliability/error-budget';
import { DEFAULT_PACK_ALERTS, renderStandardAlertPack, StandardAlertPackOptions } from '../render/alert-pack';
import {
  AlertOptions, BurnRateAlertsOptions, DEFAULT_SLO_ALERTS, linkProblems, PrometheusRuleGroup, promSelector, renderSloRules, ServiceIdentity,
  Severity, Sli,
} from '../render/slo-rules';
import { PrometheusRule } from './crds/monitoring';
import { ResilientService } from './resilient-service';

const SEVERITY_ORDER: readonly Severity[] = ['P0', 'P1', 'P2', 'P3', 'P4'];

/**
 * How many severity levels a tier's alerts are lowered from the case study's defaults:
 * critical and high services keep them (a down product catalogue is a P0 like a down
 * checkout), medium services are one level lower (a P1 page becomes a P2), low services two
 * (a recommendation outage is a P3 ticket: it degrades gracefully). Never below P4.
 *
 * @see the case study, section 3.4 (P0-P4) and the service dependency and reliability table (tiers)
 */
export const TIER_SEVERITY_SHIFT: Readonly<Record<Criticality, number>> = {
  [Criticality.CRITICAL]: 0,
  [Criticality.HIGH]: 0,
  [Criticality.MEDIUM]: 1,
  [Criticality.LOW]: 2,
};

/** The severity an alert of default severity `severity` gets for a service of tier `tier` (see {@link TIER_SEVERITY_SHIFT}). */
export function severityForTier(severity: Severity, tier: Criticality): Severity {
  const shift = TIER_SEVERITY_SHIFT[tier] ?? 0;
  return SEVERITY_ORDER[Math.min(SEVERITY_ORDER.indexOf(severity) + shift, SEVERITY_ORDER.length - 1)];
}

/**
 * Who a ResilientService's rules are about: its name, namespace and the series its
 * ServiceMonitor produces (`job` is the Service's `app.kubernetes.io/name`, i.e. the name).
 */
export function serviceIdentityOf(service: ResilientService): ServiceIdentity {
  return { name: service.name, namespace: service.namespace, selector: { job: service.name, namespace: service.namespace } };
}

/** Links shared by SLOs and alert packs. */
export interface AlertLinks {
  /**
   * Runbook base URL; each alert links `${runbookBaseUrl}/${slug}`, e.g.
   * `https://wiki.example.com/runbooks/order-service-availability-burn-rate-fast-page`.
   * @see the case study, section 3.4 ("Runbooks: clear procedures for common alerts")
   */
  readonly runbookBaseUrl: string;
  /**
   * Dashboard base URL; alerts link the service's dashboard `${dashboardBaseUrl}/${service.name}`.
   * @see the case study, section 3.4 (actionable alerts link their dashboards)
   */
  readonly dashboardBaseUrl: string;
  /**
   * Extra labels on the PrometheusRule object, for the Prometheus' `ruleSelector`
   * (e.g. `{ release: 'kube-prometheus-stack' }`).
   * @default - none (the service's own labels only)
   * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PrometheusSpec
   */
  readonly ruleLabels?: Readonly<Record<string, string>>;
}

/** Props of a {@link ServiceLevelObjective}. */
export interface ServiceLevelObjectiveProps extends AlertLinks {
  /**
   * The service the SLO is about; name, namespace, labels and tier are read from it.
   * @see the case study, "Defining SLIs and SLOs"
   */
  readonly service: ResilientService;
  /**
   * What counts as a good event: `Sli.availability()` (non-5xx over all requests) or
   * `Sli.latency({ thresholdSeconds: 0.1 })` (requests within 100 ms).
   * @see the case study, "Defining SLIs and SLOs"
   */
  readonly sli: Sli;
  /**
   * The objective.
   * @default - availability: Objective.percent(99.95); latency: Objective.percent(99.5) (the case study's two SLOs)
   * @see the case study, "Availability SLO: 99.95%" and "Latency SLO: 99.5% of requests complete within 100ms"
   */
  readonly objective?: ObjectiveLike;
  /**
   * The SLO (error budget) window; at least 3d.
   * @default '30d'
   * @see https://sre.google/workbook/alerting-on-slos/
   */
  readonly window?: PromDuration;
  /**
   * The SLO's name (`slo` label, rule group and alert prefix).
   * @default - `${service.name}-${sli.kind}`, e.g. `order-service-availability`
   */
  readonly name?: string;
  /**
   * Rule evaluation interval, at most 5m.
   * @default '30s'
   * @see https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/
   */
  readonly interval?: PromDuration;
  /**
   * Per burn-rate tier: severity, `for`, or `enabled: false`.
   * @default - every tier on; pages P1 and tickets P3, lowered by the service's tier (see {@link TIER_SEVERITY_SHIFT})
   * @see https://sre.google/workbook/alerting-on-slos/#6-multiwindow-multi-burn-rate-alerts
   */
  readonly tiers?: BurnRateAlertsOptions;
  /**
   * The budget-exhausted alert (the deployment-freeze signal).
   * @default - on, P3 (lowered by tier), for 5m
   * @see the case study, "Error Budgets and SLO/SLI Definitions"
   */
  readonly budgetExhausted?: AlertOptions;
  /**
   * The no-data alert: fires while the SLI's request counter is absent, so an SLO without data
   * fails instead of passing silently.
   * @default - on, P2 (lowered by tier), for 10m
   * @see https://prometheus.io/docs/prometheus/latest/querying/functions/#absent
   */
  readonly noData?: AlertOptions;
}

function linkAndLabelProblems(props: AlertLinks | undefined): Problem[] {
  const p: Problem[] = [...linkProblems(props?.runbookBaseUrl, 'runbookBaseUrl'), ...linkProblems(props?.dashboardBaseUrl, 'dashboardBaseUrl')];
  for (const [k, v] of Object.entries(props?.ruleLabels ?? {})) {
    if (!isLabelValue(v)) p.push({ prop: `ruleLabels.${k}`, value: v, why: 'is not a valid label value', fix: 'use letters, digits, "-", "_" or ".", at most 63 characters' });
  }
  return p;
}

function serviceProblems(service: unknown): Problem[] {
  return service instanceof ResilientService ? [] : [{
    prop: 'service',
    value: service === undefined ? undefined : String(service),
    why: 'is not a ResilientService',
    fix: 'attach the SLO to the ResilientService it measures, e.g. { service: order }',
  }];
}

/**
 * The checks of a construct that alerts on a service, in their order: first whether the service
 * is a built ResilientService (nothing else can be resolved without it), then the renderer's
 * problems; the construct's own links and labels are reported with either.
 */
class ServiceAlertChecks {
  /** Problems that stop the construct before anything is resolved (empty: go on). */
  public readonly unusable: readonly Problem[];
  private readonly own: readonly Problem[];

  constructor(props: AlertLinks & { readonly service: unknown }) {
    this.own = linkAndLabelProblems(props);
    const notBuiltProps = notBuiltPropProblems(props);
    const stop = notBuiltProps.length > 0 ? notBuiltProps : serviceProblems(props.service);
    this.unusable = stop.length > 0 ? [...stop, ...this.own] : [];
  }

  /**
   * Every problem once the rules are rendered: the renderer's (but those of the links and the
   * service, which the construct reports under its own props), then the links and labels.
   */
  public withRendered(rendered: readonly Problem[]): readonly Problem[] {
    // `service` and `service.*` only: `serviceDown.*` is the construct's own prop.
    const ofService = (prop: string) => prop === 'service' || prop.startsWith('service.') || prop.startsWith('service[');
    return [...rendered.filter(p => !['dashboardUrl', 'runbookBaseUrl'].includes(p.prop) && !ofService(p.prop)), ...this.own];
  }
}

/** The problems a renderer reports, or its result. */
function tryRender<T>(render: () => T): { result?: T; problems: readonly Problem[] } {
  try {
    return { result: render(), problems: [] };
  } catch (e) {
    if (e instanceof ValidationError) return { problems: e.problems };
    throw e;
  }
}

function dashboardUrl(base: string, service: ResilientService): string {
  return `${String(base).replace(/\/+$/, '')}/${service.name}`;
}

/**
 * A service level objective of a ResilientService, as a prometheus-operator PrometheusRule:
 * recording rules for the error ratio over 5m … 30d and the remaining error budget, the SRE
 * workbook's multi-window, multi-burn-rate alerts (14.4x 1h/5m and 6x 6h/30m page; 3x 1d/2h and
 * 1x 3d/6h ticket) and the budget-exhausted alert, with severities lowered for less critical tiers.
 *
 * ```ts
 * const availability = new ServiceLevelObjective(chart, 'order-availability', {
 *   service: order, sli: Sli.availability(),
 *   runbookBaseUrl: 'https://wiki.example.com/runbooks', dashboardBaseUrl: 'https://grafana.example.com/d',
 * });
 * ```
 */
export class ServiceLevelObjective extends Construct {
  /** The service measured. */
  public readonly service!: ResilientService;
  /** The SLI. */
  public readonly sli!: Sli;
  /** The objective (99.95% by default for availability, 99.5% for latency). */
  public readonly objective!: Objective;
  /** The error budget as downtime per year, month and week. */
  public readonly errorBudget!: ErrorBudget;
  /** The SLO window. */
  public readonly window!: PromDuration;
  /** The SLO's name (`slo` label). */
  public readonly name!: string;
  /** Rule evaluation interval. */
  public readonly interval!: PromDuration;
  /** Runbook base URL. */
  public readonly runbookBaseUrl!: string;
  /** The dashboard every alert links. */
  public readonly dashboardUrl!: string;
  /** The resolved per-tier alert settings (severities after the tier shift). */
  public readonly tiers!: Required<BurnRateAlertsOptions>;
  /** The resolved budget-exhausted alert settings. */
  public readonly budgetExhausted!: AlertOptions;
  /** The resolved no-data alert settings. */
  public readonly noData!: AlertOptions;
  /** Whom the rules are about and how the service's series are selected. */
  public readonly identity!: ServiceIdentity;
  /** The rendered rule groups (the PrometheusRule's `spec.groups`). */
  public readonly groups!: readonly PrometheusRuleGroup[];
  /** The PrometheusRule (`node.defaultChild`). */
  public readonly prometheusRule!: ApiObject;
  /**
   * PromQL: the SLO's remaining error budget (1 = untouched, <= 0 = exhausted), e.g.
   * `slo:error_budget:remaining{service="order-service",namespace="orders",slo="order-service-availability"}`.
   */
  public readonly budgetRemainingQuery!: string;

  constructor(scope: Construct, id: string, props: ServiceLevelObjectiveProps) {
    super(scope, id);
    const check = new ServiceAlertChecks(props);
    if (check.unusable.length > 0) return notBuilt(this, 'ServiceLevelObjective', check.unusable);

    this.service = props.service;
    this.sli = props.sli;
    const tier = isCriticality(this.service.tier) ? this.service.tier : Criticality.CRITICAL;
    const defaultObjective = props.sli instanceof Sli && props.sli.kind === 'latency' ? Objective.percent(99.5) : Objective.percent(99.95);
    this.window = props.window ?? '30d';
    this.interval = props.interval ?? '30s';
    this.name = props.name ?? `${this.service.name}-${props.sli?.kind}`;
    this.runbookBaseUrl = props.runbookBaseUrl;
    this.dashboardUrl = dashboardUrl(props.dashboardBaseUrl, this.service);
    this.identity = serviceIdentityOf(this.service);
    this.tiers = {
      fastPage: resolveAlert(props.tiers?.fastPage, DEFAULT_SLO_ALERTS.fastPage, tier),
      slowPage: resolveAlert(props.tiers?.slowPage, DEFAULT_SLO_ALERTS.slowPage, tier),
      fastTicket: resolveAlert(props.tiers?.fastTicket, DEFAULT_SLO_ALERTS.fastTicket, tier),
      slowTicket: resolveAlert(props.tiers?.slowTicket, DEFAULT_SLO_ALERTS.slowTicket, tier),
    };
    this.budgetExhausted = resolveAlert(props.budgetExhausted, DEFAULT_SLO_ALERTS.budgetExhausted, tier);
    this.noData = resolveAlert(props.noData, DEFAULT_SLO_ALERTS.noData, tier);

    const rendered = tryRender(() => renderSloRules({
      service: this.identity,
      objective: props.objective ?? defaultObjective,
      sli: props.sli,
      window: this.window,
      name: this.name,
      runbookBaseUrl: this.runbookBaseUrl,
      dashboardUrl: this.dashboardUrl,
      interval: this.interval,
      tiers: { ...props.tiers, ...this.tiers },
      budgetExhausted: this.budgetExhausted,
      noData: this.noData,
    }));
    const problems = check.withRendered(rendered.problems);
    if (problems.length > 0) return notBuilt(this, 'ServiceLevelObjective', problems);

    this.objective = Objective.of(props.objective ?? defaultObjective);
    this.errorBudget = errorBudget(this.objective);
    this.groups = rendered.result!;
    this.budgetRemainingQuery = promSelector('slo:error_budget:remaining', { service: this.service.name, namespace: this.service.namespace, slo: this.name });
    this.prometheusRule = new PrometheusRule(this, 'Resource', {
      metadata: { name: `${this.name}-slo`, namespace: this.service.namespace, labels: { ...this.service.labels, ...props.ruleLabels } },
      spec: { groups: this.groups },
    });
  }

  /**
   * PromQL: the SLO's error ratio over `window`, as recorded (one of 5m, 30m, 1h, 2h, 6h, 1d, 3d
   * or the SLO window).
   */
  public errorRatioQuery(window: PromDuration): string {
    return promSelector(`slo:sli_error:ratio_rate${window}`, { service: this.service.name, namespace: this.service.namespace, slo: this.name });
  }
}

function resolveAlert(
  given: AlertOptions | undefined, defaults: { readonly severity: Severity; readonly for: PromDuration }, tier: Criticality,
): AlertOptions {
  return {
    enabled: given?.enabled ?? true,
    severity: given?.severity ?? severityForTier(defaults.severity, tier),
    for: given?.for ?? defaults.for,
  };
}

/** Props of {@link StandardAlerts}: the pack's options, with the service's identity read from the service. */
export interface StandardAlertsProps extends AlertLinks, Omit<StandardAlertPackOptions, 'service' | 'dashboardUrl' | 'runbookBaseUrl'> {
  /**
   * The service the alerts are about; name, namespace, labels and tier are read from it.
   * @see the case study, section 3.4
   */
  readonly service: ResilientService;
}

const ALERT_OPTION_TYPES: PropTypes = { enabled: 'boolean', severity: 'string', for: 'string' };
/** Runtime types of the props {@link StandardAlerts} reads (casts are problems, not TypeErrors). */
const STANDARD_ALERTS_PROP_TYPES: PropTypes = {
  runbookBaseUrl: 'string',
  dashboardBaseUrl: 'string',
  ruleLabels: { record: 'string' },
  http: { requestsMetric: 'string', statusLabel: 'string', errorStatus: 'string' },
  podPattern: 'string',
  interval: 'string',
  serviceDown: ALERT_OPTION_TYPES,
  highErrorRate: { ...ALERT_OPTION_TYPES, threshold: 'number' },
  highLatency: { ...ALERT_OPTION_TYPES, threshold: 'number', quantile: 'number' },
  databasePool: { ...ALERT_OPTION_TYPES, threshold: 'number', database: 'string', selector: { record: 'string' } },
  highMemory: { ...ALERT_OPTION_TYPES, threshold: 'number' },
  podNotReady: ALERT_OPTION_TYPES,
  crashLooping: { ...ALERT_OPTION_TYPES, restarts: 'number', window: 'string' },
};

/** The alerts of the standard pack, by key (the props that tune each one). */
export type PackKey = 'serviceDown' | 'highErrorRate' | 'highLatency' | 'databasePool' | 'highMemory' | 'podNotReady' | 'crashLooping';
const PACK_KEYS: readonly PackKey[] = ['serviceDown', 'highErrorRate', 'highLatency', 'databasePool', 'highMemory', 'podNotReady', 'crashLooping'];

/**
 * The case study's standard alert pack for one ResilientService, as a PrometheusRule: service
 * down (P0), error rate > 5% (P1), p95 > 1 s (P2), database pool > 80% (P3, when a database is
 * named), memory > 70% (P4), pod not ready and crash looping (P3), each lowered by the service's
 * tier (see {@link TIER_SEVERITY_SHIFT}). Pods are matched as the service's Deployment pods,
 * including the `<name>-primary-…` pods a Flagger canary creates.
 *
 * @see the case study, section 3.4 and the appendix "Complete Alert Rules"
 */
export class StandardAlerts extends Construct {
  /** The service the alerts are about. */
  public readonly service!: ResilientService;
  /** The dashboard every alert links. */
  public readonly dashboardUrl!: string;
  /** Runbook base URL. */
  public readonly runbookBaseUrl!: string;
  /** Pod-name pattern for kube-state-metrics and cAdvisor series. */
  public readonly podPattern!: string;
  /** The resolved severity of every alert of the pack (after the tier shift). */
  public readonly severities!: Readonly<Record<PackKey, Severity>>;
  /** The rendered group (the PrometheusRule's only `spec.groups` entry). */
  public readonly group!: PrometheusRuleGroup;
  /** The PrometheusRule (`node.defaultChild`). */
  public readonly prometheusRule!: ApiObject;

  constructor(scope: Construct, id: string, given: StandardAlertsProps) {
    super(scope, id);
    const { props, problems: typeProblems } = typedProps(given, STANDARD_ALERTS_PROP_TYPES);
    const check = new ServiceAlertChecks(props);
    if (check.unusable.length > 0) return notBuilt(this, 'StandardAlerts', withTypeProblems(typeProblems, check.unusable));
    this.service = props.service;
    const tier = isCriticality(this.service.tier) ? this.service.tier : Criticality.CRITICAL;
    this.runbookBaseUrl = props.runbookBaseUrl;
    this.dashboardUrl = dashboardUrl(props.dashboardBaseUrl, this.service);
    this.podPattern = props.podPattern ?? `${this.service.name}(-primary)?-[a-z0-9]{1,10}-[a-z0-9]{5}`;
    const severities = {} as Record<PackKey, Severity>;
    const overrides: Record<string, AlertOptions> = {};
    for (const key of PACK_KEYS) {
      const options = props[key] as AlertOptions | undefined;
      severities[key] = options?.severity ?? severityForTier(DEFAULT_PACK_ALERTS[key].severity, tier);
      if (key !== 'databasePool' || options) overrides[key] = { ...options, severity: severities[key] };
    }
    this.severities = severities;

    const { service: _s, dashboardBaseUrl: _d, ruleLabels: _r, ...packOptions } = props;
    const rendered = tryRender(() => renderStandardAlertPack({
      ...packOptions,
      ...overrides,
      service: serviceIdentityOf(this.service),
      runbookBaseUrl: this.runbookBaseUrl,
      dashboardUrl: this.dashboardUrl,
      podPattern: this.podPattern,
    } as StandardAlertPackOptions));
    const problems = withTypeProblems(typeProblems, check.withRendered(rendered.problems));
    if (problems.length > 0) return notBuilt(this, 'StandardAlerts', problems);
    this.group = rendered.result!;
    this.prometheusRule = new PrometheusRule(this, 'Resource', {
      metadata: { name: `${this.service.name}-alerts`, namespace: this.service.namespace, labels: { ...this.service.labels, ...props.ruleLabels } },
      spec: { groups: [this.group] },
    });
  }
}
