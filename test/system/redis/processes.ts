/**
 * Process helpers for the Redis Sentinel system test: daemons run as the unprivileged user
 * `nines` through `setpriv`, which execs the daemon in place so the PID we hold is the daemon's
 * and a kill by PID reaches it directly.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import { DAEMON_USER } from '../util/processes';

export { DAEMON_USER, daemonUserIds as daemonUser, freePorts, sleep, waitFor } from '../util/processes';


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


