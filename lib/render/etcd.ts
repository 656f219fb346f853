/**
 * etcd's command line (the DCS of the case study's Patroni setup), rendered by a pure function
 * from typed inputs: `EtcdCluster` puts {@link renderEtcdStatefulSetArgs}' output into the etcd
 * container's args, and the system test runs real etcd 3.4 with {@link renderEtcdArgs}' output.
 *
 * @see https://etcd.io/docs/v3.4/op-guide/configuration/
 */
import { Problem, Problems } from '../core/errors';
import { isDnsLabel } from '../core/labels';
import { isAbsolutePath, isInt } from './private/checks';

/** One member of the etcd cluster, as every member lists it in `--initial-cluster`. */
export interface EtcdPeer {
  /** `--name` of that member. */
  readonly name: string;
  /** Its peer URL (`--initial-advertise-peer-urls`), e.g. `http://etcd-0.etcd:2380`. */
  readonly peerUrl: string;
  /** Its client URL (`--advertise-client-urls`), e.g. `http://etcd-0.etcd:2379`. */
  readonly clientUrl: string;
}

/**
 * Everything one etcd member's command line is rendered from (etcd 3.4/3.5).
 * @see https://etcd.io/docs/v3.4/op-guide/configuration/
 */
export interface EtcdMemberOptions {
  /** This member's name; must be one of {@link peers}. */
  readonly memberName: string;
  /** Every member of the cluster, this one included (an odd number, at least 3). */
  readonly peers: readonly EtcdPeer[];
  /**
   * `--initial-cluster-token`: unique per cluster, so members of two clusters never join each other.
   */
  readonly clusterToken: string;
  /**
   * `--initial-cluster-state`: `new` when the cluster is created, `existing` when this member is
   * added to (or replaced in) a running cluster.
   * @default 'new'
   */
  readonly initialClusterState?: 'new' | 'existing';
  /**
   * `--data-dir`.
   * @default '/var/lib/etcd'
   */
  readonly dataDir?: string;
  /**
   * `--listen-client-urls`.
   * @default - all interfaces on the port of this member's clientUrl
   */
  readonly listenClientUrls?: readonly string[];
  /**
   * `--listen-peer-urls`.
   * @default - all interfaces on the port of this member's peerUrl
   */
  readonly listenPeerUrls?: readonly string[];
  /**
   * `--heartbeat-interval` in milliseconds: far above a cross-zone round trip (~1 ms).
   * @default 100
   */
  readonly heartbeatIntervalMs?: number;
  /**
   * `--election-timeout` in milliseconds: a dead etcd leader is replaced within ~0.75-1.5 s, well
   * inside Patroni's retry_timeout (3 s), so an etcd leader loss never demotes PostgreSQL; 7.5
   * heartbeats leave room for disk fsync stalls (etcd requires at least 5).
   * @default 750
   */
  readonly electionTimeoutMs?: number;
  /**
   * `--snapshot-count`: Raft entries between snapshots (lower than etcd 3.4's 100000: less memory,
   * faster catch-up of a restarted member; Patroni writes about one entry per second).
   * @default 10000
   */
  readonly snapshotCount?: number;
  /**
   * `--auto-compaction-retention` in hours, with `--auto-compaction-mode=periodic`.
   * @default 1
   */
  readonly autoCompactionRetentionHours?: number;
  /**
   * `--quota-backend-bytes`: the database size at which etcd raises a NOSPACE alarm and refuses writes.
   * @default 2147483648
   */
  readonly quotaBackendBytes?: number;
}

