/**
 * RedisSentinel: a Redis master with replicas watched by Redis Sentinel, spread across zones,
 * hardened like a ResilientService, with its configs rendered by `lib/render/redis.ts` (the same
 * output the system test runs against real redis-server and redis-sentinel).
 */
import { createHash } from 'crypto';
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { DependencyFacts, DependencyKind, IDependable, NetworkPeer, ServiceGraph } from './dependency';
import { RegionChart } from './region-chart';
import { ContainerResources, PodIdentity, ResolvedResources, identityProblems, imageProblems, renderResources, resolveResources, resourceProblems } from './workload-options';
import { Checks } from '../checks/checks';
import { Criticality, isCriticality, tierDefaults } from '../core/criticality';
import { Problems } from '../core/errors';
import { LABELS, MANAGED_BY, isDnsLabel, isLabelValue } from '../core/labels';
import { runbookAnnotation, runbookBaseUrlProblems } from '../core/platform';
import { parseQuantity } from '../core/quantity';
import {
  REDIS_SENTINEL_DEFAULTS, RedisMaxmemoryPolicy, RedisPassword, RedisPodScriptsInput, RedisRole, RedisSentinelInput, SentinelConfInput,
  renderRedisAuthScript, renderRedisConf, renderRedisPreStopScript, renderRedisStartScript, renderSentinelAuthScript, renderSentinelConf,
  renderSentinelStartScript, validateRedisSentinelInput,
} from '../render/redis';
import { PrometheusRule, ServiceMonitor } from './crds/monitoring';
import { renderNetworkPolicySpec } from './private/network';
import { containerSecurityContext, podSecurityContext, preStopSleep, zoneSpread } from './private/pod';

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

