/**
 * The node log shipper: a Fluent Bit DaemonSet with the least privilege a log reader needs.
 *
 * What it may do, and why:
 * - **read** `/var/log` of its node through a read-only hostPath mount (container logs live in
 *   `/var/log/pods`, linked from `/var/log/containers`). hostPath is outside the "restricted"
 *   Pod Security profile; the exception is recorded as a suppression of NINES-PSS-04 with this
 *   reason. The mount is read-only and nothing else of the host is mounted.
 * - **not run as root**: kubelet writes the log files `root:root 0640`; the pod runs as UID/GID
 *   10001 with supplemental group 0, which grants read through the files' group bit and nothing
 *   else (no capability, no privilege escalation, read-only root filesystem).
 * - **call the API** (get/list/watch pods and namespaces) for the `kubernetes` filter's
 *   metadata: the service account token is mounted (NINES-HARD-03 suppressed with that reason).
 * - keep its tail offsets and filesystem buffer in an emptyDir (survives container restarts; a
 *   replaced pod re-reads from the tail, accepting a gap instead of a writable host path).
 *
 * Plus: the rendered configuration (JSON parsing, redaction) in a ConfigMap, the log store's
 * password from a Secret, the index lifecycle policy in a ConfigMap for the store's bootstrap,
 * a Service and ServiceMonitor for its metrics, and a default-deny NetworkPolicy.
 *
 * @see the case study, section 3.2
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { Checks } from '../checks/checks';
import { declareFlows } from '../checks/runtime/flows';
import { cidrListProblems } from '../core/cidr';
import { Problems } from '../core/errors';
import { LABELS, MANAGED_BY, instanceLabelProblems, isDnsLabel } from '../core/labels';
import { FluentBitFiles, FluentBitOptions, LogLifecycleTiers, fluentBitProblems, renderFluentBitConfig, renderIndexLifecyclePolicy } from '../render/fluent-bit';
import { SecretKeySelector } from './crds/monitoring-stack';
import { PlatformContext } from './private/context';
import { renderNetworkPolicySpec } from './private/network';
import { podSecurityContext } from './private/pod';
import { Resolution, adopt, resolution, resolveConstruct } from './private/resolve';
import { scrapeEndpoint, scrapeServices } from './private/scrape';
import { hardenedContainer } from './private/workload';
import {
  ContainerResources, IDENTITY_TYPES, PodIdentity, RESOURCES_TYPES, ResolvedResources, identityProblems, imageProblems, resolveResources,
  resourceProblems,
} from './workload-options';
import { typedProps, withTypeProblems } from '../core/prop-types';

/** Props of a {@link LogShipper}. */
export interface LogShipperProps extends FluentBitOptions {
  /** The Secret key holding the log store's password. */
  readonly passwordSecret: SecretKeySelector;
  /**
   * CIDRs of the log store (the only egress besides DNS and the API server).
   * @see ExternalEndpoint for the same idea on services
   */
  readonly outputCidrs: readonly string[];
  /**
   * CIDRs of the Kubernetes API server endpoints (for pod metadata).
   * @default the region's VPC CIDR (EKS control-plane ENIs live there), else none
   */
  readonly apiServerCidrs?: readonly string[];
  /**
   * Retention tiers of the log store.
   * @default DEFAULT_LOG_TIERS (hot 7 d, warm to 30 d, cold to 90 d, then delete)
   */
  readonly lifecycle?: LogLifecycleTiers;
  /**
   * Name.
   * @default 'fluent-bit'
   */
  readonly name?: string;
  /**
   * Namespace. Not the monitoring namespace: a Bulkhead namespace enforces the restricted Pod
   * Security profile, which refuses any hostPath.
   * @default 'logging'
   */
  readonly namespace?: string;
  /**
   * Create the namespace, with Pod Security Admission enforcing `privileged` (hostPath is
   * refused even by `baseline`) and auditing and warning at `restricted`, so only the log reader
   * belongs there.
   * @default true
   */
  readonly createNamespace?: boolean;
  /**
   * The Fluent Bit image, pinned.
   * @default 'cr.fluentbit.io/fluent/fluent-bit:3.1.9'
   */
  readonly image?: string;
  /**
   * Container resources.
   * @default cpu 100m / 500m, memory 128Mi / 256Mi, ephemeral-storage 128Mi / 1Gi
   */
  readonly resources?: ContainerResources;
  /**
   * The non-root identity (the supplemental group 0 for reading logs is added regardless).
   * @default { user: 10001, group: 10001, fsGroup: 10001 }
   */
  readonly identity?: PodIdentity;
  /**
   * Priority class (losing the shipper loses logs).
   * @default 'nines-critical'
   */
  readonly priorityClassName?: string;
}

