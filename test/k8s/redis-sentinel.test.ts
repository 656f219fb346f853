import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { errorOf, find, regionChart, synth, withoutClusterObjects, ownSuppressions } from './helpers';
import { build as buildCacheExample } from '../../examples/cache';
import { Checks, Criticality, DependencyKind, ResilientService, ValidationError } from '../../lib';
import { RedisSentinel, RedisSentinelProps } from '../../lib/k8s/redis-sentinel';
import { expectValidManifests } from '../util/schema';

const BASE: RedisSentinelProps = { namespace: 'catalog', passwordSecret: { name: 'cache-password' } };
const HOST0 = 'cache-redis-0.cache-redis.catalog.svc.cluster.local';

function build(props: Partial<RedisSentinelProps> = {}) {
  const { app, chart } = regionChart();
  const cache = new RedisSentinel(chart, 'cache', { ...BASE, ...props });
  return { app, chart, cache };
}

/** Directive lines of a rendered config. */
function directives(conf: string): string[] {
  return conf.split('\n').filter(l => l !== '' && !l.startsWith('#'));
}

function container(sts: any, name: string): any {
  return sts.spec.template.spec.containers.find((c: any) => c.name === name);
}

describe('RedisSentinel defaults', () => {
  const { app, chart, cache } = build();
  const objs = synth(chart);
  const redis = find(objs, 'StatefulSet', 'cache-redis');
  const sentinel = find(objs, 'StatefulSet', 'cache-sentinel');
  const redisConfig = find(objs, 'ConfigMap', 'cache-redis-config');
  const sentinelConfig = find(objs, 'ConfigMap', 'cache-sentinel-config');

  test('zero check findings; every object validates against its schema', () => {
    expect(Checks.of(app).lastReport!.findings).toEqual([]);
    expect(ownSuppressions(Checks.of(app).lastReport)).toEqual([]);
    expectValidManifests(objs);
    expect(objs.map(o => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/cache-redis-config', 'ConfigMap/cache-sentinel-config',
      'NetworkPolicy/cache-redis', 'NetworkPolicy/cache-sentinel',
      'PodDisruptionBudget/cache-redis', 'PodDisruptionBudget/cache-sentinel',
      'PrometheusRule/cache', 'Service/cache-redis', 'Service/cache-sentinel', 'ServiceAccount/cache', 'ServiceMonitor/cache',
      'StatefulSet/cache-redis', 'StatefulSet/cache-sentinel',
    ]);
  });

  test('fields: the case study settings, resolved once', () => {
    expect(cache).toMatchObject({
      name: 'cache',
      namespace: 'catalog',
      team: 'catalog',
      tier: Criticality.HIGH,
      image: 'redis:7.2.5',
      exporterImage: 'oliver006/redis_exporter:v1.62.0-alpine',
      replicas: 2,
      redisPods: 3,
      sentinels: 3,
      quorum: 2,
      masterName: 'mymaster',
      downAfterMilliseconds: 5000,
      failoverTimeoutMilliseconds: 10000,
      parallelSyncs: 1,
      minReplicasToWrite: 1,
      minReplicasMaxLagSeconds: 10,
      maxmemoryPolicy: 'allkeys-lru',
      maxmemoryPercent: 75,
      maxmemoryBytes: 1610612736,
      zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      storage: { size: '10Gi', storageClass: 'gp3-encrypted' },
      sentinelStorage: { size: '1Gi', storageClass: 'gp3-encrypted' },
      identity: { user: 10001, group: 10001, fsGroup: 10001 },
      passwordSecret: { name: 'cache-password', key: 'password' },
      priorityClassName: 'nines-high',
      redisMaxUnavailable: 1,
      sentinelMaxUnavailable: 1,
      redisHost: 'cache-redis.catalog.svc.cluster.local',
      sentinelHost: 'cache-sentinel.catalog.svc.cluster.local',
    });
    expect(cache.redisHosts).toEqual([0, 1, 2].map(i => `cache-redis-${i}.cache-redis.catalog.svc.cluster.local`));
    expect(cache.sentinelHosts).toEqual([0, 1, 2].map(i => `cache-sentinel-${i}.cache-sentinel.catalog.svc.cluster.local`));
    expect(cache.resources).toEqual({
      cpuRequest: '500m', cpuLimit: '1000m', memoryRequest: '2Gi', memoryLimit: '2Gi', ephemeralRequest: '256Mi', ephemeralLimit: '1Gi',
    });
    expect(cache.sentinelResources).toEqual({
      cpuRequest: '100m', cpuLimit: '250m', memoryRequest: '64Mi', memoryLimit: '128Mi', ephemeralRequest: '64Mi', ephemeralLimit: '256Mi',
    });
    expect(cache.node.defaultChild).toBe(cache.redisStatefulSet);
  });

  test('StatefulSets: 1 master + 2 replicas and 3 Sentinels, zone spread, Parallel, retained PVCs', () => {
    for (const [sts, n, selectorName, size] of [[redis, 3, 'cache-redis', '10Gi'], [sentinel, 3, 'cache-sentinel', '1Gi']] as const) {
      expect(sts.spec.replicas).toBe(n);
      expect(sts.spec.serviceName).toBe(selectorName);
      expect(sts.spec.podManagementPolicy).toBe('Parallel');
      expect(sts.spec.minReadySeconds).toBe(10);
      expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
      expect(sts.spec.volumeClaimTemplates).toEqual([{
        metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'gp3-encrypted', resources: { requests: { storage: size } } },
      }]);
      const selector = { 'app.kubernetes.io/name': selectorName, 'app.kubernetes.io/instance': 'cache-catalog' };
      expect(sts.spec.selector).toEqual({ matchLabels: selector });
      const spread = sts.spec.template.spec.topologySpreadConstraints;
      expect(spread[0]).toEqual({
        labelSelector: { matchLabels: selector },
        nodeAffinityPolicy: 'Honor',
        nodeTaintsPolicy: 'Honor',
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
      });
      expect(spread[1].whenUnsatisfiable).toBe('ScheduleAnyway');
      const pod = sts.spec.template.spec;
      expect(pod).toMatchObject({
        serviceAccountName: 'cache',
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        priorityClassName: 'nines-high',
        securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      });
      for (const c of [...pod.initContainers, ...pod.containers]) {
        expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      }
      expect(sts.spec.template.metadata.annotations['nines.dev/config-hash']).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(redis.spec.template.spec.terminationGracePeriodSeconds).toBe(60);
    expect(sentinel.spec.template.spec.terminationGracePeriodSeconds).toBe(30);
  });

  test('the rendered configs, one per pod, announce pod DNS names; the case study Sentinel settings; no password anywhere', () => {
    expect(Object.keys(redisConfig.data).sort()).toEqual(['cache-redis-0.conf', 'cache-redis-1.conf', 'cache-redis-2.conf', 'prestop-redis.sh', 'redis-auth.sh', 'start-redis.sh']);
    const r0 = directives(redisConfig.data['cache-redis-0.conf']);
    const r2 = directives(redisConfig.data['cache-redis-2.conf']);
    expect(r0).not.toContainEqual(expect.stringMatching(/^replicaof/));
    expect(r2).toEqual(expect.arrayContaining([
      `replicaof ${HOST0} 6379`, 'replica-announce-ip cache-redis-2.cache-redis.catalog.svc.cluster.local',
      'dir /data', 'appendonly yes', 'appendfsync everysec', 'maxmemory 1610612736', 'maxmemory-policy allkeys-lru',
      'min-replicas-to-write 1', 'min-replicas-max-lag 10',
    ]));
    expect(r2[r2.length - 1]).toBe('include /run/redis/auth.conf');

    expect(Object.keys(sentinelConfig.data).sort()).toEqual(['cache-sentinel-0.conf', 'cache-sentinel-1.conf', 'cache-sentinel-2.conf', 'sentinel-auth.sh', 'start-sentinel.sh']);
    const s1 = directives(sentinelConfig.data['cache-sentinel-1.conf']);
    expect(s1).toEqual(expect.arrayContaining([
      'dir /sentinel',
      'sentinel resolve-hostnames yes', 'sentinel announce-hostnames yes',
      'sentinel announce-ip cache-sentinel-1.cache-sentinel.catalog.svc.cluster.local',
      `sentinel monitor mymaster ${HOST0} 6379 2`,
      'sentinel down-after-milliseconds mymaster 5000', 'sentinel failover-timeout mymaster 10000', 'sentinel parallel-syncs mymaster 1',
    ]));
    // Fixed, distinct Sentinel IDs.
    const ids = [0, 1, 2].map(i => directives(sentinelConfig.data[`cache-sentinel-${i}.conf`]).find(l => l.startsWith('sentinel myid '))!);
    expect(new Set(ids).size).toBe(3);
    ids.forEach(l => expect(l).toMatch(/^sentinel myid [0-9a-f]{40}$/));

    // No config directive carries a password: only the start-written include does.
    const confs = [redisConfig, sentinelConfig].flatMap(c => Object.entries(c.data).filter(([k]) => k.endsWith('.conf')).map(([, v]) => v as string));
    expect(confs).toHaveLength(6);
    for (const conf of confs) expect(directives(conf).filter(l => /requirepass|masterauth|auth-pass/.test(l))).toEqual([]);
    expect(objs.filter(o => o.kind === 'Secret')).toEqual([]);
    const envs = [redis, sentinel].flatMap(s => s.spec.template.spec.containers.flatMap((c: any) => c.env ?? []));
    expect(envs.filter((e: any) => /PASSWORD/.test(e.name)).every((e: any) => e.value === undefined && e.valueFrom.secretKeyRef)).toBe(true);
    const secretRefs = [redis, sentinel].flatMap(s => s.spec.template.spec.volumes.filter((v: any) => v.secret));
    expect(secretRefs).toEqual([0, 1].map(() => ({
      name: 'secret', secret: { secretName: 'cache-password', items: [{ key: 'password', path: 'password' }], defaultMode: 0o440 },
    })));
    expect(container(redis, 'exporter').env[1]).toEqual({ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'cache-password', key: 'password' } } });
  });

  test('configs are copied at start into writable volumes; the Sentinel copy lives on its PVC and is kept', () => {
    const rInit = redis.spec.template.spec.initContainers[0];
    expect(rInit.command[2]).toBe('set -eu; umask 077; cp "/etc/redis-rendered/$POD_NAME.conf" /run/redis/redis.conf; sh /etc/redis-rendered/redis-auth.sh');
    expect(rInit.env).toEqual([{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]);
    const sInit = sentinel.spec.template.spec.initContainers[0];
    expect(sInit.command[2]).toContain('if [ ! -s /sentinel/sentinel.conf ]; then cp "/etc/redis-rendered/$POD_NAME.conf" /sentinel/sentinel.conf.new;');
    expect(container(sentinel, 'sentinel').volumeMounts).toContainEqual({ name: 'data', mountPath: '/sentinel' });
    expect(container(redis, 'redis').volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(redis.spec.template.spec.volumes).toContainEqual({ name: 'run', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } });
    expect(container(redis, 'redis').command).toEqual(['/bin/sh', '/etc/redis-rendered/start-redis.sh']);
    expect(container(sentinel, 'sentinel').command).toEqual(['/bin/sh', '/etc/redis-rendered/start-sentinel.sh']);
    expect(sentinelConfig.data['start-sentinel.sh']).toContain('exec redis-server /sentinel/sentinel.conf --sentinel');
    expect(redisConfig.data['start-redis.sh']).toContain('exec redis-server /run/redis/redis.conf');
  });

  test('probes, preStop hand-over and the exporter sidecar', () => {
    const r = container(redis, 'redis');
    expect(r.startupProbe).toMatchObject({ periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 60 });
    expect(r.livenessProbe).toMatchObject({ periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 });
    expect(r.readinessProbe).toMatchObject({ periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 });
    expect(r.readinessProbe.exec.command[2]).toContain('role:master|master_link_status:up');
    expect(r.lifecycle).toEqual({ preStop: { exec: { command: ['/bin/sh', '/etc/redis-rendered/prestop-redis.sh'] } } });
    expect(redisConfig.data['prestop-redis.sh']).toContain('sentinel failover mymaster');
    const s = container(sentinel, 'sentinel');
    expect(s.readinessProbe.exec.command[2]).toContain('sentinel ckquorum mymaster');
    expect(s.livenessProbe.exec.command[2]).toContain('ping');
    for (const sts of [redis, sentinel]) {
      const e = container(sts, 'exporter');
      expect(e.image).toBe('oliver006/redis_exporter:v1.62.0-alpine');
      expect(e.ports).toEqual([{ name: 'metrics', containerPort: 9121, protocol: 'TCP' }]);
      expect(e.readinessProbe.httpGet).toEqual({ path: '/health', port: 'metrics', scheme: 'HTTP' });
    }
    expect(container(redis, 'exporter').env[0]).toEqual({ name: 'REDIS_ADDR', value: 'redis://localhost:6379' });
    expect(container(sentinel, 'exporter').env[0]).toEqual({ name: 'REDIS_ADDR', value: 'redis://localhost:26379' });
  });

  test('headless Services publish not-ready addresses; PDBs permit a drain', () => {
    const svc = find(objs, 'Service', 'cache-redis');
    expect(svc.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(svc.spec.ports.map((p: any) => [p.name, p.port])).toEqual([['tcp-redis', 6379], ['metrics', 9121]]);
    expect(find(objs, 'Service', 'cache-sentinel').spec.ports.map((p: any) => [p.name, p.port])).toEqual([['tcp-sentinel', 26379], ['metrics', 9121]]);
    expect(find(objs, 'PodDisruptionBudget', 'cache-redis').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'cache-redis', 'app.kubernetes.io/instance': 'cache-catalog' } },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
    expect(find(objs, 'PodDisruptionBudget', 'cache-sentinel').spec.maxUnavailable).toBe(1);
  });

  test('ServiceMonitor scrapes both halves; alerts for master down, quorum, replication, memory', () => {
    const sm = find(objs, 'ServiceMonitor', 'cache');
    expect(sm.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/instance': 'cache-catalog', 'app.kubernetes.io/part-of': 'cache' } });
    expect(sm.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '10s' }]);
    const rules = find(objs, 'PrometheusRule', 'cache').spec.groups[0].rules;
    expect(rules.map((r: any) => [r.alert, r.for, r.labels.severity])).toEqual([
      ['RedisMasterDown', '30s', 'P1'], ['RedisSentinelQuorumLost', '1m', 'P1'],
      ['RedisReplicationBroken', '2m', 'P2'], ['RedisMemoryHigh', '5m', 'P3'],
    ]);
    expect(rules[0].expr).toBe('(count(redis_instance_info{namespace="catalog",service="cache-redis",role="master"} '
      + 'and on (pod) redis_up{namespace="catalog",service="cache-redis"} == 1) or vector(0)) < 1');
    expect(rules[1].expr).toBe('(sum(redis_up{namespace="catalog",service="cache-sentinel"}) or vector(0)) < 2 '
      + 'or min(redis_sentinel_master_ckquorum_status{namespace="catalog",service="cache-sentinel",master_name="mymaster"}) == 0');
    expect(rules[2].expr).toBe('min(redis_master_link_up{namespace="catalog",service="cache-redis"}) == 0 '
      + 'or (sum(redis_connected_slaves{namespace="catalog",service="cache-redis"}) or vector(0)) < 2');
    expect(rules[3].expr).toBe('max by (pod) (redis_memory_used_bytes{namespace="catalog",service="cache-redis"} '
      + '/ (redis_memory_max_bytes{namespace="catalog",service="cache-redis"} > 0)) > 0.8');
  });

  test('dependency facts: a cache with automatic failover', () => {
    expect(cache.dependencyFacts).toEqual({ id: 'catalog/cache', kind: DependencyKind.CACHE, tier: Criticality.HIGH, replicas: 3, zones: 3, automaticFailover: true });
    expect(cache.meshHosts()).toEqual(['catalog/cache-redis.catalog.svc.cluster.local', 'catalog/cache-sentinel.catalog.svc.cluster.local']);
  });
});

