import * as fc from 'fast-check';
import { ValidationError } from '../../lib/core/errors';
import { BURN_RATE_TIERS, BurnRateTier, Objective } from '../../lib/reliability/error-budget';
import {
  AvailabilitySli,
  CASE_STUDY_BUCKETS,
  DEFAULT_SLO_ALERTS,
  LatencySli,
  PrometheusAlertingRule,
  PrometheusRecordingRule,
  PrometheusRuleGroup,
  renderSloRules,
  SEVERITIES,
  Sli,
  SloRulesOptions,
} from '../../lib/render/slo-rules';
import { messageOf } from '../util/errors';

const service = { name: 'order-service', namespace: 'orders', selector: { job: 'order-service', namespace: 'orders' } };
const base: SloRulesOptions = {
  service,
  objective: Objective.percent(99.95),
  sli: Sli.availability(),
  runbookBaseUrl: 'https://wiki.example.com/runbooks/',
  dashboardUrl: 'https://grafana.example.com/d/order-service',
};
const IDS = '{service="order-service",namespace="orders",slo="order-service-availability"}';
const SELECTOR = '{job="order-service",namespace="orders"}';

function records(groups: PrometheusRuleGroup[]): PrometheusRecordingRule[] {
  return groups.flatMap(g => g.rules).filter((r): r is PrometheusRecordingRule => 'record' in r);
}
function alerts(groups: PrometheusRuleGroup[]): PrometheusAlertingRule[] {
  return groups.flatMap(g => g.rules).filter((r): r is PrometheusAlertingRule => 'alert' in r);
}
function record(groups: PrometheusRuleGroup[], name: string): PrometheusRecordingRule {
  const r = records(groups).find(x => x.record === name);
  if (!r) throw new Error(`no recording rule ${name}`);
  return r;
}
function alert(groups: PrometheusRuleGroup[], name: string): PrometheusAlertingRule {
  const a = alerts(groups).find(x => x.alert === name);
  if (!a) throw new Error(`no alert ${name}`);
  return a;
}
const ALERT_OF: Record<BurnRateTier, string> = {
  fastPage: 'OrderServiceAvailabilityBurnRateFastPage',
  slowPage: 'OrderServiceAvailabilityBurnRateSlowPage',
  fastTicket: 'OrderServiceAvailabilityBurnRateFastTicket',
  slowTicket: 'OrderServiceAvailabilityBurnRateSlowTicket',
};

