/**
 * A client committing one row per transaction to whichever member the Patroni REST API names
 * leader, recording every acknowledged commit; on any error it drops the connection and looks for
 * the leader again (what an application behind a leader-following Service does).
 */
import { performance } from 'perf_hooks';
import { Client } from 'pg';
import { PostgresEndpoint } from './cluster';
import { sleep } from './processes';

/** One acknowledged commit. */
export interface Ack {
  readonly seq: number;
  /** The member that acknowledged it. */
  readonly member: string;
  /** `performance.now()` when the acknowledgement arrived. */
  readonly at: number;
}

export const PROBE_TABLE = 'failover_probe';

export class ContinuousWriter {
  public readonly acks: Ack[] = [];
  private nextSeq = 1;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly findLeader: () => Promise<PostgresEndpoint | undefined>,
    private readonly password: string,
  ) {}

  public start(): void {
    this.loop = this.run();
  }

  public async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    let connection: { client: Client; member: string } | undefined;
    while (!this.stopped) {
      if (!connection) {
        connection = await this.connectToLeader();
        if (!connection) {
          await sleep(100);
          continue;
        }
      }
      const seq = this.nextSeq++;
      try {
        await connection.client.query(`INSERT INTO ${PROBE_TABLE} (seq, member) VALUES ($1, $2)`, [seq, connection.member]);
        this.acks.push({ seq, member: connection.member, at: performance.now() });
        await sleep(5);
      } catch {
        // Not acknowledged: it may or may not have committed. Find the leader again.
        void connection.client.end().catch(() => undefined);
        connection = undefined;
      }
    }
    if (connection) await connection.client.end().catch(() => undefined);
  }

  private async connectToLeader(): Promise<{ client: Client; member: string } | undefined> {
    const leader = await this.findLeader().catch(() => undefined);
    if (!leader) return undefined;
    const client = new Client({
      host: '127.0.0.1',
      port: leader.port,
      user: 'postgres',
      password: this.password,
      database: 'postgres',
      connectionTimeoutMillis: 1000,
      query_timeout: 5000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query('SELECT pg_is_in_recovery() AS standby');
      if (rows[0].standby) throw new Error(`${leader.name} is not promoted yet`);
      return { client, member: leader.name };
    } catch {
      void client.end().catch(() => undefined);
      return undefined;
    }
  }
}
