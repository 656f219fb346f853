/**
 * System test of the pg_hba PatroniCluster renders, against the source address an Istio sidecar
 * presents. Behind the sidecar every connection reaches PostgreSQL from 127.0.0.6 (Envoy's inbound
 * passthrough cluster binds its upstream socket there: istio/istio pilot/pkg/networking/util/util.go
 * `InboundPassthroughBindIpv4`), not from the caller's Pod IP.
 *
 * A real PostgreSQL 15 primary runs as the unprivileged user with exactly the pg_hba lines of the
 * patroni.yml a PatroniCluster ships in its ConfigMap (its Pod CIDRs given as 127.0.0.1/32, nothing
 * else changed). Stand-ins for the sidecar are small TCP relays that open every upstream
 * connection from a chosen loopback source address, as Envoy does: from 127.0.0.6 a client
 * logs in and a standby (pg_basebackup, then streaming) replicates, and a synchronous commit on
 * the primary returns; from 127.0.0.9, an address outside the allowed sources, PostgreSQL refuses
 * both. Loopback only, every wait bounded; everything it starts it stops, by PID.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { Client } from 'pg';
import { parse } from 'yaml';
import { DAEMON_USER, Daemon, daemonUserIds, freePorts, isAlive, killPid, makeDaemonDir, startAsDaemonUser, waitFor } from './patroni/processes';
import { Bulkhead, Checks, PatroniCluster, Platform, PriorityClasses, RegionChart } from '../../lib';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const SUPERUSER_PASSWORD = 'mesh-source-superuser';
const REPLICATION_PASSWORD = 'mesh-source-replication';
const APP_PASSWORD = 'mesh-source-app';
const OUTSIDE = '127.0.0.9';

/** A relay on 127.0.0.1:listenPort whose upstream connections to PostgreSQL come from `source` (what Envoy does). */
function sourceRelay(source: string, upstreamPort: number): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer(down => {
    const up = net.connect({ host: '127.0.0.1', port: upstreamPort, localAddress: source });
    down.pipe(up).pipe(down);
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port }));
  });
}