describe('renderSloRules: recording rules', () => {
  const groups = renderSloRules(base);

  test('two groups, evaluated every 30s: recordings first, then alerts', () => {
    expect(groups.map(g => g.name)).toEqual(['order-service-availability-slo-recordings', 'order-service-availability-slo-alerts']);
    expect(groups.map(g => g.interval)).toEqual(['30s', '30s']);
    expect(groups[0].rules.every(r => 'record' in r)).toBe(true);
    expect(groups[1].rules.every(r => 'alert' in r)).toBe(true);
  });

  test('an error ratio per window, plus the 5m rates and the remaining budget, all labelled service/namespace/slo', () => {
    expect(records(groups).map(r => r.record)).toEqual([
      'slo:sli_errors:rate5m', 'slo:sli_requests:rate5m', 'slo:sli_error:ratio_rate5m', 'slo:sli_error:ratio_rate30m',
      'slo:sli_error:ratio_rate1h', 'slo:sli_error:ratio_rate2h', 'slo:sli_error:ratio_rate6h',
      'slo:sli_error:ratio_rate1d', 'slo:sli_error:ratio_rate3d', 'slo:sli_error:ratio_rate30d', 'slo:error_budget:remaining',
    ]);
    for (const r of records(groups)) {
      expect(r.labels).toEqual({ service: 'order-service', namespace: 'orders', slo: 'order-service-availability' });
    }
  });

  test('the 5m rates read the service\'s counters through its selector; 5xx is the error', () => {
    expect(record(groups, 'slo:sli_errors:rate5m').expr).toBe('(sum(rate(http_requests_total{job="order-service",namespace="orders",code=~"5.."}[5m])) or vector(0))');
    expect(record(groups, 'slo:sli_requests:rate5m').expr).toBe(`sum(rate(http_requests_total${SELECTOR}[5m]))`);
    expect(record(groups, 'slo:sli_error:ratio_rate5m').expr).toBe(`slo:sli_errors:rate5m${IDS} / slo:sli_requests:rate5m${IDS}`);
  });

  test('windows up to 6h read raw counters; 1d, 3d and 30d sum the 5m records instead', () => {
    for (const w of ['30m', '1h', '2h', '6h']) {
      expect(record(groups, `slo:sli_error:ratio_rate${w}`).expr).toBe(
        `(sum(rate(http_requests_total{job="order-service",namespace="orders",code=~"5.."}[${w}])) or vector(0)) / sum(rate(http_requests_total${SELECTOR}[${w}]))`);
    }
    for (const w of ['1d', '3d', '30d']) {
      const expr = record(groups, `slo:sli_error:ratio_rate${w}`).expr;
      expect(expr).toBe(`sum_over_time(slo:sli_errors:rate5m${IDS}[${w}]) / sum_over_time(slo:sli_requests:rate5m${IDS}[${w}])`);
      expect(expr).not.toContain('http_requests_total');
    }
  });

  test('remaining budget = 1 - (30d error ratio / 0.0005)', () => {
    expect(record(groups, 'slo:error_budget:remaining').expr).toBe(`1 - slo:sli_error:ratio_rate30d${IDS} / 0.0005`);
  });

  test('the status label and error statuses are inputs (the case study\'s Python client uses "status")', () => {
    const g = renderSloRules({ ...base, sli: Sli.availability({ statusLabel: 'status', errorStatus: '5..|429', metric: 'orders_http_requests_total' }) });
    expect(record(g, 'slo:sli_errors:rate5m').expr).toBe(
      '(sum(rate(orders_http_requests_total{job="order-service",namespace="orders",status=~"5..|429"}[5m])) or vector(0))');
    const sli = Sli.availability();
    expect([sli.metric, sli.statusLabel, sli.errorStatus]).toEqual(['http_requests_total', 'code', '5..']);
  });

  test('a 4w window records ratio_rate4w and budgets against it', () => {
    const g = renderSloRules({ ...base, window: '4w' });
    expect(records(g).map(r => r.record)).toContain('slo:sli_error:ratio_rate4w');
    expect(records(g).map(r => r.record)).not.toContain('slo:sli_error:ratio_rate30d');
    expect(record(g, 'slo:error_budget:remaining').expr).toBe(`1 - slo:sli_error:ratio_rate4w${IDS} / 0.0005`);
  });

  test('a 3d window is recorded once', () => {
    const g = renderSloRules({ ...base, window: '3d' });
    expect(records(g).filter(r => r.record === 'slo:sli_error:ratio_rate3d')).toHaveLength(1);
  });
});

describe('renderSloRules: latency SLI', () => {
  const g = renderSloRules({ ...base, objective: Objective.percent(99.5), sli: Sli.latency({ thresholdSeconds: 0.1 }) });
  const ids = '{service="order-service",namespace="orders",slo="order-service-latency"}';

  test('bad events are requests slower than the bucket: _count minus _bucket{le="0.1"}', () => {
    expect(record(g, 'slo:sli_errors:rate5m').expr).toBe(
      `(sum(rate(http_request_duration_seconds_count${SELECTOR}[5m])) - `
      + 'sum(rate(http_request_duration_seconds_bucket{job="order-service",namespace="orders",le=~"0\\\\.10*"}[5m])))');
    expect(record(g, 'slo:sli_requests:rate5m').expr).toBe(`sum(rate(http_request_duration_seconds_count${SELECTOR}[5m]))`);
    expect(record(g, 'slo:error_budget:remaining').expr).toBe(`1 - slo:sli_error:ratio_rate30d${ids} / 0.005`);
    expect(g[0].name).toBe('order-service-latency-slo-recordings');
  });

  test('an integer threshold matches "1" (Go) and "1.0" (Python, Java)', () => {
    const one = renderSloRules({ ...base, sli: Sli.latency({ thresholdSeconds: 1 }) });
    expect(record(one, 'slo:sli_errors:rate5m').expr).toContain('le=~"1(\\\\.0)?"');
    expect(new RegExp('^(?:1(\\.0)?)$').test('1.0')).toBe(true);
  });

  test('thresholds 14.4 × 0.005 = 0.072 for a 99.5% objective', () => {
    expect(alert(g, 'OrderServiceLatencyBurnRateFastPage').expr).toBe(
      `slo:sli_error:ratio_rate1h${ids} > 0.072\nand\nslo:sli_error:ratio_rate5m${ids} > 0.072`);
  });

  test('defaults: the case study\'s buckets and http_request_duration_seconds', () => {
    const sli = Sli.latency({ thresholdSeconds: 0.1 });
    expect(sli).toBeInstanceOf(LatencySli);
    expect(sli.buckets).toEqual([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]);
    expect(sli.buckets).toBe(CASE_STUDY_BUCKETS);
    expect(sli.metric).toBe('http_request_duration_seconds');
    expect(Sli.availability()).toBeInstanceOf(AvailabilitySli);
  });
});

