/** The ResilientService props resolver, tested alone: pure, every problem at once, no throw. */
import { Duration } from 'cdk8s';
import { IN_REGION, NOWHERE, region } from './contexts';
import { Criticality } from '../../../lib/core/criticality';
import { Probe, ServiceProtocol } from '../../../lib/k8s';
import { resolveResilientServiceProps } from '../../../lib/k8s/private/resilient-service-props';

const BASE = { image: 'registry.example.com/order-service:1.4.2', tier: Criticality.CRITICAL, namespace: 'orders' };

describe('resolveResilientServiceProps', () => {
  test('HTTP defaults: the tier\'s replicas over the context\'s zones, the host under its cluster domain', () => {
    const r = resolveResilientServiceProps('order-service', BASE, { ...IN_REGION, clusterDomain: 'example.internal' });
    expect(r.problems).toBeUndefined();
    const s = r.settings!;
    expect(s).toMatchObject({
      name: 'order-service',
      team: 'orders',
      zones: region.zones,
      minReplicas: 3,
      maxReplicas: 30,
      autoscaled: true,
      autoscaling: { cpuUtilization: 70, memoryUtilization: 80, podMetrics: [] },
      host: 'order-service.orders.svc.example.internal',
      portName: 'http',
      appProtocol: 'http',
      port: 8080,
      servicePort: 80,
      metricsPort: 9090,
      priorityClassName: 'nines-critical',
      disruption: { maxUnavailable: 1 },
      maxSurge: 2,
      revisionHistoryLimit: 5,
      tmpSize: '64Mi',
      sameTcpProbes: false,
      entryPoint: false,
    });
    expect(s.retries).toEqual({ attempts: 2, perTryTimeout: Duration.seconds(3), retryOn: 'connect-failure,refused-stream,unavailable,cancelled' });
    expect(s.probes.liveness.check).toEqual({ kind: 'http', path: '/health/live', port: 'http' });
  });

  test('TCP defaults: the container port as the service port, one TCP connect for liveness and readiness, no retries', () => {
    const r = resolveResilientServiceProps('pooler', { ...BASE, protocol: ServiceProtocol.TCP, port: 6432, appProtocol: 'postgresql' }, IN_REGION);
    expect(r.settings).toMatchObject({
      portName: 'tcp',
      appProtocol: 'postgresql',
      servicePort: 6432,
      sameTcpProbes: true,
      retries: undefined,
      connectionPool: { tcp: { maxConnections: 100, connectTimeout: '5s' } },
      outlierDetection: { consecutive5xxErrors: 0, consecutiveGatewayErrors: 5 },
    });
  });

  test('every problem, in prop order, and no settings', () => {
    const r = resolveResilientServiceProps('Order', {
      ...BASE,
      replicas: 3,
      probes: { liveness: Probe.http('/health'), readiness: Probe.http('/health') },
      rollout: { maxSurge: 0 },
      traffic: { timeout: Duration.seconds(2) },
      env: { '1BAD': 'x' },
      tmpSize: '64MB',
    }, NOWHERE);
    expect(r.settings).toBeUndefined();
    expect(r.problems!.map(p => `${p.prop} (${JSON.stringify(p.value)})`)).toEqual([
      'name ("Order")', 'zones (undefined)', 'replicas (3)', 'probes.liveness ("/health")', 'rollout.maxSurge (0)', 'traffic.retries ("2 x 3s")',
      'env.1BAD ("1BAD")', 'tmpSize ("64MB")',
    ]);
  });
});
