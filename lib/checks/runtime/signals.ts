/**
 * Signals: what the alerts, SLO rules, canary checks and game-day guards read must exist.
 *
 * - NINES-RT-SIG-01: every metric an alert, recording rule or canary MetricTemplate reads has a
 *   producer in the platform: a recording rule of the app, an exporter a construct of the
 *   library deploys and scrapes (declared with `declareMetrics` on its ServiceMonitor), the
 *   cluster add-ons the platform description says are installed (`clusterMetrics`), a source the
 *   user declares (`externalMetrics`), or Prometheus itself (`up`, `scrape_*`, `ALERTS`).
 * - NINES-RT-SIG-02: canary checks fail, not pass, when there is no data. Flagger counts "no
 *   values found" as a failed check (the analysis halts and, after `threshold` failures, rolls
 *   back), so a query that falls back to a passing constant (`or on() vector(100)`) turns an
 *   unscraped canary into a promotion; likewise a promotion gate that passes on `absent(...)`.
 *   SLOs fail too: their alerts compare error ratios with thresholds, and a comparison without
 *   data returns nothing, so an SLO whose source series stopped arriving never alerts. Each SLO
 *   (a `slo:sli_requests:rate5m` record) needs an alert on the absence of its source series
 *   (`absent(...)` / `absent_over_time(...)`) in its namespace.
 * - NINES-RT-SIG-03: every alert a chaos guard or a promotion gate waits on is defined by a
 *   PrometheusRule of the app (a guard on an undefined alert never fires).
 * - NINES-RT-SIG-04: every range a rule reads (e.g. a 30d SLO window) fits in the retention of
 *   the Prometheus that evaluates it.
 *
 * @see https://github.com/fluxcd/flagger/blob/main/pkg/controller/scheduler_metrics.go ("Halt advancement no values found", `return false`)
 * @see https://docs.flagger.app/usage/metrics#custom-metrics
 * @see https://prometheus.io/docs/prometheus/latest/querying/basics/ (metric names, range vectors)
 * @see https://prometheus.io/docs/prometheus/latest/querying/functions/#absent (absent, absent_over_time: a series when the selector matches nothing)
 * @see https://prometheus.io/docs/prometheus/latest/querying/operators/#comparison-binary-operators (a filtering comparison drops what does not match: no data, no alert)
 * @see https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/#inspecting-alerts-during-runtime (the ALERTS series)
 * @see https://prometheus.io/docs/prometheus/latest/storage/#operational-aspects (retention)
 * @see https://github.com/prometheus-operator/prometheus-operator/blob/main/Documentation/api-reference/api.md#prometheusspec (retention)
 */
import { CheckedObject } from '../object-index';
import { AppRule, appRule } from './app-rule';
import { metricsDeclaredBy } from './facts';
import { RuntimeModel } from './model';

const FUNCTIONS_AND_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'atan2',
  'inf', 'nan', 'Inf', 'NaN', 'start', 'end']);

