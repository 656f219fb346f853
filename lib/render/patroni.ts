/**
 * patroni.yml, rendered by a pure function from typed inputs (etcd's command line is in
 * `etcd.ts`, the members' scripts in `patroni-scripts.ts`).
 *
 * The `PatroniCluster` construct puts {@link renderPatroniConfig}'s output into a ConfigMap and
 * `renderEtcdArgs`' into the etcd container's args; the system test feeds the very same
 * output, with only addresses, ports and paths substituted through these inputs, to the real
 * daemons (Patroni 3.0, PostgreSQL 15, etcd 3.4) and measures a failover. What is tested is what
 * ships.
 *
 * Targets from the case study: 3 members, synchronous replication, RPO 0, automatic failover in
 * 10-15 s, health checks every 5 s (the Kubernetes probes, not Patroni's loop), replication-lag
 * alert under 1 s.
 *
 * No password is ever rendered: Patroni reads them from the environment variables listed in
 * {@link PATRONI_PASSWORD_ENV}, which the construct fills from Secret references.
 */
import { Document } from 'yaml';
import { Problem, Problems } from '../core/errors';
import { isDnsLabel } from '../core/labels';
import { isAbsolutePath, isInt } from './private/checks';

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/**
 * Environment variables Patroni reads the PostgreSQL passwords from (merged over patroni.yml).
 * The construct sets them from Secret references; the rendered file never contains a password.
 * @see https://patroni.readthedocs.io/en/latest/ENVIRONMENT.html#postgresql
 */
export const PATRONI_PASSWORD_ENV = {
  /** Password of {@link PostgresUserNames.superuser}. */
  superuser: 'PATRONI_SUPERUSER_PASSWORD',
  /** Password of {@link PostgresUserNames.replication}. */
  replication: 'PATRONI_REPLICATION_PASSWORD',
  /** Password of {@link PostgresUserNames.rewind}. */
  rewind: 'PATRONI_REWIND_PASSWORD',
} as const;

/** Where one member listens and keeps its files. */
export interface PatroniMemberAddresses {
  /**
   * `restapi.listen`: where Patroni's REST API (health checks, `/cluster`, switchover) listens.
   * @default '0.0.0.0:8008'
   */
  readonly restApiListen?: string;
  /**
   * `restapi.connect_address`: how the other members and the probes reach this member's REST API
   * (in a StatefulSet `<pod>.<headless-service>:8008`, or `PATRONI_RESTAPI_CONNECT_ADDRESS` from the
   * downward API, which overrides the file). Must not be a wildcard address.
   */
  readonly restApiConnectAddress: string;
  /**
   * `postgresql.listen`: where PostgreSQL listens (Patroni sets `listen_addresses` and `port` from it).
   * @default '0.0.0.0:5432'
   */
  readonly postgresListen?: string;
  /**
   * `postgresql.connect_address`: how replicas and clients reach this member's PostgreSQL
   * (published in the DCS; replicas stream from the leader's). Must not be a wildcard address.
   */
  readonly postgresConnectAddress: string;
  /**
   * `postgresql.data_dir`: the PGDATA directory, a sub-directory of the volume mount so that the
   * mount's `lost+found` does not make initdb refuse it.
   * @default '/var/lib/postgresql/data/pgdata'
   */
  readonly dataDir?: string;
  /**
   * `postgresql.bin_dir`: where `postgres`, `pg_ctl`, `initdb`, `pg_basebackup` and `pg_rewind` are.
   * @default '/usr/lib/postgresql/15/bin'
   */
  readonly binDir?: string;
  /**
   * `postgresql.parameters.unix_socket_directories`: the socket directory; Patroni's own connections use
   * it (`use_unix_socket: true`), so they do not depend on the network.
   * @default '/var/run/postgresql'
   */
  readonly unixSocketDir?: string;
  /**
   * `postgresql.pgpass`: the file Patroni writes the replication/rewind credentials to for
   * `pg_basebackup` and `pg_rewind` (on a writable, private path).
   * @default '/tmp/pgpass'
   */
  readonly pgpassFile?: string;
}

/** Options of {@link PatroniDcs.etcd3}. */
export interface PatroniEtcd3Options {
  /**
   * The etcd client endpoints, `host:port` each (all members of the etcd cluster, or one Service name).
   * Rendered as the `etcd3:` section: etcd 3.4 disables the v2 API that Patroni's `etcd:` section needs.
   */
  readonly hosts: readonly string[];
  /**
   * Scheme of the client endpoints.
   * @default 'http'
   */
  readonly protocol?: 'http' | 'https';
}

/** Options of {@link PatroniDcs.kubernetes}. */
export interface PatroniKubernetesOptions {
  /**
   * Labels Patroni puts on (and selects) the member Pods and its leader/config objects; they must
   * match the StatefulSet's Pod labels.
   * @default - { 'app.kubernetes.io/name': 'patroni', 'app.kubernetes.io/instance': <clusterName> }
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Store the leader lock in an Endpoints object (whose addresses Patroni points at the leader, so a
   * selector-less Service named after the cluster always routes to the primary) instead of a ConfigMap.
   * The Pod IP comes from `PATRONI_KUBERNETES_POD_IP` (downward API `status.podIP`).
   * @default true
   */
  readonly useEndpoints?: boolean;
  /**
   * Label Patroni sets to `master`/`replica` on each Pod (for the primary and replica Services' selectors).
   * @default 'role'
   */
  readonly roleLabel?: string;
  /**
   * Label holding the cluster name.
   * @default 'cluster-name'
   */
  readonly scopeLabel?: string;
}

/** The distributed configuration store holding the leader lock: etcd (v3 API) or the Kubernetes API. */
export class PatroniDcs {
  /**
   * etcd through its v3 API (`etcd3:` section).
   * @see https://patroni.readthedocs.io/en/latest/yaml_configuration.html#etcdv3
   */
  public static etcd3(options: PatroniEtcd3Options): PatroniDcs {
    return new PatroniDcs('etcd3', options, undefined);
  }

