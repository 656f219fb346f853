/**
 * OpenTelemetry Collector configurations for tail-sampled tracing, rendered by pure functions.
 *
 * Tail sampling decides per trace, so every span of a trace must reach the same collector. With
 * more than one replica (HA) that takes two tiers:
 *
 * 1. **gateway** (stateless, any replica): receives OTLP from the services and forwards each
 *    span with the `loadbalancing` exporter, routed by trace ID to one sampler replica (found
 *    through the samplers' headless Service by DNS);
 * 2. **sampler**: holds each trace for `decisionWait`, then keeps it if any policy says so:
 *    - `errors`: any span with status ERROR (always kept),
 *    - `slow`: the trace lasted at least `slowThresholdMs` (always kept),
 *    - `base-rate`: the rest, at `baseRatePercent` (hash of the trace ID, so consistent);
 *    and exports the kept traces to the configured backend.
 *
 * This is the case study's adaptive sampler with its adaptation left out: the collector has no
 * feedback loop on the error rate, so the base rate is fixed (the case study starts at 0.1 %
 * and adapts between 0.1 % and 10 %; errors and slow traces are always kept either way).
 *
 * @see the case study, section 3.3 (trace sampling strategy: `ProbabilisticSampler`)
 * @see https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/processor/tailsamplingprocessor
 */
import { Problem, Problems } from '../core/errors';

/** Where kept traces go. */
export interface TraceExporter {
  /**
   * `otlp` (gRPC) or `otlphttp`.
   * @default 'otlp'
   */
  readonly protocol?: 'otlp' | 'otlphttp';
  /** The backend endpoint: `host:port` for gRPC, an `https://` URL for HTTP. */
  readonly endpoint: string;
  /**
   * Verify TLS (false only for an in-cluster plaintext backend).
   * @default true
   */
  readonly tls?: boolean;
  /**
   * Headers set from environment variables (filled from Secrets by the Deployment), e.g.
   * `{ authorization: 'TRACES_AUTH' }`.
   * @default {}
   */
  readonly headersFromEnv?: Readonly<Record<string, string>>;
}

/** Options of {@link renderOtelCollectorConfigs}. */
export interface TraceSamplingOptions {
  /** The backend. */
  readonly exporter: TraceExporter;
  /**
   * Share of the remaining (fast, successful) traces kept, in percent.
   * @default 0.1 (the case study's initial rate, 0.001)
   */
  readonly baseRatePercent?: number;
  /**
   * A trace at least this long (ms, first span start to last span end) is always kept.
   * @default 1000 (the case study's P2 latency threshold: p95 > 1 s)
   */
  readonly slowThresholdMs?: number;
  /**
   * How long a sampler waits for a trace's spans before deciding.
   * @default '10s'
   */
  readonly decisionWait?: string;
  /**
   * Traces held in memory per sampler.
   * @default 50000
   */
  readonly numTraces?: number;
  /**
   * DNS name of the samplers' headless Service (the gateway resolves replicas through it).
   * @default 'otel-sampler-headless'
   */
  readonly samplerHost?: string;
}

/** The two rendered configurations. */
export interface OtelCollectorConfigs {
  readonly gateway: Record<string, any>;
  readonly sampler: Record<string, any>;
}

/** Ports the collectors listen on. */
export const OTEL_PORTS = { otlpGrpc: 4317, otlpHttp: 4318, health: 13133, metrics: 8888 } as const;

