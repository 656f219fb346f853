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
import { ContainerResources, PodIdentity, ResolvedResources, identityProblems, imageProblems, resolveResources, resourceProblems } from './workload-options';
import { Checks } from '../checks/checks';
import { declareFlows } from '../checks/runtime/flows';
import { Problems } from '../core/errors';
import { LABELS, MANAGED_BY, isDnsLabel } from '../core/labels';
import { OTEL_PORTS, TraceSamplingOptions, renderOtelCollectorConfigs, traceSamplingProblems } from '../render/otel-collector';
import { ServiceMonitor } from './crds/monitoring';
import { SecretKeySelector } from './crds/monitoring-stack';
import { platformContext } from './private/context';
import { HardenedDeploymentObjects, hardenedDeployment } from './private/workload';

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

const DEFAULT_RESOURCES: ContainerResources = { cpu: { request: '250m', limit: '1' }, memory: { request: '512Mi', limit: '1Gi' }, ephemeralStorage: { request: '64Mi', limit: '256Mi' } };

/** OpenTelemetry Collector gateway + tail-sampling tiers. */
export class TraceCollector extends Construct {
  public readonly namespace: string;
  public readonly image: string;
  public readonly gatewayReplicas: number;
  public readonly samplerReplicas: number;
  public readonly resources: ResolvedResources;
  /** The OTLP endpoint services send traces to (gRPC). */
  public readonly otlpGrpcEndpoint: string;
  public readonly gateway: HardenedDeploymentObjects;
  public readonly sampler: HardenedDeploymentObjects;