  /**
   * The Kubernetes API (`kubernetes:` section): no etcd to run, the leader lock is an annotation.
   * @see https://patroni.readthedocs.io/en/latest/yaml_configuration.html#kubernetes
   */
  public static kubernetes(options: PatroniKubernetesOptions = {}): PatroniDcs {
    return new PatroniDcs('kubernetes', undefined, options);
  }

  private constructor(
    /** Which store: `etcd3` or `kubernetes`. */
    public readonly kind: 'etcd3' | 'kubernetes',
    /** Set when {@link kind} is `etcd3`. */
    public readonly etcd3Options: PatroniEtcd3Options | undefined,
    /** Set when {@link kind} is `kubernetes`. */
    public readonly kubernetesOptions: PatroniKubernetesOptions | undefined,
  ) {}
}

/**
 * Leader election and replication mode: `bootstrap.dcs`, written to the DCS when the cluster is
 * first initialised (later changes go through `patronictl edit-config`, not this file).
 *
 * Failover after the loss of the leader's node = the leader lock expiring (`ttl - loopWait` to
 * `ttl` seconds after the kill) + promotion (~0.3 s) + the remaining standby streaming from the new
 * primary (~1-2 s, which strict synchronous mode makes writes wait for). Measured by the system
 * test (kill -9 of the leader's Patroni, postmaster and backends; Patroni 3.0, PostgreSQL 15,
 * etcd 3.4; seconds until the first acknowledged write on the new leader): ttl 12 / loop_wait 3 /
 * retry_timeout 4 gave 11.3-14.4 s, too close to the case study's 15 s; the defaults, 10 / 2 / 3,
 * gave 10.7-12.2 s over 15 kills (median 11.7 s).
 *
 * Patroni >= 3.2 raises any `ttl` below 20 (and `retry_timeout` below 3) at runtime with a warning
 * in its log, which puts node-loss failover at roughly 20 s (estimated, not measured): pin Patroni
 * 3.0/3.1 for 10-15 s.
 *
 * @see https://patroni.readthedocs.io/en/latest/dynamic_configuration.html
 */
export interface PatroniFailoverOptions {
  /**
   * `ttl`: seconds the leader lock lives without renewal; a dead leader is replaced after it expires.
   * Must be greater than `loopWaitSeconds + 2 * retryTimeoutSeconds` (a healthy leader renews every
   * loop and may spend `retryTimeoutSeconds` retrying the DCS and as long retrying PostgreSQL).
   * @default 10
   */
  readonly ttlSeconds?: number;
  /**
   * `loop_wait`: seconds between two runs of Patroni's HA loop (lock renewal, member key update).
   * The 5 s health checks of the case study are the Kubernetes probes on the REST API, not this.
   * @default 2
   */
  readonly loopWaitSeconds?: number;
  /**
   * `retry_timeout`: DCS or PostgreSQL outages shorter than this do not demote the leader.
   * Covers an etcd leader election (< 1.5 s with {@link EtcdMemberOptions.electionTimeoutMs}'s default);
   * 3 is the smallest value Patroni >= 3.2 accepts.
   * @default 3
   */
  readonly retryTimeoutSeconds?: number;
  /**
   * `maximum_lag_on_failover`: bytes of WAL a replica may lag and still be promoted (asynchronous
   * mode only; in synchronous mode only the synchronous standbys, which lag 0, may be promoted).
   * @default 1048576
   */
  readonly maximumLagOnFailoverBytes?: number;
  /**
   * `primary_start_timeout`: seconds Patroni tries to restart a crashed primary before failing over.
   * With synchronous replication a failover loses nothing, so waiting only adds downtime.
   * @default 0
   */
  readonly primaryStartTimeoutSeconds?: number;
  /**
   * `synchronous_mode`: commits wait for the synchronous standbys, and only they may be promoted: RPO 0.
   * @default true
   */
  readonly synchronousMode?: boolean;
  /**
   * `synchronous_mode_strict`: what the primary does when no synchronous standby is left.
   * - `true`: it stops accepting writes (commits wait) until a standby reconnects. No acknowledged
   *   write can ever be lost, at the price of write availability while every standby is down
   *   (with 3 members: a double failure).
   * - `false`: it drops synchronous replication and carries on alone; if it is then lost too,
   *   the writes acknowledged in that window are lost (RPO > 0).
   *
   * Strict is the default because the case study's RPO is 0 and a 3-member cluster only reaches
   * this state after losing two members. It also makes writes after a failover wait until the
   * remaining standby streams from the new primary: measured ~1.5 s (median 11.7 s vs 10.0 s).
   * @default true
   */
  readonly synchronousModeStrict?: boolean;
  /**
   * `synchronous_node_count`: how many standbys every commit waits for. With every standby
   * synchronous (the case study's "2 synchronous replicas" for 3 members) any surviving standby can
   * be promoted without loss; Patroni shrinks the set when one is down, so writes continue.
   * Commit latency is that of the slowest synchronous standby.
   * @default - memberCount - 1
   */
  readonly synchronousStandbys?: number;
  /**
   * `postgresql.use_slots`: a replication slot per member on the primary, so WAL a lagging or
   * restarting replica still needs is kept.
   * @default true
   */
  readonly useReplicationSlots?: boolean;
}

/** PostgreSQL `synchronous_commit` levels. */
export type SynchronousCommitLevel = 'on' | 'remote_apply' | 'remote_write' | 'local' | 'off';
const SYNCHRONOUS_COMMIT_LEVELS: readonly SynchronousCommitLevel[] = ['on', 'remote_apply', 'remote_write', 'local', 'off'];

/**
 * PostgreSQL parameters, rendered into `bootstrap.dcs.postgresql.parameters` (the same on every
 * member). `wal_log_hints` and `hot_standby` are always `on`: `pg_rewind` needs the first to rejoin
 * a failed primary, replicas serve reads with the second.
 * @see https://www.postgresql.org/docs/15/runtime-config.html
 */
