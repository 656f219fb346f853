/**
 * The trace pipeline of one region: OpenTelemetry Collector gateway and tail-sampling tiers
 * (see lib/render/otel-collector.ts for why two tiers), each a hardened HA Deployment spread
 * across zones with a PDB and a default-deny NetworkPolicy.
 *
 * @see the case study, section 3.3 (distributed tracing, sampling strategy)
 */
import { createHash } from 'crypto';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { Checks } from '../checks/checks';
import { declareFlows } from '../checks/runtime/flows';
import { LABELS, MANAGED_BY } from '../core/labels';
import { OTEL_PORTS, TraceSamplingOptions, renderOtelCollectorConfigs } from '../render/otel-collector';
import { SecretKeySelector } from './crds/monitoring-stack';
import { PlatformContext } from './private/context';
import { adopt, resolveConstruct } from './private/resolve';
import { scrapeEndpoint, scrapeServices } from './private/scrape';
import { ResolvedTraceCollectorProps, resolveTraceCollectorProps } from './private/trace-collector-props';
import { HardenedDeploymentObjects, hardenedDeployment } from './private/workload';
import { ContainerResources, PodIdentity, ResolvedResources } from './workload-options';

/** Props of a {@link TraceCollector}. */
export interface TraceCollectorProps extends Omit<TraceSamplingOptions, 'samplerHost'> {
  /**
   * CIDRs of the trace backend (the samplers' only egress besides DNS).
   */
  readonly exporterCidrs: readonly string[];
  /**
   * TCP port of the trace backend.
   * @default 4317 for otlp, 443 for otlphttp
   */
  readonly exporterPort?: number;
  /**
   * Secrets filling the exporter's `headersFromEnv` variables, by variable name.
   * @default {}
   */
  readonly envFromSecrets?: Readonly<Record<string, SecretKeySelector>>;
  /**
   * Gateway replicas.
   * @default 3
   */
  readonly gatewayReplicas?: number;
  /**
   * Sampler replicas (each holds the traces routed to it).
   * @default 3
   */
  readonly samplerReplicas?: number;
  /**
   * Namespace.
   * @default the platform's monitoring namespace
   */
  readonly namespace?: string;
  /**
   * The collector image (contrib: it has the tail sampling and load-balancing components), pinned.
   * @default 'otel/opentelemetry-collector-contrib:0.108.0'
   */
  readonly image?: string;
  /**
   * Resources of each collector container.
   * @default cpu 250m / 1, memory 512Mi / 1Gi, ephemeral-storage 64Mi / 256Mi
   */
  readonly resources?: ContainerResources;
  /**
   * The non-root identity.
   * @default { user: 10001, group: 10001, fsGroup: 10001 }
   */
  readonly identity?: PodIdentity;
  /**
   * Priority class.
   * @default 'nines-high'
   */
  readonly priorityClassName?: string;
}

/** OpenTelemetry Collector gateway + tail-sampling tiers. */
export class TraceCollector extends Construct {
  public readonly namespace!: string;
  public readonly image!: string;
  public readonly gatewayReplicas!: number;
  public readonly samplerReplicas!: number;
  public readonly resources!: ResolvedResources;
  /** The OTLP endpoint services send traces to (gRPC). */
  public readonly otlpGrpcEndpoint!: string;
  public readonly gateway!: HardenedDeploymentObjects;
  public readonly sampler!: HardenedDeploymentObjects;