describe('RedisSentinel as a dependency', () => {
  const { app, chart } = regionChart();
  const cache = new RedisSentinel(chart, 'cache', BASE);
  const product = new ResilientService(chart, 'product-service', { image: 'r/product:1.0.0', tier: Criticality.HIGH, namespace: 'catalog' });
  const order = new ResilientService(chart, 'order-service', { image: 'r/order:1.0.0', tier: Criticality.CRITICAL, namespace: 'orders' });
  new ResilientService(chart, 'bystander', { image: 'r/bystander:1.0.0', tier: Criticality.LOW, namespace: 'catalog' });
  product.dependOn(cache);
  order.dependOn(cache, { fallback: true });
  const objs = synth(chart);
  const np = (name: string) => find(objs, 'NetworkPolicy', name).spec;
  const peer = (ns: string, name: string) => ({
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
    podSelector: { matchLabels: { 'app.kubernetes.io/instance': `${name}-${ns}` } },
  });
  const member = (name: string) => ({
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'catalog' } },
    podSelector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'cache-catalog' } },
  });

  test('zero findings with callers', () => {
    expect(Checks.of(app).lastReport!.findings).toEqual([]);
    expectValidManifests(objs);
  });

  test('dependOn gives the caller egress to Redis 6379 and the Sentinels 26379, and mesh hosts', () => {
    const egress = np('product-service').egress.slice(2);
    expect(egress).toEqual([
      { to: [member('cache-redis')], ports: [{ port: 6379, protocol: 'TCP' }] },
      { to: [member('cache-sentinel')], ports: [{ port: 26379, protocol: 'TCP' }] },
    ]);
    const sidecar = find(objs, 'Sidecar', 'order-service');
    expect(sidecar.spec.egress[0].hosts).toEqual(expect.arrayContaining(cache.meshHosts()));
  });

  test('the cache admits exactly its callers, its members and monitoring', () => {
    const ingress = (port: number, metricsFrom = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }) => [
      { from: [peer('catalog', 'product-service')], ports: [{ port, protocol: 'TCP' }] },
      { from: [peer('orders', 'order-service')], ports: [{ port, protocol: 'TCP' }] },
      { from: [member('cache-redis')], ports: [{ port, protocol: 'TCP' }] },
      { from: [member('cache-sentinel')], ports: [{ port, protocol: 'TCP' }] },
      { from: [metricsFrom], ports: [{ port: 9121, protocol: 'TCP' }] },
    ];
    expect(np('cache-redis').ingress).toEqual(ingress(6379));
    expect(np('cache-sentinel').ingress).toEqual(ingress(26379));
    expect(np('cache-redis').policyTypes).toEqual(['Ingress', 'Egress']);
    for (const name of ['cache-redis', 'cache-sentinel']) {
      expect(np(name).egress.slice(2)).toEqual([
        { to: [member('cache-redis')], ports: [{ port: 6379, protocol: 'TCP' }] },
        { to: [member('cache-sentinel')], ports: [{ port: 26379, protocol: 'TCP' }] },
      ]);
    }
    expect(JSON.stringify(np('cache-redis'))).not.toContain('bystander');
  });
});

