import { Duration } from 'cdk8s';
import * as fc from 'fast-check';
import { errorOf, find, regionChart, synth, ownSuppressions } from './helpers';
import { Checks, Criticality, Probe, ResilientService, ServiceProtocol, ValidationError } from '../../lib';
import { expectValidManifests } from '../util/schema';

const IMAGE = 'registry.example.com/platform/pgbouncer:1.22.1';

function tcpService(props: Partial<ConstructorParameters<typeof ResilientService>[2]> = {}) {
  const { app, chart } = regionChart();
  const svc = new ResilientService(chart, 'pooler', {
    image: IMAGE, tier: Criticality.HIGH, namespace: 'orders', protocol: ServiceProtocol.TCP, port: 6432, metrics: false, ...props,
  });
  return { app, chart, svc };
}

describe('ResilientService with protocol TCP', () => {
  const { chart, svc } = tcpService();
  const caller = new ResilientService(chart, 'order-service', { image: 'registry.example.com/shop/order-service:1.2.3', tier: Criticality.CRITICAL, namespace: 'orders' });
  caller.dependOn(svc);
  const objs = synth(chart);
  const deploy = find(objs, 'Deployment', 'pooler');
  const c = deploy.spec.template.spec.containers[0];

  test('every object is schema-valid and the checks have zero findings (WL-04 suppressed with its reason)', () => {
    expectValidManifests(objs);
    const report = Checks.of(chart).lastReport!;
    expect(report.findings).toEqual([]);
    const wl04 = ownSuppressions(report).filter(s => s.ruleId === 'NINES-WL-04');
    expect(wl04).toHaveLength(1);
    expect(wl04[0].reason).toMatch(/^a TCP service checks its serving port for liveness and readiness: a TCP connect is answered by the listening process alone/);
  });

  test('fields: protocol, port name, appProtocol, service port = container port, no metrics, no retries', () => {
    expect(svc.protocol).toBe(ServiceProtocol.TCP);
    expect(svc.portName).toBe('tcp');
    expect(svc.appProtocol).toBe('tcp');
    expect(svc.port).toBe(6432);
    expect(svc.servicePort).toBe(6432);
    expect(svc.metrics).toBe(false);
    expect(svc.retries).toBeUndefined();
    expect(svc.serviceMonitor).toBeUndefined();
    expect(objs.filter(o => o.kind === 'ServiceMonitor' && o.metadata.name === 'pooler')).toEqual([]);
  });

  test('Service: one port named tcp, appProtocol tcp, targeting the container port', () => {
    expect(find(objs, 'Service', 'pooler').spec.ports).toEqual([{ name: 'tcp', port: 6432, targetPort: 'tcp', protocol: 'TCP', appProtocol: 'tcp' }]);
    expect(c.ports).toEqual([{ name: 'tcp', containerPort: 6432, protocol: 'TCP' }]);
  });

  test('probes: TCP connects on the tcp port with the case study timings; liveness and readiness differ in timings', () => {
    expect(c.startupProbe).toEqual({ tcpSocket: { port: 'tcp' }, initialDelaySeconds: 0, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 30, successThreshold: 1 });
    expect(c.livenessProbe).toEqual({ tcpSocket: { port: 'tcp' }, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1 });
    expect(c.readinessProbe).toEqual({ tcpSocket: { port: 'tcp' }, initialDelaySeconds: 10, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2, successThreshold: 1 });
    expect(svc.probes.liveness.check).toEqual({ kind: 'tcp', port: 'tcp' });
  });

  test('VirtualService: one tcp route to the service port, no http route, no timeout or retries', () => {
    const vs = find(objs, 'VirtualService', 'pooler');
    expect(vs.spec).toEqual({
      hosts: ['pooler.orders.svc.cluster.local'],
      tcp: [{ match: [{ port: 6432 }], route: [{ destination: { host: 'pooler.orders.svc.cluster.local', port: { number: 6432 } } }] }],
    });
  });

  test('DestinationRule: TCP pool limits only, ejection on connect failures (gateway errors), 5xx off, mTLS', () => {
    const dr = find(objs, 'DestinationRule', 'pooler');
    expect(dr.spec.trafficPolicy).toEqual({
      connectionPool: { tcp: { maxConnections: 100, connectTimeout: '5s' } },
      outlierDetection: { consecutive5xxErrors: 0, consecutiveGatewayErrors: 5, interval: '30s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
      tls: { mode: 'ISTIO_MUTUAL' },
    });
    expect(svc.connectionPool).toEqual(dr.spec.trafficPolicy.connectionPool);
    expect(svc.outlierDetection).toEqual(dr.spec.trafficPolicy.outlierDetection);
  });

  test('NetworkPolicy: same shape, callers admitted on the tcp port, no monitoring ingress without metrics', () => {
    const np = find(objs, 'NetworkPolicy', 'pooler');
    const fromCaller = np.spec.ingress.find((r: any) => r.from.some((f: any) => f.podSelector?.matchLabels?.['app.kubernetes.io/instance'] === 'order-service-orders'));
    expect(fromCaller.ports).toEqual([{ port: 'tcp', protocol: 'TCP' }]);
    expect(JSON.stringify(np.spec.ingress)).not.toContain('metrics');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const callerNp = find(objs, 'NetworkPolicy', 'order-service');
    expect(JSON.stringify(callerNp.spec.egress)).toContain('"port":6432');
  });

  test('zone spread and tier replicas like any ResilientService', () => {
    expect(svc.minReplicas).toBe(3);
    expect(deploy.spec.template.spec.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1 });
  });
});

