/**
 * pgbouncer.ini for a PgBouncer pooler in front of a PostgreSQL read-write endpoint, rendered by a
 * pure function from typed inputs. `PatroniCluster` (option `pooler`) ships the output in a
 * ConfigMap; the system test runs the real pgbouncer with the same output.
 *
 * - **Transaction pooling** by default: a server connection is held only for a transaction, so a
 *   few dozen PostgreSQL backends serve thousands of clients (session-level state such as
 *   `SET`, advisory locks or `LISTEN` needs `poolMode: 'session'`).
 * - **No password in the file**: `auth_file` points at a file mounted from a Secret (SCRAM
 *   secrets or md5 hashes, `"user" "secret"` per line); `auth_user` + `auth_query` optionally look
 *   the other users up in PostgreSQL.
 * - **Failover-aware timings**: `server_login_retry` 1 s (PgBouncer's 15 s default would add up to
 *   15 s to Patroni's 10-15 s failover before the pooler tries the new leader), clients wait up to
 *   `query_wait_timeout` 60 s for a server connection, so a failover is a pause, not an error.
 *
 * @see https://www.pgbouncer.org/config.html
 */
import { Problem } from '../core/errors';

/** Pooling modes (PgBouncer's `pool_mode`). */
export type PgBouncerPoolMode = 'session' | 'transaction' | 'statement';

/** The defaults, shared by the renderer and the construct. */
export const PGBOUNCER_DEFAULTS = {
  listenAddr: '0.0.0.0',
  port: 6432,
  poolMode: 'transaction' as PgBouncerPoolMode,
  maxClientConn: 1000,
  defaultPoolSize: 20,
  reservePoolSize: 0,
  authType: 'scram-sha-256' as 'scram-sha-256' | 'md5',
  authFile: '/etc/pgbouncer/auth/userlist.txt',
  authQuery: 'SELECT usename, passwd FROM pg_shadow WHERE usename=$1',
  unixSocketDir: '/tmp',
  serverLoginRetrySeconds: 1,
  queryWaitTimeoutSeconds: 60,
  serverLifetimeSeconds: 3600,
  serverIdleTimeoutSeconds: 600,
  ignoreStartupParameters: ['extra_float_digits'] as readonly string[],
} as const;

/**
 * PgBouncer's pool settings, the same for the renderer and for `PatroniCluster`'s pooler (where
 * each replica is one pooler process).
 */
export interface PgBouncerPoolOptions {
  /**
   * Pooling mode (pool_mode).
   * @default 'transaction'
   */
  readonly poolMode?: PgBouncerPoolMode;
  /**
   * Client connections accepted per pooler process (max_client_conn).
   * @default 1000
   */
  readonly maxClientConn?: number;
  /**
   * Server connections per user/database pair per pooler process (default_pool_size); in
   * `PatroniCluster`, replicas x (defaultPoolSize + reservePoolSize) must stay within 80% of
   * max_connections (the case study's pool alert).
   * @default 20
   */
  readonly defaultPoolSize?: number;
  /**
   * Extra server connections per pooler process for clients that waited `reserve_pool_timeout`
   * (5 s) (reserve_pool_size).
   * @default 0
   */
  readonly reservePoolSize?: number;
}

/** How PgBouncer looks up users that are not in its auth file (auth_user, auth_query). */
export interface PgBouncerAuthLookup {
  /**
   * A user (listed in the auth file) that runs `authQuery` to look the other users up.
   * @default - none: only users in the auth file can log in
   */
  readonly authUser?: string;
  /**
   * The lookup query (only with `authUser`).
   * @default 'SELECT usename, passwd FROM pg_shadow WHERE usename=$1' (needs a superuser; use a SECURITY DEFINER function otherwise)
   */
  readonly authQuery?: string;
}

