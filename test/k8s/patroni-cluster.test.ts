import { App, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { parse, parseAllDocuments } from 'yaml';
import { built, errorOf, find, withoutClusterObjects } from './helpers';
import { build as buildDatabaseExample } from '../../examples/database';
import { Checks, Criticality, ninesClusterCapabilities, Platform, RegionChart, ResilientService, ValidationError } from '../../lib';
import { EtcdCluster } from '../../lib/k8s/etcd-cluster';
import { PatroniCluster, PatroniClusterProps } from '../../lib/k8s/patroni-cluster';
import { renderRoleLabelCallback, renderSwitchoverPreStop } from '../../lib/render/patroni-scripts';
import { expectValidManifests } from '../util/schema';

const PLATFORM = Platform.fromDescription({
  environment: 'test',
  regions: [
    { name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], vpcCidr: '10.10.0.0/16' },
    { name: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1b'] },
  ],
  // The library's AWS cluster in both regions, plus the io2 class an option test names (the capability contract).
  capabilities: [
    ...ninesClusterCapabilities(['us-east-1a', 'us-east-1b', 'us-east-1c', 'eu-west-1a', 'eu-west-1b'], true).map(p => p.capability),
    'storage-class:io2-encrypted',
  ],
});
const IMAGE = 'registry.example.com/platform/patroni:3.0.4-pg15';
const BACKUP = { bucket: 'nines-backups-us-east-1', roleArn: 'arn:aws:iam::123456789012:role/orders-db-backup' };
const BASE: PatroniClusterProps = { namespace: 'orders', image: IMAGE, credentials: { secretName: 'orders-db-credentials' }, backup: BACKUP };

function setup(region = 'us-east-1') {
  const app = Testing.app();
  withoutClusterObjects(app);
  const chart = new RegionChart(app, 'test', { region: PLATFORM.region(region) });
  Checks.of(app).log = () => {};
  return { app, chart };
}

const container = (sts: any, name: string) => sts.spec.template.spec.containers.find((c: any) => c.name === name);
const envOf = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('PatroniCluster defaults (etcd DCS)', () => {
  const { app, chart } = setup();
  const db = new PatroniCluster(chart, 'orders-db', BASE);
  const order = new ResilientService(chart, 'order-service', { image: 'registry.example.com/shop/order-service:1.2.3', tier: Criticality.CRITICAL, namespace: 'orders' });
  const payment = new ResilientService(chart, 'payment-service', { image: 'registry.example.com/shop/payment-service:5.0.2', tier: Criticality.CRITICAL, namespace: 'payments' });
  order.dependOn(db);
  payment.dependOn(db);
  const objs = Testing.synth(chart);
  const sts = find(objs, 'StatefulSet', 'orders-db');
  const pod = sts.spec.template.spec;
  const postgres = container(sts, 'postgres');
  const exporter = container(sts, 'exporter');
  const config = parse(find(objs, 'ConfigMap', 'orders-db-patroni').data['patroni.yml']);

  test('pg_hba admits members and clients from the Pod CIDRs and, behind the Istio sidecar, from 127.0.0.6 (SCRAM, never trust)', () => {
    expect(config.postgresql.pg_hba).toEqual([
      'local all all scram-sha-256',
      'host all postgres 127.0.0.1/32 scram-sha-256',
      'host all postgres ::1/128 scram-sha-256',
      'host replication replicator 10.10.0.0/16 scram-sha-256',
      'host replication replicator 127.0.0.6/32 scram-sha-256',
      'host all rewind_user 10.10.0.0/16 scram-sha-256',
      'host all rewind_user 127.0.0.6/32 scram-sha-256',
      'host all postgres all reject',
      'host all all 10.10.0.0/16 scram-sha-256',
      'host all all 127.0.0.6/32 scram-sha-256',
    ]);
  });

  test('fields resolve the documented defaults', () => {
    expect(db.name).toBe('orders-db');
    expect(db.tier).toBe(Criticality.CRITICAL);
    expect(db.members).toBe(3);
    expect(db.zones).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(db.storageSize).toBe('50Gi');
    expect(db.storageClass).toBe('gp3-encrypted');
    expect(db.exporterImage).toBe('quay.io/prometheuscommunity/postgres-exporter:v0.15.0');
    expect(db.resources).toEqual({ cpuRequest: '1', cpuLimit: '2', memoryRequest: '1Gi', memoryLimit: '2Gi', ephemeralRequest: '512Mi', ephemeralLimit: '2Gi' });
    expect(db.identity).toEqual({ user: 10001, group: 10001, fsGroup: 10001 });
    expect(db.dcsKind).toBe('etcd3');
    expect(db.etcd).toBeInstanceOf(EtcdCluster);
    expect(db.etcd!.name).toBe('orders-db-etcd');
    expect(db.podCidrs).toEqual(['10.10.0.0/16']);
    expect(db.kubernetesApi).toEqual({ cidrs: ['10.10.0.0/16'], port: 443 });
    expect(db.credentials).toEqual({
      secretName: 'orders-db-credentials',
      superuserKey: 'superuser-password',
      replicationKey: 'replication-password',
      rewindKey: 'rewind-password',
      restApiKey: 'restapi-password',
    });
    expect(db.backup).toEqual({
      ...BACKUP,
      prefix: 'orders/orders-db',
      region: 'us-east-1',
      schedule: '0 3 * * *',
      retainFullBackups: 7,
      egressCidrs: ['0.0.0.0/0'],
    });
    expect(db.patroni.failover).toMatchObject({
      ttlSeconds: 10, loopWaitSeconds: 2, retryTimeoutSeconds: 3, synchronousMode: true, synchronousModeStrict: true, synchronousStandbys: 2,
    });
    expect(db.switchoverWaitSeconds).toBe(30);
    expect(db.gracePeriodSeconds).toBe(90);
    expect(db.host).toBe('orders-db.orders.svc.cluster.local');
    expect(db.readOnlyHost).toBe('orders-db-ro.orders.svc.cluster.local');
    expect(db.serviceAccountName).toBe('orders-db');
    expect(pod.serviceAccountName).toBe('orders-db');
  });

  test('StatefulSet: members spread over zones with the hardened pod spec', () => {
    expect(sts.spec).toMatchObject({ replicas: 3, serviceName: 'orders-db-members', podManagementPolicy: 'Parallel' });
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of pod.containers) {
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } });
    }
    expect(pod.priorityClassName).toBe('nines-critical');
    expect(pod.terminationGracePeriodSeconds).toBe(90);
    expect(postgres.command).toEqual(['patroni', '/etc/patroni/patroni.yml']);
    expect(postgres.resources).toEqual({ requests: { 'cpu': '1', 'memory': '1Gi', 'ephemeral-storage': '512Mi' }, limits: { 'cpu': '2', 'memory': '2Gi', 'ephemeral-storage': '2Gi' } });
  });

  test('data on a volumeClaimTemplate of the encrypted gp3 class, never an emptyDir', () => {
    expect(sts.spec.volumeClaimTemplates).toHaveLength(1);
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    expect(sts.spec.volumeClaimTemplates[0].spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'gp3-encrypted', resources: { requests: { storage: '50Gi' } } });
    expect(postgres.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/postgresql/data' });
    expect(pod.volumes.find((v: any) => v.name === 'data')).toBeUndefined();
    expect(config.postgresql.data_dir.startsWith('/var/lib/postgresql/data/')).toBe(true);
  });

  test('probes on Patroni\'s REST API; the preStop hands leadership over', () => {
    expect(postgres.startupProbe).toMatchObject({ httpGet: { path: '/liveness', port: 'patroni' }, periodSeconds: 5, failureThreshold: 120 });
    expect(postgres.livenessProbe).toMatchObject({ httpGet: { path: '/liveness', port: 'patroni' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 });
    expect(postgres.readinessProbe).toMatchObject({ httpGet: { path: '/readiness', port: 'patroni' }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 });
    expect(postgres.lifecycle.preStop.exec.command).toEqual(['python3', '/etc/patroni/switchover_prestop.py']);
    expect(JSON.parse(sts.spec.template.metadata.annotations['proxy.istio.io/config'])).toEqual({
      holdApplicationUntilProxyStarts: true, terminationDrainDuration: '85s', proxyMetadata: { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'true' },
    });
    const cm = find(objs, 'ConfigMap', 'orders-db-patroni').data;
    expect(cm['switchover_prestop.py']).toBe(renderSwitchoverPreStop({ restApiPort: 8008, waitSeconds: 30 }));
    expect(cm['switchover_prestop.py']).toContain("api + '/switchover'");
    expect(cm['label_role.py']).toBe(renderRoleLabelCallback({ roleLabel: 'role' }));
  });

  test('the ConfigMap is the renderer\'s output; per-member values come from the downward API', () => {
    expect(config).toMatchObject({ scope: 'orders-db', name: 'orders-db-0' });
    expect(config.bootstrap.dcs).toMatchObject({
      ttl: 10, loop_wait: 2, retry_timeout: 3, synchronous_mode: true, synchronous_mode_strict: true, synchronous_node_count: 2,
    });
    expect(config.bootstrap.dcs.postgresql).toMatchObject({ use_pg_rewind: true, parameters: { wal_log_hints: 'on', archive_mode: 'on', archive_command: 'wal-g wal-push %p' } });
    expect(config.bootstrap.initdb).toContain('data-checksums');
    expect(config.etcd3.hosts).toEqual(db.etcd!.clientEndpoints);
    expect(config.postgresql.callbacks).toEqual({ on_start: 'python3 /etc/patroni/label_role.py', on_stop: 'python3 /etc/patroni/label_role.py', on_role_change: 'python3 /etc/patroni/label_role.py' });
    const env = envOf(postgres);
    expect(env.PATRONI_NAME).toEqual({ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } });
    expect(env.POD_IP).toEqual({ fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } });
    expect(env.PATRONI_RESTAPI_CONNECT_ADDRESS).toBe('$(POD_IP):8008');
    expect(env.PATRONI_POSTGRESQL_CONNECT_ADDRESS).toBe('$(POD_IP):5432');
    expect(env.WALG_S3_PREFIX).toBe('s3://nines-backups-us-east-1/orders/orders-db');
    expect(env.AWS_REGION).toBe('us-east-1');
  });

  test('credentials only by Secret reference: no password value anywhere', () => {
    for (const c of pod.containers) {
      for (const e of c.env.filter((x: any) => /PASS/.test(x.name))) {
        expect(e.value).toBeUndefined();
        expect(e.valueFrom.secretKeyRef.name).toBe('orders-db-credentials');
      }
    }
    expect(envOf(postgres).PATRONI_SUPERUSER_PASSWORD).toEqual({ secretKeyRef: { name: 'orders-db-credentials', key: 'superuser-password' } });
    expect(envOf(postgres).PATRONI_REPLICATION_PASSWORD).toEqual({ secretKeyRef: { name: 'orders-db-credentials', key: 'replication-password' } });
    expect(envOf(postgres).PATRONI_REWIND_PASSWORD).toEqual({ secretKeyRef: { name: 'orders-db-credentials', key: 'rewind-password' } });
    expect(envOf(postgres).PATRONI_RESTAPI_PASSWORD).toEqual({ secretKeyRef: { name: 'orders-db-credentials', key: 'restapi-password' } });
    expect(envOf(postgres).PATRONI_RESTAPI_USERNAME).toBe('patroni');
    expect(JSON.stringify(config.postgresql.authentication)).not.toContain('password');
    expect(objs.filter(o => o.kind === 'Secret')).toEqual([]);
  });

  test('headless, read-write (leader) and read-only (replicas) Services by Patroni\'s role label', () => {
    expect(find(objs, 'Service', 'orders-db-members').spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true, selector: db.selectorLabels });
    expect(find(objs, 'Service', 'orders-db').spec.selector).toEqual({ ...db.selectorLabels, role: 'master' });
    expect(find(objs, 'Service', 'orders-db-ro').spec.selector).toEqual({ ...db.selectorLabels, role: 'replica' });
    expect(find(objs, 'Service', 'orders-db').spec.ports).toEqual([{ name: 'postgresql', port: 5432, targetPort: 'postgresql', protocol: 'TCP', appProtocol: 'postgresql' }]);
  });

  test('RBAC: each member may get and patch the member Pods (its role label), nothing more', () => {
    expect(find(objs, 'Role', 'orders-db-patroni').rules).toEqual([
      { apiGroups: [''], resources: ['pods'], resourceNames: ['orders-db-0', 'orders-db-1', 'orders-db-2'], verbs: ['get', 'patch'] },
    ]);
    expect(find(objs, 'RoleBinding', 'orders-db-patroni').subjects).toEqual([{ kind: 'ServiceAccount', name: 'orders-db', namespace: 'orders' }]);
    expect(find(objs, 'ServiceAccount', 'orders-db').metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': BACKUP.roleArn });
  });

  test('PDB permits a drain while keeping the leader and a synchronous standby', () => {
    const pdb = find(objs, 'PodDisruptionBudget', 'orders-db').spec;
    expect(pdb).toEqual({ maxUnavailable: 1, selector: { matchLabels: db.selectorLabels }, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(db.members - pdb.maxUnavailable).toBeGreaterThanOrEqual(2);
  });

  test('dependOn: callers get egress to PostgreSQL only; the cluster admits exactly them, members and monitoring', () => {
    const orderEgress = find(objs, 'NetworkPolicy', 'order-service').spec.egress;
    const toDb = orderEgress.filter((r: any) => JSON.stringify(r.to).includes('"patroni"'));
    expect(toDb).toEqual([{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'orders' } }, podSelector: { matchLabels: db.selectorLabels } }], ports: [{ port: 5432, protocol: 'TCP' }] }]);
    const np = find(objs, 'NetworkPolicy', 'orders-db').spec;
    const source = (from: any) => from.podSelector?.matchLabels?.['app.kubernetes.io/instance'] ?? from.namespaceSelector.matchLabels['kubernetes.io/metadata.name'];
    const ingress = np.ingress.map((r: any) => [source(r.from[0]), r.ports.map((p: any) => p.port)]);
    expect(ingress).toEqual([
      ['orders-db-orders', [5432, 8008]], ['orders-db-orders', [5432]], ['order-service-orders', [5432]], ['payment-service-payments', [5432]],
      ['monitoring', [9187, 8008]],
    ]);
    // The second rule admits the base-backup job (BASE_BACKUP over the replication protocol).
    expect(np.ingress[1].from[0].podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'patroni-backup', 'app.kubernetes.io/instance': 'orders-db-orders' });
    expect(np.ingress[2].from[0].podSelector.matchLabels).toEqual(order.callerPeer().podLabels);
    const egress = np.egress.map((r: any) => r.ports.map((p: any) => p.port));
    expect(egress).toEqual([[53, 53], [15012], [5432, 8008], [2379], [443], [443]]);
    expect(np.egress[5].to[0].ipBlock).toEqual({ cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] });
    const etcdIngress = find(objs, 'NetworkPolicy', 'orders-db-etcd').spec.ingress;
    expect(etcdIngress[1]).toEqual({ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'orders' } }, podSelector: { matchLabels: db.selectorLabels } }], ports: [{ port: 2379, protocol: 'TCP' }] });
    expect(db.dependencyFacts).toEqual({ id: 'orders/orders-db', kind: 'database', tier: 'critical', replicas: 3, zones: 3, automaticFailover: true });
    expect(db.meshHosts()).toEqual(['orders/orders-db.orders.svc.cluster.local', 'orders/orders-db-ro.orders.svc.cluster.local']);
  });

  test('monitoring: postgres_exporter sidecar, ServiceMonitor and the five alerts', () => {
    expect(exporter.image).toBe('quay.io/prometheuscommunity/postgres-exporter:v0.15.0');
    expect(exporter.ports).toEqual([{ name: 'metrics', containerPort: 9187, protocol: 'TCP' }]);
    expect(find(objs, 'ServiceMonitor', 'orders-db').spec.endpoints.map((e: any) => e.port)).toEqual(['metrics', 'patroni']);
    const rules = find(objs, 'PrometheusRule', 'orders-db').spec.groups[0].rules;
    expect(rules.map((r: any) => r.alert)).toEqual(['PatroniNoLeader', 'PostgresReplicationLagHigh', 'PatroniNoSynchronousStandby', 'PostgresConnectionsHigh',
      'PostgresDiskFilling', 'PostgresDiskFullIn4h']);
    const expr = (name: string) => rules.find((r: any) => r.alert === name).expr;
    expect(expr('PostgresReplicationLagHigh')).toBe('max by (pod) (pg_replication_lag_seconds{namespace="orders",pod=~"orders-db-[0-9]+"}) > 1');
    expect(expr('PostgresConnectionsHigh')).toContain('> 0.8');
    expect(expr('PatroniNoLeader')).toContain('patroni_primary{namespace="orders",scope="orders-db"}');
  });

  test('backups: WAL-G archiving, a base-backup CronJob streaming over the replication protocol, no Kubernetes API access', () => {
    const cron = find(objs, 'CronJob', 'orders-db-backup');
    expect(cron.spec).toMatchObject({ schedule: '0 3 * * *', concurrencyPolicy: 'Forbid' });
    const jobPod = cron.spec.jobTemplate.spec.template;
    const backup = jobPod.spec.containers[0];
    // The cluster's own image (it carries WAL-G): no kubectl image, no exec into a member.
    expect(backup.image).toBe(IMAGE);
    expect(backup.command[2].split('\n')).toEqual([
      'set -eu',
      'quit_proxy() { python3 -c \'import urllib.request; urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:15020/quitquitquit", method="POST"), timeout=5)\' || true; }',
      'trap quit_proxy EXIT',
      'wal-g backup-push --pghost orders-db-ro.orders.svc.cluster.local,orders-db.orders.svc.cluster.local',
      'wal-g delete retain FULL 7 --confirm',
    ]);
    const env = Object.fromEntries(backup.env.map((e: any) => [e.name, e.value ?? e.valueFrom.secretKeyRef.key]));
    expect(env).toEqual({
      HOME: '/tmp',
      PGPORT: '5432',
      PGUSER: 'replicator',
      PGPASSWORD: 'replication-password',
      WALG_S3_PREFIX: 's3://nines-backups-us-east-1/orders/orders-db',
      AWS_REGION: 'us-east-1',
      AWS_STS_REGIONAL_ENDPOINTS: 'regional',
      WALG_COMPRESSION_METHOD: 'lz4',
    });
    expect(jobPod.spec.automountServiceAccountToken).toBe(false);
    expect(objs.filter(o => ['Role', 'RoleBinding'].includes(o.kind) && o.metadata.name === 'orders-db-backup')).toEqual([]);
    expect(JSON.stringify(objs)).not.toContain('pods/exec');
    // In the mesh (mTLS to the members); with IRSA the role is on the job's ServiceAccount.
    expect(jobPod.metadata.annotations).toEqual({ 'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts":true}' });
    expect(find(objs, 'ServiceAccount', 'orders-db-backup').metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': BACKUP.roleArn });
    const np = find(objs, 'NetworkPolicy', 'orders-db-backup').spec;
    expect(np.ingress).toEqual([]);
    expect(np.egress.map((r: any) => r.ports.map((p: any) => p.port))).toEqual([[53, 53], [15012], [5432], [443]]);
    expect(db.backupServiceAccountName).toBe('orders-db-backup');
    expect(config.bootstrap.dcs.postgresql.recovery_conf).toEqual({ restore_command: 'wal-g wal-fetch %f %p' });
  });

  test('zero findings and every object schema-valid', () => {
    expect(Checks.of(app).lastReport!.findings).toEqual([]);
    expectValidManifests(objs);
  });
});