/** The metric names a PromQL expression reads (strings, label matchers, ranges, grouping clauses and functions removed). */
export function metricNames(expr: string): string[] {
  let e = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  e = e.replace(/\{\{[^}]*\}\}/g, '1m'); // Flagger template variables
  e = e.replace(/\{[^}]*\}/g, ' ');
  e = e.replace(/\[[^\]]*\]/g, ' ');
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const out = new Set<string>();
  for (const m of e.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = m[0];
    const before = e[m.index! - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue; // 5m, 1e3
    if (FUNCTIONS_AND_KEYWORDS.has(name)) continue;
    if (/^\s*\(/.test(e.slice(m.index! + name.length))) continue; // a function call
    out.add(name);
  }
  return [...out];
}

/** Metrics Prometheus makes itself for every target and rule. */
const PROMETHEUS_OWN = ['up', 'scrape_*', 'ALERTS', 'ALERTS_FOR_STATE'];

/** What each cluster component the add-ons may install produces. */
const CLUSTER_SOURCES: Record<string, { metrics: string[]; what: string }> = {
  kubeStateMetrics: { metrics: ['kube_*'], what: 'kube-state-metrics' },
  kubelet: { metrics: ['kubelet_*', 'container_*', 'machine_*'], what: 'the kubelet and its cAdvisor' },
  nodeExporter: { metrics: ['node_*'], what: 'node-exporter' },
};

interface Producers {
  has(metric: string): boolean;
}

function producers(model: RuntimeModel): Producers {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const add = (m: string) => (m.endsWith('*') ? prefixes.push(m.slice(0, -1)) : exact.add(m));
  PROMETHEUS_OWN.forEach(add);
  for (const o of model.objects) {
    if (o.kind === 'PrometheusRule') for (const r of rulesOf(o)) if (r.record) exact.add(r.record);
    for (const d of metricsDeclaredBy(o.construct)) d.metrics.forEach(add);
  }
  const platforms = new Set(model.objects.map(o => model.platformOf(o)));
  for (const p of platforms) {
    for (const [k, source] of Object.entries(CLUSTER_SOURCES)) if ((p.clusterMetrics as any)[k]) source.metrics.forEach(add);
    for (const e of p.externalMetrics) e.metrics.forEach(add);
  }
  return { has: m => exact.has(m) || prefixes.some(p => m.startsWith(p)) };
}

/** Every rule of a PrometheusRule (alerting and recording), with its group's name. */
function rulesOf(o: CheckedObject): Array<{ group: string; alert?: string; record?: string; expr: string; labels: Record<string, string> }> {
  const out: Array<{ group: string; alert?: string; record?: string; expr: string; labels: Record<string, string> }> = [];
  for (const g of o.json.spec?.groups ?? []) {
    for (const r of g.rules ?? []) out.push({ group: String(g.name), alert: r.alert, record: r.record, expr: String(r.expr ?? ''), labels: r.labels ?? {} });
  }
  return out;
}

/** Every rule expression of a PrometheusRule, with what names it. */
function ruleExprs(o: CheckedObject): Array<{ what: string; expr: string }> {
  return rulesOf(o).map(r => ({ what: r.alert ? `alert ${r.alert}` : `recording rule ${r.record}`, expr: r.expr }));
}

/** NINES-RT-SIG-01: every metric read has a producer. */
export const PRODUCER_RULE: AppRule = appRule('NINES-RT-SIG-01', 'error',
  'Every metric an alert, SLO rule or canary MetricTemplate reads has a producer in the platform',
  (model, file) => {
    const have = producers(model);
    const judge = (o: CheckedObject, what: string, expr: string) => {
      const missing = metricNames(expr).filter(m => !have.has(m));
      if (missing.length === 0) return;
      file({
        object: o,
        message: `${what} reads ${missing.join(', ')}, which nothing in the platform produces (no recording rule, no exporter a construct deploys and scrapes, `
          + 'no cluster component the platform description installs, no declared external source), so it never has data',
        fix: 'deploy and scrape the exporter (or turn on the cluster component in the platform description\'s clusterMetrics), '
          + 'or declare the source in the platform description\'s externalMetrics',
      });
    };
    for (const o of model.ofKind('PrometheusRule')) for (const r of ruleExprs(o)) judge(o, r.what, r.expr);
    for (const o of model.ofKind('MetricTemplate')) judge(o, 'the canary check\'s query', String(o.json.spec?.query ?? ''));
  });

const FALLBACK = /\bor\s+(?:on\s*\(\s*\)\s*)?vector\s*\(\s*(-?[0-9.eE+]+)\s*\)\s*\)*\s*$/;

/** The metric names alerts watch for absence, per namespace: `absent(<selector>)` / `absent_over_time(<selector>[w])`. */
function absenceWatched(model: RuntimeModel): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const o of model.ofKind('PrometheusRule')) {
    for (const r of rulesOf(o)) {
      if (!r.alert) continue;
      for (const m of r.expr.matchAll(/\babsent(?:_over_time)?\s*\(([^()]*)\)/g)) {
        let set = out.get(o.namespace);
        if (!set) out.set(o.namespace, set = new Set());
        for (const name of metricNames(m[1])) set.add(name);
      }
    }
  }
  return out;
}

/** NINES-RT-SIG-02: canary checks, promotion gates and SLOs fail on no data. */
export const NO_DATA_RULE: AppRule = appRule('NINES-RT-SIG-02', 'error',
  'Canary checks, promotion gates and SLOs fail, not pass, when their query has no data',
  (model, file) => {
    const watched = absenceWatched(model);
    for (const o of model.ofKind('PrometheusRule')) {
      for (const r of rulesOf(o)) {
        if (r.record !== 'slo:sli_requests:rate5m') continue;
        const sources = metricNames(r.expr);
        if (sources.length === 0 || sources.some(m => watched.get(o.namespace)?.has(m))) continue;
        file({
          object: o,
          message: `SLO ${r.labels.slo ?? r.group} reads ${sources.join(', ')}, and no alert of namespace ${o.namespace} fires when it is absent: `
            + 'its burn-rate and budget alerts compare ratios with thresholds, which without data return nothing, so an SLO that lost its data passes',
          fix: 'keep the ServiceLevelObjective\'s no-data alert (noData), or add an alert on absent(<its request counter>{<the service\'s selector>})',
        });
      }
    }
    for (const canary of model.ofKind('Canary')) {
      const analysis = canary.json.spec?.analysis ?? {};
      for (const m of analysis.metrics ?? []) {
        const ref = m.templateRef;
        if (!ref) continue;
        const template = model.object(ref.namespace ?? canary.namespace, 'MetricTemplate', ref.name);
        if (!template) continue;
        const fallback = FALLBACK.exec(String(template.json.spec?.query ?? '').trim());
        if (!fallback) continue;
        const value = Number(fallback[1]);
        const { min, max } = m.thresholdRange ?? {};
        if ((min !== undefined && value < min) || (max !== undefined && value > max)) continue;
        file({
          object: template,
          message: `the query falls back to ${fallback[1]} when it has no data, which passes check "${m.name}" of ${canary.ref} (thresholdRange ${JSON.stringify(m.thresholdRange ?? {})}):`
            + ' an unscraped or idle canary is promoted; Flagger itself counts "no values found" as a failed check',
          fix: 'drop the "or vector(...)" fallback (drive traffic with the load tester so the canary has data)',
        });
      }
      for (const w of analysis.webhooks ?? []) {
        const cmd = String(w.metadata?.cmd ?? '');
        if (w.type === 'confirm-promotion' && /\bor\s+absent\s*\(/.test(cmd)) {
          file({
            object: canary,
            message: `webhook "${w.name}" (confirm-promotion) passes when its query has no data ("or absent(...)"), so a missing SLO record promotes the canary`,
            fix: 'query only the record (e.g. "slo:error_budget:remaining{...} > 0"), so no data holds the promotion',
          });
        }
      }
    }
  });

/** Alert names a text waits on: `ALERTS{alertname="X"}` / `alertname=~"A|B"` (URL-decoded). */
export function awaitedAlerts(text: string): string[] {
  let t = text;
  try {
    t = decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    // not URL-encoded
  }
  const out = new Set<string>();
  for (const m of t.matchAll(/ALERTS\s*\{[^}]*?alertname\s*(=~|=)\s*"([^"]*)"/g)) {
    for (const name of m[1] === '=~' ? m[2].split('|') : [m[2]]) if (/^[A-Za-z_:][A-Za-z0-9_:]*$/.test(name)) out.add(name);
  }
  return [...out];
}

