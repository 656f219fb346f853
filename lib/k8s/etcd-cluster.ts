import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { DependencyFacts, DependencyKind, NetworkPeer, ServiceGraph } from './dependency';
import { PlatformWorkload } from './platform-workload';
import { Checks } from '../checks/checks';
import { declareFlows } from '../checks/runtime/flows';
import { Criticality, tierDefaults } from '../core/criticality';
import { LABELS } from '../core/labels';
import { StorageOptions } from '../core/storage';
import { EtcdMemberOptions, EtcdPeer, renderEtcdStatefulSetArgs } from '../render/etcd';
import { ETCD_CLIENT_PORT as CLIENT_PORT, ETCD_PEER_PORT as PEER_PORT, resolveEtcdClusterProps } from './private/etcd-props';
import { containerSecurityContext, hardenedPodBasics, zoneSpread } from './private/pod';
import { adopt, resolveInScope } from './private/resolve';
import { scrapeEndpoint, scrapeServices } from './private/scrape';
import { StatefulMembers, ownerLabels, volumeClaimTemplate } from './private/stateful';
import { serviceAccountWithoutToken } from './private/workload';
import { ContainerResources, PodIdentity, ResolvedResources, renderResources } from './workload-options';

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

/**
 * An etcd 3 cluster (the DCS the case study's Patroni setup uses): a StatefulSet of 3 members
 * spread over the region's zones with the shared hardened pod spec, a headless governing
 * Service, a client Service, a PodDisruptionBudget that keeps quorum through a drain, a
 * default-deny NetworkPolicy admitting only peers, declared clients and monitoring, and a
 * ServiceMonitor. The flags are {@link renderEtcdArgs}' output; per-member values come from the
 * Pod name through Kubernetes' `$(POD_NAME)` expansion.
 */
export class EtcdCluster extends PlatformWorkload {
  public readonly members!: number;
  public readonly storageSize!: string;
  public readonly storageClass!: string;
  public readonly resources!: ResolvedResources;
  /** Name of the headless governing Service. */
  public readonly headlessServiceName!: string;
  /** Every member's client endpoint, `host:port` (what Patroni's `etcd3.hosts` lists). */
  public readonly clientEndpoints!: readonly string[];
  /** The peers as every member lists them in `--initial-cluster`. */
  public readonly peers!: readonly EtcdPeer[];
  public readonly selectorLabels!: Record<string, string>;
  public readonly labels!: Record<string, string>;

  public readonly statefulSet!: ApiObject;
  public readonly headlessService!: ApiObject;
  public readonly service!: ApiObject;
  public readonly serviceAccount!: ApiObject;
  public readonly podDisruptionBudget!: ApiObject;
  public readonly networkPolicy!: ApiObject;
  public readonly serviceMonitor!: ApiObject;

  private readonly members_!: StatefulMembers;

