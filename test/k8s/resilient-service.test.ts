import { Chart, Duration, Testing } from 'cdk8s';
import { errorOf, find, regionChart, synth } from './helpers';
import { Bulkhead, Checks, Criticality, ExternalEndpoint, Probe, ResilientService, ValidationError } from '../../lib';
import { expectValidManifests } from '../util/schema';

const IMAGE = 'registry.example.com/shop/order-service:1.2.3';

function orderService(props: Partial<ConstructorParameters<typeof ResilientService>[2]> = {}) {
  const { app, chart } = regionChart();
  const svc = new ResilientService(chart, 'order-service', { image: IMAGE, tier: Criticality.CRITICAL, namespace: 'orders', ...props });
  return { app, chart, svc };
}

describe('ResilientService defaults (the case study, sections 2.1-2.2 and 4.1)', () => {
  const { chart, svc } = orderService();
  const objs = synth(chart);
  const deploy = find(objs, 'Deployment');
  const pod = deploy.spec.template.spec;
  const c = pod.containers[0];

  test('produces exactly the expected objects, all schema-valid with no unknown keys', () => {
    expect(objs.map(o => o.kind).sort()).toEqual([
      'Deployment', 'DestinationRule', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'PodDisruptionBudget',
      'Service', 'ServiceAccount', 'ServiceMonitor', 'Sidecar', 'VirtualService',
    ]);
    expectValidManifests(objs);
  });

  test('the checks pass with zero findings', () => {
    const report = Checks.of(chart).lastReport!;
    expect(report.objects).toBe(10);
    expect(report.findings).toEqual([]);
  });

  test('tier critical: 3 replicas minimum, owned by the HPA, PriorityClass nines-critical', () => {
    expect(svc.minReplicas).toBe(3);
    expect(svc.maxReplicas).toBe(30);
    expect(deploy.spec.replicas).toBeUndefined();
    expect(pod.priorityClassName).toBe('nines-critical');
    expect(svc.priorityClassName).toBe('nines-critical');
  });

  test('zone spread: maxSkew 1 DoNotSchedule on zones, ScheduleAnyway on hosts', () => {
    expect(svc.zones).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    const [zone, host] = pod.topologySpreadConstraints;
    expect(zone).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule', nodeTaintsPolicy: 'Honor' });
    expect(host).toMatchObject({ topologyKey: 'kubernetes.io/hostname', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' });
    // the instance label only: Flagger's -primary copy keeps it (and rewrites app.kubernetes.io/name)
    expect(zone.labelSelector.matchLabels).toEqual({ 'app.kubernetes.io/instance': 'order-service-orders' });
    expect(zone.labelSelector.matchLabels).toEqual(svc.podSelector);
    expect(pod.affinity).toBeUndefined();
  });

  test('rollout: maxUnavailable 0, maxSurge 2, minReady 10 s, deadline 600 s, 5 revisions', () => {
    expect(deploy.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 0 } });
    expect(deploy.spec.minReadySeconds).toBe(10);
    expect(deploy.spec.progressDeadlineSeconds).toBe(600);
    expect(deploy.spec.revisionHistoryLimit).toBe(5);
    expect(svc.maxSurge).toBe(2);
  });

  test('probes: startup, liveness and readiness with the case study timings, liveness != readiness', () => {
    expect(c.startupProbe).toEqual({ httpGet: { path: '/health/startup', port: 'http', scheme: 'HTTP' }, initialDelaySeconds: 0, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 30, successThreshold: 1 });
    expect(c.livenessProbe).toEqual({ httpGet: { path: '/health/live', port: 'http', scheme: 'HTTP' }, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1 });
    expect(c.readinessProbe).toEqual({ httpGet: { path: '/health/ready', port: 'http', scheme: 'HTTP' }, initialDelaySeconds: 10, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2, successThreshold: 1 });
    expect(svc.probes.liveness.period.toSeconds()).toBe(10);
  });

  test('resources: requests, memory limit, CPU limit, ephemeral storage (MEDIUM preset)', () => {
    expect(c.resources).toEqual({
      requests: { 'cpu': '500m', 'memory': '512Mi', 'ephemeral-storage': '256Mi' },
      limits: { 'cpu': '1000m', 'memory': '1Gi', 'ephemeral-storage': '1Gi' },
    });
  });

  test('graceful shutdown: preStop sleep 15 s inside a 30 s grace period', () => {
    expect(c.lifecycle.preStop.exec.command).toEqual(['/bin/sh', '-c', 'sleep 15']);
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(svc.drain.toSeconds()).toBe(15);
    expect(svc.gracePeriod.toSeconds()).toBe(30);
  });

  test('security: restricted profile and more', () => {
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('order-service');
    expect(find(objs, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }]);
    expect(c.image).toBe(IMAGE);
  });

  test('PDB: maxUnavailable 1 with AlwaysAllow for unhealthy pods', () => {
    const pdb = find(objs, 'PodDisruptionBudget');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/instance': 'order-service-orders' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(svc.podSelector).toEqual({ 'app.kubernetes.io/instance': 'order-service-orders' });
  });

  test('HPA: CPU 70%, memory 80%, the case study behaviour', () => {
    const hpa = find(objs, 'HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'order-service' });
    expect(hpa.spec.minReplicas).toBe(3);
    expect(hpa.spec.maxReplicas).toBe(30);
    expect(hpa.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
    ]);
    expect(hpa.spec.behavior.scaleUp).toEqual({ stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }] });
    expect(hpa.spec.behavior.scaleDown).toEqual({ stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] });
  });

  test('Service: named ports http and metrics, selector = pod labels', () => {
    const s = find(objs, 'Service');
    expect(s.spec.selector).toEqual(deploy.spec.selector.matchLabels);
    expect(s.spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
      { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP', appProtocol: 'http' },
    ]);
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'metrics', containerPort: 9090, protocol: 'TCP' }]);
  });

  test('labels: app.kubernetes.io/*, team and tier on every object', () => {
    for (const o of objs) {
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'order-service',
        'app.kubernetes.io/managed-by': 'nines',
        'app.kubernetes.io/version': '1.2.3',
        'nines.dev/team': 'orders',
        'nines.dev/tier': 'critical',
      });
    }
  });

  test('Istio: circuit breaker, timeout, retries within the timeout', () => {
    const dr = find(objs, 'DestinationRule');
    expect(dr.spec.host).toBe('order-service.orders.svc.cluster.local');
    expect(dr.spec.trafficPolicy.outlierDetection).toEqual({ consecutive5xxErrors: 5, interval: '30s', baseEjectionTime: '30s', maxEjectionPercent: 50 });
    expect(dr.spec.trafficPolicy.connectionPool).toEqual({
      tcp: { maxConnections: 100 },
      http: { http1MaxPendingRequests: 50, http2MaxRequests: 100, maxRequestsPerConnection: 2 },
    });
    const vs = find(objs, 'VirtualService');
    expect(vs.spec.http[0].timeout).toBe('10s');
    expect(vs.spec.http[0].retries).toEqual({ attempts: 2, perTryTimeout: '3s', retryOn: 'connect-failure,refused-stream,unavailable,cancelled' });
  });

  test('ServiceMonitor scrapes the metrics port every 15 s', () => {
    const sm = find(objs, 'ServiceMonitor');
    expect(sm.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '10s' }]);
    // the instance label: also the -canary Service Flagger makes (it relabels app.kubernetes.io/name)
    expect(sm.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/instance': 'order-service-orders' });
    expect(sm.spec.namespaceSelector).toEqual({ matchNames: ['orders'] });
  });

  test('ServiceMonitor of a service in a meshed Bulkhead (STRICT mTLS) scrapes over Istio mutual TLS with Prometheus\'s sidecar certificate', () => {
    const meshed = regionChart().chart;
    new Bulkhead(meshed, 'orders');
    new Bulkhead(meshed, 'legacy', { mesh: false });
    new ResilientService(meshed, 'order-service', { image: IMAGE, tier: Criticality.CRITICAL, namespace: 'orders' });
    new ResilientService(meshed, 'legacy-service', { image: 'registry.example.com/shop/legacy:1.0.0', tier: Criticality.CRITICAL, namespace: 'legacy' });
    const monitors = synth(meshed).filter(o => o.kind === 'ServiceMonitor');
    expect(monitors.find(m => m.metadata.namespace === 'orders').spec.endpoints).toEqual([{
      port: 'metrics',
      path: '/metrics',
      interval: '15s',
      scrapeTimeout: '10s',
      scheme: 'https',
      tlsConfig: { caFile: '/etc/prom-certs/root-cert.pem', certFile: '/etc/prom-certs/cert-chain.pem', keyFile: '/etc/prom-certs/key.pem', insecureSkipVerify: true },
    }]);
    expect(monitors.find(m => m.metadata.namespace === 'legacy').spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '10s' }]);
    expectValidManifests(monitors);
  });

  test('NetworkPolicy without dependencies: default deny, DNS, istiod and monitoring only', () => {
    const np = find(objs, 'NetworkPolicy');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      ports: [{ port: 'metrics', protocol: 'TCP' }],
    }]);
    expect(np.spec.egress).toHaveLength(2);
    expect(np.spec.egress[0].ports).toEqual([{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }]);
    expect(np.spec.egress[1].ports).toEqual([{ port: 15012, protocol: 'TCP' }]);
  });
});

