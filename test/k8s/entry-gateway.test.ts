import { Duration } from 'cdk8s';
import { errorOf, find, regionChart, synth } from './helpers';
import { Checks, Criticality, Probe, ResilientService, ServiceProtocol } from '../../lib';
import { EntryGateway, EntryGatewayProps, HEALTH_CHECK_RESPONSE_TIMEOUT } from '../../lib/k8s/entry-gateway';
import { reliabilityInput } from '../../lib/k8s/reliability-report';
import { analyzeReliability } from '../../lib/reliability/analysis';
import { expectValidManifests } from '../util/schema';

const IMAGE = 'registry.example.com/edge/api-gateway:2.0.1';

function setup(gw: Partial<EntryGatewayProps> = {}, svcProps: Partial<ConstructorParameters<typeof ResilientService>[2]> = {}) {
  const { app, chart } = regionChart();
  const service = new ResilientService(chart, 'api-gateway', {
    image: IMAGE, tier: Criticality.CRITICAL, namespace: 'edge', entryPoint: true, ...svcProps,
  });
  const make = () => new EntryGateway(chart, 'entry', {
    service, hosts: ['api.example.com', 'us-east-1.api.example.com'], credentialName: 'api-example-com-tls', ...gw,
  });
  return { app, chart, service, make };
}

describe('EntryGateway defaults', () => {
  const { app, chart, service, make } = setup();
  const gw = make();
  const objs = synth(chart);

  test('resolved fields', () => {
    expect(gw.name).toBe('api-gateway-public');
    expect(gw.ingressNamespace).toBe('istio-ingress');
    expect(gw.selector).toEqual({ istio: 'ingressgateway' });
    expect(gw.httpsRedirect).toBe(false);
    expect(gw.healthPath).toBe('/healthz/ready');
    expect(gw.readinessPath).toBe('/health/ready');
    expect(gw.healthCheckHost).toBe('*');
    expect(gw.minProtocolVersion).toBe('TLSV1_2');
    expect(gw.replicas).toBe(3);
    expect(gw.zones).toBe(3);
    expect(gw.healthTimeout.toSeconds()).toBe(2);
    expect(HEALTH_CHECK_RESPONSE_TIMEOUT.toSeconds()).toBe(2);
    expect(gw.gatewayRef).toBe('istio-ingress/api-gateway-public');
    expect(gw.entryPoint).toBe(true);
  });

  test('Gateway: HTTPS 443 SIMPLE with the Secret reference, a catch-all health server, no port 80', () => {
    const g = find(objs, 'Gateway', 'api-gateway-public');
    expect(g.apiVersion).toBe('networking.istio.io/v1beta1');
    expect(g.metadata.namespace).toBe('istio-ingress');
    expect(g.spec.selector).toEqual({ istio: 'ingressgateway' });
    const tls = { mode: 'SIMPLE', credentialName: 'api-example-com-tls', minProtocolVersion: 'TLSV1_2' };
    expect(g.spec.servers).toEqual([
      { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['api.example.com', 'us-east-1.api.example.com'], tls },
      { port: { number: 443, name: 'https-health', protocol: 'HTTPS' }, hosts: ['*'], tls },
    ]);
  });

  test('VirtualService: health route rewritten to readiness, then the service with its own timeout and retries', () => {
    const vs = find(objs, 'VirtualService', 'api-gateway-public');
    expect(vs.metadata.namespace).toBe('edge');
    expect(vs.spec.hosts).toEqual(['api.example.com', 'us-east-1.api.example.com']);
    expect(vs.spec.gateways).toEqual(['istio-ingress/api-gateway-public']);
    const destination = { host: 'api-gateway.edge.svc.cluster.local', port: { number: 80 } };
    expect(vs.spec.http).toEqual([
      { name: 'health', match: [{ uri: { exact: '/healthz/ready' } }], rewrite: { uri: '/health/ready' }, route: [{ destination }], timeout: '2s', retries: { attempts: 0 } },
      { name: 'default', route: [{ destination }], timeout: '10s', retries: { attempts: 2, perTryTimeout: '3s', retryOn: 'connect-failure,refused-stream,unavailable,cancelled' } },
    ]);
    // Consistent with the service's own route.
    const own = find(objs, 'VirtualService', 'api-gateway');
    expect(vs.spec.http[1].timeout).toBe(own.spec.http[0].timeout);
    expect(vs.spec.http[1].retries).toEqual(own.spec.http[0].retries);
    expect(service.servicePort).toBe(80);
  });

  test('health VirtualService answers only the health path on any host', () => {
    const vs = find(objs, 'VirtualService', 'api-gateway-public-health');
    expect(vs.spec.hosts).toEqual(['*']);
    expect(vs.spec.gateways).toEqual(['istio-ingress/api-gateway-public']);
    expect(vs.spec.http.map((r: any) => r.name)).toEqual(['health']);
  });

  test('the entry service NetworkPolicy admits the gateway pods on its serving port', () => {
    const np = find(objs, 'NetworkPolicy', 'api-gateway');
    expect(np.spec.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-ingress' } }, podSelector: { matchLabels: { istio: 'ingressgateway' } } }],
      ports: [{ port: 'http', protocol: 'TCP' }],
    });
  });

  test('schema-valid, zero check findings', () => {
    expectValidManifests(objs);
    expect(Checks.of(app).run().findings).toEqual([]);
  });

  test('graph: a SERVICE node calling the entry service; the report starts at the gateway', () => {
    expect(gw.dependencyFacts).toEqual({ id: 'istio-ingress/api-gateway-public', kind: 'service', tier: 'critical', replicas: 3, zones: 3, automaticFailover: true });
    expect(gw.callerPeer()).toEqual({ namespace: 'istio-ingress', podLabels: { istio: 'ingressgateway' }, ports: [] });
    expect(gw.egressPeers()).toEqual([{ namespace: 'istio-ingress', podLabels: { istio: 'ingressgateway' }, ports: [{ port: 443, protocol: 'TCP' }] }]);
    expect(gw.meshHosts()).toEqual([]);
    const input = reliabilityInput(chart);
    expect(input.entryPoints).toEqual(['edge/api-gateway', 'istio-ingress/api-gateway-public']);
    expect(input.edges).toContainEqual({ from: 'istio-ingress/api-gateway-public', to: 'edge/api-gateway', fallback: false });
    const a = analyzeReliability(input);
    const viaGateway = a.entryPoints.find(e => e.entryPoint === 'istio-ingress/api-gateway-public')!;
    expect(viaGateway.hardDependencies).toEqual(expect.arrayContaining(['istio-ingress/api-gateway-public', 'edge/api-gateway']));
    expect(a.singlePointsOfFailure).toEqual([]);
  });
});