export interface PostgresParameterOptions {
  /**
   * `max_connections` (replicas must have at least the primary's, so it is cluster-wide).
   * @default 100
   */
  readonly maxConnections?: number;
  /**
   * `shared_buffers`, a PostgreSQL size (`kB`, `MB`, `GB`, `TB`); about 25% of the memory limit.
   * @default '256MB'
   */
  readonly sharedBuffers?: string;
  /**
   * `wal_level`: `logical` only when logical decoding (CDC) is needed.
   * @default 'replica'
   */
  readonly walLevel?: 'replica' | 'logical';
  /**
   * `max_wal_senders`: one per replica plus two for a member re-cloning with `pg_basebackup`.
   * @default 10
   */
  readonly maxWalSenders?: number;
  /**
   * `max_replication_slots`: at least one per other member when slots are used.
   * @default 10
   */
  readonly maxReplicationSlots?: number;
  /**
   * `wal_keep_size`: WAL kept beyond what slots hold, so a member rejoining right after a failover
   * (before the new primary has created its slot) can still catch up without a full clone.
   * @default '1GB'
   */
  readonly walKeepSize?: string;
  /**
   * `wal_retrieve_retry_interval`, a PostgreSQL duration (`ms`, `s`, `min`): how soon a standby
   * retries streaming after a failed attempt. Right after a failover the new primary has not yet
   * created the standbys' slots; with PostgreSQL's 5 s default the remaining standby reconnects up
   * to 5 s later, and in strict synchronous mode writes wait for it.
   * @default '1s'
   */
  readonly walRetrieveRetryInterval?: string;
  /**
   * `synchronous_commit`: `on` waits for the standbys' flush. `local` and `off` break RPO 0 and are
   * refused in synchronous mode.
   * @default 'on'
   */
  readonly synchronousCommit?: SynchronousCommitLevel;
  /**
   * Any other parameter, rendered as given (booleans as `on`/`off`). Parameters set by a typed prop,
   * by WAL archiving or by Patroni itself are refused here.
   * @default {}
   */
  readonly additional?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Who may connect (`postgresql.pg_hba`, rewritten by Patroni on every start and reload). The
 * superuser may log in only over the socket and loopback; remote superuser logins are rejected.
 */
export interface PostgresClientAccessOptions {
  /**
   * Networks the other members connect from (streaming replication, `pg_rewind`), e.g. the Pod CIDRs.
   */
  readonly memberCidrs: readonly string[];
  /**
   * Networks applications connect from (any database, any non-superuser role).
   * @default - memberCidrs
   */
  readonly clientCidrs?: readonly string[];
  /**
   * Addresses a proxy in the member's own Pod forwards inbound connections from, admitted for
   * replication, `pg_rewind` and clients alike (with the same password method, never `trust`).
   * Istio's sidecar terminates every inbound connection and opens a new one to PostgreSQL from
   * 127.0.0.6 (its inbound passthrough bind address), so behind the sidecar standbys, PgBouncer
   * and services all arrive from there, not from their Pod CIDRs. The address exists only inside
   * the Pod's network namespace: no other Pod can present it.
   * @default []
   * @see https://github.com/istio/istio/blob/master/pilot/pkg/networking/util/util.go (InboundPassthroughBindIpv4 = "127.0.0.6")
   * @see https://istio.io/latest/blog/2021/upcoming-networking-changes/
   */
  readonly proxySourceCidrs?: readonly string[];
  /**
   * Password authentication method for every line.
   * @default 'scram-sha-256'
   */
  readonly authMethod?: 'scram-sha-256' | 'md5';
}

/**
 * PostgreSQL role names (`postgresql.authentication`); their passwords come only from
 * {@link PATRONI_PASSWORD_ENV}.
 */
export interface PostgresUserNames {
  /**
   * The superuser Patroni manages PostgreSQL as (password: `PATRONI_SUPERUSER_PASSWORD`).
   * @default 'postgres'
   */
  readonly superuser?: string;
  /**
   * The role replicas stream with (password: `PATRONI_REPLICATION_PASSWORD`).
   * @default 'replicator'
   */
  readonly replication?: string;
  /**
   * The role `pg_rewind` connects as when a failed primary rejoins (password: `PATRONI_REWIND_PASSWORD`).
   * @default 'rewind_user'
   */
  readonly rewind?: string;
}

/**
 * Patroni member tags (`tags:`).
 * @see https://patroni.readthedocs.io/en/latest/yaml_configuration.html#tags
 */
export interface PatroniMemberTags {
  /**
   * `nofailover`: this member is never promoted.
   * @default false
   */
  readonly noFailover?: boolean;
  /**
   * `noloadbalance`: `/replica` answers 503, so replica load balancers skip this member.
   * @default false
   */
  readonly noLoadBalance?: boolean;
  /**
   * `clonefrom`: new members prefer to `pg_basebackup` from this one.
   * @default false
   */
  readonly cloneFrom?: boolean;
  /**
   * `nosync`: this member is never chosen as a synchronous standby.
   * @default false
   */
  readonly noSync?: boolean;
}

/**
 * Continuous WAL archiving (point-in-time recovery) through the given commands, e.g. WAL-G's
 * `wal-g wal-push %p` / `wal-g wal-fetch %f %p`.
 */
export interface WalArchiveCommands {
  /** `archive_command` (with `archive_mode: on`); must reference `%p`. */
  readonly archiveCommand: string;
  /** `restore_command` (`bootstrap.dcs.postgresql.recovery_conf`); must reference `%f` and `%p`. */
  readonly restoreCommand: string;
}

/** Everything one member's patroni.yml is rendered from. */
export interface PatroniMemberOptions {
  /** `scope`: the cluster name, shared by all members (also the DCS key and Kubernetes object prefix). */
  readonly clusterName: string;
  /**
   * `name`: this member's name, unique in the cluster (in a StatefulSet the Pod name; `PATRONI_NAME`
   * from the downward API overrides the file, so one ConfigMap can serve every Pod).
   */
  readonly memberName: string;
  /**
   * How many members the cluster has (validation only: synchronous standbys, WAL senders, slots).
   * @default 3
   */
  readonly memberCount?: number;
  /**
   * `namespace`: the DCS key prefix the cluster lives under (`<namespace><scope>/leader`).
   * @default '/service/'
   */
  readonly dcsNamespace?: string;
  /** Listen and connect addresses, data and binary directories. */
  readonly addresses: PatroniMemberAddresses;
  /** Where the leader lock lives. */
  readonly dcs: PatroniDcs;
  /**
   * Leader election and replication mode.
   * @default - the defaults of each {@link PatroniFailoverOptions} field
   */
  readonly failover?: PatroniFailoverOptions;
  /**
   * PostgreSQL parameters.
   * @default - the defaults of each {@link PostgresParameterOptions} field
   */
  readonly postgresParameters?: PostgresParameterOptions;
  /** Who may connect (pg_hba). */
  readonly clientAccess: PostgresClientAccessOptions;
  /**
   * Role names.
   * @default - the defaults of each {@link PostgresUserNames} field
   */
  readonly userNames?: PostgresUserNames;
  /**
   * This member's tags.
   * @default - every tag false
   */
  readonly tags?: PatroniMemberTags;
  /**
   * WAL archiving commands.
   * @default - no archiving
   */
  readonly walArchive?: WalArchiveCommands;
  /**
   * `postgresql.callbacks`: commands Patroni runs (with `<action> <role> <scope>` appended) when
   * PostgreSQL starts, stops or changes role, e.g. {@link renderRoleLabelCallback}'s script.
   * @default - none
   */
  readonly callbacks?: PatroniCallbacks;
}

/**
 * Patroni's `postgresql.callbacks`; each command is split like a shell would (no shell runs).
 * @see https://patroni.readthedocs.io/en/latest/yaml_configuration.html#postgresql
 */
export interface PatroniCallbacks {
  /** `on_start`. @default - none */
  readonly onStart?: string;
  /** `on_stop`. @default - none */
  readonly onStop?: string;
  /** `on_role_change`. @default - none */
  readonly onRoleChange?: string;
}

/** {@link PatroniMemberOptions} with every default applied. */
export interface ResolvedPatroniMemberOptions {
  readonly clusterName: string;
  readonly memberName: string;
  readonly memberCount: number;
  readonly dcsNamespace: string;
  readonly addresses: Required<PatroniMemberAddresses>;
  readonly dcs: PatroniDcs;
  readonly failover: Required<PatroniFailoverOptions>;
  readonly postgresParameters: Required<PostgresParameterOptions>;
  readonly clientAccess: Required<PostgresClientAccessOptions>;
  readonly userNames: Required<PostgresUserNames>;
  readonly tags: Required<PatroniMemberTags>;
  readonly walArchive: WalArchiveCommands | undefined;
  readonly callbacks: PatroniCallbacks;
}

/** Applies every documented default (the single place they are resolved). */
export function resolvePatroniMemberOptions(options: PatroniMemberOptions): ResolvedPatroniMemberOptions {
  const memberCount = options.memberCount ?? 3;
  const f = options.failover ?? {};
  const p = options.postgresParameters ?? {};
  const a = options.addresses;
  return {
    clusterName: options.clusterName,
    memberName: options.memberName,
    memberCount,
    dcsNamespace: options.dcsNamespace ?? '/service/',
    addresses: {
      restApiListen: a.restApiListen ?? '0.0.0.0:8008',
      restApiConnectAddress: a.restApiConnectAddress,
      postgresListen: a.postgresListen ?? '0.0.0.0:5432',
      postgresConnectAddress: a.postgresConnectAddress,
      dataDir: a.dataDir ?? '/var/lib/postgresql/data/pgdata',
      binDir: a.binDir ?? '/usr/lib/postgresql/15/bin',
      unixSocketDir: a.unixSocketDir ?? '/var/run/postgresql',
      pgpassFile: a.pgpassFile ?? '/tmp/pgpass',
    },
    dcs: options.dcs,
    failover: {
      ttlSeconds: f.ttlSeconds ?? 10,
      loopWaitSeconds: f.loopWaitSeconds ?? 2,
      retryTimeoutSeconds: f.retryTimeoutSeconds ?? 3,
      maximumLagOnFailoverBytes: f.maximumLagOnFailoverBytes ?? 1048576,
      primaryStartTimeoutSeconds: f.primaryStartTimeoutSeconds ?? 0,
      synchronousMode: f.synchronousMode ?? true,
      synchronousModeStrict: f.synchronousModeStrict ?? true,
      synchronousStandbys: f.synchronousStandbys ?? memberCount - 1,
      useReplicationSlots: f.useReplicationSlots ?? true,
    },
    postgresParameters: {
      maxConnections: p.maxConnections ?? 100,
      sharedBuffers: p.sharedBuffers ?? '256MB',
      walLevel: p.walLevel ?? 'replica',
      maxWalSenders: p.maxWalSenders ?? 10,
      maxReplicationSlots: p.maxReplicationSlots ?? 10,
      walKeepSize: p.walKeepSize ?? '1GB',
      walRetrieveRetryInterval: p.walRetrieveRetryInterval ?? '1s',
      synchronousCommit: p.synchronousCommit ?? 'on',
      additional: p.additional ?? {},
    },
    clientAccess: {
      memberCidrs: options.clientAccess.memberCidrs,
      clientCidrs: options.clientAccess.clientCidrs ?? options.clientAccess.memberCidrs,
      proxySourceCidrs: options.clientAccess.proxySourceCidrs ?? [],
      authMethod: options.clientAccess.authMethod ?? 'scram-sha-256',
    },
    userNames: {
      superuser: options.userNames?.superuser ?? 'postgres',
      replication: options.userNames?.replication ?? 'replicator',
      rewind: options.userNames?.rewind ?? 'rewind_user',
    },
    tags: {
      noFailover: options.tags?.noFailover ?? false,
      noLoadBalance: options.tags?.noLoadBalance ?? false,
      cloneFrom: options.tags?.cloneFrom ?? false,
      noSync: options.tags?.noSync ?? false,
    },
    walArchive: options.walArchive,
    callbacks: options.callbacks ?? {},
  };
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

const MEMBER_NAME = /^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/;
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const GUC_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;
const PG_SIZE = /^(\d+)(kB|MB|GB|TB)$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const WILDCARD_HOSTS = ['0.0.0.0', '*', '[::]', '::'];

/** Parameters that typed props, archiving or Patroni itself set, with what to use instead. */
const MANAGED_PARAMETERS: Readonly<Record<string, string>> = {
  max_connections: 'use postgresParameters.maxConnections',
  shared_buffers: 'use postgresParameters.sharedBuffers',
  wal_level: 'use postgresParameters.walLevel',
  max_wal_senders: 'use postgresParameters.maxWalSenders',
  max_replication_slots: 'use postgresParameters.maxReplicationSlots',
  wal_keep_size: 'use postgresParameters.walKeepSize',
  wal_retrieve_retry_interval: 'use postgresParameters.walRetrieveRetryInterval',
  synchronous_commit: 'use postgresParameters.synchronousCommit',
  wal_log_hints: 'remove it: it is always on (pg_rewind needs it)',
  hot_standby: 'remove it: it is always on (replicas serve reads)',
  archive_mode: 'use walArchive',
  archive_command: 'use walArchive',
  restore_command: 'use walArchive',
  unix_socket_directories: 'use addresses.unixSocketDir',
  listen_addresses: 'use addresses.postgresListen',
  port: 'use addresses.postgresListen',
  synchronous_standby_names: 'remove it: Patroni manages it (failover.synchronousStandbys)',
  primary_conninfo: 'remove it: Patroni manages it',
  primary_slot_name: 'remove it: Patroni manages it',
  cluster_name: 'remove it: Patroni sets it to clusterName',
  hba_file: 'remove it: Patroni writes pg_hba from clientAccess',
  data_directory: 'use addresses.dataDir',
};

interface HostPort {
  readonly host: string;
  readonly port: number;
}

function parseHostPort(value: unknown): HostPort | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(value);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1], port } : undefined;
}

