import { parseAllDocuments } from 'yaml';
import { Checks, Platform } from '../../lib';
import { addonCapacity, addonWorkloads, regionCapacity } from '../../lib/core/addon-capacity';
import { daemonSetRequestsPerNode, formatHeadroom, headroom, M6I_XLARGE, nodesPerZoneFor, workloadRequests } from '../../lib/core/capacity';
import { PRODUCTION } from '../../stacks/platform';
import { buildRegion } from '../../stacks/reference-platform';

const platform = Platform.fromDescription(PRODUCTION);
const Mi = 2 ** 20;

describe('capacity with the add-ons and DaemonSets', () => {
  test('the add-on workloads follow the switches: Deployments add to the requests, DaemonSets take from every node', () => {
    const all = addonWorkloads({ zones: 3, meshCni: true });
    expect(all.find(w => w.workload === 'Deployment/istio-system/istiod')).toMatchObject({ replicas: 2, perPod: { cpu: 0.5, memoryBytes: 2048 * Mi } });
    expect(all.find(w => w.workload === 'Deployment/istio-ingress/istio-ingressgateway')?.replicas).toBe(3);
    expect(all.filter(w => w.kind === 'DaemonSet').map(w => w.workload)).toEqual([
      'DaemonSet/kube-system/aws-node', 'DaemonSet/kube-system/kube-proxy', 'DaemonSet/kube-system/ebs-csi-node',
      'DaemonSet/kube-system/eks-pod-identity-agent', 'DaemonSet/istio-system/istio-cni-node', 'DaemonSet/prometheus-operator/prometheus-node-exporter',
      'DaemonSet/chaos-mesh/chaos-daemon',
    ]);
    const { deployments, perNode } = addonCapacity(all);
    expect(perNode.cpu).toBeCloseTo(0.235, 6); // aws-node 25m + kube-proxy 100m + ebs-csi-node 10m + istio-cni 100m
    expect(perNode.memoryBytes).toBe(140 * Mi);
    // coredns 0.2, ebs-csi 0.02, karpenter 2 x 1, istiod 1.0, gateway 0.3, chaos 0.075 + its DNS server 0.1, flagger + load tester 0.22
    expect(deployments.cpu).toBeCloseTo(3.915, 6);
    expect(all.find(w => w.workload === 'Deployment/chaos-mesh/chaos-dns-server')).toMatchObject({ replicas: 1, perPod: { cpu: 0.1, memoryBytes: 70 * Mi } });
    // Karpenter's controller runs on the static nodes (its chart's affinity keeps it off the nodes it launches), at the requests it is given.
    expect(all.find(w => w.workload === 'Deployment/kube-system/karpenter')).toMatchObject({ replicas: 2, perPod: { cpu: 1, memoryBytes: 1024 * Mi } });
    expect(addonWorkloads({ zones: 3, meshCni: true, karpenter: false }).map(w => w.workload)).not.toContain('Deployment/kube-system/karpenter');
    const lean = addonWorkloads({
      zones: 3, meshCni: false, istio: false, ingressGateway: false, chaosMesh: false, flagger: false, certManager: false,
    });
    expect(lean.map(w => w.workload)).not.toContain('Deployment/istio-system/istiod');
    expect(lean.map(w => w.workload)).not.toContain('DaemonSet/istio-system/istio-cni-node');
  });

  test('a DaemonSet reduces each node\'s allocatable (with its sidecar when meshed), and is not counted as a workload', () => {
    const ds = (ns: string) => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: ns },
      spec: { template: { metadata: {}, spec: { containers: [{ name: 'a', resources: { requests: { cpu: '200m', memory: '256Mi' } } }] } } },
    });
    const meshed = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mesh', labels: { 'istio-injection': 'enabled' } } };
    expect(daemonSetRequestsPerNode([ds('plain')])).toEqual({ cpu: 0.2, memoryBytes: 256 * Mi });
    expect(daemonSetRequestsPerNode([meshed, ds('mesh')])).toEqual({ cpu: 0.30000000000000004, memoryBytes: 384 * Mi });
    expect(workloadRequests([ds('plain')])).toEqual([]);
    const h = headroom([], M6I_XLARGE, 3, 2, { cpu: 0.2, memoryBytes: 256 * Mi });
    expect(h.allocatable.cpu).toBeCloseTo((3.92 - 0.2) * 6, 6);
    expect(formatHeadroom(h)).toContain('DaemonSets 200m / 256Mi per node');
  });

  test('the reference region: app pods, sidecars, add-on Deployments and every DaemonSet fit with one zone lost, at <= 80%', () => {
    const { app } = buildRegion(platform, 'us-east-1');
    Checks.of(app).log = () => {};
    const objects = parseAllDocuments(app.synthYaml()).map(d => d.toJS()).filter(o => o && typeof o === 'object');
    const c = regionCapacity(objects, { zones: 3, meshCni: platform.mesh.cni }, M6I_XLARGE);
    // The app alone asked for 7 per zone; the add-ons' Deployments and the DaemonSets' share of every node make it 8.
    expect(nodesPerZoneFor(workloadRequests(objects), M6I_XLARGE, 3)).toBe(7);
    expect(c.nodesPerZone).toBe(8);
    expect(c.perNode.cpu).toBeCloseTo(0.335, 6); // the add-ons' 235m + fluent-bit's 100m
    expect(c.headroom.requested.cpu / c.headroom.allocatableOneZoneLost.cpu).toBeLessThanOrEqual(0.8);
    expect(c.headroom.headroomOneZoneLost.cpu).toBeGreaterThan(0);
    expect(formatHeadroom(c.headroom)).toBe('requested 44.4 vCPU / 76.8 GiB (sidecars 5.7 vCPU / 7.1 GiB); DaemonSets 335m / 268Mi per node; '
      + 'allocatable 86.0 vCPU / 341.7 GiB; one zone lost: 57.4 vCPU / 227.8 GiB allocatable, headroom 13.0 vCPU / 151.1 GiB');
    // The peak: the 11 HPAs at their maxReplicas (3 -> 30 for the critical services) request far more than the
    // static nodes hold, so scaling out needs nodes added: 23 per zone with one zone lost, 15 of them by Karpenter.
    expect(c.peak.requested.cpu).toBeCloseTo(158.365, 3);
    expect(c.peak.requested.memoryBytes / 2 ** 30).toBeCloseTo(195.502, 3);
    expect(c.peak.staticAllocatable.cpu).toBeCloseTo(86.04, 3);
    expect(c.peak.staticHoldsPeak).toBe(false);
    expect([c.peak.nodesPerZone, c.peak.autoscaledNodesPerZone]).toEqual([23, 15]);
    // With every HPA capped at its floor, the peak is the floor, and the static nodes hold it.
    const capped = objects.map(o => (o.kind === 'HorizontalPodAutoscaler' ? { ...o, spec: { ...o.spec, maxReplicas: o.spec.minReplicas } } : o));
    expect(regionCapacity(capped, { zones: 3, meshCni: platform.mesh.cni }, M6I_XLARGE).peak)
      .toMatchObject({ staticHoldsPeak: true, autoscaledNodesPerZone: 0 });
    // At the old size the region still fits after a zone loss, but above the 80% target.
    const old = regionCapacity(objects, { zones: 3, meshCni: platform.mesh.cni }, M6I_XLARGE, 7).headroom;
    expect(old.requested.cpu / old.allocatableOneZoneLost.cpu).toBeGreaterThan(0.8);
  });
});