/** A PersistentVolumeClaim template. */
export interface RedisStorageOptions {
  /**
   * Requested size.
   * @default - '10Gi' for Redis data, '1Gi' for a Sentinel's config (the smallest EBS volume)
   */
  readonly size?: string;
  /**
   * StorageClass.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
}

/** Props of a {@link RedisSentinel}. */
export interface RedisSentinelProps {
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
   * Replicas of the master (the set runs `replicas + 1` Redis pods).
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Sentinels; at least 3, and spread so no zone holds a majority.
   * @default 3
   */
  readonly sentinels?: number;
  /**
   * Sentinels that must agree the master is down: a majority of `sentinels`, below `sentinels`.
   * @default - a majority (2 of 3)
   */
  readonly quorum?: number;
  /**
   * The name clients ask Sentinel for.
   * @default 'mymaster'
   */
  readonly masterName?: string;
  /**
   * Sentinel down-after-milliseconds (the case study).
   * @default 5000
   */
  readonly downAfterMilliseconds?: number;
  /**
   * Sentinel failover-timeout (the case study).
   * @default 10000
   */
  readonly failoverTimeoutMilliseconds?: number;
  /**
   * Sentinel parallel-syncs (the case study).
   * @default 1
   */
  readonly parallelSyncs?: number;
  /**
   * min-replicas-to-write: a master cut off from its replicas stops taking writes.
   * @default 1
   */
  readonly minReplicasToWrite?: number;
  /**
   * min-replicas-max-lag in seconds.
   * @default 10
   */
  readonly minReplicasMaxLagSeconds?: number;
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
   * @default { size: '10Gi' }
   */
  readonly storage?: RedisStorageOptions;
  /**
   * Sentinel volume: keeps the config Sentinel rewrites (current master, epochs, its ID) across restarts.
   * @default { size: '1Gi' }
   */
  readonly sentinelStorage?: RedisStorageOptions;
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

/** One alerting rule of the PrometheusRule. */
interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** Labels and ports of the two halves. */
const REDIS_PORT = REDIS_SENTINEL_DEFAULTS.redisPort;
const SENTINEL_PORT = REDIS_SENTINEL_DEFAULTS.sentinelPort;
const METRICS_PORT = 9121;
const RENDERED = '/etc/redis-rendered';
const RUN = '/run/redis';
const SECRET_DIR = '/etc/redis-secret';
const SECRET_FILE = `${SECRET_DIR}/password`;
const DATA = '/data';
const SENTINEL_DATA = '/sentinel';
const EXPORTER_RESOURCES: ResolvedResources = {
  cpuRequest: '50m', cpuLimit: '200m', memoryRequest: '32Mi', memoryLimit: '64Mi', ephemeralRequest: '16Mi', ephemeralLimit: '64Mi',
};
const INIT_RESOURCES: ResolvedResources = {
  cpuRequest: '50m', cpuLimit: '200m', memoryRequest: '32Mi', memoryLimit: '64Mi', ephemeralRequest: '16Mi', ephemeralLimit: '64Mi',
};
const REDIS_BASE: ContainerResources = {
  cpu: { request: '500m', limit: '1000m' }, memory: { request: '2Gi', limit: '2Gi' }, ephemeralStorage: { request: '256Mi', limit: '1Gi' },
};
const SENTINEL_BASE: ContainerResources = {
  cpu: { request: '100m', limit: '250m' }, memory: { request: '64Mi', limit: '128Mi' }, ephemeralStorage: { request: '64Mi', limit: '256Mi' },
};

function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** Smallest sentinel count >= `from` such that no zone of `zones` holds a majority. */
function sentinelsForZones(from: number, zones: number): number {
  let s = Math.max(from, 3);
  while (Math.ceil(s / zones) >= majority(s)) s++;
  return s;
}

/** Fewest zones over which `sentinels` put no majority in one zone. */
function zonesForSentinels(sentinels: number): number {
  let z = 2;
  while (Math.ceil(sentinels / z) >= majority(sentinels)) z++;
  return z;
}

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
export class RedisSentinel extends Construct implements IDependable {
  public readonly name: string;
  public readonly namespace: string;
  public readonly team: string;
  public readonly tier: Criticality;
  public readonly image: string;
  public readonly exporterImage: string;
  /** Replicas of the master. */
  public readonly replicas: number;
  /** Redis pods (`replicas + 1`). */
  public readonly redisPods: number;
  public readonly sentinels: number;
  public readonly quorum: number;
  public readonly masterName: string;
  public readonly downAfterMilliseconds: number;
  public readonly failoverTimeoutMilliseconds: number;
  public readonly parallelSyncs: number;
  public readonly minReplicasToWrite: number;
  public readonly minReplicasMaxLagSeconds: number;
  public readonly maxmemoryPolicy: RedisMaxmemoryPolicy;
  public readonly maxmemoryPercent: number;
  /** maxmemory in bytes, from the memory limit and `maxmemoryPercent`. */
  public readonly maxmemoryBytes: number;
  public readonly zones: readonly string[];
  public readonly storage: Required<Pick<RedisStorageOptions, 'size'>> & RedisStorageOptions;
  public readonly sentinelStorage: Required<Pick<RedisStorageOptions, 'size'>> & RedisStorageOptions;
  public readonly resources: ResolvedResources;
  public readonly sentinelResources: ResolvedResources;
  public readonly identity: Required<PodIdentity>;
  /** Base of the alerts' `runbook_url`s; `undefined` when neither the prop nor the platform gives one. */
  public readonly runbookBaseUrl?: string;
  public readonly passwordSecret: Required<RedisSecretKeyRef>;
  public readonly priorityClassName: string;
  /** Redis pods' PDB maxUnavailable. */
  public readonly redisMaxUnavailable: number;
  /** Sentinel pods' PDB maxUnavailable (`sentinels - quorum`: the rest can still fail over). */
  public readonly sentinelMaxUnavailable: number;
  /** Headless Service host of the Redis pods, e.g. `cache-redis.catalog.svc.cluster.local`. */
  public readonly redisHost: string;
  /** Headless Service host of the Sentinels: what clients give their Sentinel client. */
  public readonly sentinelHost: string;
  /** Pod DNS names of the Redis pods (`redisHosts[0]` is the initial master). */
  public readonly redisHosts: readonly string[];
  /** Pod DNS names of the Sentinels. */
  public readonly sentinelHosts: readonly string[];
  public readonly redisSelector: Record<string, string>;
  public readonly sentinelSelector: Record<string, string>;

  public readonly redisConfigMap: ApiObject;
  public readonly sentinelConfigMap: ApiObject;
  public readonly serviceAccount: ApiObject;
  /** The Redis StatefulSet (`node.defaultChild`). */
  public readonly redisStatefulSet: ApiObject;
  public readonly sentinelStatefulSet: ApiObject;
  public readonly redisService: ApiObject;
  public readonly sentinelService: ApiObject;
  public readonly redisPodDisruptionBudget: ApiObject;
  public readonly sentinelPodDisruptionBudget: ApiObject;
  public readonly redisNetworkPolicy: ApiObject;
  public readonly sentinelNetworkPolicy: ApiObject;
  public readonly serviceMonitor: ApiObject;
  public readonly prometheusRule: ApiObject;

