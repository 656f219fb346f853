import { Testing } from 'cdk8s';
import { errorOf, find, withoutClusterObjects } from './helpers';
import { Checks, Platform, RegionChart } from '../../lib';
import { EtcdCluster } from '../../lib/k8s/etcd-cluster';
import { renderEtcdArgs } from '../../lib/render/etcd';
import { expectValidManifests } from '../util/schema';

const PLATFORM = Platform.fromDescription({
  environment: 'test',
  regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], vpcCidr: '10.10.0.0/16' }],
});

function setup() {
  const app = Testing.app();
  withoutClusterObjects(app);
  const chart = new RegionChart(app, 'test', { region: PLATFORM.region('us-east-1') });
  Checks.of(app).log = () => {};
  return { app, chart };
}

describe('EtcdCluster defaults', () => {
  const { app, chart } = setup();
  const etcd = new EtcdCluster(chart, 'dcs', { namespace: 'orders' });
  const objs = Testing.synth(chart);
  const sts = find(objs, 'StatefulSet', 'dcs');
  const container = sts.spec.template.spec.containers[0];

  test('fields resolve the documented defaults', () => {
    expect(etcd.name).toBe('dcs');
    expect(etcd.image).toBe('quay.io/coreos/etcd:v3.5.9');
    expect(etcd.members).toBe(3);
    expect(etcd.zones).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(etcd.storageSize).toBe('8Gi');
    expect(etcd.storageClass).toBe('gp3-encrypted');
    expect(etcd.identity).toEqual({ user: 10001, group: 10001, fsGroup: 10001 });
    expect(etcd.headlessServiceName).toBe('dcs-peers');
    expect(etcd.clientEndpoints).toEqual([0, 1, 2].map(i => `dcs-${i}.dcs-peers.orders.svc.cluster.local:2379`));
  });

  test('StatefulSet: 3 members, zone spread, hardened, a volume per member', () => {
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.serviceName).toBe('dcs-peers');
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(sts.spec.template.spec.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', maxSkew: 1 });
    expect(sts.spec.template.spec.topologySpreadConstraints[0].matchLabelKeys).toBeUndefined();
    expect(sts.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(sts.spec.volumeClaimTemplates[0].spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'gp3-encrypted', resources: { requests: { storage: '8Gi' } } });
    expect(JSON.stringify(sts.spec.template.spec.volumes ?? [])).not.toContain('emptyDir');
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health', port: 'client', scheme: 'HTTP' });
    expect(container.livenessProbe.tcpSocket).toEqual({ port: 'client' });
  });

  test('flags are the renderer output with the member name from the Pod', () => {
    const rendered = renderEtcdArgs({ memberName: 'dcs-0', peers: etcd.peers, clusterToken: 'orders-dcs', dataDir: '/var/lib/etcd/data' });
    expect(container.args).toHaveLength(rendered.length);
    expect(container.args[0]).toBe('--name=$(POD_NAME)');
    expect(container.args).toContain('--advertise-client-urls=http://$(POD_NAME).dcs-peers.orders.svc.cluster.local:2379');
    expect(container.args).toContain('--initial-advertise-peer-urls=http://$(POD_NAME).dcs-peers.orders.svc.cluster.local:2380');
    expect(container.args.filter((a: string) => !a.includes('$(POD_NAME)'))).toEqual(rendered.filter(a => !/^--(name|advertise-client-urls|initial-advertise-peer-urls)=/.test(a)));
    expect(container.args).toContain('--initial-cluster=' + [0, 1, 2].map(i => `dcs-${i}=http://dcs-${i}.dcs-peers.orders.svc.cluster.local:2380`).join(','));
    expect(container.env).toEqual([{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]);
  });

  test('services, PDB keeping quorum, NetworkPolicy between members and to monitoring', () => {
    expect(find(objs, 'Service', 'dcs-peers').spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(find(objs, 'Service', 'dcs').spec.ports).toEqual([{ name: 'client', port: 2379, targetPort: 'client', protocol: 'TCP' }]);
    expect(find(objs, 'PodDisruptionBudget', 'dcs').spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    const np = find(objs, 'NetworkPolicy', 'dcs').spec;
    expect(np.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.ingress.map((r: any) => r.ports.map((p: any) => p.port))).toEqual([[2379, 2380], [2379]]);
    expect(np.ingress[1].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('monitoring');
    expect(find(objs, 'ServiceMonitor', 'dcs').spec.endpoints[0]).toMatchObject({ port: 'client', path: '/metrics' });
  });

  test('zero findings, schema-valid, dependency facts', () => {
    expect(Checks.of(app).lastReport!.findings).toEqual([]);
    expectValidManifests(objs);
    expect(etcd.dependencyFacts).toEqual({ id: 'orders/dcs', kind: 'database', replicas: 3, zones: 3, automaticFailover: true });
    expect(etcd.egressPeers()).toEqual([{ namespace: 'orders', podLabels: etcd.selectorLabels, ports: [{ port: 2379, protocol: 'TCP' }] }]);
  });
});

describe('EtcdCluster bad input', () => {
  test('every problem at once, and the tree is left as it was', () => {
    const { chart } = setup();
    const e = errorOf(() => new EtcdCluster(chart, 'etcd', {
      namespace: 'orders', members: 4, zones: ['us-east-1a'], storage: { size: '8GB' }, tuning: { electionTimeoutMs: 100 },
    }));
    expect(e.message).toBe([
      "EtcdCluster 'test/etcd': 4 problems:",
      ' - members (4) must be an odd integer >= 3: etcd keeps a quorum through one failure with 3 members (an even number adds no tolerance); use 3 or 5',
      ' - zones (["us-east-1a"]) must list at least 2 distinct zones, or one zone outage takes the cluster down; spread over 2 or more zones (the case study uses 3 per region)',
      ' - storage.size ("8GB") is not a whole byte quantity in Mi, Gi or Ti; use a Kubernetes byte quantity with a binary suffix such as "512Mi" or "2Gi" (no space, not "GB")',
      ' - tuning.electionTimeoutMs (100) must be >= 5 * heartbeatIntervalMs (500); etcd refuses to start otherwise; raise it to 500 or more',
    ].join('\n'));
    expect(chart.node.tryFindChild('etcd')).toBeUndefined();
  });

  test('zones are required outside a RegionChart', () => {
    const app = Testing.app();
    withoutClusterObjects(app);
    const e = errorOf(() => new EtcdCluster(app, 'etcd', { namespace: 'orders' }));
    expect(e.message).toContain('zones (undefined) are unknown: the construct is not inside a RegionChart and no zones were given');
  });
});
