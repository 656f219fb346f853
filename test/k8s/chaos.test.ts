import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { errorOf, find, regionChart, synth, withoutClusterObjects } from './helpers';
import { Checks, Criticality, Platform, RegionChart, ResilientService } from '../../lib';
import {
  ChaosExperiment, ChaosPresets, ChaosTarget, Fault, IChaosTarget, selectedPods,
} from '../../lib/k8s/chaos';
import { alertGuardQuery, GuardedWorkflow, ChaosSteps } from '../../lib/k8s/chaos-workflow';
import '../util/chaos-mesh-schemas';
import { expectValidManifests, validateObject } from '../util/schema';

const IMAGE = 'registry.example.com/shop/order-service:1.2.3';
const ORDER_LABELS = { 'app.kubernetes.io/instance': 'order-service-orders' };
const PRIMARY: IChaosTarget = {
  name: 'orders-db',
  namespace: 'databases',
  podLabels: { 'application': 'spilo', 'cluster-name': 'orders-db', 'spilo-role': 'master' },
  disruptionBudget: { replicas: 3, maxUnavailable: 1 },
};

function services() {
  const { app, chart } = regionChart();
  const order = new ResilientService(chart, 'order-service', { image: IMAGE, tier: Criticality.CRITICAL, namespace: 'orders' });
  const payment = new ResilientService(chart, 'payment-service', { image: IMAGE.replace('order', 'payment'), tier: Criticality.CRITICAL, namespace: 'payments' });
  Checks.suppress(chart, 'NINES-RT-CTL-01', 'unit fixture: the Spilo database PRIMARY names runs outside this test app');
  Checks.suppress(chart, 'NINES-RT-SIG-03', 'unit fixture: the SLOs whose alerts the guards wait on are outside this test app');
  return { app, chart, order, payment };
}

describe('ChaosTarget', () => {
  test('a ResilientService adapts to its namespace, pod selector (kept on Flagger\'s -primary pods) and PDB', () => {
    const { order } = services();
    expect(ChaosTarget.of(order)).toEqual({
      name: 'order-service', namespace: 'orders', podLabels: { 'app.kubernetes.io/instance': 'order-service-orders' }, disruptionBudget: { replicas: 3, maxUnavailable: 1 },
    });
    expect(ChaosTarget.allowedDisruptions(ChaosTarget.of(order))).toBe(1);
  });

  test('a database primary: the construct\'s labels plus the role label, PDB over its members', () => {
    const db = { name: 'orders-db', namespace: 'databases', selectorLabels: { 'app.kubernetes.io/name': 'patroni' }, members: 3 };
    expect(ChaosTarget.databasePrimary(db)).toEqual({
      name: 'orders-db-primary',
      namespace: 'databases',
      podLabels: { 'app.kubernetes.io/name': 'patroni', 'role': 'master' },
      disruptionBudget: { replicas: 3, maxUnavailable: 1 },
    });
    expect(ChaosTarget.databasePrimary(db, { roleLabel: 'spilo-role' }).podLabels['spilo-role']).toBe('master');
  });

  test('allowed disruptions: count, percentage rounded up, minAvailable, none', () => {
    const t = (disruptionBudget?: IChaosTarget['disruptionBudget']) => ({ namespace: 'a', podLabels: { a: 'b' }, disruptionBudget });
    expect(ChaosTarget.allowedDisruptions(t({ replicas: 9, maxUnavailable: 2 }))).toBe(2);
    expect(ChaosTarget.allowedDisruptions(t({ replicas: 9, maxUnavailable: '25%' }))).toBe(3);
    expect(ChaosTarget.allowedDisruptions(t({ replicas: 9, minAvailable: 7 }))).toBe(2);
    expect(ChaosTarget.allowedDisruptions(t({ replicas: 3 }))).toBe(1);
    expect(ChaosTarget.allowedDisruptions(t())).toBeUndefined();
  });

  test('selectedPods counts as Chaos Mesh does', () => {
    expect(selectedPods('one', undefined, 3)).toBe(1);
    expect(selectedPods('all', undefined, 3)).toBe(3);
    expect(selectedPods('fixed', '2', 3)).toBe(2);
    expect(selectedPods('fixed', '5', 3)).toBe(3);
    expect(selectedPods('fixed-percent', '50', 3)).toBe(1);
    expect(selectedPods('random-max-percent', '100', 4)).toBe(4);
  });

  test('property: selected pods never exceed replicas', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 100 }),
      fc.constantFrom('one', 'all', 'fixed', 'fixed-percent', 'random-max-percent' as const), (replicas, value, mode) => {
        const n = selectedPods(mode, String(value), replicas);
        expect(n).toBeGreaterThanOrEqual(0);
        expect(n).toBeLessThanOrEqual(replicas);
      }));
  });
});

