/**
 * redis.conf and sentinel.conf for a Redis master/replica set watched by Redis Sentinel, rendered
 * by pure functions from typed inputs. The `RedisSentinel` construct ships the output in
 * ConfigMaps; the system test feeds the very same output (addresses, ports and paths substituted
 * through these inputs) to real redis-server and redis-sentinel processes.
 *
 * Three things every caller must know:
 * - **Both files are rewritten at runtime.** Sentinel rewrites sentinel.conf on every state change
 *   (current master, epochs, known replicas and Sentinels, its own ID) and sends `CONFIG REWRITE`
 *   to Redis after a role change. A ConfigMap mount is read-only, so the start step copies each
 *   rendered file into a writable volume and starts the daemon on the copy.
 * - **The password is never rendered.** Each file ends with `include <includeFile>`; the start
 *   script from {@link renderRedisAuthScript} / {@link renderSentinelAuthScript} writes that file
 *   from the mounted Secret. Once the daemon rewrites its copy, the copy holds the password too,
 *   so the writable volume needs the same protection as the Secret (owned by the Redis user, 0600).
 * - **Validation runs first and throws once**, listing every problem (`ValidationError`).
 *
 * @see https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/
 * @see https://redis.io/docs/latest/operate/oss_and_stack/management/config-file/
 */
import { Problem, Problems, ValidationError } from '../core/errors';

/**
 * The documented defaults of every input, used by the validation and the renderers; a construct
 * resolves its own public fields from here so docs, fields and rendered files agree.
 */
export const REDIS_SENTINEL_DEFAULTS = {
  replicas: 2,
  sentinels: 3,
  masterName: 'mymaster',
  downAfterMilliseconds: 5000,
  failoverTimeoutMilliseconds: 10000,
  parallelSyncs: 1,
  minReplicasToWrite: 1,
  minReplicasMaxLagSeconds: 10,
  bind: ['*', '-::*'] as readonly string[],
  redisPort: 6379,
  redisDir: '/data',
  sentinelPort: 26379,
  sentinelDir: '/tmp',
  appendOnly: true,
  appendFsync: 'everysec' as RedisAppendFsync,
  savePoints: [
    { seconds: 3600, changes: 1 },
    { seconds: 300, changes: 100 },
    { seconds: 60, changes: 10000 },
  ] as readonly RedisSavePoint[],
  maxmemoryBytes: 1536 * 1024 * 1024,
  maxmemoryPolicy: 'allkeys-lru' as RedisMaxmemoryPolicy,
  protectedMode: true,
  tcpKeepaliveSeconds: 60,
  replDisklessSync: true,
  replicaPriority: 100,
  disabledCommands: ['FLUSHALL', 'FLUSHDB', 'DEBUG'] as readonly string[],
} as const;

/**
 * Commands Sentinel and replication send to a Redis instance: disabling any of them breaks
 * monitoring, failover or replica sync, so {@link RedisConfInput.disabledCommands} rejects them.
 */
export const COMMANDS_SENTINEL_AND_REPLICATION_NEED: readonly string[] = [
  'AUTH', 'CLIENT', 'CONFIG', 'EXEC', 'INFO', 'MULTI', 'PING', 'PSYNC', 'PUBLISH',
  'REPLCONF', 'REPLICAOF', 'ROLE', 'SCRIPT', 'SLAVEOF', 'SUBSCRIBE', 'SYNC',
];

/** Characters a password may use: Sentinel 7.0 writes `sentinel auth-pass` back unquoted. */
const PASSWORD_CHARACTERS = 'A-Za-z0-9._~+/=-';

/** Shortest password the start scripts accept (Redis answers ~100k AUTH attempts a second). */
export const MIN_PASSWORD_LENGTH = 16;

/** How often Redis fsyncs the append-only file. @see https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/ */
export type RedisAppendFsync = 'always' | 'everysec' | 'no';

/** What Redis evicts when `maxmemory` is reached. @see https://redis.io/docs/latest/develop/reference/eviction/ */
export type RedisMaxmemoryPolicy =
  | 'noeviction' | 'allkeys-lru' | 'allkeys-lfu' | 'allkeys-random'
  | 'volatile-lru' | 'volatile-lfu' | 'volatile-random' | 'volatile-ttl';

/** One RDB snapshot trigger: snapshot after `seconds` if at least `changes` keys changed. */
export interface RedisSavePoint {
  /** Seconds since the last snapshot. */
  readonly seconds: number;
  /** Minimum number of changed keys. */
  readonly changes: number;
}

/**
 * The role a Redis instance starts in. Sentinel changes roles at runtime (and rewrites the
 * writable copy of redis.conf); this is only the role at first start.
 */
export class RedisRole {
  /** Starts as the master. */
  public static master(): RedisRole {
    return new RedisRole(undefined, undefined);
  }

  /**
   * Starts as a replica of `masterHost:masterPort` (`replicaof`).
   * @param masterHost the master's announced hostname (pod DNS name) or IP address
   * @param masterPort the master's port
   */
  public static replicaOf(masterHost: string, masterPort: number): RedisRole {
    return new RedisRole(masterHost, masterPort);
  }

  private constructor(
    /** The master's hostname or IP address; `undefined` for a master. */
    public readonly masterHost: string | undefined,
    /** The master's port; `undefined` for a master. */
    public readonly masterPort: number | undefined,
  ) {}

  /** Whether the instance starts as the master. */
  public get isMaster(): boolean {
    return this.masterHost === undefined;
  }

  public toString(): string {
    return this.isMaster ? 'master' : `replica of ${this.masterHost}:${this.masterPort}`;
  }
}

/** Where a password comes from and where the start step puts it. */
export interface RedisPasswordFromSecretFileOptions {
  /**
   * Where the Secret's key is mounted as a file (read-only). A file rather than an environment
   * variable: it stays out of `kubectl describe`, `/proc/<pid>/environ` and child processes.
   */
  readonly secretFile: string;
  /**
   * Where the start script writes the auth directives that the rendered config `include`s.
   * Put it on an in-memory emptyDir owned by the Redis user.
   */
  readonly includeFile: string;
}

