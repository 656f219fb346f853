import * as fc from 'fast-check';
import { parse } from 'yaml';
import { ValidationError } from '../../lib/core/errors';
import { EtcdMemberOptions, renderEtcdArgs, resolveEtcdMemberOptions, validateEtcdInput } from '../../lib/render/etcd';
import {
  PATRONI_PASSWORD_ENV, PatroniDcs, PatroniMemberOptions, renderPatroniConfig, resolvePatroniMemberOptions, validatePatroniInput,
} from '../../lib/render/patroni';
import { validationErrorOf as errorOf } from '../util/errors';

/** The case study's cluster: postgres-0..2 in `databases`, etcd-0..2 beside them. */
const member: PatroniMemberOptions = {
  clusterName: 'postgres',
  memberName: 'postgres-0',
  addresses: {
    restApiConnectAddress: 'postgres-0.postgres.databases.svc:8008',
    postgresConnectAddress: 'postgres-0.postgres.databases.svc:5432',
  },
  dcs: PatroniDcs.etcd3({ hosts: ['etcd-0.etcd.databases:2379', 'etcd-1.etcd.databases:2379', 'etcd-2.etcd.databases:2379'] }),
  clientAccess: { memberCidrs: ['10.42.0.0/16'] },
};

const etcdMember: EtcdMemberOptions = {
  memberName: 'etcd-1',
  clusterToken: 'databases-etcd',
  peers: [0, 1, 2].map(i => ({
    name: `etcd-${i}`, peerUrl: `http://etcd-${i}.etcd.databases:2380`, clientUrl: `http://etcd-${i}.etcd.databases:2379`,
  })),
};

/** patroni.yml parsed the way Patroni (PyYAML, YAML 1.1) reads it. */
function rendered(options: PatroniMemberOptions): any {
  return parse(renderPatroniConfig(options), { version: '1.1' });
}