/** Input of {@link renderPgBouncerIni}. */
export interface PgBouncerConfigInput extends PgBouncerPoolOptions, PgBouncerAuthLookup {
  /** Host of the PostgreSQL read-write endpoint (a Service name, or 127.0.0.1 in tests). */
  readonly backendHost: string;
  /**
   * Port of the read-write endpoint.
   * @default 5432
   */
  readonly backendPort?: number;
  /**
   * Address to listen on.
   * @default '0.0.0.0'
   */
  readonly listenAddr?: string;
  /**
   * Port to listen on.
   * @default 6432
   */
  readonly port?: number;
  /**
   * How clients authenticate.
   * @default 'scram-sha-256'
   */
  readonly authType?: 'scram-sha-256' | 'md5';
  /**
   * Path of the auth file (mounted from a Secret).
   * @default '/etc/pgbouncer/auth/userlist.txt'
   */
  readonly authFile?: string;
  /**
   * Directory of the Unix socket (for the admin console from inside the pod); `''` for none.
   * @default '/tmp'
   */
  readonly unixSocketDir?: string;
  /**
   * Users allowed on the admin console (`SHOW`, `PAUSE`, ...).
   * @default - none
   */
  readonly adminUsers?: readonly string[];
  /**
   * Users allowed read-only `SHOW` commands (metrics exporters).
   * @default - none
   */
  readonly statsUsers?: readonly string[];
}