/**
 * How redis.conf and sentinel.conf get the password without it ever appearing in the rendered
 * text: the rendered config ends with `include <includeFile>`, and the start script
 * ({@link renderRedisAuthScript}, {@link renderSentinelAuthScript}) writes that file from the
 * Secret mounted at `secretFile` before the daemon starts. A missing include file stops Redis
 * at start ("can't open config file"), so a forgotten start step fails closed.
 *
 * The include comes last so the Secret wins over stale auth lines a `CONFIG REWRITE` left in
 * the writable copy, and so `sentinel auth-pass` follows the `sentinel monitor` it refers to.
 */
export class RedisPassword {
  /** Reads the password from a mounted Secret file at start; see {@link RedisPasswordFromSecretFileOptions}. */
  public static fromSecretFile(options: RedisPasswordFromSecretFileOptions): RedisPassword {
    return new RedisPassword(options.secretFile, options.includeFile);
  }

  private constructor(
    /** Where the Secret's key is mounted. */
    public readonly secretFile: string,
    /** Where the start script writes the auth directives the config includes. */
    public readonly includeFile: string,
  ) {}

  public toString(): string {
    return `password from secret file ${this.secretFile} via include ${this.includeFile}`;
  }
}

/**
 * Settings every Redis instance and every Sentinel of one master/replica set share: the topology,
 * the failover timings, the write-safety bounds and the password mechanism.
 */
export interface RedisSentinelInput {
  /**
   * Redis replicas of the master (the set runs `replicas + 1` Redis instances). Two, as in the
   * case study, so that after one Redis failure the promoted master still has a replica to
   * acknowledge writes.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Sentinels watching the master. At least 3, so a majority survives one Sentinel failure.
   * @default 3
   * @see https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#example-2-basic-setup-with-three-boxes
   */
  readonly sentinels?: number;
  /**
   * Sentinels that must agree the master is down before a failover starts. Must be a majority
   * of `sentinels`: a minority must not be able to declare the master down.
   * @default - a majority of `sentinels` (2 of 3, as in the case study)
   */
  readonly quorum?: number;
  /**
   * The name Sentinel monitors the master under; clients ask Sentinel for it (the case study's
   * clients use 'mymaster').
   * @default 'mymaster'
   */
  readonly masterName?: string;
  /**
   * Milliseconds without a valid reply before a Sentinel considers an instance down (the case
   * study's setting).
   * @default 5000
   * @see https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#other-sentinel-options
   */
  readonly downAfterMilliseconds?: number;
  /**
   * Milliseconds a failover may take; twice this is the delay before a failed failover of the
   * same master is retried (the case study's setting).
   * @default 10000
   */
  readonly failoverTimeoutMilliseconds?: number;
  /**
   * Replicas reconfigured to the new master at the same time after a failover (each one is
   * briefly unavailable for reads while it resyncs).
   * @default 1
   */
  readonly parallelSyncs?: number;
  /**
   * A master refuses writes unless this many replicas are connected with a lag of at most
   * `minReplicasMaxLagSeconds`: a master cut off from its replicas stops taking writes that a
   * failover would throw away. 0 turns the bound off.
   * @default 1
   * @see https://redis.io/docs/latest/operate/oss_and_stack/management/replication/#allow-writes-only-with-n-attached-replicas
   */
  readonly minReplicasToWrite?: number;
  /**
   * Seconds since a replica's last acknowledgement for it to count towards `minReplicasToWrite`;
   * bounds how long a partitioned master keeps accepting writes that will be lost.
   * @default 10
   */
  readonly minReplicasMaxLagSeconds?: number;
  /** How the password reaches the daemons without being rendered. */
  readonly password: RedisPassword;
}

/** The Sentinel and replication settings of {@link RedisSentinelInput} a construct resolves once. */
export const REDIS_SENTINEL_SETTINGS = [
  'replicas', 'sentinels', 'masterName', 'downAfterMilliseconds', 'failoverTimeoutMilliseconds', 'parallelSyncs', 'minReplicasToWrite',
  'minReplicasMaxLagSeconds',
] as const;

/** {@link REDIS_SENTINEL_SETTINGS} with their defaults applied, and the quorum. */
export type RedisSentinelSettings = { readonly [K in typeof REDIS_SENTINEL_SETTINGS[number]]-?: NonNullable<RedisSentinelInput[K]> } & {
  readonly quorum: number;
};

/** Applies {@link REDIS_SENTINEL_DEFAULTS} to `input`'s settings; the quorum defaults to a majority of the Sentinels. */
export function resolveRedisSentinelSettings(input: Omit<RedisSentinelInput, 'password'>): RedisSentinelSettings {
  const settings = Object.fromEntries(REDIS_SENTINEL_SETTINGS.map(k => [k, input[k] ?? REDIS_SENTINEL_DEFAULTS[k]]));
  const sentinels = settings.sentinels as number;
  return { ...settings, quorum: input.quorum ?? Math.floor(sentinels / 2) + 1 } as RedisSentinelSettings;
}

