import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import {
  AppValidationError, Bulkhead, CanaryRelease, ChaosExperiment, ChaosPresets, Checks, Criticality, ExternalEndpoint, Fault, KafkaCluster, LogShipper,
  MonitoringStack, NotBuiltError, Objective, PlatformWorkload, RegionChart, ResilientService, ServiceLevelObjective, Sli, ValidationError,
} from '../../lib';
import { errorOf, find, regionChart, synth } from '../k8s/helpers';

const LINKS = { runbookBaseUrl: 'https://wiki.example.com/runbooks', dashboardBaseUrl: 'https://grafana.example.com/d' };
const ROUTING = {
  pager: { kind: 'pagerduty', routingKey: { name: 'pd', key: 'k' } },
  escalation: { kind: 'pagerduty', routingKey: { name: 'pd2', key: 'k' } },
  chat: { kind: 'slack', apiUrl: { name: 'slack', key: 'url' }, channel: '#alerts' },
} as const;

/** An app with bad props in three constructs, two constructs built on a failed one and a good service wired to it. */
function brokenApp() {
  const { app, chart } = regionChart();
  const payment = new ResilientService(chart, 'payment', { image: 'registry.example.com/payment:latest', tier: Criticality.CRITICAL, namespace: 'shop', replicas: 1, autoscaling: false });
  new Bulkhead(chart, 'Shop', { team: 'payments team' });
  new KafkaCluster(chart, 'events', { namespace: 'messaging', brokers: 2 });
  // constructs that depend on the failed service
  const slo = new ServiceLevelObjective(chart, 'payment-availability', { service: payment, sli: Sli.availability(), ...LINKS });
  new CanaryRelease(chart, 'payment-canary', { service: payment, slo });
  // good services wired to the failed one, both ways, and a cycle through it
  const order = new ResilientService(chart, 'order', { image: 'registry.example.com/order:1.0.0', tier: Criticality.HIGH, namespace: 'shop' });
  const ledger = new ResilientService(chart, 'ledger', { image: 'registry.example.com/ledger:1.0.0', tier: Criticality.HIGH, namespace: 'shop' });
  order.dependOn(payment);
  payment.dependOn(ledger);
  ledger.dependOn(order);
  payment.dependOn(order);
  return { app, chart, payment, order };
}

const EXPECTED = [
  '8 problems in 5 constructs, nothing was synthesized:',
  "ResilientService 'test/payment': 2 problems:",
  ' - image ("registry.example.com/payment:latest") uses the mutable "latest" tag, so a restart can run different code; pin an immutable tag (e.g. "registry.example.com/payment:1.4.2") or a digest',
  ' - replicas (1) must be an integer >= 2: one replica is a single point of failure; use at least 2 (3 for critical and high tiers)',
  "Bulkhead 'test/Shop': 2 problems:",
  ' - name ("Shop") is not a namespace name; use lower-case letters, digits and "-"',
  ' - team ("payments team") is not a valid label value; use letters, digits, "-", "_" or "."',
  "KafkaCluster 'test/events': 1 problem:",
  ' - brokers (2) must be an integer >= zones (3) so every zone holds a broker (and a replica), at most 297; use at least 3',
  "ServiceLevelObjective 'test/payment-availability': 1 problem:",
  " - service (\"test/payment\") is ResilientService 'test/payment', which was not built because of its own problems (listed in this error); fix the problems of 'test/payment'",
  "CanaryRelease 'test/payment-canary': 2 problems:",
  " - service (\"test/payment\") is ResilientService 'test/payment', which was not built because of its own problems (listed in this error); fix the problems of 'test/payment'",
  " - slo (\"test/payment-availability\") is ServiceLevelObjective 'test/payment-availability', which was not built because of its own problems (listed in this error); fix the problems of 'test/payment-availability'",
].join('\n');

