/**
 * RedisSentinel: a Redis master with replicas watched by Redis Sentinel, spread across zones,
 * hardened like a ResilientService, with its configs rendered by `lib/render/redis.ts` (the same
 * output the system test runs against real redis-server and redis-sentinel).
 */
import { createHash } from 'crypto';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { DependencyFacts, DependencyKind, NetworkPeer, ServiceGraph } from './dependency';
import { PlatformWorkload } from './platform-workload';
import { ContainerResources, PodIdentity, ResolvedResources, renderResources } from './workload-options';
import { Checks } from '../checks/checks';
import { declareFlows } from '../checks/runtime/flows';
import { Criticality, tierDefaults } from '../core/criticality';
import { LABELS, MANAGED_BY } from '../core/labels';
import { ResolvedStorage, StorageOptions } from '../core/storage';
import {
  REDIS_SENTINEL_DEFAULTS, REDIS_SENTINEL_SETTINGS, RedisMaxmemoryPolicy, RedisPodScriptsInput, RedisRole, RedisSentinelInput, SentinelConfInput,
  renderRedisAuthScript, renderRedisConf, renderRedisPreStopScript, renderRedisStartScript, renderSentinelAuthScript, renderSentinelConf,
  renderSentinelStartScript,
} from '../render/redis';
import { renderRedisAlerts } from '../render/stateful-alerts';
import { PrometheusRule } from './crds/monitoring';
import { containerSecurityContext, hardenedPodBasics, preStopSleep, zoneSpread } from './private/pod';
import { REDIS_RUN_DIR as RUN, REDIS_SECRET_DIR as SECRET_DIR, REDIS_SECRET_FILE as SECRET_FILE, resolveRedisSentinelProps } from './private/redis-props';
import { adopt, resolveInScope } from './private/resolve';
import { scrapeEndpoint, scrapeServices } from './private/scrape';
import { MemberStatefulSetSpec, MemberTraffic, StatefulMembers, volumeClaimTemplate } from './private/stateful';
import { serviceAccountWithoutToken } from './private/workload';

/** A key of a Secret in the construct's namespace; the construct never sees the value. */
export interface RedisSecretKeyRef {
  /** Secret name. */
  readonly name: string;
  /**
   * Key holding the password (16+ characters of `A-Za-z0-9._~+/=-`, checked at start).
   * @default 'password'
   */
  readonly key?: string;
}

/**
 * A PersistentVolumeClaim template.
 * @deprecated use {@link StorageOptions} (the one storage option type of the stateful constructs;
 *   its `storageClass` replaces `storageClassName`)
 */
export type RedisStorageOptions = StorageOptions;

/**
 * Props of a {@link RedisSentinel}. The topology and Sentinel settings (`replicas`, `sentinels`,
 * `quorum`, `masterName`, the Sentinel timings, `minReplicasToWrite`, `minReplicasMaxLagSeconds`)
 * are the renderer's, with its defaults ({@link REDIS_SENTINEL_DEFAULTS}); the construct adds one
 * rule: the Sentinels spread over the zones so that no zone holds a majority.
 */