/** redis.conf for one Redis instance of the set. */
export interface RedisConfInput extends RedisSentinelInput {
  /** The role at first start: one instance is `RedisRole.master()`, the others `RedisRole.replicaOf(...)`. */
  readonly role: RedisRole;
  /**
   * The name other instances and Sentinels reach this instance by (`replica-announce-ip`):
   * its pod DNS name, so the address survives a pod IP change.
   */
  readonly announceHostname: string;
  /**
   * Addresses to listen on: by default every IPv4 address, and every IPv6 address where the pod
   * has IPv6 (the leading "-" makes it optional).
   * @default ['*', '-::*']
   */
  readonly bind?: readonly string[];
  /**
   * TCP port.
   * @default 6379
   */
  readonly port?: number;
  /**
   * Working directory: the append-only file and RDB snapshots (a PersistentVolumeClaim).
   * @default '/data'
   */
  readonly dir?: string;
  /**
   * Append-only persistence, so a restarted instance keeps its data.
   * @default true
   */
  readonly appendOnly?: boolean;
  /**
   * When the append-only file is fsynced; 'everysec' loses at most one second of writes when the
   * host crashes, without an fsync per write.
   * @default 'everysec'
   */
  readonly appendFsync?: RedisAppendFsync;
  /**
   * RDB snapshot triggers; an empty list turns snapshots off (`save ""`).
   * @default - Redis' own: after 3600 s if 1 key changed, 300 s if 100, 60 s if 10000
   * @see https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/
   */
  readonly savePoints?: readonly RedisSavePoint[];
  /**
   * Memory limit in bytes; 0 means none (the container is OOM-killed instead). The default,
   * 1.5 GiB, is 75% of the case study's 2 GiB container limit, leaving room for the fork of an
   * append-only rewrite and the replication buffers.
   * @default 1610612736
   */
  readonly maxmemoryBytes?: number;
  /**
   * What to evict at `maxmemoryBytes`. Redis is the cache layer in the case study: evicting the
   * least recently used key keeps writes flowing where 'noeviction' would fail them.
   * @default 'allkeys-lru'
   * @see https://redis.io/docs/latest/develop/reference/eviction/
   */
  readonly maxmemoryPolicy?: RedisMaxmemoryPolicy;
  /**
   * Refuse non-loopback clients while no password is set (a second line behind the password).
   * @default true
   */
  readonly protectedMode?: boolean;
  /**
   * Seconds between TCP keepalives to clients, to drop peers that vanished without a FIN.
   * @default 60
   */
  readonly tcpKeepaliveSeconds?: number;
  /**
   * Full syncs stream the snapshot over the socket instead of writing it to the master's disk.
   * @default true
   */
  readonly replDisklessSync?: boolean;
  /**
   * Sentinel promotes the replica with the lowest priority first; 0 means never promote.
   * @default 100
   */
  readonly replicaPriority?: number;
  /**
   * Commands disabled with `rename-command <name> ""`. Commands Sentinel or replication need
   * ({@link COMMANDS_SENTINEL_AND_REPLICATION_NEED}) are refused.
   * @default ['FLUSHALL', 'FLUSHDB', 'DEBUG']
   */
  readonly disabledCommands?: readonly string[];
}

/** sentinel.conf for one Sentinel of the set. */
export interface SentinelConfInput extends RedisSentinelInput {
  /** The initial master's announced hostname (its pod DNS name) or IP address. */
  readonly masterHost: string;
  /**
   * The initial master's port.
   * @default 6379
   */
  readonly masterPort?: number;
  /**
   * The name other Sentinels and clients reach this Sentinel by (`sentinel announce-ip`): its pod
   * DNS name.
   */
  readonly announceHostname: string;
  /**
   * The port announced to other Sentinels.
   * @default - `port`
   */
  readonly announcePort?: number;
  /**
   * Addresses to listen on.
   * @default ['*', '-::*']
   */
  readonly bind?: readonly string[];
  /**
   * TCP port.
   * @default 26379
   */
  readonly port?: number;
  /**
   * Working directory (Sentinel keeps no data; its state lives in the writable sentinel.conf).
   * @default '/tmp'
   */
  readonly dir?: string;
  /**
   * A fixed Sentinel ID (40 lowercase hex digits). Without one, Sentinel picks a random ID at
   * first start and saves it in its writable copy; if that copy is lost on restart, the others
   * keep the old ID as a stale voter, which can stop failovers from reaching a majority.
   * @default - Sentinel picks one at first start
   */
  readonly myId?: string;
}

// ---------------------------------------------------------------------------------------------
// Validation

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

const HOST = /^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/;
const PATH = /^\/[A-Za-z0-9._/-]*$/;
const BIND_ADDRESS = /^-?[A-Za-z0-9.:*]+$/;
const MASTER_NAME = /^[A-Za-z0-9._-]+$/;
const COMMAND_NAME = /^[A-Za-z]+$/;
const SENTINEL_ID = /^[0-9a-f]{40}$/;
const APPEND_FSYNC: readonly RedisAppendFsync[] = ['always', 'everysec', 'no'];
const MAXMEMORY_POLICIES: readonly RedisMaxmemoryPolicy[] = ['noeviction', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random',
  'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl'];

function majorityOf(sentinels: number): number {
  return Math.floor(sentinels / 2) + 1;
}

function checkPort(problems: Problems, prop: string, value: unknown): void {
  if (!isInteger(value) || value < 1 || value > 65535) {
    problems.add(prop, value, 'must be an integer from 1 to 65535', 'use a free TCP port');
  }
}

function checkHost(problems: Problems, prop: string, value: unknown): void {
  if (typeof value !== 'string' || !HOST.test(value)) {
    problems.add(prop, value, 'must be a hostname or an IP address (letters, digits, ".", ":" and "-")',
      'use the pod DNS name, e.g. "redis-0.redis.cache.svc.cluster.local"');
  }
}

function checkPath(problems: Problems, prop: string, value: unknown): void {
  if (typeof value !== 'string' || !PATH.test(value)) {
    problems.add(prop, value,
      'must be an absolute path of letters, digits, ".", "_", "-" and "/" (it is written unquoted into the config and a shell script)',
      'use a path such as "/data"');
  }
}

function checkNonNegativeInteger(problems: Problems, prop: string, value: unknown, fix: string): void {
  if (!isInteger(value) || value < 0) problems.add(prop, value, 'must be an integer >= 0', fix);
}

function checkBind(problems: Problems, addresses: readonly string[]): void {
  if (addresses.length === 0) {
    problems.add('bind', addresses, 'must list at least one address', 'use ["*", "-::*"] to listen on every address');
  }
  addresses.forEach((address, i) => {
    if (typeof address !== 'string' || !BIND_ADDRESS.test(address)) {
      problems.add(`bind[${i}]`, address, 'must be an IP address, "*" or "-::*" (a leading "-" makes it optional)',
        'use "*" for every IPv4 address or an address such as "127.0.0.1"');
    }
  });
}

