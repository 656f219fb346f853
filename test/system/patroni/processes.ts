/**
 * Process helpers for the Patroni system test: start daemons as the unprivileged user, find and
 * kill them by PID (never by name), bounded waits, free ports on 127.0.0.1.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DAEMON_USER, daemonUserIds } from '../util/processes';

export { DAEMON_USER, WaitAborted, daemonUserIds, freePorts, sleep, waitFor } from '../util/processes';

/** A daemon this test started; `pid` is the daemon itself (`setpriv` execs it in place). */
export interface Daemon {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
}


/** Creates `dir` (mode 0700) owned by the daemon user; its parent must let the daemon user through. */
export function makeDaemonDir(dir: string): void {
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
  fs.mkdirSync(dir, { mode: 0o700 });
  const { uid, gid } = daemonUserIds();
  fs.chownSync(dir, uid, gid);
}

/**
 * Starts `command args` as {@link DAEMON_USER} through `setpriv`, which keeps the PID, with only
 * `env` in its environment; stdout and stderr go to `logFile`.
 */
export function startAsDaemonUser(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv, logFile: string): Daemon {
  const log = fs.openSync(logFile, 'a');
  const child = spawn('setpriv', ['--reuid', DAEMON_USER, '--regid', DAEMON_USER, '--init-groups', command, ...args], {
    env,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const exited = new Promise<number | string>(resolve => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { name, pid: child.pid, logFile, exited };
}

/** True while `pid` runs (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Sends `signal` to `pid`; false if it no longer exists. */
export function killPid(pid: number, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** PIDs whose parent is `pid` (a postmaster's backends, walsenders, checkpointer...). */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

/**
 * The postmaster of `dataDir` (first line of postmaster.pid), only if that process really is a
 * postgres running on this data directory.
 */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return isAlive(pid) && cmdline.includes(dataDir) ? pid : undefined;
  } catch {
    return undefined;
  }
}


