import { ApiObject, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import * as fc from 'fast-check';
import {
  Bulkhead, CanaryRelease, ChaosExperiment, ChaosTarget, Checks, Criticality, formatFinding, PatroniCluster, Platform, PriorityClasses, RegionChart,
  MonitoringStack, ResilientService, ServiceLevelObjective, Sli, ValidationError,
} from '../../lib';
import { takeRecordedProblems } from '../../lib/core/app-problems';

const PLATFORM = Platform.fromDescription({
  environment: 'test',
  regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], vpcCidr: '10.0.0.0/16' }],
});

const ROUTING = {
  pager: { kind: 'pagerduty', routingKey: { name: 'pd', key: 'k' } },
  escalation: { kind: 'pagerduty', routingKey: { name: 'pd2', key: 'k' } },
  chat: { kind: 'slack', apiUrl: { name: 'slack', key: 'url' }, channel: '#alerts' },
} as const;

function app(): { app: ReturnType<typeof Testing.app>; chart: RegionChart } {
  const a = Testing.app();
  Checks.of(a).log = () => {};
  return { app: a, chart: new RegionChart(a, 'shop', { region: PLATFORM.region('us-east-1') }) };
}

function service(chart: RegionChart, name: string, namespace = 'orders'): ResilientService {
  return new ResilientService(chart, name, { image: `registry.example.com/shop/${name}:1.0.0`, tier: Criticality.CRITICAL, namespace });
}

function lines(a: ReturnType<typeof Testing.app>, ruleId: string): string[] {
  return Checks.of(a).run().findings.filter(f => f.ruleId === ruleId).map(formatFinding);
}

