import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as fc from 'fast-check';
import { ValidationError } from '../../lib/core/errors';
import {
  COMMANDS_SENTINEL_AND_REPLICATION_NEED, MIN_PASSWORD_LENGTH, REDIS_SENTINEL_DEFAULTS, RedisConfInput, RedisPassword, RedisRole, SentinelConfInput,
  renderRedisAuthScript, renderRedisConf, renderRedisPreStopScript, renderRedisStartScript, renderSentinelAuthScript, renderSentinelConf,
  renderSentinelStartScript, validateRedisConfInput, validateRedisSentinelInput, validateSentinelConfInput,
} from '../../lib/render/redis';
import { validationErrorOf as errorOf } from '../util/errors';

const password = RedisPassword.fromSecretFile({ secretFile: '/run/secrets/redis/password', includeFile: '/run/redis-auth/auth.conf' });
const replica: RedisConfInput = {
  role: RedisRole.replicaOf('redis-0.redis.cache.svc.cluster.local', 6379),
  announceHostname: 'redis-1.redis.cache.svc.cluster.local',
  password,
};
const master: RedisConfInput = { ...replica, role: RedisRole.master(), announceHostname: 'redis-0.redis.cache.svc.cluster.local' };
const sentinel: SentinelConfInput = {
  masterHost: 'redis-0.redis.cache.svc.cluster.local',
  announceHostname: 'sentinel-0.sentinel.cache.svc.cluster.local',
  password,
};

/** The directive lines of a config: comments and blank lines dropped, `[name, ...args]` each. */
function lines(conf: string): string[][] {
  return conf.split('\n').filter(l => l.trim() !== '' && !l.startsWith('#')).map(l => l.split(' '));
}

/** Arguments of every line starting with `words` (e.g. `['sentinel', 'monitor']`). */
function all(conf: string, ...words: string[]): string[][] {
  return lines(conf).filter(l => words.every((w, i) => l[i] === w)).map(l => l.slice(words.length));
}

/** Arguments of the one line starting with `words`; fails when there is not exactly one. */
function one(conf: string, ...words: string[]): string {
  const found = all(conf, ...words);
  if (found.length !== 1) throw new Error(`expected one "${words.join(' ')}" line, found ${found.length}:\n${conf}`);
  return found[0].join(' ');
}


