import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { Checks } from '../checks/checks';
import { Criticality, tierDefaults } from '../core/criticality';
import { Problems } from '../core/errors';
import { LABELS, MANAGED_BY, isDnsLabel, isLabelValue } from '../core/labels';
import { EtcdMemberOptions, EtcdPeer, renderEtcdArgs, validateEtcdInput } from '../render/patroni';
import { ServiceMonitor } from './crds/monitoring';
import { DependencyFacts, DependencyKind, IDependable, NetworkPeer, ServiceGraph } from './dependency';
import { renderNetworkPolicySpec } from './private/network';
import { containerSecurityContext, podSecurityContext, zoneSpread } from './private/pod';
import {
  DEFAULT_STORAGE_CLASS, StorageOptions, headlessServiceSpec, statefulSetSkeleton, storageProblems, volumeClaimTemplate, zoneProblems,
} from './private/stateful';
import { RegionChart } from './region-chart';
import {
  ContainerResources, PodIdentity, ResolvedResources, ResourcePresets, identityProblems, imageProblems, renderResources, resolveResources,
  resourceProblems,
} from './workload-options';

/** etcd tuning passed through to the renderer ({@link renderEtcdArgs}); names, URLs and token come from the construct. */
export type EtcdTuning = Omit<EtcdMemberOptions, 'memberName' | 'peers' | 'clusterToken' | 'dataDir' | 'listenClientUrls' | 'listenPeerUrls'>;

/** Props of an {@link EtcdCluster}. */
export interface EtcdClusterProps {
  /** Namespace (usually the namespace of the PatroniCluster that uses it). */
  readonly namespace: string;
  /**
   * Name of the StatefulSet and the client Service.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * etcd image (3.4 or 3.5), pinned.
   * @default 'quay.io/coreos/etcd:v3.5.9'
   */
  readonly image?: string;
  /**
   * Members: an odd number >= 3 (quorum survives one loss with 3, two with 5).
   * @default 3
   */
  readonly members?: number;
  /**
   * Zones to spread over.
   * @default - the zones of the enclosing RegionChart's region
   */
  readonly zones?: readonly string[];
  /**
   * Each member's volume (etcd's NOSPACE quota defaults to 2 GiB).
   * @default { size: '8Gi', storageClass: 'gp3-encrypted' }
   */
  readonly storage?: StorageOptions;
  /**
   * Resources.
   * @default ResourcePresets.SMALL
   */
  readonly resources?: ContainerResources;
  /** Non-root identity. @default - uid/gid/fsGroup 10001 */
  readonly identity?: PodIdentity;
  /**
   * Timings and quotas (heartbeat 100 ms, election 750 ms, snapshot count 10000, compaction 1 h, quota 2 GiB).
   * @default - the renderer's defaults
   * @see renderEtcdArgs
   */
  readonly tuning?: EtcdTuning;
  /**
   * Owning team (label `nines.dev/team`).
   * @default - the namespace
   */
  readonly team?: string;
}

const CLIENT_PORT = 2379;
const PEER_PORT = 2380;

/**
 * An etcd 3 cluster (the DCS the case study's Patroni setup uses): a StatefulSet of 3 members
 * spread over the region's zones with the shared hardened pod spec, a headless governing
 * Service, a client Service, a PodDisruptionBudget that keeps quorum through a drain, a
 * default-deny NetworkPolicy admitting only peers, declared clients and monitoring, and a
 * ServiceMonitor. The flags are {@link renderEtcdArgs}' output; per-member values come from the
 * Pod name through Kubernetes' `$(POD_NAME)` expansion.
 */
export class EtcdCluster extends Construct implements IDependable {
  public readonly name: string;
  public readonly namespace: string;
  public readonly team: string;
  public readonly image: string;
  public readonly members: number;
  public readonly zones: readonly string[];
  public readonly storageSize: string;
  public readonly storageClass: string;
  public readonly resources: ResolvedResources;
  public readonly identity: Required<PodIdentity>;
  /** Name of the headless governing Service. */
  public readonly headlessServiceName: string;
  /** Every member's client endpoint, `host:port` (what Patroni's `etcd3.hosts` lists). */
  public readonly clientEndpoints: readonly string[];
  /** The peers as every member lists them in `--initial-cluster`. */
  public readonly peers: readonly EtcdPeer[];
  public readonly selectorLabels: Record<string, string>;
  public readonly labels: Record<string, string>;

  public readonly statefulSet: ApiObject;
  public readonly headlessService: ApiObject;
  public readonly service: ApiObject;
  public readonly serviceAccount: ApiObject;
  public readonly podDisruptionBudget: ApiObject;
  public readonly networkPolicy: ApiObject;
  public readonly serviceMonitor: ApiObject;

  private readonly meshNamespace: string;
  private readonly monitoringNamespace: string;

