/**
 * Synthetic input series, `promtool test rules` files and the reading of promtool's output, for
 * test/system/promtool.test.ts. Everything here is test scaffolding; the rules under test come
 * unchanged from lib/render/slo-rules.ts and lib/render/alert-pack.ts.
 *
 * Series use promtool's expanding notation at a 1m interval: `a+bxn` is `a, a+b, …, a+n·b`.
 * @see https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import { performance } from 'perf_hooks';
import { PrometheusAlertingRule, PrometheusRuleGroup } from '../../../lib/render/slo-rules';

/** Requests per minute in every scenario. */
export const REQUESTS_PER_MINUTE = 10_000;
/** The service's own label matchers (what `service.selector` is in the test). */
export const SERVICE_LABELS = 'job="order-service",namespace="orders"';
/** A Deployment pod of the service, one of a StatefulSet-style name, and a pod of another service. */
export const PODS = { web: 'order-service-7d9f8b6c5-x2k4p', notReady: 'order-service-7d9f8b6c5-b8n2q', stateful: 'order-service-1', other: 'order-service-worker-7d9f8b6c5-x2k4p' };

/** One input series. */
export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

/** A counter that grows by `perMinute` for `minutes` minutes in each phase, from 0 at t=0. */
export function counter(phases: ReadonlyArray<readonly [minutes: number, perMinute: number]>): string {
  const parts: string[] = [];
  let value = 0;
  phases.forEach(([minutes, perMinute], i) => {
    // the first phase also carries the sample at t=0
    const start = i === 0 ? value : value + perMinute;
    parts.push(`${start}+${perMinute}x${i === 0 ? minutes : minutes - 1}`);
    value += perMinute * minutes;
  });
  return parts.join(' ');
}

/** A gauge holding each phase's value for `minutes` minutes (phase 1 also at t=0). */
export function gauge(phases: ReadonlyArray<readonly [minutes: number, value: number]>): string {
  return phases.map(([minutes, value], i) => `${value}+0x${i === 0 ? minutes : minutes - 1}`).join(' ');
}

/**
 * HTTP traffic with the given error ratio per phase (10,000 requests a minute unless a phase says
 * otherwise), and a fast, healthy latency histogram.
 */
export function httpTraffic(phases: ReadonlyArray<readonly [minutes: number, errorRatio: number, requestsPerMinute?: number]>): InputSeries[] {
  const volume = phases.map(([m, ratio, perMinute]) => [m, ratio, perMinute ?? REQUESTS_PER_MINUTE] as const);
  const errors = volume.map(([m, ratio, perMinute]) => [m, Math.round(perMinute * ratio)] as const);
  const ok = volume.map(([m, ratio, perMinute]) => [m, perMinute - Math.round(perMinute * ratio)] as const);
  // 99.9% within 100 ms, everything within 1 s; a Python client's "1.0" and "+Inf" buckets
  const all = volume.map(([m, , perMinute]) => [m, perMinute] as const);
  const fast = volume.map(([m, , perMinute]) => [m, perMinute * 0.999] as const);
  return [
    { series: `http_requests_total{${SERVICE_LABELS},code="200"}`, values: counter(ok) },
    { series: `http_requests_total{${SERVICE_LABELS},code="500"}`, values: counter(errors) },
    { series: `http_request_duration_seconds_bucket{${SERVICE_LABELS},le="0.1"}`, values: counter(fast) },
    { series: `http_request_duration_seconds_bucket{${SERVICE_LABELS},le="1.0"}`, values: counter(all) },
    { series: `http_request_duration_seconds_bucket{${SERVICE_LABELS},le="+Inf"}`, values: counter(all) },
    { series: `http_request_duration_seconds_count{${SERVICE_LABELS}}`, values: counter(all) },
  ];
}

/** What the pods, the containers and the database report; healthy unless overridden. */
export interface ResourceState {
  /** Working set of the web pod's container as a share of its 1 GB limit. */
  readonly memoryShare: number;
  /** Working set of another service's pod (must never alert for this service). */
  readonly otherServiceMemoryShare: number;
  /** Whether one pod reports Ready=false. */
  readonly podNotReady: boolean;
  /** Container restarts per minute of the StatefulSet-style pod. */
  readonly restartsPerMinute: number;
  /** Connections to the "orders" database (active, idle) of max_connections 100. */
  readonly connections: readonly [active: number, idle: number];
}