describe('renderRedisConf', () => {
  test('defaults: the hardened, highly available choices', () => {
    const conf = renderRedisConf(replica);
    expect(one(conf, 'bind')).toBe('* -::*');
    expect(one(conf, 'port')).toBe('6379');
    expect(one(conf, 'protected-mode')).toBe('yes');
    expect(one(conf, 'tcp-keepalive')).toBe('60');
    expect(one(conf, 'daemonize')).toBe('no');
    expect(one(conf, 'dir')).toBe('/data');
    expect(one(conf, 'appendonly')).toBe('yes');
    expect(one(conf, 'appendfsync')).toBe('everysec');
    expect(one(conf, 'save')).toBe('3600 1 300 100 60 10000');
    expect(one(conf, 'maxmemory')).toBe(String(1536 * 1024 * 1024));
    expect(one(conf, 'maxmemory-policy')).toBe('allkeys-lru');
    expect(one(conf, 'replicaof')).toBe('redis-0.redis.cache.svc.cluster.local 6379');
    expect(one(conf, 'replica-announce-ip')).toBe('redis-1.redis.cache.svc.cluster.local');
    expect(one(conf, 'replica-priority')).toBe('100');
    expect(one(conf, 'replica-read-only')).toBe('yes');
    expect(one(conf, 'repl-diskless-sync')).toBe('yes');
    expect(one(conf, 'min-replicas-to-write')).toBe('1');
    expect(one(conf, 'min-replicas-max-lag')).toBe('10');
    expect(one(conf, 'enable-debug-command')).toBe('no');
    expect(one(conf, 'enable-module-command')).toBe('no');
    expect(one(conf, 'enable-protected-configs')).toBe('no');
    expect(all(conf, 'rename-command')).toEqual([['FLUSHALL', '""'], ['FLUSHDB', '""'], ['DEBUG', '""']]);
  });

  test('the master has no replicaof line; everything else is the same', () => {
    const conf = renderRedisConf(master);
    expect(all(conf, 'replicaof')).toEqual([]);
    expect(one(conf, 'replica-announce-ip')).toBe('redis-0.redis.cache.svc.cluster.local');
    expect(one(conf, 'min-replicas-to-write')).toBe('1');
  });

  test('the password is never rendered: the include of the start-written file is the last line', () => {
    const conf = renderRedisConf(replica);
    const directives = lines(conf);
    expect(directives[directives.length - 1]).toEqual(['include', '/run/redis-auth/auth.conf']);
    for (const secretDirective of ['requirepass', 'masterauth', 'user', 'aclfile']) expect(all(conf, secretDirective)).toEqual([]);
    expect(conf).not.toContain('/run/secrets/redis/password');
  });

  test('every option reaches its directive', () => {
    const conf = renderRedisConf({
      ...replica,
      bind: ['10.0.0.5'],
      port: 7000,
      dir: '/var/lib/redis',
      appendOnly: false,
      appendFsync: 'always',
      savePoints: [],
      maxmemoryBytes: 0,
      maxmemoryPolicy: 'noeviction',
      protectedMode: false,
      tcpKeepaliveSeconds: 0,
      replDisklessSync: false,
      replicaPriority: 0,
      disabledCommands: ['keys'],
      minReplicasToWrite: 0,
      minReplicasMaxLagSeconds: 3,
    });
    expect(one(conf, 'bind')).toBe('10.0.0.5');
    expect(one(conf, 'port')).toBe('7000');
    expect(one(conf, 'dir')).toBe('/var/lib/redis');
    expect(one(conf, 'appendonly')).toBe('no');
    expect(one(conf, 'appendfsync')).toBe('always');
    expect(one(conf, 'save')).toBe('""');
    expect(one(conf, 'maxmemory')).toBe('0');
    expect(one(conf, 'maxmemory-policy')).toBe('noeviction');
    expect(one(conf, 'protected-mode')).toBe('no');
    expect(one(conf, 'tcp-keepalive')).toBe('0');
    expect(one(conf, 'repl-diskless-sync')).toBe('no');
    expect(one(conf, 'replica-priority')).toBe('0');
    expect(all(conf, 'rename-command')).toEqual([['KEYS', '""']]);
    expect(one(conf, 'min-replicas-to-write')).toBe('0');
    expect(one(conf, 'min-replicas-max-lag')).toBe('3');
  });

  test('refuses to disable a command Sentinel or replication sends, and a command listed twice', () => {
    const error = errorOf(() => renderRedisConf({ ...replica, disabledCommands: ['FLUSHALL', 'config', 'flushall', 'REPLICAOF', 'FLUSH-ALL'] }));
    expect(error.message).toBe([
      "redis.conf 'redis-1.redis.cache.svc.cluster.local': 4 problems:",
      ' - disabledCommands[1] ("config") must not be disabled: Sentinel or replication sends it (failover and replica sync would break); '
        + 'remove CONFIG from disabledCommands; restrict it with the password and a NetworkPolicy instead',
      ' - disabledCommands[2] ("flushall") is listed twice: disabling an already disabled command stops Redis at start; list FLUSHALL once',
      ' - disabledCommands[3] ("REPLICAOF") must not be disabled: Sentinel or replication sends it (failover and replica sync would break); '
        + 'remove REPLICAOF from disabledCommands; restrict it with the password and a NetworkPolicy instead',
      ' - disabledCommands[4] ("FLUSH-ALL") must be a command name (letters only); use e.g. "FLUSHALL"',
    ].join('\n'));
    for (const command of COMMANDS_SENTINEL_AND_REPLICATION_NEED) {
      expect(validateRedisConfInput({ ...replica, disabledCommands: [command] }).map(p => p.prop)).toEqual(['disabledCommands[0]']);
    }
  });

  test('lists every problem with the instance at once, with the exact text', () => {
    const error = errorOf(() => renderRedisConf({
      ...replica,
      role: RedisRole.replicaOf('redis-0.redis.cache.svc.cluster.local', 70000),
      port: 70000,
      dir: 'data',
      bind: [],
      appendFsync: 'sometimes' as never,
      savePoints: [{ seconds: 0, changes: 1 }],
      maxmemoryBytes: -1,
      maxmemoryPolicy: 'lru' as never,
    }));
    expect(error.constructType).toBe('redis.conf');
    expect(error.path).toBe('redis-1.redis.cache.svc.cluster.local');
    expect(error.message).toBe([
      "redis.conf 'redis-1.redis.cache.svc.cluster.local': 8 problems:",
      ' - bind ([]) must list at least one address; use ["*", "-::*"] to listen on every address',
      ' - port (70000) must be an integer from 1 to 65535; use a free TCP port',
      ' - dir ("data") must be an absolute path of letters, digits, ".", "_", "-" and "/" (it is written unquoted into the config and a shell script); use a path such as "/data"',
      ' - role.masterPort (70000) must be an integer from 1 to 65535; use a free TCP port',
      ' - appendFsync ("sometimes") must be one of always, everysec, no; use "everysec" (at most one second of writes lost on a host crash)',
      ' - savePoints[0].seconds (0) must be an integer >= 1; use e.g. { seconds: 300, changes: 100 }, or an empty list to turn snapshots off',
      ' - maxmemoryBytes (-1) must be an integer >= 0; use about 75% of the container memory limit, e.g. 1610612736 for 2 GiB',
      ' - maxmemoryPolicy ("lru") must be one of noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random, '
        + 'volatile-ttl; use "allkeys-lru" for a cache, "noeviction" for data that must not be evicted',
    ].join('\n'));
  });

  test('a replica of itself is refused', () => {
    const self = { ...replica, role: RedisRole.replicaOf('redis-1.redis.cache.svc.cluster.local', 6379) };
    expect(validateRedisConfInput(self)).toEqual([{
      prop: 'role', value: self.role, why: 'must not make the instance a replica of itself', fix: "use the master's announced hostname and port",
    }]);
    expect(String(self.role)).toBe('replica of redis-1.redis.cache.svc.cluster.local:6379');
  });
});