describe('ResilientService TCP options', () => {
  test('a given appProtocol, servicePort and metrics; command, args and files', () => {
    const { chart, svc } = tcpService({
      appProtocol: 'postgresql',
      servicePort: 5432,
      metrics: true,
      command: ['pgbouncer'],
      args: ['/etc/pgbouncer/pgbouncer.ini'],
      files: [{ mountPath: '/etc/pgbouncer', configMap: 'pooler-config' }, { mountPath: '/etc/pgbouncer-auth', secret: 'pooler-auth' }],
    });
    const objs = synth(chart);
    expectValidManifests(objs);
    expect(Checks.of(chart).lastReport!.findings).toEqual([]);
    expect(svc.appProtocol).toBe('postgresql');
    expect(find(objs, 'Service').spec.ports).toEqual([
      { name: 'tcp', port: 5432, targetPort: 'tcp', protocol: 'TCP', appProtocol: 'postgresql' },
      { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP', appProtocol: 'http' },
    ]);
    expect(find(objs, 'VirtualService').spec.tcp[0].match).toEqual([{ port: 5432 }]);
    const pod = find(objs, 'Deployment').spec.template.spec;
    expect(pod.containers[0].command).toEqual(['pgbouncer']);
    expect(pod.containers[0].args).toEqual(['/etc/pgbouncer/pgbouncer.ini']);
    expect(pod.containers[0].volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'files-0', mountPath: '/etc/pgbouncer', readOnly: true },
      { name: 'files-1', mountPath: '/etc/pgbouncer-auth', readOnly: true },
    ]);
    expect(pod.volumes.slice(1)).toEqual([
      { name: 'files-0', configMap: { name: 'pooler-config', defaultMode: 0o440 } },
      { name: 'files-1', secret: { secretName: 'pooler-auth', defaultMode: 0o440 } },
    ]);
    expect(find(objs, 'ServiceMonitor').spec.endpoints[0].port).toBe('metrics');
  });

  test('shutdown.afterDrain runs after the drain sleep in the preStop; a multi-line command is refused', () => {
    const { chart, svc } = tcpService({ shutdown: { afterDrain: 'kill -INT 1' } });
    expect(svc.afterDrain).toBe('kill -INT 1');
    const c = find(synth(chart), 'Deployment').spec.template.spec.containers[0];
    expect(c.lifecycle).toEqual({ preStop: { exec: { command: ['/bin/sh', '-c', 'sleep 15; kill -INT 1'] } } });
    const { chart: other } = regionChart();
    const e = errorOf(() => new ResilientService(other, 'x', { image: IMAGE, tier: Criticality.HIGH, namespace: 'orders', shutdown: { afterDrain: 'a\nb' } }));
    expect(e.message).toContain('shutdown.afterDrain ("a\\nb") must be a one-line shell command; use e.g. "kill -INT 1; while kill -0 1; do sleep 1; done"');
  });

  test('distinct TCP probes need no suppression', () => {
    const { chart } = tcpService({ metrics: true, probes: { liveness: Probe.tcp('metrics'), readiness: Probe.tcp('tcp') } });
    synth(chart);
    const report = Checks.of(chart).lastReport!;
    expect(report.findings).toEqual([]);
    expect(ownSuppressions(report).filter(s => s.ruleId === 'NINES-WL-04')).toEqual([]);
  });

  test('the HTTP default is unchanged: no suppression, port http, http route', () => {
    const { chart } = regionChart();
    const svc = new ResilientService(chart, 'web', { image: IMAGE, tier: Criticality.HIGH, namespace: 'web' });
    const objs = synth(chart);
    expect(svc.protocol).toBe(ServiceProtocol.HTTP);
    expect(svc.portName).toBe('http');
    expect(find(objs, 'VirtualService').spec.http).toHaveLength(1);
    expect(find(objs, 'VirtualService').spec.tcp).toBeUndefined();
    expect(ownSuppressions(Checks.of(chart).lastReport)).toEqual([]);
  });
});