function isCidr(value: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (v4) return v4.slice(1, 5).every(octet => Number(octet) <= 255) && Number(v4[5]) <= 32;
  const v6 = /^([0-9A-Fa-f:]+)\/(\d{1,3})$/.exec(value);
  return v6 !== null && v6[1].includes(':') && Number(v6[2]) <= 128;
}

function sizeInKb(value: string): number | undefined {
  const m = PG_SIZE.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * { kB: 1, MB: 1024, GB: 1024 ** 2, TB: 1024 ** 3 }[m[2] as 'kB' | 'MB' | 'GB' | 'TB'];
}

function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  return LABEL_NAME.test(name) && (slash < 0 || LABEL_PREFIX.test(key.slice(0, slash)));
}

function checkListen(problems: Problems, prop: string, value: string): HostPort | undefined {
  const parsed = parseHostPort(value);
  problems.when(parsed === undefined, prop, value, 'is not host:port with a port in 1-65535', 'give e.g. "0.0.0.0:5432"');
  return parsed;
}

function checkConnectAddress(problems: Problems, prop: string, value: string): void {
  const parsed = parseHostPort(value);
  problems.when(parsed === undefined, prop, value, 'is not host:port with a port in 1-65535', 'give e.g. "orders-db-0.orders-db:5432"');
  problems.when(parsed !== undefined && WILDCARD_HOSTS.includes(parsed.host), prop, value,
    'is a wildcard address other members cannot connect to', "give this member's resolvable name or IP");
}