export interface RedisSentinelProps extends Pick<RedisSentinelInput, typeof REDIS_SENTINEL_SETTINGS[number] | 'quorum'> {
  /** Namespace (a bulkhead). */
  readonly namespace: string;
  /** The Secret holding the password, by reference only: it is mounted as a file, never rendered. */
  readonly passwordSecret: RedisSecretKeyRef;
  /**
   * Name prefix of every object (`<name>-redis`, `<name>-sentinel`).
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Owning team (label `nines.dev/team`).
   * @default - the namespace
   */
  readonly team?: string;
  /**
   * Criticality tier: the PriorityClass of the pods and the tier in the dependency graph.
   * @default Criticality.HIGH (the case study's cache serves the high-tier catalog services)
   */
  readonly tier?: Criticality;
  /**
   * Redis image (Redis and Sentinel run from it), pinned.
   * @default 'redis:7.2.5'
   */
  readonly image?: string;
  /**
   * redis_exporter image; an image with a shell (the preStop hook sleeps), pinned.
   * @default 'oliver006/redis_exporter:v1.62.0-alpine'
   * @see https://github.com/oliver006/redis_exporter
   */
  readonly exporterImage?: string;
  /**
   * maxmemory-policy.
   * @default 'allkeys-lru'
   */
  readonly maxmemoryPolicy?: RedisMaxmemoryPolicy;
  /**
   * maxmemory as a percentage of the Redis container's memory limit (the rest is for the AOF
   * rewrite fork and replication buffers).
   * @default 75 (1.5 GiB of the default 2 GiB limit)
   */
  readonly maxmemoryPercent?: number;
  /**
   * Zones to spread over.
   * @default - the zones of the enclosing RegionChart's region
   */
  readonly zones?: readonly string[];
  /**
   * Redis data volume (append-only file, everysec).
   * @default { size: '10Gi', storageClass: 'gp3-encrypted' }
   */
  readonly storage?: StorageOptions;
  /**
   * Sentinel volume: keeps the config Sentinel rewrites (current master, epochs, its ID) across restarts.
   * @default { size: '1Gi', storageClass: 'gp3-encrypted' }
   */
  readonly sentinelStorage?: StorageOptions;
  /**
   * Redis container resources, merged over cpu 500m/1000m, memory 2Gi/2Gi, ephemeral 256Mi/1Gi
   * (request = limit for memory: a cache must not be the first pod the kubelet evicts).
   * @default - as above
   */
  readonly resources?: ContainerResources;
  /**
   * Sentinel container resources, merged over cpu 100m/250m, memory 64Mi/128Mi, ephemeral 64Mi/256Mi.
   * @default - as above
   */
  readonly sentinelResources?: ContainerResources;
  /**
   * Non-root identity of every container.
   * @default - uid/gid/fsGroup 10001
   */
  readonly identity?: PodIdentity;
  /**
   * Where the alerts' runbooks are published (`writeRunbooks` writes them): each alert links
   * `${runbookBaseUrl}/<namespace>-<name>-<alert>`, e.g. `…/catalog-cache-redis-master-down`.
   * An absolute https URL.
   * @default - the platform description's `runbookBaseUrl`; with neither, the alerts carry no
   *   `runbook_url` and `writeRunbooks` reports them
   * @see the case study, section 3.4 ("Actionable runbook")
   */
  readonly runbookBaseUrl?: string;
}

/** Labels and ports of the two halves. */
const REDIS_PORT = REDIS_SENTINEL_DEFAULTS.redisPort;
const SENTINEL_PORT = REDIS_SENTINEL_DEFAULTS.sentinelPort;
const METRICS_PORT = 9121;
const RENDERED = '/etc/redis-rendered';
const DATA = '/data';
const SENTINEL_DATA = '/sentinel';
const EXPORTER_RESOURCES: ResolvedResources = {
  cpuRequest: '50m', cpuLimit: '200m', memoryRequest: '32Mi', memoryLimit: '64Mi', ephemeralRequest: '16Mi', ephemeralLimit: '64Mi',
};
const INIT_RESOURCES: ResolvedResources = {
  cpuRequest: '50m', cpuLimit: '200m', memoryRequest: '32Mi', memoryLimit: '64Mi', ephemeralRequest: '16Mi', ephemeralLimit: '64Mi',
};
/** A shell probe (`sh -c`) with the given timings. */
function execProbe(script: string, period: number, timeout: number, failureThreshold: number, initialDelay = 0): Record<string, unknown> {
  return {
    exec: { command: ['/bin/sh', '-c', script] },
    initialDelaySeconds: initialDelay,
    periodSeconds: period,
    timeoutSeconds: timeout,
    failureThreshold,
    successThreshold: 1,
  };
}