/** Validates the options; returns every problem. */
export function traceSamplingProblems(o: TraceSamplingOptions): Problem[] {
  const p: Problem[] = [];
  const e = o.exporter ?? ({} as TraceExporter);
  const protocol = e.protocol ?? 'otlp';
  if (protocol !== 'otlp' && protocol !== 'otlphttp') p.push({ prop: 'exporter.protocol', value: protocol, why: 'is not a supported exporter', fix: 'use "otlp" or "otlphttp"' });
  if (protocol === 'otlp' && !(typeof e.endpoint === 'string' && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:\d{1,5}$/.test(e.endpoint))) {
    p.push({ prop: 'exporter.endpoint', value: e.endpoint, why: 'is not a host:port gRPC endpoint', fix: 'give e.g. "tempo-distributor.tracing.svc:4317"' });
  }
  if (protocol === 'otlphttp' && !(typeof e.endpoint === 'string' && /^https?:\/\/[^\s/]+(\/\S*)?$/.test(e.endpoint))) {
    p.push({ prop: 'exporter.endpoint', value: e.endpoint, why: 'is not an http(s) URL', fix: 'give e.g. "https://traces.example.com"' });
  }
  for (const [h, env] of Object.entries(e.headersFromEnv ?? {})) {
    if (!/^[A-Za-z0-9-]+$/.test(h)) p.push({ prop: `exporter.headersFromEnv.${h}`, value: h, why: 'is not a header name', fix: 'use e.g. "authorization"' });
    if (!/^[A-Z_][A-Z0-9_]*$/.test(env)) p.push({ prop: `exporter.headersFromEnv.${h}`, value: env, why: 'is not an environment variable name', fix: 'use e.g. "TRACES_AUTH"' });
  }
  const rate = o.baseRatePercent ?? 0.1;
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 100)) p.push({ prop: 'baseRatePercent', value: rate, why: 'must be a percentage between 0 and 100', fix: 'use e.g. 0.1 (the case study\'s 0.001)' });
  const slow = o.slowThresholdMs ?? 1000;
  if (!Number.isInteger(slow) || slow <= 0) p.push({ prop: 'slowThresholdMs', value: slow, why: 'must be a positive whole number of milliseconds', fix: 'use e.g. 1000' });
  if (!/^\d+(ms|s|m)$/.test(o.decisionWait ?? '10s')) p.push({ prop: 'decisionWait', value: o.decisionWait, why: 'is not a duration', fix: 'use e.g. "10s"' });
  const n = o.numTraces ?? 50000;
  if (!Number.isInteger(n) || n < 1000) p.push({ prop: 'numTraces', value: n, why: 'must be an integer >= 1000', fix: 'use e.g. 50000' });
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(o.samplerHost ?? 'otel-sampler-headless')) {
    p.push({ prop: 'samplerHost', value: o.samplerHost, why: 'is not a DNS name', fix: 'use the headless Service\'s name' });
  }
  return p;
}

function common(): Record<string, any> {
  return {
    receivers: {
      otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${OTEL_PORTS.otlpGrpc}` }, http: { endpoint: `0.0.0.0:${OTEL_PORTS.otlpHttp}` } } },
    },
    extensions: { health_check: { endpoint: `0.0.0.0:${OTEL_PORTS.health}` } },
    processors: {
      // Refuse data before the container's memory limit kills the process.
      memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 20 },
    },
  };
}

function telemetry(): Record<string, any> {
  return { metrics: { level: 'normal', address: `0.0.0.0:${OTEL_PORTS.metrics}` }, logs: { encoding: 'json' } };
}

/**
 * Renders the gateway and sampler configurations.
 * @throws ValidationError listing every bad option.
 */
export function renderOtelCollectorConfigs(options: TraceSamplingOptions): OtelCollectorConfigs {
  const problems = new Problems('renderOtelCollectorConfigs', 'options');
  problems.addAll(traceSamplingProblems(options));
  problems.throwIfAny();

  const e = options.exporter;
  const protocol = e.protocol ?? 'otlp';
  const headers = Object.fromEntries(Object.entries(e.headersFromEnv ?? {}).map(([h, env]) => [h, `\${env:${env}}`]));
  const exporter: Record<string, unknown> = {
    endpoint: e.endpoint,
    ...(protocol === 'otlp' ? { tls: { insecure: e.tls === false } } : {}),
    ...(Object.keys(headers).length ? { headers } : {}),
    sending_queue: { enabled: true, num_consumers: 10, queue_size: 5000 },
    retry_on_failure: { enabled: true, initial_interval: '5s', max_interval: '30s', max_elapsed_time: '300s' },
  };

  const gateway = {
    ...common(),
    exporters: {
      loadbalancing: {
        routing_key: 'traceID',
        protocol: { otlp: { tls: { insecure: true }, timeout: '5s' } },
        resolver: { dns: { hostname: options.samplerHost ?? 'otel-sampler-headless', port: String(OTEL_PORTS.otlpGrpc) } },
      },
    },
    service: {
      extensions: ['health_check'],
      telemetry: telemetry(),
      pipelines: { traces: { receivers: ['otlp'], processors: ['memory_limiter'], exporters: ['loadbalancing'] } },
    },
  };

  const sampler = {
    ...common(),
    processors: {
      ...common().processors,
      tail_sampling: {
        decision_wait: options.decisionWait ?? '10s',
        num_traces: options.numTraces ?? 50000,
        expected_new_traces_per_sec: 1000,
        // A trace is kept when any policy samples it.
        policies: [
          { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
          { name: 'slow', type: 'latency', latency: { threshold_ms: options.slowThresholdMs ?? 1000 } },
          { name: 'base-rate', type: 'probabilistic', probabilistic: { sampling_percentage: options.baseRatePercent ?? 0.1 } },
        ],
      },
      batch: { send_batch_size: 8192, timeout: '5s' },
    },
    exporters: { [protocol]: exporter },
    service: {
      extensions: ['health_check'],
      telemetry: telemetry(),
      pipelines: { traces: { receivers: ['otlp'], processors: ['memory_limiter', 'tail_sampling', 'batch'], exporters: [protocol] } },
    },
  };
  return { gateway, sampler };
}
