/**
 * A 3-member Patroni cluster on a 3-member etcd, all on 127.0.0.1, every daemon fed exactly what
 * `renderPatroniConfig` / `renderEtcdArgs` render, with only addresses, ports and paths substituted
 * through their typed inputs.
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import {
  childPids, Daemon, daemonUserIds, freePorts, isAlive, killPid, makeDaemonDir, postmasterPid, startAsDaemonUser, WaitAborted, waitFor,
} from './processes';
import { EtcdMemberOptions, renderEtcdArgs } from '../../../lib/render/etcd';
import { PATRONI_PASSWORD_ENV, PatroniDcs, PatroniMemberOptions, renderPatroniConfig, resolvePatroniMemberOptions } from '../../../lib/render/patroni';

const CLUSTER_NAME = 'failover-test';
const MEMBER_NAMES = ['pg-0', 'pg-1', 'pg-2'];
const ETCD_NAMES = ['etcd-0', 'etcd-1', 'etcd-2'];
const LOOPBACK = '127.0.0.1';

/** One Patroni member's ports and files. */
export interface PatroniMember {
  readonly name: string;
  readonly restPort: number;
  readonly pgPort: number;
  readonly dir: string;
  readonly dataDir: string;
}

interface EtcdMember {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dir: string;
}

/** A member as Patroni's `GET /cluster` reports it. */
export interface ClusterMember {
  readonly name: string;
  readonly role: string;
  readonly state: string;
  readonly host?: string;
  readonly port?: number;
}

/** What the PostgreSQL clients of this test need to reach a member. */
export interface PostgresEndpoint {
  readonly name: string;
  readonly port: number;
}

async function getJson(url: string): Promise<any> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

export class PatroniTestCluster {
  /** Allocates ports and creates the work directory (owned by the daemon user). */
  public static async create(workDir: string): Promise<PatroniTestCluster> {
    makeDaemonDir(workDir);
    const ports = await freePorts(MEMBER_NAMES.length * 2 + ETCD_NAMES.length * 2);
    const members = MEMBER_NAMES.map((name, i) => ({
      name,
      restPort: ports[2 * i],
      pgPort: ports[2 * i + 1],
      dir: path.join(workDir, name),
      dataDir: path.join(workDir, name, 'data'),
    }));
    const etcdPorts = ports.slice(MEMBER_NAMES.length * 2);
    const etcd = ETCD_NAMES.map((name, i) => ({
      name, clientPort: etcdPorts[2 * i], peerPort: etcdPorts[2 * i + 1], dir: path.join(workDir, name),
    }));
    for (const dir of [...members.map(m => m.dir), ...etcd.map(e => e.dir)]) makeDaemonDir(dir);
    return new PatroniTestCluster(workDir, members, etcd);
  }

  /** The superuser's password, random per run, given to Patroni only through its environment. */
  public readonly superuserPassword = randomBytes(12).toString('hex');
  private readonly replicationPassword = randomBytes(12).toString('hex');
  private readonly rewindPassword = randomBytes(12).toString('hex');
  private readonly daemons = new Map<string, Daemon>();
  /** Kills the daemons if the test runner exits without running afterAll. */
  private readonly cleanupOnExit: () => void;

  private constructor(
    public readonly workDir: string,
    public readonly members: readonly PatroniMember[],
    private readonly etcd: readonly EtcdMember[],
  ) {
    this.cleanupOnExit = () => this.killEverything();
    process.once('exit', this.cleanupOnExit);
  }

  /** The renderer's input for one etcd member: only addresses, ports and paths are the test's. */
  public etcdOptions(name: string): EtcdMemberOptions {
    const self = this.etcd.find(e => e.name === name)!;
    return {
      memberName: name,
      clusterToken: `${CLUSTER_NAME}-etcd`,
      peers: this.etcd.map(e => ({
        name: e.name, peerUrl: `http://${LOOPBACK}:${e.peerPort}`, clientUrl: `http://${LOOPBACK}:${e.clientPort}`,
      })),
      dataDir: path.join(self.dir, 'data'),
      listenClientUrls: [`http://${LOOPBACK}:${self.clientPort}`],
      listenPeerUrls: [`http://${LOOPBACK}:${self.peerPort}`],
    };
  }

