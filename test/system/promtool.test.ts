/**
 * The SLO rules and the standard alert pack, exactly as lib/render renders them with their
 * defaults, checked and run by Prometheus' own rule engine: `promtool check rules`, then
 * `promtool test rules` over synthetic histories at 1m resolution.
 *
 * Each history is first run as a probe that claims "no alert ever fires": promtool's report of
 * that claim gives every alert's first firing time (time to detect). A second file, which must
 * pass, then pins each detected alert down: absent a minute before, present at that minute with
 * exactly the expected labels (and annotations where they hold no template), and no other alert
 * firing during the whole run.
 *
 * - steady 0.04% errors for 3 days (inside 99.95%): nothing fires, in either rule set;
 * - total outage after 6 healthy hours: the 14.4x page fires within minutes;
 * - slow burn, 0.2% errors (4x) after a healthy day: the 3x/1d ticket fires, no page ever;
 * - `up == 0`: service down fires after 1m;
 * - pod/container/database pressure: the pack's resource alerts, only for this service's pods.
 */
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { stringify } from 'yaml';
import {
  alertingRules,
  confirmFile,
  Firing,
  HEALTHY,
  httpTraffic,
  minutesText,
  parseFirings,
  PODS,
  probeFile,
  promtool,
  PromtoolRun,
  resources,
  Scenario,
  up,
} from './promtool/scenarios';
import { BurnRateTier, burnRateThreshold, burnRateWindows, durationSeconds, Objective } from '../../lib/reliability/error-budget';
import { renderStandardAlertPack } from '../../lib/render/alert-pack';
import { PrometheusRuleGroup, renderSloRules, Sli } from '../../lib/render/slo-rules';

const WORK_DIR = path.join(__dirname, '.work', `promtool-${process.pid}`);
const RULE_FILE = path.join(WORK_DIR, 'rules.yaml');
const OBJECTIVE = Objective.percent(99.95);
const STEADY_ERROR_RATIO = 0.0004;
const SLOW_BURN_ERROR_RATIO = 0.002;
const DAY = 1440;

const service = { name: 'order-service', namespace: 'orders', selector: { job: 'order-service', namespace: 'orders' } };
const links = { runbookBaseUrl: 'https://wiki.example.com/runbooks', dashboardUrl: 'https://grafana.example.com/d/order-service' };
const GROUPS: PrometheusRuleGroup[] = [
  ...renderSloRules({ service, ...links, objective: OBJECTIVE, sli: Sli.availability() }),
  ...renderSloRules({ service, ...links, objective: Objective.percent(99.5), sli: Sli.latency({ thresholdSeconds: 0.1 }) }),
  renderStandardAlertPack({ service, ...links, databasePool: { database: 'orders', selector: { job: 'orders-db' } } }),
];
/** Recordings before alerts at each evaluation, as Prometheus runs a group's rules in order. */
const GROUP_ORDER = GROUPS.map(g => g.name).sort((a, b) => Number(b.endsWith('-recordings')) - Number(a.endsWith('-recordings')));
const RULES = alertingRules(GROUPS);
const ALERT: Record<BurnRateTier, string> = {
  fastPage: 'OrderServiceAvailabilityBurnRateFastPage',
  slowPage: 'OrderServiceAvailabilityBurnRateSlowPage',
  fastTicket: 'OrderServiceAvailabilityBurnRateFastTicket',
  slowTicket: 'OrderServiceAvailabilityBurnRateSlowTicket',
};

