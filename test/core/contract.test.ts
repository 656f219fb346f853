import { ApiObject, Testing } from 'cdk8s';
import {
  addonVersionProblems, ADDON_KUBERNETES_SUPPORT, Capability, Checks, Criticality, DEFAULT_KUBERNETES_VERSION, EKS_RELEASE_CALENDAR,
  eksSupportStatus, fieldsNewerThan, fixFor, ninesClusterCapabilities, Platform, PlatformDescription, RegionChart, requirementsOf, ResilientService,
} from '../../lib';
import { ClusterAddons, MultiAzVpc, RegionalCluster } from '../../lib/aws';
import { DEFAULT_ADDON_CHART_VERSIONS } from '../../lib/aws/cluster-addons';
import { installMocks, settle } from '../aws/mocks';
import { withoutClusterObjects } from '../k8s/helpers';
import { errorOf } from '../util/errors';

const mocks = installMocks();
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const describe1 = (extra: Partial<PlatformDescription> = {}): PlatformDescription => ({
  environment: 'test', regions: [{ name: 'us-east-1', zones: ZONES, vpcCidr: '10.10.0.0/16' }], ...extra,
});

/** Synthesizes one ResilientService (plus `more`) in a region of `platform`; returns the error text or the objects. */
function synthService(platform: Platform, more: (chart: RegionChart) => void = () => {}): { error?: string; objects?: any[] } {
  const app = Testing.app();
  withoutClusterObjects(app);
  const chart = new RegionChart(app, 'svc', { region: platform.region('us-east-1') });
  Checks.of(app).log = () => {};
  new ResilientService(chart, 'order-service', {
    image: 'registry.example.com/shop/order-service:1.2.3', tier: Criticality.CRITICAL, namespace: 'orders',
  });
  more(chart);
  try {
    return { objects: Testing.synth(chart) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

beforeEach(() => mocks.reset());

describe('the capability contract at synth (NINES-CAP-01)', () => {
  test('a cluster brought without NetworkPolicy enforcement: every NetworkPolicy is an error naming the capability and the fix', () => {
    const all = ninesClusterCapabilities(ZONES, true).map(p => p.capability);
    const platform = Platform.fromDescription(describe1({ capabilities: all.filter(c => c !== Capability.NETWORK_POLICY) }));
    const { error } = synthService(platform);
    expect(error).toContain('[NINES-CAP-01] svc/order-service/NetworkPolicy (NetworkPolicy/orders/order-service): requires "network-policy" '
      + '(a NetworkPolicy isolates pods only where a policy engine enforces it), which the cluster of us-east-1 does not provide; '
      + 'fix: install the VPC CNI add-on with enableNetworkPolicy (RegionalCluster does this), or Calico/Cilium; '
      + 'a cluster you bring declares it in the platform description\'s capabilities ("network-policy")');
  });

  test('nodes missing in one zone of a zone-spread workload; a StorageClass no one provides', () => {
    const platform = Platform.fromDescription(describe1({ capabilities: ['network-policy', 'mesh:istio', 'mesh:istio-cni', 'crd:prometheus-operator', 'nodes:us-east-1a', 'nodes:us-east-1b'] }));
    const { error } = synthService(platform, chart => {
      new ApiObject(chart, 'claim', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'orders' }, spec: { storageClassName: 'fast-ssd' } });
    });
    expect(error).toContain('(Deployment/orders/order-service): requires "nodes:us-east-1c" (its pods must spread over every zone of the region)');
    expect(error).toContain('(PersistentVolumeClaim/orders/data): requires "storage-class:fast-ssd" (volume claim "data" names StorageClass "fast-ssd")');
    expect(error).not.toContain('"network-policy"');
  });

  test('the default (the library\'s AWS cluster) meets a service\'s requirements, and the requirements are the ones derived', () => {
    const { objects, error } = synthService(Platform.fromDescription(describe1()));
    expect(error).toBeUndefined();
    const ns = objects!.find(o => o.kind === 'NetworkPolicy');
    expect(requirementsOf(ns, { meshCni: true }).map(r => r.capability)).toEqual(['network-policy']);
    expect(requirementsOf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', labels: { 'istio-injection': 'enabled' } } }, { meshCni: true })
      .map(r => r.capability)).toEqual(['mesh:istio', 'mesh:istio-cni']);
    expect(requirementsOf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', labels: { 'istio-injection': 'enabled' } } }, { meshCni: false })
      .map(r => r.capability)).toEqual(['mesh:istio']);
  });

  test('the capabilities between regions are named per peer region and per private zone', () => {
    expect(Capability.crossRegionRoutes('eu-west-1')).toBe('network:cross-region-routes:eu-west-1');
    expect(Capability.dns('nines.internal')).toBe('dns:nines.internal');
    expect(Capability.dnsRecords('nines.internal')).toBe('dns-records:nines.internal');
    expect(fixFor(Capability.crossRegionRoutes('eu-west-1'))).toBe('install routes to the VPC of eu-west-1 (CrossRegionNetwork: VPC peering, '
      + 'routes in every private route table, security group rules for the peer CIDRs); a cluster you bring declares it in the platform '
      + 'description\'s capabilities ("network:cross-region-routes:eu-west-1")');
  });

  test('node autoscaling: an HPA that can scale past what the static nodes hold requires it in every zone; Karpenter off, it fails', () => {
    // A cluster brought with everything the library's cluster has but node autoscaling (Karpenter off).
    const noAutoscaler = ninesClusterCapabilities(ZONES, true).map(p => p.capability).filter(c => !c.startsWith('node-autoscaling:'));
    const platform = Platform.fromDescription(describe1({ capabilities: noAutoscaler }));
    const big = (chart: RegionChart) => new ResilientService(chart, 'search-service', {
      image: 'registry.example.com/shop/search-service:1.0.0',
      tier: Criticality.HIGH,
      namespace: 'search',
      autoscaling: { minReplicas: 3, maxReplicas: 300 },
    });
    const { error } = synthService(platform, big);
    const lines = error!.split('\n').filter(l => l.includes('node-autoscaling'));
    expect(lines.map(l => l.match(/\(HorizontalPodAutoscaler\/[^)]+\): requires "node-autoscaling:[^"]+"/)![0]).sort()).toEqual(
      [...ZONES.map(z => `(HorizontalPodAutoscaler/orders/order-service): requires "node-autoscaling:${z}"`),
        ...ZONES.map(z => `(HorizontalPodAutoscaler/search/search-service): requires "node-autoscaling:${z}"`)].sort());
    expect(lines.find(l => l.includes('search/search-service): requires "node-autoscaling:us-east-1a"'))).toMatch(
      /\(it scales Deployment\/search-service from 3 to 300 replicas, and with every HPA at its maximum the region requests [\d.]+ vCPU \/ [\d.]+ GiB, more than the static nodes' [\d.]+ vCPU \/ [\d.]+ GiB allocatable\), which the cluster of us-east-1 does not provide; fix: install a node autoscaler with a pool in zone us-east-1a \(the Pulumi program's Karpenter: leave nines:nodeAutoscaling on\), or give the static node groups room for every HPA at its maximum \(nines:nodesPerZone\); a cluster you bring declares it in the platform description's capabilities \("node-autoscaling:us-east-1a"\)$/);
    // The library's cluster (Karpenter in every zone) provides it: no error.
    expect(synthService(Platform.fromDescription(describe1()), big).error).toBeUndefined();
    // An HPA that cannot grow past its floor requires nothing.
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'x', namespace: 'y' },
      spec: { minReplicas: 3, maxReplicas: 3, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' } },
    };
    const peak = { requested: { cpu: 100, memoryBytes: 0 }, staticAllocatable: { cpu: 10, memoryBytes: 0 }, staticHoldsPeak: false };
    expect(requirementsOf(hpa, { meshCni: true, zones: ZONES, peak })).toEqual([]);
    expect(requirementsOf({ ...hpa, spec: { ...hpa.spec, maxReplicas: 4 } }, { meshCni: true, zones: ZONES, peak }).map(r => r.capability))
      .toEqual(ZONES.map(z => `node-autoscaling:${z}`));
    // ... nor one whose peak the static nodes hold.
    const held = { ...peak, staticHoldsPeak: true };
    expect(requirementsOf({ ...hpa, spec: { ...hpa.spec, maxReplicas: 4 } }, { meshCni: true, zones: ZONES, peak: held })).toEqual([]);
  });

  test('a capability name list that is not a list is refused by the platform', () => {
    expect(errorOf(() => Platform.fromDescription(describe1({ capabilities: 'network-policy' as any }))).message).toBe(
      'Platform \'test\': 1 problem:\n - capabilities ("network-policy") is not a list of capability names; list names such as "network-policy", "mesh:istio" (see Capability)');
  });
});

describe('the Kubernetes version, declared once', () => {
  test('the default is in EKS standard support today (2026-12-04), 1.34 is not', () => {
    expect(DEFAULT_KUBERNETES_VERSION).toBe('1.35');
    expect(eksSupportStatus(DEFAULT_KUBERNETES_VERSION, '2026-12-04')).toBe('standard');
    expect(eksSupportStatus('1.34', '2026-12-04')).toBe('extended');
    expect(eksSupportStatus('1.31', '2026-12-04')).toBe('unsupported');
    expect(Platform.fromDescription(describe1()).kubernetesVersion).toBe('1.35');
  });

  test('a version outside the EKS calendar is refused', () => {
    expect(errorOf(() => Platform.fromDescription(describe1({ kubernetesVersion: '1.27' }))).message).toBe(
      'Platform \'test\': 1 problem:\n - kubernetesVersion ("1.27") is not in EKS\'s release calendar (EKS_RELEASE_CALENDAR), so its support window and schema are unknown; '
      + `use one of ${EKS_RELEASE_CALENDAR.map(v => `"${v.version}"`).join(', ')} (default "1.35"), or add the version with its dates from the EKS calendar`);
  });

  test('every default add-on pin supports the default version; a pin that does not is refused with its documented range', () => {
    expect(addonVersionProblems(DEFAULT_KUBERNETES_VERSION, DEFAULT_ADDON_CHART_VERSIONS)).toEqual([]);
    for (const v of EKS_RELEASE_CALENDAR.map(x => x.version)) {
      // The old pin (Istio 1.24) supports Kubernetes up to 1.31 only.
      const p = addonVersionProblems(v, { istio: '1.24.2' });
      expect([v, p.length]).toEqual([v, v === '1.31' ? 0 : 1]);
    }
    expect(addonVersionProblems('1.35', { istio: '1.24.2', karpenter: '1.8.2', flagger: '1.99.0' }).map(p => `${p.prop} (${p.value}) ${p.why}; ${p.fix}`)).toEqual([
      'versions.istio (1.24.2) installs Istio 1.24, which supports Kubernetes 1.28-1.31, not 1.35 (https://istio.io/latest/docs/releases/supported-releases/#support-status-of-istio-releases); '
        + 'pin a release that supports 1.35 (recorded: 1.24 (1.28-1.31), 1.28 (1.30-1.34), 1.29 (1.31-1.35), 1.30 (1.32-1.36)), or change kubernetesVersion',
      'versions.karpenter (1.8.2) installs Karpenter 1.8, which supports Kubernetes 1.26-1.34, not 1.35 (https://karpenter.sh/docs/upgrading/compatibility/); '
        + 'pin a release that supports 1.35 (recorded: 1.8 (1.26-1.34), 1.9 (1.26-1.35), 1.10 (1.26-1.35), 1.11 (1.26-1.35)), or change kubernetesVersion',
      'versions.flagger (1.99.0) installs Flagger 1.99, whose supported Kubernetes versions are not recorded (https://docs.flagger.app/install/flagger-install-on-kubernetes); '
        + 'pin a release with a recorded range: 1.38 (1.16-), or add its range from the documentation to ADDON_KUBERNETES_SUPPORT',
    ]);
    for (const a of Object.values(ADDON_KUBERNETES_SUPPORT)) expect(a.doc).toMatch(/^https:\/\//);
  });

  test('EKS uses it; ClusterAddons refuses a pin outside the version\'s range before registering anything', async () => {
    const platform = Platform.fromDescription(describe1({ kubernetesVersion: '1.33' }));
    const vpc = new MultiAzVpc('v133', { region: platform.region('us-east-1') });
    const cluster = new RegionalCluster('v133', { vpc, publicAccessCidrs: ['198.18.7.0/28'] });
    await settle(mocks, cluster.urn);
    expect(cluster.kubernetesVersion).toBe('1.33');
    expect(mocks.one('aws:eks/cluster:Cluster', 'v133').inputs.version).toBe('1.33');
    const before = mocks.resources.length;
    // Istio 1.30 needs Kubernetes 1.32+ (fine on 1.33); Istio 1.24 stops at 1.31.
    expect(errorOf(() => new ClusterAddons('v133', { vpc, cluster, versions: { istio: '1.24.2' } })).message).toBe(
      'ClusterAddons \'v133\': 1 problem:\n - versions.istio ("1.24.2") installs Istio 1.24, which supports Kubernetes 1.28-1.31, not 1.33 '
      + '(https://istio.io/latest/docs/releases/supported-releases/#support-status-of-istio-releases); pin a release that supports 1.33 '
      + '(recorded: 1.24 (1.28-1.31), 1.28 (1.30-1.34), 1.29 (1.31-1.35), 1.30 (1.32-1.36)), or change kubernetesVersion');
    await settle(mocks);
    expect(mocks.resources.length).toBe(before);
  });

  test('fields the version does not have: the sleep preStop action before 1.30, native sidecars before 1.29 (NINES-VER-01)', () => {
    const pod = {
      initContainers: [{ name: 'proxy', restartPolicy: 'Always' }],
      containers: [{ name: 'app', lifecycle: { preStop: { sleep: { seconds: 0 } } } }],
    };
    expect(fieldsNewerThan('1.35', pod)).toEqual([]);
    expect(fieldsNewerThan('1.32', pod).map(f => f.at)).toEqual(['containers[0].lifecycle.preStop.sleep.seconds']);
    expect(fieldsNewerThan('1.29', pod).map(f => f.at)).toEqual(['containers[0].lifecycle.preStop.sleep', 'containers[0].lifecycle.preStop.sleep.seconds']);
    expect(fieldsNewerThan('1.28', pod).map(f => f.at)).toEqual([
      'containers[0].lifecycle.preStop.sleep', 'containers[0].lifecycle.preStop.sleep.seconds', 'initContainers[0].restartPolicy',
    ]);
    // Through the check pass: every version in the EKS calendar has the sleep action (1.30+) and native sidecars (1.29+),
    // so the rule is exercised on a 1.31 platform with the zero-second sleep (1.33+), in an object written by hand.
    const platform = Platform.fromDescription(describe1({ kubernetesVersion: '1.31' }));
    const { error } = synthService(platform, chart => {
      new ApiObject(chart, 'raw', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'raw', namespace: 'orders' },
        spec: { template: { spec: { containers: [{ name: 'app', image: 'x:1', lifecycle: { preStop: { sleep: { seconds: 0 } } } }] } } },
      });
    });
    expect(error).toContain('[NINES-VER-01] svc/raw (Deployment/orders/raw): containers[0].lifecycle.preStop.sleep.seconds uses '
      + 'lifecycle.preStop.sleep.seconds 0 (feature PodLifecycleSleepActionAllowZero), which Kubernetes 1.31 does not have (since 1.33; '
      + 'https://kubernetes.io/docs/reference/command-line-tools-reference/feature-gates/); fix: raise the platform\'s kubernetesVersion to 1.33 or later');
  });
});
