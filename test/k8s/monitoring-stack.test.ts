import { parse } from 'yaml';
import { errorOf, find, regionChart, synth, ownSuppressions } from './helpers';
import { Checks, Criticality, ResilientService, ValidationError } from '../../lib';
import { MonitoringStack, MonitoringStackProps } from '../../lib/k8s/monitoring-stack';
import { AlertRoutingOptions } from '../../lib/render/alertmanager';
import { expectValidManifests } from '../util/schema';

const ROUTING: AlertRoutingOptions = {
  pager: { kind: 'pagerduty', routingKey: { name: 'alertmanager-pagerduty', key: 'routing-key' } },
  escalation: { kind: 'opsgenie', apiKey: { name: 'alertmanager-opsgenie', key: 'api-key' } },
  chat: { kind: 'slack', apiUrl: { name: 'alertmanager-slack', key: 'api-url' }, channel: '#platform-alerts' },
};

function build(props: Partial<MonitoringStackProps> = {}) {
  const { app, chart } = regionChart();
  const stack = new MonitoringStack(chart, 'monitoring', { alertRouting: ROUTING, ...props });
  const objs = synth(chart);
  return { app, chart, stack, objs };
}

describe('MonitoringStack defaults', () => {
  const { app, stack, objs } = build();
  const prom = find(objs, 'Prometheus').spec;
  const am = find(objs, 'Alertmanager').spec;

  test('resolved fields', () => {
    expect(stack.name).toBe('nines');
    expect(stack.namespace).toBe('monitoring');
    expect(stack.cluster).toBe('test-us-east-1');
    expect(stack.region).toBe('us-east-1');
    expect(stack.selectorLabels).toEqual({ 'app.kubernetes.io/managed-by': 'nines' });
    expect(stack.prometheusReplicas).toBe(2);
    expect(stack.retention).toBe('30d');
    expect(stack.retentionSize).toBe('90GB');
    expect(stack.storageSize).toBe('100Gi');
    expect(stack.scrapeInterval).toBe('15s');
    expect(stack.alertmanagerReplicas).toBe(3);
    expect(stack.queryReplicas).toBe(2);
    expect(stack.objectStorageSecret).toEqual({ name: 'thanos-objstore', key: 'objstore.yml' });
    expect(stack.remoteEndpoints).toEqual([]);
  });

  test('every object is schema-valid and the checks find nothing', () => {
    expectValidManifests(objs);
    const report = Checks.of(app).run();
    expect(report.findings).toEqual([]);
    expect(ownSuppressions(report).map(s => `${s.ruleId} ${s.object}`).sort()).toEqual([
      'NINES-WL-07 PodDisruptionBudget/monitoring/alertmanager-nines',
      'NINES-WL-07 PodDisruptionBudget/monitoring/prometheus-nines',
    ]);
  });

  test('Prometheus carries a certificate-only Istio sidecar (Istio "Prometheus: TLS settings") and mounts its certificate', () => {
    expect(prom.podMetadata.labels['sidecar.istio.io/inject']).toBe('true');
    expect(prom.podMetadata.annotations).toEqual({
      'traffic.sidecar.istio.io/includeInboundPorts': '',
      'traffic.sidecar.istio.io/includeOutboundIPRanges': '',
      'proxy.istio.io/config': '{"proxyMetadata":{"OUTPUT_CERTS":"/etc/istio-output-certs"}}',
      'sidecar.istio.io/userVolumeMount': '[{"name":"istio-certs","mountPath":"/etc/istio-output-certs"}]',
    });
    expect(prom.volumes).toEqual([{ name: 'istio-certs', emptyDir: { medium: 'Memory' } }]);
    expect(prom.containers.find((c: any) => c.name === 'prometheus').volumeMounts).toEqual([{ name: 'istio-certs', mountPath: '/etc/prom-certs', readOnly: true }]);
  });

  test('Prometheus: 2 replicas across zones, storage, retention, external labels', () => {
    expect(prom.replicas).toBe(2);
    expect(prom.topologySpreadConstraints[0]).toEqual({
      labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': 'nines' } },
      nodeAffinityPolicy: 'Honor',
      nodeTaintsPolicy: 'Honor',
      maxSkew: 1,
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'DoNotSchedule',
    });
    expect(prom.storage).toEqual({ volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Gi' } } } } });
    // the longest SLO window (30 days) is evaluated on local data
    expect(prom).toMatchObject({ retention: '30d', retentionSize: '90GB', scrapeInterval: '15s', evaluationInterval: '15s', replicaExternalLabelName: 'prometheus_replica' });
    expect(prom.externalLabels).toEqual({ cluster: 'test-us-east-1', region: 'us-east-1' });
    expect(prom.resources).toEqual({ requests: { 'cpu': '1', 'memory': '4Gi', 'ephemeral-storage': '256Mi' }, limits: { 'memory': '8Gi', 'ephemeral-storage': '1Gi' } });
    expect(prom.image).toBe('quay.io/prometheus/prometheus:v2.53.1');
    expect(prom.priorityClassName).toBe('nines-critical');
  });

  test('Prometheus selects what the constructs emit, in every namespace', () => {
    for (const k of ['serviceMonitorSelector', 'podMonitorSelector', 'ruleSelector', 'probeSelector']) {
      expect(prom[k]).toEqual({ matchLabels: { 'app.kubernetes.io/managed-by': 'nines' } });
    }
    for (const k of ['serviceMonitorNamespaceSelector', 'podMonitorNamespaceSelector', 'ruleNamespaceSelector', 'probeNamespaceSelector']) {
      expect(prom[k]).toEqual({});
    }
    expect(prom.alerting).toEqual({ alertmanagers: [{ namespace: 'monitoring', name: 'alertmanager-operated', port: 'web', apiVersion: 'v2' }] });
  });

  test('a ResilientService\'s ServiceMonitor carries the selected label', () => {
    const { chart } = regionChart();
    new ResilientService(chart, 'svc', { name: 'order-service', namespace: 'orders', image: 'example/order:1.0.0', team: 'orders', tier: Criticality.HIGH });
    const sm = find(synth(chart), 'ServiceMonitor');
    expect(sm.metadata.labels['app.kubernetes.io/managed-by']).toBe('nines');
  });

  test('hardened pods, Thanos sidecar with objstore Secret reference', () => {
    expect(prom.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(prom.containers.map((c: any) => c.name)).toEqual(['prometheus', 'config-reloader', 'thanos-sidecar']);
    expect(prom.initContainers.map((c: any) => c.name)).toEqual(['init-config-reloader']);
    expect(am.initContainers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true });
    for (const c of [...prom.containers, ...am.containers]) {
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    }
    expect(prom.thanos).toMatchObject({ image: 'quay.io/thanos/thanos:v0.35.1', objectStorageConfig: { name: 'thanos-objstore', key: 'objstore.yml' } });
  });

  test('Alertmanager: 3 members across zones, config by Secret, receiver Secrets mounted', () => {
    expect(am.replicas).toBe(3);
    expect(am.topologySpreadConstraints[0].labelSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'alertmanager', 'app.kubernetes.io/instance': 'nines' });
    expect(am.configSecret).toBe('alertmanager-nines-config');
    expect(am.secrets).toEqual(['alertmanager-opsgenie', 'alertmanager-pagerduty', 'alertmanager-slack']);
    const secret = find(objs, 'Secret', 'alertmanager-nines-config');
    const cfg = parse(secret.stringData['alertmanager.yaml']);
    expect(cfg.route.group_by).toEqual(['service', 'region']);
    expect(secret.stringData['alertmanager.yaml']).not.toMatch(/https?:\/\//);
  });

  test('NetworkPolicies: Prometheus egress open on purpose, Alertmanager only DNS, gossip and HTTPS', () => {
    const promNp = find(objs, 'NetworkPolicy', 'prometheus-nines').spec;
    expect(promNp.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(promNp.egress).toEqual([{}]);
    expect(promNp.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      ports: [{ port: 9090, protocol: 'TCP' }, { port: 10901, protocol: 'TCP' }, { port: 10902, protocol: 'TCP' }],
    }, {
      // Flagger's metric checks, the load tester's error-budget gate and Chaos Mesh's status checks, on 9090 only
      from: [
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flagger-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'flagger' } } },
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flagger-system' } }, podSelector: { matchLabels: { app: 'loadtester' } } },
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'chaos-mesh' } }, podSelector: { matchLabels: { 'app.kubernetes.io/component': 'controller-manager' } } },
      ],
      ports: [{ port: 9090, protocol: 'TCP' }],
    }]);
    const amNp = find(objs, 'NetworkPolicy', 'alertmanager-nines').spec;
    expect(amNp.egress.map((r: any) => r.ports)).toEqual([
      [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
      [{ port: 9094, protocol: 'TCP' }, { port: 9094, protocol: 'UDP' }],
      [{ port: 443, protocol: 'TCP' }],
    ]);
    expect(amNp.ingress[1].from).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'alertmanager', 'app.kubernetes.io/instance': 'nines' } } }]);
  });

  test('PDBs allow one disruption each', () => {
    for (const name of ['prometheus-nines', 'alertmanager-nines', 'thanos-query']) {
      expect(find(objs, 'PodDisruptionBudget', name).spec.maxUnavailable).toBe(1);
    }
  });

  test('Thanos Query: hardened HA Deployment reading the local sidecars', () => {
    const d = find(objs, 'Deployment', 'thanos-query');
    expect(d.spec.replicas).toBe(2);
    const c = d.spec.template.spec.containers[0];
    expect(c.args).toContain('--endpoint=dnssrv+_grpc._tcp.prometheus-operated.monitoring.svc.cluster.local');
    expect(c.args).toContain('--query.replica-label=prometheus_replica');
    expect(c.args).toContain('--query.partial-response');
    expect(d.spec.template.spec.automountServiceAccountToken).toBe(false);
    const np = find(objs, 'NetworkPolicy', 'thanos-query');
    expect(np.spec.egress).toContainEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': 'nines' } } }],
      ports: [{ port: 10901, protocol: 'TCP' }],
    });
  });
});