function checkSharedSettings(problems: Problems, input: RedisSentinelInput): void {
  const replicas = input.replicas ?? REDIS_SENTINEL_DEFAULTS.replicas;
  const sentinels = input.sentinels ?? REDIS_SENTINEL_DEFAULTS.sentinels;
  const replicasValid = isInteger(replicas) && replicas >= 1;

  if (!replicasValid) {
    problems.add('replicas', replicas, 'must be an integer >= 1: without a replica Sentinel has nothing to promote',
      'use 2 replicas (1 master + 2 replicas, as in the case study)');
  }
  if (!isInteger(sentinels) || sentinels < 3) {
    problems.add('sentinels', sentinels, 'must be an integer >= 3: fewer Sentinels cannot keep a majority when one fails',
      'run 3 Sentinels (5 to survive two failures)');
  }
  if (input.quorum !== undefined && isInteger(sentinels) && sentinels >= 1) {
    const majority = majorityOf(sentinels);
    if (!isInteger(input.quorum) || input.quorum < majority) {
      problems.add('quorum', input.quorum,
        `must be an integer >= ${majority}, a majority of the ${sentinels} sentinels: a minority must not be able to declare the master down`,
        `set quorum to ${majority}`);
    } else if (input.quorum > sentinels) {
      problems.add('quorum', input.quorum,
        `must be <= sentinels (${sentinels}): a larger quorum is never reached, so no failover would ever start`,
        `set quorum to ${majority}, a majority`);
    }
  }

  const masterName = input.masterName ?? REDIS_SENTINEL_DEFAULTS.masterName;
  if (typeof masterName !== 'string' || !MASTER_NAME.test(masterName)) {
    problems.add('masterName', masterName, 'must be letters, digits, ".", "_" or "-"', `use a name such as "${REDIS_SENTINEL_DEFAULTS.masterName}"`);
  }

  const downAfter = input.downAfterMilliseconds ?? REDIS_SENTINEL_DEFAULTS.downAfterMilliseconds;
  const downAfterValid = isInteger(downAfter) && downAfter > 0;
  if (!downAfterValid) {
    problems.add('downAfterMilliseconds', downAfter, 'must be an integer > 0', `use ${REDIS_SENTINEL_DEFAULTS.downAfterMilliseconds} (the case study's setting)`);
  }
  const failoverTimeout = input.failoverTimeoutMilliseconds ?? REDIS_SENTINEL_DEFAULTS.failoverTimeoutMilliseconds;
  if (!isInteger(failoverTimeout) || failoverTimeout <= 0) {
    problems.add('failoverTimeoutMilliseconds', failoverTimeout, 'must be an integer > 0',
      `use ${REDIS_SENTINEL_DEFAULTS.failoverTimeoutMilliseconds} (the case study's setting)`);
  } else if (downAfterValid && failoverTimeout <= downAfter) {
    problems.add('failoverTimeoutMilliseconds', failoverTimeout,
      `must be > downAfterMilliseconds (${downAfter}): a failover cannot finish before the master is even declared down`,
      `use ${2 * downAfter} (twice downAfterMilliseconds)`);
  }

  const parallelSyncs = input.parallelSyncs ?? REDIS_SENTINEL_DEFAULTS.parallelSyncs;
  if (!isInteger(parallelSyncs) || parallelSyncs < 1) {
    problems.add('parallelSyncs', parallelSyncs, 'must be an integer >= 1', 'use 1 so the other replicas keep serving reads while one resyncs');
  }

  const minReplicasToWrite = input.minReplicasToWrite ?? REDIS_SENTINEL_DEFAULTS.minReplicasToWrite;
  if (!isInteger(minReplicasToWrite) || minReplicasToWrite < 0) {
    problems.add('minReplicasToWrite', minReplicasToWrite, 'must be an integer >= 0', `use ${REDIS_SENTINEL_DEFAULTS.minReplicasToWrite}`);
  } else if (replicasValid && minReplicasToWrite > replicas - 1) {
    problems.add('minReplicasToWrite', minReplicasToWrite,
      `must be <= replicas - 1 (${replicas - 1}): after a failover the promoted master has only ${replicas - 1} replica(s) and would refuse every write`,
      `raise replicas to ${minReplicasToWrite + 1}, or set minReplicasToWrite to ${replicas - 1}`
      + (replicas === 1 ? ' (no bound on writes lost to a partitioned master)' : ''));
  }
  const maxLag = input.minReplicasMaxLagSeconds ?? REDIS_SENTINEL_DEFAULTS.minReplicasMaxLagSeconds;
  if (!isInteger(maxLag) || maxLag < 1) {
    problems.add('minReplicasMaxLagSeconds', maxLag, 'must be an integer >= 1', `use ${REDIS_SENTINEL_DEFAULTS.minReplicasMaxLagSeconds}`);
  }

  if (!(input.password instanceof RedisPassword)) {
    problems.add('password', input.password, 'must be a RedisPassword: the password is never rendered into the config',
      'use RedisPassword.fromSecretFile({ secretFile, includeFile })');
  } else {
    checkPath(problems, 'password.secretFile', input.password.secretFile);
    checkPath(problems, 'password.includeFile', input.password.includeFile);
  }
}

/**
 * Problems with the settings every Redis instance and Sentinel of a set share: the topology
 * (sentinels >= 3, quorum a majority and <= sentinels, replicas >= 1), the failover timings
 * (downAfter > 0, failoverTimeout > downAfter), the write-safety bounds (minReplicasToWrite <=
 * replicas - 1) and the password mechanism. Returns an empty list when they are valid.
 */
export function validateRedisSentinelInput(input: RedisSentinelInput): Problem[] {
  const problems = new Problems('RedisSentinel', 'input');
  checkSharedSettings(problems, input);
  return [...problems.all];
}

function checkDisabledCommands(problems: Problems, commands: readonly string[]): void {
  const seen = new Set<string>();
  commands.forEach((command, i) => {
    const prop = `disabledCommands[${i}]`;
    if (typeof command !== 'string' || !COMMAND_NAME.test(command)) {
      problems.add(prop, command, 'must be a command name (letters only)', 'use e.g. "FLUSHALL"');
      return;
    }
    const upper = command.toUpperCase();
    if (COMMANDS_SENTINEL_AND_REPLICATION_NEED.includes(upper)) {
      problems.add(prop, command, 'must not be disabled: Sentinel or replication sends it (failover and replica sync would break)',
        `remove ${upper} from disabledCommands; restrict it with the password and a NetworkPolicy instead`);
    } else if (seen.has(upper)) {
      problems.add(prop, command, 'is listed twice: disabling an already disabled command stops Redis at start', `list ${upper} once`);
    }
    seen.add(upper);
  });
}

