import { Testing } from 'cdk8s';
import { errorOf, regionChart, synth, withoutClusterObjects } from './helpers';
import { Checks, Criticality, Platform, RegionChart, ResilientService } from '../../lib';
import { IChaosTarget } from '../../lib/k8s/chaos';
import { alertGuardQuery } from '../../lib/k8s/chaos-workflow';
import { defaultGuardAlert, GameDay, GameDayProps, resolveGameDayProps } from '../../lib/k8s/game-day';
import '../util/chaos-mesh-schemas';
import { expectValidManifests } from '../util/schema';

const PRIMARY: IChaosTarget = {
  name: 'orders-db',
  namespace: 'databases',
  podLabels: { 'application': 'spilo', 'cluster-name': 'orders-db', 'spilo-role': 'master' },
  disruptionBudget: { replicas: 3, maxUnavailable: 1 },
};

function platform(chart: RegionChart, props: Partial<GameDayProps> = {}) {
  const svc = (name: string, ns: string) => new ResilientService(chart, name, {
    image: `registry.example.com/shop/${name}:1.0.0`, tier: Criticality.CRITICAL, namespace: ns,
  });
  const order = svc('order-service', 'orders');
  const payment = svc('payment-service', 'payments');
  const gateway = svc('api-gateway', 'edge');
  const auth = svc('auth-service', 'identity');
  Checks.suppress(chart, 'NINES-RT-CTL-01', 'unit fixture: the Spilo database PRIMARY names runs outside this test app');
  Checks.suppress(chart, 'NINES-RT-SIG-03', 'unit fixture: the SLOs whose alerts the guards wait on are outside this test app');
  return (extra: Partial<GameDayProps> = {}) => new GameDay(chart, 'game-day', {
    service: order, dependency: payment, databasePrimary: PRIMARY, gateway, auth, ...props, ...extra,
  });
}