function validateAddresses(problems: Problems, a: Required<PatroniMemberAddresses>): void {
  const restApi = checkListen(problems, 'addresses.restApiListen', a.restApiListen);
  const postgres = checkListen(problems, 'addresses.postgresListen', a.postgresListen);
  problems.when(restApi !== undefined && postgres !== undefined && restApi.port === postgres.port, 'addresses.restApiListen', a.restApiListen,
    `uses the port of addresses.postgresListen (${postgres?.port})`, 'give the REST API its own port (Patroni uses 8008)');
  checkConnectAddress(problems, 'addresses.restApiConnectAddress', a.restApiConnectAddress);
  checkConnectAddress(problems, 'addresses.postgresConnectAddress', a.postgresConnectAddress);
  for (const key of ['dataDir', 'binDir', 'unixSocketDir', 'pgpassFile'] as const) {
    problems.when(!isAbsolutePath(a[key]), `addresses.${key}`, a[key], 'is not an absolute path without spaces', 'give a path starting with "/"');
  }
}

function validateDcs(problems: Problems, dcs: PatroniDcs, clusterName: string): void {
  if (dcs.kind === 'etcd3') {
    const hosts = dcs.etcd3Options?.hosts ?? [];
    problems.when(hosts.length === 0, 'dcs.hosts', hosts, 'is empty', 'list the etcd client endpoints as host:port');
    hosts.forEach((host, i) => problems.when(parseHostPort(host) === undefined, `dcs.hosts[${i}]`, host,
      'is not host:port with a port in 1-65535', 'give e.g. "etcd-0.etcd:2379"'));
    const duplicates = hosts.filter((host, i) => hosts.indexOf(host) !== i);
    problems.when(duplicates.length > 0, 'dcs.hosts', hosts, `lists ${duplicates.join(', ')} more than once`, 'list each etcd endpoint once');
    return;
  }
  const k = resolveKubernetesDcs(dcs.kubernetesOptions ?? {}, clusterName);
  problems.when(Object.keys(k.labels).length === 0, 'dcs.labels', k.labels, 'is empty, so Patroni would select every Pod in the namespace',
    "give the StatefulSet's Pod labels");
  for (const [key, value] of Object.entries(k.labels)) {
    problems.when(!isLabelKey(key) || !(value === '' || LABEL_NAME.test(value)), `dcs.labels.${key}`, value,
      'is not a valid Kubernetes label', 'use [prefix/]name keys and values of at most 63 alphanumerics, "-", "_" or "."');
  }
  for (const prop of ['roleLabel', 'scopeLabel'] as const) {
    problems.when(!isLabelKey(k[prop]), `dcs.${prop}`, k[prop], 'is not a valid Kubernetes label key', 'give e.g. "role"');
    problems.when(k[prop] in k.labels, `dcs.${prop}`, k[prop], 'is also one of dcs.labels, which Patroni would overwrite on every Pod',
      `remove "${k[prop]}" from dcs.labels`);
  }
}