  private readonly meshNamespace: string;
  private readonly monitoringNamespace: string;

  constructor(scope: Construct, id: string, props: RedisSentinelProps) {
    super(scope, id);
    const region = RegionChart.find(this)?.region;
    const platform = region?.platform;
    const problems = new Problems('RedisSentinel', this.node.path);

    this.name = props.name ?? id;
    this.namespace = props.namespace;
    this.team = props.team ?? props.namespace;
    this.tier = props.tier ?? Criticality.HIGH;
    this.image = props.image ?? 'redis:7.2.5';
    this.exporterImage = props.exporterImage ?? 'oliver006/redis_exporter:v1.62.0-alpine';
    this.meshNamespace = platform?.meshNamespace ?? 'istio-system';
    this.monitoringNamespace = platform?.monitoringNamespace ?? 'monitoring';
    const domain = platform?.clusterDomain ?? 'cluster.local';

    // Names: `<name>-sentinel-<n>` must stay a DNS label (63) with room for the ordinal.
    problems.when(!isDnsLabel(this.name) || this.name.length > 40, 'name', this.name,
      'must be a DNS label of at most 40 characters (pods are named <name>-sentinel-<ordinal>)', 'use lower-case letters, digits and "-", e.g. "cache"');
    problems.when(!isDnsLabel(this.namespace), 'namespace', this.namespace, 'is not a DNS label', 'use lower-case letters, digits and "-"');
    problems.when(!isLabelValue(this.team), 'team', this.team, 'is not a valid label value', 'use letters, digits, "-", "_" or ".", at most 63 characters');
    const tierOk = !problems.when(!isCriticality(this.tier), 'tier', this.tier, 'is not a criticality tier', 'use Criticality.CRITICAL, HIGH, MEDIUM or LOW');
    problems.addAll(imageProblems('image', this.image));
    problems.addAll(imageProblems('exporterImage', this.exporterImage));
    this.runbookBaseUrl = props.runbookBaseUrl ?? platform?.runbookBaseUrl;
    if (props.runbookBaseUrl !== undefined) problems.addAll(runbookBaseUrlProblems(props.runbookBaseUrl));

    const secret = props.passwordSecret;
    this.passwordSecret = { name: secret?.name, key: secret?.key ?? 'password' };
    problems.when(typeof this.passwordSecret.name !== 'string' || !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(this.passwordSecret.name),
      'passwordSecret.name', this.passwordSecret.name, 'is not a Secret name', 'give the name of a Secret in the same namespace');
    problems.when(typeof this.passwordSecret.key !== 'string' || !/^[-._a-zA-Z0-9]{1,253}$/.test(this.passwordSecret.key),
      'passwordSecret.key', this.passwordSecret.key, 'is not a Secret key', 'use letters, digits, "-", "_" or ".", e.g. "password"');

    // Topology and Sentinel settings: the renderer's invariants, reported under our props.
    this.replicas = props.replicas ?? REDIS_SENTINEL_DEFAULTS.replicas;
    this.redisPods = this.replicas + 1;
    this.sentinels = props.sentinels ?? REDIS_SENTINEL_DEFAULTS.sentinels;
    this.quorum = props.quorum ?? majority(this.sentinels);
    this.masterName = props.masterName ?? REDIS_SENTINEL_DEFAULTS.masterName;
    this.downAfterMilliseconds = props.downAfterMilliseconds ?? REDIS_SENTINEL_DEFAULTS.downAfterMilliseconds;
    this.failoverTimeoutMilliseconds = props.failoverTimeoutMilliseconds ?? REDIS_SENTINEL_DEFAULTS.failoverTimeoutMilliseconds;
    this.parallelSyncs = props.parallelSyncs ?? REDIS_SENTINEL_DEFAULTS.parallelSyncs;
    this.minReplicasToWrite = props.minReplicasToWrite ?? REDIS_SENTINEL_DEFAULTS.minReplicasToWrite;
    this.minReplicasMaxLagSeconds = props.minReplicasMaxLagSeconds ?? REDIS_SENTINEL_DEFAULTS.minReplicasMaxLagSeconds;
    this.maxmemoryPolicy = props.maxmemoryPolicy ?? REDIS_SENTINEL_DEFAULTS.maxmemoryPolicy;
    const password = RedisPassword.fromSecretFile({ secretFile: SECRET_FILE, includeFile: `${RUN}/auth.conf` });
    const shared: RedisSentinelInput = {
      replicas: this.replicas,
      sentinels: this.sentinels,
      quorum: props.quorum,
      masterName: this.masterName,
      downAfterMilliseconds: this.downAfterMilliseconds,
      failoverTimeoutMilliseconds: this.failoverTimeoutMilliseconds,
      parallelSyncs: this.parallelSyncs,
      minReplicasToWrite: this.minReplicasToWrite,
      minReplicasMaxLagSeconds: this.minReplicasMaxLagSeconds,
      password,
    };
    const sharedProblems = validateRedisSentinelInput(shared);
    problems.addAll(sharedProblems);
    const topologyOk = !sharedProblems.some(p => p.prop === 'sentinels' || p.prop === 'quorum');
    if (topologyOk && this.quorum >= this.sentinels) {
      problems.add('quorum', this.quorum, `must be below sentinels (${this.sentinels}): with every Sentinel needed, one Sentinel down or drained stops all failovers`,
        `set quorum to ${majority(this.sentinels)}, or run ${this.quorum + 1} sentinels`);
    }

    this.zones = props.zones ?? region?.zones ?? [];
    if (props.zones === undefined && region === undefined) {
      problems.add('zones', undefined, 'are unknown: the cache is not inside a RegionChart and no zones were given',
        'create it inside a RegionChart (zones come from the platform description) or pass zones');
    } else if (this.zones.length < 2 || new Set(this.zones).size !== this.zones.length) {
      problems.add('zones', this.zones, 'must list at least 2 distinct zones, or one zone outage takes the master and every replica down',
        'spread over 2 or more zones (the case study uses 3 per region)');
    } else if (topologyOk) {
      const perZone = Math.ceil(this.sentinels / this.zones.length);
      if (perZone >= majority(this.sentinels)) {
        problems.add('sentinels', this.sentinels,
          `spread over ${this.zones.length} zones puts ${perZone} in one zone, a majority: that zone alone could elect a failover leader `
          + 'in a partition, and losing it leaves no majority to fail over',
          `spread over ${zonesForSentinels(this.sentinels)} or more zones, or run ${sentinelsForZones(this.sentinels + 1, this.zones.length)} sentinels`);
      }
    }

    // Resources, memory, storage, identity.
    this.resources = resolveResources(props.resources, REDIS_BASE);
    problems.addAll(resourceProblems('resources', this.resources));
    this.sentinelResources = resolveResources(props.sentinelResources, SENTINEL_BASE);
    problems.addAll(resourceProblems('sentinelResources', this.sentinelResources));
    this.maxmemoryPercent = props.maxmemoryPercent ?? 75;
    const limitBytes = parseQuantity(this.resources.memoryLimit) ?? 0;
    this.maxmemoryBytes = Math.floor(limitBytes * this.maxmemoryPercent / 100);
    if (!Number.isInteger(this.maxmemoryPercent) || this.maxmemoryPercent < 10 || this.maxmemoryPercent > 90) {
      problems.add('maxmemoryPercent', this.maxmemoryPercent,
        'must be an integer from 10 to 90: above 90% the AOF rewrite fork and replication buffers push Redis past its memory limit (OOM kill)',
        'use 75');
    }
    this.storage = { ...props.storage, size: props.storage?.size ?? '10Gi' };
    this.sentinelStorage = { ...props.sentinelStorage, size: props.sentinelStorage?.size ?? '1Gi' };
    for (const [prop, s] of [['storage', this.storage], ['sentinelStorage', this.sentinelStorage]] as const) {
      const bytes = parseQuantity(s.size);
      problems.when(bytes === undefined || bytes <= 0, `${prop}.size`, s.size, 'is not a positive byte quantity', 'use e.g. "10Gi"');
      problems.when(s.storageClassName !== undefined && !isDnsLabel(s.storageClassName) && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s.storageClassName),
        `${prop}.storageClassName`, s.storageClassName, 'is not a StorageClass name', 'use e.g. "gp3"');
    }
    this.identity = { user: props.identity?.user ?? 10001, group: props.identity?.group ?? 10001, fsGroup: props.identity?.fsGroup ?? 10001 };
    problems.addAll(identityProblems('identity', this.identity));