describe('EntryGateway options', () => {
  test('httpsRedirect adds HTTP 80 redirecting to HTTPS; healthCheckHost false drops the catch-all', () => {
    const { app, chart, make } = setup({ httpsRedirect: true, healthCheckHost: false, selector: { app: 'edge-gw', istio: 'edge' }, ingressNamespace: 'edge-ingress' });
    const gw = make();
    const objs = synth(chart);
    const g = find(objs, 'Gateway');
    expect(g.metadata.namespace).toBe('edge-ingress');
    expect(g.spec.selector).toEqual({ app: 'edge-gw', istio: 'edge' });
    expect(g.spec.servers.map((s: any) => s.port)).toEqual([{ number: 443, name: 'https', protocol: 'HTTPS' }, { number: 80, name: 'http', protocol: 'HTTP' }]);
    expect(g.spec.servers[1]).toEqual({ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['api.example.com', 'us-east-1.api.example.com'], tls: { httpsRedirect: true } });
    expect(gw.healthVirtualService).toBeUndefined();
    expect(objs.filter(o => o.kind === 'VirtualService').map(o => o.metadata.name).sort()).toEqual(['api-gateway', 'api-gateway-public']);
    expect(gw.egressPeers()[0].ports).toEqual([{ port: 443, protocol: 'TCP' }, { port: 80, protocol: 'TCP' }]);
    expect(find(objs, 'NetworkPolicy', 'api-gateway').spec.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'edge-ingress' } }, podSelector: { matchLabels: { app: 'edge-gw', istio: 'edge' } } }],
      ports: [{ port: 'http', protocol: 'TCP' }],
    });
    expectValidManifests(objs);
    expect(Checks.of(app).run().findings).toEqual([]);
  });

  test('custom readiness path, no retries, short probe timeout', () => {
    const { chart, make } = setup({ healthPath: '/ping', name: 'edge', replicas: 6, minProtocolVersion: 'TLSV1_3' }, {
      probes: { readiness: Probe.http('/ready', { timeout: Duration.seconds(1) }) },
      traffic: { timeout: Duration.seconds(5), retries: false },
    });
    const gw = make();
    const vs = find(synth(chart), 'VirtualService', 'edge');
    expect(vs.spec.http[0]).toMatchObject({ match: [{ uri: { exact: '/ping' } }], rewrite: { uri: '/ready' }, timeout: '1s' });
    expect(vs.spec.http[1]).toMatchObject({ timeout: '5s', retries: { attempts: 0 } });
    expect(gw.dependencyFacts).toMatchObject({ replicas: 6, zones: 3 });
    expect(gw.minProtocolVersion).toBe('TLSV1_3');
  });
});