const DEFAULT_RESOURCES: ContainerResources = { cpu: { request: '100m', limit: '500m' }, memory: { request: '128Mi', limit: '256Mi' }, ephemeralStorage: { request: '128Mi', limit: '1Gi' } };

/** The reason recorded for the hostPath exception. */
export const LOG_READER_HOSTPATH_REASON = 'a node log shipper must read the container logs kubelet writes to the node\'s /var/log; '
  + 'the only hostPath is /var/log, mounted read-only, and the pod runs as non-root with no capabilities';
/** The reason recorded for the mounted service account token. */
export const LOG_READER_TOKEN_REASON = 'the Fluent Bit kubernetes filter calls the API server to add pod metadata to each record; '
  + 'its ClusterRole allows only get/list/watch on pods and namespaces';

/** A Fluent Bit DaemonSet shipping every node's container logs, parsed and redacted. */
export class LogShipper extends Construct {
  public readonly name!: string;
  public readonly namespace!: string;
  public readonly image!: string;
  public readonly resources!: ResolvedResources;
  public readonly apiServerCidrs!: readonly string[];
  public readonly httpPort!: number;
  public readonly selectorLabels!: Readonly<Record<string, string>>;
  /** The rendered index lifecycle policy. */
  public readonly lifecyclePolicy!: Record<string, any>;
  public readonly daemonSet!: ApiObject;
  public readonly configMap!: ApiObject;

  constructor(scope: Construct, id: string, props: LogShipperProps) {
    super(scope, id);
    const r = resolveConstruct(this, 'LogShipper', c => resolveLogShipperProps(props, c), props);
    if (!r.built) return r.placeholder;
    const { settings: resolved, context: ctx } = r;
    adopt(this, resolved, ['name', 'namespace', 'image', 'resources', 'apiServerCidrs', 'httpPort', 'lifecyclePolicy']);
    const { identity, priorityClassName, passwordSecret: secret, lifecyclePolicy } = resolved;

    this.selectorLabels = { [LABELS.name]: this.name, [LABELS.instance]: `${this.name}-${this.namespace}` };
    const labels = { ...this.selectorLabels, [LABELS.component]: 'log-shipper', [LABELS.partOf]: 'monitoring', [LABELS.managedBy]: MANAGED_BY };
    const meta = (name = this.name) => ({ name, namespace: this.namespace, labels });

    this.addNamespaceAndReader(props.createNamespace ?? true, labels, meta());
    this.configMap = this.addConfigMaps(renderFluentBitConfig(props), lifecyclePolicy, meta);

    const passwordEnv = props.output.passwordEnv ?? 'LOG_STORE_PASSWORD';
    const probe = (path: string, period: number, failures: number) => ({
      httpGet: { path, port: 'http', scheme: 'HTTP' }, initialDelaySeconds: 0, periodSeconds: period, timeoutSeconds: 3, failureThreshold: failures, successThreshold: 1,
    });
    this.daemonSet = new ApiObject(this, 'DaemonSet', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta(),
      spec: {
        selector: { matchLabels: this.selectorLabels },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        minReadySeconds: 5,
        revisionHistoryLimit: 5,
        template: {
          metadata: { labels, annotations: { 'kubectl.kubernetes.io/default-container': this.name } },
          spec: {
            serviceAccountName: this.name,
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            priorityClassName,
            securityContext: { ...podSecurityContext(identity), supplementalGroups: [0] },
            terminationGracePeriodSeconds: 30,
            // Every node, tainted or not: a node without a shipper loses its logs.
            tolerations: [{ operator: 'Exists' }],
            containers: [hardenedContainer({
              name: this.name,
              image: this.image,
              command: ['/fluent-bit/bin/fluent-bit'],
              args: ['--workdir=/fluent-bit/etc', '--config=/fluent-bit/etc/fluent-bit.conf'],
              ports: [{ name: 'http', port: this.httpPort }],
              env: [{ name: passwordEnv, valueFrom: { secretKeyRef: { name: secret.name, key: secret.key } } }],
              resources: this.resources,
              probes: { liveness: probe('/', 10, 3), readiness: probe('/api/v1/health', 10, 3) },
              // The image is distroless (no shell): the kubelet's own sleep action, not `sh -c sleep`.
              lifecycle: { preStop: { sleep: { seconds: 5 } } },
              identity,
              volumeMounts: [
                { name: 'varlog', mountPath: '/var/log', readOnly: true },
                { name: 'config', mountPath: '/fluent-bit/etc', readOnly: true },
                { name: 'state', mountPath: props.stateDir ?? '/var/fluent-bit/state' },
              ],
            })],
            volumes: [
              { name: 'varlog', hostPath: { path: '/var/log', type: 'Directory' } },
              { name: 'config', configMap: { name: this.name } },
              { name: 'state', emptyDir: { sizeLimit: this.resources.ephemeralLimit } },
            ],
          },
        },
      },
    });
    // What the shipper reads and writes over the network: pod metadata from the API server (the
    // kubernetes filter) and every record to the log store; the traffic model evaluates both.
    const shipperPods = { namespace: this.namespace, podLabels: this.selectorLabels };
    declareFlows(this, [
      {
        kind: 'kubernetes-api',
        from: shipperPods,
        to: { name: 'the Kubernetes API server', cidrs: this.apiServerCidrs },
        ports: [{ port: 443 }],
        why: 'the kubernetes filter reads pod and namespace metadata',
      },
      {
        kind: 'telemetry',
        from: shipperPods,
        to: { name: `the log store (${props.output.host})`, cidrs: props.outputCidrs, hosts: [props.output.host] },
        ports: [{ port: props.output.port ?? 443 }],
        why: 'the es output ships every record to the log store',
      },
    ]);
    Checks.suppress(this.daemonSet, 'NINES-PSS-04', LOG_READER_HOSTPATH_REASON);
    Checks.suppress(this.daemonSet, 'NINES-HARD-03', LOG_READER_TOKEN_REASON);