describe('ChaosExperiment', () => {
  test('podKill selects exactly the service\'s pods; a scheduled kill is a Forbid Schedule', () => {
    const { chart, order } = services();
    const exp = ChaosExperiment.podKill(order, { mode: 'fixed', value: 1, schedule: { cron: '0 11 * * 1-5' } });
    const objs = synth(chart);
    const s = find(objs, 'Schedule');
    expect(s.metadata).toEqual({ name: 'pod-kill-order-service', namespace: 'chaos', annotations: { 'nines.dev/chaos-target': 'orders/order-service' } });
    expect(s.spec).toEqual({
      schedule: '0 11 * * 1-5',
      concurrencyPolicy: 'Forbid',
      historyLimit: 5,
      startingDeadlineSeconds: 300,
      type: 'PodChaos',
      podChaos: { action: 'pod-kill', mode: 'fixed', value: '1', selector: { namespaces: ['orders'], labelSelectors: ORDER_LABELS } },
    });
    expect(exp.namespace).toBe('chaos');
    expect(exp.allowProduction).toBe(false);
    expect(exp.environment).toBe('test');
    expect(exp.schedule).toEqual({ schedule: '0 11 * * 1-5', concurrencyPolicy: 'Forbid', historyLimit: 5, startingDeadlineSeconds: 300 });
    expectValidManifests(objs);
    expect(Checks.of(chart).lastReport!.findings).toEqual([]);
  });

  test('one-shot network and IO faults, every field', () => {
    const { chart, order, payment } = services();
    ChaosExperiment.networkDelay(order, { latency: '500ms', jitter: '100ms', peer: payment, direction: 'both' });
    ChaosExperiment.networkLoss(payment, { lossPercent: 20, mode: 'all' });
    ChaosExperiment.ioLatency(PRIMARY, { scope: chart, delay: '500ms', volumePath: '/home/postgres/pgdata' });
    new ChaosExperiment(chart, 'bw', { fault: Fault.networkBandwidth(order, { rate: '1mbps' }) });
    new ChaosExperiment(chart, 'part', { fault: Fault.networkPartition(order, { peer: payment }) });
    new ChaosExperiment(chart, 'iof', { fault: Fault.ioFault(PRIMARY, { volumePath: '/data', percent: 50 }) });
    new ChaosExperiment(chart, 'ck', { fault: Fault.containerKill(order, { containerNames: ['order-service'] }) });
    new ChaosExperiment(chart, 'pf', { fault: Fault.podFailure(order) });
    const objs = synth(chart);
    expectValidManifests(objs);
    const delay = find(objs, 'NetworkChaos', 'delay-order-service');
    expect(delay.spec).toEqual({
      action: 'delay',
      mode: 'one',
      duration: '10m',
      direction: 'both',
      selector: { namespaces: ['orders'], labelSelectors: ORDER_LABELS },
      target: { mode: 'all', selector: { namespaces: ['payments'], labelSelectors: ChaosTarget.of(payment).podLabels } },
      delay: { latency: '500ms', jitter: '100ms' },
    });
    expect(find(objs, 'NetworkChaos', 'loss-payment-service').spec.loss).toEqual({ loss: '20' });
    expect(find(objs, 'NetworkChaos', 'loss-payment-service').spec.duration).toBe('5m');
    expect(find(objs, 'NetworkChaos', 'bandwidth-order-service').spec.bandwidth).toEqual({ rate: '1mbps', limit: 20971520, buffer: 10000 });
    expect(find(objs, 'NetworkChaos', 'partition-order-service').spec).toMatchObject({ action: 'partition', direction: 'to', duration: '5m' });
    expect(find(objs, 'IOChaos', 'io-latency-orders-db').spec).toEqual({
      action: 'latency',
      mode: 'one',
      duration: '3m',
      delay: '500ms',
      percent: 100,
      volumePath: '/home/postgres/pgdata',
      selector: { namespaces: ['databases'], labelSelectors: PRIMARY.podLabels },
    });
    expect(find(objs, 'IOChaos', 'io-fault-orders-db').spec).toMatchObject({ action: 'fault', errno: 5, percent: 50, volumePath: '/data' });
    expect(find(objs, 'PodChaos', 'container-kill-order-service').spec.containerNames).toEqual(['order-service']);
    expect(find(objs, 'PodChaos', 'pod-failure-order-service').spec.duration).toBe('5m');
    expect(Checks.of(chart).lastReport!.findings).toEqual([]);
  });

  test('a target\'s pod labels follow Kubernetes label syntax (Chaos Mesh passes them to the API server as a selector)', () => {
    const bad: IChaosTarget = { namespace: 'orders', podLabels: { 'app name': 'orders', 'app.kubernetes.io/name': 'order service' } };
    const { chart } = services();
    expect(errorOf(() => new ChaosExperiment(chart, 'kill', { fault: Fault.podKill(bad) })).message).toBe([
      'ChaosExperiment \'test/kill\': 2 problems:',
      ' - fault.target.podLabels.app name ("app name") is not a label key (an optional DNS subdomain and "/", then at most 63 letters, digits, "-", "_" or "."); '
      + 'use a label key of the target\'s pods (e.g. from a ResilientService\'s selectorLabels)',
      ' - fault.target.podLabels.app.kubernetes.io/name ("order service") is not a non-empty label value (at most 63 letters, digits, "-", "_" or ".", beginning and ending with a letter or digit); '
      + 'use the label value the target\'s pods carry (e.g. from a ResilientService\'s selectorLabels)',
    ].join('\n'));
  });

  test('bad input: every problem at once, exact text', () => {
    const bad: IChaosTarget = { namespace: 'Orders', podLabels: {} };
    // A fault builder never throws: its problems travel with the fault, and the construct given it reports them.
    const fault = Fault.networkDelay(bad, { latency: 'slow', mode: 'fixed', duration: 'soon' });
    const { chart: c1 } = services();
    expect(errorOf(() => new ChaosExperiment(c1, 'delay', { fault })).message).toBe([
      'ChaosExperiment \'test/delay\': 5 problems:',
      ' - fault.target.namespace ("Orders") is not a namespace name; use the namespace of the target construct',
      ' - fault.target.podLabels ({}) is empty, which would select every pod of the namespace; give the labels that select exactly the target\'s pods (e.g. a ResilientService\'s selectorLabels)',
      ' - fault.value (undefined) must be a whole number of pods >= 1 for mode "fixed"; use e.g. 1',
      ' - fault.duration ("soon") is not a Go duration; use e.g. "5m" or "30s"',
      ' - fault.latency ("slow") is not a duration; use e.g. "500ms"',
    ].join('\n'));
    expect(Fault.problemsOf(fault).map(p => p.prop)).toEqual(['target.namespace', 'target.podLabels', 'value', 'duration', 'latency']);
    expect(Fault.problemsOf(Fault.podKill(PRIMARY))).toEqual([]);
    const { chart, order } = services();
    expect(errorOf(() => ChaosExperiment.podKill(order, { schedule: { cron: 'at eleven', historyLimit: 0 } })).message).toBe([
      'ChaosExperiment \'test/pod-kill-order-service\': 2 problems:',
      ' - schedule.cron ("at eleven") is not a five-field cron expression; use e.g. "0 11 * * 1-5" (weekdays at 11:00)',
      ' - schedule.historyLimit (0) must keep at least one run; use e.g. 5',
    ].join('\n'));
    expect(chart.node.tryFindChild('pod-kill-order-service')).toBeUndefined();
    expect(errorOf(() => ChaosExperiment.podKill(PRIMARY)).message).toContain('scope (undefined) is required when the target is not a construct');
  });

  test('several bad experiments and a workflow with a bad fault: one error at synth listing them all, each under the option the user wrote', () => {
    const { app, chart, order, payment } = services();
    ChaosExperiment.podKill(order, { mode: 'fixed', schedule: { cron: '0 25 * * *' } });
    ChaosExperiment.networkLoss(payment, { lossPercent: 150, duration: 'ten minutes' });
    new GuardedWorkflow(chart, 'drill', {
      name: 'drill', steps: [ChaosSteps.fault(Fault.podKill(order, { gracePeriod: -1 })), ChaosSteps.fault(Fault.ioLatency(PRIMARY, { volumePath: 'data', delay: '1s' }))],
    });
    expect(errorOf(() => app.synth()).message).toBe([
      '6 problems in 3 constructs, nothing was synthesized:',
      'ChaosExperiment \'test/pod-kill-order-service\': 2 problems:',
      ' - value (undefined) must be a whole number of pods >= 1 for mode "fixed"; use e.g. 1',
      ' - schedule.cron ("0 25 * * *") has hour "25" is outside 0-23; keep every field in range (minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-6), e.g. "0 11 * * 1-5" (weekdays at 11:00)',
      'ChaosExperiment \'test/loss-payment-service\': 2 problems:',
      ' - duration ("ten minutes") is not a Go duration; use e.g. "5m" or "30s"',
      ' - lossPercent (150) must be a percentage between 1 and 100; use e.g. 20',
      'GuardedWorkflow \'test/drill\': 2 problems:',
      ' - steps.pod-kill-order-service.gracePeriod (-1) must be whole seconds >= 0; use e.g. 0 for an abrupt kill',
      ' - steps.io-latency-orders-db.volumePath ("data") must be an absolute mount path; use the data volume\'s mountPath',
    ].join('\n'));
  });

  test('production is refused unless allowProduction', () => {
    const platform = Platform.fromDescription({ environment: 'production', regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }] });
    const app = Testing.app();
    withoutClusterObjects(app);
    const chart = new RegionChart(app, 'prod', { region: platform.region('us-east-1') });
    const order = new ResilientService(chart, 'order-service', { image: IMAGE, tier: Criticality.CRITICAL, namespace: 'orders' });
    expect(errorOf(() => ChaosExperiment.podKill(order)).message).toBe([
      'ChaosExperiment \'prod/pod-kill-order-service\': 1 problem:',
      ' - environment ("production") is production, where chaos is refused by default; '
        + 'set allowProduction: true once the experiment has passed in staging and its guards are reviewed',
    ].join('\n'));
    expect(ChaosExperiment.podKill(order, { allowProduction: true }).allowProduction).toBe(true);
    const { chart: c2 } = regionChart();
    expect(errorOf(() => ChaosExperiment.podKill({ namespace: 'production', podLabels: { app: 'x' } }, { scope: c2 })).message)
      .toContain('target.namespace ("production") is a production namespace');
  });
});

