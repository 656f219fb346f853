/**
 * A Redis master/replica set and its Sentinels on 127.0.0.1, each daemon fed exactly what
 * lib/render/redis.ts renders, with only addresses, ports and paths given through the typed
 * inputs. Every daemon it starts is tracked by PID and stopped by {@link LocalSentinelSet.stopAll}.
 */
import * as fs from 'fs';
import * as path from 'path';
import Redis from 'ioredis';
import { Daemon, daemonUser, freePorts, runAsDaemonUser, sleep, waitFor } from './processes';
import {
  RedisConfInput, RedisPassword, RedisRole, SentinelConfInput,
  renderRedisAuthScript, renderRedisConf, renderSentinelAuthScript, renderSentinelConf,
} from '../../../lib/render/redis';

/** Every daemon listens on, and announces, this address only. */
export const HOST = '127.0.0.1';
/** The master name the renderer uses by default (the test does not override it). */
export const MASTER_NAME = 'mymaster';

const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_SENTINEL = '/usr/bin/redis-sentinel';

/** One Redis instance or Sentinel: where it lives and the daemon currently running it. */
export interface Instance {
  /** `redis-0`, `sentinel-2`, ... */
  readonly name: string;
  readonly port: number;
  /** Its own directory (config copy, auth include, data, log). */
  readonly root: string;
  daemon?: Daemon;
}

/** Opens a connection that fails fast instead of retrying or queueing. */
export async function connect(port: number, password: string | undefined): Promise<Redis> {
  const client = new Redis({
    host: HOST,
    port,
    password,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
    commandTimeout: 3_000,
  });
  client.on('error', () => undefined); // failures surface as rejected commands
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    throw e;
  }
  return client;
}

/** Connects with {@link connect}, runs `use`, and closes the connection. */
export async function withClient<T>(port: number, password: string | undefined, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = await connect(port, password);
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** `[k1, v1, k2, v2, ...]` (Sentinel's replies) as an object. */
function pairs(reply: unknown): Record<string, string> {
  const list = reply as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]] = list[i + 1];
  return out;
}

export class LocalSentinelSet {
  /** Allocates ports, creates the work directory (owned by the daemon user) and the Secret file. */
  public static async create(workDir: string, password: string): Promise<LocalSentinelSet> {
    const ports = await freePorts(6);
    const set = new LocalSentinelSet(workDir, password, ports.slice(0, 3), ports.slice(3));
    const user = daemonUser();
    fs.mkdirSync(path.dirname(set.secretFile), { recursive: true });
    for (const node of [...set.redis, ...set.sentinels]) fs.mkdirSync(path.join(node.root, 'auth'), { recursive: true });
    for (const node of set.redis) fs.mkdirSync(path.join(node.root, 'data'), { recursive: true });
    fs.writeFileSync(set.secretFile, `${password}\n`, { mode: 0o400 });
    for (const p of walk(workDir)) fs.chownSync(p, user.uid, user.gid);
    return set;
  }

  public readonly redis: readonly Instance[];
  public readonly sentinels: readonly Instance[];
  /** Every config text handed to a daemon (what a ConfigMap would hold). */
  public readonly renderedTexts: string[] = [];
  private readonly secretFile: string;
  private readonly user = daemonUser();
  /** Set by {@link stopAll}: a test body still running after a failure must not start daemons again. */
  private stopped = false;

  private constructor(
    public readonly workDir: string,
    private readonly password: string,
    redisPorts: readonly number[],
    sentinelPorts: readonly number[],
  ) {
    this.secretFile = path.join(workDir, 'secret', 'password');
    this.redis = redisPorts.map((port, i) => ({ name: `redis-${i}`, port, root: path.join(workDir, `redis-${i}`) }));
    this.sentinels = sentinelPorts.map((port, i) => ({ name: `sentinel-${i}`, port, root: path.join(workDir, `sentinel-${i}`) }));
  }

  /** The renderer input of a Redis instance: only addresses, ports and paths are given. */
  public redisInput(node: Instance): RedisConfInput {
    const master = this.redis[0];
    return {
      role: node === master ? RedisRole.master() : RedisRole.replicaOf(HOST, master.port),
      announceHostname: HOST,
      bind: [HOST],
      port: node.port,
      dir: path.join(node.root, 'data'),
      password: this.passwordFor(node),
    };
  }