function validateFailover(problems: Problems, f: Required<PatroniFailoverOptions>, memberCount: number): void {
  const intAtLeast = (prop: keyof PatroniFailoverOptions, min: number, why: string) => {
    const value = f[prop];
    problems.when(!isInt(value) || value < min, `failover.${prop}`, value, `must be an integer >= ${min} (${why})`, `set it to ${min} or more`);
    return isInt(value) && value >= min;
  };
  const ttlOk = intAtLeast('ttlSeconds', 1, 'seconds');
  const loopOk = intAtLeast('loopWaitSeconds', 1, 'seconds between HA loops');
  const retryOk = intAtLeast('retryTimeoutSeconds', 1, 'seconds');
  intAtLeast('maximumLagOnFailoverBytes', 0, 'bytes');
  intAtLeast('primaryStartTimeoutSeconds', 0, 'seconds');
  if (ttlOk && loopOk && retryOk) {
    const budget = f.loopWaitSeconds + 2 * f.retryTimeoutSeconds;
    problems.when(f.ttlSeconds <= budget, 'failover.ttlSeconds', f.ttlSeconds,
      `must be greater than loopWaitSeconds + 2 * retryTimeoutSeconds (${f.loopWaitSeconds} + 2 * ${f.retryTimeoutSeconds} = ${budget}), `
      + 'or a healthy leader retrying the DCS and PostgreSQL loses its lock',
      `raise ttlSeconds to ${budget + 1} or lower loopWaitSeconds/retryTimeoutSeconds`);
  }
  if (f.synchronousMode) {
    const standbys = f.synchronousStandbys;
    problems.when(!isInt(standbys) || standbys < 1 || standbys >= memberCount, 'failover.synchronousStandbys', standbys,
      `must be an integer >= 1 and < memberCount (${memberCount})`, `set it to ${Math.max(1, memberCount - 1)} (every standby synchronous) or less`);
  } else {
    problems.when(f.synchronousModeStrict, 'failover.synchronousModeStrict', f.synchronousModeStrict,
      'has no effect without synchronous replication', 'enable failover.synchronousMode or set synchronousModeStrict to false');
  }
}

function validateParameters(problems: Problems, p: Required<PostgresParameterOptions>, r: ResolvedPatroniMemberOptions): void {
  problems.when(!isInt(p.maxConnections) || p.maxConnections < 10, 'postgresParameters.maxConnections', p.maxConnections,
    'must be an integer >= 10 (Patroni, replication and monitoring need connections of their own)', 'set it to 100 or more');
  const buffers = sizeInKb(p.sharedBuffers);
  problems.when(buffers === undefined || buffers < 128, 'postgresParameters.sharedBuffers', p.sharedBuffers,
    'is not a PostgreSQL size of at least 128kB', 'give e.g. "1GB" (about 25% of the memory limit)');
  problems.when(sizeInKb(p.walKeepSize) === undefined, 'postgresParameters.walKeepSize', p.walKeepSize,
    'is not a PostgreSQL size', 'give e.g. "1GB"');
  problems.when(!/^[1-9]\d*(ms|s|min)$/.test(p.walRetrieveRetryInterval), 'postgresParameters.walRetrieveRetryInterval', p.walRetrieveRetryInterval,
    'is not a positive PostgreSQL duration', 'give e.g. "1s" or "500ms"');
  const senders = r.memberCount + 1;
  problems.when(!isInt(p.maxWalSenders) || p.maxWalSenders < senders, 'postgresParameters.maxWalSenders', p.maxWalSenders,
    `must be >= memberCount + 1 (${senders}): one per replica plus two for a member re-cloning with pg_basebackup`, `set it to ${senders} or more`);
  if (r.failover.useReplicationSlots) {
    const slots = r.memberCount - 1;
    problems.when(!isInt(p.maxReplicationSlots) || p.maxReplicationSlots < slots, 'postgresParameters.maxReplicationSlots', p.maxReplicationSlots,
      `must be >= memberCount - 1 (${slots}) with replication slots`, `set it to ${slots} or more`);
  }
  // The values PostgreSQL 15 accepts for wal_level (minimal drops the WAL a standby needs) and synchronous_commit.
  // @see https://www.postgresql.org/docs/15/runtime-config-wal.html#GUC-WAL-LEVEL
  // @see https://www.postgresql.org/docs/15/runtime-config-wal.html#GUC-SYNCHRONOUS-COMMIT
  problems.when(!['replica', 'logical'].includes(p.walLevel), 'postgresParameters.walLevel', p.walLevel,
    'is not a wal_level that keeps standbys streaming', 'use "replica" (or "logical" for logical decoding)');
  problems.when(!SYNCHRONOUS_COMMIT_LEVELS.includes(p.synchronousCommit), 'postgresParameters.synchronousCommit', p.synchronousCommit,
    'is not a synchronous_commit level', `use one of ${SYNCHRONOUS_COMMIT_LEVELS.map(l => `"${l}"`).join(', ')}`);
  problems.when(r.failover.synchronousMode && (p.synchronousCommit === 'local' || p.synchronousCommit === 'off'),
    'postgresParameters.synchronousCommit', p.synchronousCommit,
    'acknowledges commits before any standby has them, which breaks RPO 0 in synchronous mode', 'use "on" or "remote_apply"');
  for (const [name, value] of Object.entries(p.additional)) {
    const prop = `postgresParameters.additional.${name}`;
    problems.when(!GUC_NAME.test(name), prop, value, 'is not a PostgreSQL parameter name', 'use lower-case names like "work_mem"');
    const managed = MANAGED_PARAMETERS[name];
    problems.when(managed !== undefined, prop, value, 'is set by this renderer', managed ?? '');
    problems.when(typeof value === 'number' && !Number.isFinite(value), prop, value, 'is not a finite number', 'give a number or a string');
  }
}