    if (problems.count > 0) {
      scope.node.tryRemoveChild(id);
      problems.throwIfAny();
    }

    // ---- children (props are valid from here on) ----
    this.priorityClassName = tierDefaults(tierOk ? this.tier : Criticality.LOW).priorityClassName;
    this.redisMaxUnavailable = 1;
    this.sentinelMaxUnavailable = this.sentinels - this.quorum;
    const redisName = `${this.name}-redis`;
    const sentinelName = `${this.name}-sentinel`;
    this.redisHost = `${redisName}.${this.namespace}.svc.${domain}`;
    this.sentinelHost = `${sentinelName}.${this.namespace}.svc.${domain}`;
    this.redisHosts = Array.from({ length: this.redisPods }, (_, i) => `${redisName}-${i}.${this.redisHost}`);
    this.sentinelHosts = Array.from({ length: this.sentinels }, (_, i) => `${sentinelName}-${i}.${this.sentinelHost}`);
    const instance = `${this.name}-${this.namespace}`;
    this.redisSelector = { [LABELS.name]: redisName, [LABELS.instance]: instance };
    this.sentinelSelector = { [LABELS.name]: sentinelName, [LABELS.instance]: instance };
    const common = {
      [LABELS.partOf]: this.name,
      [LABELS.managedBy]: MANAGED_BY,
      [LABELS.team]: this.team,
      [LABELS.tier]: this.tier,
    };
    const redisLabels = { ...this.redisSelector, ...common, [LABELS.component]: 'redis' };
    const sentinelLabels = { ...this.sentinelSelector, ...common, [LABELS.component]: 'sentinel' };
    const meta = (name: string, labels: Record<string, string>) => ({ name, namespace: this.namespace, labels });