/** Problems with the input of {@link renderRedisConf}: the shared settings, then this instance's. */
export function validateRedisConfInput(input: RedisConfInput): Problem[] {
  const problems = new Problems('redis.conf', String(input.announceHostname));
  checkSharedSettings(problems, input);
  const port = input.port ?? REDIS_SENTINEL_DEFAULTS.redisPort;
  checkHost(problems, 'announceHostname', input.announceHostname);
  checkBind(problems, input.bind ?? REDIS_SENTINEL_DEFAULTS.bind);
  checkPort(problems, 'port', port);
  checkPath(problems, 'dir', input.dir ?? REDIS_SENTINEL_DEFAULTS.redisDir);

  if (!(input.role instanceof RedisRole)) {
    problems.add('role', input.role, 'must be a RedisRole',
      'use RedisRole.master() for one instance and RedisRole.replicaOf(host, port) for the others');
  } else if (!input.role.isMaster) {
    checkHost(problems, 'role.masterHost', input.role.masterHost);
    checkPort(problems, 'role.masterPort', input.role.masterPort);
    if (input.role.masterHost === input.announceHostname && input.role.masterPort === port) {
      problems.add('role', input.role, 'must not make the instance a replica of itself', "use the master's announced hostname and port");
    }
  }

  const appendFsync = input.appendFsync ?? REDIS_SENTINEL_DEFAULTS.appendFsync;
  if (!APPEND_FSYNC.includes(appendFsync)) {
    problems.add('appendFsync', appendFsync, `must be one of ${APPEND_FSYNC.join(', ')}`,
      'use "everysec" (at most one second of writes lost on a host crash)');
  }
  (input.savePoints ?? REDIS_SENTINEL_DEFAULTS.savePoints).forEach((point, i) => {
    for (const field of ['seconds', 'changes'] as const) {
      if (!isInteger(point[field]) || point[field] < 1) {
        problems.add(`savePoints[${i}].${field}`, point[field], 'must be an integer >= 1',
          'use e.g. { seconds: 300, changes: 100 }, or an empty list to turn snapshots off');
      }
    }
  });
  checkNonNegativeInteger(problems, 'maxmemoryBytes', input.maxmemoryBytes ?? REDIS_SENTINEL_DEFAULTS.maxmemoryBytes,
    'use about 75% of the container memory limit, e.g. 1610612736 for 2 GiB');
  const policy = input.maxmemoryPolicy ?? REDIS_SENTINEL_DEFAULTS.maxmemoryPolicy;
  if (!MAXMEMORY_POLICIES.includes(policy)) {
    problems.add('maxmemoryPolicy', policy, `must be one of ${MAXMEMORY_POLICIES.join(', ')}`,
      'use "allkeys-lru" for a cache, "noeviction" for data that must not be evicted');
  }
  checkNonNegativeInteger(problems, 'tcpKeepaliveSeconds', input.tcpKeepaliveSeconds ?? REDIS_SENTINEL_DEFAULTS.tcpKeepaliveSeconds, 'use 60');
  checkNonNegativeInteger(problems, 'replicaPriority', input.replicaPriority ?? REDIS_SENTINEL_DEFAULTS.replicaPriority,
    'use 100, or 0 for a replica that must never be promoted');
  checkDisabledCommands(problems, input.disabledCommands ?? REDIS_SENTINEL_DEFAULTS.disabledCommands);
  return [...problems.all];
}

/** Problems with the input of {@link renderSentinelConf}: the shared settings, then this Sentinel's. */
export function validateSentinelConfInput(input: SentinelConfInput): Problem[] {
  const problems = new Problems('sentinel.conf', String(input.announceHostname));
  checkSharedSettings(problems, input);
  const port = input.port ?? REDIS_SENTINEL_DEFAULTS.sentinelPort;
  checkHost(problems, 'masterHost', input.masterHost);
  checkPort(problems, 'masterPort', input.masterPort ?? REDIS_SENTINEL_DEFAULTS.redisPort);
  checkHost(problems, 'announceHostname', input.announceHostname);
  checkPort(problems, 'announcePort', input.announcePort ?? port);
  checkBind(problems, input.bind ?? REDIS_SENTINEL_DEFAULTS.bind);
  checkPort(problems, 'port', port);
  checkPath(problems, 'dir', input.dir ?? REDIS_SENTINEL_DEFAULTS.sentinelDir);
  if (input.myId !== undefined && (typeof input.myId !== 'string' || !SENTINEL_ID.test(input.myId))) {
    problems.add('myId', input.myId, 'must be 40 lowercase hex digits',
      'derive one per Sentinel, e.g. the SHA-1 of its pod name, or leave it unset');
  }
  return [...problems.all];
}

function throwIfAny(file: string, name: unknown, problems: readonly Problem[]): void {
  if (problems.length > 0) throw new ValidationError(file, typeof name === 'string' ? name : String(name), problems);
}

// ---------------------------------------------------------------------------------------------
// Rendering

/**
 * The head comment of redis.conf and sentinel.conf: who rendered it, why the daemon runs on a
 * writable copy (`rewrites`), and where the password is instead.
 */