  constructor(scope: Construct, id: string, props: TraceCollectorProps) {
    super(scope, id);
    const resolved = resolveConstruct(this, 'TraceCollector', c => resolveTraceCollectorProps(id, props, c), props);
    if (!resolved.built) return resolved.placeholder;
    const { settings: s, context } = resolved;
    adopt(this, s, ['namespace', 'image', 'gatewayReplicas', 'samplerReplicas', 'resources', 'otlpGrpcEndpoint']);
    const configs = renderOtelCollectorConfigs(s.sampling);
    const sel = (name: string) => ({ [LABELS.name]: name, [LABELS.instance]: `${name}-${this.namespace}` });
    const gatewaySel = sel('otel-gateway');
    const samplerSel = sel('otel-sampler');
    const metricsFromMonitoring = { namespace: this.namespace, ports: [{ port: 'metrics', protocol: 'TCP' as const }] };
    const grpc = [{ port: 'otlp-grpc', protocol: 'TCP' as const }];

    this.gateway = this.tier(new Construct(this, 'Gateway'), s, context, {
      name: 'otel-gateway',
      selector: gatewaySel,
      replicas: this.gatewayReplicas,
      config: configs.gateway,
      ingress: [metricsFromMonitoring],
      // Every namespace's services send their spans here.
      extraIngress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 'otlp-grpc', protocol: 'TCP' }, { port: 'otlp-http', protocol: 'TCP' }] }],
      egress: [{ namespace: this.namespace, podLabels: samplerSel, ports: grpc }],
    });
    declareFlows(this, [{
      kind: 'dependency',
      from: { namespace: this.namespace, podLabels: gatewaySel },
      to: { namespace: this.namespace, podLabels: samplerSel },
      ports: grpc,
      why: 'the gateway load-balances spans by trace id to the tail samplers',
    }, {
      kind: 'telemetry',
      from: { namespace: this.namespace, podLabels: samplerSel },
      to: { name: `the trace backend (${props.exporter.endpoint})`, cidrs: s.exporterCidrs, hosts: [exporterHost(props.exporter.endpoint)] },
      ports: [{ port: s.exporterPort }],
      why: 'the samplers export the kept traces to the trace backend',
    }]);
    const samplerScope = new Construct(this, 'Sampler');
    this.sampler = this.tier(samplerScope, s, context, {
      name: 'otel-sampler',
      selector: samplerSel,
      replicas: this.samplerReplicas,
      config: configs.sampler,
      ingress: [metricsFromMonitoring, { namespace: this.namespace, podLabels: gatewaySel, ports: grpc }],
      egress: [{ cidrs: s.exporterCidrs, ports: [{ port: s.exporterPort, protocol: 'TCP' }] }],
      env: Object.entries(s.envFromSecrets).map(([name, secret]) => ({ name, valueFrom: { secretKeyRef: { name: secret.name, key: secret.key } } })),
    });
    new ApiObject(samplerScope, 'HeadlessService', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'otel-sampler-headless', namespace: this.namespace, labels: { ...samplerSel, ...COMMON_LABELS } },
      spec: {
        clusterIP: 'None',
        // Only ready replicas resolve; the gateway re-balances trace IDs when the set changes.
        publishNotReadyAddresses: false,
        selector: samplerSel,
        ports: [{ name: 'otlp-grpc', port: OTEL_PORTS.otlpGrpc, targetPort: 'otlp-grpc', protocol: 'TCP' }],
      },
    });
    Checks.of(this.node.root);
  }

  /** One collector tier in `construct`: its rendered configuration, the hardened Deployment and a ServiceMonitor. */
  private tier(construct: Construct, s: ResolvedTraceCollectorProps, ctx: PlatformContext, t: CollectorTier): HardenedDeploymentObjects {
    const { name, selector } = t;
    const data = stringify(t.config);
    const metadata = { name, namespace: this.namespace, labels: { ...selector, ...COMMON_LABELS } };
    new ApiObject(construct, 'ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { 'config.yaml': data } } as any);
    const objs = hardenedDeployment(construct, {
      name,
      namespace: this.namespace,
      labels: { ...selector, [LABELS.component]: name, ...COMMON_LABELS },
      selector,
      replicas: t.replicas,
      image: this.image,
      args: ['--config=/etc/otelcol/config.yaml'],
      ports: COLLECTOR_PORTS,
      liveness: { path: '/metrics', port: 'metrics' },
      readiness: { path: '/', port: 'health' },
      resources: this.resources,
      identity: s.identity,
      priorityClassName: s.priorityClassName,
      configMap: { name, mountPath: '/etc/otelcol' },
      ingress: t.ingress,
      extraIngress: t.extraIngress,
      egress: t.egress,
      env: t.env,
      meshNamespace: ctx.meshNamespace,
      distroless: true,
      // Roll the pods when the rendered configuration changes.
      annotations: { 'nines.dev/config-hash': hash(data) },
    });
    scrapeServices(construct, { metadata, selector, endpoints: [scrapeEndpoint('metrics', '30s', '10s')] });
    return objs;
  }
}

/** One collector tier: its name and pods, replicas, configuration and traffic. */
interface CollectorTier {
  readonly name: string;
  readonly selector: Record<string, string>;
  readonly replicas: number;
  readonly config: Record<string, any>;
  readonly ingress: any[];
  readonly extraIngress?: any[];
  readonly egress: any[];
  readonly env?: any[];
}

/** The labels of every object of the pipeline (with the tier's own). */
const COMMON_LABELS = { [LABELS.partOf]: 'monitoring', [LABELS.managedBy]: MANAGED_BY };
const COLLECTOR_PORTS = [
  { name: 'otlp-grpc', port: OTEL_PORTS.otlpGrpc },
  { name: 'otlp-http', port: OTEL_PORTS.otlpHttp },
  { name: 'health', port: OTEL_PORTS.health },
  { name: 'metrics', port: OTEL_PORTS.metrics },
];

/** The host name of an exporter endpoint (`host:port` for otlp, a URL for otlphttp). */
function exporterHost(endpoint: string): string {
  return endpoint.replace(/^[a-z]+:\/\//, '').replace(/[:/].*$/, '');
}

/** A short stable hash (sha256, first 8 hex digits) of a string. */
function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}