describe('ChaosPresets (the case study, section 4.2)', () => {
  const { chart, order, payment } = services();
  const presets = new ChaosPresets(chart, 'presets', { orderService: order, paymentService: payment, databasePrimary: PRIMARY });
  const objs = synth(chart).filter(o => o.apiVersion === 'chaos-mesh.org/v1alpha1');

  test('four objects, schema-valid, no findings', () => {
    expect(objs.map(o => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'IOChaos/io-latency-orders-db', 'NetworkChaos/delay-order-service', 'NetworkChaos/loss-payment-service', 'Schedule/pod-kill-order-service',
    ]);
    expectValidManifests(objs);
    expect(Checks.of(chart).lastReport!.findings).toEqual([]);
  });

  test('kill one order-service pod on weekdays at 11:00', () => {
    expect(presets.podKill.schedule!.schedule).toBe('0 11 * * 1-5');
    expect(find(objs, 'Schedule').spec.podChaos).toMatchObject({ action: 'pod-kill', mode: 'fixed', value: '1' });
  });

  test('500 ms +- 100 ms on 50% of order-service for 10 min; 20% loss on payment for 5 min; 500 ms IO on the primary for 3 min', () => {
    expect(find(objs, 'NetworkChaos', 'delay-order-service').spec).toMatchObject({
      mode: 'fixed-percent', value: '50', duration: '10m', delay: { latency: '500ms', jitter: '100ms' },
    });
    expect(find(objs, 'NetworkChaos', 'loss-payment-service').spec).toMatchObject({ mode: 'all', duration: '5m', loss: { loss: '20' } });
    expect(find(objs, 'IOChaos').spec).toMatchObject({
      mode: 'fixed',
      value: '1',
      delay: '500ms',
      duration: '3m',
      volumePath: '/home/postgres/pgdata',
      selector: { labelSelectors: { 'spilo-role': 'master' } },
    });
  });
});