describe('PatroniCluster backups with EKS Pod Identity (no roleArn)', () => {
  test('no account id or role in the manifests; members and job reach the node\'s agent directly', () => {
    const { app, chart } = setup();
    const db = new PatroniCluster(chart, 'orders-db', { ...BASE, backup: { bucket: 'nines-backups-us-east-1' } });
    app.synth();
    const objs = chart.toJson();
    expect(db.backup!.roleArn).toBeUndefined();
    expect(JSON.stringify(objs)).not.toMatch(/arn:aws|eks\.amazonaws\.com\/role-arn/);
    const agent = { to: [{ ipBlock: { cidr: '169.254.170.23/32' } }], ports: [{ port: 80, protocol: 'TCP' }] };
    expect(find(objs, 'NetworkPolicy', 'orders-db').spec.egress).toContainEqual(agent);
    expect(find(objs, 'NetworkPolicy', 'orders-db-backup').spec.egress).toContainEqual(agent);
    const excluded = 'traffic.sidecar.istio.io/excludeOutboundIPRanges';
    expect(find(objs, 'StatefulSet', 'orders-db').spec.template.metadata.annotations[excluded]).toBe('169.254.170.23/32');
    expect(find(objs, 'CronJob', 'orders-db-backup').spec.jobTemplate.spec.template.metadata.annotations[excluded]).toBe('169.254.170.23/32');
    expect(Checks.of(app).lastReport!.findings).toEqual([]);
    expectValidManifests(objs);
  });
});