describe('ResilientService TCP validation', () => {
  test('HTTP-only props are errors naming the prop, all at once, and the tree is left as it was', () => {
    const { chart } = regionChart();
    const e = errorOf(() => new ResilientService(chart, 'pooler', {
      image: IMAGE,
      tier: Criticality.HIGH,
      namespace: 'orders',
      protocol: ServiceProtocol.TCP,
      port: 6432,
      traffic: {
        timeout: Duration.seconds(5),
        retries: { attempts: 2, perTryTimeout: Duration.seconds(1) },
        connectionPool: { http: { http1MaxPendingRequests: 10 } },
      },
    }));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe([
      "ResilientService 'test/pooler': 3 problems:",
      ' - traffic.timeout ("5s") is HTTP-only: a TCP route has no requests to time out or retry (a stream cannot be replayed); remove it; bound connection setup with traffic.connectionPool.tcp.connectTimeout',
      ' - traffic.retries (2) is HTTP-only: a TCP route has no requests to time out or retry (a stream cannot be replayed); remove it; clients of a TCP service retry at their own protocol level',
      ' - traffic.connectionPool.http ({"http1MaxPendingRequests":10}) is HTTP-only: the limits of a TCP service are in connectionPool.tcp; move the limits to connectionPool.tcp (maxConnections, connectTimeout)',
    ].join('\n'));
    expect(chart.node.tryFindChild('pooler')).toBeUndefined();
  });

  test('retries: false is accepted with TCP (it says the same thing)', () => {
    const { svc } = tcpService({ traffic: { retries: false } });
    expect(svc.retries).toBeUndefined();
  });

  test.each([
    ['the default HTTP probe port', { probes: { readiness: Probe.http('/ready') } }, 'probes.readiness.port ("http") names a port the container does not have (it has "tcp"); use Probe.tcp(\'tcp\'), or a port number'],
    ['appProtocol with HTTP', { protocol: ServiceProtocol.HTTP, port: 8080, appProtocol: 'postgresql' }, 'appProtocol ("postgresql") is only for a TCP service (an HTTP service always uses appProtocol http); remove it, or set protocol: ServiceProtocol.TCP'],
    ['a bad appProtocol', { appProtocol: 'Postgre SQL' }, 'appProtocol ("Postgre SQL") is not an application protocol name; use an IANA service name such as "postgresql", or "tcp"'],
    ['an unknown protocol', { protocol: 'udp' as any }, 'protocol ("udp") is not a service protocol; use ServiceProtocol.HTTP or ServiceProtocol.TCP'],
    ['a file mount with two sources', { files: [{ mountPath: '/etc/x', configMap: 'a', secret: 'b' }] }, 'files[0] ({"mountPath":"/etc/x","configMap":"a","secret":"b"}) must name exactly one of configMap and secret; give configMap or secret'],
    ['a file mount on /tmp', { files: [{ mountPath: '/tmp', configMap: 'a' }] }, 'files[0].mountPath ("/tmp") must be an absolute path, distinct from /tmp and the other mounts; use e.g. "/etc/<name>"'],
  ])('%s', (_name, props, line) => {
    const { chart } = regionChart();
    const e = errorOf(() => new ResilientService(chart, 'pooler', {
      image: IMAGE, tier: Criticality.HIGH, namespace: 'orders', protocol: ServiceProtocol.TCP, port: 6432, metrics: false, ...props as any,
    }));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message.split('\n').slice(1)).toContain(` - ${line}`);
  });

  test('property: any TCP port and tier synthesize schema-valid objects with zero findings', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1024, max: 65535 }).filter(p => p !== 9090),
      fc.constantFrom(Criticality.CRITICAL, Criticality.HIGH, Criticality.MEDIUM),
      fc.boolean(),
      (port, tier, metrics) => {
        const { chart, svc } = tcpService({ port, tier, metrics });
        const objs = synth(chart);
        expectValidManifests(objs);
        expect(Checks.of(chart).lastReport!.findings).toEqual([]);
        expect(find(objs, 'Service').spec.ports[0]).toEqual({ name: 'tcp', port, targetPort: 'tcp', protocol: 'TCP', appProtocol: 'tcp' });
        expect(svc.servicePort).toBe(port);
      }), { numRuns: 15 });
  });
});