describe('time zones', () => {
  test('a time zone renders robfig/cron\'s CRON_TZ prefix; an unknown zone is refused', () => {
    const { chart, order, payment } = services();
    const presets = new ChaosPresets(chart, 'presets', {
      orderService: order, paymentService: payment, databasePrimary: PRIMARY, timeZone: 'America/New_York', databaseVolumePath: '/var/lib/postgresql/data',
    });
    expect(presets.podKill.schedule!.schedule).toBe('CRON_TZ=America/New_York 0 11 * * 1-5');
    expect(presets.latency.schedule).toBeUndefined();
    const scheduled = new ChaosPresets(chart, 'scheduled', {
      orderService: order,
      paymentService: payment,
      databasePrimary: PRIMARY,
      timeZone: 'UTC',
      namespace: 'chaos-2',
      crons: { latency: '30 11 * * 3', packetLoss: '0 14 * * 3', databaseIoLatency: '30 14 * * 3' },
    });
    expect([scheduled.latency, scheduled.packetLoss, scheduled.databaseIoLatency].map(e => e.schedule!.schedule))
      .toEqual(['CRON_TZ=UTC 30 11 * * 3', 'CRON_TZ=UTC 0 14 * * 3', 'CRON_TZ=UTC 30 14 * * 3']);
    expect(presets.databaseIoLatency.fault.spec).toMatchObject({ volumePath: '/var/lib/postgresql/data' });
    expectValidManifests(synth(chart));
    expect(errorOf(() => ChaosExperiment.podKill(order, { schedule: { cron: '0 11 * * 1-5', timeZone: 'Mars/Olympus' } })).message)
      .toContain('schedule.timeZone ("Mars/Olympus") is not an IANA time zone; use e.g. "America/New_York" or "UTC"');
    expect(chart.node.tryFindChild('pod-kill-order-service')).toBeUndefined();
  });
  test('ChaosPresets: a bad cron or time zone is reported once, under the presets\' own prop (not as each experiment\'s schedule.*)', () => {
    const { chart, order, payment } = services();
    expect(errorOf(() => new ChaosPresets(chart, 'presets', {
      orderService: order,
      paymentService: payment,
      databasePrimary: PRIMARY,
      podKillCron: '0 24 * * 1-5',
      crons: { latency: '61 11 * * 3', packetLoss: '0 14 * * 7' },
      timeZone: 'Nowhere/Zone',
    })).message).toBe([
      "ChaosPresets 'test/presets': 4 problems:",
      ' - podKillCron ("0 24 * * 1-5") has hour "24" is outside 0-23; keep every field in range (minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-6), e.g. "0 11 * * 1-5" (weekdays at 11:00)',
      ' - crons.latency ("61 11 * * 3") has minute "61" is outside 0-59; keep every field in range (minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-6), e.g. "0 11 * * 1-5" (weekdays at 11:00)',
      ' - crons.packetLoss ("0 14 * * 7") has day of week "7" is outside 0-6; keep every field in range (minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-6), e.g. "0 11 * * 1-5" (weekdays at 11:00)',
      ' - timeZone ("Nowhere/Zone") is not an IANA time zone; use e.g. "America/New_York" or "UTC"',
    ].join('\n'));
  });
});

