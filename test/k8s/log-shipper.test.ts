import { App, Testing } from 'cdk8s';
import { errorOf, find, synth, withoutClusterObjects, ownSuppressions } from './helpers';
import { Checks, Platform, RegionChart, ValidationError } from '../../lib';
import { LOG_READER_HOSTPATH_REASON, LOG_READER_TOKEN_REASON, LogShipper, LogShipperProps, resolveLogShipperProps } from '../../lib/k8s/log-shipper';
import { expectValidManifests } from '../util/schema';

const PLATFORM = Platform.fromDescription({
  environment: 'test',
  regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], vpcCidr: '10.0.0.0/16' }],
});
const PROPS: LogShipperProps = {
  output: { host: 'logs.example.internal' },
  passwordSecret: { name: 'log-store', key: 'password' },
  outputCidrs: ['10.0.64.0/20'],
};

function chart(): { app: App; chart: RegionChart } {
  const app = Testing.app();
  withoutClusterObjects(app);
  const c = new RegionChart(app, 'test', { region: PLATFORM.region('us-east-1') });
  Checks.of(app).log = () => {};
  return { app, chart: c };
}

describe('LogShipper defaults', () => {
  const { app, chart: c } = chart();
  const shipper = new LogShipper(c, 'logs', PROPS);
  const objs = synth(c);
  const ds = find(objs, 'DaemonSet', 'fluent-bit');
  const pod = ds.spec.template.spec;
  const container = pod.containers[0];

  test('resolved fields', () => {
    expect(shipper.name).toBe('fluent-bit');
    expect(shipper.namespace).toBe('logging');
    expect(find(objs, 'Namespace', 'logging').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(shipper.image).toBe('cr.fluentbit.io/fluent/fluent-bit:3.1.9');
    expect(shipper.apiServerCidrs).toEqual(['10.0.0.0/16']);
    expect(shipper.httpPort).toBe(2020);
    expect(shipper.resources).toEqual({ cpuRequest: '100m', cpuLimit: '500m', memoryRequest: '128Mi', memoryLimit: '256Mi', ephemeralRequest: '128Mi', ephemeralLimit: '1Gi' });
    expect(shipper.lifecyclePolicy.policy.phases.delete.min_age).toBe('90d');
  });

  test('schema-valid; the only check exceptions are the explained log-reader ones', () => {
    expectValidManifests(objs);
    const report = Checks.of(app).run();
    expect(report.findings).toEqual([]);
    expect(ownSuppressions(report).map(s => [s.ruleId, s.object, s.reason])).toEqual([
      ['NINES-PSS-04', 'DaemonSet/logging/fluent-bit', LOG_READER_HOSTPATH_REASON],
      ['NINES-HARD-03', 'DaemonSet/logging/fluent-bit', LOG_READER_TOKEN_REASON],
    ]);
  });

  test('reads /var/log read-only and nothing else of the host', () => {
    expect(pod.volumes.filter((v: any) => v.hostPath)).toEqual([{ name: 'varlog', hostPath: { path: '/var/log', type: 'Directory' } }]);
    expect(container.volumeMounts).toContainEqual({ name: 'varlog', mountPath: '/var/log', readOnly: true });
    expect(container.volumeMounts).toContainEqual({ name: 'config', mountPath: '/fluent-bit/etc', readOnly: true });
    expect(pod.hostNetwork).toBeUndefined();
  });

  test('non-root with group 0 for reading, no capabilities, read-only root', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, supplementalGroups: [0] });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } });
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.priorityClassName).toBe('nines-critical');
    expect(container.lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
  });

  test('password from the Secret; config from the ConfigMap', () => {
    expect(container.env).toEqual([{ name: 'LOG_STORE_PASSWORD', valueFrom: { secretKeyRef: { name: 'log-store', key: 'password' } } }]);
    const cm = find(objs, 'ConfigMap', 'fluent-bit');
    expect(Object.keys(cm.data).sort()).toEqual(['fluent-bit.conf', 'parsers.conf', 'redact.lua']);
    expect(cm.data['fluent-bit.conf']).toContain('Condition Key_exists card_number');
    expect(JSON.parse(find(objs, 'ConfigMap', 'fluent-bit-lifecycle-policy').data['policy.json']).policy.phases.warm.min_age).toBe('7d');
  });

  test('RBAC: only get/list/watch on pods and namespaces', () => {
    expect(find(objs, 'ClusterRole').rules).toEqual([{ apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] }]);
  });

  test('NetworkPolicy: metrics from monitoring; egress to the log store, the API server, DNS', () => {
    const np = find(objs, 'NetworkPolicy', 'fluent-bit').spec;
    expect(np.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.0.64.0/20' } }], ports: [{ port: 443, protocol: 'TCP' }] });
    expect(np.egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.0.0.0/16' } }], ports: [{ port: 443, protocol: 'TCP' }] });
    expect(find(objs, 'ServiceMonitor', 'fluent-bit').spec.endpoints[0].path).toBe('/api/v2/metrics/prometheus');
  });
});

test('bad props: every problem at once, tree untouched', () => {
  const { chart: c } = chart();
  const e = errorOf(() => new LogShipper(c, 'logs', {
    ...PROPS, image: 'fluent-bit', outputCidrs: [], passwordSecret: { name: 'Bad', key: 'p' }, lifecycle: { delete: { minAge: '20d' } },
  }));
  expect(e).toBeInstanceOf(ValidationError);
  expect(e.message).toBe([
    "LogShipper 'test/logs': 4 problems:",
    ' - image ("fluent-bit") has no tag, so it floats to "latest"; pin an immutable tag (e.g. "fluent-bit:1.4.2") or a digest',
    ' - passwordSecret ({"name":"Bad","key":"p"}) is not a Secret name and key; give e.g. { name: "log-store", key: "password" }',
    ' - outputCidrs ([]) is empty, so the NetworkPolicy would block the log store; give the log store\'s CIDRs, e.g. ["10.0.64.0/20"]',
    ' - lifecycle.delete.minAge ("20d") must be later than cold.minAge (30d); order the tiers hot < warm < cold < delete',
  ].join('\n'));
  expect(c.node.tryFindChild('logs')).toBeUndefined();
});

describe('resolveLogShipperProps (pure, no construct built)', () => {
  test('defaults, and the API server CIDR from the region', () => {
    const r = resolveLogShipperProps(PROPS, { region: PLATFORM.regions[0] });
    expect(r.problems).toBeUndefined();
    expect(r.settings).toMatchObject({
      name: 'fluent-bit',
      namespace: 'logging',
      httpPort: 2020,
      priorityClassName: 'nines-critical',
      apiServerCidrs: [PLATFORM.regions[0].vpcCidr],
      identity: { user: 10001, group: 10001, fsGroup: 10001 },
    });
  });

  test('outside a region without apiServerCidrs: reported, with the other problems', () => {
    const r = resolveLogShipperProps({ ...PROPS, outputCidrs: [] }, { region: undefined });
    expect(r.problems!.map(p => p.prop)).toEqual(['outputCidrs', 'apiServerCidrs']);
  });
});