describe('NINES-REF-01: nothing a pod uses is missing', () => {
  test('the README quickstart without its Bulkhead and PriorityClasses: the namespace and the class are reported, exactly', () => {
    const { app: a, chart } = app();
    service(chart, 'order-service');
    expect(lines(a, 'NINES-REF-01')).toEqual([
      '[NINES-REF-01] shop/order-service/Resource (Deployment/orders/order-service): metadata.namespace names Namespace "orders", which the app does not create and which is not declared provided, so the manifests cannot be applied as written; fix: add the namespace to the app (new Bulkhead(chart, "orders") makes it a hardened bulkhead), or, when something outside the app creates it, declare it: Checks.of(app).provide({ namespaces: ["orders"] })',
      '[NINES-REF-01] shop/order-service/Resource (Deployment/orders/order-service): priorityClassName names PriorityClass "nines-critical", which the app does not create and which is not declared provided, so the manifests cannot be applied as written; fix: add new PriorityClasses(chart, \'priority\') (one class per tier) to the app, or, when something outside the app creates it, declare it: Checks.of(app).provide({ priorityClasses: ["nines-critical"] })',
    ]);
    expect(() => a.synthYaml()).toThrow(/\[NINES-REF-01\] shop\/order-service\/Resource/);
  });

  test('with the Bulkhead and PriorityClasses (the quickstart as written) nothing is missing', () => {
    const { app: a, chart } = app();
    new PriorityClasses(chart, 'priority');
    new Bulkhead(chart, 'orders');
    service(chart, 'order-service');
    expect(Checks.of(a).run().findings).toEqual([]);
  });

  test('ServiceAccount, ConfigMap and Secret references; built-ins and optional ones pass; provide() declares the rest', () => {
    const { app: a, chart } = app();
    new PriorityClasses(chart, 'priority');
    new ApiObject(chart, 'ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'jobs' } });
    new ApiObject(chart, 'job', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'report', namespace: 'jobs' },
      spec: {
        template: {
          spec: {
            serviceAccountName: 'reporter',
            priorityClassName: 'system-cluster-critical',
            restartPolicy: 'Never',
            volumes: [
              { name: 'settings', configMap: { name: 'report-settings' } },
              { name: 'ca', configMap: { name: 'kube-root-ca.crt' } },
              { name: 'maybe', configMap: { name: 'overrides', optional: true } },
              { name: 'creds', secret: { secretName: 'report-db' } },
              { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { storageClassName: 'fast-ssd', accessModes: ['ReadWriteOnce'] } } } },
            ],
            containers: [{ name: 'report', image: 'registry.example.com/report:1.0.0', envFrom: [{ secretRef: { name: 'smtp' } }] }],
          },
        },
      },
    });
    const missing = () => Checks.of(a).run().findings.filter(f => f.ruleId === 'NINES-REF-01').map(f => f.message.split(',')[0]);
    expect(missing()).toEqual([
      'serviceAccountName names ServiceAccount "jobs/reporter"',
      'volumes[0] "settings" names ConfigMap "jobs/report-settings"',
      'volumes[3] "creds" names Secret "jobs/report-db"',
      'containers "report" envFrom names Secret "jobs/smtp"',
    ]);
    Checks.of(a).provide({ serviceAccounts: ['jobs/reporter'], configMaps: ['jobs/report-settings'], secrets: ['jobs/report-db', 'jobs/smtp'] });
    expect(missing()).toEqual([]);
  });

  test('provide() refuses names that are not "namespace/name" where a namespace is needed', () => {
    const { app: a } = app();
    expect(() => Checks.of(a).provide({ secrets: ['orders-db-credentials'], namespaces: ['Orders'] })).toThrow(new ValidationError('Checks.provide', '<app>', [
      { prop: 'namespaces[0]', value: 'Orders', why: 'is not an object name', fix: 'write the object\'s metadata.name' },
      { prop: 'secrets[0]', value: 'orders-db-credentials', why: 'is not "namespace/name"', fix: 'write the namespace and the name, e.g. "orders/orders-db-superuser"' },
    ]).message);
  });

  test('provide() with casts past the types: a list given as one name, a misspelt kind, a number as a name, not an object; each named, nothing declared', () => {
    const { app: a } = app();
    const provide = (objects: unknown) => () => Checks.of(a).provide(objects as any);
    expect(provide({ namespaces: 'istio-system', priorityClass: ['nines-high'], secrets: ['orders/db', 7] })).toThrow([
      "Checks.provide '<app>': 3 problems:",
      ' - priorityClass (["nines-high"]) is not a kind that can be declared provided; use namespaces, priorityClasses, serviceAccounts, configMaps, secrets',
      ' - namespaces ("istio-system") is not a list of names; give an array of strings',
      ' - secrets[1] (7) is not "namespace/name"; write the namespace and the name, e.g. "orders/orders-db-superuser"',
    ].join('\n'));
    expect(provide('istio-system')).toThrow([
      "Checks.provide '<app>': 1 problem:",
      ' - objects ("istio-system") is not an object; give an object of lists of names, e.g. { namespaces: ["istio-system"] }',
    ].join('\n'));
    expect(provide(null)).toThrow(' - objects (null) is not an object;');
  });
});