describe('renderSloRules: multi-window, multi-burn-rate alerts', () => {
  const groups = renderSloRules(base);

  test('one alert per tier, the budget-exhausted alert and the no-data alert', () => {
    expect(alerts(groups).map(a => a.alert)).toEqual([...Object.values(ALERT_OF), 'OrderServiceAvailabilityErrorBudgetExhausted', 'OrderServiceAvailabilityNoData']);
  });

  test('the no-data alert: the SLI\'s request counter absent for 10m, P2, so an SLO without data fails instead of passing', () => {
    const a = alert(groups, 'OrderServiceAvailabilityNoData');
    expect(a.expr).toBe('absent(http_requests_total{job="order-service",namespace="orders"})');
    expect(a.for).toBe('10m');
    expect(a.labels).toEqual({ severity: 'P2', service: 'order-service', namespace: 'orders', slo: 'order-service-availability' });
    expect(a.annotations.runbook_url).toBe('https://wiki.example.com/runbooks/order-service-availability-no-data');
    const latency = renderSloRules({ ...base, sli: Sli.latency({ thresholdSeconds: 0.1 }), objective: Objective.percent(99.5), name: 'order-service-latency' });
    expect(alert(latency, 'OrderServiceLatencyNoData').expr).toBe('absent(http_request_duration_seconds_count{job="order-service",namespace="orders"})');
    const off = renderSloRules({ ...base, noData: { enabled: false } });
    expect(alerts(off).map(x => x.alert)).not.toContain('OrderServiceAvailabilityNoData');
    expect(renderSloRules({ ...base, noData: { severity: 'P1', for: '5m' } }).flatMap(g => g.rules).find((r: any) => r.alert === 'OrderServiceAvailabilityNoData')).toMatchObject({ for: '5m', labels: { severity: 'P1' } });
  });

  test.each([
    ['fastPage', '1h', '5m', '0.0072', '2m', 'P1'],
    ['slowPage', '6h', '30m', '0.003', '15m', 'P1'],
    ['fastTicket', '1d', '2h', '0.0015', '1h', 'P3'],
    ['slowTicket', '3d', '6h', '0.0005', '3h', 'P3'],
  ] as Array<[BurnRateTier, string, string, string, string, string]>)('%s: both %s and %s above %s, for %s, severity %s', (tier, long, short, threshold, forDuration, severity) => {
    const a = alert(groups, ALERT_OF[tier]);
    expect(a.expr).toBe(`slo:sli_error:ratio_rate${long}${IDS} > ${threshold}\nand\nslo:sli_error:ratio_rate${short}${IDS} > ${threshold}`);
    expect(a.for).toBe(forDuration);
    expect(a.labels).toEqual({ severity, service: 'order-service', namespace: 'orders', slo: 'order-service-availability' });
    expect(DEFAULT_SLO_ALERTS[tier]).toEqual({ severity, for: forDuration });
    expect(Object.keys(a.annotations)).toEqual(['summary', 'description', 'runbook_url', 'dashboard_url']);
    expect(a.annotations.dashboard_url).toBe('https://grafana.example.com/d/order-service');
  });

  test('annotations of the fast page, word for word; the runbook URL has one slash', () => {
    expect(alert(groups, ALERT_OF.fastPage).annotations).toEqual({
      summary: 'order-service availability SLO: error budget burn rate above 14.4x over 1h and 5m (page)',
      description: 'The order-service availability error ratio is above 0.72% (14.4x the budget) over both 1h and 5m; '
        + 'the 99.95% objective leaves 0.05% of requests, 21.6 min of full outage per 30d. '
        + 'At this rate the 30d budget is gone in 2d 2h, and at least 2% of it is spent by the time this fires.',
      runbook_url: 'https://wiki.example.com/runbooks/order-service-availability-burn-rate-fast-page',
      dashboard_url: 'https://grafana.example.com/d/order-service',
    });
  });

  test('the budget-exhausted alert: remaining <= 0 for 5m, P3, the deployment-freeze signal', () => {
    const a = alert(groups, 'OrderServiceAvailabilityErrorBudgetExhausted');
    expect(a.expr).toBe(`slo:error_budget:remaining${IDS} <= 0`);
    expect(a.for).toBe('5m');
    expect(a.labels.severity).toBe('P3');
    expect(a.annotations.summary).toBe('order-service availability SLO: the 30d error budget is exhausted; freeze deployments');
    expect(a.annotations.runbook_url).toBe('https://wiki.example.com/runbooks/order-service-availability-error-budget-exhausted');
  });

  test('switching tiers off removes exactly their alerts, for every subset of tiers', () => {
    fc.assert(fc.property(fc.subarray([...BURN_RATE_TIERS]), fc.boolean(), (off, exhaustedOff) => {
      const tiers = Object.fromEntries(off.map(t => [t, { enabled: false }]));
      const g = renderSloRules({ ...base, tiers, budgetExhausted: { enabled: !exhaustedOff }, noData: { enabled: false } });
      const expected = [
        ...BURN_RATE_TIERS.filter(t => !off.includes(t)).map(t => ALERT_OF[t]),
        ...(exhaustedOff ? [] : ['OrderServiceAvailabilityErrorBudgetExhausted']),
      ];
      expect(alerts(g).map(a => a.alert)).toEqual(expected);
      expect(records(g)).toEqual(records(groups));
      expect(g.length).toBe(expected.length === 0 ? 1 : 2);
    }));
  });

  test('severity and for are overridable per tier; other tiers keep their defaults', () => {
    const g = renderSloRules({ ...base, tiers: { fastPage: { severity: 'P0', for: '1m' } }, budgetExhausted: { severity: 'P2', for: '30m' } });
    expect(alert(g, ALERT_OF.fastPage).labels.severity).toBe('P0');
    expect(alert(g, ALERT_OF.fastPage).for).toBe('1m');
    expect(alert(g, ALERT_OF.slowPage).labels.severity).toBe('P1');
    expect(alert(g, 'OrderServiceAvailabilityErrorBudgetExhausted').labels.severity).toBe('P2');
    expect(alert(g, 'OrderServiceAvailabilityErrorBudgetExhausted').for).toBe('30m');
  });

  test('a plain fraction objective, a name and an interval of one\'s own', () => {
    const g = renderSloRules({ ...base, objective: 0.999, name: 'checkout', interval: '1m' });
    expect(g.map(x => [x.name, x.interval])).toEqual([['checkout-slo-recordings', '1m'], ['checkout-slo-alerts', '1m']]);
    expect(alert(g, 'CheckoutBurnRateFastPage').expr).toBe(
      'slo:sli_error:ratio_rate1h{service="order-service",namespace="orders",slo="checkout"} > 0.0144\n'
      + 'and\nslo:sli_error:ratio_rate5m{service="order-service",namespace="orders",slo="checkout"} > 0.0144');
  });

  test('the severities are the case study\'s P0-P4', () => {
    expect(Object.keys(SEVERITIES)).toEqual(['P0', 'P1', 'P2', 'P3', 'P4']);
  });
});