/** NINES-RT-SIG-03: every alert a guard or gate waits on exists. */
export const AWAITED_ALERT_RULE: AppRule = appRule('NINES-RT-SIG-03', 'error',
  'Every alert a chaos guard or promotion gate waits on is defined by a PrometheusRule',
  (model, file) => {
    const defined = new Set<string>();
    for (const o of model.ofKind('PrometheusRule')) for (const r of rulesOf(o)) if (r.alert) defined.add(r.alert);
    for (const o of model.objects) {
      const chaos = String(o.json.apiVersion ?? '').startsWith('chaos-mesh.org/');
      if (!chaos && o.kind !== 'Canary') continue;
      const text = JSON.stringify(o.json.spec ?? {});
      if (!text.includes('ALERTS')) continue;
      const missing = awaitedAlerts(text).filter(a => !defined.has(a));
      if (missing.length === 0) continue;
      file({
        object: o,
        message: `waits on alert${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which no PrometheusRule of the platform defines, so the guard never fires`,
        fix: 'guard on an alert a construct defines (e.g. the target\'s SLO burn-rate page, or the database\'s own alert such as PatroniNoLeader)',
      });
    }
  });

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Seconds of a Prometheus duration (`30d`, `1h30m`), undefined when it is not one. */
export function promDurationSeconds(d: string): number | undefined {
  if (!/^([0-9]+(ms|s|m|h|d|w|y))+$/.test(d)) return undefined;
  let total = 0;
  for (const m of d.matchAll(/([0-9]+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * UNIT_SECONDS[m[2]];
  return total;
}

/** NINES-RT-SIG-04: every range a rule reads fits in the Prometheus retention. */
export const RETENTION_RULE: AppRule = appRule('NINES-RT-SIG-04', 'error',
  'Every range a rule reads (SLO windows) fits in the retention of the Prometheus that evaluates it',
  (model, file) => {
    const prometheuses = model.ofKind('Prometheus').filter(p => String(p.json.apiVersion ?? '').startsWith('monitoring.coreos.com/'));
    if (prometheuses.length === 0) return;
    // prometheus-operator's default retention when the resource sets none (and no retentionSize).
    const retentionOf = (p: CheckedObject) => String(p.json.spec?.retention ?? '24h');
    const shortest = prometheuses.reduce((a, b) => (promDurationSeconds(retentionOf(a))! <= promDurationSeconds(retentionOf(b))! ? a : b));
    const retention = retentionOf(shortest);
    const keep = promDurationSeconds(retention)!;
    for (const o of model.ofKind('PrometheusRule')) {
      const long: string[] = [];
      for (const r of ruleExprs(o)) {
        for (const m of r.expr.matchAll(/\[([0-9a-z]+)(?::[0-9a-z]*)?\]/g)) {
          const s = promDurationSeconds(m[1]);
          if (s !== undefined && s > keep) long.push(`${r.what} [${m[1]}]`);
        }
      }
      const unique = [...new Set(long)];
      if (unique.length === 0) continue;
      file({
        object: o,
        message: `${unique.join(', ')} read${unique.length === 1 ? 's' : ''} more history than ${shortest.ref} keeps (retention ${retention}), so the window is computed over less data than it names`,
        fix: 'keep at least the longest window (e.g. retention "30d" with storage sized for it), or shorten the window',
      });
    }
  });
