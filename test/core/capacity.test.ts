import { formatHeadroom, headroom, ISTIO_PROXY_REQUESTS, M6I_XLARGE, nodesPerZoneFor, workloadRequests } from '../../lib/core/capacity';
import { Platform } from '../../lib/core/platform';
import { PRODUCTION } from '../../stacks/platform';
import { regionObjects } from '../../stacks/pulumi/kubernetes-objects';
import { buildPlatformStack, describePlatform } from '../../stacks/pulumi/stack';
import { installMocks } from '../aws/mocks';

const mocks = installMocks();
const GiB = 2 ** 30;
const deployment = (ns: string, name: string, replicas: number, cpu: string, memory: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns },
  spec: { replicas, template: { metadata: { annotations }, spec: { containers: [{ name: 'app', resources: { requests: { cpu, memory } } }] } } },
});

describe('requests, sidecars included', () => {
  test('an istio-proxy per pod of a meshed namespace (100m / 128Mi, Istio\'s defaults), none when the pod opts out; the HPA floor counts', () => {
    const objects = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'orders', labels: { 'istio-injection': 'enabled' } } },
      deployment('orders', 'order-service', 2, '500m', '256Mi'),
      deployment('orders', 'batch', 1, '1', '1Gi', { 'sidecar.istio.io/inject': 'false' }),
      deployment('plain', 'web', 2, '250m', '128Mi'),
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'order-service', namespace: 'orders' },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'order-service' }, minReplicas: 3, maxReplicas: 9 },
      },
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once', namespace: 'orders' }, spec: { template: { spec: { containers: [{ resources: { requests: { cpu: '4' } } }] } } } },
    ];
    const w = workloadRequests(objects);
    expect(w.map(x => [x.workload, x.replicas, +x.cpu.toFixed(3), x.memoryBytes / 2 ** 20, +x.sidecar.cpu.toFixed(3)])).toEqual([
      ['Deployment/orders/order-service', 3, 1.8, 3 * (256 + 128), 0.3],
      ['Deployment/orders/batch', 1, 1, 1024, 0],
      ['Deployment/plain/web', 2, 0.5, 256, 0],
    ]);
    expect(ISTIO_PROXY_REQUESTS).toEqual({ cpu: 0.1, memoryBytes: 128 * 2 ** 20 });
  });

  test('headroom and sizing arithmetic', () => {
    const w = workloadRequests([deployment('a', 'x', 10, '2', '1Gi')]);
    const h = headroom(w, M6I_XLARGE, 3, 2);
    expect(h.requested).toEqual({ cpu: 20, memoryBytes: 10 * GiB });
    expect(+h.allocatableOneZoneLost.cpu.toFixed(2)).toBe(15.68);
    expect(+h.headroomOneZoneLost.cpu.toFixed(2)).toBe(-4.32);
    // 20 vCPU over 2 surviving zones at <= 80% of 3.92 vCPU per node: 20 / (2 x 3.136) = 3.19 -> 4 per zone.
    expect(nodesPerZoneFor(w, M6I_XLARGE, 3)).toBe(4);
  });
});

describe('the reference platform (per region)', () => {
  const platform = Platform.fromDescription(PRODUCTION);
  const requests = regionObjects(platform, 'us-east-1').requests;

  test('pods request about 40 vCPU (sidecars included): the old 2 nodes per zone leave a deficit with one zone lost; the sizing leaves headroom', () => {
    const today = headroom(requests, M6I_XLARGE, 3, 2);
    expect(today.requested.cpu).toBeGreaterThan(38);
    expect(today.requested.cpu).toBeLessThan(44);
    expect(today.sidecars.cpu).toBeGreaterThan(4);
    expect(+today.allocatable.cpu.toFixed(1)).toBe(23.5);
    expect(today.headroomOneZoneLost.cpu).toBeLessThan(-20);
    const n = nodesPerZoneFor(requests, M6I_XLARGE, 3);
    const sized = headroom(requests, M6I_XLARGE, 3, n);
    expect(sized.headroomOneZoneLost.cpu).toBeGreaterThan(0);
    expect(sized.headroomOneZoneLost.memoryBytes).toBeGreaterThan(0);
    expect(sized.requested.cpu).toBeLessThanOrEqual(0.8 * sized.allocatableOneZoneLost.cpu);
    expect(formatHeadroom(sized)).toMatch(/^requested \d+\.\d vCPU \/ \d+\.\d GiB \(sidecars .*\); allocatable .*; one zone lost: .* headroom \d+\.\d vCPU/);
  });

  test('a node floor that would not survive a zone loss is refused before any resource is registered', () => {
    mocks.reset();
    const deploy = {
      publicAccessCidrs: ['198.18.7.0/28'],
      hostedZoneId: 'Z04538211PDQ8TJ0UQ4A5',
      recordName: 'api.shop.dev',
      accountId: '210987654321',
      dashboardBaseUrl: 'https://grafana.shop.dev/d/shop',
      externalEndpoints: { 'identity-provider': ['login.idp.shop.dev'], 'payment-provider': ['api.payments.shop.dev'] },
    };
    const staging = Platform.fromDescription(describePlatform('staging', ['us-east-1'], {
      runbookBaseUrl: 'https://runbooks.shop.dev/shop',
      logStores: { 'us-east-1': 'vpc-logs.us-east-1.es.amazonaws.com:443' },
      traceBackends: { 'us-east-1': 'tempo.shop.dev:4317' },
    }));
    expect(() => buildPlatformStack(staging, { ...deploy, nodesPerZone: { min: 2, desired: 2, max: 6 } }))
      .toThrow(/^PulumiStack 'staging': 1 problem:\n - nodesPerZone\.min \(2\) leaves us-east-1 without room after a zone loss \(requested .* headroom -\d+\.\d vCPU .*\); use at least \d+ m6i\.xlarge per zone, or leave nodesPerZone unset to size it from the requests$/);
    expect(mocks.resources).toEqual([]);
  }, 120_000);
});
