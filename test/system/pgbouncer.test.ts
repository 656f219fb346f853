/**
 * System test of the PgBouncer pooler's configuration: the real pgbouncer (Debian's package)
 * runs the output of renderPgBouncerIni, with only addresses, ports and paths substituted, in
 * front of a real PostgreSQL 15, both as the unprivileged user; a client authenticates with
 * SCRAM through the pooler (the auth file holds PostgreSQL's own SCRAM secret, as the Secret
 * would in production) and runs queries. Everything it starts it stops, by PID.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { DAEMON_USER, Daemon, daemonUserIds, freePorts, isAlive, killPid, makeDaemonDir, startAsDaemonUser, waitFor } from './patroni/processes';
import { parsePgBouncerIni, renderPgBouncerIni } from '../../lib/render/pgbouncer';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const PGBOUNCER = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find(p => fs.existsSync(p));
const PASSWORD = 'pooler-system-test';

describe('pgbouncer with the rendered pgbouncer.ini in front of PostgreSQL 15', () => {
  const daemons: Daemon[] = [];
  let root = '';
  let pgPort = 0;
  let poolPort = 0;

  beforeAll(async () => {
    if (!PGBOUNCER) throw new Error('pgbouncer is not installed: run scripts/install-system-deps.sh');
    [pgPort, poolPort] = await freePorts(2);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nines-pgbouncer-'));
    fs.chmodSync(root, 0o755);
    const dir = path.join(root, 'run');
    makeDaemonDir(dir);
    const { uid, gid } = daemonUserIds();
    const pwfile = path.join(dir, 'pw');
    fs.writeFileSync(pwfile, PASSWORD + '\n', { mode: 0o600 });
    fs.chownSync(pwfile, uid, gid);
    execFileSync('setpriv', ['--reuid', DAEMON_USER, '--regid', DAEMON_USER, '--init-groups', `${PG_BIN}/initdb`, '-D', path.join(dir, 'data'),
      '-U', DAEMON_USER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--no-sync'], { stdio: 'ignore', env: { PATH: process.env.PATH, LANG: 'C' } });
    daemons.push(startAsDaemonUser('postgres', `${PG_BIN}/postgres`, ['-D', path.join(dir, 'data'), '-p', String(pgPort), '-k', dir,
      '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'], { LANG: 'C' }, path.join(root, 'postgres.log')));
    const direct = () => new Client({ host: '127.0.0.1', port: pgPort, user: DAEMON_USER, password: PASSWORD, database: 'postgres' });
    const secret = await waitFor('PostgreSQL to accept connections', 30_000, async () => {
      const c = direct();
      await c.connect();
      try {
        return (await c.query('SELECT rolpassword FROM pg_authid WHERE rolname = current_user')).rows[0].rolpassword as string;
      } finally {
        await c.end();
      }
    }, 200);
    expect(secret).toMatch(/^SCRAM-SHA-256\$/);
    const authFile = path.join(dir, 'userlist.txt');
    fs.writeFileSync(authFile, `"${DAEMON_USER}" "${secret}"\n`, { mode: 0o600 });
    fs.chownSync(authFile, uid, gid);
    // The construct's input, with only addresses, ports and paths substituted.
    const ini = renderPgBouncerIni({ backendHost: '127.0.0.1', backendPort: pgPort, listenAddr: '127.0.0.1', port: poolPort, authFile, unixSocketDir: dir });
    const iniFile = path.join(dir, 'pgbouncer.ini');
    fs.writeFileSync(iniFile, ini);
    daemons.push(startAsDaemonUser('pgbouncer', PGBOUNCER, [iniFile], { LANG: 'C' }, path.join(root, 'pgbouncer.log')));
  }, 120_000);

  afterAll(async () => {
    for (const d of daemons.reverse()) {
      killPid(d.pid, 'SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([d.exited.then(() => true), new Promise<boolean>(r => { timer = setTimeout(() => r(false), 10_000); })]);
      clearTimeout(timer);
      if (!done && isAlive(d.pid)) killPid(d.pid, 'SIGKILL');
    }
    if (root) fs.rmSync(root, { recursive: true, force: true });
  }, 60_000);

  test('the rendered file keeps transaction pooling and the auth file', () => {
    const ini = parsePgBouncerIni(fs.readFileSync(path.join(root, 'run', 'pgbouncer.ini'), 'utf8'));
    expect(ini.get('pgbouncer')?.get('pool_mode')).toBe('transaction');
    expect(ini.get('pgbouncer')?.get('auth_type')).toBe('scram-sha-256');
    expect(ini.get('databases')?.get('*')).toBe(`host=127.0.0.1 port=${pgPort}`);
  });

  test('a client authenticates with SCRAM through pgbouncer and its queries reach PostgreSQL', async () => {
    const client = await waitFor('pgbouncer to accept a login', 30_000, async () => {
      const c = new Client({ host: '127.0.0.1', port: poolPort, user: DAEMON_USER, password: PASSWORD, database: 'postgres' });
      try {
        await c.connect();
        return c;
      } catch (e) {
        await c.end().catch(() => undefined);
        throw e;
      }
    }, 200);
    try {
      const r = await client.query("SELECT current_setting('port') AS port, current_user AS who, 1 + 1 AS two");
      expect(r.rows[0]).toEqual({ port: String(pgPort), who: DAEMON_USER, two: 2 });
      // Transaction pooling: a transaction runs on one server connection from BEGIN to COMMIT.
      await client.query('BEGIN');
      const a = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const b = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await client.query('COMMIT');
      expect(a).toBe(b);
    } finally {
      await client.end();
    }
  });

  test('a wrong password is refused by the pooler', async () => {
    const c = new Client({ host: '127.0.0.1', port: poolPort, user: DAEMON_USER, password: 'wrong', database: 'postgres' });
    await expect(c.connect()).rejects.toThrow(/SASL authentication failed/);
    await c.end().catch(() => undefined);
  });
  test('SIGINT, the pooler\'s preStop signal, is a safe shutdown: an open transaction commits, then pgbouncer exits', async () => {
    const bouncer = daemons.find(d => d.name === 'pgbouncer')!;
    const c = new Client({ host: '127.0.0.1', port: poolPort, user: DAEMON_USER, password: PASSWORD, database: 'postgres' });
    await c.connect();
    try {
      await c.query('CREATE TABLE IF NOT EXISTS drained (id int)');
      await c.query('BEGIN');
      await c.query('INSERT INTO drained VALUES (1)');
      killPid(bouncer.pid, 'SIGINT');
      await new Promise(r => setTimeout(r, 500));
      expect(isAlive(bouncer.pid)).toBe(true); // paused, waiting for the transaction
      await c.query('INSERT INTO drained VALUES (2)');
      await c.query('COMMIT');
    } finally {
      await c.end().catch(() => undefined);
    }
    await waitFor('pgbouncer to exit after the transaction', 15_000, async () => (isAlive(bouncer.pid) ? undefined : true), 100);
    const direct = new Client({ host: '127.0.0.1', port: pgPort, user: DAEMON_USER, password: PASSWORD, database: 'postgres' });
    await direct.connect();
    try {
      expect((await direct.query('SELECT count(*)::int AS n FROM drained')).rows[0].n).toBe(2);
    } finally {
      await direct.end();
    }
  });
});