  /** The renderer's input for one Patroni member: only addresses, ports and paths are the test's. */
  public patroniOptions(name: string): PatroniMemberOptions {
    const member = this.member(name);
    return {
      clusterName: CLUSTER_NAME,
      memberName: name,
      addresses: {
        restApiListen: `${LOOPBACK}:${member.restPort}`,
        restApiConnectAddress: `${LOOPBACK}:${member.restPort}`,
        postgresListen: `${LOOPBACK}:${member.pgPort}`,
        postgresConnectAddress: `${LOOPBACK}:${member.pgPort}`,
        dataDir: member.dataDir,
        unixSocketDir: member.dir,
        pgpassFile: path.join(member.dir, 'pgpass'),
      },
      dcs: PatroniDcs.etcd3({ hosts: this.etcd.map(e => `${LOOPBACK}:${e.clientPort}`) }),
      clientAccess: { memberCidrs: [`${LOOPBACK}/32`] },
    };
  }

  public member(name: string): PatroniMember {
    const member = this.members.find(m => m.name === name);
    if (!member) throw new Error(`no member ${name}`);
    return member;
  }

  /** Starts the 3 etcd members and waits until each reports healthy. */
  public async startEtcd(): Promise<void> {
    for (const e of this.etcd) {
      const env = { PATH: process.env.PATH, HOME: e.dir };
      this.daemons.set(e.name, startAsDaemonUser(e.name, 'etcd', renderEtcdArgs(this.etcdOptions(e.name)), env, path.join(e.dir, 'etcd.log')));
    }
    for (const e of this.etcd) {
      await waitFor(`${e.name} to report healthy`, 30_000, async () => {
        this.assertRunning(e.name);
        const health = await getJson(`http://${LOOPBACK}:${e.clientPort}/health`);
        return health.health === 'true' ? true : undefined;
      });
    }
  }

  /** Writes `name`'s rendered patroni.yml (readable by the daemon user only); returns its path. */
  public writePatroniConfig(name: string): string {
    const configFile = path.join(this.member(name).dir, 'patroni.yml');
    fs.writeFileSync(configFile, renderPatroniConfig(this.patroniOptions(name)), { mode: 0o600 });
    const { uid, gid } = daemonUserIds();
    fs.chownSync(configFile, uid, gid);
    return configFile;
  }

  /** What `patroni --validate-config` (Patroni's own schema and reachability checks) says about `name`'s file. */
  public patroniValidatorComplaints(name: string): string[] {
    const result = spawnSync('patroni', ['--validate-config', this.writePatroniConfig(name)], { encoding: 'utf8', timeout: 30_000 });
    if (result.error) throw result.error;
    return `${result.stdout}${result.stderr}`.split('\n').filter(line => line.trim() !== '');
  }

  /** Writes `name`'s rendered patroni.yml and starts Patroni on it, passwords in its environment only. */
  public startPatroni(name: string): void {
    const member = this.member(name);
    const configFile = this.writePatroniConfig(name);
    const env = {
      PATH: process.env.PATH,
      HOME: member.dir,
      LC_ALL: 'C.UTF-8',
      [PATRONI_PASSWORD_ENV.superuser]: this.superuserPassword,
      [PATRONI_PASSWORD_ENV.replication]: this.replicationPassword,
      [PATRONI_PASSWORD_ENV.rewind]: this.rewindPassword,
    };
    this.daemons.set(name, startAsDaemonUser(name, 'patroni', [configFile], env, path.join(member.dir, 'patroni.log')));
  }

  /** The config file a member runs on. */
  public configFileOf(name: string): string {
    return fs.readFileSync(path.join(this.member(name).dir, 'patroni.yml'), 'utf8');
  }

  /** `GET /cluster` from the first member whose REST API answers (undefined if none does). */
  public async clusterMembers(): Promise<ClusterMember[] | undefined> {
    for (const member of this.members) {
      try {
        return (await getJson(`http://${LOOPBACK}:${member.restPort}/cluster`)).members;
      } catch {
        // that member is down: ask the next one
      }
    }
    return undefined;
  }

  /** `GET /patroni` of one member: its own view of its role and state. */
  public async memberStatus(name: string): Promise<{ role: string; state: string }> {
    return getJson(`http://${LOOPBACK}:${this.member(name).restPort}/patroni`);
  }