/** Every key anywhere in a parsed document. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]);
  return [];
}

describe('renderPatroniConfig', () => {
  test('identity, REST API and the etcd v3 section', () => {
    const config = rendered(member);
    expect(config.scope).toBe('postgres');
    expect(config.namespace).toBe('/service/');
    expect(config.name).toBe('postgres-0');
    expect(config.restapi).toEqual({ listen: '0.0.0.0:8008', connect_address: 'postgres-0.postgres.databases.svc:8008' });
    expect(config.etcd3).toEqual({
      hosts: ['etcd-0.etcd.databases:2379', 'etcd-1.etcd.databases:2379', 'etcd-2.etcd.databases:2379'],
      protocol: 'http',
    });
    expect(config.etcd).toBeUndefined();
    expect(config.kubernetes).toBeUndefined();
  });

  test('bootstrap.dcs: failover timing, synchronous replication, rewind and slots', () => {
    const dcs = rendered(member).bootstrap.dcs;
    expect(dcs.ttl).toBe(10);
    expect(dcs.loop_wait).toBe(2);
    expect(dcs.retry_timeout).toBe(3);
    expect(dcs.ttl).toBeGreaterThan(dcs.loop_wait + 2 * dcs.retry_timeout);
    expect(dcs.maximum_lag_on_failover).toBe(1048576);
    expect(dcs.primary_start_timeout).toBe(0);
    expect(dcs.synchronous_mode).toBe(true);
    expect(dcs.synchronous_mode_strict).toBe(true);
    expect(dcs.synchronous_node_count).toBe(2);
    expect(dcs.postgresql.use_pg_rewind).toBe(true);
    expect(dcs.postgresql.use_slots).toBe(true);
    expect(dcs.postgresql.recovery_conf).toBeUndefined();
  });

  test('PostgreSQL parameters: typed values, always-on rewind/standby settings, YAML 1.1-safe', () => {
    const text = renderPatroniConfig(member);
    expect(rendered(member).bootstrap.dcs.postgresql.parameters).toEqual({
      max_connections: 100,
      shared_buffers: '256MB',
      wal_level: 'replica',
      wal_log_hints: 'on',
      hot_standby: 'on',
      max_wal_senders: 10,
      max_replication_slots: 10,
      wal_keep_size: '1GB',
      wal_retrieve_retry_interval: '1s',
      synchronous_commit: 'on',
    });
    // PyYAML would read a bare `on` as the boolean true.
    expect(text).toContain('wal_log_hints: "on"');
    expect(text).toContain('synchronous_commit: "on"');
  });

  test('initdb with checksums and UTF8; local postgresql section', () => {
    const config = rendered(member);
    expect(config.bootstrap.initdb).toEqual(['data-checksums', { encoding: 'UTF8' }]);
    // Patroni's schema requires bootstrap.pg_hba; it matches what postgresql.pg_hba keeps in place.
    expect(config.bootstrap.pg_hba).toEqual(config.postgresql.pg_hba);
    expect(renderPatroniConfig(member)).not.toMatch(/[&*]a\d/);
    expect(config.postgresql).toMatchObject({
      listen: '0.0.0.0:5432',
      connect_address: 'postgres-0.postgres.databases.svc:5432',
      data_dir: '/var/lib/postgresql/data/pgdata',
      bin_dir: '/usr/lib/postgresql/15/bin',
      pgpass: '/tmp/pgpass',
      use_unix_socket: true,
      parameters: { unix_socket_directories: '/var/run/postgresql' },
    });
  });

  test('usernames only: no password anywhere; the env vars are named in the header', () => {
    const text = renderPatroniConfig(member);
    const config = rendered(member);
    expect(config.postgresql.authentication).toEqual({
      superuser: { username: 'postgres' },
      replication: { username: 'replicator' },
      rewind: { username: 'rewind_user' },
    });
    expect(keysOf(config).filter(k => /password/i.test(k))).toEqual([]);
    expect(PATRONI_PASSWORD_ENV).toEqual({
      superuser: 'PATRONI_SUPERUSER_PASSWORD', replication: 'PATRONI_REPLICATION_PASSWORD', rewind: 'PATRONI_REWIND_PASSWORD',
    });
    expect(text.split('\n')[1]).toBe('# Passwords come from PATRONI_SUPERUSER_PASSWORD, PATRONI_REPLICATION_PASSWORD, PATRONI_REWIND_PASSWORD.');
  });

  test('pg_hba: superuser on loopback only, replication and rewind from members, clients from their CIDRs', () => {
    expect(rendered({ ...member, clientAccess: { memberCidrs: ['10.42.0.0/16'], clientCidrs: ['10.43.0.0/16', 'fd00::/64'] } }).postgresql.pg_hba)
      .toEqual([
        'local all all scram-sha-256',
        'host all postgres 127.0.0.1/32 scram-sha-256',
        'host all postgres ::1/128 scram-sha-256',
        'host replication replicator 10.42.0.0/16 scram-sha-256',
        'host all rewind_user 10.42.0.0/16 scram-sha-256',
        'host all postgres all reject',
        'host all all 10.43.0.0/16 scram-sha-256',
        'host all all fd00::/64 scram-sha-256',
      ]);
    const md5 = rendered({ ...member, clientAccess: { memberCidrs: ['10.42.0.0/16'], authMethod: 'md5' } }).postgresql.pg_hba;
    expect(md5[md5.length - 1]).toBe('host all all 10.42.0.0/16 md5');
  });

  test('pg_hba: a proxy source in the Pod (the Istio sidecar\'s 127.0.0.6) is admitted for replication, rewind and clients, never the superuser', () => {
    expect(rendered({ ...member, clientAccess: { memberCidrs: ['10.42.0.0/16'], proxySourceCidrs: ['127.0.0.6/32'] } }).postgresql.pg_hba)
      .toEqual([
        'local all all scram-sha-256',
        'host all postgres 127.0.0.1/32 scram-sha-256',
        'host all postgres ::1/128 scram-sha-256',
        'host replication replicator 10.42.0.0/16 scram-sha-256',
        'host replication replicator 127.0.0.6/32 scram-sha-256',
        'host all rewind_user 10.42.0.0/16 scram-sha-256',
        'host all rewind_user 127.0.0.6/32 scram-sha-256',
        'host all postgres all reject',
        'host all all 10.42.0.0/16 scram-sha-256',
        'host all all 127.0.0.6/32 scram-sha-256',
      ]);
    expect(validatePatroniInput({ ...member, clientAccess: { memberCidrs: ['10.42.0.0/16'], proxySourceCidrs: ['127.0.0.6'] } })
      .map(p => [p.prop, p.value, p.why])).toEqual([['clientAccess.proxySourceCidrs[0]', '127.0.0.6', 'is not a CIDR']]);
  });

  test('tags default to false and follow the input', () => {
    expect(rendered(member).tags).toEqual({ nofailover: false, noloadbalance: false, clonefrom: false, nosync: false });
    expect(rendered({ ...member, tags: { noFailover: true, noSync: true } }).tags)
      .toEqual({ nofailover: true, noloadbalance: false, clonefrom: false, nosync: true });
  });

  test('WAL archiving hook, extra parameters and asynchronous mode', () => {
    const config = rendered({
      ...member,
      failover: { synchronousMode: false, synchronousModeStrict: false },
      walArchive: { archiveCommand: 'wal-g wal-push %p', restoreCommand: 'wal-g wal-fetch %f %p' },
      postgresParameters: {
        walLevel: 'logical',
        additional: { 'jit': false, 'log_min_duration_statement': 500, 'pg_stat_statements.track': 'all' },
      },
    });
    const dcs = config.bootstrap.dcs;
    expect(dcs.synchronous_mode).toBe(false);
    expect(dcs.synchronous_mode_strict).toBeUndefined();
    expect(dcs.synchronous_node_count).toBeUndefined();
    expect(dcs.postgresql.parameters).toMatchObject({
      'wal_level': 'logical',
      'archive_mode': 'on',
      'archive_command': 'wal-g wal-push %p',
      'jit': 'off',
      'log_min_duration_statement': 500,
      'pg_stat_statements.track': 'all',
    });
    expect(dcs.postgresql.recovery_conf).toEqual({ restore_command: 'wal-g wal-fetch %f %p' });
  });

  test('kubernetes DCS: labels, endpoints with the PostgreSQL port, role label', () => {
    const config = rendered({ ...member, addresses: { ...member.addresses, postgresListen: '0.0.0.0:6432' }, dcs: PatroniDcs.kubernetes() });
    expect(config.etcd3).toBeUndefined();
    expect(config.kubernetes).toEqual({
      labels: { 'app.kubernetes.io/name': 'patroni', 'app.kubernetes.io/instance': 'postgres' },
      scope_label: 'cluster-name',
      role_label: 'role',
      use_endpoints: true,
      ports: [{ name: 'postgresql', port: 6432 }],
    });
    const configMaps = rendered({ ...member, dcs: PatroniDcs.kubernetes({ useEndpoints: false, labels: { app: 'pg' }, roleLabel: 'spilo-role' }) });
    expect(configMaps.kubernetes).toEqual({ labels: { app: 'pg' }, scope_label: 'cluster-name', role_label: 'spilo-role', use_endpoints: false });
  });

  test('resolvePatroniMemberOptions applies the documented defaults', () => {
    const resolved = resolvePatroniMemberOptions(member);
    expect(resolved.memberCount).toBe(3);
    expect(resolved.failover).toEqual({
      ttlSeconds: 10,
      loopWaitSeconds: 2,
      retryTimeoutSeconds: 3,
      maximumLagOnFailoverBytes: 1048576,
      primaryStartTimeoutSeconds: 0,
      synchronousMode: true,
      synchronousModeStrict: true,
      synchronousStandbys: 2,
      useReplicationSlots: true,
    });
    expect(resolved.clientAccess.clientCidrs).toEqual(['10.42.0.0/16']);
    expect(resolved.userNames).toEqual({ superuser: 'postgres', replication: 'replicator', rewind: 'rewind_user' });
    expect(resolvePatroniMemberOptions({ ...member, memberCount: 5 }).failover.synchronousStandbys).toBe(4);
  });
});

describe('validatePatroniInput', () => {
  test('the defaults are valid', () => {
    expect(validatePatroniInput(member)).toEqual([]);
    expect(validatePatroniInput({ ...member, dcs: PatroniDcs.kubernetes() })).toEqual([]);
  });

  test('lists every problem at once, with prop, value, why and fix', () => {
    const error = errorOf(() => renderPatroniConfig({
      ...member,
      memberCount: 2,
      failover: { ttlSeconds: 10, loopWaitSeconds: 3, retryTimeoutSeconds: 4, synchronousStandbys: 2 },
      postgresParameters: { maxConnections: 5, synchronousCommit: 'local', additional: { synchronous_standby_names: '*' } },
      userNames: { replication: 'postgres' },
    }));
    expect(error.message).toBe([
      "PatroniConfig 'postgres/postgres-0': 7 problems:",
      ' - memberCount (2) must be >= 3 with synchronous replication, or losing the only standby stops writes (strict) or risks acknowledged writes'
      + ' (non-strict); run 3 members',
      ' - failover.ttlSeconds (10) must be greater than loopWaitSeconds + 2 * retryTimeoutSeconds (3 + 2 * 4 = 11), or a healthy leader retrying'
      + ' the DCS and PostgreSQL loses its lock; raise ttlSeconds to 12 or lower loopWaitSeconds/retryTimeoutSeconds',
      ' - failover.synchronousStandbys (2) must be an integer >= 1 and < memberCount (2); set it to 1 (every standby synchronous) or less',
      ' - postgresParameters.maxConnections (5) must be an integer >= 10 (Patroni, replication and monitoring need connections of their own);'
      + ' set it to 100 or more',
      ' - postgresParameters.synchronousCommit ("local") acknowledges commits before any standby has them, which breaks RPO 0 in synchronous mode;'
      + ' use "on" or "remote_apply"',
      ' - postgresParameters.additional.synchronous_standby_names ("*") is set by this renderer; remove it: Patroni manages it'
      + ' (failover.synchronousStandbys)',
      ' - userNames.replication ("postgres") is the superuser, so every replica would hold superuser credentials; give replication its own role,'
      + ' e.g. "replicator"',
    ].join('\n'));
    expect(error.problems.map(p => p.prop)).toEqual([
      'memberCount', 'failover.ttlSeconds', 'failover.synchronousStandbys', 'postgresParameters.maxConnections',
      'postgresParameters.synchronousCommit', 'postgresParameters.additional.synchronous_standby_names', 'userNames.replication',
    ]);
  });

  test('addresses, DCS and access problems', () => {
    const problems = validatePatroniInput({
      ...member,
      clusterName: 'Orders_DB',
      addresses: {
        restApiListen: '0.0.0.0:5432',
        restApiConnectAddress: '0.0.0.0:8008',
        postgresConnectAddress: 'postgres-0',
        dataDir: 'pgdata',
      },
      dcs: PatroniDcs.etcd3({ hosts: ['etcd-0:2379', 'etcd-0:2379', 'etcd-1:99999'] }),
      clientAccess: { memberCidrs: ['10.42.0.0/33'] },
      walArchive: { archiveCommand: 'wal-g wal-push', restoreCommand: 'wal-g wal-fetch %f' },
    });
    expect(problems.map(p => [p.prop, p.value])).toEqual([
      ['clusterName', 'Orders_DB'],
      ['addresses.restApiListen', '0.0.0.0:5432'],
      ['addresses.restApiConnectAddress', '0.0.0.0:8008'],
      ['addresses.postgresConnectAddress', 'postgres-0'],
      ['addresses.dataDir', 'pgdata'],
      ['dcs.hosts[2]', 'etcd-1:99999'],
      ['dcs.hosts', ['etcd-0:2379', 'etcd-0:2379', 'etcd-1:99999']],
      ['clientAccess.memberCidrs[0]', '10.42.0.0/33'],
      ['walArchive.archiveCommand', 'wal-g wal-push'],
      ['walArchive.restoreCommand', 'wal-g wal-fetch %f'],
    ]);
    expect(problems[1].why).toBe('uses the port of addresses.postgresListen (5432)');
  });

  test('kubernetes labels must not include the role label', () => {
    const [problem] = validatePatroniInput({ ...member, dcs: PatroniDcs.kubernetes({ labels: { app: 'pg', role: 'db' } }) });
    expect(problem).toEqual({
      prop: 'dcs.roleLabel',
      value: 'role',
      why: 'is also one of dcs.labels, which Patroni would overwrite on every Pod',
      fix: 'remove "role" from dcs.labels',
    });
  });

  test('WAL senders and slots must cover the members', () => {
    const problems = validatePatroniInput({ ...member, memberCount: 5, postgresParameters: { maxWalSenders: 5, maxReplicationSlots: 3 } });
    expect(problems.map(p => `${p.prop}: ${p.why}`)).toEqual([
      'postgresParameters.maxWalSenders: must be >= memberCount + 1 (6): one per replica plus two for a member re-cloning with pg_basebackup',
      'postgresParameters.maxReplicationSlots: must be >= memberCount - 1 (4) with replication slots',
    ]);
  });

  test('property: any ttl/loop_wait/retry_timeout/members renders a config honouring every invariant, or throws the validation problems', () => {
    fc.assert(fc.property(
      fc.integer({ min: -2, max: 40 }),
      fc.integer({ min: -1, max: 15 }),
      fc.integer({ min: -1, max: 15 }),
      fc.integer({ min: 0, max: 7 }),
      fc.option(fc.integer({ min: -1, max: 7 }), { nil: undefined }),
      fc.boolean(),
      (ttlSeconds, loopWaitSeconds, retryTimeoutSeconds, memberCount, synchronousStandbys, synchronousMode) => {
        const options: PatroniMemberOptions = {
          ...member,
          memberCount,
          failover: {
            ttlSeconds, loopWaitSeconds, retryTimeoutSeconds, synchronousStandbys, synchronousMode, synchronousModeStrict: synchronousMode,
          },
        };
        const standbys = synchronousStandbys ?? memberCount - 1;
        const valid = ttlSeconds > loopWaitSeconds + 2 * retryTimeoutSeconds && loopWaitSeconds >= 1 && retryTimeoutSeconds >= 1
          && (synchronousMode ? memberCount >= 3 && standbys >= 1 && standbys < memberCount : memberCount >= 2);
        let config: any;
        try {
          config = rendered(options);
        } catch (e) {
          expect(e).toBeInstanceOf(ValidationError);
          expect((e as ValidationError).problems).toEqual(validatePatroniInput(options));
          expect((e as ValidationError).problems.length).toBeGreaterThan(0);
          expect(valid).toBe(false);
          return;
        }
        expect(valid).toBe(true);
        const dcs = config.bootstrap.dcs;
        expect(dcs.ttl).toBeGreaterThan(dcs.loop_wait + 2 * dcs.retry_timeout);
        expect(dcs.loop_wait).toBeGreaterThanOrEqual(1);
        expect(dcs.synchronous_mode).toBe(synchronousMode);
        if (synchronousMode) {
          expect(dcs.synchronous_node_count).toBeGreaterThanOrEqual(1);
          expect(dcs.synchronous_node_count).toBeLessThan(memberCount);
        }
      },
    ), { numRuns: 500 });
  });
});

describe('renderEtcdArgs', () => {
  test('one member of the case study\'s 3-member etcd, tuned for fast failure detection, v2 API off', () => {
    expect(renderEtcdArgs(etcdMember)).toEqual([
      '--name=etcd-1',
      '--data-dir=/var/lib/etcd',
      '--listen-client-urls=http://0.0.0.0:2379',
      '--advertise-client-urls=http://etcd-1.etcd.databases:2379',
      '--listen-peer-urls=http://0.0.0.0:2380',
      '--initial-advertise-peer-urls=http://etcd-1.etcd.databases:2380',
      '--initial-cluster=etcd-0=http://etcd-0.etcd.databases:2380,etcd-1=http://etcd-1.etcd.databases:2380,etcd-2=http://etcd-2.etcd.databases:2380',
      '--initial-cluster-state=new',
      '--initial-cluster-token=databases-etcd',
      '--heartbeat-interval=100',
      '--election-timeout=750',
      '--pre-vote=true',
      '--snapshot-count=10000',
      '--auto-compaction-mode=periodic',
      '--auto-compaction-retention=1h',
      '--quota-backend-bytes=2147483648',
      '--enable-v2=false',
      '--logger=zap',
    ]);
  });

  test('explicit listen URLs, joining an existing cluster', () => {
    const args = renderEtcdArgs({
      ...etcdMember, initialClusterState: 'existing', listenClientUrls: ['http://127.0.0.1:2379', 'http://10.0.0.5:2379'], dataDir: '/data/etcd',
    });
    expect(args).toContain('--initial-cluster-state=existing');
    expect(args).toContain('--listen-client-urls=http://127.0.0.1:2379,http://10.0.0.5:2379');
    expect(args).toContain('--data-dir=/data/etcd');
    expect(resolveEtcdMemberOptions(etcdMember).listenPeerUrls).toEqual(['http://0.0.0.0:2380']);
  });

  test('lists every problem at once', () => {
    const error = errorOf(() => renderEtcdArgs({
      ...etcdMember,
      memberName: 'etcd-9',
      peers: etcdMember.peers.slice(0, 2),
      heartbeatIntervalMs: 200,
      electionTimeoutMs: 500,
    }));
    expect(error.message).toBe([
      "EtcdMember 'etcd-9': 3 problems:",
      ' - peers (["etcd-0","etcd-1"]) has 2 members; etcd needs an odd number >= 3 to keep a quorum through one failure (an even number adds no'
      + ' tolerance); run 3 or 5 members',
      ' - memberName ("etcd-9") is not one of peers (etcd-0, etcd-1); add this member to peers or fix its name',
      ' - electionTimeoutMs (500) must be >= 5 * heartbeatIntervalMs (1000); etcd refuses to start otherwise; raise it to 1000 or more',
    ].join('\n'));
  });

  test('URL, path, token and quota problems', () => {
    const problems = validateEtcdInput({
      ...etcdMember,
      peers: [...etcdMember.peers.slice(0, 2), { name: 'etcd-1', peerUrl: 'etcd-2:2380', clientUrl: 'http://etcd-2:2379' }],
      clusterToken: ' ',
      dataDir: 'etcd',
      quotaBackendBytes: 16 * 1024 ** 3,
    });
    expect(problems.map(p => p.prop)).toEqual(['peers', 'peers[2].peerUrl', 'clusterToken', 'dataDir', 'quotaBackendBytes']);
  });

  test('property: members and timings either render valid flags or throw', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 7 }),
      fc.integer({ min: 0, max: 1000 }),
      fc.integer({ min: 0, max: 60000 }),
      (members, heartbeatIntervalMs, electionTimeoutMs) => {
        const options: EtcdMemberOptions = {
          memberName: 'etcd-0',
          clusterToken: 'token',
          peers: Array.from({ length: members }, (_, i) => ({
            name: `etcd-${i}`, peerUrl: `http://etcd-${i}:2380`, clientUrl: `http://etcd-${i}:2379`,
          })),
          heartbeatIntervalMs,
          electionTimeoutMs,
        };
        const valid = members >= 3 && members % 2 === 1 && heartbeatIntervalMs >= 1 && electionTimeoutMs >= 5 * heartbeatIntervalMs
          && electionTimeoutMs <= 50000;
        if (!valid) {
          expect(() => renderEtcdArgs(options)).toThrow(ValidationError);
          return;
        }
        const args = renderEtcdArgs(options);
        expect(args).toContain(`--heartbeat-interval=${heartbeatIntervalMs}`);
        expect(args).toContain(`--election-timeout=${electionTimeoutMs}`);
        expect(args.find(a => a.startsWith('--initial-cluster='))!.split(',')).toHaveLength(members);
        expect(args).toContain('--enable-v2=false');
      },
    ), { numRuns: 300 });
  });
});
