/**
 * A real Redis Sentinel failover with exactly the configuration lib/render/redis.ts renders:
 * redis-server and redis-sentinel 7.0 (Debian) on 127.0.0.1, 1 master + 2 replicas + 3 Sentinels
 * (quorum 2, down-after 5000 ms, failover-timeout 10000 ms), run as the unprivileged user `nines`.
 *
 * Three times: a writer counts writes as confirmed only when `WAIT 1` reports a replica has them;
 * the master is killed with SIGKILL; we time how long until the master the Sentinels name
 * accepts writes, count confirmed writes missing on it, and restart the old master on its
 * rendered config to check that Sentinel turns it into a replica of the new master.
 */
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { waitFor } from './redis/processes';
import { ConfirmedWriter, HOST, Instance, LocalSentinelSet, MASTER_NAME, withClient } from './redis/sentinel-set';

const WORK_DIR = path.join(__dirname, '.work', `redis-${process.pid}`);
/** A test password in the Secret's allowed alphabet; the rendered texts must never contain it. */
const PASSWORD = `system-test-${process.pid}-${Date.now().toString(36)}`;
const KILLS = 3;
/** The case study's failover budget with down-after 5000 ms. */
const MAX_FAILOVER_SECONDS = 7;

interface Failover {
  readonly killed: string;
  readonly promoted: string;
  /** From SIGKILL until a Sentinel names another master. */
  readonly sentinelSwitchSeconds: number;
  /** From SIGKILL until that master accepts a write. */
  readonly writableSeconds: number;
  readonly confirmedSoFar: number;
  readonly lost: number;
  /** From the old master's restart until its ROLE shows a connected replica of the new master. */
  readonly rejoinSeconds: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const seconds = (since: number): number => (performance.now() - since) / 1000;

describe('RedisSentinel rendered configuration, on real redis-server and redis-sentinel', () => {
  let set: LocalSentinelSet | undefined;

  beforeAll(async () => {
    fs.rmSync(WORK_DIR, { recursive: true, force: true });
    set = await LocalSentinelSet.create(WORK_DIR, PASSWORD);
    await set.startAll();
  }, 90_000);

  afterAll(async () => {
    try {
      await set?.stopAll();
    } finally {
      fs.rmSync(WORK_DIR, { recursive: true, force: true });
    }
  }, 60_000);

  test('the rendered texts hold no password, and every daemon requires the one from the Secret file', async () => {
    const s = set!;
    expect(s.renderedTexts.length).toBe(2 * (s.redis.length + s.sentinels.length));
    for (const text of s.renderedTexts) expect(text).not.toContain(PASSWORD);
    for (const instance of [...s.redis, ...s.sentinels]) {
      await expect(withClient(instance.port, undefined, c => c.ping())).rejects.toThrow(/NOAUTH/);
      await expect(withClient(instance.port, undefined, c => c.auth('wrong-password-0000'))).rejects.toThrow(/WRONGPASS/);
      expect(await withClient(instance.port, undefined, c => c.auth(PASSWORD))).toBe('OK');
    }
    // the disabled commands are gone, the ones Sentinel needs are there
    const master = s.redis[0];
    await expect(s.redisCommand(master, 'FLUSHALL')).rejects.toThrow(/unknown command/);
    expect(await s.redisCommand(master, 'CONFIG', 'GET', 'min-replicas-to-write')).toEqual(['min-replicas-to-write', '1']);
  });

  test(`${KILLS} kills of the master: each failover within ${MAX_FAILOVER_SECONDS} s, no confirmed write lost, the old master rejoins as a replica`, async () => {
    const s = set!;
    const failovers: Failover[] = [];
    const confirmed: string[] = [];

    for (let kill = 1; kill <= KILLS; kill++) {
      const master = await s.waitUntilHealthy(60_000);
      const writer = new ConfirmedWriter(s, PASSWORD, `kill-${kill}`);
      let promoted: Instance;
      let sentinelSwitchSeconds = NaN;
      let writableSeconds: number;
      try {
        await waitFor('the writer to confirm 50 writes before the kill', 10_000,
          async () => writer.confirmed.length >= 50 ? true : undefined);

        const killedAt = performance.now();
        await master.daemon!.kill9();
        promoted = await waitFor(`a new master accepting writes after killing ${master.name}`, 30_000, async () => {
          const port = (await s.masterPortsFromSentinels()).find(p => p !== undefined && p !== master.port);
          if (port === undefined) return undefined;
          if (Number.isNaN(sentinelSwitchSeconds)) sentinelSwitchSeconds = seconds(killedAt);
          const candidate = s.redisAt(port);
          await s.redisCommand(candidate, 'SET', `probe:kill-${kill}`, 'written after the failover');
          return candidate;
        }, 50);
        writableSeconds = seconds(killedAt);

        const before = writer.confirmed.length;
        await waitFor(`the writer to confirm writes on ${promoted.name}`, 10_000,
          async () => writer.confirmed.length >= before + 20 ? true : undefined);
      } finally {
        await writer.stop();
      }
      confirmed.push(...writer.confirmed);
      const lost = await s.countMissing(promoted, confirmed);

      const restartedAt = performance.now();
      await s.startRedis(master);
      // Until Sentinel demotes it, the old master must not take writes a resync would discard:
      // as a master it has no replica (min-replicas-to-write 1), as a replica it is read-only.
      await expect(s.redisCommand(master, 'SET', `stale:kill-${kill}`, 'must be refused')).rejects.toThrow(/NOREPLICAS|READONLY/);
      await waitFor(`${master.name}, restarted on its rendered config, to become a replica of ${promoted.name}`, 60_000, async () => {
        const role = await s.redisCommand(master, 'ROLE') as unknown[];
        return role[0] === 'slave' && Number(role[2]) === promoted.port && role[3] === 'connected' ? true : undefined;
      }, 250);
      // Sentinel's CONFIG REWRITE reached the writable copy: a restart now keeps the new role
      expect(fs.readFileSync(path.join(master.root, 'redis.conf'), 'utf8')).toMatch(new RegExp(`^replicaof ${HOST} ${promoted.port}$`, 'm'));
      failovers.push({
        killed: master.name,
        promoted: promoted.name,
        sentinelSwitchSeconds,
        writableSeconds,
        confirmedSoFar: confirmed.length,
        lost,
        rejoinSeconds: seconds(restartedAt),
      });
    }

    const times = failovers.map(f => f.writableSeconds);
    const lost = failovers.reduce((sum, f) => sum + f.lost, 0);
    const fmt = (n: number): string => n.toFixed(1);
    console.log([
      `sentinel failover: median ${fmt(median(times))} s over ${KILLS} kills (${times.map(fmt).join(', ')}); confirmed writes lost: ${lost}`,
      ...failovers.map((f, i) => `  kill ${i + 1}: ${f.killed} -> ${f.promoted}: Sentinel named it after ${f.sentinelSwitchSeconds.toFixed(2)} s, `
        + `writable after ${f.writableSeconds.toFixed(2)} s; ${f.lost} of ${f.confirmedSoFar} confirmed writes missing; `
        + `old master a replica again ${f.rejoinSeconds.toFixed(1)} s after its restart`),
    ].join('\n'));

    expect(failovers).toHaveLength(KILLS);
    for (const f of failovers) {
      expect(f.lost).toBe(0);
      expect(f.writableSeconds).toBeLessThanOrEqual(MAX_FAILOVER_SECONDS);
    }
    // every kill promoted a different instance than the one killed, and the set is whole again
    expect(failovers.every(f => f.promoted !== f.killed)).toBe(true);
    const finalMaster = await s.waitUntilHealthy(60_000);
    // each Sentinel rewrote its writable copy to monitor the current master
    for (const sentinel of s.sentinels) {
      expect(fs.readFileSync(path.join(sentinel.root, 'sentinel.conf'), 'utf8'))
        .toMatch(new RegExp(`^sentinel monitor ${MASTER_NAME} ${HOST} ${finalMaster.port} 2$`, 'm'));
    }
  }, 170_000);
});
