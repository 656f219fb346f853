/** The TraceCollector props resolver, tested alone: pure, every problem at once, no throw. */
import { IN_REGION } from './contexts';
import { resolveTraceCollectorProps } from '../../../lib/k8s/private/trace-collector-props';
import { TraceCollectorProps } from '../../../lib/k8s/trace-collector';

const PROPS: TraceCollectorProps = {
  exporter: { endpoint: 'tempo-distributor.tracing.svc:4317', headersFromEnv: { 'x-scope-orgid': 'TRACES_TENANT' } },
  exporterCidrs: ['10.0.96.0/20'],
  envFromSecrets: { TRACES_TENANT: { name: 'trace-backend', key: 'tenant' } },
};

describe('resolveTraceCollectorProps', () => {
  test('defaults: the context\'s monitoring namespace and cluster domain name the samplers\' host and the endpoint', () => {
    const r = resolveTraceCollectorProps('traces', PROPS, { ...IN_REGION, monitoringNamespace: 'observability', clusterDomain: 'example.internal' });
    expect(r.problems).toBeUndefined();
    expect(r.settings).toMatchObject({
      namespace: 'observability',
      image: 'otel/opentelemetry-collector-contrib:0.108.0',
      gatewayReplicas: 3,
      samplerReplicas: 3,
      exporterPort: 4317,
      priorityClassName: 'nines-high',
      identity: { user: 10001, group: 10001, fsGroup: 10001 },
      otlpGrpcEndpoint: 'otel-gateway.observability.svc.example.internal:4317',
    });
    expect(r.settings!.sampling.samplerHost).toBe('otel-sampler-headless.observability.svc.example.internal');
  });

  test('otlphttp exports on 443 by default', () => {
    const r = resolveTraceCollectorProps('traces', { ...PROPS, exporter: { protocol: 'otlphttp', endpoint: 'https://traces.example.com', headersFromEnv: { 'x-scope-orgid': 'TRACES_TENANT' } } }, IN_REGION);
    expect(r.settings!.exporterPort).toBe(443);
  });

  test('every problem, in prop order, and no settings (a bad namespace once: the samplers\' host derived from it is not reported again)', () => {
    const r = resolveTraceCollectorProps('traces', {
      ...PROPS, namespace: 'Monitoring', samplerReplicas: 1, exporterCidrs: ['10.0.96.0'], envFromSecrets: {},
    }, IN_REGION);
    expect(r.settings).toBeUndefined();
    expect(r.problems!.map(p => `${p.prop} (${JSON.stringify(p.value)})`)).toEqual([
      'namespace ("Monitoring")', 'samplerReplicas (1)', 'exporterCidrs[0] ("10.0.96.0")', 'envFromSecrets.TRACES_TENANT (undefined)',
    ]);
  });
});