    // Rendered configs: one file per pod (its announced name and, for Redis, its first role).
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
    const firstRedis = { ...shared, role: RedisRole.master(), announceHostname: this.redisHosts[0] };
    const scripts: RedisPodScriptsInput = {
      sentinelHosts: this.sentinelHosts,
      masterName: this.masterName,
      secretFile: SECRET_FILE,
      configFile: `${RUN}/redis.conf`,
    };
    redisData['redis-auth.sh'] = renderRedisAuthScript(firstRedis);
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
    sentinelData['start-sentinel.sh'] = renderSentinelStartScript(
      { ...scripts, configFile: `${SENTINEL_DATA}/sentinel.conf` }, sentinelInput(0));

    this.redisConfigMap = new ApiObject(this, 'RedisConfig', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${redisName}-config`, redisLabels), data: redisData,
    } as any);
    this.sentinelConfigMap = new ApiObject(this, 'SentinelConfig', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${sentinelName}-config`, sentinelLabels), data: sentinelData,
    } as any);

    this.serviceAccount = new ApiObject(this, 'ServiceAccount', {
      apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(this.name, { ...common, [LABELS.instance]: instance }), automountServiceAccountToken: false,
    } as any);

    this.redisStatefulSet = new ApiObject(this, 'Resource', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta(redisName, redisLabels),
      spec: this.renderRedisStatefulSet(redisName, redisLabels, redisData),
    });
    this.sentinelStatefulSet = new ApiObject(this, 'SentinelStatefulSet', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta(sentinelName, sentinelLabels),
      spec: this.renderSentinelStatefulSet(sentinelName, sentinelLabels, sentinelData),
    });

    const headless = (name: string, labels: Record<string, string>, selector: Record<string, string>, port: number, portName: string) =>
      new ApiObject(this, name === redisName ? 'RedisService' : 'SentinelService', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta(name, labels),
        spec: {
          clusterIP: 'None',
          // Pod DNS names resolve before readiness: members find each other while they start.
          publishNotReadyAddresses: true,
          selector,
          ports: [
            { name: portName, port, targetPort: portName, protocol: 'TCP', appProtocol: 'tcp' },
            { name: 'metrics', port: METRICS_PORT, targetPort: 'metrics', protocol: 'TCP', appProtocol: 'http' },
          ],
        },
      });
    this.redisService = headless(redisName, redisLabels, this.redisSelector, REDIS_PORT, 'tcp-redis');
    this.sentinelService = headless(sentinelName, sentinelLabels, this.sentinelSelector, SENTINEL_PORT, 'tcp-sentinel');

    const pdb = (cid: string, name: string, labels: Record<string, string>, selector: Record<string, string>, maxUnavailable: number) =>
      new ApiObject(this, cid, {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: meta(name, labels),
        spec: { maxUnavailable, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
      });
    this.redisPodDisruptionBudget = pdb('RedisPodDisruptionBudget', redisName, redisLabels, this.redisSelector, this.redisMaxUnavailable);
    this.sentinelPodDisruptionBudget = pdb('SentinelPodDisruptionBudget', sentinelName, sentinelLabels, this.sentinelSelector, this.sentinelMaxUnavailable);

    ServiceGraph.of(this).addNode(this);
    this.redisNetworkPolicy = new ApiObject(this, 'RedisNetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(redisName, redisLabels),
      spec: Lazy.any({ produce: () => this.renderNetworkPolicy('redis') }),
    });
    this.sentinelNetworkPolicy = new ApiObject(this, 'SentinelNetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(sentinelName, sentinelLabels),
      spec: Lazy.any({ produce: () => this.renderNetworkPolicy('sentinel') }),
    });

    const monitorLabels = { ...common, [LABELS.instance]: instance };
    this.serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: meta(this.name, monitorLabels),
      spec: {
        selector: { matchLabels: { [LABELS.instance]: instance, [LABELS.partOf]: this.name } },
        namespaceSelector: { matchNames: [this.namespace] },
        endpoints: [{ port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '10s' }],
        jobLabel: LABELS.name,
      },
    });
    this.prometheusRule = new PrometheusRule(this, 'PrometheusRule', {
      metadata: meta(this.name, monitorLabels),
      spec: { groups: [{ name: `${this.namespace}-${this.name}-redis-sentinel`, rules: this.renderAlerts(redisName, sentinelName) }] },
    });

    Checks.of(this.node.root);
  }

  /** Graph identity and availability facts: a cache with automatic failover. */
  public get dependencyFacts(): DependencyFacts {
    return {
      id: `${this.namespace}/${this.name}`,
      kind: DependencyKind.CACHE,
      tier: this.tier,
      replicas: this.redisPods,
      zones: this.zones.length,
      automaticFailover: true,
    };
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
      serviceAccountName: this.name,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      priorityClassName: this.priorityClassName,
      securityContext: podSecurityContext(this.identity),
      terminationGracePeriodSeconds: grace,
      topologySpreadConstraints: zoneSpread(selector, false),
      initContainers: [init],
      containers,
      volumes: this.volumes(configMap),
    };
  }

  private claim(size: string, storageClassName: string | undefined): Record<string, unknown> {
    return {
      metadata: { name: 'data' },
      spec: {
        accessModes: ['ReadWriteOnce'],
        ...(storageClassName ? { storageClassName } : {}),
        resources: { requests: { storage: size } },
      },
    };
  }

  private statefulSetSpec(name: string, labels: Record<string, string>, selector: Record<string, string>, data: Record<string, string>,
    podSpec: Record<string, unknown>, claim: Record<string, unknown>, replicas: number): Record<string, unknown> {
    const hash = createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 16);
    return {
      replicas,
      serviceName: name,
      selector: { matchLabels: selector },
      // Members find each other through DNS and retry; ordered start would only slow recovery.
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      minReadySeconds: 10,
      revisionHistoryLimit: 5,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
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

  private renderRedisStatefulSet(name: string, labels: Record<string, string>, data: Record<string, string>): Record<string, unknown> {
    const mounts = [
      { name: 'rendered', mountPath: RENDERED, readOnly: true },
      { name: 'secret', mountPath: SECRET_DIR, readOnly: true },
      { name: 'run', mountPath: RUN },
      { name: 'tmp', mountPath: '/tmp' },
    ];
    const init = {
      ...this.initContainer(`set -eu; umask 077; cp "${RENDERED}/$POD_NAME.conf" ${RUN}/redis.conf; sh ${RENDERED}/redis-auth.sh`),
      volumeMounts: mounts,
    };
    const redis = {
      name: 'redis',
      image: this.image,
      imagePullPolicy: 'IfNotPresent',
      command: ['/bin/sh', `${RENDERED}/start-redis.sh`],
      ports: [{ name: 'tcp-redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
      resources: renderResources(this.resources),
      // Loading a large append-only file answers LOADING: the startup probe allows 5 minutes.
      startupProbe: execProbe(`${AUTH} -p ${REDIS_PORT} ping | grep -Eq '^(PONG|LOADING)'`, 5, 3, 60),
      livenessProbe: execProbe(`${AUTH} -p ${REDIS_PORT} ping | grep -Eq '^(PONG|LOADING|MASTERDOWN)'`, 10, 5, 3),
      // Ready: the master, or a replica whose link to the master is up.
      readinessProbe: execProbe(`${AUTH} -p ${REDIS_PORT} info replication | tr -d '\\r' | grep -Eq '^(role:master|master_link_status:up)$'`, 5, 3, 2),
      lifecycle: { preStop: { exec: { command: ['/bin/sh', `${RENDERED}/prestop-redis.sh`] } } },
      securityContext: containerSecurityContext(this.identity),
      terminationMessagePolicy: 'FallbackToLogsOnError',
      volumeMounts: [...mounts, { name: 'data', mountPath: DATA }],
    };
    const exporter = this.exporter(`redis://localhost:${REDIS_PORT}`);
    // Grace: the preStop handover (up to 20 s) plus the AOF fsync and shutdown.
    const pod = this.podSpec([redis, exporter], init, this.redisSelector, 60, `${name}-config`);
    const claim = this.claim(this.storage.size, this.storage.storageClassName);
    return this.statefulSetSpec(name, labels, this.redisSelector, data, pod, claim, this.redisPods);
  }

  private renderSentinelStatefulSet(name: string, labels: Record<string, string>, data: Record<string, string>): Record<string, unknown> {
    const mounts = [
      { name: 'rendered', mountPath: RENDERED, readOnly: true },
      { name: 'secret', mountPath: SECRET_DIR, readOnly: true },
      { name: 'run', mountPath: RUN },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'data', mountPath: SENTINEL_DATA },
    ];
    const conf = `${SENTINEL_DATA}/sentinel.conf`;
    // Copy only when the volume holds no config yet: Sentinel's rewritten copy is its state.
    const init = {
      ...this.initContainer(`set -eu; umask 077; if [ ! -s ${conf} ]; then cp "${RENDERED}/$POD_NAME.conf" ${conf}.new; `
        + `touch ${conf}.fresh; mv ${conf}.new ${conf}; fi; sh ${RENDERED}/sentinel-auth.sh`),
      volumeMounts: mounts,
    };
    const sentinel = {
      name: 'sentinel',
      image: this.image,
      imagePullPolicy: 'IfNotPresent',
      command: ['/bin/sh', `${RENDERED}/start-sentinel.sh`],
      ports: [{ name: 'tcp-sentinel', containerPort: SENTINEL_PORT, protocol: 'TCP' }],
      resources: renderResources(this.sentinelResources),
      livenessProbe: execProbe(`${AUTH} -p ${SENTINEL_PORT} ping | grep -q '^PONG'`, 10, 5, 3, 10),
      // Ready when this Sentinel sees enough Sentinels to authorize a failover.
      readinessProbe: execProbe(`${AUTH} -p ${SENTINEL_PORT} sentinel ckquorum ${this.masterName} | grep -q '^OK'`, 5, 3, 2, 5),
      lifecycle: preStopSleep(5),
      securityContext: containerSecurityContext(this.identity),
      terminationMessagePolicy: 'FallbackToLogsOnError',
      volumeMounts: mounts,
    };
    const exporter = this.exporter(`redis://localhost:${SENTINEL_PORT}`);
    const pod = this.podSpec([sentinel, exporter], init, this.sentinelSelector, 30, `${name}-config`);
    return this.statefulSetSpec(name, labels, this.sentinelSelector, data, pod,
      this.claim(this.sentinelStorage.size, this.sentinelStorage.storageClassName), this.sentinels);
  }

  private renderNetworkPolicy(half: 'redis' | 'sentinel'): Record<string, unknown> {
    const callers = ServiceGraph.of(this).callingPeersOf(this);
    const redis = (port: number): NetworkPeer => ({ namespace: this.namespace, podLabels: this.redisSelector, ports: [{ port, protocol: 'TCP' }] });
    const sentinel = (port: number): NetworkPeer => ({ namespace: this.namespace, podLabels: this.sentinelSelector, ports: [{ port, protocol: 'TCP' }] });
    const port = half === 'redis' ? REDIS_PORT : SENTINEL_PORT;
    const ingress: NetworkPeer[] = [
      ...callers.map(c => ({ ...c.callerPeer(), ports: [{ port, protocol: 'TCP' as const }] })),
      // Members: replication and Sentinel monitoring to Redis; Sentinel gossip, and the Redis
      // start/preStop scripts asking the Sentinels, to the Sentinels.
      redis(port),
      sentinel(port),
      { namespace: this.monitoringNamespace, ports: [{ port: METRICS_PORT, protocol: 'TCP' }] },
    ];
    const egress: NetworkPeer[] = [redis(REDIS_PORT), sentinel(SENTINEL_PORT)];
    return renderNetworkPolicySpec({
      podSelector: half === 'redis' ? this.redisSelector : this.sentinelSelector,
      ingress,
      egress,
      meshNamespace: this.meshNamespace,
    });
  }

  private renderAlerts(redisName: string, sentinelName: string): AlertRule[] {
    const r = `namespace="${this.namespace}",service="${redisName}"`;
    const s = `namespace="${this.namespace}",service="${sentinelName}"`;
    // P-tiers of the case study (section 3.4): losing the master or the sentinels' quorum pages
    // (P1 for critical and high tiers, P2 below); replication and memory are P2 / P3 warnings.
    const severity = this.tier === Criticality.CRITICAL || this.tier === Criticality.HIGH ? 'P1' : 'P2';
    const what = `Redis ${this.namespace}/${this.name}`;
    const rules: AlertRule[] = [
      {
        alert: 'RedisMasterDown',
        expr: `(count(redis_instance_info{${r},role="master"} and on (pod) redis_up{${r}} == 1) or vector(0)) < 1`,
        for: '30s',
        labels: { severity },
        annotations: {
          summary: `${what} has no reachable master`,
          description: `No Redis pod of ${redisName} reports role master: writes fail. Sentinel should fail over within `
            + `${(this.downAfterMilliseconds + this.failoverTimeoutMilliseconds) / 1000} s; check the Sentinels' logs and quorum.`,
        },
      },
      {
        alert: 'RedisSentinelQuorumLost',
        expr: `(sum(redis_up{${s}}) or vector(0)) < ${this.quorum} or min(redis_sentinel_master_ckquorum_status{${s},master_name="${this.masterName}"}) == 0`,
        for: '1m',
        labels: { severity },
        annotations: {
          summary: `${what}: the Sentinels cannot reach their quorum of ${this.quorum}`,
          description: `Fewer than ${this.quorum} of ${this.sentinels} Sentinels of ${sentinelName} are up or agree: a master failure would not fail over.`,
        },
      },
      {
        alert: 'RedisReplicationBroken',
        expr: `min(redis_master_link_up{${r}}) == 0 or (sum(redis_connected_slaves{${r}}) or vector(0)) < ${this.replicas}`,
        for: '2m',
        labels: { severity: 'P2' },
        annotations: {
          summary: `${what}: replication is broken`,
          description: `A replica of ${redisName} lost its link to the master, or the master has fewer than ${this.replicas} replicas connected: `
            + 'a failover may lose writes or find no replica to promote.',
        },
      },
      {
        alert: 'RedisMemoryHigh',
        expr: `max by (pod) (redis_memory_used_bytes{${r}} / (redis_memory_max_bytes{${r}} > 0)) > 0.8`,
        for: '5m',
        labels: { severity: 'P3' },
        annotations: {
          summary: `${what} uses over 80% of maxmemory`,
          description: `{{ $labels.pod }} uses {{ $value | humanizePercentage }} of maxmemory (${this.maxmemoryBytes} bytes, policy ${this.maxmemoryPolicy}): `
            + 'keys are being or will soon be evicted; raise the memory limit.',
        },
      },
    ];
    const prefix = `${this.namespace}-${this.name}`;
    return rules.map(rule => ({ ...rule, annotations: { ...rule.annotations, ...runbookAnnotation(this.runbookBaseUrl, prefix, rule.alert) } }));
  }
}
