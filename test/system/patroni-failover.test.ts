/**
 * System test: the rendered patroni.yml and etcd flags run the real daemons (Patroni 3.0,
 * PostgreSQL 15, etcd 3.4 from Debian; scripts/install-system-deps.sh), and a hard kill of the
 * leader fails over within the case study's 15 s without losing an acknowledged write.
 *
 * Run: npx jest --runInBand --testPathIgnorePatterns '/node_modules/' --testTimeout 600000 test/system/patroni
 */
import * as path from 'path';
import { performance } from 'perf_hooks';
import { parse } from 'yaml';
import { PatroniTestCluster } from './patroni/cluster';
import { waitFor } from './patroni/processes';
import { Ack, ContinuousWriter, PROBE_TABLE } from './patroni/writer';
import { renderPatroniConfig } from '../../lib/render/patroni';

const KILLS = 3;
const FAILOVER_LIMIT_SECONDS = 15;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

describe('PatroniCluster rendered configuration on real Patroni, PostgreSQL and etcd', () => {
  const workDir = path.join(__dirname, '.work', `patroni-${process.pid}`);
  const startedAt = performance.now();
  let cluster: PatroniTestCluster | undefined;
  let writer: ContinuousWriter | undefined;

  beforeAll(async () => {
    cluster = await PatroniTestCluster.create(workDir);
    await cluster.startEtcd();
  }, 60_000);

  afterAll(async () => {
    await writer?.stop();
    const survivors = await cluster?.destroy();
    console.log(`patroni system test: ${((performance.now() - startedAt) / 1000).toFixed(1)} s in total`);
    expect(survivors).toEqual([]);
  }, 60_000);

  test("Patroni's own validator accepts the rendered files but for the test's loopback addresses", () => {
    const loopbackOnly = 'must not contain "127.0.0.1", "0.0.0.0", "*", "::1", "localhost"';
    for (const member of cluster!.members) {
      expect(cluster!.patroniValidatorComplaints(member.name).sort()).toEqual([
        `postgresql.connect_address 127.0.0.1:${member.pgPort} didn't pass validation: '${loopbackOnly}'`,
        `restapi.connect_address 127.0.0.1:${member.restPort} didn't pass validation: '${loopbackOnly}'`,
      ]);
    }
  });

  test('bootstraps a leader with synchronous standbys from the rendered files', async () => {
    for (const member of cluster!.members) cluster!.startPatroni(member.name);
    const healthy = await cluster!.waitHealthy('a leader and streaming synchronous standbys after bootstrap', 120_000);
    // The case study's "2 synchronous replicas": every standby is synchronous.
    const standbys = cluster!.members.map(m => m.name).filter(name => name !== healthy.leader);
    expect([...healthy.syncStandbys].sort()).toEqual(standbys);
    for (const member of cluster!.members) {
      // Each daemon runs on exactly the renderer's output.
      expect(cluster!.configFileOf(member.name)).toBe(renderPatroniConfig(cluster!.patroniOptions(member.name)));
      expect(parse(cluster!.configFileOf(member.name)).postgresql.authentication.superuser).toEqual({ username: 'postgres' });
    }
    const [settings] = await cluster!.query<{ checksums: string; hints: string; commit: string; standbys: string }>(healthy.leader,
      "SELECT current_setting('data_checksums') AS checksums, current_setting('wal_log_hints') AS hints,"
      + " current_setting('synchronous_commit') AS commit, current_setting('synchronous_standby_names') AS standbys");
    expect(settings).toMatchObject({ checksums: 'on', hints: 'on', commit: 'on' });
    // synchronous_standby_names is `2 ("a","b")`, in either order.
    const [count, names] = /^(\d+) \((.*)\)$/.exec(settings.standbys)!.slice(1);
    expect([Number(count), names.split(',').map(name => name.replace(/"/g, '')).sort()]).toEqual([2, standbys]);
  });

  test(`fails over within ${FAILOVER_LIMIT_SECONDS} s of a kill -9 of the leader, ${KILLS} times, losing no acknowledged write`, async () => {
    const c = cluster!;
    const { leader: first } = await c.waitHealthy('a healthy cluster', 60_000);
    await c.query(first, `CREATE TABLE ${PROBE_TABLE} (seq bigint PRIMARY KEY, member text NOT NULL, at timestamptz NOT NULL DEFAULT now())`);
    writer = new ContinuousWriter(() => c.leader(), c.superuserPassword);
    writer.start();
    const acks = writer.acks;

    const failovers: number[] = [];
    const lost: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      const { leader } = await c.waitHealthy(`a healthy cluster before kill ${kill}`, 90_000);
      const before = acks.length;
      await waitFor(`20 acknowledged writes on ${leader} before kill ${kill}`, 20_000,
        async () => (acks.slice(before).filter(a => a.member === leader).length >= 20 ? true : undefined), 50);

      const killedAt = c.killMember(leader);
      const firstOnNewLeader = await waitFor<Ack>(`an acknowledged write on a new leader after killing ${leader}`, 60_000,
        async () => acks.find(a => a.at > killedAt && a.member !== leader), 50);
      failovers.push((firstOnNewLeader.at - killedAt) / 1000);

      const acknowledged = acks.map(a => a.seq);
      const [{ found }] = await c.query<{ found: number }>(firstOnNewLeader.member,
        `SELECT count(*)::int AS found FROM ${PROBE_TABLE} WHERE seq = ANY($1::bigint[])`, [acknowledged]);
      lost.push(acknowledged.length - found);
      console.log(`patroni kill ${kill}: ${leader} killed, ${firstOnNewLeader.member} acknowledged a write after `
        + `${failovers[kill - 1].toFixed(1)} s; ${lost[kill - 1]} of ${acknowledged.length} acknowledged rows missing`);

      // The killed member comes back on the same rendered configuration and rejoins as a replica.
      c.startPatroni(leader);
      await waitFor(`${leader} to rejoin as a streaming replica`, 120_000, async () => {
        const own = await c.memberStatus(leader);
        const role = (await c.clusterMembers())?.find(m => m.name === leader)?.role;
        const [{ streaming }] = await c.query<{ streaming: number }>(firstOnNewLeader.member,
          "SELECT count(*)::int AS streaming FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'", [leader]);
        return own.role === 'replica' && own.state === 'running' && (role === 'replica' || role === 'sync_standby') && streaming === 1
          ? true : undefined;
      }, 500);
    }

    await writer.stop();
    const final = await c.leader();
    const everySeq = acks.map(a => a.seq);
    const [{ found: foundAtEnd }] = await c.query<{ found: number }>(final!.name,
      `SELECT count(*)::int AS found FROM ${PROBE_TABLE} WHERE seq = ANY($1::bigint[])`, [everySeq]);
    const lostAtEnd = everySeq.length - foundAtEnd;

    console.log(`patroni failover: median ${median(failovers).toFixed(1)} s over ${KILLS} kills `
      + `(${failovers.map(s => s.toFixed(1)).join(', ')}); acknowledged rows lost: ${lostAtEnd} of ${everySeq.length}`);
    expect(lost).toEqual(Array(KILLS).fill(0));
    expect(lostAtEnd).toBe(0);
    for (const seconds of failovers) expect(seconds).toBeLessThan(FAILOVER_LIMIT_SECONDS);
  });
});