describe('PatroniCluster options', () => {
  test('Kubernetes API as DCS: no etcd, the RBAC Patroni documents, Patroni labels its own Pods', () => {
    const { app, chart } = setup();
    const db = new PatroniCluster(chart, 'orders-db', { ...BASE, dcs: 'kubernetes' });
    const objs = Testing.synth(chart);
    expect(db.etcd).toBeUndefined();
    expect(objs.filter(o => o.metadata.name.includes('etcd'))).toEqual([]);
    expect(find(objs, 'Role', 'orders-db-patroni').rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
    ]);
    const cm = find(objs, 'ConfigMap', 'orders-db-patroni').data;
    expect(cm['label_role.py']).toBeUndefined();
    expect(parse(cm['patroni.yml']).kubernetes).toEqual({ labels: db.selectorLabels, scope_label: 'cluster-name', role_label: 'role', use_endpoints: false });
    const env = envOf(container(find(objs, 'StatefulSet', 'orders-db'), 'postgres'));
    expect(env.PATRONI_KUBERNETES_NAMESPACE).toBe('$(POD_NAMESPACE)');
    expect(env.PATRONI_KUBERNETES_POD_IP).toBe('$(POD_IP)');
    expect(Checks.of(app).lastReport!.findings).toEqual([]);
    expectValidManifests(objs);
  });

  test('a shared EtcdCluster; storage, parameters and backup props reach the manifests; backup: false', () => {
    const { app, chart } = setup();
    const etcd = new EtcdCluster(chart, 'shared-etcd', { namespace: 'orders' });
    const db = new PatroniCluster(chart, 'orders-db', {
      ...BASE,
      dcs: etcd,
      storage: { size: '200Gi', storageClass: 'io2-encrypted' },
      members: 5,
      failover: { synchronousModeStrict: false, synchronousStandbys: 2 },
      postgresParameters: { maxConnections: 300 },
      backup: false,
    });
    const objs = Testing.synth(chart);
    const sts = find(objs, 'StatefulSet', 'orders-db');
    expect(db.etcd).toBe(etcd);
    expect(sts.spec.replicas).toBe(5);
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'io2-encrypted', resources: { requests: { storage: '200Gi' } } });
    const config = parse(find(objs, 'ConfigMap', 'orders-db-patroni').data['patroni.yml']);
    expect(config.bootstrap.dcs).toMatchObject({ synchronous_mode_strict: false, synchronous_node_count: 2 });
    expect(config.bootstrap.dcs.postgresql.parameters.max_connections).toBe(300);
    expect(config.bootstrap.dcs.postgresql.parameters.archive_command).toBeUndefined();
    expect(config.etcd3.hosts).toEqual(etcd.clientEndpoints);
    expect(objs.filter(o => o.kind === 'CronJob')).toEqual([]);
    expect(find(objs, 'ServiceAccount', 'orders-db').metadata.annotations).toBeUndefined();
    expect(envOf(container(sts, 'postgres')).WALG_S3_PREFIX).toBeUndefined();
    expect(Checks.of(app).lastReport!.findings).toEqual([]);
    expectValidManifests(objs);
  });
});

