/**
 * Process helpers shared by the system tests: the unprivileged daemon user, bounded waits and
 * free ports on 127.0.0.1. Each test keeps its own daemon start/stop code next to it.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';

/** The unprivileged user the daemons run as (created by scripts/install-system-deps.sh). */
export const DAEMON_USER = 'nines';

/** uid and gid of {@link DAEMON_USER}; throws a clear error when the setup is missing. */
export function daemonUserIds(): { readonly uid: number; readonly gid: number } {
  if (process.getuid?.() !== 0) {
    throw new Error(`the system tests need root to start daemons as '${DAEMON_USER}' (setpriv); run them as root`);
  }
  try {
    const uid = Number(execFileSync('id', ['-u', DAEMON_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', DAEMON_USER], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(`user '${DAEMON_USER}' is missing: run scripts/install-system-deps.sh first`);
  }
}

/** Thrown by a probe when waiting longer cannot help (a daemon died): {@link waitFor} rethrows it at once. */
export class WaitAborted extends Error {}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/**
 * Polls `probe` every `intervalMs` until it returns a value other than undefined; throws after
 * `timeoutMs` with what it was waiting for and the last error seen, or at once on {@link WaitAborted}.
 */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      if (e instanceof WaitAborted) throw e;
      lastError = ` (last error: ${(e as Error).message})`;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError}`);
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