describe('NINES-DUP-01: two objects with one identity', () => {
  test('two services of one name in one namespace: reported as duplicates, not as a PodDisruptionBudget clash', () => {
    const { app: a, chart } = app();
    new PriorityClasses(chart, 'priority');
    new Bulkhead(chart, 'orders');
    service(chart, 'order-service');
    const second = new RegionChart(a, 'shop2', { region: PLATFORM.region('us-east-1') });
    service(second, 'order-service');
    const findings = Checks.of(a).run().findings.filter(f => f.severity === 'error');
    // one cause (the second service), one finding listing its ten objects (was one finding per object)
    const kinds = ['ServiceAccount', 'Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'DestinationRule', 'VirtualService', 'Sidecar', 'ServiceMonitor'];
    expect(findings).toEqual([{
      ruleId: 'NINES-DUP-01',
      severity: 'error',
      path: 'shop2/order-service',
      object: `10 objects: ${kinds.map(k => `${k}/orders/order-service`).join(', ')}`,
      message: 'each of these objects is also defined, with the same API group, kind, namespace and name, by shop/order-service, so applying both keeps only one of each',
      fix: 'give one of the two constructs another name or namespace (two services of one name must live in different namespaces)',
    }]);
  });

  test('one object defined twice: reported as before, on the object', () => {
    const { app: a, chart } = app();
    const cm = (id: string) => new ApiObject(chart, id, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'orders' }, data: {} });
    cm('first');
    cm('second');
    expect(lines(a, 'NINES-DUP-01')).toEqual([
      '[NINES-DUP-01] shop/second (ConfigMap/orders/settings): ConfigMap "settings" in namespace "orders" is also defined by shop/first, so applying both keeps only one of them; fix: give one of the two constructs another name or namespace (two services of one name must live in different namespaces)',
    ]);
  });

  test('a service named like an object Flagger creates for a canary release: a name clash naming both constructs, whichever comes first', () => {
    const { app: a, chart } = app();
    new PriorityClasses(chart, 'priority');
    new Bulkhead(chart, 'orders');
    service(chart, 'order-service-primary');
    const order = service(chart, 'order-service');
    const links = { runbookBaseUrl: 'https://runbooks.example.com/shop', dashboardBaseUrl: 'https://grafana.example.com/d/shop' };
    new CanaryRelease(chart, 'order-canary', { service: order, slo: new ServiceLevelObjective(chart, 'slo', { service: order, sli: Sli.availability(), ...links }) });
    service(chart, 'order-service-canary');
    expect(lines(a, 'NINES-DUP-01')).toEqual([
      '[NINES-DUP-01] shop/order-canary/Resource (Canary/orders/order-service): Flagger creates Deployment "order-service-primary", '
        + 'HorizontalPodAutoscaler "order-service-primary" and Service "order-service-primary" in namespace "orders" for this canary release, with the names of objects of shop/order-service-primary, so one replaces the other; '
        + 'fix: rename one of the two constructs: Flagger names its objects <service>-primary and <service>-canary',
      '[NINES-DUP-01] shop/order-service-canary/Service (Service/orders/order-service-canary): Service "order-service-canary" in namespace "orders" has the name of '
        + 'the Service "order-service-canary" Flagger creates for the canary release shop/order-canary, so one replaces the other; '
        + 'fix: rename one of the two constructs: Flagger names its objects <service>-primary and <service>-canary',
    ]);
  });

  test('a service named like the governing Service prometheus-operator creates: a name clash naming the MonitoringStack', () => {
    const { app: a, chart } = app();
    new MonitoringStack(chart, 'monitoring', { alertRouting: ROUTING });
    service(chart, 'prometheus-operated', 'monitoring');
    expect(lines(a, 'NINES-DUP-01')).toEqual([
      '[NINES-DUP-01] shop/prometheus-operated/Service (Service/monitoring/prometheus-operated): Service "prometheus-operated" in namespace "monitoring" has the name of '
        + 'the Service "prometheus-operated" prometheus-operator creates for Prometheus shop/monitoring, so one replaces the other; '
        + 'fix: rename one of the two constructs: prometheus-operator names its objects prometheus-<name> and prometheus-operated',
    ]);
  });

  test('the same name in two namespaces is fine', () => {
    const { app: a, chart } = app();
    new PriorityClasses(chart, 'priority');
    new Bulkhead(chart, 'orders');
    new Bulkhead(chart, 'payments');
    service(chart, 'api', 'orders');
    service(new RegionChart(a, 'payments', { region: PLATFORM.region('us-east-1') }), 'api', 'payments');
    expect(Checks.of(a).run().findings).toEqual([]);
  });
});

describe('chaos targets that select no pod (NINES-RT-CTL-01, the runtime model)', () => {
  test('a retyped database target in the wrong namespace is reported; the one read from the construct passes', () => {
    const { app: a, chart } = app();
    const db = new PatroniCluster(chart, 'orders-db', {
      namespace: 'orders', image: 'registry.example.com/platform/patroni:3.0.4-pg15', credentials: { secretName: 'orders-db-credentials' }, backup: false,
    });
    const retyped = ChaosTarget.databasePrimary({ name: 'orders-db', namespace: 'databases', members: 3, selectorLabels: db.selectorLabels });
    ChaosExperiment.podKill(retyped, { scope: chart, id: 'retyped' });
    ChaosExperiment.podKill(ChaosTarget.databasePrimary(db), { scope: chart });
    const found = Checks.of(a).run().findings.filter(f => f.ruleId === 'NINES-RT-CTL-01' && f.object.startsWith('PodChaos/'));
    expect(found.map(f => f.path)).toEqual(['shop/retyped/PodChaos']);
    expect(found[0].message).toMatch(/^spec\.selector: /);
  });
});

