import { parse } from 'yaml';
import { errorOf, find, regionChart, synth, ownSuppressions } from './helpers';
import { Checks, ValidationError } from '../../lib';
import { TraceCollector, TraceCollectorProps } from '../../lib/k8s/trace-collector';
import { expectValidManifests } from '../util/schema';

const PROPS: TraceCollectorProps = {
  exporter: { endpoint: 'tempo-distributor.tracing.svc:4317', headersFromEnv: { 'x-scope-orgid': 'TRACES_TENANT' } },
  exporterCidrs: ['10.0.96.0/20'],
  envFromSecrets: { TRACES_TENANT: { name: 'trace-backend', key: 'tenant' } },
};

describe('TraceCollector defaults', () => {
  const { app, chart } = regionChart();
  const tc = new TraceCollector(chart, 'traces', PROPS);
  const objs = synth(chart);

  test('resolved fields', () => {
    expect(tc.namespace).toBe('monitoring');
    expect(tc.image).toBe('otel/opentelemetry-collector-contrib:0.108.0');
    expect(tc.gatewayReplicas).toBe(3);
    expect(tc.samplerReplicas).toBe(3);
    expect(tc.resources).toEqual({ cpuRequest: '250m', cpuLimit: '1', memoryRequest: '512Mi', memoryLimit: '1Gi', ephemeralRequest: '64Mi', ephemeralLimit: '256Mi' });
    expect(tc.otlpGrpcEndpoint).toBe('otel-gateway.monitoring.svc.cluster.local:4317');
  });

  test('schema-valid and zero check findings, nothing suppressed', () => {
    expectValidManifests(objs);
    const report = Checks.of(app).run();
    expect(report.findings).toEqual([]);
    expect(ownSuppressions(report)).toEqual([]);
  });

  test('two HA tiers spread across zones with PDBs, hardened, distroless drain', () => {
    for (const name of ['otel-gateway', 'otel-sampler']) {
      const d = find(objs, 'Deployment', name);
      expect(d.spec.replicas).toBe(3);
      expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
      const pod = d.spec.template.spec;
      expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', maxSkew: 1 });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.priorityClassName).toBe('nines-high');
      const c = pod.containers[0];
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
      expect(c.lifecycle).toEqual({ preStop: { sleep: { seconds: 10 } } });
      expect(c.livenessProbe.httpGet).toEqual({ path: '/metrics', port: 'metrics', scheme: 'HTTP' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/', port: 'health', scheme: 'HTTP' });
      expect(d.spec.template.metadata.annotations['nines.dev/config-hash']).toMatch(/^[0-9a-f]{8}$/);
      expect(find(objs, 'PodDisruptionBudget', name).spec.maxUnavailable).toBe(1);
    }
  });

  test('gateway routes by trace ID to the samplers\' headless Service', () => {
    const cfg = parse(find(objs, 'ConfigMap', 'otel-gateway').data['config.yaml']);
    expect(cfg.exporters.loadbalancing).toEqual({
      routing_key: 'traceID',
      protocol: { otlp: { tls: { insecure: true }, timeout: '5s' } },
      resolver: { dns: { hostname: 'otel-sampler-headless.monitoring.svc.cluster.local', port: '4317' } },
    });
    expect(find(objs, 'Service', 'otel-sampler-headless').spec).toMatchObject({ clusterIP: 'None', selector: { 'app.kubernetes.io/name': 'otel-sampler' } });
  });

  test('sampler keeps errors and slow traces, the rest at 0.1 %, exports with the header from a Secret', () => {
    const cfg = parse(find(objs, 'ConfigMap', 'otel-sampler').data['config.yaml']);
    expect(cfg.processors.tail_sampling.policies).toEqual([
      { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
      { name: 'slow', type: 'latency', latency: { threshold_ms: 1000 } },
      { name: 'base-rate', type: 'probabilistic', probabilistic: { sampling_percentage: 0.1 } },
    ]);
    expect(cfg.exporters.otlp).toMatchObject({ endpoint: 'tempo-distributor.tracing.svc:4317', tls: { insecure: false }, headers: { 'x-scope-orgid': '${env:TRACES_TENANT}' } });
    const c = find(objs, 'Deployment', 'otel-sampler').spec.template.spec.containers[0];
    expect(c.env).toEqual([{ name: 'TRACES_TENANT', valueFrom: { secretKeyRef: { name: 'trace-backend', key: 'tenant' } } }]);
  });

  test('NetworkPolicies: spans in from every namespace, sampler only from the gateway, out only to the backend', () => {
    const gw = find(objs, 'NetworkPolicy', 'otel-gateway').spec;
    expect(gw.ingress).toContainEqual({ from: [{ namespaceSelector: {} }], ports: [{ port: 'otlp-grpc', protocol: 'TCP' }, { port: 'otlp-http', protocol: 'TCP' }] });
    const s = find(objs, 'NetworkPolicy', 'otel-sampler').spec;
    expect(s.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'otel-gateway', 'app.kubernetes.io/instance': 'otel-gateway-monitoring' } } }],
      ports: [{ port: 'otlp-grpc', protocol: 'TCP' }],
    });
    expect(s.egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.0.96.0/20' } }], ports: [{ port: 4317, protocol: 'TCP' }] });
  });
});

test('bad props: every problem at once, tree untouched', () => {
  const { chart } = regionChart();
  const e = errorOf(() => new TraceCollector(chart, 'traces', {
    exporter: { protocol: 'otlphttp', endpoint: 'tempo:4318', headersFromEnv: { authorization: 'AUTH' } },
    exporterCidrs: [],
    baseRatePercent: 150,
    samplerReplicas: 1,
  }));
  expect(e).toBeInstanceOf(ValidationError);
  expect(e.message).toBe([
    "TraceCollector 'test/traces': 5 problems:",
    ' - exporter.endpoint ("tempo:4318") is not an http(s) URL; give e.g. "https://traces.example.com"',
    ' - baseRatePercent (150) must be a percentage between 0 and 100; use e.g. 0.1 (the case study\'s 0.001)',
    ' - samplerReplicas (1) must be an integer >= 2 (one replica is a single point of failure for tracing); use 2 or more',
    ' - exporterCidrs ([]) is empty, so the NetworkPolicy would block the trace backend; give the backend\'s CIDRs, e.g. ["10.0.96.0/20"]',
    ' - envFromSecrets.AUTH (undefined) must name the Secret key the exporter header variable is read from; give e.g. { name: "trace-backend", key: "token" }',
  ].join('\n'));
  expect(chart.node.tryFindChild('traces')).toBeUndefined();
});

test('a bad namespace is one problem, under namespace (the sampler host derived from it is not reported again)', () => {
  const { chart } = regionChart();
  const e = errorOf(() => new TraceCollector(chart, 'traces', {
    exporter: { endpoint: 'tempo-distributor.tracing.svc:4317' }, exporterCidrs: ['10.0.96.0/20'], namespace: 'Monitoring_NS',
  }));
  expect(e.message).toBe([
    "TraceCollector 'test/traces': 1 problem:",
    ' - namespace ("Monitoring_NS") is not a DNS label; use e.g. "monitoring"',
  ].join('\n'));
});