describe('ResilientService options', () => {
  test('10 replicas on 3 zones: fixed replicas, spread by constraints (no one-per-zone anti-affinity)', () => {
    const { chart } = orderService({ autoscaling: false, replicas: 10 });
    const objs = synth(chart);
    const d = find(objs, 'Deployment');
    expect(d.spec.replicas).toBe(10);
    expect(objs.some(o => o.kind === 'HorizontalPodAutoscaler')).toBe(false);
    expect(d.spec.template.spec.affinity).toBeUndefined();
    expect(Checks.of(chart).lastReport!.findings).toEqual([]);
  });

  test('CPU limit removable; custom probes, drain and grace', () => {
    const { chart } = orderService({
      resources: { cpu: { request: '250m', limit: false } },
      probes: { startup: false, liveness: Probe.http('/livez', { period: Duration.seconds(20), failureThreshold: 2 }), readiness: Probe.tcp('http') },
      shutdown: { drain: Duration.seconds(5), gracePeriod: Duration.seconds(20) },
    });
    const c = find(synth(chart), 'Deployment').spec.template.spec.containers[0];
    expect(c.resources.limits.cpu).toBeUndefined();
    expect(c.resources.requests.cpu).toBe('250m');
    expect(c.startupProbe).toBeUndefined();
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/livez' }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 2 });
    expect(c.readinessProbe).toMatchObject({ tcpSocket: { port: 'http' }, periodSeconds: 5 });
    expect(c.lifecycle.preStop.exec.command[2]).toBe('sleep 5');
  });

  test('low tier: 2 replicas, 5 max, PriorityClass nines-low', () => {
    const { chart } = regionChart();
    const svc = new ResilientService(chart, 'recs', { image: 'r/recs:0.1.0', tier: Criticality.LOW, namespace: 'recs' });
    const objs = synth(chart);
    expect(svc.minReplicas).toBe(2);
    expect(find(objs, 'HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 2, maxReplicas: 5 });
    expect(find(objs, 'Deployment').spec.template.spec.priorityClassName).toBe('nines-low');
  });

  test('digest-pinned images are accepted', () => {
    const digest = 'registry.example.com/x@sha256:' + 'a'.repeat(64);
    const { svc } = orderService({ image: digest });
    expect(svc.image).toBe(digest);
  });
});

describe('dependencies drive NetworkPolicy, the mesh and the graph', () => {
  function graph() {
    const { chart } = regionChart();
    const payment = new ResilientService(chart, 'payment-service', { image: 'r/payment:5.0.2', tier: Criticality.CRITICAL, namespace: 'payments' });
    const provider = new ExternalEndpoint(chart, 'payment-provider', { hosts: ['api.payment-provider.example.com'], namespace: 'egress' });
    const order = new ResilientService(chart, 'order-service', { image: IMAGE, tier: Criticality.CRITICAL, namespace: 'orders', dependencies: [payment] });
    payment.dependOn(provider);
    return { chart, payment, order, provider };
  }

  test('caller gets egress to the callee pods; callee admits the caller', () => {
    const { chart } = graph();
    const objs = synth(chart);
    const orderNp = find(objs, 'NetworkPolicy', 'order-service');
    expect(orderNp.spec.egress).toContainEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'payments' } }, podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'payment-service-payments' } } }],
      ports: [{ port: 8080, protocol: 'TCP' }],
    });
    const paymentNp = find(objs, 'NetworkPolicy', 'payment-service');
    expect(paymentNp.spec.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'orders' } }, podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'order-service-orders' } } }],
      ports: [{ port: 'http', protocol: 'TCP' }],
    });
    expect(paymentNp.spec.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10'] } }],
      ports: [{ port: 443, protocol: 'TCP' }],
    });
    const sidecar = find(objs, 'Sidecar', 'payment-service');
    expect(sidecar.spec.egress[0].hosts).toEqual(['egress/api.payment-provider.example.com', 'istio-system/*']);
    expect(sidecar.spec.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
    expect(find(objs, 'ServiceEntry').spec).toMatchObject({ hosts: ['api.payment-provider.example.com'], location: 'MESH_EXTERNAL', resolution: 'DNS' });
    expectValidManifests(objs);
    expect(Checks.of(chart).lastReport!.findings).toEqual([]);
  });

  test('a dependency cycle is an error naming the loop', () => {
    const { payment, order } = graph();
    const err = errorOf(() => payment.dependOn(order));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe(
      "Dependency 'test/payment-service': 1 problem:\n"
      + ' - dependOn ("orders/order-service") closes a dependency cycle payments/payment-service -> orders/order-service -> payments/payment-service, where one failure feeds back into itself; break the cycle: make one side asynchronous (a queue) or remove the call');
  });
});

