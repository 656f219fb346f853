/** The stateful constructs' props resolvers, tested alone: pure, every problem at once, no throw. */
import { IN_REGION, NOWHERE, region } from './contexts';
import { resolveEtcdClusterProps } from '../../../lib/k8s/private/etcd-props';
import { resolveKafkaClusterProps } from '../../../lib/k8s/private/kafka-props';
import { resolvePatroniClusterProps } from '../../../lib/k8s/private/patroni-props';
import { resolveRedisSentinelProps } from '../../../lib/k8s/private/redis-props';

describe('resolveEtcdClusterProps', () => {
  test('defaults, hosts under the context cluster domain', () => {
    const r = resolveEtcdClusterProps('dcs', { namespace: 'orders' }, { ...IN_REGION, clusterDomain: 'example.internal' });
    expect(r.problems).toBeUndefined();
    expect(r.settings).toMatchObject({
      name: 'dcs', members: 3, zones: region.zones, storage: { size: '8Gi', storageClass: 'gp3-encrypted' }, headlessServiceName: 'dcs-peers',
    });
    expect(r.settings!.clientEndpoints[0]).toBe('dcs-0.dcs-peers.orders.svc.example.internal:2379');
  });

  test('every problem, in prop order, and no settings', () => {
    const r = resolveEtcdClusterProps('dcs', { namespace: 'Orders', members: 2, storage: { size: '1Ki' } }, NOWHERE);
    expect(r.settings).toBeUndefined();
    expect(r.problems!.map(p => p.prop)).toEqual(['namespace', 'members', 'zones', 'storage.size']);
  });
});

describe('resolvePatroniClusterProps', () => {
  const BASE = { namespace: 'orders', image: 'registry.example.com/patroni:3.0.4-pg15', credentials: { secretName: 'db' }, backup: false as const };

  test('defaults from the context: zones, Pod and API CIDRs, runbook base, hosts', () => {
    const r = resolvePatroniClusterProps('db', BASE, { ...IN_REGION, runbookBaseUrl: 'https://runbooks.example.com' });
    expect(r.settings).toMatchObject({
      zones: region.zones,
      podCidrs: ['10.10.0.0/16'],
      kubernetesApi: { cidrs: ['10.10.0.0/16'], port: 443 },
      runbookBaseUrl: 'https://runbooks.example.com',
      host: 'db.orders.svc.cluster.local',
      readOnlyHost: 'db-ro.orders.svc.cluster.local',
      storage: { size: '50Gi', storageClass: 'gp3-encrypted' },
    });
    expect(r.settings!.memberOptions(['e-0:2379']).dcs).toMatchObject({ kind: 'etcd3' });
  });

  test('outside a region: zones, Pod CIDRs and API endpoints are unknown, and a missing backup is named', () => {
    const r = resolvePatroniClusterProps('db', { ...BASE, backup: undefined as any }, NOWHERE);
    expect(r.problems!.map(p => p.prop)).toEqual(['zones', 'podCidrs', 'kubernetesApi', 'backup']);
  });

  test('pooler problems come with the cluster\'s', () => {
    const r = resolvePatroniClusterProps('db', { ...BASE, storage: { size: '512Mi' }, pooler: { replicas: 1 } }, IN_REGION);
    expect(r.problems!.map(p => `${p.prop} (${p.value})`)).toEqual(['storage.size (512Mi)', 'pooler.replicas (1)']);
  });
});

describe('resolveRedisSentinelProps', () => {
  test('defaults: Sentinel settings from the renderer, quorum a majority, maxmemory 75% of the limit', () => {
    const r = resolveRedisSentinelProps('cache', { namespace: 'catalog', passwordSecret: { name: 'redis' } }, IN_REGION);
    expect(r.settings).toMatchObject({
      name: 'cache',
      replicas: 2,
      sentinels: 3,
      quorum: 2,
      downAfterMilliseconds: 5000,
      maxmemoryBytes: Math.floor(2 * 2 ** 30 * 0.75),
      storage: { size: '10Gi' },
      sentinelStorage: { size: '1Gi' },
      zones: region.zones,
    });
    expect(r.settings!.storage.storageClass).toBe('gp3-encrypted');
  });

  test('a zone holding a majority of the Sentinels is a problem of its own', () => {
    const r = resolveRedisSentinelProps('cache', { namespace: 'catalog', passwordSecret: { name: 'redis' }, zones: ['a', 'b'] }, IN_REGION);
    expect(r.problems!.map(p => p.prop)).toEqual(['sentinels']);
    expect(r.problems![0].fix).toBe('spread over 3 or more zones, or run 4 sentinels');
  });
});

describe('resolveKafkaClusterProps', () => {
  test('defaults: brokers per zone, replication, a stable cluster id', () => {
    const r = resolveKafkaClusterProps('events', { namespace: 'messaging' }, IN_REGION);
    expect(r.settings).toMatchObject({
      brokers: 3,
      controllers: 3,
      brokersPerZone: { 'us-east-1a': 1, 'us-east-1b': 1, 'us-east-1c': 1 },
      defaultReplicationFactor: 3,
      minInsyncReplicas: 2,
      brokerStorage: { size: '100Gi' },
      controllerStorage: { size: '10Gi' },
    });
    expect(r.settings!.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(resolveKafkaClusterProps('events', { namespace: 'messaging' }, IN_REGION).settings!.clusterId).toBe(r.settings!.clusterId);
  });

  test('topic problems are named by index, with the cluster-wide ones', () => {
    const r = resolveKafkaClusterProps('events', {
      namespace: 'messaging', minInsyncReplicas: 3, topics: [{ name: 'a' }, { name: 'a', replicationFactor: 4 }],
    }, IN_REGION);
    expect(r.problems!.map(p => p.prop)).toEqual(['minInsyncReplicas', 'topics[1].name', 'topics[1].replicationFactor']);
  });
});
