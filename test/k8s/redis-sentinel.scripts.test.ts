/**
 * The RedisSentinel pod scripts (start, preStop, Sentinel start) run against real redis-server
 * and redis-sentinel on loopback addresses, as the unprivileged user: a preStop on the master
 * hands the role over, a restarted former master rejoins as a replica although its rendered
 * config says master, and a Sentinel whose volume was lost monitors the current master.
 * Skipped where Redis is not installed (scripts/install-system-deps.sh installs it).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  RedisPassword, RedisRole, renderRedisAuthScript, renderRedisConf, renderRedisPreStopScript, renderRedisStartScript,
  renderSentinelAuthScript, renderSentinelConf, renderSentinelStartScript, RedisPodScriptsInput, SentinelConfInput,
} from '../../lib/render/redis';
import { Daemon, daemonUser, freePorts, runAsDaemonUser, waitFor } from '../system/redis/processes';

const INSTALLED = fs.existsSync('/usr/bin/redis-server') && process.getuid?.() === 0;
const PASSWORD = 'Scripts-Test-Password-0123456789';
const SENTINEL_HOSTS = ['127.0.2.1', '127.0.2.2', '127.0.2.3'];

function cli(host: string, port: number, ...args: string[]): string[] {
  return execFileSync('redis-cli', ['--raw', '-h', host, '-p', String(port), ...args], {
    env: { ...process.env, REDISCLI_AUTH: PASSWORD }, encoding: 'utf8', timeout: 5_000,
  }).trim().split('\n');
}

/** `SENTINEL MASTER` as a map. */
function sentinelMaster(host: string, port: number): Record<string, string> {
  const flat = cli(host, port, 'sentinel', 'master', 'mymaster');
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

(INSTALLED ? describe : describe.skip)('RedisSentinel pod scripts against real Redis', () => {
  const daemons: Daemon[] = [];
  let root: string;
  let redisPorts: number[];
  let sentinelPort: number;
  const { uid, gid } = INSTALLED ? daemonUser() : { uid: 0, gid: 0 };

  const dirOf = (name: string) => path.join(root, name);
  const write = (file: string, text: string, mode = 0o600) => {
    fs.writeFileSync(file, text, { mode });
    fs.chownSync(file, uid, gid);
  };
  const scripts = (name: string): RedisPodScriptsInput => ({
    sentinelHosts: SENTINEL_HOSTS,
    sentinelPort,
    secretFile: path.join(root, 'password'),
    configFile: path.join(dirOf(name), name.startsWith('redis') ? 'redis.conf' : 'sentinel.conf'),
    handoverSeconds: 20,
  });
  const password = (name: string) => RedisPassword.fromSecretFile({ secretFile: path.join(root, 'password'), includeFile: path.join(dirOf(name), 'auth.conf') });

  function redisConf(i: number): { conf: string; auth: string } {
    const input = {
      role: i === 0 ? RedisRole.master() : RedisRole.replicaOf('127.0.0.1', redisPorts[0]),
      announceHostname: '127.0.0.1',
      bind: ['127.0.0.1'],
      port: redisPorts[i],
      dir: dirOf(`redis-${i}`),
      password: password(`redis-${i}`),
    };
    return { conf: renderRedisConf(input), auth: renderRedisAuthScript(input) };
  }
  function sentinelInput(i: number): SentinelConfInput {
    return {
      masterHost: '127.0.0.1',
      masterPort: redisPorts[0],
      announceHostname: SENTINEL_HOSTS[i],
      bind: [SENTINEL_HOSTS[i]],
      port: sentinelPort,
      dir: dirOf(`sentinel-${i}`),
      password: password(`sentinel-${i}`),
    };
  }

  /** The init container's copy, then the container's start script, as the daemon user. */
  function startRedis(i: number): Daemon {
    const name = `redis-${i}`;
    const { conf, auth } = redisConf(i);
    write(scripts(name).configFile, conf);
    write(path.join(dirOf(name), 'auth.sh'), auth, 0o700);
    runAsDaemonUser('/bin/sh', [path.join(dirOf(name), 'auth.sh')]);
    write(path.join(dirOf(name), 'start.sh'), renderRedisStartScript(scripts(name)), 0o700);
    const d = Daemon.start(name, '/bin/sh', [path.join(dirOf(name), 'start.sh')], path.join(dirOf(name), 'log'));
    daemons.push(d);
    return d;
  }
  function startSentinel(i: number, fresh: boolean): Daemon {
    const name = `sentinel-${i}`;
    const conf = scripts(name).configFile;
    if (fresh) {
      write(conf, renderSentinelConf(sentinelInput(i)));
      write(`${conf}.fresh`, '');
    }
    write(path.join(dirOf(name), 'auth.sh'), renderSentinelAuthScript(sentinelInput(i)), 0o700);
    runAsDaemonUser('/bin/sh', [path.join(dirOf(name), 'auth.sh')]);
    write(path.join(dirOf(name), 'start.sh'), renderSentinelStartScript(scripts(name), sentinelInput(i)), 0o700);
    const d = Daemon.start(name, '/bin/sh', [path.join(dirOf(name), 'start.sh')], path.join(dirOf(name), 'log'));
    daemons.push(d);
    return d;
  }
  const role = (i: number) => cli('127.0.0.1', redisPorts[i], 'role');
  const masterPortSeenBy = (s: number) => Number(cli(SENTINEL_HOSTS[s], sentinelPort, 'sentinel', 'get-master-addr-by-name', 'mymaster')[1]);

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-scripts-'));
    fs.chownSync(root, uid, gid);
    const ports = await freePorts(4);
    redisPorts = ports.slice(0, 3);
    sentinelPort = ports[3];
    for (const n of ['redis-0', 'redis-1', 'redis-2', 'sentinel-0', 'sentinel-1', 'sentinel-2']) {
      fs.mkdirSync(dirOf(n), { mode: 0o700 });
      fs.chownSync(dirOf(n), uid, gid);
    }
    write(path.join(root, 'password'), `${PASSWORD}\n`, 0o400);
  });

  afterAll(async () => {
    for (const d of daemons) await d.stop(2_000);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('first start takes the rendered roles; preStop hands the master role over; restarts follow the Sentinels', async () => {
    // 1. No Sentinel answers yet: the rendered roles stand.
    for (const i of [0, 1, 2]) startRedis(i);
    await waitFor('both replicas linked to redis-0', 15_000, async () =>
      [1, 2].every(i => role(i)[0] === 'slave' && role(i)[2] === String(redisPorts[0]) && role(i)[3] === 'connected') ? true : undefined);
    for (const i of [0, 1, 2]) startSentinel(i, true);
    await waitFor('the Sentinels to know 2 replicas and 2 other Sentinels', 30_000, async () => {
      const m = sentinelMaster(SENTINEL_HOSTS[0], sentinelPort);
      return m['num-slaves'] === '2' && m['num-other-sentinels'] === '2' ? true : undefined;
    });
    // The fresh marker is consumed; the Sentinel rewrote its copy (its state) and kept the rendered quorum.
    expect(fs.existsSync(`${scripts('sentinel-0').configFile}.fresh`)).toBe(false);
    expect(fs.readFileSync(scripts('sentinel-0').configFile, 'utf8')).toMatch(new RegExp(`^sentinel monitor mymaster 127\\.0\\.0\\.1 ${redisPorts[0]} 2$`, 'm'));

    // 2. preStop on the master: a Sentinel-run failover moves the role before the pod stops.
    write(path.join(dirOf('redis-0'), 'prestop.sh'), renderRedisPreStopScript(scripts('redis-0')), 0o700);
    const started = Date.now();
    runAsDaemonUser('/bin/sh', [path.join(dirOf('redis-0'), 'prestop.sh')], 30_000);
    const handover = (Date.now() - started) / 1000;
    expect(role(0)[0]).toBe('slave');
    const newMaster = await waitFor('the Sentinels to name the new master', 15_000, async () => {
      const port = masterPortSeenBy(0);
      return port !== redisPorts[0] ? port : undefined;
    });
    expect([redisPorts[1], redisPorts[2]]).toContain(newMaster);
    process.stdout.write(`preStop hand-over: ${handover.toFixed(1)} s until redis-0 was a replica\n`);

    // 3. The former master restarts from its rendered config (which says master): it rejoins as a replica.
    const old = daemons.find(d => d.name === 'redis-0' && d.running)!;
    await old.stop();
    startRedis(0);
    await waitFor('redis-0 to rejoin as a replica of the new master', 20_000, async () => {
      const r = role(0);
      return r[0] === 'slave' && r[2] === String(newMaster) && r[3] === 'connected' ? true : undefined;
    });

    // 4. A Sentinel whose volume was lost starts from the rendered config (monitoring redis-0) and follows the others.
    const s2 = daemons.find(d => d.name === 'sentinel-2' && d.running)!;
    await s2.stop();
    fs.rmSync(scripts('sentinel-2').configFile);
    startSentinel(2, true);
    await waitFor('sentinel-2 to monitor the current master', 20_000, async () => (masterPortSeenBy(2) === newMaster ? true : undefined));
    expect(fs.readFileSync(scripts('sentinel-2').configFile, 'utf8')).toMatch(new RegExp(`^sentinel monitor mymaster 127\\.0\\.0\\.1 ${newMaster} 2$`, 'm'));

    // 5. A kept copy gets the rendered timings back at start.
    const s1 = daemons.find(d => d.name === 'sentinel-1' && d.running)!;
    await s1.stop();
    const kept = scripts('sentinel-1').configFile;
    write(kept, fs.readFileSync(kept, 'utf8').replace(/^sentinel down-after-milliseconds mymaster \d+$/m, 'sentinel down-after-milliseconds mymaster 60000'));
    startSentinel(1, false);
    await waitFor('sentinel-1 to run with the rendered down-after', 20_000, async () =>
      sentinelMaster(SENTINEL_HOSTS[1], sentinelPort)['down-after-milliseconds'] === '5000' ? true : undefined);
    expect(masterPortSeenBy(1)).toBe(newMaster);
  }, 150_000);
});