describe('bad input: one error listing every problem, before anything is written', () => {
  test('many problems at once, each with the path, prop, value and fix', () => {
    const { chart } = regionChart();
    const err = errorOf(() => new ResilientService(chart, 'order-service', {
      image: 'order-service:latest',
      tier: Criticality.CRITICAL,
      namespace: 'orders',
      autoscaling: false,
      replicas: 2,
      port: 9090,
      probes: { readiness: Probe.http('/health/ready', { period: Duration.seconds(1) }) },
      shutdown: { drain: Duration.seconds(30), gracePeriod: Duration.seconds(30) },
      resources: { cpu: { request: '2', limit: '1' }, memory: { request: '1 GB' } },
    }));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe([
      "ResilientService 'test/order-service': 8 problems:",
      ' - image ("order-service:latest") uses the mutable "latest" tag, so a restart can run different code; pin an immutable tag (e.g. "order-service:1.4.2") or a digest',
      " - replicas (2) must be >= zones (3) for tier 'critical', so every zone keeps a replica; raise it to 3 or lower the tier",
      ' - metricsPort (9090) duplicates port (9090); serve metrics on their own port, e.g. 9090',
      ' - probes.readiness.period ("1s") is shorter than 5 s, a probe storm that restarts pods on a single slow response; use a period of 5-10 s',
      ' - probes.readiness.timeout ("3s") must be at least 1 s and shorter than the period (1s); use a timeout shorter than the period, e.g. period 10 s and timeout 5 s',
      ' - resources.cpu.request ("2") is greater than the limit ("1"), which Kubernetes rejects; lower the request to at most 1 or raise the limit',
      ' - resources.memory.request ("1 GB") is not a positive Kubernetes quantity; use a Kubernetes byte quantity with a binary suffix such as "512Mi" or "2Gi" (no space, not "GB")',
      ' - shutdown.drain ("30s") must be shorter than the grace period (30s), or in-flight requests are killed; lower the drain or raise shutdown.gracePeriod above 30s (the case study: drain 15 s, grace 30 s)',
    ].join('\n'));
    expect(chart.node.children).toHaveLength(0);
  });

  test.each([
    ['replicas 0', { autoscaling: false as const, replicas: 0 }, 'replicas (0) must be an integer >= 2'],
    ['untagged image', { image: 'order-service' }, 'image ("order-service") has no tag'],
    ['same liveness and readiness', { probes: { liveness: Probe.http('/health'), readiness: Probe.http('/health') } }, 'probes.liveness ("/health") checks the same endpoint as readiness'],
    ['liveness failureThreshold 1', { probes: { liveness: Probe.http('/live', { failureThreshold: 1 }) } }, 'probes.liveness.failureThreshold (1) restarts a pod on a single false positive'],
    ['minAvailable = replicas', { disruption: { minAvailable: 3 } }, 'disruption.minAvailable (3) must be an integer between 1 and replicas - 1 (2)'],
    ['maxUnavailable 0', { disruption: { maxUnavailable: 0 } }, 'disruption.maxUnavailable (0) must allow at least one pod to be evicted'],
    ['retries longer than timeout', { traffic: { timeout: Duration.seconds(5), retries: { attempts: 3, perTryTimeout: Duration.seconds(2) } } }, 'traffic.retries ("3 x 2s") can take 8 s'],
    ['root uid', { identity: { user: 0 } }, 'identity.user (0) must be an integer >= 10000'],
    ['bad name', { name: 'Order_Service' }, 'name ("Order_Service") is not a DNS label'],
    ['bad env name', { env: { '1BAD': 'x' } }, 'env.1BAD ("1BAD") is not a valid environment variable name'],
    ['replicas with autoscaling', { replicas: 4 }, 'replicas (4) is set while autoscaling is on'],
    ['hpa max < min', { autoscaling: { minReplicas: 4, maxReplicas: 3 } }, 'autoscaling.maxReplicas (3) must be an integer >= minReplicas (4)'],
    ['one zone', { zones: ['us-east-1a'] }, 'zones (["us-east-1a"]) must list at least 2 distinct zones'],
  ])('%s', (_name, props, expected) => {
    const err = errorOf(() => orderService(props as any));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain(` - ${expected}`);
    expect(err.message.startsWith("ResilientService 'test/order-service': ")).toBe(true);
  });

  test('outside a RegionChart without zones: a clear error, not a TypeError', () => {
    const chart = new Chart(Testing.app(), 'plain');
    const err = errorOf(() => new ResilientService(chart, 'svc', { image: 'r/s:1.0.0', tier: Criticality.HIGH, namespace: 'ns' }));
    expect(err.message).toContain('zones (undefined) are unknown: the service is not inside a RegionChart and no zones were given');
  });
});