function validateAccess(problems: Problems, access: Required<PostgresClientAccessOptions>): void {
  problems.when(access.memberCidrs.length === 0, 'clientAccess.memberCidrs', access.memberCidrs,
    'is empty, so replicas cannot stream', 'give the Pod CIDRs the members run in');
  // clientCidrs defaults to the memberCidrs list itself: report its problems once.
  const lists = access.clientCidrs === access.memberCidrs ? ['memberCidrs', 'proxySourceCidrs'] as const : ['memberCidrs', 'clientCidrs', 'proxySourceCidrs'] as const;
  for (const key of lists) {
    access[key].forEach((cidr, i) => problems.when(!isCidr(cidr), `clientAccess.${key}[${i}]`, cidr, 'is not a CIDR',
      'give e.g. "10.0.0.0/16"'));
  }
}

function validateUserNames(problems: Problems, users: Required<PostgresUserNames>): void {
  for (const key of ['superuser', 'replication', 'rewind'] as const) {
    problems.when(!ROLE_NAME.test(users[key]), `userNames.${key}`, users[key], 'is not a lower-case PostgreSQL role name of at most 63 characters',
      'use letters, digits and "_"');
  }
  problems.when(users.replication === users.superuser, 'userNames.replication', users.replication,
    'is the superuser, so every replica would hold superuser credentials', 'give replication its own role, e.g. "replicator"');
}

function validateWalArchive(problems: Problems, archive: WalArchiveCommands | undefined): void {
  if (archive === undefined) return;
  problems.when(!archive.archiveCommand.includes('%p'), 'walArchive.archiveCommand', archive.archiveCommand,
    'does not reference %p (the WAL file to archive)', 'e.g. "wal-g wal-push %p"');
  problems.when(!archive.restoreCommand.includes('%f') || !archive.restoreCommand.includes('%p'), 'walArchive.restoreCommand',
    archive.restoreCommand, 'does not reference both %f (the WAL file wanted) and %p (where to put it)', 'e.g. "wal-g wal-fetch %f %p"');
}

/**
 * Every problem with `options`, in prop order; empty when {@link renderPatroniConfig} will render.
 */
export function validatePatroniInput(options: PatroniMemberOptions): Problem[] {
  return [...patroniProblems(options).all];
}