describe('GameDay (the case study\'s scenario table)', () => {
  const { chart } = regionChart();
  const gd = platform(chart)();
  const objs = synth(chart).filter(o => o.apiVersion === 'chaos-mesh.org/v1alpha1');
  const byName = Object.fromEntries(objs.map(o => [o.metadata.name, o]));

  test('defaults', () => {
    expect(gd.daysOfWeek).toBe('2');
    expect(gd.start).toEqual({ hour: 9, minute: 15 });
    expect(gd.slotMinutes).toBe(15);
    expect(gd.businessHours).toEqual({ startHour: 9, endHour: 17 });
    expect(gd.faultDuration).toBe('5m');
  });

  test('five scheduled workflows, one per scenario, schema-valid, no check findings', () => {
    expect(objs.map(o => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Schedule/game-day-pod-failure', 'Schedule/game-day-dependency-failure', 'Schedule/game-day-database-primary-failure',
      'Schedule/game-day-network-latency', 'Schedule/game-day-cascading-failure',
    ]);
    expectValidManifests(objs);
    expect(Checks.of(chart).lastReport!.findings).toEqual([]);
  });

  test('business hours: Tuesdays 09:15, 09:30, ... 10:15, Forbid, within 09:00-17:00', () => {
    expect(objs.map(o => o.spec.schedule)).toEqual(['15 9 * * 2', '30 9 * * 2', '45 9 * * 2', '0 10 * * 2', '15 10 * * 2']);
    for (const o of objs) expect(o.spec).toMatchObject({ concurrencyPolicy: 'Forbid', type: 'Workflow', historyLimit: 5 });
  });

  test('each scenario records hypothesis and expected behaviour on the object', () => {
    const a = byName['game-day-database-primary-failure'].metadata.annotations;
    expect(a['nines.dev/chaos-scenario']).toBe('Database primary failure');
    expect(a['nines.dev/chaos-hypothesis']).toBe('Killing the orders-db primary promotes a replica automatically in under 30 s');
    expect(a['nines.dev/chaos-expected-behavior']).toContain('Automatic failover to a replica (<30s)');
    expect(gd.scenarios.map(s => s.title)).toEqual(['Pod failure', 'Service dependency failure', 'Database primary failure', 'Network latency', 'Cascading failure']);
    for (const s of gd.scenarios) {
      expect(s.hypothesis.length).toBeGreaterThan(20);
      expect(s.expectedBehavior.length).toBeGreaterThan(20);
    }
  });

  test('every scenario is guarded by its targets\' fast-burn SLO alerts (slo-rules naming)', () => {
    expect(defaultGuardAlert('order-service')).toBe('OrderServiceAvailabilityBurnRateFastPage');
    const wf = byName['game-day-dependency-failure'].spec.workflow;
    const check = wf.templates.find((t: any) => t.templateType === 'StatusCheck');
    expect(check.abortWithStatusCheck).toBe(true);
    expect(new URL(check.statusCheck.http.url).searchParams.get('query'))
      .toBe(alertGuardQuery(['OrderServiceAvailabilityBurnRateFastPage', 'PaymentServiceAvailabilityBurnRateFastPage']));
    expect(byName['game-day-cascading-failure'].metadata.annotations['nines.dev/chaos-guard'])
      .toBe('aborts when ApiGatewayAvailabilityBurnRateFastPage or AuthServiceAvailabilityBurnRateFastPage fires');
  });

  test('faults stay within each target\'s PDB: one pod each; the dependency failure is a partition of one caller pod', () => {
    for (const w of gd.workflows) for (const f of w.faults) expect(f.podsAffected).toBe(1);
    const dep = byName['game-day-dependency-failure'].spec.workflow.templates.find((t: any) => t.templateType === 'NetworkChaos');
    expect(dep.networkChaos).toMatchObject({ action: 'partition', mode: 'one', direction: 'to', target: { selector: { namespaces: ['payments'] } } });
    const cascade = byName['game-day-cascading-failure'].spec.workflow.templates;
    expect(cascade.find((t: any) => t.name === 'gateway-and-auth')).toEqual({
      name: 'gateway-and-auth', templateType: 'Parallel', children: ['pod-failure-api-gateway', 'pod-failure-auth-service'],
    });
    const db = byName['game-day-database-primary-failure'].spec.workflow.templates.find((t: any) => t.name === 'kill-primary');
    expect(db.podChaos.selector.labelSelectors['spilo-role']).toBe('master');
  });
});