describe('pg_hba of a PatroniCluster behind the Istio sidecar, on PostgreSQL 15', () => {
  const daemons: Daemon[] = [];
  const relays: net.Server[] = [];
  let root = '';
  let dir = '';
  let primaryPort = 0;
  let standbyPort = 0;
  let meshPort = 0;
  let outsidePort = 0;
  let hba: string[] = [];
  // The construct as it ships; its Pod CIDRs (the VPC on EKS) given as loopback.
  const app = Testing.app();
  Checks.of(app).log = () => {};
  const platform = Platform.fromDescription({ environment: 'test', regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }] });
  const chart = new RegionChart(app, 'db', { region: platform.region('us-east-1') });
  // As on the platform: the database runs in a meshed bulkhead (the sidecar presents 127.0.0.6),
  // the tiers' PriorityClasses exist and the credentials Secret comes from outside the app.
  new Bulkhead(chart, 'orders');
  new PriorityClasses(chart, 'priority');
  Checks.of(app).provide({ secrets: ['orders/orders-db-credentials'] });
  const db = new PatroniCluster(chart, 'orders-db', {
    namespace: 'orders',
    image: 'registry.example.com/platform/patroni:3.0.4-pg15',
    credentials: { secretName: 'orders-db-credentials' },
    backup: false,
    podCidrs: ['127.0.0.1/32'],
    kubernetesApi: { cidrs: ['127.0.0.1/32'] },
  });
  const users = db.patroni.userNames;

  const asDaemon = (command: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
    execFileSync('setpriv', ['--reuid', DAEMON_USER, '--regid', DAEMON_USER, '--init-groups', command, ...args],
      { stdio: 'pipe', timeout: 60_000, env: { PATH: process.env.PATH, LANG: 'C', ...env } });
  // Asynchronous: the relays run in this process and must keep serving while the tool runs.
  const asDaemonAsync = (command: string, args: string[], env: NodeJS.ProcessEnv) => new Promise<void>((resolve, reject) => {
    execFile('setpriv', ['--reuid', DAEMON_USER, '--regid', DAEMON_USER, '--init-groups', command, ...args],
      { timeout: 60_000, env: { PATH: process.env.PATH, LANG: 'C', ...env } }, (error, _stdout, stderr) => (error ? reject(new Error(stderr)) : resolve()));
  });
  const superuser = () => new Client({ host: dir, port: primaryPort, user: users.superuser, password: SUPERUSER_PASSWORD, database: 'postgres' });

  beforeAll(async () => {
    [primaryPort, standbyPort] = await freePorts(2);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nines-pg-hba-'));
    fs.chmodSync(root, 0o755);
    dir = path.join(root, 'run');
    makeDaemonDir(dir);
    const { uid, gid } = daemonUserIds();
    const pwfile = path.join(dir, 'pw');
    fs.writeFileSync(pwfile, SUPERUSER_PASSWORD + '\n', { mode: 0o600 });
    fs.chownSync(pwfile, uid, gid);
    const data = path.join(dir, 'primary');
    asDaemon(`${PG_BIN}/initdb`, ['-D', data, '-U', users.superuser, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--no-sync']);

    const configMap = Testing.synth(chart).find(o => o.kind === 'ConfigMap' && o.metadata.name === 'orders-db-patroni');
    hba = parse(configMap.data['patroni.yml']).postgresql.pg_hba as string[];
    fs.writeFileSync(path.join(data, 'pg_hba.conf'), hba.join('\n') + '\n');
    fs.chownSync(path.join(data, 'pg_hba.conf'), uid, gid);

    daemons.push(startAsDaemonUser('primary', `${PG_BIN}/postgres`, ['-D', data, '-p', String(primaryPort), '-k', dir,
      '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'wal_level=replica', '-c', 'max_wal_senders=5',
      '-c', 'log_connections=on'], { LANG: 'C' }, path.join(root, 'primary.log')));
    await waitFor('the primary to accept connections', 30_000, async () => {
      const c = superuser();
      await c.connect();
      await c.end();
      return true;
    }, 200);
    const c = superuser();
    await c.connect();
    try {
      await c.query(`CREATE ROLE ${users.replication} WITH REPLICATION LOGIN PASSWORD '${REPLICATION_PASSWORD}'`);
      await c.query(`CREATE ROLE orders WITH LOGIN PASSWORD '${APP_PASSWORD}'`);
      await c.query('CREATE TABLE orders (id int PRIMARY KEY)');
      await c.query('GRANT SELECT, INSERT ON orders TO orders');
    } finally {
      await c.end();
    }
    const mesh = await sourceRelay('127.0.0.6', primaryPort);
    const outside = await sourceRelay(OUTSIDE, primaryPort);
    relays.push(mesh.server, outside.server);
    meshPort = mesh.port;
    outsidePort = outside.port;
  }, 120_000);

  afterAll(async () => {
    for (const r of relays) r.close();
    for (const d of daemons.reverse()) {
      killPid(d.pid, 'SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([d.exited.then(() => true), new Promise<boolean>(r => { timer = setTimeout(() => r(false), 10_000); })]);
      clearTimeout(timer);
      if (!done && isAlive(d.pid)) killPid(d.pid, 'SIGKILL');
    }
    if (root) fs.rmSync(root, { recursive: true, force: true });
  }, 60_000);

  test('the rendered pg_hba admits 127.0.0.6 with SCRAM and never trusts', () => {
    expect(hba).toContain(`host replication ${users.replication} 127.0.0.6/32 scram-sha-256`);
    expect(hba).toContain('host all all 127.0.0.6/32 scram-sha-256');
    expect(hba.some(l => / trust$/.test(l))).toBe(false);
  });

  test('a client arriving from 127.0.0.6 (the sidecar) logs in and PostgreSQL sees that address', async () => {
    const c = new Client({ host: '127.0.0.1', port: meshPort, user: 'orders', password: APP_PASSWORD, database: 'postgres' });
    await c.connect();
    try {
      const r = await c.query('SELECT host(inet_client_addr()) AS addr, current_user AS who');
      expect(r.rows[0]).toEqual({ addr: '127.0.0.6', who: 'orders' });
    } finally {
      await c.end();
    }
  });

  test('the superuser is refused from 127.0.0.6 as from any network', async () => {
    const c = new Client({ host: '127.0.0.1', port: meshPort, user: users.superuser, password: SUPERUSER_PASSWORD, database: 'postgres' });
    await expect(c.connect()).rejects.toThrow(`pg_hba.conf rejects connection for host "127.0.0.6", user "${users.superuser}"`);
    await c.end().catch(() => undefined);
  });

  test('a client from outside the allowed sources (127.0.0.9) is refused', async () => {
    const c = new Client({ host: '127.0.0.1', port: outsidePort, user: 'orders', password: APP_PASSWORD, database: 'postgres' });
    await expect(c.connect()).rejects.toThrow(`no pg_hba.conf entry for host "${OUTSIDE}", user "orders", database "postgres"`);
    await c.end().catch(() => undefined);
  });

  test('a standby from 127.0.0.9 cannot clone; from 127.0.0.6 it clones, streams, and synchronous commits return', async () => {
    const env = { PGPASSWORD: REPLICATION_PASSWORD };
    const refused = path.join(dir, 'refused');
    await expect(asDaemonAsync(`${PG_BIN}/pg_basebackup`, ['-h', '127.0.0.1', '-p', String(outsidePort), '-U', users.replication, '-D', refused, '-X', 'stream', '--no-sync'], env))
      .rejects.toThrow(`no pg_hba.conf entry for replication connection from host "${OUTSIDE}", user "${users.replication}"`);

    // Clone and stream through the sidecar stand-in: primary_conninfo (-R) points at it.
    const standby = path.join(dir, 'standby');
    await asDaemonAsync(`${PG_BIN}/pg_basebackup`, ['-h', '127.0.0.1', '-p', String(meshPort), '-U', users.replication, '-D', standby, '-X', 'stream', '-R', '--no-sync'], env);
    fs.appendFileSync(path.join(standby, 'postgresql.auto.conf'), `primary_conninfo = 'host=127.0.0.1 port=${meshPort} user=${users.replication} password=${REPLICATION_PASSWORD} application_name=orders-db-1'\n`);
    daemons.push(startAsDaemonUser('standby', `${PG_BIN}/postgres`, ['-D', standby, '-p', String(standbyPort), '-k', dir,
      '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'hot_standby=on'], { LANG: 'C' }, path.join(root, 'standby.log')));

    const c = superuser();
    await c.connect();
    try {
      const streaming = await waitFor('the standby to stream from 127.0.0.6', 30_000, async () => {
        const r = await c.query("SELECT host(client_addr) AS addr, application_name AS name, state FROM pg_stat_replication WHERE state = 'streaming'");
        return r.rows.length === 1 ? r.rows[0] : undefined;
      }, 200);
      expect(streaming).toEqual({ addr: '127.0.0.6', name: 'orders-db-1', state: 'streaming' });

      // Patroni's strict synchronous mode: a commit waits for the standby. It returns (bounded).
      await c.query('ALTER SYSTEM SET synchronous_standby_names = \'"orders-db-1"\'');
      await c.query('SELECT pg_reload_conf()');
      await waitFor('the standby to be synchronous', 15_000, async () =>
        ((await c.query("SELECT sync_state FROM pg_stat_replication WHERE application_name = 'orders-db-1'")).rows[0]?.sync_state === 'sync' ? true : undefined), 200);
      let timer: NodeJS.Timeout | undefined;
      const committed = await Promise.race([
        c.query('INSERT INTO orders VALUES (1)').then(() => true),
        new Promise<boolean>(r => { timer = setTimeout(() => r(false), 10_000); }),
      ]);
      clearTimeout(timer);
      expect(committed).toBe(true);
    } finally {
      await c.end();
    }
    const rows = await waitFor('the row to reach the standby', 15_000, async () => {
      const s = new Client({ host: dir, port: standbyPort, user: users.superuser, password: SUPERUSER_PASSWORD, database: 'postgres' });
      await s.connect();
      try {
        const r = await s.query('SELECT id FROM orders');
        return r.rows.length === 1 ? r.rows : undefined;
      } finally {
        await s.end();
      }
    }, 200);
    expect(rows).toEqual([{ id: 1 }]);
  });
});