test('global view: remote sidecar endpoints, internal load balancer and CIDRs', () => {
  const { objs, app, stack } = build({ thanos: { remoteEndpoints: ['prometheus-sidecar.monitoring.eu-west-1.example.internal:10901'], remoteCidrs: ['10.2.0.0/16'] } });
  const c = find(objs, 'Deployment', 'thanos-query').spec.template.spec.containers[0];
  expect(c.args).toContain('--endpoint=prometheus-sidecar.monitoring.eu-west-1.example.internal:10901');
  const np = find(objs, 'NetworkPolicy', 'thanos-query').spec;
  expect(np.egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.2.0.0/16' } }], ports: [{ port: 10901, protocol: 'TCP' }] });
  expect(np.ingress).toHaveLength(1);
  const promNp = find(objs, 'NetworkPolicy', 'prometheus-nines').spec;
  expect(promNp.ingress[2]).toEqual({ from: [{ ipBlock: { cidr: '10.2.0.0/16' } }], ports: [{ port: 10901, protocol: 'TCP' }] });
  const lb = find(objs, 'Service', 'prometheus-nines-sidecar');
  expect(stack.sidecarService).toBeDefined();
  expect(lb.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-scheme']).toBe('internal');
  expect(lb.spec).toMatchObject({ type: 'LoadBalancer', loadBalancerSourceRanges: ['10.2.0.0/16'], ports: [{ name: 'grpc', port: 10901, targetPort: 10901, protocol: 'TCP' }] });
  expectValidManifests(objs);
  const report = Checks.of(app).run();
  expect(report.findings).toEqual([]);
  expect(report.suppressed.map(s => `${s.ruleId} ${s.object}`)).toContain('NINES-WL-06 Service/monitoring/prometheus-nines-sidecar');
});

test('without remote CIDRs there is no load balancer', () => {
  const { objs, stack } = build();
  expect(stack.sidecarService).toBeUndefined();
  expect(objs.filter(o => o.kind === 'Service').map(o => o.metadata.name)).toEqual(['thanos-query']);
});

test('bad props: every problem at once, tree untouched', () => {
  const { chart } = regionChart();
  const e = errorOf(() => new MonitoringStack(chart, 'monitoring', {
    alertRouting: { ...ROUTING, escalateAfter: 'soon' as any },
    prometheus: { replicas: 1, retention: '2 weeks', retentionSize: '60GB', storageSize: '50Gi', image: 'prom/prometheus' },
    alertmanager: { replicas: 1 },
    thanos: { remoteEndpoints: ['no-port'], remoteCidrs: ['10.0.0.0'] },
  }));
  expect(e).toBeInstanceOf(ValidationError);
  expect(e.message).toBe([
    "MonitoringStack 'test/monitoring': 8 problems:",
    ' - prometheus.replicas (1) must be an integer >= 2 (one replica is a single point of failure for alerting); use 2 or more',
    ' - alertmanager.replicas (1) must be an integer >= 2 (a lone Alertmanager loses silences and pages when it restarts); use 2 or more',
    ' - prometheus.retention ("2 weeks") is not a Prometheus retention; use e.g. "15d"',
    ' - prometheus.retentionSize ("60GB") is not below the volume size (50Gi), so the volume fills before retention deletes blocks; keep retentionSize at about 90% of storageSize',
    ' - prometheus.image ("prom/prometheus") has no tag, so it floats to "latest"; pin an immutable tag (e.g. "prom/prometheus:1.4.2") or a digest',
    ' - alertRouting.escalateAfter ("soon") is not a positive Prometheus duration; use e.g. "30s", "5m" or "1h"',
    ' - thanos.remoteEndpoints[0] ("no-port") is not a host:port gRPC endpoint; give e.g. "thanos-query-grpc.monitoring.eu-west-1.example.internal:10901"',
    ' - thanos.remoteCidrs[0] ("10.0.0.0") is not an IPv4 CIDR block (a.b.c.d/n); give e.g. "10.1.0.0/16"',
  ].join('\n'));
  expect(chart.node.tryFindChild('monitoring')).toBeUndefined();
});
