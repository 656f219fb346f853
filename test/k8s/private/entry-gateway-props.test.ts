/** The EntryGateway props resolver, tested alone: pure, every problem at once, no throw. */
import { Duration } from 'cdk8s';
import { IN_REGION, NOWHERE } from './contexts';
import { Criticality, Probe, ResilientService, ServiceProtocol } from '../../../lib';
import { resolveEntryGatewayProps } from '../../../lib/k8s/private/entry-gateway-props';
import { regionChart } from '../helpers';

function service(props: Partial<ConstructorParameters<typeof ResilientService>[2]> = {}): ResilientService {
  const { chart } = regionChart();
  return new ResilientService(chart, 'api-gateway', {
    image: 'registry.example.com/edge/api-gateway:2.0.1', tier: Criticality.CRITICAL, namespace: 'edge', entryPoint: true, ...props,
  });
}

describe('resolveEntryGatewayProps', () => {
  test('defaults: named after the service, one gateway replica per zone of the context, the health route bounded by 2 s', () => {
    const svc = service({ probes: { readiness: Probe.http('/ready', { timeout: Duration.seconds(3) }) } });
    const r = resolveEntryGatewayProps('entry', { service: svc, hosts: ['api.example.com'], credentialName: 'api-tls' }, IN_REGION);
    expect(r.problems).toBeUndefined();
    expect(r.settings).toMatchObject({
      name: 'api-gateway-public',
      ingressNamespace: 'istio-ingress',
      selector: { istio: 'ingressgateway' },
      gatewayRef: 'istio-ingress/api-gateway-public',
      healthPath: '/healthz/ready',
      readinessPath: '/ready',
      healthCheckHost: '*',
      minProtocolVersion: 'TLSV1_2',
      httpsRedirect: false,
      zones: 3,
      replicas: 3,
    });
    expect(r.settings!.healthTimeout.toSeconds()).toBe(2);
  });

  test('outside a region the zones are the service\'s', () => {
    const r = resolveEntryGatewayProps('entry', { service: service({ zones: ['a', 'b'] }), hosts: ['api.example.com'], credentialName: 'api-tls' }, NOWHERE);
    expect(r.settings).toMatchObject({ zones: 2, replicas: 2 });
  });

  test('every problem with the props and the service, in order, and no settings', () => {
    const svc = service({ entryPoint: false, protocol: ServiceProtocol.TCP, port: 6432 });
    const r = resolveEntryGatewayProps('entry', {
      service: svc, hosts: ['api.example.com', 'api.example.com'], credentialName: 'API_TLS', healthCheckHost: 'api.example.com',
    }, IN_REGION);
    expect(r.settings).toBeUndefined();
    expect(r.problems!.map(p => `${p.prop} (${JSON.stringify(p.value)})`)).toEqual([
      'hosts[1] ("api.example.com")', 'credentialName ("API_TLS")', 'healthCheckHost ("api.example.com")',
      'service ("test/api-gateway")', 'service ("test/api-gateway")', 'service ("test/api-gateway")',
    ]);
  });
});