describe('GameDay guards', () => {
  test('more pods than the PDB allows, a missing budget, weekends and after-hours are refused together', () => {
    const { chart } = regionChart();
    const make = platform(chart);
    const err = errorOf(() => make({
      databasePrimary: { ...PRIMARY, disruptionBudget: { replicas: 3, minAvailable: 3 } },
      gateway: { namespace: 'edge', podLabels: { app: 'gw' } },
      daysOfWeek: '0,6',
      start: { hour: 16, minute: 30 },
    }));
    expect(err.message).toBe([
      'GameDay \'test/game-day\': 4 problems:',
      ' - daysOfWeek ("0,6") must name weekdays only (1-5, Monday to Friday); use e.g. "2" or "1-5"',
      ' - databasePrimary ("1 pod(s)") is disrupted by pod-kill-orders-db beyond what orders-db\'s PodDisruptionBudget allows (0); lower the count (mode "one") or raise the budget',
      ' - gateway.disruptionBudget (undefined) is missing (edge), so the guard cannot bound the pods the game day disrupts; '
        + 'give the target\'s PodDisruptionBudget (a ResilientService carries it)',
      ' - start ({"hour":16,"minute":30}) runs the game day from 16:30 to 17:35, outside business hours (09:00-17:00); '
        + 'start later or earlier inside the window, or shorten slotMinutes',
    ].join('\n'));
    expect(chart.node.tryFindChild('game-day')).toBeUndefined();
  });

  test('the schedule is checked under the props it is built from: daysOfWeek, start and timeZone, each once', () => {
    const { chart } = regionChart();
    expect(errorOf(() => platform(chart)({ daysOfWeek: '1-7', start: { hour: 25, minute: 0 }, timeZone: 'Bad/Zone' })).message).toBe([
      'GameDay \'test/game-day\': 3 problems:',
      ' - daysOfWeek ("1-7") must name weekdays only (1-5, Monday to Friday); use e.g. "2" or "1-5"',
      ' - start ({"hour":25,"minute":0}) is not a time of day; use e.g. { hour: 9, minute: 15 }',
      ' - timeZone ("Bad/Zone") is not an IANA time zone; use e.g. "America/New_York" or "UTC"',
    ].join('\n'));
  });

  test('production is refused unless allowProduction: true', () => {
    const prod = Platform.fromDescription({ environment: 'production', regions: [{ name: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] }] });
    const app = Testing.app();
    withoutClusterObjects(app);
    const chart = new RegionChart(app, 'prod', { region: prod.region('eu-west-1') });
    Checks.of(app).log = () => {};
    const make = platform(chart);
    expect(errorOf(() => make()).message).toContain('environment ("production") is production, where chaos is refused by default');
    const gd = make({ allowProduction: true });
    expect(gd.workflows).toHaveLength(5);
    expect(gd.workflows.every(w => w.allowProduction)).toBe(true);
    expectValidManifests(Testing.synth(chart));
  });

  test('the region\'s time zone: business hours are local', () => {
    const { chart } = regionChart();
    const gd = platform(chart)({ timeZone: 'Asia/Singapore' });
    expect(gd.timeZone).toBe('Asia/Singapore');
    const objs = synth(chart).filter(o => o.kind === 'Schedule');
    expect(objs.map(o => o.spec.schedule)[0]).toBe('CRON_TZ=Asia/Singapore 15 9 * * 2');
    expectValidManifests(objs);
  });

  test('a fault longer than the slot is refused', () => {
    const { chart } = regionChart();
    expect(errorOf(() => platform(chart)({ faultDuration: '20m' })).message)
      .toContain('faultDuration ("20m") is longer than a slot (15 min), so scenarios would overlap');
  });
});

describe('resolveGameDayProps (pure, no construct built)', () => {
  const target = (name: string, ns: string): IChaosTarget => ({
    name, namespace: ns, podLabels: { 'app.kubernetes.io/name': name }, disruptionBudget: { replicas: 3, maxUnavailable: 1 },
  });
  const props: GameDayProps = {
    service: target('order-service', 'orders'),
    dependency: target('payment-service', 'payments'),
    databasePrimary: PRIMARY,
    gateway: target('api-gateway', 'edge'),
    auth: target('auth-service', 'identity'),
  };

  test('schedule, scenarios and guard alerts from the props and the region\'s time zone', () => {
    const r = resolveGameDayProps(props, { environment: 'staging', timeZone: 'Europe/Dublin' });
    expect(r.problems).toBeUndefined();
    expect(r.settings!.timeZone).toBe('Europe/Dublin');
    expect(r.settings!.startMinute).toBe(9 * 60 + 15);
    expect(r.settings!.scenarios.map(s => s.id)).toEqual(['pod-failure', 'dependency-failure', 'database-primary-failure', 'network-latency', 'cascading-failure']);
    expect(r.settings!.guardAlerts[1]).toEqual([defaultGuardAlert('order-service'), defaultGuardAlert('payment-service')]);
  });

  test('every problem at once: a bad weekday, a start outside business hours, production not allowed', () => {
    const r = resolveGameDayProps({ ...props, daysOfWeek: '6', start: { hour: 16, minute: 30 } }, { environment: 'production' });
    expect(r.settings).toBeUndefined();
    expect(r.problems!.map(p => p.prop)).toEqual(['daysOfWeek', 'start', 'environment']);
  });
});
