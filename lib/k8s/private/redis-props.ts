/*
 * Internal: The pure props resolver of {@link RedisSentinel}: every default applied once (the
 * Sentinel settings from the renderer's defaults), every problem collected, nothing built.
 */
import { Criticality } from '../../core/criticality';
import { Problems } from '../../core/errors';
import { typedProps, withTypeProblems } from '../../core/prop-types';
import { parseQuantity } from '../../core/quantity';
import { ResolvedStorage, STORAGE_TYPES, resolveStorage } from '../../core/storage';
import {
  REDIS_SENTINEL_DEFAULTS, RedisMaxmemoryPolicy, RedisPassword, RedisSentinelInput, RedisSentinelSettings, resolveRedisSentinelSettings,
  validateRedisSentinelInput,
} from '../../render/redis';
import type { RedisSecretKeyRef, RedisSentinelProps } from '../redis-sentinel';
import {
  ContainerResources, WORKLOAD_PROP_TYPES, PodIdentity, RESOURCES_TYPES, ResolvedResources, identityProblems, resolveResources, resourceProblems,
} from '../workload-options';
import { PlatformContext } from './context';
import { Resolution, resolution } from './resolve';
import { OwnerSettings, resolveIdentity, resolveOwner, zoneProblems } from './stateful';

export const REDIS_RUN_DIR = '/run/redis';
const MAXMEMORY_POLICIES: readonly RedisMaxmemoryPolicy[] = [
  'noeviction', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl',
];
export const REDIS_SECRET_DIR = '/etc/redis-secret';
export const REDIS_SECRET_FILE = `${REDIS_SECRET_DIR}/password`;
const REDIS_BASE: ContainerResources = {
  cpu: { request: '500m', limit: '1000m' }, memory: { request: '2Gi', limit: '2Gi' }, ephemeralStorage: { request: '256Mi', limit: '1Gi' },
};
const SENTINEL_BASE: ContainerResources = {
  cpu: { request: '100m', limit: '250m' }, memory: { request: '64Mi', limit: '128Mi' }, ephemeralStorage: { request: '64Mi', limit: '256Mi' },
};

/** {@link RedisSentinelProps} with every default applied. */
export interface ResolvedRedisSentinelProps extends OwnerSettings, RedisSentinelSettings {
  readonly exporterImage: string;
  readonly passwordSecret: Required<RedisSecretKeyRef>;
  readonly maxmemoryPolicy: RedisMaxmemoryPolicy;
  readonly maxmemoryPercent: number;
  readonly maxmemoryBytes: number;
  readonly zones: readonly string[];
  readonly storage: ResolvedStorage;
  readonly sentinelStorage: ResolvedStorage;
  readonly resources: ResolvedResources;
  readonly sentinelResources: ResolvedResources;
  readonly identity: Required<PodIdentity>;
  /** What every rendered file shares (topology, Sentinel timings, the password file). */
  readonly shared: RedisSentinelInput;
}