describe('renderSentinelConf', () => {
  test("defaults: the case study's Sentinel settings (quorum 2 of 3, 5000 ms down-after, 10000 ms failover timeout)", () => {
    const conf = renderSentinelConf(sentinel);
    expect(one(conf, 'bind')).toBe('* -::*');
    expect(one(conf, 'port')).toBe('26379');
    expect(one(conf, 'dir')).toBe('/tmp');
    expect(one(conf, 'sentinel', 'monitor')).toBe('mymaster redis-0.redis.cache.svc.cluster.local 6379 2');
    expect(one(conf, 'sentinel', 'down-after-milliseconds')).toBe('mymaster 5000');
    expect(one(conf, 'sentinel', 'failover-timeout')).toBe('mymaster 10000');
    expect(one(conf, 'sentinel', 'parallel-syncs')).toBe('mymaster 1');
    expect(one(conf, 'sentinel', 'resolve-hostnames')).toBe('yes');
    expect(one(conf, 'sentinel', 'announce-hostnames')).toBe('yes');
    expect(one(conf, 'sentinel', 'announce-ip')).toBe('sentinel-0.sentinel.cache.svc.cluster.local');
    expect(one(conf, 'sentinel', 'announce-port')).toBe('26379');
    expect(one(conf, 'sentinel', 'deny-scripts-reconfig')).toBe('yes');
    expect(all(conf, 'sentinel', 'myid')).toEqual([]);
    // the exported defaults a construct resolves its fields from are the rendered ones
    expect(REDIS_SENTINEL_DEFAULTS).toMatchObject({
      replicas: 2,
      sentinels: 3,
      masterName: 'mymaster',
      downAfterMilliseconds: 5000,
      failoverTimeoutMilliseconds: 10000,
      parallelSyncs: 1,
      minReplicasToWrite: 1,
      minReplicasMaxLagSeconds: 10,
      sentinelPort: 26379,
      redisPort: 6379,
    });
  });

  test('hostnames are resolved before the monitor line needs them; the password include comes last', () => {
    const directives = lines(renderSentinelConf(sentinel)).map(l => l.slice(0, 2).join(' '));
    expect(directives.indexOf('sentinel resolve-hostnames')).toBeLessThan(directives.indexOf('sentinel monitor'));
    expect(directives[directives.length - 1]).toBe('include /run/redis-auth/auth.conf');
    const conf = renderSentinelConf(sentinel);
    expect(all(conf, 'requirepass')).toEqual([]);
    expect(all(conf, 'sentinel', 'auth-pass')).toEqual([]);
  });

  test('every option reaches its directive', () => {
    const myId = 'a'.repeat(40);
    const conf = renderSentinelConf({
      ...sentinel,
      masterName: 'cache',
      masterPort: 6380,
      port: 26380,
      announcePort: 30000,
      bind: ['0.0.0.0'],
      dir: '/sentinel',
      myId,
      sentinels: 5,
      quorum: 4,
      replicas: 3,
      downAfterMilliseconds: 3000,
      failoverTimeoutMilliseconds: 9000,
      parallelSyncs: 2,
    });
    expect(one(conf, 'sentinel', 'monitor')).toBe('cache redis-0.redis.cache.svc.cluster.local 6380 4');
    expect(one(conf, 'sentinel', 'down-after-milliseconds')).toBe('cache 3000');
    expect(one(conf, 'sentinel', 'failover-timeout')).toBe('cache 9000');
    expect(one(conf, 'sentinel', 'parallel-syncs')).toBe('cache 2');
    expect(one(conf, 'sentinel', 'announce-port')).toBe('30000');
    expect(one(conf, 'sentinel', 'myid')).toBe(myId);
    expect(one(conf, 'port')).toBe('26380');
    expect(one(conf, 'bind')).toBe('0.0.0.0');
    expect(one(conf, 'dir')).toBe('/sentinel');
  });

  test('the default quorum is a majority: 3 of 5, 4 of 7', () => {
    expect(one(renderSentinelConf({ ...sentinel, sentinels: 5 }), 'sentinel', 'monitor')).toMatch(/ 3$/);
    expect(one(renderSentinelConf({ ...sentinel, sentinels: 7 }), 'sentinel', 'monitor')).toMatch(/ 4$/);
  });

  test('lists every topology and timing problem at once, with the exact text', () => {
    const error = errorOf(() => renderSentinelConf({
      ...sentinel,
      sentinels: 2,
      quorum: 1,
      replicas: 0,
      downAfterMilliseconds: 0,
      failoverTimeoutMilliseconds: 5000,
      parallelSyncs: 0,
      minReplicasMaxLagSeconds: 0,
      masterName: 'my master',
      myId: 'abc',
      masterHost: '',
    }));
    expect(error.constructType).toBe('sentinel.conf');
    expect(error.problems.map(p => p.prop)).toEqual([
      'replicas', 'sentinels', 'quorum', 'masterName', 'downAfterMilliseconds', 'parallelSyncs', 'minReplicasMaxLagSeconds', 'masterHost', 'myId',
    ]);
    expect(error.message).toBe([
      "sentinel.conf 'sentinel-0.sentinel.cache.svc.cluster.local': 9 problems:",
      ' - replicas (0) must be an integer >= 1: without a replica Sentinel has nothing to promote; use 2 replicas (1 master + 2 replicas, as in the case study)',
      ' - sentinels (2) must be an integer >= 3: fewer Sentinels cannot keep a majority when one fails; run 3 Sentinels (5 to survive two failures)',
      ' - quorum (1) must be an integer >= 2, a majority of the 2 sentinels: a minority must not be able to declare the master down; set quorum to 2',
      ' - masterName ("my master") must be letters, digits, ".", "_" or "-"; use a name such as "mymaster"',
      " - downAfterMilliseconds (0) must be an integer > 0; use 5000 (the case study's setting)",
      ' - parallelSyncs (0) must be an integer >= 1; use 1 so the other replicas keep serving reads while one resyncs',
      ' - minReplicasMaxLagSeconds (0) must be an integer >= 1; use 10',
      ' - masterHost ("") must be a hostname or an IP address (letters, digits, ".", ":" and "-"); use the pod DNS name, e.g. "redis-0.redis.cache.svc.cluster.local"',
      ' - myId ("abc") must be 40 lowercase hex digits; derive one per Sentinel, e.g. the SHA-1 of its pod name, or leave it unset',
    ].join('\n'));
  });

  test('failover timeout, quorum above the Sentinels and minReplicasToWrite that would block writes after a failover', () => {
    expect(validateRedisSentinelInput({ password, downAfterMilliseconds: 5000, failoverTimeoutMilliseconds: 5000, sentinels: 3, quorum: 4 }))
      .toEqual([
        {
          prop: 'quorum',
          value: 4,
          why: 'must be <= sentinels (3): a larger quorum is never reached, so no failover would ever start',
          fix: 'set quorum to 2, a majority',
        },
        {
          prop: 'failoverTimeoutMilliseconds',
          value: 5000,
          why: 'must be > downAfterMilliseconds (5000): a failover cannot finish before the master is even declared down',
          fix: 'use 10000 (twice downAfterMilliseconds)',
        },
      ]);
    expect(validateRedisSentinelInput({ password, replicas: 1 })).toEqual([{
      prop: 'minReplicasToWrite',
      value: 1,
      why: 'must be <= replicas - 1 (0): after a failover the promoted master has only 0 replica(s) and would refuse every write',
      fix: 'raise replicas to 2, or set minReplicasToWrite to 0 (no bound on writes lost to a partitioned master)',
    }]);
    expect(validateRedisSentinelInput({ password, replicas: 1, minReplicasToWrite: 0 })).toEqual([]);
    expect(validateRedisSentinelInput({ password: 'hunter2' as never }).map(p => p.prop)).toEqual(['password']);
    expect(validateRedisSentinelInput({ password })).toEqual([]);
    expect(validateSentinelConfInput(sentinel)).toEqual([]);
  });
});