  /** The renderer input of a Sentinel: only addresses, ports and paths are given. */
  public sentinelInput(node: Instance): SentinelConfInput {
    return {
      masterHost: HOST,
      masterPort: this.redis[0].port,
      announceHostname: HOST,
      bind: [HOST],
      port: node.port,
      dir: node.root,
      password: this.passwordFor(node),
    };
  }

  /**
   * Starts a Redis instance the way the construct's start step does: a fresh copy of the rendered
   * redis.conf in a writable place, the rendered auth script run to write the include, then
   * redis-server on the copy. Resolves once it answers an authenticated PING.
   */
  public async startRedis(node: Instance): Promise<void> {
    const input = this.redisInput(node);
    await this.startDaemon(node, REDIS_SERVER, 'redis.conf', renderRedisConf(input), renderRedisAuthScript(input));
  }

  /** Starts a Sentinel like {@link startRedis}, on a fresh copy of the rendered sentinel.conf. */
  public async startSentinel(node: Instance): Promise<void> {
    const input = this.sentinelInput(node);
    await this.startDaemon(node, REDIS_SENTINEL, 'sentinel.conf', renderSentinelConf(input), renderSentinelAuthScript(input));
  }

  /** Starts the master, then the replicas, waits for both replicas to sync, then starts the Sentinels. */
  public async startAll(): Promise<void> {
    for (const node of this.redis) await this.startRedis(node);
    await waitFor('both replicas to sync with the master', 30_000, async () => {
      const info = await this.redisCommand(this.redis[0], 'INFO', 'replication') as string;
      return (info.match(/state=online/g) ?? []).length === this.redis.length - 1 ? true : undefined;
    });
    for (const node of this.sentinels) await this.startSentinel(node);
  }