function rewrittenConfHead(file: string, renderer: string, rewrites: string): string[] {
  return [
    `# ${file} rendered by @nines/constructs (${renderer}); do not edit.`,
    `# ${rewrites}: run it from a writable copy.`,
    '# The password is not here: the include at the end is written at start from the Secret.',
  ];
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

/**
 * Renders redis.conf for one Redis instance of the set. Throws a `ValidationError` listing every
 * problem with the input (see {@link validateRedisConfInput}).
 *
 * The output holds no password: it ends with `include <password.includeFile>`, written at start
 * by the script from {@link renderRedisAuthScript}. Redis rewrites its config file (`CONFIG
 * REWRITE`, sent by Sentinel after a role change), so start redis-server on a writable copy.
 */
export function renderRedisConf(input: RedisConfInput): string {
  throwIfAny('redis.conf', input.announceHostname, validateRedisConfInput(input));
  const savePoints = input.savePoints ?? REDIS_SENTINEL_DEFAULTS.savePoints;
  const lines = [
    ...rewrittenConfHead('redis.conf', 'renderRedisConf', 'Redis rewrites this file (CONFIG REWRITE after a Sentinel role change)'),
    '',
    '# Network',
    `bind ${(input.bind ?? REDIS_SENTINEL_DEFAULTS.bind).join(' ')}`,
    `port ${input.port ?? REDIS_SENTINEL_DEFAULTS.redisPort}`,
    `protected-mode ${yesNo(input.protectedMode ?? REDIS_SENTINEL_DEFAULTS.protectedMode)}`,
    `tcp-keepalive ${input.tcpKeepaliveSeconds ?? REDIS_SENTINEL_DEFAULTS.tcpKeepaliveSeconds}`,
    'daemonize no',
    'logfile ""',
    '',
    '# Persistence',
    `dir ${input.dir ?? REDIS_SENTINEL_DEFAULTS.redisDir}`,
    `appendonly ${yesNo(input.appendOnly ?? REDIS_SENTINEL_DEFAULTS.appendOnly)}`,
    `appendfsync ${input.appendFsync ?? REDIS_SENTINEL_DEFAULTS.appendFsync}`,
    savePoints.length === 0 ? 'save ""' : `save ${savePoints.map(p => `${p.seconds} ${p.changes}`).join(' ')}`,
    '',
    '# Memory',
    `maxmemory ${input.maxmemoryBytes ?? REDIS_SENTINEL_DEFAULTS.maxmemoryBytes}`,
    `maxmemory-policy ${input.maxmemoryPolicy ?? REDIS_SENTINEL_DEFAULTS.maxmemoryPolicy}`,
    '',
    '# Replication (Sentinel changes the role at runtime)',
    ...(input.role.isMaster ? ['# starts as the master'] : [`replicaof ${input.role.masterHost} ${input.role.masterPort}`]),
    `replica-announce-ip ${input.announceHostname}`,
    `replica-priority ${input.replicaPriority ?? REDIS_SENTINEL_DEFAULTS.replicaPriority}`,
    'replica-read-only yes',
    `repl-diskless-sync ${yesNo(input.replDisklessSync ?? REDIS_SENTINEL_DEFAULTS.replDisklessSync)}`,
    `min-replicas-to-write ${input.minReplicasToWrite ?? REDIS_SENTINEL_DEFAULTS.minReplicasToWrite}`,
    `min-replicas-max-lag ${input.minReplicasMaxLagSeconds ?? REDIS_SENTINEL_DEFAULTS.minReplicasMaxLagSeconds}`,
    '',
    '# Hardening: no DEBUG/MODULE commands, no CONFIG SET of paths; dangerous commands disabled',
    'enable-debug-command no',
    'enable-module-command no',
    'enable-protected-configs no',
    ...(input.disabledCommands ?? REDIS_SENTINEL_DEFAULTS.disabledCommands).map(c => `rename-command ${c.toUpperCase()} ""`),
    '',
    '# Password (requirepass, masterauth), written at start from the Secret',
    `include ${input.password.includeFile}`,
  ];
  return lines.join('\n') + '\n';
}

/**
 * Renders sentinel.conf for one Sentinel of the set. Throws a `ValidationError` listing every
 * problem with the input (see {@link validateSentinelConfInput}).
 *
 * The output holds no password: it ends with `include <password.includeFile>`, written at start
 * by the script from {@link renderSentinelAuthScript}. Sentinel rewrites this file on every
 * state change and refuses to start on a read-only one, so start it on a writable copy; keep
 * that copy across restarts (it holds the current master, the epochs and the Sentinel's ID).
 */
export function renderSentinelConf(input: SentinelConfInput): string {
  throwIfAny('sentinel.conf', input.announceHostname, validateSentinelConfInput(input));
  const name = input.masterName ?? REDIS_SENTINEL_DEFAULTS.masterName;
  const port = input.port ?? REDIS_SENTINEL_DEFAULTS.sentinelPort;
  const sentinels = input.sentinels ?? REDIS_SENTINEL_DEFAULTS.sentinels;
  const lines = [
    ...rewrittenConfHead('sentinel.conf', 'renderSentinelConf', 'Sentinel rewrites this file on every state change'),
    '',
    `bind ${(input.bind ?? REDIS_SENTINEL_DEFAULTS.bind).join(' ')}`,
    `port ${port}`,
    `dir ${input.dir ?? REDIS_SENTINEL_DEFAULTS.sentinelDir}`,
    'daemonize no',
    'logfile ""',
    ...(input.myId === undefined ? [] : [`sentinel myid ${input.myId}`]),
    '',
    '# Pod DNS names instead of pod IPs (must come before the monitor line)',
    'sentinel resolve-hostnames yes',
    'sentinel announce-hostnames yes',
    `sentinel announce-ip ${input.announceHostname}`,
    `sentinel announce-port ${input.announcePort ?? port}`,
    '',
    `sentinel monitor ${name} ${input.masterHost} ${input.masterPort ?? REDIS_SENTINEL_DEFAULTS.redisPort} ${input.quorum ?? majorityOf(sentinels)}`,
    `sentinel down-after-milliseconds ${name} ${input.downAfterMilliseconds ?? REDIS_SENTINEL_DEFAULTS.downAfterMilliseconds}`,
    `sentinel failover-timeout ${name} ${input.failoverTimeoutMilliseconds ?? REDIS_SENTINEL_DEFAULTS.failoverTimeoutMilliseconds}`,
    `sentinel parallel-syncs ${name} ${input.parallelSyncs ?? REDIS_SENTINEL_DEFAULTS.parallelSyncs}`,
    'sentinel deny-scripts-reconfig yes',
    '',
    `# Password (requirepass, sentinel auth-pass ${name}), written at start from the Secret`,
    `include ${input.password.includeFile}`,
  ];
  return lines.join('\n') + '\n';
}

function authScript(renderer: string, script: string, password: RedisPassword, directives: readonly string[]): string {
  const { secretFile, includeFile } = password;
  const tmp = `${includeFile}.tmp`;
  return [
    '#!/bin/sh',
    `# Rendered by @nines/constructs (${renderer}); do not edit. Run at start, before the daemon:`,
    `# writes the password directives the config includes (${includeFile}) from the Secret file.`,
    'set -eu',
    'umask 077',
    `password="$(cat ${secretFile})"`,
    'case "$password" in',
    `  *[!${PASSWORD_CHARACTERS}]*)`,
    `    echo "${script}: the password in ${secretFile} may only use ${PASSWORD_CHARACTERS} (Sentinel rewrites it unquoted)" >&2`,
    '    exit 1 ;;',
    'esac',
    `if [ "\${#password}" -lt ${MIN_PASSWORD_LENGTH} ]; then`,
    `  echo "${script}: the password in ${secretFile} must be at least ${MIN_PASSWORD_LENGTH} characters" >&2`,
    '  exit 1',
    'fi',
    `printf '${directives.map(d => `${d} "%s"`).join('\\n')}\\n' ${directives.map(() => '"$password"').join(' ')} > ${tmp}`,
    `mv ${tmp} ${includeFile}`,
  ].join('\n') + '\n';
}

/**
 * Renders the POSIX sh script the start step runs before redis-server: it reads the password
 * from `password.secretFile` and writes `requirepass` and `masterauth` into
 * `password.includeFile` (mode 0600), which the rendered redis.conf includes. The password
 * must be at least {@link MIN_PASSWORD_LENGTH} characters of `A-Za-z0-9._~+/=-`.
 * Throws a `ValidationError` like {@link renderRedisConf}.
 */
export function renderRedisAuthScript(input: RedisConfInput): string {
  throwIfAny('redis.conf', input.announceHostname, validateRedisConfInput(input));
  return authScript('renderRedisAuthScript', 'redis-auth', input.password, ['requirepass', 'masterauth']);
}

/**
 * Renders the POSIX sh script the start step runs before redis-sentinel: it writes
 * `requirepass` (clients and the other Sentinels authenticate with it) and
 * `sentinel auth-pass <masterName>` (Sentinel authenticates to Redis with it) into
 * `password.includeFile`. Throws a `ValidationError` like {@link renderSentinelConf}.
 */
export function renderSentinelAuthScript(input: SentinelConfInput): string {
  throwIfAny('sentinel.conf', input.announceHostname, validateSentinelConfInput(input));
  const name = input.masterName ?? REDIS_SENTINEL_DEFAULTS.masterName;
  return authScript('renderSentinelAuthScript', 'sentinel-auth', input.password, ['requirepass', `sentinel auth-pass ${name}`]);
}

// ---------------------------------------------------------------------------------------------
// Start and stop scripts of a Kubernetes deployment (used by the RedisSentinel construct)

/** Where the start, stop and probe scripts find things in a pod. */
export interface RedisPodScriptsInput {
  /** The Sentinels' announced hostnames (pod DNS names), asked for the current master. */
  readonly sentinelHosts: readonly string[];
  /**
   * The Sentinels' port.
   * @default 26379
   */
  readonly sentinelPort?: number;
  /**
   * The name Sentinel monitors the master under.
   * @default 'mymaster'
   */
  readonly masterName?: string;
  /** Where the Secret's password file is mounted (the probes and scripts authenticate with it). */
  readonly secretFile: string;
  /** The writable copy the daemon runs on. */
  readonly configFile: string;
  /**
   * Seconds the Redis preStop hook waits for a Sentinel-run failover to move the master role away.
   * @default 20
   */
  readonly handoverSeconds?: number;
}

function checkScriptsInput(input: RedisPodScriptsInput): void {
  const problems = new Problems('redis pod scripts', 'input');
  if (!Array.isArray(input.sentinelHosts) || input.sentinelHosts.length === 0) {
    problems.add('sentinelHosts', input.sentinelHosts, 'must list at least one Sentinel', 'pass the Sentinels\' pod DNS names');
  } else {
    input.sentinelHosts.forEach((h, i) => checkHost(problems, `sentinelHosts[${i}]`, h));
  }
  checkPort(problems, 'sentinelPort', input.sentinelPort ?? REDIS_SENTINEL_DEFAULTS.sentinelPort);
  const masterName = input.masterName ?? REDIS_SENTINEL_DEFAULTS.masterName;
  if (typeof masterName !== 'string' || !MASTER_NAME.test(masterName)) {
    problems.add('masterName', masterName, 'must be letters, digits, ".", "_" or "-"', `use a name such as "${REDIS_SENTINEL_DEFAULTS.masterName}"`);
  }
  checkPath(problems, 'secretFile', input.secretFile);
  checkPath(problems, 'configFile', input.configFile);
  const handover = input.handoverSeconds ?? 20;
  if (!isInteger(handover) || handover < 1) problems.add('handoverSeconds', handover, 'must be an integer >= 1', 'use 20');
  problems.throwIfAny();
}

/**
 * The shell function `find_master`, shared by the pod scripts: sets `master_host` and
 * `master_port` from the first Sentinel that names a master (host and port both given) other than
 * its argument (`"<ip> <port>"`: the calling instance, while the Sentinels still name it); both
 * empty when none does. Each Sentinel gets 3 s to answer.
 */
function findMasterFunction(input: RedisPodScriptsInput): string[] {
  const port = input.sentinelPort ?? REDIS_SENTINEL_DEFAULTS.sentinelPort;
  const name = input.masterName ?? REDIS_SENTINEL_DEFAULTS.masterName;
  return [
    '# Sets master_host and master_port from the first Sentinel naming a master other than "$1" (none: both empty).',
    'find_master() {',
    `  for s in ${input.sentinelHosts.join(' ')}; do`,
    `    answer="$(timeout 3 redis-cli --raw -h "$s" -p ${port} sentinel get-master-addr-by-name ${name} 2>/dev/null)" || continue`,
    '    master_host="$(echo "$answer" | sed -n 1p)"',
    '    master_port="$(echo "$answer" | sed -n 2p)"',
    '    if [ -n "$master_host" ] && [ -n "$master_port" ] && [ "$master_host $master_port" != "${1:-}" ]; then return 0; fi',
    '  done',
    '  master_host=""',
    '  master_port=""',
    '}',
  ];
}

/**
 * The Redis container's start script: asks the Sentinels for the current master and, when one
 * answers, rewrites the `replicaof` line of the writable copy so a restarted instance rejoins as
 * a replica of the current master (or as the master, if that is itself) instead of the role it
 * was rendered with; then execs redis-server on the copy. With no Sentinel answering (first
 * start of the whole set), the rendered role stands.
 */
export function renderRedisStartScript(input: RedisPodScriptsInput): string {
  checkScriptsInput(input);
  const conf = input.configFile;
  return [
    '#!/bin/sh',
    '# Rendered by @nines/constructs (renderRedisStartScript); do not edit.',
    'set -eu',
    ...findMasterFunction(input),
    `export REDISCLI_AUTH="$(cat ${input.secretFile})"`,
    'find_master',
    `me="$(sed -n 's/^replica-announce-ip //p' ${conf} | tail -n 1) $(sed -n 's/^port //p' ${conf} | tail -n 1)"`,
    'if [ -n "$master_host" ]; then',
    `  sed -i '/^replicaof /d' ${conf}`,
    '  if [ "$master_host $master_port" != "$me" ]; then',
    `    echo "replicaof $master_host $master_port" >> ${conf}`,
    '    echo "start-redis: the Sentinels name $master_host:$master_port the master; starting as its replica" >&2',
    '  else',
    '    echo "start-redis: the Sentinels name this instance the master" >&2',
    '  fi',
    'fi',
    'unset REDISCLI_AUTH',
    `exec redis-server ${conf}`,
  ].join('\n') + '\n';
}

/**
 * The Redis container's preStop script: when this instance is the master, asks a Sentinel for a
 * failover (`SENTINEL FAILOVER`), then, as soon as a Sentinel names the new master, makes
 * itself its replica (`REPLICAOF`). It gives up after `handoverSeconds` (plus at most one round
 * of Sentinel queries, 3 s each), so the pod's grace period must exceed that. A drain or rollout
 * then costs a planned hand-over (1.2 s measured) instead of down-after plus an election.
 */
export function renderRedisPreStopScript(input: RedisPodScriptsInput): string {
  checkScriptsInput(input);
  const port = input.sentinelPort ?? REDIS_SENTINEL_DEFAULTS.sentinelPort;
  const name = input.masterName ?? REDIS_SENTINEL_DEFAULTS.masterName;
  const handover = input.handoverSeconds ?? 20;
  const conf = input.configFile;
  return [
    '#!/bin/sh',
    '# Rendered by @nines/constructs (renderRedisPreStopScript); do not edit.',
    ...findMasterFunction(input),
    `export REDISCLI_AUTH="$(cat ${input.secretFile})"`,
    `port="$(sed -n 's/^port //p' ${conf} | tail -n 1)"`,
    `me="$(sed -n 's/^replica-announce-ip //p' ${conf} | tail -n 1) $port"`,
    'is_master() { redis-cli -p "$port" role 2>/dev/null | head -n 1 | grep -qx master; }',
    'is_master || exit 0',
    `end=$(($(date +%s) + ${handover}))`,
    `for s in ${input.sentinelHosts.join(' ')}; do`,
    `  timeout 3 redis-cli -h "$s" -p ${port} sentinel failover ${name} >/dev/null 2>&1 && break`,
    'done',
    '# Once the Sentinels name the new master, follow it at once: Sentinel itself would only',
    '# reconfigure this instance seconds later, and until then clients still on it could write here.',
    'while [ "$(date +%s)" -lt "$end" ] && is_master; do',
    '  find_master "$me"',
    '  if [ -n "$master_host" ]; then',
    '    redis-cli -p "$port" replicaof "$master_host" "$master_port" >/dev/null 2>&1',
    '  fi',
    '  is_master || break',
    '  sleep 1',
    'done',
    'exit 0',
  ].join('\n') + '\n';
}

/**
 * The Sentinel container's start script. On the first start from a fresh copy (marked by
 * `<configFile>.fresh`, which the copy step writes), asks the other Sentinels for the current
 * master and points the `sentinel monitor` line at it, so a Sentinel whose volume was lost does
 * not monitor a former master. On every start, re-applies the rendered timings and quorum to the
 * kept copy (`lines`: the rendered `sentinel monitor`, down-after, failover-timeout and
 * parallel-syncs lines), then execs redis-sentinel on the copy.
 */
export function renderSentinelStartScript(input: RedisPodScriptsInput, rendered: SentinelConfInput): string {
  checkScriptsInput(input);
  const conf = input.configFile;
  const name = rendered.masterName ?? REDIS_SENTINEL_DEFAULTS.masterName;
  const sentinels = rendered.sentinels ?? REDIS_SENTINEL_DEFAULTS.sentinels;
  const quorum = rendered.quorum ?? majorityOf(sentinels);
  const settings: Array<[string, number]> = [
    ['down-after-milliseconds', rendered.downAfterMilliseconds ?? REDIS_SENTINEL_DEFAULTS.downAfterMilliseconds],
    ['failover-timeout', rendered.failoverTimeoutMilliseconds ?? REDIS_SENTINEL_DEFAULTS.failoverTimeoutMilliseconds],
    ['parallel-syncs', rendered.parallelSyncs ?? REDIS_SENTINEL_DEFAULTS.parallelSyncs],
  ];
  return [
    '#!/bin/sh',
    '# Rendered by @nines/constructs (renderSentinelStartScript); do not edit.',
    'set -eu',
    ...findMasterFunction(input),
    `if [ -e ${conf}.fresh ]; then`,
    `  export REDISCLI_AUTH="$(cat ${input.secretFile})"`,
    '  find_master',
    '  if [ -n "$master_host" ]; then',
    `    sed -i "s/^sentinel monitor ${name} [^ ]* [^ ]* /sentinel monitor ${name} $master_host $master_port /" ${conf}`,
    '    echo "start-sentinel: the other Sentinels name $master_host:$master_port the master" >&2',
    '  fi',
    '  unset REDISCLI_AUTH',
    `  rm -f ${conf}.fresh`,
    'fi',
    '# The rendered timings and quorum win over the kept copy.',
    `sed -i "s/^\\(sentinel monitor ${name} [^ ]* [^ ]*\\) [0-9]*$/\\1 ${quorum}/" ${conf}`,
    ...settings.map(([key, value]) => `sed -i "s/^sentinel ${key} ${name} .*/sentinel ${key} ${name} ${value}/" ${conf}`),
    `exec redis-server ${conf} --sentinel`,
  ].join('\n') + '\n';
}