describe('start scripts: the password goes from the Secret file to the include file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-auth-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Writes `secret` as the Secret file, runs the rendered script with /bin/sh, returns what it wrote. */
  function run(render: (p: RedisPassword) => string, secret: string): { include?: string; mode?: number; stderr: string } {
    const secretFile = path.join(dir, 'password');
    const includeFile = path.join(dir, 'auth.conf');
    fs.writeFileSync(secretFile, secret);
    const script = render(RedisPassword.fromSecretFile({ secretFile, includeFile }));
    expect(script).not.toContain(secret.trim());
    try {
      execFileSync('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      return { include: fs.readFileSync(includeFile, 'utf8'), mode: fs.statSync(includeFile).mode % 0o1000, stderr: '' };
    } catch (e) {
      expect(fs.readdirSync(dir)).toEqual(['password']); // nothing written, not even the temporary file
      return { stderr: String((e as { stderr: Buffer }).stderr) };
    }
  }

  const forRedis = (p: RedisPassword): string => renderRedisAuthScript({ ...replica, password: p });
  const forSentinel = (p: RedisPassword): string => renderSentinelAuthScript({ ...sentinel, masterName: 'cache', password: p });

  test('redis: requirepass and masterauth, mode 0600, trailing newline of the Secret dropped', () => {
    expect(run(forRedis, 'Zm9vYmFyYmF6cXV4LmtleQ==\n')).toEqual({
      include: 'requirepass "Zm9vYmFyYmF6cXV4LmtleQ=="\nmasterauth "Zm9vYmFyYmF6cXV4LmtleQ=="\n', mode: 0o600, stderr: '',
    });
  });

  test('sentinel: requirepass and sentinel auth-pass for the master name', () => {
    expect(run(forSentinel, 'a-long_password.with~chars+/=').include)
      .toBe('requirepass "a-long_password.with~chars+/="\nsentinel auth-pass cache "a-long_password.with~chars+/="\n');
  });

  test('refuses characters Sentinel would rewrite unquoted, and short passwords, writing nothing', () => {
    const quoted = run(forRedis, 'has "quotes" and spaces 1234');
    expect(quoted.include).toBeUndefined();
    expect(quoted.stderr).toMatch(/redis-auth: the password in .* may only use A-Za-z0-9\._~\+\/=- \(Sentinel rewrites it unquoted\)/);
    const short = run(forSentinel, 'short');
    expect(short.include).toBeUndefined();
    expect(short.stderr).toMatch(new RegExp(`sentinel-auth: the password in .* must be at least ${MIN_PASSWORD_LENGTH} characters`));
  });

  test('validates its input like the config renderer', () => {
    expect(() => renderRedisAuthScript({ ...replica, password: RedisPassword.fromSecretFile({ secretFile: 'pw', includeFile: '/a b' }) }))
      .toThrow(/2 problems:\n - password.secretFile \("pw"\) must be an absolute path.*\n - password.includeFile \("\/a b"\) must be an absolute path/);
  });
});