  constructor(scope: Construct, id: string, props: EtcdClusterProps) {
    super(scope, id);
    const region = RegionChart.find(this)?.region;
    const platform = region?.platform;
    const problems = new Problems('EtcdCluster', this.node.path);
    this.name = props.name ?? id;
    this.namespace = props.namespace;
    this.team = props.team ?? props.namespace;
    this.image = props.image ?? 'quay.io/coreos/etcd:v3.5.9';
    this.members = props.members ?? 3;
    this.zones = props.zones ?? region?.zones ?? [];
    this.storageSize = props.storage?.size ?? '8Gi';
    this.storageClass = props.storage?.storageClass ?? DEFAULT_STORAGE_CLASS;
    this.resources = resolveResources(props.resources, ResourcePresets.SMALL);
    this.identity = { user: props.identity?.user ?? 10001, group: props.identity?.group ?? 10001, fsGroup: props.identity?.fsGroup ?? 10001 };
    this.meshNamespace = platform?.meshNamespace ?? 'istio-system';
    this.monitoringNamespace = platform?.monitoringNamespace ?? 'monitoring';
    const clusterDomain = platform?.clusterDomain ?? 'cluster.local';
    this.headlessServiceName = `${this.name}-peers`;

    problems.when(!isDnsLabel(this.name) || this.name.length > 50, 'name', this.name, 'is not a DNS label of at most 50 characters (Pod and Service names derive from it)',
      'use lower-case letters, digits and "-"');
    problems.when(!isDnsLabel(this.namespace), 'namespace', this.namespace, 'is not a DNS label', 'use lower-case letters, digits and "-"');
    problems.when(!isLabelValue(this.team), 'team', this.team, 'is not a valid label value', 'use letters, digits, "-", "_" or "."');
    problems.addAll(imageProblems('image', this.image));
    problems.when(!Number.isInteger(this.members) || this.members < 3 || this.members % 2 === 0, 'members', this.members,
      'must be an odd integer >= 3: etcd keeps a quorum through one failure with 3 members (an even number adds no tolerance)', 'use 3 or 5');
    zoneProblems(problems, this.zones, props.zones === undefined && region === undefined);
    problems.addAll(storageProblems('storage', this.storageSize, this.storageClass));
    problems.addAll(resourceProblems('resources', this.resources));
    problems.addAll(identityProblems('identity', this.identity));

    const host = (i: number) => `${this.name}-${i}.${this.headlessServiceName}.${this.namespace}.svc.${clusterDomain}`;
    const count = Number.isInteger(this.members) && this.members > 0 && this.members < 100 ? this.members : 3;
    this.peers = Array.from({ length: count }, (_, i) => ({
      name: `${this.name}-${i}`,
      peerUrl: `http://${host(i)}:${PEER_PORT}`,
      clientUrl: `http://${host(i)}:${CLIENT_PORT}`,
    }));
    this.clientEndpoints = this.peers.map((_, i) => `${host(i)}:${CLIENT_PORT}`);
    const memberOptions: EtcdMemberOptions = {
      ...props.tuning,
      memberName: this.peers[0].name,
      peers: this.peers,
      clusterToken: `${this.namespace}-${this.name}`,
      dataDir: '/var/lib/etcd/data',
    };
    if (isDnsLabel(this.name) && isDnsLabel(this.namespace)) {
      // Member-count problems are reported above in the construct's own words.
      for (const p of validateEtcdInput(memberOptions).filter(x => x.prop !== 'peers')) problems.add(`tuning.${p.prop}`, p.value, p.why, p.fix);
    }

    if (problems.count > 0) {
      scope.node.tryRemoveChild(id);
      problems.throwIfAny();
    }

    this.selectorLabels = { [LABELS.name]: 'etcd', [LABELS.instance]: `${this.name}-${this.namespace}` };
    this.labels = {
      ...this.selectorLabels,
      [LABELS.component]: 'dcs',
      [LABELS.partOf]: this.namespace,
      [LABELS.managedBy]: MANAGED_BY,
      [LABELS.team]: this.team,
    };
    const meta = (name: string = this.name, extra: Record<string, string> = {}) => ({
      name, namespace: this.namespace, labels: { ...this.labels, ...extra },
    });

    this.serviceAccount = new ApiObject(this, 'ServiceAccount', {
      apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(), automountServiceAccountToken: false,
    } as any);

    const ports = [{ name: 'client', port: CLIENT_PORT }, { name: 'peer', port: PEER_PORT }];
    this.headlessService = new ApiObject(this, 'HeadlessService', {
      apiVersion: 'v1', kind: 'Service', metadata: meta(this.headlessServiceName), spec: headlessServiceSpec(this.selectorLabels, ports),
    });
    this.service = new ApiObject(this, 'Service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(this.name, { [LABELS.component]: 'dcs-client' }),
      spec: {
        type: 'ClusterIP',
        selector: this.selectorLabels,
        ports: [{ name: 'client', port: CLIENT_PORT, targetPort: 'client', protocol: 'TCP' }],
      },
    });