describe('EntryGateway validation', () => {
  test('every bad prop at once, exact text, tree left unchanged', () => {
    const { chart, make } = setup({
      hosts: ['API.example.com', 'api.example.com', 'api.example.com', 'localhost'],
      credentialName: '-----BEGIN PRIVATE KEY-----',
      healthPath: 'healthz',
      ingressNamespace: 'Istio_Ingress',
      selector: { istio: '' },
      replicas: 0,
      healthCheckHost: 'not a host',
    });
    const e = errorOf(make);
    expect(e.message).toBe([
      "EntryGateway 'test/entry': 9 problems:",
      ' - ingressNamespace ("Istio_Ingress") is not a namespace name; use a DNS label, e.g. "istio-ingress"',
      ' - hosts[0] ("API.example.com") is not a DNS name; use a lowercase fully qualified name, e.g. "api.example.com" or "*.api.example.com"',
      ' - hosts[2] ("api.example.com") is listed twice; list each host once',
      ' - hosts[3] ("localhost") is not a DNS name; use a lowercase fully qualified name, e.g. "api.example.com" or "*.api.example.com"',
      ' - credentialName ("-----BEGIN PRIVATE KEY-----") is not a Secret name; give the name of a kubernetes.io/tls Secret in Istio_Ingress, e.g. "api-example-com-tls" (never a key)',
      ' - healthPath ("healthz") is not an absolute path other than "/"; use e.g. "/healthz/ready"',
      ' - healthCheckHost ("not a host") is not "*" or a DNS name; use "*" (the NLB host name is not known at synth time), a DNS name, or false',
      ' - selector.istio ("") is not a non-empty label value (at most 63 letters, digits, "-", "_" or ".", beginning and ending with a letter or digit); '
        + 'use the ingress gateway pods\' label value, e.g. "ingressgateway"',
      ' - replicas (0) is not a positive whole number; use one per zone, e.g. 3',
    ].join('\n'));
    expect(chart.node.tryFindChild('entry')).toBeUndefined();
  });

  test('the service must be an HTTP entry point with an HTTP readiness probe on its serving port', () => {
    const { make } = setup({}, { entryPoint: false, probes: { readiness: Probe.http('/ready', { port: 9901 }) } });
    expect(errorOf(make).message).toBe([
      "EntryGateway 'test/entry': 2 problems:",
      ' - service ("test/api-gateway") is not an entry point; create the service with entryPoint: true',
      ' - service ("test/api-gateway") has no HTTP readiness probe on its serving port, so the health path has nothing to reach through the Service; '
        + 'give the service an HTTP readiness probe on its "http" port',
    ].join('\n'));
  });

  test('a TCP service is refused', () => {
    const { make } = setup({}, { protocol: ServiceProtocol.TCP, port: 6432 });
    expect(errorOf(make).message).toContain(' - service ("test/api-gateway") speaks tcp, not HTTP; route an HTTP service through the gateway');
  });

  test('empty hosts, a host equal to healthCheckHost, an over-long name', () => {
    const { make } = setup({ hosts: [], name: 'a'.repeat(57) });
    expect(errorOf(make).message).toContain(' - hosts ([]) is empty; give the public host names, e.g. ["api.example.com"]');
    expect(errorOf(make).message).toContain(`name ("${'a'.repeat(57)}") is not a DNS label of at most 56 characters`);
    const s2 = setup({ healthCheckHost: 'api.example.com' });
    expect(errorOf(s2.make).message).toContain(' - healthCheckHost ("api.example.com") is already one of hosts; use "*" or false');
  });
});