describe('RedisSentinel invariants', () => {
  test('every topology problem at once, with the exact text; the tree is left as it was', () => {
    const { chart } = regionChart();
    const err = errorOf(() => new RedisSentinel(chart, 'cache', { ...BASE, replicas: 0, sentinels: 2, zones: ['us-east-1a'] }));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe([
      "RedisSentinel 'test/cache': 3 problems:",
      ' - replicas (0) must be an integer >= 1: without a replica Sentinel has nothing to promote; use 2 replicas (1 master + 2 replicas, as in the case study)',
      ' - sentinels (2) must be an integer >= 3: fewer Sentinels cannot keep a majority when one fails; run 3 Sentinels (5 to survive two failures)',
      ' - zones (["us-east-1a"]) must list at least 2 distinct zones, or one zone outage takes the master and every replica down; '
        + 'spread over 2 or more zones (the case study uses 3 per region)',
    ].join('\n'));
    expect(chart.node.children).toHaveLength(0);
  });

  test('quorum: a majority, and below the number of Sentinels', () => {
    const { chart } = regionChart();
    expect(errorOf(() => new RedisSentinel(chart, 'a', { ...BASE, quorum: 1 })).message).toBe([
      "RedisSentinel 'test/a': 1 problem:",
      ' - quorum (1) must be an integer >= 2, a majority of the 3 sentinels: a minority must not be able to declare the master down; set quorum to 2',
    ].join('\n'));
    expect(errorOf(() => new RedisSentinel(chart, 'b', { ...BASE, quorum: 4 })).message).toBe([
      "RedisSentinel 'test/b': 1 problem:",
      ' - quorum (4) must be <= sentinels (3): a larger quorum is never reached, so no failover would ever start; set quorum to 2, a majority',
    ].join('\n'));
    expect(errorOf(() => new RedisSentinel(chart, 'c', { ...BASE, quorum: 3 })).message).toBe([
      "RedisSentinel 'test/c': 1 problem:",
      ' - quorum (3) must be below sentinels (3): with every Sentinel needed, one Sentinel down or drained stops all failovers; set quorum to 2, or run 4 sentinels',
    ].join('\n'));
    const five = new RedisSentinel(chart, 'd', { ...BASE, sentinels: 5, quorum: 3 });
    expect([five.quorum, five.sentinelMaxUnavailable]).toEqual([3, 2]);
  });

  test('no zone may hold a majority of the Sentinels', () => {
    const { chart } = regionChart();
    const two = ['us-east-1a', 'us-east-1b'];
    expect(errorOf(() => new RedisSentinel(chart, 'a', { ...BASE, zones: two })).message).toBe([
      "RedisSentinel 'test/a': 1 problem:",
      ' - sentinels (3) spread over 2 zones puts 2 in one zone, a majority: that zone alone could elect a failover leader in a partition, '
        + 'and losing it leaves no majority to fail over; spread over 3 or more zones, or run 4 sentinels',
    ].join('\n'));
    const four = new RedisSentinel(chart, 'b', { ...BASE, zones: two, sentinels: 4 });
    expect([four.quorum, four.sentinelMaxUnavailable]).toEqual([3, 1]);
  });

  test('bad names, secret, resources, storage, memory share and images are reported together', () => {
    const { chart } = regionChart();
    const err = errorOf(() => new RedisSentinel(chart, 'cache', {
      namespace: 'Catalog',
      passwordSecret: { name: 'Bad_Secret', key: 'a/b' },
      image: 'redis:latest',
      maxmemoryPercent: 95,
      storage: { size: 'lots' },
      resources: { memory: { limit: '1 GB' } },
    })) as ValidationError;
    expect(err.problems.map(p => p.prop)).toEqual([
      'namespace', 'image', 'passwordSecret.name', 'passwordSecret.key', 'resources.memory.limit', 'maxmemoryPercent', 'storage.size',
    ]);
    expect(err.problems.find(p => p.prop === 'maxmemoryPercent')!.why).toBe(
      'must be an integer from 10 to 90: above 90% the AOF rewrite fork and replication buffers push Redis past its memory limit (OOM kill)');
  });

  test('outside a RegionChart, zones must be given', () => {
    const app = new App();
    withoutClusterObjects(app);
    const err = errorOf(() => new RedisSentinel(app, 'cache', BASE)) as ValidationError;
    expect(err.problems.map(p => p.prop)).toEqual(['zones']);
  });
});