    new ApiObject(this, 'Service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(),
      spec: { type: 'ClusterIP', selector: this.selectorLabels, ports: [{ name: 'http', port: this.httpPort, targetPort: 'http', protocol: 'TCP' }] },
    });
    scrapeServices(this, {
      metadata: meta(),
      selector: this.selectorLabels,
      endpoints: [scrapeEndpoint('http', '30s', '10s', '/api/v2/metrics/prometheus')],
    });
    new ApiObject(this, 'NetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(),
      spec: renderNetworkPolicySpec({
        podSelector: this.selectorLabels,
        ingress: [{ namespace: ctx.monitoringNamespace, ports: [{ port: 'http', protocol: 'TCP' }] }],
        egress: [
          { cidrs: props.outputCidrs, ports: [{ port: props.output.port ?? 443, protocol: 'TCP' }] },
          { cidrs: this.apiServerCidrs, ports: [{ port: 443, protocol: 'TCP' }] },
        ],
        meshNamespace: ctx.meshNamespace,
      }),
    });
    Checks.of(this.node.root);
  }

  /** fluent-bit's configuration (returned) and the log store's lifecycle policy, each a ConfigMap. */
  private addConfigMaps(files: FluentBitFiles, lifecyclePolicy: Record<string, any>, meta: (name?: string) => Record<string, unknown>): ApiObject {
    const config = new ApiObject(this, 'ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(), data: { ...files } } as any);
    new ApiObject(this, 'LifecyclePolicy', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(`${this.name}-lifecycle-policy`),
      data: { 'policy.json': JSON.stringify(lifecyclePolicy, undefined, 2) },
    } as any);
    return config;
  }

  /** The Namespace (privileged only for the /var/log hostPath) and the reader identity: ServiceAccount and pod/namespace read access. */
  private addNamespaceAndReader(createNamespace: boolean, labels: Record<string, string>, metadata: Record<string, unknown>): void {
    if (createNamespace) {
      new ApiObject(this, 'Namespace', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: this.namespace,
          labels: {
            [LABELS.managedBy]: MANAGED_BY,
            // The read-only /var/log hostPath is the one exception (see the suppression reason).
            'pod-security.kubernetes.io/enforce': 'privileged',
            'pod-security.kubernetes.io/audit': 'restricted',
            'pod-security.kubernetes.io/warn': 'restricted',
          },
        },
      });
    }
    new ApiObject(this, 'ServiceAccount', { apiVersion: 'v1', kind: 'ServiceAccount', metadata });
    const roleName = `${this.name}-${this.namespace}-log-reader`;
    new ApiObject(this, 'ClusterRole', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: roleName, labels },
      rules: [{ apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] }],
    } as any);
    new ApiObject(this, 'ClusterRoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: roleName, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name: this.name, namespace: this.namespace }],
    } as any);
  }
}

/** A LogShipper's props with every default resolved (see {@link resolveLogShipperProps}). */
export interface ResolvedLogShipperProps {
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  readonly resources: ResolvedResources;
  readonly apiServerCidrs: readonly string[];
  readonly httpPort: number;
  readonly identity: Required<PodIdentity>;
  readonly priorityClassName: string;
  readonly passwordSecret: { readonly name: string; readonly key: string };
  readonly lifecyclePolicy: Record<string, any>;
}