const SCENARIOS: Record<'steady' | 'outage' | 'slowBurn' | 'serviceDown' | 'resources', Scenario> = {
  steady: {
    name: 'steady-0.04pct-3d',
    minutes: 3 * DAY,
    series: [...httpTraffic([[3 * DAY, STEADY_ERROR_RATIO]]), up([[3 * DAY, 1]]), ...resources(3 * DAY, HEALTHY)],
  },
  outage: {
    name: 'total-outage',
    minutes: 420,
    firstBadScrape: 361,
    series: [...httpTraffic([[360, STEADY_ERROR_RATIO], [60, 1]]), up([[420, 1]]), ...resources(420, HEALTHY)],
  },
  slowBurn: {
    // a healthy day fills the 1d window, then 18h of 4x burn (the 3x/1d ticket is due after ~17.5h)
    name: 'slow-burn-4x',
    minutes: DAY + 1080,
    firstBadScrape: DAY + 1,
    series: [...httpTraffic([[DAY, STEADY_ERROR_RATIO], [1080, SLOW_BURN_ERROR_RATIO]]), up([[DAY + 1080, 1]]), ...resources(DAY + 1080, HEALTHY)],
  },
  serviceDown: {
    name: 'service-down',
    minutes: 20,
    firstBadScrape: 11,
    // while down, nothing is served: the request counters stand still
    series: [...httpTraffic([[10, STEADY_ERROR_RATIO], [10, 0, 0]]), up([[10, 1], [10, 0]]), ...resources(20, HEALTHY)],
  },
  resources: {
    name: 'resource-pressure',
    minutes: 30,
    firstBadScrape: 0,
    series: [
      ...httpTraffic([[30, STEADY_ERROR_RATIO]]), up([[30, 1]]),
      ...resources(30, { memoryShare: 0.8, otherServiceMemoryShare: 0.95, podNotReady: true, restartsPerMinute: 0.5, connections: [60, 30] }),
    ],
    exprLabels: {
      OrderServiceHighMemory: [{ pod: PODS.web, container: 'app' }],
      OrderServicePodNotReady: [{ pod: PODS.notReady }],
      OrderServiceCrashLooping: [{ pod: PODS.stateful, container: 'app' }],
      OrderServiceDbPoolExhausted: [{ instance: 'db-0:9187' }],
    },
  },
};
type ScenarioName = keyof typeof SCENARIOS;

/**
 * Minutes from the start of a step change of the error ratio (`before` → `after`, constant
 * traffic, full history) until a tier fires, by the workbook's arithmetic: each window's ratio crosses
 * `burn × (1 - objective)` after `(threshold - before) / (after - before)` of the window; then
 * the rule's `for` runs.
 */
function predictedMinutes(tier: BurnRateTier, before: number, after: number): number {
  const row = burnRateWindows().find(w => w.tier === tier)!;
  const threshold = burnRateThreshold(row, OBJECTIVE);
  const crossing = (window: string) => (threshold - before) / (after - before) * durationSeconds(window)! / 60;
  const rule = RULES.find(r => r.alert === ALERT[tier])!;
  return Math.max(crossing(row.longWindow), crossing(row.shortWindow)) + durationSeconds(rule.for)! / 60;
}

interface Outcome {
  readonly probe: PromtoolRun;
  readonly firings: Firing[];
  readonly confirm?: PromtoolRun;
}

function writeYaml(file: string, content: object): string {
  fs.writeFileSync(file, stringify(content, { aliasDuplicateObjects: false, lineWidth: 0 }));
  return file;
}

async function runScenario(name: ScenarioName): Promise<Outcome> {
  const scenario = SCENARIOS[name];
  const probe = await promtool(['test', 'rules', writeYaml(path.join(WORK_DIR, `${name}.probe.yaml`), probeFile(RULE_FILE, GROUP_ORDER, scenario))]);
  const firings = parseFirings(probe.output);
  if (firings.length === 0) return { probe, firings };
  const confirm = await promtool(['test', 'rules',
    writeYaml(path.join(WORK_DIR, `${name}.confirm.yaml`), confirmFile(RULE_FILE, GROUP_ORDER, scenario, RULES, firings))]);
  return { probe, firings, confirm };
}

/** Minutes from the first scrape showing the incident until `alert` first fired, or undefined if it never did. */
function detected(name: ScenarioName, alert: string): number | undefined {
  const f = outcomes[name].firings.find(x => x.alertname === alert);
  return f === undefined ? undefined : f.atMinute - (SCENARIOS[name].firstBadScrape ?? 0);
}

