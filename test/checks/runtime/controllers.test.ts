import { ApiObject, JsonPatch } from 'cdk8s';
import { ChaosExperiment, ChaosTarget, Checks, Criticality, Platform, ResilientService, ServiceLevelObjective, Sli, formatFinding } from '../../../lib';
import { CanaryRelease } from '../../../lib/k8s/canary-release';
import { PRODUCTION } from '../../../stacks/platform';
import { buildRegion } from '../../../stacks/reference-platform';
import { regionChart } from '../../k8s/helpers';

const CTL = 'NINES-RT-CTL-01';
const links = { runbookBaseUrl: 'https://r.example.com', dashboardBaseUrl: 'https://g.example.com' };

function canaried() {
  const { app, chart } = regionChart();
  const order = new ResilientService(chart, 'order-service', { image: 'r/order:1.0.0', tier: Criticality.CRITICAL, namespace: 'orders' });
  const slo = new ServiceLevelObjective(chart, 'slo', { service: order, sli: Sli.availability(), ...links });
  new CanaryRelease(chart, 'canary', { service: order, slo });
  return { app, chart, order };
}

function ctl(app: any): string[] {
  return Checks.of(app).run().findings.filter(f => f.ruleId === CTL).map(formatFinding);
}

describe('NINES-RT-CTL-01: selectors after the controllers act', () => {
  test('a canaried service with the library defaults: every selector still selects its pods after Flagger\'s promotion', () => {
    const { app, order } = canaried();
    ChaosExperiment.podKill(order);
    expect(ctl(app)).toEqual([]);
  });

  test('issue example: after the first promotion a chaos experiment on the service\'s name label selects no pod (Flagger renames the primary); synth fails', () => {
    const { app, chart, order } = canaried();
    ChaosExperiment.podKill({ name: 'order-service', namespace: 'orders', podLabels: order.selectorLabels, disruptionBudget: { replicas: 3, maxUnavailable: 1 } }, { scope: chart, id: 'kill' });
    expect(ctl(app)).toEqual(['[NINES-RT-CTL-01] test/kill/PodChaos (PodChaos/chaos/pod-kill-order-service): spec.selector: selector'
      + ' {app.kubernetes.io/instance=order-service-orders, app.kubernetes.io/name=order-service} selects the pods of Deployment/orders/order-service only while Flagger'
      + ' analyses a canary: between releases the service runs as Deployment/orders/order-service-primary, whose app.kubernetes.io/name is order-service-primary'
      + ' (Flagger rewrites its selector label app.kubernetes.io/name), so it selects no running pod; fix: select the pods by a label Flagger keeps on both'
      + ' (e.g. the service\'s podSelector, app.kubernetes.io/instance), not by app.kubernetes.io/name']);
    expect(() => app.synthYaml()).toThrow(/\[NINES-RT-CTL-01\] test\/kill\/PodChaos .*selects no running pod/);
  });

  test('issue example: the canary pods stop being scraped once Flagger relabels the -canary Service (ServiceMonitor on the name label); synth fails', () => {
    const { app, order } = canaried();
    order.serviceMonitor!.addJsonPatch(JsonPatch.replace('/spec/selector/matchLabels', order.selectorLabels));
    expect(ctl(app)).toEqual(['[NINES-RT-CTL-01] test/order-service/ServiceMonitor (ServiceMonitor/orders/order-service): selector'
      + ' {app.kubernetes.io/name=order-service, app.kubernetes.io/instance=order-service-orders} selects Deployment/orders/order-service-primary but not the canary pods'
      + ' of Deployment/orders/order-service that Flagger judges during an analysis; fix: select both by a label Flagger keeps (e.g. app.kubernetes.io/instance),'
      + ' not by app.kubernetes.io/name']);
    expect(() => app.synthYaml()).toThrow(/\[NINES-RT-CTL-01\] test\/order-service\/ServiceMonitor .*but not the canary pods/);
  });

  test('issue example: the database experiments target databases/orders-db-databases, which does not exist (the cluster runs in orders); synth fails', () => {
    const platform = Platform.fromDescription(PRODUCTION);
    const { app, databases } = buildRegion(platform, 'us-east-1');
    Checks.of(app).log = () => {};
    const db = databases.get('orders-db')!;
    const retyped = ChaosTarget.databasePrimary({ name: 'orders-db', namespace: 'databases', members: 3, selectorLabels: { 'app.kubernetes.io/name': 'patroni', 'app.kubernetes.io/instance': 'orders-db-databases' } });
    ChaosExperiment.podKill(retyped, { scope: db, id: 'retyped-kill', allowProduction: true });
    expect(ctl(app)).toEqual(['[NINES-RT-CTL-01] services/orders-db/retyped-kill/PodChaos (PodChaos/chaos/pod-kill-orders-db-primary): spec.selector: selector'
      + ' {app.kubernetes.io/instance=orders-db-databases, app.kubernetes.io/name=patroni, role=master} in namespace databases selects no pod the cluster will run;'
      + ' fix: derive the selector from the construct that runs the pods (its podSelector), not from retyped labels']);
    // read from the construct, it selects the leader by Patroni's role label
    ChaosExperiment.podKill(ChaosTarget.databasePrimary(db), { scope: db, id: 'derived-kill', allowProduction: true });
    expect(ctl(app)).toHaveLength(1);
    expect(() => app.synthYaml()).toThrow(/\[NINES-RT-CTL-01\] services\/orders-db\/retyped-kill\/PodChaos .*selects no pod the cluster will run/);
  });

  test('fixture: labels that exist only in another namespace are named in the message', () => {
    const { app, chart } = regionChart();
    new ResilientService(chart, 'web', { image: 'r/web:1.0.0', tier: Criticality.MEDIUM, namespace: 'shop' });
    new ApiObject(chart, 'pdb', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web', namespace: 'other' },
      spec: { maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/instance': 'web-shop' } } },
    });
    expect(ctl(app)).toEqual(['[NINES-RT-CTL-01] test/pdb (PodDisruptionBudget/other/web): selector {app.kubernetes.io/instance=web-shop} in namespace other selects no pod'
      + ' the cluster will run; pods with these labels run in namespace shop; fix: select them in namespace shop: derive the namespace from the construct that runs the pods']);
  });

  test('fixture: Flagger refuses a target whose selector has none of its selector labels, and its own spread selectors must count its own pods', () => {
    const { app, chart } = regionChart();
    new ApiObject(chart, 'dep', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        selector: { matchLabels: { tier: 'web' } },
        template: {
          metadata: { labels: { tier: 'web' } },
          spec: { containers: [{ name: 'web', image: 'r/web:1' }], topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }] },
        },
      },
    });
    new ApiObject(chart, 'canary', { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: 'web', namespace: 'shop' }, spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, service: { port: 80 } } });
    expect(ctl(app)).toEqual([
      '[NINES-RT-CTL-01] test/canary (Canary/shop/web): Flagger refuses Deployment/shop/web: its spec.selector.matchLabels has none of app, name, app.kubernetes.io/name'
        + ' (Flagger\'s selectorLabels); fix: select the Deployment\'s pods by app.kubernetes.io/name (or app) as well',
      '[NINES-RT-CTL-01] test/dep (Deployment/shop/web): topologySpreadConstraints[0] of Deployment/shop/web selects {app=web}, which its own pods do not carry, so the'
        + ' scheduler spreads them against other pods and not against each other; fix: select the pods by a label every controller keeps on them (e.g. the service\'s podSelector,'
        + ' app.kubernetes.io/instance)',
    ]);
  });
});