describe('every problem of the app in one error', () => {
  test('bad props in three constructs and two dependents of a failed one: one error at synth, listing all, nothing written', () => {
    const { app } = brokenApp();
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nines-app-problems-'));
    (app as any).outdir = outdir;
    const e = errorOf(() => app.synth());
    expect(e).toBeInstanceOf(AppValidationError);
    expect(e.name).toBe('AppValidationError');
    expect(e.message).toBe(EXPECTED);
    const err = e as AppValidationError;
    expect(err.errors.map(x => `${x.constructType} ${x.path}`)).toEqual([
      'ResilientService test/payment', 'Bulkhead test/Shop', 'KafkaCluster test/events', 'ServiceLevelObjective test/payment-availability', 'CanaryRelease test/payment-canary',
    ]);
    expect(err.problems).toHaveLength(8);
    expect(fs.readdirSync(outdir)).toEqual([]);
  });

  test('every way to validate throws the same error: synthYaml, Testing.synth of a chart, the check pass; again on a second synth', () => {
    const { app, chart } = brokenApp();
    expect(errorOf(() => app.synthYaml()).message).toBe(EXPECTED);
    expect(errorOf(() => Testing.synth(chart)).message).toBe(EXPECTED);
    expect(errorOf(() => Checks.of(app).run()).message).toBe(EXPECTED);
    expect(errorOf(() => app.synthYaml()).message).toBe(EXPECTED);
  });

  test('a construct that was not built: its node works, its fields throw a NotBuiltError naming it; the tree holds none of it', () => {
    const { chart, payment } = brokenApp();
    expect(payment.node.path).toBe('test/payment');
    expect(payment).toBeInstanceOf(ResilientService);
    const e = errorOf(() => payment.host);
    expect(e).toBeInstanceOf(NotBuiltError);
    expect(e.message.split('\n').slice(0, 2)).toEqual([
      "ResilientService 'test/payment' was not built because its props have problems, so its 'host' cannot be read; fix them first:",
      '8 problems in 5 constructs, nothing was synthesized:',
    ]);
    expect(errorOf(() => payment.egressPeers()).message).toMatch(/^ResilientService 'test\/payment' was not built because its props have problems, so its 'namespace' cannot be read/);
    for (const id of ['payment', 'Shop', 'events', 'payment-availability', 'payment-canary']) expect(chart.node.tryFindChild(id)).toBeUndefined();
    expect(chart.node.tryFindChild('order')).toBeDefined();
  });

  test('a workload that was not built: the fields of its base throw too; a built one holds them resolved', () => {
    const { chart, order } = brokenApp();
    const events = new KafkaCluster(chart, 'events2', { namespace: 'messaging', brokers: 2 });
    expect(events).toBeInstanceOf(KafkaCluster);
    expect(events).toBeInstanceOf(PlatformWorkload);
    expect(errorOf(() => events.name).message).toMatch(/^KafkaCluster 'test\/events2' was not built because its props have problems, so its 'name' cannot be read/);
    expect(errorOf(() => events.zones).message).toMatch(/so its 'zones' cannot be read/);
    expect(chart.node.tryFindChild('events2')).toBeUndefined();
    expect(order).toBeInstanceOf(PlatformWorkload);
    expect([order.name, order.namespace, order.team, order.image, order.zones]).toEqual(['order', 'shop', 'shop', 'registry.example.com/order:1.0.0', ['us-east-1a', 'us-east-1b', 'us-east-1c']]);
    expect(order.identity).toEqual({ user: 10001, group: 10001, fsGroup: 10001 });
  });

  test('one construct: exactly its ValidationError text, as a ValidationError', () => {
    const { app, chart } = regionChart();
    new Bulkhead(chart, 'Shop');
    const e = errorOf(() => app.synth());
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe([
      "Bulkhead 'test/Shop': 1 problem:",
      ' - name ("Shop") is not a namespace name; use lower-case letters, digits and "-"',
    ].join('\n'));
  });

  test('a dependency cycle is recorded with the other problems, and the rest of the app still builds', () => {
    const { app, chart } = regionChart();
    const a = new ResilientService(chart, 'a', { image: 'registry.example.com/a:1.0.0', tier: Criticality.HIGH, namespace: 'shop' });
    const b = new ResilientService(chart, 'b', { image: 'registry.example.com/b:1.0.0', tier: Criticality.HIGH, namespace: 'shop' });
    a.dependOn(b);
    b.dependOn(a);
    new Bulkhead(chart, 'Shop');
    expect(errorOf(() => app.synth()).message).toBe([
      '2 problems in 2 constructs, nothing was synthesized:',
      "Dependency 'test/b': 1 problem:",
      ' - dependOn ("shop/a") closes a dependency cycle shop/b -> shop/a -> shop/b, where one failure feeds back into itself; break the cycle: make one side asynchronous (a queue) or remove the call',
      "Bulkhead 'test/Shop': 1 problem:",
      ' - name ("Shop") is not a namespace name; use lower-case letters, digits and "-"',
    ].join('\n'));
  });

  test('an app without problems synthesizes as before', () => {
    const { chart } = regionChart();
    new ResilientService(chart, 'order', { image: 'registry.example.com/order:1.0.0', tier: Criticality.HIGH, namespace: 'shop' });
    expect(find(synth(chart), 'Deployment', 'order').spec.replicas).toBeUndefined();
  });

  test('outside a RegionChart, an App without checks validates the same way', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'nines-app-problems-')) });
    new Bulkhead(app, 'Shop');
    expect(errorOf(() => app.synthYaml()).message).toBe("Bulkhead 'Shop': 1 problem:\n - name (\"Shop\") is not a namespace name; use lower-case letters, digits and \"-\"");
  });
});
describe('an objective built from a typo is one more problem of the app, not a crash', () => {
  test('Objective.percent(1.5) in one SLO and a bad prop in another construct: one AppValidationError listing both', () => {
    const { app, chart } = regionChart();
    const order = new ResilientService(chart, 'order', { image: 'registry.example.com/order:1.0.0', tier: Criticality.HIGH, namespace: 'shop' });
    // Building the objective does not throw, so the Bulkhead below is still checked.
    const slo = new ServiceLevelObjective(chart, 'order-availability', { service: order, sli: Sli.availability(), objective: Objective.percent(1.5), ...LINKS });
    new Bulkhead(chart, 'Shop', { team: 'payments team' });
    const e = errorOf(() => app.synth());
    expect(e).toBeInstanceOf(AppValidationError);
    expect(e.message).toBe([
      '3 problems in 2 constructs, nothing was synthesized:',
      "ServiceLevelObjective 'test/order-availability': 1 problem:",
      ' - objective (Objective.percent(1.5)) is 1.5%, below 90%: an objective that low (over 72 hours of downtime a month) is almost certainly a typo (1.5 for 99.5?); '
      + 'write the objective you mean, e.g. Objective.percent(99.5), or pass { allowLowObjective: true } if 1.5% is intended',
      "Bulkhead 'test/Shop': 2 problems:",
      ' - name ("Shop") is not a namespace name; use lower-case letters, digits and "-"',
      ' - team ("payments team") is not a valid label value; use letters, digits, "-", "_" or "."',
    ].join('\n'));
    // The SLO was not built: its objective is never read as a number.
    expect(() => slo.objective).toThrow(NotBuiltError);
  });

  test('outside a construct the arithmetic still throws for a bad objective, with the fix', () => {
    expect(() => Objective.percent(1.5).budget).toThrow([
      "Objective 'percent(1.5)': 1 problem:",
      ' - percent (1.5) is 1.5%, below 90%: an objective that low (over 72 hours of downtime a month) is almost certainly a typo (1.5 for 99.5?); '
      + 'write the objective you mean, e.g. Objective.percent(99.5), or pass { allowLowObjective: true } if 1.5% is intended',
    ].join('\n'));
  });
});


