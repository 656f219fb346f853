/**
 * Process helpers for the Redis Sentinel system test: daemons run as the unprivileged user
 * `nines` through `setpriv`, which execs the daemon in place so the PID we hold is the daemon's
 * and a kill by PID reaches it directly.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';

/** The unprivileged user scripts/install-system-deps.sh creates for the daemons. */
export const DAEMON_USER = 'nines';

/** uid and gid of {@link DAEMON_USER}; throws a clear error when the setup is missing. */
export function daemonUser(): { readonly uid: number; readonly gid: number } {
  if (process.getuid?.() !== 0) {
    throw new Error(`the Redis system test needs root to start daemons as '${DAEMON_USER}' (setpriv); run it as root`);
  }
  try {
    const uid = Number(execFileSync('id', ['-u', DAEMON_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', DAEMON_USER], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(`user '${DAEMON_USER}' is missing: run scripts/install-system-deps.sh first`);
  }
}

/** The argument list that runs `command` as {@link DAEMON_USER} in the same process. */
function asDaemonUser(command: string, args: readonly string[]): string[] {
  return ['--reuid', DAEMON_USER, '--regid', DAEMON_USER, '--init-groups', command, ...args];
}

/** Runs a short command as {@link DAEMON_USER}; throws with its stderr when it fails. */
export function runAsDaemonUser(command: string, args: readonly string[], timeoutMs = 10_000): void {
  try {
    execFileSync('setpriv', asDaemonUser(command, args), { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`${command} ${args.join(' ')} failed as ${DAEMON_USER}: ${err.stderr?.toString().trim() || err.message}`);
  }
}

/** A long-running daemon started as {@link DAEMON_USER}, stdout and stderr appended to a log file. */
export class Daemon {
  /** Starts `command args` as {@link DAEMON_USER}. */
  public static start(name: string, command: string, args: readonly string[], logFile: string): Daemon {
    const log = fs.openSync(logFile, 'a');
    try {
      const child = spawn('setpriv', asDaemonUser(command, args), { stdio: ['ignore', log, log] });
      return new Daemon(name, child, logFile);
    } finally {
      fs.closeSync(log);
    }
  }

  /** Resolves when the process has exited. */
  public readonly exited: Promise<void>;
  private exitCode: number | null | undefined = undefined;

  private constructor(
    /** What the daemon is, e.g. `redis-0`, for messages. */
    public readonly name: string,
    private readonly child: ChildProcess,
    /** Where its output goes. */
    public readonly logFile: string,
  ) {
    if (child.pid === undefined) throw new Error(`${name}: setpriv did not start`);
    this.exited = new Promise(resolve => child.once('exit', code => {
      this.exitCode = code;
      resolve();
    }));
  }

  /** The daemon's PID (setpriv execs the daemon, so it is the same process). */
  public get pid(): number {
    return this.child.pid!;
  }

  public get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The last lines of the log, for error messages. */
  public logTail(lines = 15): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** kill -9 by PID; resolves once the process is gone. */
  public async kill9(): Promise<void> {
    if (!this.running) return;
    process.kill(this.pid, 'SIGKILL');
    await this.exited;
  }

  /** SIGTERM by PID, then SIGKILL if it has not exited after `graceMs`. */
  public async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    process.kill(this.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(true), graceMs); });
    const gone = await Promise.race([this.exited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (gone && this.running) await this.kill9();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/**
 * Polls `probe` every `intervalMs` until it returns a value other than `undefined` and returns
 * it; throws `timed out after <n> ms waiting for <what>` (with the last probe error) otherwise.
 */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await sleep(intervalMs);
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * `count` distinct TCP ports free on 127.0.0.1, below the kernel's ephemeral range (so a
 * client's outgoing connection cannot take the port of a killed daemon before its restart),
 * starting at a PID-derived offset so parallel runs rarely collide.
 */
export async function freePorts(count: number): Promise<number[]> {
  const ephemeralStart = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const first = 20_000 + (process.pid % 500) * 20;
  const ports: number[] = [];
  for (let port = first; ports.length < count; port++) {
    if (port >= ephemeralStart) throw new Error(`no ${count} free ports between ${first} and the ephemeral range (${ephemeralStart})`);
    if (await isFree(port)) ports.push(port);
  }
  return ports;
}