/**
 * Resolves a LogShipper's props against the platform (the region's VPC CIDR for the API
 * server): the settings, or every problem at once. Pure: builds nothing.
 */
export function resolveLogShipperProps(given: LogShipperProps, context: Pick<PlatformContext, 'region'>): Resolution<ResolvedLogShipperProps> {
  const { props, problems: typeProblems } = typedProps(given, {
    output: { host: 'string', port: 'number', user: 'string', passwordEnv: 'string', index: 'string' },
    redactFields: ['string'],
    maskCardNumbers: 'boolean',
    freeTextFields: ['string'],
    httpPort: 'number',
    stateDir: 'string',
    memBufLimit: 'string',
    passwordSecret: { name: 'string', key: 'string' },
    outputCidrs: ['string'],
    apiServerCidrs: ['string'],
    lifecycle: {
      hot: { maxPrimaryShardSize: 'string', maxAge: 'string' },
      warm: { minAge: 'string' },
      cold: { minAge: 'string', snapshotRepository: 'string' },
      delete: { minAge: 'string' },
    },
    name: 'string',
    namespace: 'string',
    createNamespace: 'boolean',
    image: 'string',
    resources: RESOURCES_TYPES,
    identity: IDENTITY_TYPES,
    priorityClassName: 'string',
  });
  const region = context.region;
  const problems = new Problems('LogShipper', '');
  const name: ResolvedLogShipperProps['name'] = props.name ?? 'fluent-bit';
  const namespace: ResolvedLogShipperProps['namespace'] = props.namespace ?? 'logging';
  const image: ResolvedLogShipperProps['image'] = props.image ?? 'cr.fluentbit.io/fluent/fluent-bit:3.1.9';
  const resources: ResolvedLogShipperProps['resources'] = resolveResources(props.resources, DEFAULT_RESOURCES);
  const apiServerCidrs: ResolvedLogShipperProps['apiServerCidrs'] = props.apiServerCidrs ?? (region?.vpcCidr ? [region.vpcCidr] : []);
  const httpPort: ResolvedLogShipperProps['httpPort'] = props.httpPort ?? 2020;
  const identity = { user: 10001, group: 10001, fsGroup: 10001, ...props.identity };
  const priorityClassName = props.priorityClassName ?? 'nines-critical';

  problems.when(!isDnsLabel(name), 'name', name, 'is not a DNS label', 'use e.g. "fluent-bit"');
  problems.when(!isDnsLabel(namespace), 'namespace', namespace, 'is not a DNS label', 'use e.g. "monitoring"');
  problems.addAll(instanceLabelProblems(name, namespace));
  problems.addAll(imageProblems('image', image));
  problems.addAll(resourceProblems('resources', resources));
  problems.addAll(identityProblems('identity', identity));
  problems.addAll(fluentBitProblems(props));
  const secret = props.passwordSecret;
  problems.when(!secret || !isDnsLabel(secret.name) || !/^[-._a-zA-Z0-9]+$/.test(secret.key ?? ''), 'passwordSecret', secret,
    'is not a Secret name and key', 'give e.g. { name: "log-store", key: "password" }');
  problems.when(!Array.isArray(props.outputCidrs) || props.outputCidrs.length === 0, 'outputCidrs', props.outputCidrs,
    'is empty, so the NetworkPolicy would block the log store', 'give the log store\'s CIDRs, e.g. ["10.0.64.0/20"]');
  problems.addAll(cidrListProblems('outputCidrs', props.outputCidrs ?? [], '10.0.64.0/20'));
  problems.addAll(cidrListProblems('apiServerCidrs', apiServerCidrs, '10.0.0.0/16'));
  problems.when(apiServerCidrs.length === 0, 'apiServerCidrs', apiServerCidrs,
    'is empty and the region has no vpcCidr, so the kubernetes filter cannot reach the API server', 'give the API server endpoints\' CIDRs');
  let lifecyclePolicy: Record<string, any> = {};
  try {
    lifecyclePolicy = renderIndexLifecyclePolicy(props.lifecycle);
  } catch (e: any) {
    problems.addAll(e.problems ?? [], 'lifecycle');
  }
  return resolution(withTypeProblems(typeProblems, problems.all), () => ({
    name, namespace, image, resources, apiServerCidrs, httpPort, identity, priorityClassName, passwordSecret: secret, lifecyclePolicy,
  }));
}