function patroniProblems(options: PatroniMemberOptions): Problems {
  const r = resolvePatroniMemberOptions(options);
  const problems = new Problems('PatroniConfig', `${r.clusterName}/${r.memberName}`);
  problems.when(!isDnsLabel(r.clusterName), 'clusterName', r.clusterName,
    'is not a DNS label (Patroni names Kubernetes objects and DCS keys after it)', 'use at most 63 lower-case letters, digits and "-"');
  problems.when(!MEMBER_NAME.test(r.memberName), 'memberName', r.memberName,
    'is not a valid member name (it becomes the replication application_name)', 'use at most 63 lower-case letters, digits, "-", "_" and "."');
  problems.when(!isInt(r.memberCount), 'memberCount', r.memberCount, 'is not an integer', 'give the number of members, e.g. 3');
  problems.when(r.failover.synchronousMode && r.memberCount < 3, 'memberCount', r.memberCount,
    'must be >= 3 with synchronous replication, or losing the only standby stops writes (strict) or risks acknowledged writes (non-strict)',
    'run 3 members');
  problems.when(!r.failover.synchronousMode && r.memberCount < 2, 'memberCount', r.memberCount,
    'must be >= 2: a single member has nothing to fail over to', 'run 3 members');
  problems.when(!r.dcsNamespace.startsWith('/'), 'dcsNamespace', r.dcsNamespace, 'does not start with "/"', 'give e.g. "/service/"');
  validateAddresses(problems, r.addresses);
  validateDcs(problems, r.dcs, r.clusterName);
  validateFailover(problems, r.failover, r.memberCount);
  validateParameters(problems, r.postgresParameters, r);
  validateAccess(problems, r.clientAccess);
  validateUserNames(problems, r.userNames);
  validateWalArchive(problems, r.walArchive);
  for (const [key, command] of Object.entries(r.callbacks)) {
    problems.when(typeof command !== 'string' || command.trim() === '' || /[\n\r]/.test(command), `callbacks.${key}`, command,
      'is not a one-line command', 'give e.g. "python3 /etc/patroni/label_role.py"');
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

function resolveKubernetesDcs(k: PatroniKubernetesOptions, clusterName: string): Required<PatroniKubernetesOptions> {
  return {
    labels: k.labels ?? { 'app.kubernetes.io/name': 'patroni', 'app.kubernetes.io/instance': clusterName },
    useEndpoints: k.useEndpoints ?? true,
    roleLabel: k.roleLabel ?? 'role',
    scopeLabel: k.scopeLabel ?? 'cluster-name',
  };
}

function renderDcs(r: ResolvedPatroniMemberOptions): Record<string, unknown> {
  if (r.dcs.kind === 'etcd3') {
    return { etcd3: { hosts: [...(r.dcs.etcd3Options?.hosts ?? [])], protocol: r.dcs.etcd3Options?.protocol ?? 'http' } };
  }
  const k = resolveKubernetesDcs(r.dcs.kubernetesOptions ?? {}, r.clusterName);
  return {
    kubernetes: {
      labels: { ...k.labels },
      scope_label: k.scopeLabel,
      role_label: k.roleLabel,
      use_endpoints: k.useEndpoints,
      // With use_endpoints Patroni publishes the leader's Pod IP (PATRONI_KUBERNETES_POD_IP) and these ports.
      ...(k.useEndpoints ? { ports: [{ name: 'postgresql', port: parseHostPort(r.addresses.postgresListen)?.port }] } : {}),
    },
  };
}

function renderParameters(r: ResolvedPatroniMemberOptions): Record<string, string | number> {
  const p = r.postgresParameters;
  const additional = Object.fromEntries(Object.entries(p.additional)
    .map(([name, value]) => [name, typeof value === 'boolean' ? (value ? 'on' : 'off') : value]));
  return {
    max_connections: p.maxConnections,
    shared_buffers: p.sharedBuffers,
    wal_level: p.walLevel,
    wal_log_hints: 'on',
    hot_standby: 'on',
    max_wal_senders: p.maxWalSenders,
    max_replication_slots: p.maxReplicationSlots,
    wal_keep_size: p.walKeepSize,
    wal_retrieve_retry_interval: p.walRetrieveRetryInterval,
    synchronous_commit: p.synchronousCommit,
    ...(r.walArchive ? { archive_mode: 'on', archive_command: r.walArchive.archiveCommand } : {}),
    ...additional,
  };
}

function renderPgHba(r: ResolvedPatroniMemberOptions): string[] {
  const { authMethod: method, memberCidrs, clientCidrs, proxySourceCidrs } = r.clientAccess;
  const { superuser, replication, rewind } = r.userNames;
  const members = [...memberCidrs, ...proxySourceCidrs];
  return [
    `local all all ${method}`,
    `host all ${superuser} 127.0.0.1/32 ${method}`,
    `host all ${superuser} ::1/128 ${method}`,
    ...members.map(cidr => `host replication ${replication} ${cidr} ${method}`),
    ...members.map(cidr => `host all ${rewind} ${cidr} ${method}`),
    // First match wins: the superuser is refused from every network, proxied or not.
    `host all ${superuser} all reject`,
    ...[...clientCidrs, ...proxySourceCidrs].map(cidr => `host all all ${cidr} ${method}`),
  ];
}

/**
 * One member's patroni.yml. Throws a {@link ValidationError} listing every problem
 * ({@link validatePatroniInput}) before rendering anything.
 */
export function renderPatroniConfig(options: PatroniMemberOptions): string {
  patroniProblems(options).throwIfAny();
  const r = resolvePatroniMemberOptions(options);
  const f = r.failover;
  const pgHba = renderPgHba(r);
  const config = {
    scope: r.clusterName,
    namespace: r.dcsNamespace,
    name: r.memberName,
    restapi: { listen: r.addresses.restApiListen, connect_address: r.addresses.restApiConnectAddress },
    ...renderDcs(r),
    bootstrap: {
      dcs: {
        ttl: f.ttlSeconds,
        loop_wait: f.loopWaitSeconds,
        retry_timeout: f.retryTimeoutSeconds,
        maximum_lag_on_failover: f.maximumLagOnFailoverBytes,
        primary_start_timeout: f.primaryStartTimeoutSeconds,
        synchronous_mode: f.synchronousMode,
        ...(f.synchronousMode ? { synchronous_mode_strict: f.synchronousModeStrict, synchronous_node_count: f.synchronousStandbys } : {}),
        postgresql: {
          use_pg_rewind: true,
          use_slots: f.useReplicationSlots,
          parameters: renderParameters(r),
          ...(r.walArchive ? { recovery_conf: { restore_command: r.walArchive.restoreCommand } } : {}),
        },
      },
      initdb: ['data-checksums', { encoding: 'UTF8' }],
      // Appended to initdb's pg_hba.conf, which postgresql.pg_hba then replaces; Patroni's own
      // schema (`patroni --validate-config`) requires it.
      pg_hba: pgHba,
    },
    postgresql: {
      listen: r.addresses.postgresListen,
      connect_address: r.addresses.postgresConnectAddress,
      data_dir: r.addresses.dataDir,
      bin_dir: r.addresses.binDir,
      pgpass: r.addresses.pgpassFile,
      use_unix_socket: true,
      // Usernames only: Patroni merges PATRONI_{SUPERUSER,REPLICATION,REWIND}_PASSWORD over these.
      authentication: {
        superuser: { username: r.userNames.superuser },
        replication: { username: r.userNames.replication },
        rewind: { username: r.userNames.rewind },
      },
      parameters: { unix_socket_directories: r.addresses.unixSocketDir },
      pg_hba: pgHba,
      ...(Object.keys(r.callbacks).length > 0 ? {
        callbacks: {
          ...(r.callbacks.onStart ? { on_start: r.callbacks.onStart } : {}),
          ...(r.callbacks.onStop ? { on_stop: r.callbacks.onStop } : {}),
          ...(r.callbacks.onRoleChange ? { on_role_change: r.callbacks.onRoleChange } : {}),
        },
      } : {}),
    },
    tags: {
      nofailover: r.tags.noFailover,
      noloadbalance: r.tags.noLoadBalance,
      clonefrom: r.tags.cloneFrom,
      nosync: r.tags.noSync,
    },
  };
  // YAML 1.1 so that strings PyYAML would read as booleans (`on`, `off`) are quoted; no anchors.
  const doc = new Document(config, { version: '1.1', aliasDuplicateObjects: false });
  doc.commentBefore = ` Patroni configuration of ${r.clusterName}/${r.memberName}, rendered by @nines/constructs.\n`
    + ` Passwords come from ${Object.values(PATRONI_PASSWORD_ENV).join(', ')}.`;
  return doc.toString({ lineWidth: 0 });
}