describe('RedisSentinel options reach the manifests', () => {
  test('every prop', () => {
    const { app, chart, cache } = build({
      name: 'sessions',
      team: 'identity',
      tier: Criticality.CRITICAL,
      replicas: 3,
      sentinels: 5,
      quorum: 3,
      masterName: 'sessions',
      downAfterMilliseconds: 3000,
      failoverTimeoutMilliseconds: 9000,
      parallelSyncs: 2,
      minReplicasToWrite: 2,
      minReplicasMaxLagSeconds: 5,
      maxmemoryPolicy: 'noeviction',
      maxmemoryPercent: 50,
      storage: { size: '20Gi', storageClassName: 'gp3' },
      sentinelStorage: { size: '2Gi' },
      resources: { memory: { request: '4Gi', limit: '4Gi' } },
      identity: { user: 20000, group: 20001, fsGroup: 20002 },
      passwordSecret: { name: 'sessions-redis', key: 'redis-password' },
      image: 'redis:7.2.6',
      exporterImage: 'oliver006/redis_exporter:v1.63.0-alpine',
    });
    const objs = synth(chart);
    expect(Checks.of(app).lastReport!.findings).toEqual([]);
    expectValidManifests(objs);
    expect(cache.maxmemoryBytes).toBe(2 * 1024 ** 3);
    const redis = find(objs, 'StatefulSet', 'sessions-redis');
    expect(redis.spec.replicas).toBe(4);
    expect(redis.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'gp3', resources: { requests: { storage: '20Gi' } } });
    expect(redis.spec.template.spec.priorityClassName).toBe('nines-critical');
    expect(redis.spec.template.spec.securityContext).toMatchObject({ runAsUser: 20000, runAsGroup: 20001, fsGroup: 20002 });
    expect(container(redis, 'redis').image).toBe('redis:7.2.6');
    const sentinel = find(objs, 'StatefulSet', 'sessions-sentinel');
    expect(sentinel.spec.replicas).toBe(5);
    expect(sentinel.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'gp3-encrypted', resources: { requests: { storage: '2Gi' } } });
    expect(cache.storage).toEqual({ size: '20Gi', storageClass: 'gp3' });
    const conf = directives(find(objs, 'ConfigMap', 'sessions-sentinel-config').data['sessions-sentinel-4.conf']);
    expect(conf).toEqual(expect.arrayContaining([
      'sentinel monitor sessions sessions-redis-0.sessions-redis.catalog.svc.cluster.local 6379 3',
      'sentinel down-after-milliseconds sessions 3000', 'sentinel failover-timeout sessions 9000', 'sentinel parallel-syncs sessions 2',
    ]));
    const start = find(objs, 'ConfigMap', 'sessions-sentinel-config').data['start-sentinel.sh'];
    expect(start).toContain('sed -i "s/^sentinel down-after-milliseconds sessions .*/sentinel down-after-milliseconds sessions 3000/" /sentinel/sentinel.conf');
    const rconf = directives(find(objs, 'ConfigMap', 'sessions-redis-config').data['sessions-redis-3.conf']);
    expect(rconf).toEqual(expect.arrayContaining(['maxmemory 2147483648', 'maxmemory-policy noeviction', 'min-replicas-to-write 2', 'min-replicas-max-lag 5']));
    expect(find(objs, 'PodDisruptionBudget', 'sessions-sentinel').spec.maxUnavailable).toBe(2);
    expect(find(objs, 'StatefulSet', 'sessions-redis').metadata.labels['nines.dev/team']).toBe('identity');
    expect(redis.spec.template.spec.volumes).toContainEqual({
      name: 'secret', secret: { secretName: 'sessions-redis', items: [{ key: 'redis-password', path: 'password' }], defaultMode: 0o440 },
    });
  });
});

describe('examples/cache.ts', () => {
  test('product and inventory use one cache; zero findings; every object validates', () => {
    const app = buildCacheExample();
    Checks.of(app).log = () => {};
    const objs = parseAllDocuments(app.synthYaml()).map(d => d.toJS());
    expect(Checks.of(app).lastReport!.findings).toEqual([]);
    expectValidManifests(objs);
    const ingress = objs.find(o => o.kind === 'NetworkPolicy' && o.metadata.name === 'cache-sentinel').spec.ingress;
    expect(ingress.slice(0, 2).map((i: any) => i.from[0].podSelector.matchLabels['app.kubernetes.io/instance'])).toEqual(['product-service-catalog', 'inventory-service-catalog']);
    const product = objs.find(o => o.kind === 'Deployment' && o.metadata.name === 'product-service');
    expect(product.spec.template.spec.containers[0].env).toContainEqual({ name: 'REDIS_SENTINELS', value: 'cache-sentinel.catalog.svc.cluster.local:26379' });
  });
});