/** The smallest majority of `n`. */
export function majority(n: number): number {
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

/** Resolves `props` of the RedisSentinel with id `id` in `context`, or returns every problem. */
export function resolveRedisSentinelProps(id: string, given: RedisSentinelProps, context: PlatformContext): Resolution<ResolvedRedisSentinelProps> {
  const { props, problems: typeProblems } = typedProps(given, {
    ...WORKLOAD_PROP_TYPES,
    tier: 'string',
    exporterImage: 'string',
    passwordSecret: { name: 'string', key: 'string' },
    replicas: 'number',
    sentinels: 'number',
    quorum: 'number',
    masterName: 'string',
    downAfterMilliseconds: 'number',
    failoverTimeoutMilliseconds: 'number',
    parallelSyncs: 'number',
    minReplicasToWrite: 'number',
    minReplicasMaxLagSeconds: 'number',
    maxmemoryPolicy: 'string',
    maxmemoryPercent: 'number',
    storage: STORAGE_TYPES,
    sentinelStorage: STORAGE_TYPES,
    resources: RESOURCES_TYPES,
    sentinelResources: RESOURCES_TYPES,
    runbookBaseUrl: 'string',
  });
  const problems = new Problems('RedisSentinel', id);
  const exporterImage = props.exporterImage ?? 'oliver006/redis_exporter:v1.62.0-alpine';
  // Names: `<name>-sentinel-<n>` must stay a DNS label (63) with room for the ordinal.
  const { owner, problems: ownerProblems } = resolveOwner(id, props, context, {
    tier: Criticality.HIGH,
    image: 'redis:7.2.5',
    images: { exporterImage },
    maxName: 40,
    nameWhy: 'must be a DNS label of at most 40 characters (pods are named <name>-sentinel-<ordinal>)',
    nameFix: 'use lower-case letters, digits and "-", e.g. "cache"',
    teamFix: 'use letters, digits, "-", "_" or ".", at most 63 characters',
  });
  problems.addAll(ownerProblems);

  const passwordSecret = { name: props.passwordSecret?.name, key: props.passwordSecret?.key ?? 'password' };
  problems.when(typeof passwordSecret.name !== 'string' || !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(passwordSecret.name),
    'passwordSecret.name', passwordSecret.name, 'is not a Secret name', 'give the name of a Secret in the same namespace');
  problems.when(typeof passwordSecret.key !== 'string' || !/^[-._a-zA-Z0-9]{1,253}$/.test(passwordSecret.key),
    'passwordSecret.key', passwordSecret.key, 'is not a Secret key', 'use letters, digits, "-", "_" or ".", e.g. "password"');

  // Topology and Sentinel settings: the renderer's invariants, reported under our props.
  const settings = resolveRedisSentinelSettings(props);
  const { sentinels, quorum } = settings;
  const shared: RedisSentinelInput = {
    ...settings,
    // Unset, the renderers take a majority themselves.
    quorum: props.quorum,
    password: RedisPassword.fromSecretFile({ secretFile: REDIS_SECRET_FILE, includeFile: `${REDIS_RUN_DIR}/auth.conf` }),
  };
  const sharedProblems = validateRedisSentinelInput(shared);
  problems.addAll(sharedProblems);
  const topologyOk = !sharedProblems.some(p => p.prop === 'sentinels' || p.prop === 'quorum');
  if (topologyOk && quorum >= sentinels) {
    problems.add('quorum', quorum, `must be below sentinels (${sentinels}): with every Sentinel needed, one Sentinel down or drained stops all failovers`,
      `set quorum to ${majority(sentinels)}, or run ${quorum + 1} sentinels`);
  }

  const zones = props.zones ?? context.zones ?? [];
  const zoneList = zoneProblems(zones, props.zones === undefined && context.zones === undefined,
    { noun: 'cache', why: ', or one zone outage takes the master and every replica down' });
  problems.addAll(zoneList);
  const perZone = Math.ceil(sentinels / Math.max(zones.length, 1));
  if (zoneList.length === 0 && topologyOk && perZone >= majority(sentinels)) {
    problems.add('sentinels', sentinels,
      `spread over ${zones.length} zones puts ${perZone} in one zone, a majority: that zone alone could elect a failover leader `
      + 'in a partition, and losing it leaves no majority to fail over',
      `spread over ${zonesForSentinels(sentinels)} or more zones, or run ${sentinelsForZones(sentinels + 1, zones.length)} sentinels`);
  }

  // Resources, memory, storage, identity.
  const resources = resolveResources(props.resources, REDIS_BASE);
  problems.addAll(resourceProblems('resources', resources));
  const sentinelResources = resolveResources(props.sentinelResources, SENTINEL_BASE);
  problems.addAll(resourceProblems('sentinelResources', sentinelResources));
  const maxmemoryPercent = props.maxmemoryPercent ?? 75;
  if (!Number.isInteger(maxmemoryPercent) || maxmemoryPercent < 10 || maxmemoryPercent > 90) {
    problems.add('maxmemoryPercent', maxmemoryPercent,
      'must be an integer from 10 to 90: above 90% the AOF rewrite fork and replication buffers push Redis past its memory limit (OOM kill)',
      'use 75');
  }
  // The policies redis.conf accepts (maxmemory-policy): https://redis.io/docs/latest/develop/reference/eviction/
  const maxmemoryPolicy = props.maxmemoryPolicy ?? REDIS_SENTINEL_DEFAULTS.maxmemoryPolicy;
  problems.when(!MAXMEMORY_POLICIES.includes(maxmemoryPolicy), 'maxmemoryPolicy', maxmemoryPolicy, 'is not a Redis maxmemory-policy',
    `use one of ${MAXMEMORY_POLICIES.map(m => `"${m}"`).join(', ')}`);
  const storage = resolveStorage('storage', props.storage, { size: '10Gi' });
  const sentinelStorage = resolveStorage('sentinelStorage', props.sentinelStorage, { size: '1Gi' });
  problems.addAll([...storage.problems, ...sentinelStorage.problems]);
  const identity = resolveIdentity(props.identity);
  problems.addAll(identityProblems('identity', identity));

  return resolution(withTypeProblems(typeProblems, problems.all), () => ({
    ...owner,
    ...settings,
    exporterImage,
    zones,
    resources,
    sentinelResources,
    maxmemoryPercent,
    identity,
    shared,
    passwordSecret: passwordSecret as Required<RedisSecretKeyRef>,
    maxmemoryPolicy,
    maxmemoryBytes: Math.floor((parseQuantity(resources.memoryLimit) ?? 0) * maxmemoryPercent / 100),
    storage: storage.storage,
    sentinelStorage: sentinelStorage.storage,
  }));
}
