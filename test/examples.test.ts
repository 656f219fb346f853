import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { build as buildMinimal } from '../examples/minimal-service';
import { build as buildDependencies } from '../examples/service-with-dependencies';
import { Checks } from '../lib';
import { expectValidManifests } from './util/schema';

function synthesize(app: App): any[] {
  Checks.of(app).log = () => {};
  return parseAllDocuments(app.synthYaml()).map(d => d.toJS());
}

describe('examples synthesize, pass the checks and validate', () => {
  test('minimal service: its ten objects, the namespace bulkhead and the tier classes, zero findings', () => {
    const app = buildMinimal();
    const objs = synthesize(app);
    expect(objs).toHaveLength(19);
    expect(objs.filter(o => o.kind === 'PriorityClass')).toHaveLength(4);
    expect(objs.filter(o => o.metadata.namespace === 'orders' || o.kind === 'Namespace')).toHaveLength(15);
    expect(Checks.of(app).lastReport!.findings).toEqual([]);
    expectValidManifests(objs);
    expect(objs.find(o => o.kind === 'Deployment').spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
  });

  test('service with dependencies: order reaches payment, payment reaches the provider only', () => {
    const app = buildDependencies();
    const objs = synthesize(app);
    expect(Checks.of(app).lastReport!.findings).toEqual([]);
    expectValidManifests(objs);
    const np = (name: string) => objs.find(o => o.kind === 'NetworkPolicy' && o.metadata.name === name);
    expect(np('order-service').spec.egress.map((e: any) => e.ports[0].port)).toEqual([53, 15012, 8080]);
    expect(np('payment-service').spec.ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('orders');
    expect(np('order-service').spec.ingress.map((i: any) => i.from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'])).toEqual(['istio-system', 'monitoring']);
    const hpa = objs.find(o => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'order-service');
    expect(hpa.spec.metrics[2]).toEqual({ type: 'Pods', pods: { metric: { name: 'order_queue_depth' }, target: { type: 'AverageValue', averageValue: '50' } } });
    expect(objs.filter(o => o.kind === 'Namespace').map(o => o.metadata.name)).toEqual(['orders', 'payments', 'egress']);
  });
});