export const HEALTHY: ResourceState = {
  memoryShare: 0.5, otherServiceMemoryShare: 0.5, podNotReady: false, restartsPerMinute: 0, connections: [10, 5],
};

/** kube-state-metrics, cAdvisor and postgres_exporter series for `minutes` minutes in one state. */
export function resources(minutes: number, state: ResourceState): InputSeries[] {
  const limit = 1_000_000_000;
  const container = (pod: string) => `namespace="orders",pod="${pod}",container="app"`;
  return [
    { series: `container_memory_working_set_bytes{${container(PODS.web)}}`, values: gauge([[minutes, limit * state.memoryShare]]) },
    { series: `kube_pod_container_resource_limits{${container(PODS.web)},resource="memory",unit="byte"}`, values: gauge([[minutes, limit]]) },
    { series: `container_memory_working_set_bytes{${container(PODS.other)}}`, values: gauge([[minutes, limit * state.otherServiceMemoryShare]]) },
    { series: `kube_pod_container_resource_limits{${container(PODS.other)},resource="memory",unit="byte"}`, values: gauge([[minutes, limit]]) },
    { series: `kube_pod_status_ready{namespace="orders",pod="${PODS.notReady}",condition="false"}`, values: gauge([[minutes, state.podNotReady ? 1 : 0]]) },
    { series: `kube_pod_status_ready{namespace="orders",pod="${PODS.notReady}",condition="true"}`, values: gauge([[minutes, state.podNotReady ? 0 : 1]]) },
    { series: `kube_pod_container_status_restarts_total{${container(PODS.stateful)}}`, values: counter([[minutes, state.restartsPerMinute]]) },
    { series: 'pg_stat_activity_count{job="orders-db",instance="db-0:9187",datname="orders",state="active"}', values: gauge([[minutes, state.connections[0]]]) },
    { series: 'pg_stat_activity_count{job="orders-db",instance="db-0:9187",datname="orders",state="idle"}', values: gauge([[minutes, state.connections[1]]]) },
    { series: 'pg_settings_max_connections{job="orders-db",instance="db-0:9187"}', values: gauge([[minutes, 100]]) },
  ];
}

/** `up` of the service's one target, per phase. */
export function up(phases: ReadonlyArray<readonly [minutes: number, value: 0 | 1]>): InputSeries {
  return { series: `up{${SERVICE_LABELS},instance="10.0.1.5:8080"}`, values: gauge(phases) };
}

/** A synthetic history: input series over `minutes` minutes, with an incident showing from minute `firstBadScrape`. */
export interface Scenario {
  readonly name: string;
  /** The length of the run in minutes (one sample per minute, 0..minutes). */
  readonly minutes: number;
  /**
   * The minute of the first sample that shows the incident (the incident began up to one scrape
   * interval earlier); times to detect count from here.
   * @default - no incident
   */
  readonly firstBadScrape?: number;
  readonly series: readonly InputSeries[];
  /** Labels each firing alert carries beyond its rule's own labels (from its expression), per alert name. */
  readonly exprLabels?: Readonly<Record<string, ReadonlyArray<Readonly<Record<string, string>>>>>;
}

/** The first firing of an alert, from the ALERTS series. */
export interface Firing {
  readonly alertname: string;
  readonly severity: string;
  /** Minutes from the start of the run. */
  readonly atMinute: number;
}

const FIRST_FIRING = (minutes: number) =>
  `min by (alertname, severity) (min_over_time(timestamp(ALERTS{alertstate="firing"})[${minutes}m:1m]))`;

/**
 * A test file that claims no alert ever fires during the scenario. It passes when that is true;
 * when it fails, promtool prints what did fire and when ({@link parseFirings}).
 */
export function probeFile(ruleFile: string, groupOrder: readonly string[], scenario: Scenario): object {
  return {
    rule_files: [ruleFile],
    evaluation_interval: '1m',
    group_eval_order: groupOrder,
    tests: [{
      name: scenario.name,
      interval: '1m',
      input_series: scenario.series,
      promql_expr_test: [{ expr: FIRST_FIRING(scenario.minutes), eval_time: `${scenario.minutes}m`, exp_samples: [] }],
    }],
  };
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = JSON.parse(`"${m[2]}"`);
  return labels;
}

