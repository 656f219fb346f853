import * as fc from 'fast-check';
import { PGBOUNCER_DEFAULTS, parsePgBouncerIni, pgBouncerSettings, renderPgBouncerIni, validatePgBouncerInput } from '../../lib/render/pgbouncer';

const HOST = 'orders-db.orders.svc.cluster.local';

describe('renderPgBouncerIni', () => {
  const text = renderPgBouncerIni({ backendHost: HOST });
  const ini = parsePgBouncerIni(text);
  const s = ini.get('pgbouncer')!;

  test('every database goes to the read-write endpoint', () => {
    expect([...ini.keys()]).toEqual(['databases', 'pgbouncer']);
    expect(Object.fromEntries(ini.get('databases')!)).toEqual({ '*': `host=${HOST} port=5432` });
  });

  test('defaults: transaction pooling, 1000 clients, 20 server connections, SCRAM with an auth file from a Secret', () => {
    expect(Object.fromEntries(s)).toEqual({
      listen_addr: '0.0.0.0',
      listen_port: '6432',
      unix_socket_dir: '/tmp',
      auth_type: 'scram-sha-256',
      auth_file: '/etc/pgbouncer/auth/userlist.txt',
      pool_mode: 'transaction',
      max_client_conn: '1000',
      default_pool_size: '20',
      reserve_pool_size: '0',
      server_login_retry: '1',
      query_wait_timeout: '60',
      server_lifetime: '3600',
      server_idle_timeout: '600',
      server_reset_query: 'DISCARD ALL',
      ignore_startup_parameters: 'extra_float_digits',
      tcp_keepalive: '1',
      logfile: '',
      pidfile: '',
    });
    expect(PGBOUNCER_DEFAULTS.port).toBe(6432);
  });

  test('no password and no auth_user/auth_query unless asked for', () => {
    expect(text).not.toMatch(/password/i);
    expect(s.has('auth_user')).toBe(false);
    expect(s.has('auth_query')).toBe(false);
  });

  test('auth_user gets the default lookup query; given settings are rendered as given', () => {
    const t = parsePgBouncerIni(renderPgBouncerIni({
      backendHost: '10.0.0.5',
      backendPort: 5433,
      port: 7432,
      listenAddr: '127.0.0.1',
      poolMode: 'session',
      maxClientConn: 500,
      defaultPoolSize: 10,
      reservePoolSize: 2,
      authType: 'md5',
      authFile: '/auth/u.txt',
      authUser: 'pgbouncer',
      unixSocketDir: '',
      adminUsers: ['admin'],
      statsUsers: ['exporter', 'ops'],
    }));
    const p = t.get('pgbouncer')!;
    expect(t.get('databases')!.get('*')).toBe('host=10.0.0.5 port=5433');
    expect(p.get('auth_user')).toBe('pgbouncer');
    expect(p.get('auth_query')).toBe('SELECT usename, passwd FROM pg_shadow WHERE usename=$1');
    expect([p.get('listen_port'), p.get('listen_addr'), p.get('pool_mode'), p.get('max_client_conn'), p.get('default_pool_size'), p.get('reserve_pool_size')])
      .toEqual(['7432', '127.0.0.1', 'session', '500', '10', '2']);
    expect([p.get('auth_type'), p.get('auth_file'), p.get('unix_socket_dir'), p.get('admin_users'), p.get('stats_users')])
      .toEqual(['md5', '/auth/u.txt', '', 'admin', 'exporter,ops']);
  });

  test('the settings map and the text agree, in order', () => {
    const m = pgBouncerSettings({ backendHost: HOST });
    expect([...s.keys()]).toEqual([...m.keys()]);
  });
});

describe('validatePgBouncerInput', () => {
  test('a valid input has no problems', () => {
    expect(validatePgBouncerInput({ backendHost: HOST })).toEqual([]);
  });

  test('every problem at once, in clear words', () => {
    const problems = validatePgBouncerInput({
      backendHost: 'bad host',
      backendPort: 0,
      port: 70000,
      poolMode: 'pooled' as any,
      maxClientConn: 10,
      defaultPoolSize: 20,
      reservePoolSize: -1,
      authType: 'trust' as any,
      authFile: 'userlist.txt',
      authQuery: 'SELECT 1',
      unixSocketDir: 'tmp',
      adminUsers: ['bad user'],
    });
    expect(problems.map(p => `${p.prop} (${JSON.stringify(p.value)}) ${p.why}`)).toEqual([
      'backendHost ("bad host") is not a host name or address',
      'backendPort (0) is not a port number',
      'port (70000) is not a port number',
      'poolMode ("pooled") is not a PgBouncer pool mode',
      'defaultPoolSize (20) exceeds maxClientConn (10): the pool could never fill',
      'reservePoolSize (-1) must be an integer >= 0',
      'authType ("trust") is not a password auth type',
      'authFile ("userlist.txt") is not an absolute path',
      'authQuery ("SELECT 1") is set without authUser, so PgBouncer would never run it',
      'authQuery ("SELECT 1") must be one line that takes the user name as $1',
      'unixSocketDir ("tmp") is not an absolute path',
      'adminUsers[0] ("bad user") is not a PostgreSQL user name',
    ]);
  });

  test('the renderer refuses an invalid input with the problems', () => {
    expect(() => renderPgBouncerIni({ backendHost: HOST, maxClientConn: 0 })).toThrow(
      'renderPgBouncerIni: maxClientConn (0) must be an integer >= 1; use e.g. 1000');
  });

  test('property: any valid sizes render and parse back exactly', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 50 }),
      fc.constantFrom('session', 'transaction', 'statement'), fc.integer({ min: 1, max: 65535 }),
      (maxClientConn, pool, reserve, poolMode, port) => {
        const defaultPoolSize = Math.min(pool, maxClientConn);
        const input = { backendHost: HOST, maxClientConn, defaultPoolSize, reservePoolSize: reserve, poolMode: poolMode as any, port };
        expect(validatePgBouncerInput(input)).toEqual([]);
        const p = parsePgBouncerIni(renderPgBouncerIni(input)).get('pgbouncer')!;
        expect([p.get('max_client_conn'), p.get('default_pool_size'), p.get('reserve_pool_size'), p.get('pool_mode'), p.get('listen_port')])
          .toEqual([String(maxClientConn), String(Math.min(pool, maxClientConn)), String(reserve), poolMode, String(port)]);
      }), { numRuns: 100 });
  });
});