describe('PatroniCluster bad input', () => {
  test('every invariant at once, in clear words, and the tree is left as it was', () => {
    const { chart } = setup();
    const e = errorOf(() => new PatroniCluster(chart, 'orders-db', {
      ...BASE,
      members: 2,
      zones: ['us-east-1a'],
      failover: { ttlSeconds: 8, synchronousStandbys: 2 },
      storage: { size: '50GB' },
      backup: { bucket: 'B', roleArn: 'x' },
    }));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe([
      "PatroniCluster 'test/orders-db': 7 problems:",
      ' - zones (["us-east-1a"]) must list at least 2 distinct zones, or one zone outage takes the cluster down; spread over 2 or more zones (the case study uses 3 per region)',
      ' - storage.size ("50GB") is not a whole byte quantity in Mi, Gi or Ti; use a Kubernetes byte quantity with a binary suffix such as "512Mi" or "2Gi" (no space, not "GB")',
      ' - backup.bucket ("B") is not an S3 bucket name; give the bucket the AWS side created, e.g. "nines-backups-us-east-1"',
      ' - backup.roleArn ("x") is not an IAM role ARN; give e.g. "arn:aws:iam::123456789012:role/orders-db-backup" for IRSA, or leave it unset for EKS Pod Identity',
      ' - members (2) must be >= 3 with synchronous replication, or losing the only standby stops writes (strict) or risks acknowledged writes (non-strict); run 3 members',
      ' - failover.ttlSeconds (8) must be greater than loopWaitSeconds + 2 * retryTimeoutSeconds (2 + 2 * 3 = 8), or a healthy leader retrying the DCS and PostgreSQL loses its lock; raise ttlSeconds to 9 or lower loopWaitSeconds/retryTimeoutSeconds',
      ' - failover.synchronousStandbys (2) must be an integer >= 1 and < members (2); set it to 1 (every standby synchronous) or less',
    ].join('\n'));
    expect(chart.node.tryFindChild('orders-db')).toBeUndefined();
    expect(Testing.synth(chart)).toEqual([]);
  });

  test('synchronous_node_count must stay below the members; backup must be given or explicitly off', () => {
    const { chart } = setup();
    const e = errorOf(() => new PatroniCluster(chart, 'db', { ...BASE, failover: { synchronousStandbys: 3 }, backup: undefined as any }));
    expect(e.message).toBe([
      "PatroniCluster 'test/db': 2 problems:",
      ' - backup (undefined) is missing; give the S3 bucket and IAM role, or false to run without backups',
      ' - failover.synchronousStandbys (3) must be an integer >= 1 and < members (3); set it to 2 (every standby synchronous) or less',
    ].join('\n'));
  });

  test('without a vpcCidr the Pod CIDRs and the API endpoints must be given', () => {
    const { chart } = setup('eu-west-1');
    const e = errorOf(() => new PatroniCluster(chart, 'db', { ...BASE, backup: false }));
    expect(e.message).toContain(' - podCidrs (undefined) are unknown: the region has no vpcCidr; give the Pod CIDRs or a vpcCidr in the platform description');
    expect(e.message).toContain(' - kubernetesApi (undefined) is unknown: the region has no vpcCidr;');
    const db = new PatroniCluster(chart, 'db', { ...BASE, backup: false, podCidrs: ['10.30.0.0/16'], kubernetesApi: { cidrs: ['10.30.0.0/24'] } });
    expect(db.zones).toEqual(['eu-west-1a', 'eu-west-1b']);
    expect(db.kubernetesApi).toEqual({ cidrs: ['10.30.0.0/24'], port: 443 });
  });

  test('credentials: one key per role', () => {
    const { chart } = setup();
    const e = errorOf(() => new PatroniCluster(chart, 'db', { ...BASE, credentials: { secretName: 'db', replicationKey: 'superuser-password' } }));
    expect(e.message).toContain('credentials (["superuser-password","superuser-password","rewind-password","restapi-password"]) uses one key for two roles');
  });
});