  /** Stops every daemon still running, by PID: Sentinels first so they do not react to the rest. */
  public async stopAll(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.sentinels.map(n => n.daemon?.stop()));
    await Promise.all(this.redis.map(n => n.daemon?.stop()));
  }

  /** Runs one command on a node as an authenticated client. */
  public async redisCommand(node: Instance, command: string, ...args: (string | number)[]): Promise<unknown> {
    return withClient(node.port, this.password, c => c.call(command, ...args));
  }

  /** The master port each Sentinel reports (`SENTINEL GET-MASTER-ADDR-BY-NAME`); `undefined` where it does not answer. */
  public async masterPortsFromSentinels(): Promise<(number | undefined)[]> {
    return Promise.all(this.sentinels.map(async s => {
      try {
        const [, port] = await this.redisCommand(s, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME) as [string, string];
        return Number(port);
      } catch {
        return undefined;
      }
    }));
  }

  /** The Redis node listening on `port`. */
  public redisAt(port: number): Instance {
    const node = this.redis.find(n => n.port === port);
    if (!node) throw new Error(`no Redis instance of this set listens on port ${port}`);
    return node;
  }

  /**
   * Resolves with the master once the set is healthy: every Sentinel names the same master,
   * knows both replicas (flags exactly `slave`) and the 2 other Sentinels; the master has both
   * replicas online and each replica's ROLE shows a connected link to it.
   */
  public async waitUntilHealthy(timeoutMs: number): Promise<Instance> {
    return waitFor('every Sentinel to agree on the master and know 2 healthy replicas and 2 other Sentinels', timeoutMs, async () => {
      const ports = await this.masterPortsFromSentinels();
      if (ports[0] === undefined || ports.some(p => p !== ports[0])) throw new Error(`Sentinels disagree on the master port: ${ports.join(', ')}`);
      const master = this.redisAt(ports[0]);
      for (const s of this.sentinels) {
        const state = pairs(await this.redisCommand(s, 'SENTINEL', 'MASTER', MASTER_NAME));
        const replicas = (await this.redisCommand(s, 'SENTINEL', 'REPLICAS', MASTER_NAME) as unknown[]).map(pairs);
        if (state.flags !== 'master' || state['num-slaves'] !== '2' || state['num-other-sentinels'] !== '2'
          || replicas.some(r => r.flags !== 'slave')) {
          throw new Error(`${s.name} sees flags=${state.flags} num-slaves=${state['num-slaves']} `
            + `num-other-sentinels=${state['num-other-sentinels']} replica flags=${replicas.map(r => r.flags).join('/')}`);
        }
      }
      const info = await this.redisCommand(master, 'INFO', 'replication') as string;
      if ((info.match(/state=online/g) ?? []).length !== 2) throw new Error(`${master.name} has not 2 online replicas`);
      for (const replica of this.redis.filter(n => n !== master)) {
        const role = await this.redisCommand(replica, 'ROLE') as unknown[];
        if (role[0] !== 'slave' || Number(role[2]) !== master.port || role[3] !== 'connected') {
          throw new Error(`${replica.name} ROLE is ${JSON.stringify(role)}`);
        }
      }
      return master;
    }, 250);
  }

  /** How many of `keys` the instance on `node` does not have. */
  public async countMissing(node: Instance, keys: readonly string[]): Promise<number> {
    return withClient(node.port, this.password, async client => {
      let missing = 0;
      for (let i = 0; i < keys.length; i += 1000) {
        const values = await client.mget(...keys.slice(i, i + 1000));
        missing += values.filter(v => v === null).length;
      }
      return missing;
    });
  }

  private passwordFor(node: Instance): RedisPassword {
    return RedisPassword.fromSecretFile({ secretFile: this.secretFile, includeFile: path.join(node.root, 'auth', 'auth.conf') });
  }

  private async startDaemon(node: Instance, binary: string, confName: string, conf: string, authScript: string): Promise<void> {
    if (this.stopped) throw new Error(`not starting ${node.name}: the set was stopped`);
    if (node.daemon?.running) throw new Error(`${node.name} is already running (PID ${node.daemon.pid})`);
    this.renderedTexts.push(conf, authScript);
    const confFile = path.join(node.root, confName);
    const scriptFile = path.join(node.root, 'start-auth.sh');
    this.writeOwned(confFile, conf);
    this.writeOwned(scriptFile, authScript);
    runAsDaemonUser('/bin/sh', [scriptFile]);
    const daemon = Daemon.start(node.name, binary, [confFile], path.join(node.root, `${node.name}.log`));
    node.daemon = daemon;
    await waitFor(`${node.name} (PID ${daemon.pid}) to answer an authenticated PING`, 15_000, async () => {
      if (!daemon.running) throw new Error(`${node.name} exited: ${daemon.logTail()}`);
      return await this.redisCommand(node, 'PING') === 'PONG' ? true : undefined;
    });
  }

  private writeOwned(file: string, text: string): void {
    fs.writeFileSync(file, text, { mode: 0o600 });
    fs.chownSync(file, this.user.uid, this.user.gid);
  }
}

/** A directory and everything under it. */
function* walk(dir: string): Generator<string> {
  yield dir;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(p);
    else yield p;
  }
}

/**
 * Writes `<prefix>:<n>` keys to whichever master the Sentinels name, and counts a write as
 * confirmed only when `WAIT 1` reports at least one replica has it. Reconnects through the
 * Sentinels after any error (the master was killed, or is a replica now).
 */
export class ConfirmedWriter {
  /** Keys whose write at least one replica acknowledged. */
  public readonly confirmed: string[] = [];
  /** Writes the master took but no replica acknowledged within the WAIT timeout. */
  public unconfirmed = 0;
  /** Failed commands (connection refused, READONLY, NOREPLICAS, ...). */
  public failures = 0;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(private readonly set: LocalSentinelSet, private readonly password: string, private readonly prefix: string) {
    this.loop = this.run();
  }

  /** Stops writing and waits for the write in flight. */
  public async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    let client: Redis | undefined;
    for (let n = 0; !this.stopped; n++) {
      try {
        if (!client) client = await this.connectToMaster();
        const key = `${this.prefix}:${n}`;
        await client.set(key, String(n));
        if (await client.wait(1, 1_000) >= 1) this.confirmed.push(key);
        else this.unconfirmed++;
      } catch {
        this.failures++;
        client?.disconnect();
        client = undefined;
        await sleep(20);
      }
    }
    client?.disconnect();
  }

  private async connectToMaster(): Promise<Redis> {
    const port = (await this.set.masterPortsFromSentinels()).find(p => p !== undefined);
    if (port === undefined) throw new Error('no Sentinel answered');
    return connect(port, this.password);
  }
}