describe('property: bad input of every category, in any constructs, is one error listing each construct', () => {
  const long = (n: number) => `${'a'.repeat(n - 1)}z`;
  const order = (chart: RegionChart, id: string) => new ResilientService(chart, id, { image: `registry.example.com/shop/${id}:1.0.0`, tier: Criticality.CRITICAL, namespace: 'shop' });
  /** One construct per category of bad input (issue 13): the prop it must be reported under. */
  const BAD: Record<string, { readonly type: string; readonly prop: string; readonly build: (chart: RegionChart, id: string) => unknown }> = {
    'derived name (instance label)': { type: 'ResilientService', prop: 'name', build: (c, id) => order(c, `${id}-${long(60 - id.length - 1)}`) },
    'derived name (Flagger -primary)': {
      type: 'CanaryRelease',
      prop: 'service',
      build: (c, id) => {
        const s = new ResilientService(c, `${id}-svc`, { name: long(56), image: 'registry.example.com/shop/x:1.0.0', tier: Criticality.CRITICAL, namespace: 'a' });
        return new CanaryRelease(c, id, { service: s, slo: new ServiceLevelObjective(c, `${id}-slo`, { name: `${id}-slo`, service: s, sli: Sli.availability(), ...LINKS }) });
      },
    },
    'derived name (operator StatefulSet)': { type: 'MonitoringStack', prop: 'name', build: (c, id) => new MonitoringStack(c, id, { name: long(45), alertRouting: ROUTING }) },
    'schedule range': { type: 'ChaosExperiment', prop: 'schedule.cron', build: (c, id) => new ChaosExperiment(c, id, { fault: Fault.podKill(order(c, `${id}-t`)), schedule: { cron: '0 24 * * *' } }) },
    'time zone': {
      type: 'ChaosPresets',
      prop: 'timeZone',
      build: (c, id) => new ChaosPresets(c, id, {
        orderService: order(c, `${id}-o`), paymentService: order(c, `${id}-p`), databasePrimary: { name: 'db', namespace: 'shop', podLabels: { role: 'master' } }, timeZone: 'Mars/Olympus',
      }),
    },
    'CIDR': {
      type: 'LogShipper',
      prop: 'outputCidrs[0]',
      build: (c, id) => new LogShipper(c, id, { name: id, output: { host: 'logs.example.com' }, passwordSecret: { name: 'l', key: 'p' }, outputCidrs: ['10.0.0.1/16'], apiServerCidrs: ['10.0.0.0/16'] }),
    },
    'objective': { type: 'ExternalEndpoint', prop: 'availability', build: (c, id) => new ExternalEndpoint(c, id, { hosts: ['api.example.com'], namespace: 'egress', availability: 0.015 }) },
  };
  test('whatever subset is built, in whatever order: one AppValidationError, one block per construct in creation order, each under its prop', () => {
    fc.assert(fc.property(fc.shuffledSubarray(Object.keys(BAD), { minLength: 1 }), picked => {
      const { app, chart } = regionChart();
      picked.forEach((k, i) => BAD[k].build(chart, `c${i}`));
      const e = errorOf(() => app.synth());
      if (!(e instanceof AppValidationError)) throw e;
      const err = e;
      expect(err.errors.map(x => [x.constructType, x.problems.map(p => p.prop)])).toEqual(picked.map(k => [BAD[k].type, [BAD[k].prop]]));
    }), { numRuns: 20, seed: 13 });
  });
});