  constructor(scope: Construct, id: string, props: TraceCollectorProps) {
    super(scope, id);
    const ctx = platformContext(this);
    const problems = new Problems('TraceCollector', this.node.path);
    this.namespace = props.namespace ?? ctx.monitoringNamespace;
    this.image = props.image ?? 'otel/opentelemetry-collector-contrib:0.108.0';
    this.gatewayReplicas = props.gatewayReplicas ?? 3;
    this.samplerReplicas = props.samplerReplicas ?? 3;
    this.resources = resolveResources(props.resources, DEFAULT_RESOURCES);
    const identity = { user: 10001, group: 10001, fsGroup: 10001, ...props.identity };
    const priorityClassName = props.priorityClassName ?? 'nines-high';
    const protocol = props.exporter?.protocol ?? 'otlp';
    const exporterPort = props.exporterPort ?? (protocol === 'otlp' ? 4317 : 443);
    const clusterDomain = ctx.clusterDomain;
    const samplerHost = `otel-sampler-headless.${this.namespace}.svc.${clusterDomain}`;

    problems.when(!isDnsLabel(this.namespace), 'namespace', this.namespace, 'is not a DNS label', 'use e.g. "monitoring"');
    problems.addAll(imageProblems('image', this.image));
    problems.addAll(resourceProblems('resources', this.resources));
    problems.addAll(identityProblems('identity', identity));
    problems.addAll(traceSamplingProblems({ ...props, samplerHost }));
    for (const [prop, n] of [['gatewayReplicas', this.gatewayReplicas], ['samplerReplicas', this.samplerReplicas]] as const) {
      problems.when(!Number.isInteger(n) || n < 2, prop, n, 'must be an integer >= 2 (one replica is a single point of failure for tracing)', 'use 2 or more');
    }
    problems.when(!Number.isInteger(exporterPort) || exporterPort < 1 || exporterPort > 65535, 'exporterPort', exporterPort, 'is not a TCP port', 'use e.g. 4317');
    problems.when(!Array.isArray(props.exporterCidrs) || props.exporterCidrs.length === 0, 'exporterCidrs', props.exporterCidrs,
      'is empty, so the NetworkPolicy would block the trace backend', 'give the backend\'s CIDRs, e.g. ["10.0.96.0/20"]');
    (props.exporterCidrs ?? []).forEach((c, i) => problems.when(!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(c), `exporterCidrs[${i}]`, c, 'is not an IPv4 CIDR', 'give e.g. "10.0.96.0/20"'));
    const needed = Object.values(props.exporter?.headersFromEnv ?? {});
    for (const env of needed) {
      const s = props.envFromSecrets?.[env];
      problems.when(!s || !isDnsLabel(s.name) || !/^[-._a-zA-Z0-9]+$/.test(s.key ?? ''), `envFromSecrets.${env}`, s,
        'must name the Secret key the exporter header variable is read from', 'give e.g. { name: "trace-backend", key: "token" }');
    }
    if (problems.count > 0) {
      scope.node.tryRemoveChild(id);
      problems.throwIfAny();
    }

    const configs = renderOtelCollectorConfigs({ ...props, samplerHost });
    const common = { [LABELS.partOf]: 'monitoring', [LABELS.managedBy]: MANAGED_BY };
    const sel = (name: string) => ({ [LABELS.name]: name, [LABELS.instance]: `${name}-${this.namespace}` });
    const gatewaySel = sel('otel-gateway');
    const samplerSel = sel('otel-sampler');
    const ports = [
      { name: 'otlp-grpc', port: OTEL_PORTS.otlpGrpc },
      { name: 'otlp-http', port: OTEL_PORTS.otlpHttp },
      { name: 'health', port: OTEL_PORTS.health },
      { name: 'metrics', port: OTEL_PORTS.metrics },
    ];
    const metricsFromMonitoring = { namespace: this.namespace, ports: [{ port: 'metrics', protocol: 'TCP' as const }] };
    const env = Object.entries(props.envFromSecrets ?? {}).map(([name, s]) => ({ name, valueFrom: { secretKeyRef: { name: s.name, key: s.key } } }));

    const tier = (construct: Construct, name: string, selector: Record<string, string>, replicas: number, config: Record<string, any>, extra: {
      ingress: any[]; extraIngress?: any[]; egress: any[]; env?: any[];
    }) => {
      const data = stringify(config);
      new ApiObject(construct, 'ConfigMap', {
        apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: this.namespace, labels: { ...selector, ...common } }, data: { 'config.yaml': data },
      } as any);
      const objs = hardenedDeployment(construct, {
        name,
        namespace: this.namespace,
        labels: { ...selector, [LABELS.component]: name, ...common },
        selector,
        replicas,
        image: this.image,
        args: ['--config=/etc/otelcol/config.yaml'],
        ports,
        liveness: { path: '/metrics', port: 'metrics' },
        readiness: { path: '/', port: 'health' },
        resources: this.resources,
        identity,
        priorityClassName,
        configMap: { name, mountPath: '/etc/otelcol' },
        ingress: extra.ingress,
        extraIngress: extra.extraIngress,
        egress: extra.egress,
        env: extra.env,
        meshNamespace: ctx.meshNamespace,
        distroless: true,
        // Roll the pods when the rendered configuration changes.
        annotations: { 'nines.dev/config-hash': hash(data) },
      });
      new ServiceMonitor(construct, 'ServiceMonitor', {
        metadata: { name, namespace: this.namespace, labels: { ...selector, ...common } },
        spec: {
          selector: { matchLabels: selector },
          namespaceSelector: { matchNames: [this.namespace] },
          endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }],
          jobLabel: LABELS.name,
        },
      });
      return objs;
    };

    const grpc = [{ port: 'otlp-grpc', protocol: 'TCP' as const }];
    this.gateway = tier(new Construct(this, 'Gateway'), 'otel-gateway', gatewaySel, this.gatewayReplicas, configs.gateway, {
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
    }]);
    const samplerScope = new Construct(this, 'Sampler');
    this.sampler = tier(samplerScope, 'otel-sampler', samplerSel, this.samplerReplicas, configs.sampler, {
      ingress: [metricsFromMonitoring, { namespace: this.namespace, podLabels: gatewaySel, ports: grpc }],
      egress: [{ cidrs: props.exporterCidrs, ports: [{ port: exporterPort, protocol: 'TCP' }] }],
      env,
    });
    new ApiObject(samplerScope, 'HeadlessService', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'otel-sampler-headless', namespace: this.namespace, labels: { ...samplerSel, ...common } },
      spec: {
        clusterIP: 'None',
        // Only ready replicas resolve; the gateway re-balances trace IDs when the set changes.
        publishNotReadyAddresses: false,
        selector: samplerSel,
        ports: [{ name: 'otlp-grpc', port: OTEL_PORTS.otlpGrpc, targetPort: 'otlp-grpc', protocol: 'TCP' }],
      },
    });
    this.otlpGrpcEndpoint = `otel-gateway.${this.namespace}.svc.${clusterDomain}:${OTEL_PORTS.otlpGrpc}`;
    Checks.of(this.node.root);
  }
}

/** A short stable hash (sha256, first 8 hex digits) of a string. */
function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}