describe('NINES-META-01: derived names and label values past their limits', () => {
  /** Objects a construct derives from a name (a construct of the user's own, outside the library's resolvers). */
  function derived(chart: RegionChart, name: string): void {
    const owner = new Construct(chart, name);
    const labels = { 'app.kubernetes.io/instance': `${name}-orders` };
    new ApiObject(owner, 'Deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'orders', labels },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [] } } },
    });
    new ApiObject(owner, 'Service', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'orders', labels }, spec: { selector: labels } });
  }

  test('a 67-character derived instance label: one finding for the one cause, listing the objects and fields', () => {
    const { app: a, chart } = app();
    const name = 'a'.repeat(60);
    derived(chart, name);
    const found = Checks.of(a).run().findings.filter(f => f.ruleId === 'NINES-META-01');
    const key = '["app.kubernetes.io/instance"]';
    expect(found).toEqual([{
      ruleId: 'NINES-META-01',
      severity: 'error',
      path: `shop/${name}`,
      object: `2 objects: Deployment/orders/${name}, Service/orders/svc`,
      message: `label value "${name}-orders" is not a label value (67 characters, at most 63), written in metadata.labels${key}, spec.selector.matchLabels${key}, pod template labels${key}, spec.selector${key}`,
      fix: 'shorten the construct\'s name or namespace it is derived from, so the value fits 63 characters',
    }]);
    expect(() => a.synthYaml()).toThrow(/NINES-META-01/);
  });

  test('two causes stay two findings: two long names, each listed with its own objects', () => {
    const { app: a, chart } = app();
    derived(chart, 'b'.repeat(60));
    derived(chart, 'c'.repeat(61));
    const found = Checks.of(a).run().findings.filter(f => f.ruleId === 'NINES-META-01');
    expect(found.map(f => [f.path, f.object.split(':')[0], f.message.split(' is not')[0]])).toEqual([
      [`shop/${'b'.repeat(60)}`, '2 objects', `label value "${'b'.repeat(60)}-orders"`],
      [`shop/${'c'.repeat(61)}`, '2 objects', `label value "${'c'.repeat(61)}-orders"`],
    ]);
  });

  test('property: a ResilientService refuses, on its name, exactly the names whose derived label values would not fit; the rest pass the rule', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 63 }), fc.integer({ min: 1, max: 63 }), (n, m) => {
      const { app: a, chart } = app();
      const name = `s${'x'.repeat(n - 1)}`;
      const namespace = `n${'y'.repeat(m - 1)}`;
      service(chart, name, namespace);
      const refused = takeRecordedProblems().flatMap(e => e.problems.map(p => p.prop));
      if (refused.length > 0) return n + 1 + m > 63 && refused.join() === 'name';
      return n + 1 + m <= 63 && Checks.of(a).run().findings.filter(f => f.ruleId === 'NINES-META-01').length === 0;
    }), { numRuns: 25 });
  });

  test('a StatefulSet name over 52 characters is refused (the controller-revision-hash label would not fit)', () => {
    const { app: a, chart } = app();
    new ApiObject(chart, 'sts', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'd'.repeat(53), namespace: 'orders' }, spec: {} });
    expect(lines(a, 'NINES-META-01')).toEqual([
      `[NINES-META-01] shop/sts (StatefulSet/orders/${'d'.repeat(53)}): metadata.name "${'d'.repeat(53)}" has 53 characters; a StatefulSet name over 52 leaves no room for the suffix the controller appends (the controller-revision-hash label); fix: shorten the construct's name to at most 52 characters`,
    ]);
  });
});
