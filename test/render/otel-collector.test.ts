import * as fc from 'fast-check';
import { ValidationError } from '../../lib/core/errors';
import { OTEL_PORTS, renderOtelCollectorConfigs } from '../../lib/render/otel-collector';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('renderOtelCollectorConfigs defaults', () => {
  const { gateway, sampler } = renderOtelCollectorConfigs({ exporter: { endpoint: 'tempo:4317' } });

  test('both tiers receive OTLP on 4317/4318, report health on 13133 and metrics on 8888', () => {
    for (const cfg of [gateway, sampler]) {
      expect(cfg.receivers).toEqual({ otlp: { protocols: { grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } } } });
      expect(cfg.extensions).toEqual({ health_check: { endpoint: '0.0.0.0:13133' } });
      expect(cfg.service.telemetry.metrics.address).toBe('0.0.0.0:8888');
      expect(cfg.processors.memory_limiter).toEqual({ check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 20 });
      expect(cfg.service.extensions).toEqual(['health_check']);
    }
    expect(OTEL_PORTS).toEqual({ otlpGrpc: 4317, otlpHttp: 4318, health: 13133, metrics: 8888 });
  });

  test('gateway: load-balances by trace ID, no sampling', () => {
    expect(gateway.service.pipelines).toEqual({ traces: { receivers: ['otlp'], processors: ['memory_limiter'], exporters: ['loadbalancing'] } });
    expect(gateway.exporters.loadbalancing.routing_key).toBe('traceID');
    expect(gateway.exporters.loadbalancing.resolver).toEqual({ dns: { hostname: 'otel-sampler-headless', port: '4317' } });
    expect(gateway.processors.tail_sampling).toBeUndefined();
  });

  test('sampler: errors and slow (1 s) always, the rest at 0.1 %, 10 s decision wait', () => {
    expect(sampler.processors.tail_sampling).toEqual({
      decision_wait: '10s',
      num_traces: 50000,
      expected_new_traces_per_sec: 1000,
      policies: [
        { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
        { name: 'slow', type: 'latency', latency: { threshold_ms: 1000 } },
        { name: 'base-rate', type: 'probabilistic', probabilistic: { sampling_percentage: 0.1 } },
      ],
    });
    expect(sampler.service.pipelines.traces).toEqual({ receivers: ['otlp'], processors: ['memory_limiter', 'tail_sampling', 'batch'], exporters: ['otlp'] });
    expect(sampler.exporters.otlp).toEqual({
      endpoint: 'tempo:4317',
      tls: { insecure: false },
      sending_queue: { enabled: true, num_consumers: 10, queue_size: 5000 },
      retry_on_failure: { enabled: true, initial_interval: '5s', max_interval: '30s', max_elapsed_time: '300s' },
    });
  });
});

test('otlphttp exporter with headers from the environment', () => {
  const { sampler } = renderOtelCollectorConfigs({
    exporter: { protocol: 'otlphttp', endpoint: 'https://traces.example.com', headersFromEnv: { authorization: 'TRACES_AUTH' } },
    baseRatePercent: 5,
    slowThresholdMs: 500,
    decisionWait: '30s',
    numTraces: 100000,
    samplerHost: 'samplers.monitoring.svc',
  });
  expect(sampler.exporters.otlphttp).toMatchObject({ endpoint: 'https://traces.example.com', headers: { authorization: '${env:TRACES_AUTH}' } });
  expect(sampler.exporters.otlphttp.tls).toBeUndefined();
  expect(sampler.service.pipelines.traces.exporters).toEqual(['otlphttp']);
  expect(sampler.processors.tail_sampling).toMatchObject({ decision_wait: '30s', num_traces: 100000 });
  expect(sampler.processors.tail_sampling.policies[1].latency.threshold_ms).toBe(500);
  expect(sampler.processors.tail_sampling.policies[2].probabilistic.sampling_percentage).toBe(5);
});

test('bad options: every problem listed', () => {
  const e = errorOf(() => renderOtelCollectorConfigs({
    exporter: { endpoint: 'https://x', headersFromEnv: { 'bad header': 'lower' } }, baseRatePercent: -1, slowThresholdMs: 1.5, decisionWait: 'soon', numTraces: 10,
  }));
  expect(e).toBeInstanceOf(ValidationError);
  expect(e.message).toBe([
    "renderOtelCollectorConfigs 'options': 7 problems:",
    ' - exporter.endpoint ("https://x") is not a host:port gRPC endpoint; give e.g. "tempo-distributor.tracing.svc:4317"',
    ' - exporter.headersFromEnv.bad header ("bad header") is not a header name; use e.g. "authorization"',
    ' - exporter.headersFromEnv.bad header ("lower") is not an environment variable name; use e.g. "TRACES_AUTH"',
    ' - baseRatePercent (-1) must be a percentage between 0 and 100; use e.g. 0.1 (the case study\'s 0.001)',
    ' - slowThresholdMs (1.5) must be a positive whole number of milliseconds; use e.g. 1000',
    ' - decisionWait ("soon") is not a duration; use e.g. "10s"',
    ' - numTraces (10) must be an integer >= 1000; use e.g. 50000',
  ].join('\n'));
});

test('property: errors and slow traces are always kept whatever the base rate', () => {
  fc.assert(fc.property(fc.double({ min: 0, max: 100, noNaN: true }), fc.integer({ min: 1, max: 60000 }), (rate, slow) => {
    const { sampler } = renderOtelCollectorConfigs({ exporter: { endpoint: 'tempo:4317' }, baseRatePercent: rate, slowThresholdMs: slow });
    const policies = sampler.processors.tail_sampling.policies;
    expect(policies.map((p: any) => p.type)).toEqual(['status_code', 'latency', 'probabilistic']);
    expect(policies[0].status_code.status_codes).toEqual(['ERROR']);
    expect(policies[1].latency.threshold_ms).toBe(slow);
    expect(policies[2].probabilistic.sampling_percentage).toBe(rate);
  }), { numRuns: 100 });
});