/** What the init container, Redis and the Sentinels mount: the rendered configs, the password, the runtime dir and /tmp. */
const DAEMON_MOUNTS = [
  { name: 'rendered', mountPath: RENDERED, readOnly: true },
  { name: 'secret', mountPath: SECRET_DIR, readOnly: true },
  { name: 'run', mountPath: RUN },
  { name: 'tmp', mountPath: '/tmp' },
];
const AUTH = `REDISCLI_AUTH="$(cat ${SECRET_FILE})" redis-cli`;

/**
 * A Redis master with replicas and a set of Redis Sentinels, highly available by default:
 *
 * - Redis StatefulSet `<name>-redis` (1 master + 2 replicas) and Sentinel StatefulSet
 *   `<name>-sentinel` (3, quorum 2), each spread across the region's zones (maxSkew 1,
 *   DoNotSchedule); construction fails when the zones would let one zone hold a majority of the
 *   Sentinels.
 * - The case study's Sentinel settings (down-after 5000 ms, failover-timeout 10000 ms,
 *   parallel-syncs 1), min-replicas-to-write 1 / max-lag 10 s, AOF everysec on a PVC.
 * - Configs rendered by `renderRedisConf` / `renderSentinelConf` (one file per pod, announcing
 *   its pod DNS name under the headless Service) in ConfigMaps, copied by an init container
 *   into a writable volume: an in-memory one for Redis (the start script asks the Sentinels for
 *   the current master, so a restarted pod rejoins with the right role), a small PVC for each
 *   Sentinel (it keeps the config Sentinel rewrites, and the rendered timings are re-applied at
 *   every start). Sentinel IDs are fixed per pod, so a lost volume does not leave a stale voter.
 * - The password comes from a Secret mounted as a file; no object holds it.
 * - redis_exporter sidecars, a ServiceMonitor, a PrometheusRule (master down, Sentinels without
 *   quorum, replication broken, memory over 80%), PDBs that permit a drain (Sentinels: at most
 *   `sentinels - quorum` down), probes, a preStop that hands the master role to a replica first.
 * - `IDependable`: `service.dependOn(cache)` gives the service egress to Redis (6379) and the
 *   Sentinels (26379); this construct's NetworkPolicies admit exactly those callers, the
 *   members among themselves and monitoring (metrics port).
 */
export class RedisSentinel extends PlatformWorkload {
  public readonly tier!: Criticality;
  public readonly exporterImage!: string;
  /** Replicas of the master. */
  public readonly replicas!: number;
  /** Redis pods (`replicas + 1`). */
  public readonly redisPods!: number;
  public readonly sentinels!: number;
  public readonly quorum!: number;
  public readonly masterName!: string;
  public readonly downAfterMilliseconds!: number;
  public readonly failoverTimeoutMilliseconds!: number;
  public readonly parallelSyncs!: number;
  public readonly minReplicasToWrite!: number;
  public readonly minReplicasMaxLagSeconds!: number;
  public readonly maxmemoryPolicy!: RedisMaxmemoryPolicy;
  public readonly maxmemoryPercent!: number;
  /** maxmemory in bytes, from the memory limit and `maxmemoryPercent`. */
  public readonly maxmemoryBytes!: number;
  public readonly storage!: ResolvedStorage;
  public readonly sentinelStorage!: ResolvedStorage;
  public readonly resources!: ResolvedResources;
  public readonly sentinelResources!: ResolvedResources;
  /** Base of the alerts' `runbook_url`s; `undefined` when neither the prop nor the platform gives one. */
  public readonly runbookBaseUrl?: string;
  public readonly passwordSecret!: Required<RedisSecretKeyRef>;
  public readonly priorityClassName!: string;
  /** Redis pods' PDB maxUnavailable. */
  public readonly redisMaxUnavailable!: number;
  /** Sentinel pods' PDB maxUnavailable (`sentinels - quorum`: the rest can still fail over). */
  public readonly sentinelMaxUnavailable!: number;
  /** Headless Service host of the Redis pods, e.g. `cache-redis.catalog.svc.cluster.local`. */
  public readonly redisHost!: string;
  /** Headless Service host of the Sentinels: what clients give their Sentinel client. */
  public readonly sentinelHost!: string;
  /** Pod DNS names of the Redis pods (`redisHosts[0]` is the initial master). */
  public readonly redisHosts!: readonly string[];
  /** Pod DNS names of the Sentinels. */
  public readonly sentinelHosts!: readonly string[];
  public readonly redisSelector!: Record<string, string>;
  public readonly sentinelSelector!: Record<string, string>;

