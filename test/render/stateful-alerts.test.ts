import { renderKafkaAlerts, renderPatroniAlerts, renderRedisAlerts } from '../../lib/render/stateful-alerts';

describe('stateful alert rules', () => {
  test('Patroni: the synchronous-standby alert only with synchronous mode, labels and runbook links', () => {
    const sync = renderPatroniAlerts({ name: 'db', namespace: 'orders', runbookBaseUrl: 'https://rb.example.com/', synchronousMode: true, synchronousModeStrict: true });
    expect(sync.name).toBe('orders-db.patroni');
    expect(sync.rules.map(r => (r as any).alert)).toEqual([
      'PatroniNoLeader', 'PostgresReplicationLagHigh', 'PatroniNoSynchronousStandby', 'PostgresConnectionsHigh', 'PostgresDiskFilling', 'PostgresDiskFullIn4h',
    ]);
    expect(sync.rules[0]).toMatchObject({
      for: '30s',
      labels: { severity: 'P0', namespace: 'orders', cluster: 'db' },
      annotations: { runbook_url: 'https://rb.example.com/orders-db-patroni-no-leader' },
    });
    expect((sync.rules[2] as any).annotations.description).toContain('writes are stalled');
    const async = renderPatroniAlerts({ name: 'db', namespace: 'orders', synchronousMode: false, synchronousModeStrict: false });
    expect(async.rules).toHaveLength(5);
    expect((async.rules[0] as any).annotations.runbook_url).toBeUndefined();
  });

  test('Kafka: selector by job, team and cluster labels', () => {
    const g = renderKafkaAlerts({ name: 'events', namespace: 'messaging', team: 'platform' });
    expect(g.name).toBe('kafka-messaging-events');
    expect(g.rules[0]).toMatchObject({
      alert: 'KafkaUnderReplicatedPartitions',
      expr: 'sum(kafka_server_replicamanager_underreplicatedpartitions{namespace="messaging",job="events"}) > 0',
      labels: { severity: 'P2', team: 'platform', kafka_cluster: 'events' },
    });
  });

  test('Redis: paging severity from the input, quorum and replica counts in the expressions', () => {
    const g = renderRedisAlerts({
      name: 'cache',
      namespace: 'catalog',
      redisService: 'cache-redis',
      sentinelService: 'cache-sentinel',
      pageSeverity: 'P2',
      replicas: 2,
      sentinels: 3,
      quorum: 2,
      masterName: 'mymaster',
      downAfterMilliseconds: 5000,
      failoverTimeoutMilliseconds: 10000,
      maxmemoryBytes: 1024,
      maxmemoryPolicy: 'allkeys-lru',
    });
    expect(g.rules.map(r => [(r as any).alert, r.labels])).toEqual([
      ['RedisMasterDown', { severity: 'P2' }], ['RedisSentinelQuorumLost', { severity: 'P2' }],
      ['RedisReplicationBroken', { severity: 'P2' }], ['RedisMemoryHigh', { severity: 'P3' }],
    ]);
    expect(g.rules[1].expr).toBe('(sum(redis_up{namespace="catalog",service="cache-sentinel"}) or vector(0)) < 2 '
      + 'or min(redis_sentinel_master_ckquorum_status{namespace="catalog",service="cache-sentinel",master_name="mymaster"}) == 0');
    expect((g.rules[0] as any).annotations.description).toContain('within 15 s');
  });
});