let outcomes: Record<ScenarioName, Outcome>;
let check: PromtoolRun;
let totalSeconds = 0;

describe('SLO rules and the standard alert pack, on Prometheus\' rule engine (promtool)', () => {
  beforeAll(async () => {
    const started = performance.now();
    fs.rmSync(WORK_DIR, { recursive: true, force: true });
    fs.mkdirSync(WORK_DIR, { recursive: true });
    writeYaml(RULE_FILE, { groups: GROUPS });
    check = await promtool(['check', 'rules', RULE_FILE]);
    // the longest run first, so the two cores stay busy
    const names: ScenarioName[] = ['steady', 'slowBurn', 'outage', 'serviceDown', 'resources'];
    const results = await Promise.all(names.map(runScenario));
    outcomes = Object.fromEntries(names.map((n, i) => [n, results[i]])) as Record<ScenarioName, Outcome>;
    totalSeconds = (performance.now() - started) / 1000;
  }, 600_000);

  afterAll(() => {
    fs.rmSync(WORK_DIR, { recursive: true, force: true });
    if (!outcomes) return;
    const runs = Object.entries(outcomes).flatMap(([n, o]) => [[`${n} probe`, o.probe] as const, ...(o.confirm ? [[`${n} confirm`, o.confirm] as const] : [])]);
    const at = (n: ScenarioName, a: string) => {
      const m = detected(n, a);
      return m === undefined ? 'never' : `after ${minutesText(m)}`;
    };
    console.log([
      `promtool: total outage pages (14.4x, P1) ${at('outage', ALERT.fastPage)} (counted from the first failed scrape); 6x page ${at('outage', ALERT.slowPage)}; `
        + `pack error rate (P1) ${at('outage', 'OrderServiceHighErrorRate')}; budget exhausted ${at('outage', 'OrderServiceAvailabilityErrorBudgetExhausted')}`,
      `promtool: slow burn (4x) tickets: 3x/1d ${at('slowBurn', ALERT.fastTicket)}, 1x/3d ${at('slowBurn', ALERT.slowTicket)}, `
        + `budget exhausted ${at('slowBurn', 'OrderServiceAvailabilityErrorBudgetExhausted')}; 14.4x page: ${at('slowBurn', ALERT.fastPage)}, 6x page: ${at('slowBurn', ALERT.slowPage)}`,
      `promtool: ${STEADY_ERROR_RATIO * 100}% errors: ${outcomes.steady.firings.length === 0 ? 'no alert' : 'ALERTS'} over 3d (${SCENARIOS.steady.minutes} evaluations of every rule)`,
      `promtool: service down fires ${at('serviceDown', 'OrderServiceDown')} of up == 0`,
      `promtool: resources: memory ${at('resources', 'OrderServiceHighMemory')}, pod not ready ${at('resources', 'OrderServicePodNotReady')}, `
        + `crash looping ${at('resources', 'OrderServiceCrashLooping')}, db pool ${at('resources', 'OrderServiceDbPoolExhausted')}`,
      `promtool: ${runs.length + 1} runs in ${totalSeconds.toFixed(1)} s; `
        + runs.map(([n, r]) => `${n} ${r.seconds.toFixed(1)} s / ${r.peakRssMiB.toFixed(0)} MiB`).join(', '),
    ].join('\n'));
  });

  test('promtool check rules accepts every rendered rule', () => {
    const count = GROUPS.reduce((n, g) => n + g.rules.length, 0);
    expect(check.output).toContain(`SUCCESS: ${count} rules found`);
    expect(check.exitCode).toBe(0);
  });

  test('a steady 0.04% error rate (inside 99.95%) fires nothing over 3 days at 1m resolution', () => {
    const { probe, firings } = outcomes.steady;
    expect(firings).toEqual([]);
    expect(probe.output).toContain('SUCCESS');
    expect(probe.exitCode).toBe(0);
    // 4,320 evaluations of every rule, in bounded memory
    expect(probe.peakRssMiB).toBeLessThan(1024);
  });

  test('a total outage fires the 14.4x page within minutes, as the workbook\'s arithmetic predicts', () => {
    const { firings, confirm } = outcomes.outage;
    // the predictions count from the start of the outage, one scrape before the first failed one
    const fastPage = detected('outage', ALERT.fastPage)! + 1;
    const predicted = predictedMinutes('fastPage', STEADY_ERROR_RATIO, 1);
    expect(fastPage).toBeGreaterThanOrEqual(predicted);
    expect(fastPage).toBeLessThanOrEqual(predicted + 2);
    expect(detected('outage', ALERT.fastPage)).toBeLessThanOrEqual(5);
    const slowPage = detected('outage', ALERT.slowPage)! + 1;
    expect(slowPage).toBeGreaterThanOrEqual(predictedMinutes('slowPage', STEADY_ERROR_RATIO, 1));
    expect(slowPage).toBeLessThanOrEqual(predictedMinutes('slowPage', STEADY_ERROR_RATIO, 1) + 2);
    expect(firings.find(f => f.alertname === ALERT.fastPage)!.severity).toBe('P1');
    expect(detected('outage', 'OrderServiceHighErrorRate')).toBeLessThanOrEqual(5);
    expect(detected('outage', 'OrderServiceDown')).toBeUndefined();
    expect(confirm!.output).toContain('SUCCESS');
    expect(confirm!.exitCode).toBe(0);
  });

  test('a slow burn (0.2% errors, 4x) opens the 3x/1d ticket and never pages', () => {
    const { firings, confirm } = outcomes.slowBurn;
    const ticket = detected('slowBurn', ALERT.fastTicket)! + 1;
    const predicted = predictedMinutes('fastTicket', STEADY_ERROR_RATIO, SLOW_BURN_ERROR_RATIO);
    expect(predicted).toBeCloseTo(1050, 6);
    // the 1d ratio sums 5m rates, which trail the counters by a few minutes
    expect(ticket).toBeGreaterThanOrEqual(predicted);
    expect(ticket).toBeLessThanOrEqual(predicted + 5);
    expect(firings.filter(f => f.severity === 'P0' || f.severity === 'P1' || f.severity === 'P2')).toEqual([]);
    expect(firings.map(f => f.severity)).toContain('P3');
    // the passing confirmation lists every alert that fired over the 42 hours: tickets only
    expect(confirm!.output).toContain('SUCCESS');
    expect(confirm!.exitCode).toBe(0);
  });

  test('service down fires after 1m of up == 0, and nothing else fires', () => {
    const { firings, confirm } = outcomes.serviceDown;
    expect(firings.map(f => [f.alertname, f.severity])).toEqual([['OrderServiceDown', 'P0']]);
    // up == 0 from minute 11; `for: 1m`
    expect(detected('serviceDown', 'OrderServiceDown')).toBe(1);
    expect(confirm!.output).toContain('SUCCESS');
    expect(confirm!.exitCode).toBe(0);
  });

  test('resource pressure fires memory (15m), not-ready (10m), crash-loop and pool alerts for this service\'s pods only', () => {
    const { firings, confirm } = outcomes.resources;
    expect(firings.map(f => f.alertname).sort()).toEqual(['OrderServiceCrashLooping', 'OrderServiceDbPoolExhausted', 'OrderServiceHighMemory', 'OrderServicePodNotReady']);
    expect(detected('resources', 'OrderServiceHighMemory')).toBe(15);
    expect(detected('resources', 'OrderServicePodNotReady')).toBe(10);
    expect(detected('resources', 'OrderServiceDbPoolExhausted')).toBe(10);
    expect(detected('resources', 'OrderServiceCrashLooping')).toBeGreaterThanOrEqual(5);
    // exact label sets at the first firing: the other service's pod at 95% is not among them
    expect(confirm!.output).toContain('SUCCESS');
    expect(confirm!.exitCode).toBe(0);
  });
});