const USER = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const HOST = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/;
const isPort = (v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;
const isInt = (v: unknown, min: number) => Number.isInteger(v) && (v as number) >= min;

/** Every problem of an input (prop names are those of {@link PgBouncerConfigInput}). */
export function validatePgBouncerInput(input: PgBouncerConfigInput): Problem[] {
  const out: Problem[] = [];
  const add = (prop: string, value: unknown, why: string, fix: string) => out.push({ prop, value, why, fix });
  const r = resolve(input);
  if (typeof r.backendHost !== 'string' || !HOST.test(r.backendHost)) add('backendHost', r.backendHost, 'is not a host name or address', 'use the read-write Service\'s name, e.g. "orders-db.orders.svc.cluster.local"');
  for (const k of ['backendPort', 'port'] as const) if (!isPort(r[k])) add(k, r[k], 'is not a port number', 'use an integer between 1 and 65535');
  if (!['session', 'transaction', 'statement'].includes(r.poolMode)) add('poolMode', r.poolMode, 'is not a PgBouncer pool mode', 'use "transaction" (or "session" for session state)');
  if (!isInt(r.maxClientConn, 1)) add('maxClientConn', r.maxClientConn, 'must be an integer >= 1', 'use e.g. 1000');
  if (!isInt(r.defaultPoolSize, 1)) {
    add('defaultPoolSize', r.defaultPoolSize, 'must be an integer >= 1', 'use e.g. 20');
  } else if (isInt(r.maxClientConn, 1) && r.defaultPoolSize > r.maxClientConn) {
    add('defaultPoolSize', r.defaultPoolSize, `exceeds maxClientConn (${r.maxClientConn}): the pool could never fill`, `use at most ${r.maxClientConn}`);
  }
  if (!isInt(r.reservePoolSize, 0)) add('reservePoolSize', r.reservePoolSize, 'must be an integer >= 0', 'use 0 (or a few connections)');
  if (!['scram-sha-256', 'md5'].includes(r.authType)) add('authType', r.authType, 'is not a password auth type', 'use "scram-sha-256" (or "md5" for old clients)');
  if (!/^\/[^\s]+$/.test(r.authFile)) add('authFile', r.authFile, 'is not an absolute path', 'mount the Secret and give the file\'s path, e.g. "/etc/pgbouncer/auth/userlist.txt"');
  if (input.authUser !== undefined && !USER.test(input.authUser)) add('authUser', input.authUser, 'is not a PostgreSQL user name', 'use a user listed in the auth file, e.g. "pgbouncer"');
  if (input.authQuery !== undefined && input.authUser === undefined) add('authQuery', input.authQuery, 'is set without authUser, so PgBouncer would never run it', 'give authUser too, or remove authQuery');
  if (input.authQuery !== undefined && (!input.authQuery.includes('$1') || /[\n\r]/.test(input.authQuery))) {
    add('authQuery', input.authQuery, 'must be one line that takes the user name as $1', 'use e.g. "SELECT usename, passwd FROM pg_shadow WHERE usename=$1"');
  }
  if (r.unixSocketDir !== '' && !/^\/[^\s]*$/.test(r.unixSocketDir)) add('unixSocketDir', r.unixSocketDir, 'is not an absolute path', 'use "/tmp" or "" for none');
  for (const k of ['adminUsers', 'statsUsers'] as const) {
    for (const [i, u] of (input[k] ?? []).entries()) if (!USER.test(u)) add(`${k}[${i}]`, u, 'is not a PostgreSQL user name', 'use letters, digits and "_"');
  }
  return out;
}

function resolve(input: PgBouncerConfigInput) {
  const d = PGBOUNCER_DEFAULTS;
  return {
    backendHost: input.backendHost,
    backendPort: input.backendPort ?? 5432,
    listenAddr: input.listenAddr ?? d.listenAddr,
    port: input.port ?? d.port,
    poolMode: input.poolMode ?? d.poolMode,
    maxClientConn: input.maxClientConn ?? d.maxClientConn,
    defaultPoolSize: input.defaultPoolSize ?? d.defaultPoolSize,
    reservePoolSize: input.reservePoolSize ?? d.reservePoolSize,
    authType: input.authType ?? d.authType,
    authFile: input.authFile ?? d.authFile,
    unixSocketDir: input.unixSocketDir ?? d.unixSocketDir,
  };
}

/** The settings of the `[pgbouncer]` section, in file order. */
export function pgBouncerSettings(input: PgBouncerConfigInput): Map<string, string | number> {
  const problems = validatePgBouncerInput(input);
  if (problems.length > 0) {
    throw new Error(`renderPgBouncerIni: ${problems.map(p => `${p.prop} (${JSON.stringify(p.value)}) ${p.why}; ${p.fix}`).join('\n')}`);
  }
  const r = resolve(input);
  const d = PGBOUNCER_DEFAULTS;
  const s = new Map<string, string | number>([
    ['listen_addr', r.listenAddr],
    ['listen_port', r.port],
    ['unix_socket_dir', r.unixSocketDir],
    ['auth_type', r.authType],
    ['auth_file', r.authFile],
  ]);
  if (input.authUser !== undefined) {
    s.set('auth_user', input.authUser);
    s.set('auth_query', input.authQuery ?? d.authQuery);
  }
  if (input.adminUsers?.length) s.set('admin_users', input.adminUsers.join(','));
  if (input.statsUsers?.length) s.set('stats_users', input.statsUsers.join(','));
  s.set('pool_mode', r.poolMode);
  s.set('max_client_conn', r.maxClientConn);
  s.set('default_pool_size', r.defaultPoolSize);
  s.set('reserve_pool_size', r.reservePoolSize);
  s.set('server_login_retry', d.serverLoginRetrySeconds);
  s.set('query_wait_timeout', d.queryWaitTimeoutSeconds);
  s.set('server_lifetime', d.serverLifetimeSeconds);
  s.set('server_idle_timeout', d.serverIdleTimeoutSeconds);
  // Session state is reset when a server connection changes hands in session mode (transaction
  // mode does not run it: clients must not rely on session state there).
  s.set('server_reset_query', 'DISCARD ALL');
  s.set('ignore_startup_parameters', d.ignoreStartupParameters.join(','));
  s.set('tcp_keepalive', 1);
  // Logs go to stderr (the container log); no pidfile (the process runs in the foreground).
  s.set('logfile', '');
  s.set('pidfile', '');
  return s;
}

/** Renders pgbouncer.ini. Throws on an invalid input (validate with {@link validatePgBouncerInput} first). */
export function renderPgBouncerIni(input: PgBouncerConfigInput): string {
  const settings = pgBouncerSettings(input);
  const r = resolve(input);
  const lines = [
    '; Rendered by @nines/constructs (renderPgBouncerIni); do not edit.',
    '[databases]',
    `* = host=${r.backendHost} port=${r.backendPort}`,
    '',
    '[pgbouncer]',
    ...[...settings].map(([k, v]) => `${k} = ${v}`),
    '',
  ];
  return lines.join('\n');
}

/** Parses an ini file into sections of settings (for tests and tools). */
export function parsePgBouncerIni(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      out.set(header[1], section);
      continue;
    }
    const eq = line.indexOf('=');
    if (section && eq > 0) section.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}
