/*
 * Internal: The pure props resolver of {@link TraceCollector}: every default applied once
 * (namespace, image, replicas, the exporter's port, the samplers' host), every problem collected,
 * nothing built.
 */
import { cidrListProblems } from '../../core/cidr';
import { Problems } from '../../core/errors';
import { derivedNameProblems, instanceLabelOf, isDnsLabel } from '../../core/labels';
import { OTEL_PORTS, TraceSamplingOptions, traceSamplingProblems } from '../../render/otel-collector';
import type { SecretKeySelector } from '../crds/monitoring-stack';
import type { TraceCollectorProps } from '../trace-collector';
import { PlatformContext } from './context';
import { Resolution, resolution } from './resolve';
import { resolveIdentity } from './stateful';
import { typedProps, withTypeProblems } from '../../core/prop-types';
import {
  ContainerResources, PodIdentity, ResolvedResources, identityProblems, imageProblems, resolveResources, resourceProblems,
  IDENTITY_TYPES, RESOURCES_TYPES,
} from '../workload-options';

const DEFAULT_RESOURCES: ContainerResources = {
  cpu: { request: '250m', limit: '1' }, memory: { request: '512Mi', limit: '1Gi' }, ephemeralStorage: { request: '64Mi', limit: '256Mi' },
};

/** {@link TraceCollectorProps} with every default applied. */
export interface ResolvedTraceCollectorProps {
  readonly namespace: string;
  readonly image: string;
  readonly gatewayReplicas: number;
  readonly samplerReplicas: number;
  readonly resources: ResolvedResources;
  readonly identity: Required<PodIdentity>;
  readonly priorityClassName: string;
  readonly exporterCidrs: readonly string[];
  readonly exporterPort: number;
  readonly envFromSecrets: Readonly<Record<string, SecretKeySelector>>;
  /** What the collector configurations are rendered from (the samplers' headless Service as their host). */
  readonly sampling: TraceSamplingOptions;
  /** The OTLP gRPC endpoint of the gateway, under the context's cluster domain. */
  readonly otlpGrpcEndpoint: string;
}

/** Resolves `props` of the TraceCollector with id `id` in `context`, or returns every problem. */
export function resolveTraceCollectorProps(
  id: string, given: TraceCollectorProps, context: PlatformContext,
): Resolution<ResolvedTraceCollectorProps> {
  const { props, problems: typeProblems } = typedProps(given, {
    exporter: { protocol: 'string', endpoint: 'string', tls: 'boolean', headersFromEnv: { record: 'string' } },
    baseRatePercent: 'number',
    slowThresholdMs: 'number',
    decisionWait: 'string',
    numTraces: 'number',
    exporterCidrs: ['string'],
    exporterPort: 'number',
    envFromSecrets: { record: { name: 'string', key: 'string' } },
    gatewayReplicas: 'number',
    samplerReplicas: 'number',
    namespace: 'string',
    image: 'string',
    resources: RESOURCES_TYPES,
    identity: IDENTITY_TYPES,
    priorityClassName: 'string',
  });
  const problems = new Problems('TraceCollector', id);
  const namespace = props.namespace ?? context.monitoringNamespace;
  const image = props.image ?? 'otel/opentelemetry-collector-contrib:0.108.0';
  const gatewayReplicas = props.gatewayReplicas ?? 3;
  const samplerReplicas = props.samplerReplicas ?? 3;
  const resources = resolveResources(props.resources, DEFAULT_RESOURCES);
  const identity = resolveIdentity(props.identity);
  const exporterPort = props.exporterPort ?? ((props.exporter?.protocol ?? 'otlp') === 'otlp' ? 4317 : 443);
  const sampling = { ...props, samplerHost: `otel-sampler-headless.${namespace}.svc.${context.clusterDomain}` };

  if (!problems.when(!isDnsLabel(namespace), 'namespace', namespace, 'is not a DNS label', 'use e.g. "monitoring"')) {
    // The gateway's and the sampler's instance labels: `otel-gateway-<namespace>`, `otel-sampler-<namespace>`.
    problems.addAll(derivedNameProblems('namespace', namespace, [
      { value: instanceLabelOf('otel-sampler', namespace), what: 'the sampler\'s app.kubernetes.io/instance label', limit: 63 },
    ]));
  }
  problems.addAll(imageProblems('image', image));
  problems.addAll(resourceProblems('resources', resources));
  problems.addAll(identityProblems('identity', identity));
  // samplerHost is derived from the namespace (reported above under its own name), never given.
  problems.addAll(traceSamplingProblems({ ...sampling, samplerHost: undefined }));
  for (const [prop, n] of [['gatewayReplicas', gatewayReplicas], ['samplerReplicas', samplerReplicas]] as const) {
    problems.when(!Number.isInteger(n) || n < 2, prop, n, 'must be an integer >= 2 (one replica is a single point of failure for tracing)', 'use 2 or more');
  }
  problems.when(!Number.isInteger(exporterPort) || exporterPort < 1 || exporterPort > 65535, 'exporterPort', exporterPort, 'is not a TCP port', 'use e.g. 4317');
  problems.when(!Array.isArray(props.exporterCidrs) || props.exporterCidrs.length === 0, 'exporterCidrs', props.exporterCidrs,
    'is empty, so the NetworkPolicy would block the trace backend', 'give the backend\'s CIDRs, e.g. ["10.0.96.0/20"]');
  problems.addAll(cidrListProblems('exporterCidrs', props.exporterCidrs ?? [], '10.0.96.0/20'));
  for (const env of Object.values(props.exporter?.headersFromEnv ?? {})) {
    const secret = props.envFromSecrets?.[env];
    problems.when(!secret || !isDnsLabel(secret.name) || !/^[-._a-zA-Z0-9]+$/.test(secret.key ?? ''), `envFromSecrets.${env}`, secret,
      'must name the Secret key the exporter header variable is read from', 'give e.g. { name: "trace-backend", key: "token" }');
  }
  return resolution(withTypeProblems(typeProblems, problems.all), () => ({
    namespace,
    image,
    gatewayReplicas,
    samplerReplicas,
    resources,
    identity,
    priorityClassName: props.priorityClassName ?? 'nines-high',
    exporterCidrs: props.exporterCidrs,
    exporterPort,
    envFromSecrets: props.envFromSecrets ?? {},
    sampling,
    otlpGrpcEndpoint: `otel-gateway.${namespace}.svc.${context.clusterDomain}:${OTEL_PORTS.otlpGrpc}`,
  }));
}