describe('PatroniCluster property: random props give a clean cluster or one ValidationError', () => {
  test('members, synchronous standbys, timings and zones', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 4, max: 30 }), fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.boolean(),
      (members, standbys, ttl, loop, retry, zoneCount, kubernetes) => {
        const { app, chart } = setup();
        const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'].slice(0, zoneCount);
        const props: PatroniClusterProps = {
          ...BASE,
          members,
          zones,
          dcs: kubernetes ? 'kubernetes' : 'etcd',
          failover: { ttlSeconds: ttl, loopWaitSeconds: loop, retryTimeoutSeconds: retry, synchronousStandbys: standbys },
        };
        const valid = members >= 3 && standbys >= 1 && standbys < members && ttl > loop + 2 * retry && zoneCount >= 2;
        let db: PatroniCluster | undefined;
        try {
          db = built(() => new PatroniCluster(chart, 'db', props));
        } catch (e) {
          expect(e).toBeInstanceOf(ValidationError);
          expect(valid).toBe(false);
          return;
        }
        expect(valid).toBe(true);
        const objs = Testing.synth(chart);
        expect(Checks.of(app).lastReport!.findings).toEqual([]);
        expect(find(objs, 'StatefulSet', 'db').spec.replicas).toBe(db.members);
        expect(parse(find(objs, 'ConfigMap', 'db-patroni').data['patroni.yml']).bootstrap.dcs.synchronous_node_count).toBe(standbys);
      }), { numRuns: 40 });
  });
});

describe('examples/database.ts', () => {
  test('synthesizes with zero findings; order and payment reach orders-db on 5432', () => {
    const app: App = buildDatabaseExample();
    Checks.of(app).log = () => {};
    const objs = parseAllDocuments(app.synthYaml()).map(d => d.toJS());
    expect(Checks.of(app).lastReport!.findings).toEqual([]);
    expectValidManifests(objs);
    const np = find(objs, 'NetworkPolicy', 'orders-db').spec;
    expect(np.ingress.filter((r: any) => r.ports.length === 1 && r.ports[0].port === 5432)
      .map((r: any) => r.from[0].podSelector.matchLabels['app.kubernetes.io/instance']))
      .toEqual(['orders-db-orders', 'order-service-orders', 'payment-service-payments']); // the backup job, then the callers
    const env = find(objs, 'Deployment', 'order-service').spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'DATABASE_HOST', value: 'orders-db.orders.svc.cluster.local' });
  });
});