  /** The member holding the leader lock with PostgreSQL running, as the REST API reports it. */
  public async leader(): Promise<PostgresEndpoint | undefined> {
    const leader = (await this.clusterMembers())?.find(m => m.role === 'leader' && m.state === 'running');
    return leader && leader.port !== undefined ? { name: leader.name, port: leader.port } : undefined;
  }

  /** Runs `query` on a member's PostgreSQL as the superuser. */
  public async query<T extends object>(name: string, sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({
      host: LOOPBACK,
      port: this.member(name).pgPort,
      user: 'postgres',
      password: this.superuserPassword,
      database: 'postgres',
      connectionTimeoutMillis: 2000,
      query_timeout: 5000,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Waits until there is a running leader, every other member streams from it, and as many
   * synchronous standbys as the rendered `synchronous_node_count` are published by Patroni and
   * synchronous in PostgreSQL.
   */
  public async waitHealthy(what: string, timeoutMs: number): Promise<{ leader: string; syncStandbys: string[] }> {
    return waitFor(what, timeoutMs, async () => {
      for (const name of this.daemons.keys()) this.assertRunning(name);
      const members = await this.clusterMembers();
      const leader = members?.find(m => m.role === 'leader' && m.state === 'running');
      if (!members || !leader || members.length !== this.members.length || members.some(m => m.state !== 'running')) return undefined;
      const replication = await this.query<{ application_name: string; state: string; sync_state: string }>(leader.name,
        'SELECT application_name, state, sync_state FROM pg_stat_replication');
      const standbys = members.filter(m => m.name !== leader.name);
      const streaming = standbys.every(s => replication.some(r => r.application_name === s.name && r.state === 'streaming'));
      const syncStandbys = standbys.filter(s => s.role === 'sync_standby').map(s => s.name);
      const syncInPostgres = syncStandbys.every(s => replication.some(r => r.application_name === s && r.sync_state === 'sync'));
      const wanted = resolvePatroniMemberOptions(this.patroniOptions(leader.name)).failover.synchronousStandbys;
      return streaming && syncStandbys.length === wanted && syncInPostgres ? { leader: leader.name, syncStandbys } : undefined;
    }, 500);
  }

  /**
   * kill -9 of a member's Patroni, its postmaster and every postmaster child at once (a node
   * crash). Returns `performance.now()` just before the first signal.
   */
  public killMember(name: string): number {
    const patroni = this.daemons.get(name);
    const postmaster = postmasterPid(this.member(name).dataDir);
    if (!patroni || !isAlive(patroni.pid) || postmaster === undefined) throw new Error(`${name}: Patroni or its postmaster is not running`);
    const victims = [patroni.pid, ...childPids(patroni.pid), postmaster, ...childPids(postmaster)];
    const killedAt = performance.now();
    for (const pid of victims) killPid(pid);
    this.daemons.delete(name);
    return killedAt;
  }

  /**
   * Kills (SIGKILL, by PID) every daemon this cluster started and every postmaster running on
   * its data directories; returns the PIDs still alive afterwards.
   */
  public async destroy(): Promise<number[]> {
    const pids = this.killEverything();
    try {
      await waitFor('every daemon to exit', 15_000, async () => (pids.some(isAlive) ? undefined : true));
    } finally {
      process.removeListener('exit', this.cleanupOnExit);
    }
    fs.rmSync(this.workDir, { recursive: true, force: true });
    return pids.filter(isAlive);
  }

  private killEverything(): number[] {
    const pids: number[] = [];
    for (const daemon of this.daemons.values()) {
      if (isAlive(daemon.pid)) pids.push(daemon.pid, ...childPids(daemon.pid));
    }
    for (const member of this.members) {
      const postmaster = postmasterPid(member.dataDir);
      if (postmaster !== undefined) pids.push(postmaster, ...childPids(postmaster));
    }
    for (const pid of pids) killPid(pid);
    return pids;
  }

  private assertRunning(name: string): void {
    const daemon = this.daemons.get(name);
    if (daemon && !isAlive(daemon.pid)) {
      const log = fs.existsSync(daemon.logFile) ? fs.readFileSync(daemon.logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new WaitAborted(`${name} (pid ${daemon.pid}) exited; end of ${daemon.logFile}:\n${log}`);
    }
  }
}
