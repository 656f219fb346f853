import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { errorOf, find, withoutClusterObjects } from './helpers';
import { Checks, Criticality, Platform, RegionChart, ResilientService, ServiceProtocol, ValidationError } from '../../lib';
import { PatroniCluster, PatroniClusterProps } from '../../lib/k8s/patroni-cluster';
import { parsePgBouncerIni } from '../../lib/render/pgbouncer';
import { expectValidManifests } from '../util/schema';

const PLATFORM = Platform.fromDescription({
  environment: 'test',
  regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], vpcCidr: '10.10.0.0/16' }],
});
const BASE: PatroniClusterProps = {
  namespace: 'orders', image: 'registry.example.com/platform/patroni:3.0.4-pg15', credentials: { secretName: 'orders-db-credentials' }, backup: false,
};

function setup() {
  const app = Testing.app();
  withoutClusterObjects(app);
  const chart = new RegionChart(app, 'test', { region: PLATFORM.region('us-east-1') });
  Checks.of(app).log = () => {};
  return { app, chart };
}

describe('PatroniCluster pooler: true (the defaults)', () => {
  const { chart } = setup();
  const db = new PatroniCluster(chart, 'orders-db', { ...BASE, pooler: true });
  const order = new ResilientService(chart, 'order-service', { image: 'registry.example.com/shop/order-service:1.2.3', tier: Criticality.CRITICAL, namespace: 'orders' });
  order.dependOn(db.pooler!);
  const objs = Testing.synth(chart);
  const deploy = find(objs, 'Deployment', 'orders-db-pooler');
  const c = deploy.spec.template.spec.containers[0];
  const ini = parsePgBouncerIni(find(objs, 'ConfigMap', 'orders-db-pooler-config').data['pgbouncer.ini']);

  test('every object is schema-valid and the checks have zero findings', () => {
    expectValidManifests(objs);
    expect(Checks.of(chart).lastReport!.findings).toEqual([]);
  });

  test('fields resolve the documented defaults', () => {
    expect(db.poolerOptions).toEqual({
      name: 'orders-db-pooler',
      image: 'ghcr.io/cloudnative-pg/pgbouncer:1.22.1-16',
      tier: Criticality.HIGH,
      replicas: 3,
      poolMode: 'transaction',
      maxClientConn: 1000,
      defaultPoolSize: 20,
      reservePoolSize: 0,
      port: 6432,
      auth: { secretName: 'orders-db-pooler-auth', key: 'userlist.txt' },
      resources: { cpuRequest: '250m', cpuLimit: '500m', memoryRequest: '256Mi', memoryLimit: '512Mi', ephemeralRequest: '128Mi', ephemeralLimit: '512Mi' },
      authFile: '/etc/pgbouncer-auth/userlist.txt',
    });
    const p = db.pooler!;
    expect(p).toBeInstanceOf(ResilientService);
    expect([p.name, p.namespace, p.protocol, p.port, p.servicePort, p.tier, p.minReplicas, p.autoscaled, p.metrics])
      .toEqual(['orders-db-pooler', 'orders', ServiceProtocol.TCP, 6432, 6432, Criticality.HIGH, 3, false, false]);
    expect(p.host).toBe('orders-db-pooler.orders.svc.cluster.local');
    expect(p.zones).toEqual(db.zones);
  });

  test('pgbouncer.ini: every database to the read-write Service, transaction pooling, the auth file from the Secret', () => {
    expect(ini.get('databases')!.get('*')).toBe('host=orders-db.orders.svc.cluster.local port=5432');
    const s = ini.get('pgbouncer')!;
    expect([s.get('listen_port'), s.get('pool_mode'), s.get('max_client_conn'), s.get('default_pool_size'), s.get('auth_type'), s.get('auth_file')])
      .toEqual(['6432', 'transaction', '1000', '20', 'scram-sha-256', '/etc/pgbouncer-auth/userlist.txt']);
  });

  test('the pod: pgbouncer with the ConfigMap and the auth Secret mounted read-only, a config hash that rolls it, fixed replicas, zone spread', () => {
    expect(c.image).toBe('ghcr.io/cloudnative-pg/pgbouncer:1.22.1-16');
    expect(c.command).toEqual(['pgbouncer', '/etc/pgbouncer/pgbouncer.ini']);
    const pod = deploy.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'files-0', configMap: { name: 'orders-db-pooler-config', defaultMode: 0o440 } });
    expect(pod.volumes).toContainEqual({ name: 'files-1', secret: { secretName: 'orders-db-pooler-auth', defaultMode: 0o440 } });
    expect(c.volumeMounts).toContainEqual({ name: 'files-0', mountPath: '/etc/pgbouncer', readOnly: true });
    expect(c.volumeMounts).toContainEqual({ name: 'files-1', mountPath: '/etc/pgbouncer-auth', readOnly: true });
    expect(c.env).toEqual([{ name: 'PGBOUNCER_CONFIG_SHA256', value: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(deploy.spec.replicas).toBe(3);
    expect(objs.filter(o => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'orders-db-pooler')).toEqual([]);
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' });
    expect(pod.priorityClassName).toBe('nines-high');
    expect(c.readinessProbe.tcpSocket).toEqual({ port: 'tcp' });
    // Drain 15 s, then PgBouncer's safe shutdown (SIGINT), waiting for it to exit.
    expect(c.lifecycle.preStop.exec.command).toEqual(['/bin/sh', '-c', 'sleep 15; kill -INT 1; while kill -0 1 2>/dev/null; do sleep 1; done']);
    expect(db.pooler!.afterDrain).toBe('kill -INT 1; while kill -0 1 2>/dev/null; do sleep 1; done');
  });

  test('no password anywhere: only Secret references', () => {
    const text = JSON.stringify(objs.filter(o => o.metadata.name.startsWith('orders-db-pooler')));
    expect(text).not.toMatch(/password\s*=/i);
    expect(text).toContain('"secretName":"orders-db-pooler-auth"');
  });

  test('the pooler depends on the cluster: its egress reaches PostgreSQL 5432, the cluster admits it', () => {
    const poolerNp = find(objs, 'NetworkPolicy', 'orders-db-pooler');
    expect(JSON.stringify(poolerNp.spec.egress)).toContain('"port":5432');
    const dbNp = find(objs, 'NetworkPolicy', 'orders-db');
    const fromPooler = dbNp.spec.ingress.find((r: any) => r.from.some((f: any) => f.podSelector?.matchLabels?.['app.kubernetes.io/instance'] === 'orders-db-pooler-orders'));
    expect(fromPooler.ports).toEqual([{ port: 5432, protocol: 'TCP' }]);
  });

  test('a caller that depends on the pooler reaches it on 6432 and is admitted on the tcp port', () => {
    expect(JSON.stringify(find(objs, 'NetworkPolicy', 'order-service').spec.egress)).toContain('"port":6432');
    const np = find(objs, 'NetworkPolicy', 'orders-db-pooler');
    const fromOrder = np.spec.ingress.find((r: any) => r.from.some((f: any) => f.podSelector?.matchLabels?.['app.kubernetes.io/instance'] === 'order-service-orders'));
    expect(fromOrder.ports).toEqual([{ port: 'tcp', protocol: 'TCP' }]);
    expect(find(objs, 'VirtualService', 'orders-db-pooler').spec.tcp[0].route[0].destination).toEqual({ host: 'orders-db-pooler.orders.svc.cluster.local', port: { number: 6432 } });
  });
});

describe('PatroniCluster pooler options', () => {
  test('no pooler by default', () => {
    const { chart } = setup();
    const db = new PatroniCluster(chart, 'orders-db', BASE);
    expect(db.pooler).toBeUndefined();
    expect(db.poolerOptions).toBeUndefined();
    expect(Testing.synth(chart).filter(o => o.metadata.name.includes('pooler'))).toEqual([]);
  });

  test('given options are rendered as given (auth_user/auth_query, session mode, sizes, tier)', () => {
    const { chart } = setup();
    const db = new PatroniCluster(chart, 'orders-db', {
      ...BASE,
      postgresParameters: { maxConnections: 200 },
      pooler: {
        image: 'registry.example.com/platform/pgbouncer:1.23.1',
        tier: Criticality.CRITICAL,
        replicas: 4,
        poolMode: 'session',
        maxClientConn: 2000,
        defaultPoolSize: 30,
        reservePoolSize: 5,
        port: 7432,
        auth: { secretName: 'pgb', key: 'users', authUser: 'pgbouncer' },
      },
    });
    const objs = Testing.synth(chart);
    expectValidManifests(objs);
    expect(Checks.of(chart).lastReport!.findings).toEqual([]);
    const s = parsePgBouncerIni(find(objs, 'ConfigMap', 'orders-db-pooler-config').data['pgbouncer.ini']).get('pgbouncer')!;
    expect([s.get('pool_mode'), s.get('max_client_conn'), s.get('default_pool_size'), s.get('reserve_pool_size'), s.get('listen_port'), s.get('auth_file'), s.get('auth_user')])
      .toEqual(['session', '2000', '30', '5', '7432', '/etc/pgbouncer-auth/users', 'pgbouncer']);
    expect(s.get('auth_query')).toBe('SELECT usename, passwd FROM pg_shadow WHERE usename=$1');
    expect(db.pooler!.minReplicas).toBe(4);
    expect(db.pooler!.tier).toBe(Criticality.CRITICAL);
    expect(find(objs, 'Service', 'orders-db-pooler').spec.ports).toEqual([{ name: 'tcp', port: 7432, targetPort: 'tcp', protocol: 'TCP', appProtocol: 'tcp' }]);
  });

  test('every pooler problem at once, in clear words, and the tree is left as it was', () => {
    const { chart } = setup();
    const e = errorOf(() => new PatroniCluster(chart, 'orders-db', {
      ...BASE,
      pooler: { image: 'pgbouncer:latest', replicas: 1, poolMode: 'pooled' as any, defaultPoolSize: 100, auth: { secretName: 'Bad_Secret', authQuery: 'SELECT 1' } },
    }));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe([
      "PatroniCluster 'test/orders-db': 7 problems:",
      ' - pooler.image ("pgbouncer:latest") uses the mutable "latest" tag, so a restart can run different code; pin an immutable tag (e.g. "pgbouncer:1.4.2") or a digest',
      ' - pooler.auth.secretName ("Bad_Secret") is not a Secret name; give the name of a Secret in the namespace',
      ' - pooler.poolMode ("pooled") is not a PgBouncer pool mode; use "transaction" (or "session" for session state)',
      ' - pooler.auth.authQuery ("SELECT 1") is set without authUser, so PgBouncer would never run it; give authUser too, or remove authQuery',
      ' - pooler.auth.authQuery ("SELECT 1") must be one line that takes the user name as $1; use e.g. "SELECT usename, passwd FROM pg_shadow WHERE usename=$1"',
      ' - pooler.replicas (1) must be an integer >= 2: one pooler is a single point of failure in front of a highly available database; use at least 2 (3 for critical and high tiers)',
      ' - pooler.defaultPoolSize (100) with 1 replicas (+ reservePoolSize 0) opens up to 100 server connections, above 80% of max_connections (80 of 100), '
        + 'so a busy pooler fires the connection alert or exhausts PostgreSQL; lower defaultPoolSize to at most 80, or raise postgresParameters.maxConnections',
    ].join('\n'));
    expect(chart.node.tryFindChild('orders-db')).toBeUndefined();
  });

  test('the connection budget scales with the replicas: 3 x 27 > 80 is refused, 3 x 26 fits', () => {
    const { chart } = setup();
    const e = errorOf(() => new PatroniCluster(chart, 'a', { ...BASE, pooler: { defaultPoolSize: 27 } }));
    expect(e.message).toContain('pooler.defaultPoolSize (27) with 3 replicas (+ reservePoolSize 0) opens up to 81 server connections, above 80% of max_connections (80 of 100)');
    expect(e.message).toContain('lower defaultPoolSize to at most 26');
    expect(new PatroniCluster(chart, 'b', { ...BASE, pooler: { defaultPoolSize: 26 } }).poolerOptions!.defaultPoolSize).toBe(26);
  });

  test('property: the pooler builds (zero findings) exactly when replicas x (pool + reserve) fits 80% of max_connections', () => {
    fc.assert(fc.property(
      fc.integer({ min: 3, max: 6 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 50, max: 300 }),
      (replicas, pool, reserve, maxConnections) => {
        const { chart } = setup();
        const build = () => new PatroniCluster(chart, 'db', {
          ...BASE, postgresParameters: { maxConnections }, pooler: { replicas, defaultPoolSize: pool, reservePoolSize: reserve },
        });
        const fits = replicas * (pool + reserve) <= Math.floor(maxConnections * 0.8);
        if (fits) {
          const db = build();
          const objs = Testing.synth(chart);
          expect(Checks.of(chart).lastReport!.findings).toEqual([]);
          expect(find(objs, 'Deployment', 'db-pooler').spec.replicas).toBe(replicas);
          expect(db.poolerOptions!.defaultPoolSize).toBe(pool);
        } else {
          expect(errorOf(build).message).toContain(`pooler.defaultPoolSize (${pool}) with ${replicas} replicas (+ reservePoolSize ${reserve}) opens up to ${replicas * (pool + reserve)} server connections`);
        }
      }), { numRuns: 12 });
  });
});