  public readonly redisConfigMap!: ApiObject;
  public readonly sentinelConfigMap!: ApiObject;
  public readonly serviceAccount!: ApiObject;
  /** The Redis StatefulSet (`node.defaultChild`). */
  public readonly redisStatefulSet!: ApiObject;
  public readonly sentinelStatefulSet!: ApiObject;
  public readonly redisService!: ApiObject;
  public readonly sentinelService!: ApiObject;
  public readonly redisPodDisruptionBudget!: ApiObject;
  public readonly sentinelPodDisruptionBudget!: ApiObject;
  public readonly redisNetworkPolicy!: ApiObject;
  public readonly sentinelNetworkPolicy!: ApiObject;
  public readonly serviceMonitor!: ApiObject;
  public readonly prometheusRule!: ApiObject;

  private readonly redisMembers!: StatefulMembers;
  private readonly sentinelMembers!: StatefulMembers;

  constructor(scope: Construct, id: string, props: RedisSentinelProps) {
    const resolved = resolveInScope(scope, c => resolveRedisSentinelProps(id, props, c), props);
    super(scope, id, 'RedisSentinel', resolved);
    if (!resolved.built) return;
    const s = resolved.settings;
    adopt(this, s, [
      'tier', 'exporterImage', 'runbookBaseUrl', 'passwordSecret', 'maxmemoryPolicy', 'maxmemoryPercent', 'maxmemoryBytes', 'resources',
      'sentinelResources', 'replicas', 'sentinels', 'quorum', 'masterName', 'downAfterMilliseconds', 'failoverTimeoutMilliseconds',
      'parallelSyncs', 'minReplicasToWrite', 'minReplicasMaxLagSeconds',
    ]);
    this.redisPods = s.replicas + 1;
    adopt(this, s, ['storage', 'sentinelStorage']);
    this.priorityClassName = tierDefaults(this.tier).priorityClassName;
    this.redisMaxUnavailable = 1;
    this.sentinelMaxUnavailable = this.sentinels - this.quorum;
    const redisName = `${this.name}-redis`;
    const sentinelName = `${this.name}-sentinel`;
    this.redisHost = `${redisName}.${this.namespace}.svc.${this.context.clusterDomain}`;
    this.sentinelHost = `${sentinelName}.${this.namespace}.svc.${this.context.clusterDomain}`;
    this.redisHosts = Array.from({ length: this.redisPods }, (_, i) => `${redisName}-${i}.${this.redisHost}`);
    this.sentinelHosts = Array.from({ length: this.sentinels }, (_, i) => `${sentinelName}-${i}.${this.sentinelHost}`);
    const instance = `${this.name}-${this.namespace}`;
    this.redisSelector = { [LABELS.name]: redisName, [LABELS.instance]: instance };
    this.sentinelSelector = { [LABELS.name]: sentinelName, [LABELS.instance]: instance };
    const common = { [LABELS.partOf]: this.name, [LABELS.managedBy]: MANAGED_BY, [LABELS.team]: this.team, [LABELS.tier]: this.tier };
    const redisLabels = { ...this.redisSelector, ...common, [LABELS.component]: 'redis' };
    const sentinelLabels = { ...this.sentinelSelector, ...common, [LABELS.component]: 'sentinel' };
    const meta = (name: string, labels: Record<string, string>) => ({ name, namespace: this.namespace, labels });
    const redis = this.redisMembers = new StatefulMembers(this, this.namespace, this.redisSelector);
    const sentinel = this.sentinelMembers = new StatefulMembers(this, this.namespace, this.sentinelSelector);

    const { redisData, sentinelData } = this.renderFiles(s.shared, redisName, sentinelName);
    this.redisConfigMap = new ApiObject(this, 'RedisConfig', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${redisName}-config`, redisLabels), data: redisData,
    } as any);
    this.sentinelConfigMap = new ApiObject(this, 'SentinelConfig', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${sentinelName}-config`, sentinelLabels), data: sentinelData,
    } as any);
    this.serviceAccount = serviceAccountWithoutToken(this, 'ServiceAccount', meta(this.name, { ...common, [LABELS.instance]: instance }));

    this.redisStatefulSet = redis.statefulSet('Resource', meta(redisName, redisLabels),
      this.statefulSetSpec(redisName, redisLabels, redisData, this.redisPodSpec(`${redisName}-config`), volumeClaimTemplate('data', s.storage), this.redisPods));
    this.sentinelStatefulSet = sentinel.statefulSet('SentinelStatefulSet', meta(sentinelName, sentinelLabels),
      this.statefulSetSpec(sentinelName, sentinelLabels, sentinelData, this.sentinelPodSpec(`${sentinelName}-config`), volumeClaimTemplate('data', s.sentinelStorage), this.sentinels));

    // Pod DNS names resolve before readiness: members find each other while they start.
    const metrics = { name: 'metrics', port: METRICS_PORT, appProtocol: 'http' };
    this.redisService = redis.headlessService('RedisService', meta(redisName, redisLabels), [{ name: 'tcp-redis', port: REDIS_PORT, appProtocol: 'tcp' }, metrics]);
    this.sentinelService = sentinel.headlessService('SentinelService', meta(sentinelName, sentinelLabels),
      [{ name: 'tcp-sentinel', port: SENTINEL_PORT, appProtocol: 'tcp' }, metrics]);
    this.redisPodDisruptionBudget = redis.disruptionBudget('RedisPodDisruptionBudget', meta(redisName, redisLabels), this.redisMaxUnavailable);
    this.sentinelPodDisruptionBudget = sentinel.disruptionBudget('SentinelPodDisruptionBudget', meta(sentinelName, sentinelLabels), this.sentinelMaxUnavailable);

    const redisPods = { namespace: this.namespace, podLabels: this.redisSelector };
    const sentinelPods = { namespace: this.namespace, podLabels: this.sentinelSelector };
    declareFlows(this, [
      { kind: 'replication', from: redisPods, to: redisPods, ports: [{ port: REDIS_PORT }], why: 'replicas replicate from the master' },
      { kind: 'quorum', from: sentinelPods, to: redisPods, ports: [{ port: REDIS_PORT }], why: 'Sentinels monitor every Redis and reconfigure them on failover' },
      { kind: 'quorum', from: sentinelPods, to: sentinelPods, ports: [{ port: SENTINEL_PORT }], why: 'Sentinels gossip and vote on failover' },
      { kind: 'quorum', from: redisPods, to: sentinelPods, ports: [{ port: SENTINEL_PORT }], why: 'the Redis start and preStop scripts ask the Sentinels for the master' },
    ]);
    this.redisNetworkPolicy = redis.networkPolicy('RedisNetworkPolicy', meta(redisName, redisLabels), () => this.memberTraffic(REDIS_PORT));
    this.sentinelNetworkPolicy = sentinel.networkPolicy('SentinelNetworkPolicy', meta(sentinelName, sentinelLabels), () => this.memberTraffic(SENTINEL_PORT));

    const monitorLabels = { ...common, [LABELS.instance]: instance };
    this.serviceMonitor = scrapeServices(this, {
      metadata: meta(this.name, monitorLabels),
      selector: { [LABELS.instance]: instance, [LABELS.partOf]: this.name },
      endpoints: [scrapeEndpoint('metrics', '15s', '10s')],
      produces: { producer: 'the redis_exporter sidecars (scraped by this ServiceMonitor)', metrics: ['redis_*'] },
    });
    // P-tiers of the case study (section 3.4): losing the master or the sentinels' quorum pages
    // (P1 for critical and high tiers, P2 below); replication and memory are P2 / P3 warnings.
    const pageSeverity = this.tier === Criticality.CRITICAL || this.tier === Criticality.HIGH ? 'P1' : 'P2';
    const alerts = renderRedisAlerts({ ...s, redisService: redisName, sentinelService: sentinelName, pageSeverity });
    this.prometheusRule = new PrometheusRule(this, 'PrometheusRule', { metadata: meta(this.name, monitorLabels), spec: { groups: [alerts] } });
    Checks.of(this.node.root);
  }

  /** Rendered configs: one file per pod (its announced name and, for Redis, its first role), and the pods' scripts. */
  private renderFiles(shared: RedisSentinelInput, redisName: string, sentinelName: string): {
    redisData: Record<string, string>; sentinelData: Record<string, string>;
  } {
    const redisData: Record<string, string> = {};
    this.redisHosts.forEach((host, i) => {
      redisData[`${redisName}-${i}.conf`] = renderRedisConf({
        ...shared,
        role: i === 0 ? RedisRole.master() : RedisRole.replicaOf(this.redisHosts[0], REDIS_PORT),
        announceHostname: host,
        dir: DATA,
        maxmemoryBytes: this.maxmemoryBytes,
        maxmemoryPolicy: this.maxmemoryPolicy,
      });
    });
    const scripts: RedisPodScriptsInput = { sentinelHosts: this.sentinelHosts, masterName: this.masterName, secretFile: SECRET_FILE, configFile: `${RUN}/redis.conf` };
    redisData['redis-auth.sh'] = renderRedisAuthScript({ ...shared, role: RedisRole.master(), announceHostname: this.redisHosts[0] });
    redisData['start-redis.sh'] = renderRedisStartScript(scripts);
    redisData['prestop-redis.sh'] = renderRedisPreStopScript(scripts);

    const sentinelData: Record<string, string> = {};
    const sentinelInput = (i: number): SentinelConfInput => ({
      ...shared,
      masterHost: this.redisHosts[0],
      announceHostname: this.sentinelHosts[i],
      dir: SENTINEL_DATA,
      myId: createHash('sha1').update(`${this.namespace}/${sentinelName}-${i}`).digest('hex'),
    });
    this.sentinelHosts.forEach((_, i) => {
      sentinelData[`${sentinelName}-${i}.conf`] = renderSentinelConf(sentinelInput(i));
    });
    sentinelData['sentinel-auth.sh'] = renderSentinelAuthScript(sentinelInput(0));
    sentinelData['start-sentinel.sh'] = renderSentinelStartScript({ ...scripts, configFile: `${SENTINEL_DATA}/sentinel.conf` }, sentinelInput(0));
    return { redisData, sentinelData };
  }

  /** A cache with automatic failover. */
  protected get availabilityFacts(): Omit<DependencyFacts, 'id' | 'zones'> {
    return { kind: DependencyKind.CACHE, tier: this.tier, replicas: this.redisPods, automaticFailover: true };
  }

  /** A dependent reaches Redis on 6379 and the Sentinels on 26379. */
  public egressPeers(): readonly NetworkPeer[] {
    return [
      { namespace: this.namespace, podLabels: this.redisSelector, ports: [{ port: REDIS_PORT, protocol: 'TCP' }] },
      { namespace: this.namespace, podLabels: this.sentinelSelector, ports: [{ port: SENTINEL_PORT, protocol: 'TCP' }] },
    ];
  }

  /** The two headless Services, as Istio `namespace/host` entries. */
  public meshHosts(): readonly string[] {
    return [`${this.namespace}/${this.redisHost}`, `${this.namespace}/${this.sentinelHost}`];
  }

  private volumes(configMap: string): Record<string, unknown>[] {
    return [
      { name: 'rendered', configMap: { name: configMap, defaultMode: 0o444 } },
      { name: 'secret', secret: { secretName: this.passwordSecret.name, items: [{ key: this.passwordSecret.key, path: 'password' }], defaultMode: 0o440 } },
      { name: 'run', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
      { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
    ];
  }

  private exporter(addr: string): Record<string, unknown> {
    return {
      name: 'exporter',
      image: this.exporterImage,
      imagePullPolicy: 'IfNotPresent',
      env: [
        { name: 'REDIS_ADDR', value: addr },
        { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: this.passwordSecret.name, key: this.passwordSecret.key } } },
        { name: 'REDIS_EXPORTER_WEB_LISTEN_ADDRESS', value: `:${METRICS_PORT}` },
      ],
      ports: [{ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' }],
      resources: renderResources(EXPORTER_RESOURCES),
      livenessProbe: { tcpSocket: { port: 'metrics' }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1 },
      readinessProbe: { httpGet: { path: '/health', port: 'metrics', scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 2, successThreshold: 1 },
      lifecycle: preStopSleep(5),
      securityContext: containerSecurityContext(this.identity),
      terminationMessagePolicy: 'FallbackToLogsOnError',
    };
  }

  private podSpec(containers: Record<string, unknown>[], init: Record<string, unknown>, selector: Record<string, string>, grace: number,
    configMap: string): Record<string, unknown> {
    return {
      ...hardenedPodBasics({ serviceAccountName: this.name, priorityClassName: this.priorityClassName, identity: this.identity }),
      terminationGracePeriodSeconds: grace,
      topologySpreadConstraints: zoneSpread(selector, false),
      initContainers: [init],
      containers,
      volumes: this.volumes(configMap),
    };
  }

  private statefulSetSpec(name: string, labels: Record<string, string>, data: Record<string, string>, podSpec: Record<string, unknown>,
    claim: Record<string, unknown>, replicas: number): MemberStatefulSetSpec {
    const hash = createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 16);
    return {
      serviceName: name,
      replicas,
      template: {
        metadata: {
          labels,
          annotations: {
            'kubectl.kubernetes.io/default-container': name.endsWith('-redis') ? 'redis' : 'sentinel',
            'nines.dev/config-hash': hash,
            // The start scripts ask the Sentinels for the current master: the mesh proxy must be up first.
            'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts":true}',
          },
        },
        spec: podSpec,
      },
      volumeClaimTemplates: [claim],
    };
  }

  private initContainer(script: string): Record<string, unknown> {
    return {
      name: 'config',
      image: this.image,
      imagePullPolicy: 'IfNotPresent',
      command: ['/bin/sh', '-c', script],
      env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      resources: renderResources(INIT_RESOURCES),
      securityContext: containerSecurityContext(this.identity),
      terminationMessagePolicy: 'FallbackToLogsOnError',
    };
  }

  private redisPodSpec(configMap: string): Record<string, unknown> {
    const init = {
      ...this.initContainer(`set -eu; umask 077; cp "${RENDERED}/$POD_NAME.conf" ${RUN}/redis.conf; sh ${RENDERED}/redis-auth.sh`),
      volumeMounts: DAEMON_MOUNTS,
    };
    const redis = this.daemonContainer('redis', REDIS_PORT, this.resources, {
      // Loading a large append-only file answers LOADING: the startup probe allows 5 minutes.
      startupProbe: execProbe(`${AUTH} -p ${REDIS_PORT} ping | grep -Eq '^(PONG|LOADING)'`, 5, 3, 60),
      livenessProbe: execProbe(`${AUTH} -p ${REDIS_PORT} ping | grep -Eq '^(PONG|LOADING|MASTERDOWN)'`, 10, 5, 3),
      // Ready: the master, or a replica whose link to the master is up.
      readinessProbe: execProbe(`${AUTH} -p ${REDIS_PORT} info replication | tr -d '\\r' | grep -Eq '^(role:master|master_link_status:up)$'`, 5, 3, 2),
      lifecycle: { preStop: { exec: { command: ['/bin/sh', `${RENDERED}/prestop-redis.sh`] } } },
      volumeMounts: [...DAEMON_MOUNTS, { name: 'data', mountPath: DATA }],
    });
    const exporter = this.exporter(`redis://localhost:${REDIS_PORT}`);
    // Grace: the preStop handover (up to 20 s) plus the AOF fsync and shutdown.
    return this.podSpec([redis, exporter], init, this.redisSelector, 60, configMap);
  }

  private sentinelPodSpec(configMap: string): Record<string, unknown> {
    const mounts = [...DAEMON_MOUNTS, { name: 'data', mountPath: SENTINEL_DATA }];
    const conf = `${SENTINEL_DATA}/sentinel.conf`;
    // Copy only when the volume holds no config yet: Sentinel's rewritten copy is its state.
    const init = {
      ...this.initContainer(`set -eu; umask 077; if [ ! -s ${conf} ]; then cp "${RENDERED}/$POD_NAME.conf" ${conf}.new; `
        + `touch ${conf}.fresh; mv ${conf}.new ${conf}; fi; sh ${RENDERED}/sentinel-auth.sh`),
      volumeMounts: mounts,
    };
    const sentinel = this.daemonContainer('sentinel', SENTINEL_PORT, this.sentinelResources, {
      livenessProbe: execProbe(`${AUTH} -p ${SENTINEL_PORT} ping | grep -q '^PONG'`, 10, 5, 3, 10),
      // Ready when this Sentinel sees enough Sentinels to authorize a failover.
      readinessProbe: execProbe(`${AUTH} -p ${SENTINEL_PORT} sentinel ckquorum ${this.masterName} | grep -q '^OK'`, 5, 3, 2, 5),
      lifecycle: preStopSleep(5),
      volumeMounts: mounts,
    });
    const exporter = this.exporter(`redis://localhost:${SENTINEL_PORT}`);
    return this.podSpec([sentinel, exporter], init, this.sentinelSelector, 30, configMap);
  }

  /**
   * The Redis or the Sentinel container: the image started by its rendered start script
   * (`start-redis.sh`, `start-sentinel.sh`), serving `port`, hardened; `rest` adds its probes,
   * preStop and mounts.
   */
  private daemonContainer(name: 'redis' | 'sentinel', port: number, resources: ResolvedResources, rest: Record<string, unknown>): Record<string, unknown> {
    return {
      name,
      image: this.image,
      imagePullPolicy: 'IfNotPresent',
      command: ['/bin/sh', `${RENDERED}/start-${name}.sh`],
      ports: [{ name: `tcp-${name}`, containerPort: port, protocol: 'TCP' }],
      resources: renderResources(resources),
      securityContext: containerSecurityContext(this.identity),
      terminationMessagePolicy: 'FallbackToLogsOnError',
      ...rest,
    };
  }

  /** Who the Redis pods (`port` 6379) or the Sentinels (26379) admit and reach. */
  private memberTraffic(port: number): MemberTraffic {
    const callers = ServiceGraph.of(this).callingPeersOf(this);
    return {
      ingress: [
        ...callers.map(c => ({ ...c.callerPeer(), ports: [{ port, protocol: 'TCP' as const }] })),
        // Members: replication and Sentinel monitoring to Redis; Sentinel gossip, and the Redis
        // start/preStop scripts asking the Sentinels, to the Sentinels.
        this.redisMembers.peer(port),
        this.sentinelMembers.peer(port),
        { namespace: this.context.monitoringNamespace, ports: [{ port: METRICS_PORT, protocol: 'TCP' }] },
      ],
      egress: [this.redisMembers.peer(REDIS_PORT), this.sentinelMembers.peer(SENTINEL_PORT)],
    };
  }
}