describe('find_master: the one Sentinel lookup of the pod scripts', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-find-master-'));
    // A stand-in redis-cli answering `sentinel get-master-addr-by-name` by the Sentinel host asked (-h).
    fs.writeFileSync(path.join(dir, 'redis-cli'), [
      '#!/bin/sh',
      'while [ "$1" != "-h" ]; do shift; done',
      'case "$2" in',
      '  sentinel-down) exit 1 ;;',
      '  sentinel-no-port) echo 10.0.0.9 ;;',
      '  sentinel-stale) printf "10.0.0.1\\n6379\\n" ;;',
      '  sentinel-moved) printf "10.0.0.2\\n6380\\n" ;;',
      'esac',
    ].join('\n') + '\n', { mode: 0o755 });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const input = (sentinelHosts: string[]) => ({ sentinelHosts, secretFile: '/run/secrets/redis/password', configFile: '/data/conf/redis.conf' });
  /** The function as the preStop script renders it, called with `arg` under `set -eu`: `[host] [port]`. */
  function findMaster(hosts: string[], arg: string): string {
    const script = renderRedisPreStopScript(input(hosts));
    const fn = script.slice(script.indexOf('find_master() {'), script.indexOf('\n}\n') + 3);
    return execFileSync('/bin/sh', ['-eu', '-c', `${fn}find_master ${arg}\necho "[$master_host] [$master_port]"`], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: 'utf8',
    }).trim();
  }

  test('the first Sentinel naming host and port, past one that is down and one that gives no port', () => {
    expect(findMaster(['sentinel-down', 'sentinel-no-port', 'sentinel-stale', 'sentinel-moved'], '')).toBe('[10.0.0.1] [6379]');
  });

  test('skips an answer equal to its argument (the preStop\'s own address while the Sentinels still name it)', () => {
    expect(findMaster(['sentinel-stale', 'sentinel-moved'], '"10.0.0.1 6379"')).toBe('[10.0.0.2] [6380]');
  });

  test('both empty when no Sentinel names another master', () => {
    expect(findMaster(['sentinel-down', 'sentinel-no-port', 'sentinel-stale'], '"10.0.0.1 6379"')).toBe('[] []');
  });

  test('the Redis start, preStop and Sentinel start scripts define the same function once', () => {
    const hosts = ['sentinel-0.sentinel.cache.svc.cluster.local', 'sentinel-1.sentinel.cache.svc.cluster.local'];
    const fnOf = (script: string) => script.slice(script.indexOf('find_master() {'), script.indexOf('\n}\n') + 3);
    const scripts = [
      renderRedisStartScript(input(hosts)),
      renderRedisPreStopScript(input(hosts)),
      renderSentinelStartScript({ ...input(hosts), configFile: '/data/conf/sentinel.conf' }, sentinel),
    ];
    for (const script of scripts) expect(script.split('find_master() {')).toHaveLength(2);
    expect(new Set(scripts.map(fnOf)).size).toBe(1);
    expect(fnOf(scripts[0])).toContain(`for s in ${hosts.join(' ')}; do`);
  });
});