describe('GuardedWorkflow', () => {
  test('serial and parallel steps, guarded by an aborting StatusCheck over the whole run', () => {
    const { chart, order, payment } = services();
    const wf = new GuardedWorkflow(chart, 'wf', {
      name: 'drill',
      steps: [
        ChaosSteps.fault(Fault.podFailure(order, { duration: '2m' })),
        ChaosSteps.suspend('recover', '1m'),
        ChaosSteps.parallel('both', ChaosSteps.fault(Fault.networkLoss(payment, { lossPercent: 10, duration: '3m' })), ChaosSteps.fault(Fault.podKill(payment), { deadline: '30s' })),
      ],
      guard: { alertName: 'OrderServiceAvailabilityBurnRateFastPage' },
    });
    const objs = synth(chart);
    expectValidManifests(objs);
    const w = find(objs, 'Workflow');
    expect(wf.deadlineSeconds).toBe(360);
    expect(w.spec.entry).toBe('guarded');
    const t = Object.fromEntries(w.spec.templates.map((x: any) => [x.name, x]));
    expect(t.scenarios).toEqual({ name: 'scenarios', templateType: 'Serial', children: ['pod-failure-order-service', 'recover', 'both'] });
    expect(t.both.templateType).toBe('Parallel');
    expect(t['pod-kill-payment-service'].deadline).toBe('30s');
    expect(t.guarded).toEqual({ name: 'guarded', templateType: 'Parallel', children: ['slo-guard', 'scenarios'] });
    expect(t['slo-guard']).toMatchObject({ templateType: 'StatusCheck', abortWithStatusCheck: true, deadline: '6m' });
    expect(t['slo-guard'].statusCheck).toMatchObject({
      mode: 'Continuous',
      type: 'HTTP',
      intervalSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 1,
      successThreshold: 1,
      http: { method: 'GET', criteria: { statusCode: '200' } },
    });
    const url = new URL(t['slo-guard'].statusCheck.http.url);
    expect(url.origin).toBe('http://prometheus-operated.monitoring.svc:9090');
    expect(url.searchParams.get('query')).toBe(alertGuardQuery('OrderServiceAvailabilityBurnRateFastPage'));
    expect(w.metadata.annotations['nines.dev/chaos-guard']).toBe('aborts when OrderServiceAvailabilityBurnRateFastPage fires');
    expect(Checks.of(chart).lastReport!.findings).toEqual([]);
  });

  test('the guard query errors (422) exactly when the alert fires', () => {
    expect(alertGuardQuery('A')).toBe('vector(1) + on() (ALERTS{alertname="A",alertstate="firing"} '
      + 'or label_replace(ALERTS{alertname="A",alertstate="firing"}, "guard", "duplicate", "", ""))');
    expect(alertGuardQuery(['A', 'B'], { namespace: 'orders' })).toContain('ALERTS{alertname=~"A|B",alertstate="firing",namespace="orders"}');
  });

  test('duplicate step names and bad guards are reported together', () => {
    const { chart, order } = services();
    const f = Fault.podKill(order);
    expect(errorOf(() => new GuardedWorkflow(chart, 'wf', {
      name: 'Drill', steps: [ChaosSteps.fault(f), ChaosSteps.fault(f)], guard: { alertName: 'not an alert', prometheusUrl: 'prometheus' },
    })).message).toBe([
      'GuardedWorkflow \'test/wf\': 4 problems:',
      ' - name ("Drill") must be a DNS label of at most 63 characters; shorten it',
      ' - steps ("pod-kill-order-service") repeats a step name, which a Workflow rejects; name each step uniquely',
      ' - guard.alertName ("not an alert") is not a Prometheus alert name (or a non-empty list of them); use e.g. "OrderServiceAvailabilityBurnRateFastPage"',
      ' - guard.prometheusUrl ("prometheus") is not an http(s) URL; use e.g. "http://prometheus-operated.monitoring.svc:9090"',
    ].join('\n'));
    expect(chart.node.tryFindChild('wf')).toBeUndefined();
  });
});

describe('Chaos Mesh schemas reject unknown keys', () => {
  test('a misspelt field fails', () => {
    const errors = validateObject({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'PodChaos',
      metadata: { name: 'x' },
      spec: { action: 'pod-kill', mode: 'one', selector: { namespaces: ['a'], labelSelector: { a: 'b' } } },
    });
    expect(errors).toEqual([expect.stringContaining('spec.selector.labelSelector')]);
    expect(validateObject({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'Schedule',
      metadata: { name: 'x' },
      spec: { schedule: '* * * * *', type: 'PodChaos', concurrencyPolicy: 'Never' },
    })).toEqual([expect.stringContaining('spec.concurrencyPolicy')]);
  });
});