describe('renderSloRules: validation', () => {
  test('an Objective built from a bad value is reported with the other problems, under objective', () => {
    const bad = () => renderSloRules({ ...base, objective: Objective.fraction(1), window: '2d' });
    expect(messageOf(bad)).toBe([
      "SloRules 'order-service-availability': 2 problems:",
      ' - objective (Objective.fraction(1)) must be below 1: a 1.0 objective leaves no error budget; pick an achievable objective, e.g. 0.9995, or Objective.percent(99.95) for a percentage',
      ' - window ("2d") is shorter than the longest alert window (3d); use a window of at least "3d"; the workbook uses "30d"',
    ].join('\n'));
  });

  test('every problem at once, each naming the prop, the value, why and the fix', () => {
    const bad = () => renderSloRules({
      service: { name: 'Order_Service', namespace: 'orders', selector: {} },
      objective: 99.95,
      sli: Sli.latency({ thresholdSeconds: 0.3 }),
      window: '1d',
      interval: '10m',
      runbookBaseUrl: 'wiki/runbooks',
      dashboardUrl: 'https://grafana.example.com/d/x',
      tiers: { fastpage: { enabled: false }, slowPage: { severity: 'critical' as any, for: '15 minutes' as any } } as any,
    });
    expect(bad).toThrow(ValidationError);
    expect(messageOf(bad)).toBe([
      "SloRules 'Order_Service-latency': 11 problems:",
      ' - service.name ("Order_Service") is not a DNS label; use lower-case letters, digits and "-", e.g. "order-service"',
      ' - service.selector ({}) has no label, so it would match every service\'s metrics; select the service\'s own series, e.g. { job: "order-service", namespace: "orders" }',
      ' - objective (99.95) is a plain number, which is read as a fraction between 0 and 1 (exclusive); for a percentage write Objective.percent(99.95), or give the fraction 0.9995',
      ' - sli.thresholdSeconds (0.3) is not one of the histogram\'s buckets (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1); pick a bucket boundary as the threshold, or add it to the histogram and to buckets',
      ' - name ("Order_Service-latency") is not a DNS label; use lower-case letters, digits and "-", e.g. "order-service-availability"',
      ' - window ("1d") is shorter than the longest alert window (3d); use a window of at least "3d"; the workbook uses "30d"',
      ' - interval ("10m") must be a Prometheus duration between 1s and 5m, or 5m error rates would go unsampled; use e.g. "30s" or "1m"',
      ' - runbookBaseUrl ("wiki/runbooks") is not an absolute http(s) URL; give a full URL, e.g. "https://wiki.example.com/runbooks"',
      ' - tiers.fastpage ({"enabled":false}) is not a burn-rate tier; use one of fastPage, slowPage, fastTicket, slowTicket',
      ' - tiers.slowPage.severity ("critical") is not a severity tier; use one of P0, P1, P2, P3, P4 (the case study\'s tiers)',
      ' - tiers.slowPage.for ("15 minutes") is not a Prometheus duration; write a Prometheus duration: a whole number and one unit of s, m, h, d or w, e.g. "5m" or "30d"',
    ].join('\n'));
  });

  test('a latency threshold must be positive; metric and label names must be valid; the status label cannot be in the selector', () => {
    expect(() => renderSloRules({ ...base, sli: Sli.latency({ thresholdSeconds: 0 }) })).toThrow(
      ' - sli.thresholdSeconds (0) must be a positive number of seconds; give the latency target, e.g. 0.1 for 100 ms');
    expect(() => renderSloRules({ ...base, sli: Sli.latency({ thresholdSeconds: 0.1, metric: 'http-latency' }) })).toThrow(
      ' - sli.metric ("http-latency") is not a Prometheus metric name; use the histogram base name, e.g. "http_request_duration_seconds"');
    expect(() => renderSloRules({ ...base, service: { ...service, selector: { ...service.selector, code: '200' } } })).toThrow(
      ' - sli.statusLabel ("code") is also a label of service.selector, so good and bad requests could not both be selected; remove "code" from service.selector');
    expect(messageOf(() => renderSloRules({ ...base, sli: Sli.availability({ statusLabel: 'http-code', errorStatus: '' }) }))).toBe(
      "SloRules 'order-service-availability': 2 problems:\n"
      + ' - sli.statusLabel ("http-code") is not a Prometheus label name; use the label carrying the HTTP status, e.g. "code" or "status"\n'
      + ' - sli.errorStatus ("") is empty, so no request could ever fail; use a regular expression such as "5.."');
  });

  test('a missing or empty selector value, a bad window and a bad for are named', () => {
    const bad = () => renderSloRules({ ...base, service: { ...service, selector: { job: '' } }, window: '30 days' as any, budgetExhausted: { for: '5 min' as any } });
    expect(messageOf(bad)).toBe(
      "SloRules 'order-service-availability': 3 problems:\n"
      + ' - service.selector.job ("") must be a non-empty string (an empty value matches series without the label); give the exact label value, e.g. "order-service"\n'
      + ' - window ("30 days") is not a Prometheus duration; write a Prometheus duration: a whole number and one unit of s, m, h, d or w, e.g. "5m" or "30d"\n'
      + ' - budgetExhausted.for ("5 min") is not a Prometheus duration; write a Prometheus duration: a whole number and one unit of s, m, h, d or w, e.g. "5m" or "30d"');
    expect(() => renderSloRules({ ...base, sli: {} as any })).toThrow(' - sli ({}) is not an SLI; use Sli.availability() or Sli.latency({ thresholdSeconds })');
  });
});