describe('property: any topology renders a config honouring every invariant, or throws a ValidationError naming each broken one', () => {
  const topology = fc.record({
    sentinels: fc.integer({ min: -1, max: 9 }),
    quorum: fc.option(fc.integer({ min: -1, max: 11 }), { nil: undefined }),
    replicas: fc.integer({ min: -1, max: 6 }),
    minReplicasToWrite: fc.option(fc.integer({ min: -1, max: 6 }), { nil: undefined }),
  });

  /** The invariants, stated independently of the implementation: the props that break one. */
  function broken(t: { sentinels: number; quorum?: number; replicas: number; minReplicasToWrite?: number }): string[] {
    const props: string[] = [];
    if (t.replicas < 1) props.push('replicas');
    if (t.sentinels < 3) props.push('sentinels');
    if (t.quorum !== undefined && t.sentinels >= 1 && (2 * t.quorum <= t.sentinels || t.quorum > t.sentinels)) props.push('quorum');
    const minToWrite = t.minReplicasToWrite ?? 1;
    if (minToWrite < 0 || (t.replicas >= 1 && minToWrite > t.replicas - 1)) props.push('minReplicasToWrite');
    return props;
  }

  test('sentinel.conf', () => {
    fc.assert(fc.property(topology, t => {
      const expected = broken(t);
      let conf: string;
      try {
        conf = renderSentinelConf({ ...sentinel, ...t });
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        expect((e as ValidationError).problems.map(p => p.prop)).toEqual(expected);
        return;
      }
      expect(expected).toEqual([]);
      const quorum = Number(one(conf, 'sentinel', 'monitor').split(' ')[3]);
      expect(t.sentinels).toBeGreaterThanOrEqual(3);
      expect(2 * quorum).toBeGreaterThan(t.sentinels);
      expect(quorum).toBeLessThanOrEqual(t.sentinels);
    }), { numRuns: 500 });
  });

  test('redis.conf', () => {
    fc.assert(fc.property(topology, t => {
      const expected = broken(t);
      let conf: string;
      try {
        conf = renderRedisConf({ ...replica, ...t });
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        expect((e as ValidationError).problems.map(p => p.prop)).toEqual(expected);
        return;
      }
      expect(expected).toEqual([]);
      const minToWrite = Number(one(conf, 'min-replicas-to-write'));
      expect(t.replicas).toBeGreaterThanOrEqual(1);
      expect(minToWrite).toBeLessThanOrEqual(t.replicas - 1);
      expect(minToWrite).toBe(t.minReplicasToWrite ?? 1);
    }), { numRuns: 500 });
  });

  test('whatever the valid input, the rendered texts never hold a directive that carries a password', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.boolean(), (replicas, asMaster) => {
      const input = { ...(asMaster ? master : replica), replicas, minReplicasToWrite: replicas - 1 };
      const texts = [renderRedisConf(input), renderSentinelConf({ ...sentinel, replicas, minReplicasToWrite: replicas - 1 })];
      for (const text of texts) {
        expect(lines(text).filter(l => ['requirepass', 'masterauth'].includes(l[0]) || l[1] === 'auth-pass')).toEqual([]);
      }
    }), { numRuns: 50 });
  });
});