  constructor(scope: Construct, id: string, props: EtcdClusterProps) {
    const resolved = resolveInScope(scope, c => resolveEtcdClusterProps(id, props, c), props);
    super(scope, id, 'EtcdCluster', resolved);
    if (!resolved.built) return;
    const s = resolved.settings;
    adopt(this, s, ['members', 'resources', 'headlessServiceName', 'peers', 'clientEndpoints']);
    this.storageSize = s.storage.size;
    this.storageClass = s.storage.storageClass;
    this.selectorLabels = { [LABELS.name]: 'etcd', [LABELS.instance]: `${this.name}-${this.namespace}` };
    this.labels = { ...this.selectorLabels, [LABELS.component]: 'dcs', ...ownerLabels(this.namespace, this.team) };
    const meta = (name: string = this.name, extra: Record<string, string> = {}) => ({
      name, namespace: this.namespace, labels: { ...this.labels, ...extra },
    });
    const members = this.members_ = new StatefulMembers(this, this.namespace, this.selectorLabels);

    this.serviceAccount = serviceAccountWithoutToken(this, 'ServiceAccount', meta());
    this.headlessService = members.headlessService('HeadlessService', meta(this.headlessServiceName),
      [{ name: 'client', port: CLIENT_PORT }, { name: 'peer', port: PEER_PORT }]);
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
    this.statefulSet = members.statefulSet('Resource', meta(), {
      serviceName: this.headlessServiceName,
      replicas: this.members,
      template: { metadata: { labels: this.labels, annotations: { 'kubectl.kubernetes.io/default-container': 'etcd' } }, spec: this.renderPodSpec(s.memberOptions, s.memberHost('$(POD_NAME)')) },
      volumeClaimTemplates: [volumeClaimTemplate('data', s.storage, this.selectorLabels)],
    });
    Checks.suppress(this.statefulSet, 'NINES-AV-06',
      'etcd has no shell for a preStop sleep and needs none: on SIGTERM a leader transfers leadership, and Patroni retries the other endpoints');
    // One member at a time: 3 members keep a quorum of 2 (5 keep 4) through a node drain.
    this.podDisruptionBudget = members.disruptionBudget('PodDisruptionBudget', meta());

    const peers = { namespace: this.namespace, podLabels: this.selectorLabels };
    declareFlows(this, [{ kind: 'quorum', from: peers, to: peers, ports: [{ port: PEER_PORT }, { port: CLIENT_PORT }], why: 'etcd members replicate the Raft log and elect a leader' }]);
    const monitoring = this.context.monitoringNamespace;
    this.networkPolicy = members.networkPolicy('NetworkPolicy', meta(), () => ({
      ingress: [
        members.peer(CLIENT_PORT, PEER_PORT),
        ...ServiceGraph.of(this).callingPeersOf(this).map(c => ({ ...c.callerPeer(), ports: [{ port: CLIENT_PORT, protocol: 'TCP' as const }] })),
        { namespace: monitoring, ports: [{ port: CLIENT_PORT, protocol: 'TCP' }] },
      ],
      egress: [members.peer(CLIENT_PORT, PEER_PORT)],
    }));

    this.serviceMonitor = scrapeServices(this, {
      metadata: meta(),
      selector: { ...this.selectorLabels, [LABELS.component]: 'dcs-client' },
      endpoints: [scrapeEndpoint('client', '15s', '10s')],
      produces: { producer: 'etcd\'s /metrics (scraped by this ServiceMonitor)', metrics: ['etcd_*', 'grpc_*', 'process_*'] },
    });
    Checks.of(this.node.root);
  }

  protected get availabilityFacts(): Omit<DependencyFacts, 'id' | 'zones'> {
    return { kind: DependencyKind.DATABASE, replicas: this.members, automaticFailover: true };
  }

  /** The members, on the client port only. */
  public egressPeers(): readonly NetworkPeer[] {
    return [this.members_.peer(CLIENT_PORT)];
  }

  public meshHosts(): readonly string[] {
    return [`${this.namespace}/${this.name}.${this.namespace}.svc.${this.context.clusterDomain}`];
  }

  private renderPodSpec(memberOptions: EtcdMemberOptions, podHost: string): Record<string, unknown> {
    const args = renderEtcdStatefulSetArgs(memberOptions, { podHost, podName: '$(POD_NAME)', clientPort: CLIENT_PORT, peerPort: PEER_PORT });
    return {
      ...hardenedPodBasics({
        serviceAccountName: this.name, priorityClassName: tierDefaults(Criticality.CRITICAL).priorityClassName, identity: this.identity,
      }),
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
        // @see https://etcd.io/docs/v3.5/op-guide/monitoring/#health-check
        readinessProbe: { httpGet: { path: '/health', port: 'client', scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2, successThreshold: 1 },
        securityContext: containerSecurityContext(this.identity),
        terminationMessagePolicy: 'FallbackToLogsOnError',
        volumeMounts: [{ name: 'data', mountPath: '/var/lib/etcd' }],
      }],
    };
  }
}