    const self = this.peers[0];
    const podHost = `$(POD_NAME).${this.headlessServiceName}.${this.namespace}.svc.${clusterDomain}`;
    const args = renderEtcdArgs(memberOptions).map(arg => arg
      .replace(`--name=${self.name}`, '--name=$(POD_NAME)')
      .replace(`--advertise-client-urls=${self.clientUrl}`, `--advertise-client-urls=http://${podHost}:${CLIENT_PORT}`)
      .replace(`--initial-advertise-peer-urls=${self.peerUrl}`, `--initial-advertise-peer-urls=http://${podHost}:${PEER_PORT}`));

    this.statefulSet = new ApiObject(this, 'Resource', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta(),
      spec: {
        ...statefulSetSkeleton(this.headlessServiceName, this.members, this.selectorLabels),
        template: {
          metadata: { labels: this.labels, annotations: { 'kubectl.kubernetes.io/default-container': 'etcd' } },
          spec: {
            serviceAccountName: this.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            priorityClassName: tierDefaults(Criticality.CRITICAL).priorityClassName,
            securityContext: podSecurityContext(this.identity),
            // On SIGTERM a leader hands leadership to a peer before it exits.
            terminationGracePeriodSeconds: 30,
            topologySpreadConstraints: zoneSpread(this.selectorLabels, false),
            containers: [{
              name: 'etcd',
              image: this.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['etcd'],
              args,
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              ports: [
                { name: 'client', containerPort: CLIENT_PORT, protocol: 'TCP' },
                { name: 'peer', containerPort: PEER_PORT, protocol: 'TCP' },
              ],
              resources: renderResources(this.resources),
              startupProbe: { tcpSocket: { port: 'client' }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 60, successThreshold: 1 },
              livenessProbe: { tcpSocket: { port: 'client' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1 },
              // /health fails while this member sees no leader (lost quorum or partitioned).
              readinessProbe: { httpGet: { path: '/health', port: 'client', scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2, successThreshold: 1 },
              securityContext: containerSecurityContext(this.identity),
              terminationMessagePolicy: 'FallbackToLogsOnError',
              volumeMounts: [{ name: 'data', mountPath: '/var/lib/etcd' }],
            }],
          },
        },
        volumeClaimTemplates: [volumeClaimTemplate('data', this.selectorLabels, this.storageSize, this.storageClass)],
      },
    });
    Checks.suppress(this.statefulSet, 'NINES-AV-06',
      'etcd has no shell for a preStop sleep and needs none: on SIGTERM a leader transfers leadership, and Patroni retries the other endpoints');

    this.podDisruptionBudget = new ApiObject(this, 'PodDisruptionBudget', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(),
      // One member at a time: 3 members keep a quorum of 2 (5 keep 4) through a node drain.
      spec: { maxUnavailable: 1, selector: { matchLabels: this.selectorLabels }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    });

    ServiceGraph.of(this).addNode(this);
    this.networkPolicy = new ApiObject(this, 'NetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(),
      spec: Lazy.any({ produce: () => this.renderNetworkPolicy() }),
    });

    this.serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: meta(),
      spec: {
        selector: { matchLabels: { ...this.selectorLabels, [LABELS.component]: 'dcs-client' } },
        namespaceSelector: { matchNames: [this.namespace] },
        endpoints: [{ port: 'client', path: '/metrics', interval: '15s', scrapeTimeout: '10s' }],
        jobLabel: LABELS.name,
      },
    });
    Checks.of(this.node.root);
  }

  /** Graph identity and availability facts. */
  public get dependencyFacts(): DependencyFacts {
    return {
      id: `${this.namespace}/${this.name}`,
      kind: DependencyKind.DATABASE,
      replicas: this.members,
      zones: this.zones.length,
      automaticFailover: true,
    };
  }

  /** The members, on the client port only. */
  public egressPeers(): readonly NetworkPeer[] {
    return [{ namespace: this.namespace, podLabels: this.selectorLabels, ports: [{ port: CLIENT_PORT, protocol: 'TCP' }] }];
  }

  public meshHosts(): readonly string[] {
    return [`${this.namespace}/${this.name}.${this.namespace}.svc.${RegionChart.find(this)?.region.platform.clusterDomain ?? 'cluster.local'}`];
  }

  private renderNetworkPolicy(): Record<string, unknown> {
    const callers = ServiceGraph.of(this).callingPeersOf(this);
    const members: NetworkPeer = {
      namespace: this.namespace,
      podLabels: this.selectorLabels,
      ports: [{ port: CLIENT_PORT, protocol: 'TCP' }, { port: PEER_PORT, protocol: 'TCP' }],
    };
    return renderNetworkPolicySpec({
      podSelector: this.selectorLabels,
      ingress: [
        members,
        ...callers.map(c => ({ ...c.callerPeer(), ports: [{ port: CLIENT_PORT, protocol: 'TCP' as const }] })),
        { namespace: this.monitoringNamespace, ports: [{ port: CLIENT_PORT, protocol: 'TCP' }] },
      ],
      egress: [members],
      meshNamespace: this.meshNamespace,
    });
  }
}