const ETCD_URL = /^(https?):\/\/(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const ETCD_MAX_QUOTA_BYTES = 8 * 1024 ** 3;

function parseEtcdUrl(url: string): { scheme: string; port: number } | undefined {
  const m = ETCD_URL.exec(url);
  const port = m ? Number(m[3]) : 0;
  return m && port >= 1 && port <= 65535 ? { scheme: m[1], port } : undefined;
}

/** {@link EtcdMemberOptions} with every default applied. */
export interface ResolvedEtcdMemberOptions extends Required<EtcdMemberOptions> {
  /** This member's entry in {@link EtcdMemberOptions.peers} (undefined when the name is not listed). */
  readonly self: EtcdPeer | undefined;
}

/** Applies every documented default (the single place they are resolved). */
export function resolveEtcdMemberOptions(options: EtcdMemberOptions): ResolvedEtcdMemberOptions {
  const self = options.peers.find(peer => peer.name === options.memberName);
  const allInterfaces = (url: string | undefined) => {
    const parsed = url === undefined ? undefined : parseEtcdUrl(url);
    return parsed === undefined ? [] : [`${parsed.scheme}://0.0.0.0:${parsed.port}`];
  };
  return {
    memberName: options.memberName,
    peers: options.peers,
    clusterToken: options.clusterToken,
    initialClusterState: options.initialClusterState ?? 'new',
    dataDir: options.dataDir ?? '/var/lib/etcd',
    listenClientUrls: options.listenClientUrls ?? allInterfaces(self?.clientUrl),
    listenPeerUrls: options.listenPeerUrls ?? allInterfaces(self?.peerUrl),
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 100,
    electionTimeoutMs: options.electionTimeoutMs ?? 750,
    snapshotCount: options.snapshotCount ?? 10000,
    autoCompactionRetentionHours: options.autoCompactionRetentionHours ?? 1,
    quotaBackendBytes: options.quotaBackendBytes ?? 2147483648,
    self,
  };
}

/** Every problem with `options`; empty when {@link renderEtcdArgs} will render. */
export function validateEtcdInput(options: EtcdMemberOptions): Problem[] {
  return [...etcdProblems(options).all];
}

function etcdProblems(options: EtcdMemberOptions): Problems {
  const r = resolveEtcdMemberOptions(options);
  const problems = new Problems('EtcdMember', r.memberName);
  const names = r.peers.map(peer => peer.name);
  problems.when(names.length < 3 || names.length % 2 === 0, 'peers', names,
    `has ${names.length} members; etcd needs an odd number >= 3 to keep a quorum through one failure (an even number adds no tolerance)`,
    'run 3 or 5 members');
  problems.when(r.self === undefined, 'memberName', r.memberName, `is not one of peers (${names.join(', ')})`, 'add this member to peers or fix its name');
  problems.when(!isDnsLabel(r.memberName), 'memberName', r.memberName, 'is not a DNS label', 'use lower-case letters, digits and "-"');
  const duplicateNames = names.filter((name, i) => names.indexOf(name) !== i);
  problems.when(duplicateNames.length > 0, 'peers', names, `lists ${duplicateNames.join(', ')} more than once`, 'give every member a unique name');
  r.peers.forEach((peer, i) => {
    for (const key of ['peerUrl', 'clientUrl'] as const) {
      problems.when(parseEtcdUrl(peer[key]) === undefined, `peers[${i}].${key}`, peer[key], 'is not http(s)://host:port',
        'give e.g. "http://etcd-0.etcd:2380"');
    }
  });
  problems.when(r.clusterToken.trim() === '', 'clusterToken', r.clusterToken, 'is empty', 'give a token unique to this cluster, e.g. "<namespace>-etcd"');
  problems.when(!isAbsolutePath(r.dataDir), 'dataDir', r.dataDir, 'is not an absolute path without spaces', 'give e.g. "/var/lib/etcd"');
  // Defaulted listen URLs come from this member's peer entry, whose problems are reported above.
  for (const key of ['listenClientUrls', 'listenPeerUrls'] as const) {
    problems.when(options[key] !== undefined && r[key].length === 0, key, r[key], 'is empty', 'give e.g. "http://0.0.0.0:2379"');
    r[key].forEach((url, i) => problems.when(parseEtcdUrl(url) === undefined, `${key}[${i}]`, url, 'is not http(s)://host:port',
      'give e.g. "http://0.0.0.0:2379"'));
  }
  const heartbeat = r.heartbeatIntervalMs;
  const election = r.electionTimeoutMs;
  problems.when(!isInt(heartbeat) || heartbeat < 1, 'heartbeatIntervalMs', heartbeat, 'must be an integer >= 1', 'use 100');
  problems.when(!isInt(election) || election > 50000, 'electionTimeoutMs', election, 'must be an integer <= 50000 (etcd refuses more)', 'use 750');
  problems.when(isInt(heartbeat) && isInt(election) && election < 5 * heartbeat, 'electionTimeoutMs', election,
    `must be >= 5 * heartbeatIntervalMs (${5 * heartbeat}); etcd refuses to start otherwise`, `raise it to ${5 * heartbeat} or more`);
  problems.when(!isInt(r.snapshotCount) || r.snapshotCount < 1, 'snapshotCount', r.snapshotCount, 'must be an integer >= 1', 'use 10000');
  problems.when(!isInt(r.autoCompactionRetentionHours) || r.autoCompactionRetentionHours < 1, 'autoCompactionRetentionHours',
    r.autoCompactionRetentionHours, 'must be an integer >= 1', 'use 1');
  problems.when(!isInt(r.quotaBackendBytes) || r.quotaBackendBytes < 1 || r.quotaBackendBytes > ETCD_MAX_QUOTA_BYTES, 'quotaBackendBytes',
    r.quotaBackendBytes, `must be an integer in 1-${ETCD_MAX_QUOTA_BYTES} (etcd's suggested maximum, 8 GiB)`, 'use 2147483648 (2 GiB)');
  return problems;
}

/**
 * One etcd member's command-line flags (everything after the `etcd` binary). Throws a
 * {@link ValidationError} listing every problem ({@link validateEtcdInput}) before rendering.
 */
export function renderEtcdArgs(options: EtcdMemberOptions): string[] {
  etcdProblems(options).throwIfAny();
  const r = resolveEtcdMemberOptions(options);
  return [
    `--name=${r.memberName}`,
    `--data-dir=${r.dataDir}`,
    `--listen-client-urls=${r.listenClientUrls.join(',')}`,
    `--advertise-client-urls=${r.self!.clientUrl}`,
    `--listen-peer-urls=${r.listenPeerUrls.join(',')}`,
    `--initial-advertise-peer-urls=${r.self!.peerUrl}`,
    `--initial-cluster=${r.peers.map(peer => `${peer.name}=${peer.peerUrl}`).join(',')}`,
    `--initial-cluster-state=${r.initialClusterState}`,
    `--initial-cluster-token=${r.clusterToken}`,
    `--heartbeat-interval=${r.heartbeatIntervalMs}`,
    `--election-timeout=${r.electionTimeoutMs}`,
    // A member coming back from a partition must win a pre-vote before disrupting the leader.
    '--pre-vote=true',
    `--snapshot-count=${r.snapshotCount}`,
    '--auto-compaction-mode=periodic',
    `--auto-compaction-retention=${r.autoCompactionRetentionHours}h`,
    `--quota-backend-bytes=${r.quotaBackendBytes}`,
    // Patroni talks to etcd through the v3 API only (its etcd3: section).
    '--enable-v2=false',
    '--logger=zap',
  ];
}

/** How the members of a StatefulSet address themselves (see {@link renderEtcdStatefulSetArgs}). */
export interface EtcdStatefulSetAddressing {
  /** This member's host with the Pod name as a variable, e.g. `$(POD_NAME).etcd-peers.orders.svc.cluster.local`. */
  readonly podHost: string;
  /** The variable `podHost` holds the Pod name in, e.g. `$(POD_NAME)` (Kubernetes expands it from the env). */
  readonly podName: string;
  readonly clientPort: number;
  readonly peerPort: number;
}

/**
 * The flags every member of a StatefulSet runs with: {@link renderEtcdArgs} for member 0, with
 * this member's `--name` and advertised URLs taken from its Pod name, so one Pod template serves
 * every ordinal.
 * @see https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/
 */
export function renderEtcdStatefulSetArgs(options: EtcdMemberOptions, addressing: EtcdStatefulSetAddressing): string[] {
  const self = resolveEtcdMemberOptions(options).self;
  return renderEtcdArgs(options).map(arg => arg
    .replace(`--name=${self!.name}`, `--name=${addressing.podName}`)
    .replace(`--advertise-client-urls=${self!.clientUrl}`, `--advertise-client-urls=http://${addressing.podHost}:${addressing.clientPort}`)
    .replace(`--initial-advertise-peer-urls=${self!.peerUrl}`, `--initial-advertise-peer-urls=http://${addressing.podHost}:${addressing.peerPort}`));
}