/** The first firings promtool reports in a failed probe (none for a passing one), earliest first. */
export function parseFirings(output: string): Firing[] {
  const got = /^\s*got: (.*)$/m.exec(output);
  if (!got || got[1].trim() === 'nil') return [];
  const firings: Firing[] = [];
  for (const m of got[1].matchAll(/\{([^}]*)\} ([-+0-9.eE]+)/g)) {
    const labels = parseLabels(m[1]);
    firings.push({ alertname: labels.alertname, severity: labels.severity, atMinute: Number(m[2]) / 60 });
  }
  return firings.sort((a, b) => a.atMinute - b.atMinute || a.alertname.localeCompare(b.alertname));
}

function promSeries(name: string, labels: Readonly<Record<string, string>>): string {
  return `${name}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}

/**
 * A test file that must pass: each alert in `firings` is absent one minute before its first
 * firing and present at it, with exactly the expected label sets (and, for alerts whose
 * annotations hold no template, exactly the rendered annotations); over the whole run, exactly
 * these alerts fired.
 */
export function confirmFile(
  ruleFile: string, groupOrder: readonly string[], scenario: Scenario, rules: readonly PrometheusAlertingRule[], firings: readonly Firing[],
): object {
  const alertTests: object[] = [];
  const exprTests: object[] = [];
  for (const f of firings) {
    const rule = rules.find(r => r.alert === f.alertname);
    if (!rule) throw new Error(`promtool reported ${f.alertname}, which is not in the rule file`);
    const labelSets = (scenario.exprLabels?.[f.alertname] ?? [{}]).map(extra => ({ ...rule.labels, ...extra }));
    const before = `${f.atMinute - 1}m`;
    const at = `${f.atMinute}m`;
    const alerts = `ALERTS{alertname="${f.alertname}",alertstate="firing"}`;
    exprTests.push({ expr: alerts, eval_time: before, exp_samples: [] });
    exprTests.push({
      expr: alerts,
      eval_time: at,
      exp_samples: labelSets.map(l => ({ labels: promSeries('ALERTS', { alertname: f.alertname, alertstate: 'firing', ...l }), value: 1 })),
    });
    if (!Object.values(rule.annotations).some(a => a.includes('{{'))) {
      alertTests.push({ eval_time: before, alertname: f.alertname, exp_alerts: [] });
      const expAlerts = labelSets.map(l => ({ exp_labels: l, exp_annotations: rule.annotations }));
      alertTests.push({ eval_time: at, alertname: f.alertname, exp_alerts: expAlerts });
    }
  }
  exprTests.push({
    expr: `group by (alertname) (count_over_time(ALERTS{alertstate="firing"}[${scenario.minutes}m]))`,
    eval_time: `${scenario.minutes}m`,
    exp_samples: firings.map(f => ({ labels: promSeries('', { alertname: f.alertname }), value: 1 })),
  });
  return {
    rule_files: [ruleFile],
    evaluation_interval: '1m',
    group_eval_order: groupOrder,
    tests: [{ name: `${scenario.name}-confirm`, interval: '1m', input_series: scenario.series, alert_rule_test: alertTests, promql_expr_test: exprTests }],
  };
}

/** Every alerting rule of some groups. */
export function alertingRules(groups: readonly PrometheusRuleGroup[]): PrometheusAlertingRule[] {
  return groups.flatMap(g => g.rules).filter((r): r is PrometheusAlertingRule => 'alert' in r);
}

/** What one promtool run did. */
export interface PromtoolRun {
  readonly exitCode: number | null;
  /** stdout and stderr together. */
  readonly output: string;
  /** Wall-clock seconds (reported, never asserted). */
  readonly seconds: number;
  /** The highest resident set size seen in /proc while it ran, in MiB. */
  readonly peakRssMiB: number;
}

/** Runs promtool with `args`, sampling its peak memory from /proc every 100 ms. */
export function promtool(args: readonly string[]): Promise<PromtoolRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/promtool', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let peakKiB = 0;
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
      } catch {
        // the process has just exited
      }
    };
    const timer = setInterval(sample, 100);
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    child.on('error', e => {
      clearInterval(timer);
      reject(e);
    });
    child.on('close', code => {
      clearInterval(timer);
      resolve({ exitCode: code, output: Buffer.concat(chunks).toString('utf8'), seconds: (performance.now() - started) / 1000, peakRssMiB: peakKiB / 1024 });
    });
  });
}

/** 1053 → `17h33m`; 3 → `3m`. */
export function minutesText(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h === 0 ? `${m}m` : `${h}h${m === 0 ? '' : `${m}m`}`;
}
