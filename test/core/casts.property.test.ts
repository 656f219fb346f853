/**
 * Values that get past the types through a cast (`as any`, untyped JSON, a JavaScript caller):
 * for every public construct, one prop of a valid set is replaced by a value of the wrong
 * runtime type: a number that is NaN, Infinity or a numeric string; a string that is a number
 * or an object; a list that is not a list; a boolean that is a string; an object that is a list
 * or a number; an enum value outside its set. Each must be reported as a problem naming that
 * prop (the app's one ValidationError), never a TypeError and never a manifest.
 */
import { Duration, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import {
  AlertRoutingOptions, Bulkhead, CanaryRelease, Checks, Criticality, EntryGateway, EtcdCluster, ExternalEndpoint, KafkaCluster, LogShipper,
  MonitoringStack, Objective, PatroniCluster, Platform, PriorityClasses, Probe, RedisSentinel, RegionChart, ResilientService, ServiceLevelObjective,
  ServiceProtocol, Sli, StandardAlerts, TraceCollector, ValidationError,
} from '../../lib';
import { resolveClusterAddonsArgsIn } from '../../lib/aws/private/cluster-addons-args';
import { resolveGlobalFailoverArgs } from '../../lib/aws/private/global-failover-args';
import { resolveKarpenterArgsIn } from '../../lib/aws/private/karpenter-args';
import { resolveMultiAzVpcArgs } from '../../lib/aws/private/multi-az-vpc-args';
import { resolveRegionalClusterArgsIn } from '../../lib/aws/private/regional-cluster-args';
import { takeRecordedProblems } from '../../lib/core/app-problems';
import { propTypeProblems } from '../../lib/core/prop-types';
import { ChaosExperiment, ChaosPresets, ChaosTarget, Fault } from '../../lib/k8s/chaos';
import { ChaosSteps, GuardedWorkflow } from '../../lib/k8s/chaos-workflow';
import { GameDay } from '../../lib/k8s/game-day';
import { PLATFORM as TEST_PLATFORM, withoutClusterObjects } from '../k8s/helpers';

type Chart = RegionChart;

/** The unit tests' platform, with a VPC block (the database and the log shipper read it). */
const PLATFORM = Platform.fromDescription({
  environment: 'test',
  regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], vpcCidr: '10.0.0.0/16' }],
  capabilities: TEST_PLATFORM.capabilities,
});

/** A public construct, a valid set of props and the props that are enums. */
interface Subject {
  readonly name: string;
  /** Paths of string props whose values form a closed set. */
  readonly enums?: readonly string[];
  /** Paths not cast (data built by the library, e.g. a fault from Fault.*). */
  readonly fixed?: RegExp;
  /** Other valid values of a path (not cast to them), e.g. `true` for an option that is `boolean | object`. */
  readonly alsoValid?: Readonly<Record<string, readonly unknown[]>>;
  /** Valid props (every optional prop worth casting is set). */
  props(chart: Chart): Record<string, unknown>;
  build(chart: Chart, props: any): unknown;
}

const ROUTING: AlertRoutingOptions = {
  pager: { kind: 'pagerduty', routingKey: { name: 'alertmanager-pagerduty', key: 'routing-key' } },
  escalation: { kind: 'opsgenie', apiKey: { name: 'alertmanager-opsgenie', key: 'api-key' } },
  chat: { kind: 'slack', apiUrl: { name: 'alertmanager-slack', key: 'api-url' }, channel: '#platform-alerts' },
};
const LINKS = { runbookBaseUrl: 'https://wiki.example.com/runbooks', dashboardBaseUrl: 'https://grafana.example.com/d' };
const service = (chart: Chart, id = 'svc', extra: object = {}) => new ResilientService(chart, id, {
  image: `registry.example.com/shop/${id}:1.0.0`, tier: Criticality.HIGH, namespace: 'shop', ...extra,
});

const SUBJECTS: readonly Subject[] = [
  {
    name: 'ResilientService',
    props: () => ({
      image: 'registry.example.com/shop/svc:1.0.0',
      tier: Criticality.HIGH,
      namespace: 'shop',
      team: 'shop',
      name: 'svc',
      port: 8080,
      metricsPort: 9090,
      servicePort: 80,
      protocol: ServiceProtocol.HTTP,
      metrics: true,
      entryPoint: false,
      autoscaling: { minReplicas: 3, maxReplicas: 6, cpuUtilization: 70 },
      zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      env: { MODE: 'fast' },
      envFromSecrets: ['svc-secrets'],
      files: [{ configMap: 'svc-config', mountPath: '/etc/svc' }],
      tmpSize: '64Mi',
      disruption: { maxUnavailable: 1 },
      rollout: { maxSurge: 2, revisionHistoryLimit: 5 },
      identity: { user: 10001, group: 10001, fsGroup: 10001 },
      resources: { cpu: { request: '250m', limit: '1' }, memory: { request: '256Mi', limit: '512Mi' } },
      shutdown: { drain: Duration.seconds(10), gracePeriod: Duration.seconds(30) },
      probes: { startup: Probe.http('/health/startup'), liveness: Probe.http('/health/live'), readiness: Probe.http('/health/ready') },
      traffic: {
        connectionPool: { tcp: { maxConnections: 100, connectTimeout: '5s' }, http: { http1MaxPendingRequests: 50, http2MaxRequests: 100, maxRequestsPerConnection: 2, maxRetries: 3, idleTimeout: '1h' } },
        outlierDetection: { consecutive5xxErrors: 5, interval: '30s', baseEjectionTime: '30s', maxEjectionPercent: 50, minHealthPercent: 30 },
      },
    }),
    build: (chart, props) => new ResilientService(chart, 'svc', props),
    enums: ['tier', 'protocol'],
  },
  {
    name: 'Bulkhead',
    props: () => ({ team: 'shop', mesh: true, quota: { requestsCpu: '40', requestsMemory: '80Gi', limitsMemory: '160Gi', pods: 400 } }),
    build: (chart, props) => new Bulkhead(chart, 'shop', props),
  },
  {
    name: 'ExternalEndpoint',
    props: () => ({ hosts: ['api.stripe.com'], namespace: 'shop', ports: [443], availability: 0.9995, cidrs: ['10.0.64.0/20'] }),
    build: (chart, props) => new ExternalEndpoint(chart, 'stripe', props),
  },
  {
    name: 'KafkaCluster',
    props: () => ({
      namespace: 'messaging',
      brokers: 3,
      controllers: 3,
      defaultReplicationFactor: 3,
      minInsyncReplicas: 2,
      topics: [{ name: 'orders', replicationFactor: 3, minInsyncReplicas: 2, partitions: 6, retention: Duration.days(7) }],
      retention: Duration.hours(168),
      tls: { secretName: 'events-tls', clientAuth: 'required' },
      brokerStorage: { size: '100Gi', storageClass: 'gp3-encrypted' },
      controllerStorage: { size: '10Gi', storageClass: 'gp3-encrypted' },
    }),
    build: (chart, props) => new KafkaCluster(chart, 'events', props),
    enums: ['tls.clientAuth'],
  },
  {
    name: 'RedisSentinel',
    props: () => ({
      namespace: 'shop',
      passwordSecret: { name: 'cache-password', key: 'password' },
      replicas: 2,
      sentinels: 3,
      quorum: 2,
      minReplicasToWrite: 1,
      maxmemoryPercent: 75,
      maxmemoryPolicy: 'allkeys-lru',
      storage: { size: '10Gi', storageClass: 'gp3-encrypted' },
      sentinelStorage: { size: '1Gi' },
      resources: { cpu: { request: '250m', limit: '1' }, memory: { request: '1Gi', limit: '1Gi' } },
      identity: { user: 10001, group: 10001, fsGroup: 10001 },
      zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      team: 'shop',
      image: 'redis:7.2.5',
    }),
    enums: ['maxmemoryPolicy'],
    build: (chart, props) => new RedisSentinel(chart, 'cache', props),
  },
  {
    name: 'EtcdCluster',
    props: () => ({
      namespace: 'orders',
      members: 3,
      storage: { size: '8Gi', storageClass: 'gp3-encrypted' },
      team: 'orders',
      zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      tuning: {
        heartbeatIntervalMs: 100, electionTimeoutMs: 1000, snapshotCount: 10000, autoCompactionRetentionHours: 1, quotaBackendBytes: 2147483648,
      },
      resources: { cpu: { request: '250m', limit: '1' }, memory: { request: '512Mi', limit: '1Gi' } },
    }),
    build: (chart, props) => new EtcdCluster(chart, 'dcs', props),
  },
  {
    name: 'PatroniCluster',
    props: () => ({
      namespace: 'orders',
      image: 'registry.example.com/platform/patroni:3.0.4-pg15',
      credentials: { secretName: 'orders-db-credentials' },
      backup: false,
      members: 3,
      failover: { ttlSeconds: 40, loopWaitSeconds: 10, retryTimeoutSeconds: 10, synchronousStandbys: 1 },
      dcs: 'etcd',
      storage: { size: '50Gi', storageClass: 'gp3-encrypted' },
      postgresParameters: {
        maxConnections: 200,
        sharedBuffers: '1GB',
        walLevel: 'replica',
        maxWalSenders: 10,
        maxReplicationSlots: 10,
        walKeepSize: '1GB',
        walRetrieveRetryInterval: '1s',
        synchronousCommit: 'on',
        additional: { work_mem: '16MB', random_page_cost: 1.1, jit: false },
      },
      userNames: { superuser: 'postgres', replication: 'replicator', rewind: 'rewind_user' },
      kubernetesApi: { cidrs: ['10.0.0.0/16'], port: 443 },
      pooler: {
        image: 'ghcr.io/cloudnative-pg/pgbouncer:1.22.1-16',
        tier: Criticality.HIGH,
        replicas: 3,
        port: 6432,
        auth: { secretName: 'orders-db-pooler-auth', key: 'userlist.txt', authUser: 'pgbouncer', authQuery: 'SELECT usename, passwd FROM pg_shadow WHERE usename=$1' },
        resources: { cpu: { request: '250m', limit: '500m' }, memory: { request: '256Mi', limit: '512Mi' } },
        poolMode: 'transaction',
        maxClientConn: 1000,
        defaultPoolSize: 20,
        reservePoolSize: 5,
      },
    }),
    build: (chart, props) => new PatroniCluster(chart, 'orders-db', props),
    enums: ['dcs', 'postgresParameters.walLevel', 'postgresParameters.synchronousCommit', 'pooler.tier', 'pooler.poolMode'],
    // a string, a number or a boolean: most wrong values of one are right values of another (tested exactly below)
    fixed: /^postgresParameters\.additional\./,
    alsoValid: { pooler: [true, false] },
  },
  {
    name: 'LogShipper',
    props: () => ({
      output: { host: 'logs.example.internal', port: 443, user: 'fluent-bit', passwordEnv: 'LOG_STORE_PASSWORD', index: 'logs-write' },
      redactFields: ['password'],
      maskCardNumbers: true,
      freeTextFields: ['log'],
      httpPort: 2020,
      stateDir: '/var/fluent-bit/state',
      memBufLimit: '50MB',
      passwordSecret: { name: 'log-store', key: 'password' },
      outputCidrs: ['10.0.64.0/20'],
      lifecycle: { hot: { maxPrimaryShardSize: '50gb', maxAge: '1d' }, warm: { minAge: '7d' }, cold: { minAge: '30d', snapshotRepository: 's3-repository' }, delete: { minAge: '90d' } },
    }),
    build: (chart, props) => new LogShipper(chart, 'logs', props),
  },
  {
    name: 'TraceCollector',
    props: () => ({
      exporter: { protocol: 'otlp', endpoint: 'tempo-distributor.tracing.svc:4317', tls: true, headersFromEnv: { 'x-scope-orgid': 'TRACES_TENANT' } },
      exporterCidrs: ['10.0.96.0/20'],
      envFromSecrets: { TRACES_TENANT: { name: 'trace-backend', key: 'tenant' } },
      baseRatePercent: 0.1,
      slowThresholdMs: 1000,
      decisionWait: '10s',
      numTraces: 50000,
    }),
    build: (chart, props) => new TraceCollector(chart, 'traces', props),
    enums: ['exporter.protocol'],
  },
  {
    name: 'MonitoringStack',
    props: () => ({ alertRouting: ROUTING }),
    build: (chart, props) => new MonitoringStack(chart, 'monitoring', props),
  },
  {
    name: 'EntryGateway',
    props: chart => ({
      service: service(chart, 'api', { entryPoint: true }), hosts: ['api.example.com'], credentialName: 'api-example-com-tls', selector: { istio: 'ingressgateway' },
    }),
    build: (chart, props) => new EntryGateway(chart, 'entry', props),
  },
  {
    name: 'ServiceLevelObjective',
    props: chart => ({ service: service(chart), sli: Sli.availability(), ...LINKS, window: '30d', interval: '30s', objective: Objective.percent(99.9) }),
    build: (chart, props) => new ServiceLevelObjective(chart, 'slo', props),
  },
  {
    name: 'StandardAlerts',
    props: chart => ({
      service: service(chart),
      ...LINKS,
      ruleLabels: { team: 'shop' },
      http: { requestsMetric: 'http_requests_total', statusLabel: 'status', errorStatus: '5..' },
      podPattern: 'svc-[a-z0-9]+-[a-z0-9]{5}',
      interval: '30s',
      serviceDown: { enabled: true, severity: 'P0', for: '1m' },
      highErrorRate: { threshold: 0.05, for: '3m' },
      highLatency: { threshold: 1, quantile: 0.95 },
      databasePool: { database: 'orders', threshold: 0.8, selector: { pool: 'main' } },
      highMemory: { threshold: 0.7 },
      podNotReady: { enabled: false },
      crashLooping: { restarts: 3, window: '15m' },
    }),
    build: (chart, props) => {
      Checks.suppress(chart, 'NINES-RT-SIG-01', 'unit fixture: the database exporter the pool alert reads is outside this test app');
      return new StandardAlerts(chart, 'alerts', props);
    },
    enums: ['serviceDown.severity'],
  },
  {
    name: 'CanaryRelease',
    props: chart => {
      const svc = service(chart);
      return { service: svc, slo: new ServiceLevelObjective(chart, 'slo', { service: svc, sli: Sli.availability(), ...LINKS }), interval: '1m', threshold: 5 };
    },
    build: (chart, props) => new CanaryRelease(chart, 'canary', props),
  },
  {
    name: 'ChaosExperiment',
    props: chart => ({
      fault: Fault.podKill(service(chart, 'target')),
      namespace: 'chaos',
      allowProduction: false,
      schedule: { cron: '0 11 * * 1-5', timeZone: 'UTC', historyLimit: 5, startingDeadlineSeconds: 300 },
      annotations: { note: 'weekly' },
    }),
    build: (chart, props) => new ChaosExperiment(chart, 'experiment', props),
    fixed: /^fault\./,
  },
  {
    name: 'ChaosExperiment.podKill',
    props: chart => ({
      target: service(chart, 'target'), mode: 'fixed', value: 1, gracePeriod: 0, namespace: 'chaos', schedule: { cron: '0 11 * * 1-5', timeZone: 'UTC' },
    }),
    build: (_chart, { target, ...props }) => ChaosExperiment.podKill(target, props),
    enums: ['mode'],
  },
  {
    name: 'ChaosExperiment.networkDelay with a peer',
    props: chart => ({
      target: service(chart, 'target'),
      // a plain IChaosTarget (every field cast in turn) selecting the payment service's pods
      peer: { ...ChaosTarget.fromService(service(chart, 'payment')) },
      direction: 'to',
      latency: '500ms',
      jitter: '100ms',
      mode: 'fixed-percent',
      value: 50,
      duration: '10m',
      namespace: 'chaos',
    }),
    build: (_chart, { target, ...props }) => ChaosExperiment.networkDelay(target, props),
    enums: ['mode', 'direction'],
    // label keys hold dots, which the paths of this test cannot address (a label of the wrong type is tested exactly below)
    fixed: /^peer\.podLabels\./,
  },
  {
    name: 'ChaosPresets',
    props: chart => ({
      orderService: service(chart, 'order'),
      paymentService: service(chart, 'payment'),
      databasePrimary: service(chart, 'db'),
      databaseVolumePath: '/home/postgres/pgdata',
      podKillCron: '0 11 * * 1-5',
      crons: { latency: '30 11 * * 3', packetLoss: '0 14 * * 3', databaseIoLatency: '30 14 * * 3' },
      timeZone: 'UTC',
      namespace: 'chaos',
    }),
    build: (chart, props) => new ChaosPresets(chart, 'presets', props),
  },
  {
    name: 'GuardedWorkflow',
    props: chart => ({
      name: 'drill',
      namespace: 'chaos',
      steps: [ChaosSteps.fault(Fault.podKill(service(chart, 'target')), { deadline: '5m' })],
      guard: { alertName: 'OrderServiceAvailabilityBurnRateFastPage', intervalSeconds: 10, failureThreshold: 1, prometheusUrl: 'http://prometheus-operated.monitoring.svc:9090' },
      schedule: { cron: '0 11 * * 1-5', timeZone: 'UTC' },
    }),
    build: (chart, props) => {
      Checks.suppress(chart, 'NINES-RT-SIG-03', 'unit fixture: the SLO whose alert the guard waits on is outside this test app');
      return new GuardedWorkflow(chart, 'drill', props);
    },
    fixed: /\.fault\./,
  },
  {
    name: 'GameDay',
    props: chart => ({
      service: service(chart, 'order', { tier: Criticality.CRITICAL, namespace: 'orders' }),
      dependency: service(chart, 'payment', { tier: Criticality.CRITICAL, namespace: 'payments' }),
      databasePrimary: service(chart, 'db', { tier: Criticality.CRITICAL, namespace: 'databases' }),
      gateway: service(chart, 'gateway', { tier: Criticality.CRITICAL, namespace: 'edge' }),
      auth: service(chart, 'auth', { tier: Criticality.CRITICAL, namespace: 'identity' }),
      namespace: 'chaos',
      allowProduction: false,
      daysOfWeek: '2',
      timeZone: 'UTC',
      start: { hour: 9, minute: 15 },
      slotMinutes: 15,
      businessHours: { startHour: 9, endHour: 17 },
      alertNames: { order: 'OrderDown' },
      guard: { prometheusUrl: 'http://prometheus-operated.monitoring.svc:9090', matchers: { severity: 'page' }, intervalSeconds: 10, failureThreshold: 1 },
      faultDuration: '5m',
    }),
    build: (chart, props) => {
      Checks.suppress(chart, 'NINES-RT-SIG-03', 'unit fixture: the SLOs whose alerts the guards wait on are outside this test app');
      return new GameDay(chart, 'game-day', props);
    },
  },
];

/** Leaf paths of plain data in `props` (not constructs, Durations or other class instances). */
function leaves(value: unknown, path = ''): Array<{ path: string; value: unknown }> {
  if (Array.isArray(value)) return [{ path, value }, ...value.flatMap((v, i) => leaves(v, `${path}[${i}]`))];
  if (typeof value === 'object' && value !== null) {
    if (Object.getPrototypeOf(value) !== Object.prototype) return [{ path, value }];
    return [...(path ? [{ path, value }] : []), ...Object.entries(value).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k))];
  }
  return [{ path, value }];
}

/** A copy of `props` with the value at `path` replaced. */
function replaced(props: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const keys = path.match(/[^.[\]]+/g)!;
  const copy = structuredCloneShallow(props);
  let at: any = copy;
  for (const k of keys.slice(0, -1)) {
    at[k] = structuredCloneShallow(at[k]);
    at = at[k];
  }
  at[keys[keys.length - 1]] = value;
  return copy;
}

function structuredCloneShallow(v: any): any {
  return Array.isArray(v) ? [...v] : (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype ? { ...v } : v);
}

/** Wrong values for a prop whose valid value is `valid`. */
function wrongValues(valid: unknown, isEnum: boolean): fc.Arbitrary<unknown> {
  if (isEnum) return fc.oneof(fc.constantFrom('bogus', 'CRITICAL', ''), fc.integer(), fc.constant({}));
  if (typeof valid === 'number') {
    return fc.oneof(
      fc.constantFrom(NaN, Infinity, -Infinity), fc.integer({ min: 1, max: 99 }).map(String), fc.constant([]), fc.constant({}), fc.constant(true),
    );
  }
  if (typeof valid === 'string') return fc.oneof(fc.integer(), fc.constant({}), fc.constant([]), fc.constant(true));
  if (typeof valid === 'boolean') return fc.oneof(fc.constantFrom('yes', 'false', 1, 0), fc.constant({}), fc.constant([]));
  if (Array.isArray(valid)) return fc.oneof(fc.string({ minLength: 1 }), fc.integer(), fc.constant({}), fc.constant(true));
  return fc.oneof(fc.string({ minLength: 1 }), fc.integer(), fc.constant([]), fc.constant(true));
}

type Outcome = { readonly kind: 'accepted' } | { readonly kind: 'problem'; readonly error: ValidationError } | { readonly kind: 'crash'; readonly error: Error };

/** Builds, then synthesizes: accepted, the app's ValidationError, or anything else thrown. */
function outcome(s: Subject, props: (chart: Chart) => Record<string, unknown>): Outcome {
  const app = Testing.app();
  Checks.of(app).log = () => {};
  withoutClusterObjects(app);
  const chart = new RegionChart(app, 'test', { region: PLATFORM.region('us-east-1') });
  try {
    s.build(chart, props(chart));
    Testing.synth(chart);
    return { kind: 'accepted' };
  } catch (e) {
    if (e instanceof ValidationError) return { kind: 'problem', error: e };
    return { kind: 'crash', error: e as Error };
  } finally {
    takeRecordedProblems();
  }
}

/** True when a problem names `path`, a prop inside it, or the prop (or list) that holds it. */
function names(error: ValidationError, path: string): boolean {
  return error.problems.some(p => p.prop === path || p.prop.startsWith(`${path}.`) || p.prop.startsWith(`${path}[`)
    || path.startsWith(`${p.prop}.`) || path.startsWith(`${p.prop}[`));
}

describe.each(SUBJECTS.map(s => [s.name, s] as const))('%s: casts past the types', (_name, subject) => {
  test('the valid props synthesize (the baseline of the property)', () => {
    expect(outcome(subject, chart => subject.props(chart)).kind).toBe('accepted');
  });

  test('property: any one prop of the wrong runtime type is a problem naming it, never a crash or a manifest', () => {
    const paths = leaves(subject.props(new RegionChart(Testing.app(), 'probe', { region: PLATFORM.region('us-east-1') })))
      .filter(({ path }) => !subject.fixed?.test(path));
    const cases = fc.constantFrom(...paths)
      .chain(({ path, value }) => wrongValues(value, subject.enums?.includes(path) ?? false).map(wrong => ({ path, wrong })))
      .filter(({ path, wrong }) => !(subject.alsoValid?.[path] ?? []).includes(wrong));
    fc.assert(fc.property(cases, ({ path, wrong }) => {
      const result = outcome(subject, chart => replaced(subject.props(chart), path, wrong));
      const seen = result.kind === 'problem' ? (names(result.error, path) ? 'named' : `other: ${result.error.problems.map(p => p.prop).join(', ')}`)
        : result.kind === 'crash' ? `crash: ${result.error.message.split('\n')[0]}` : 'accepted';
      expect({ path, wrong, seen }).toEqual({ path, wrong, seen: 'named' });
    }), { numRuns: Math.min(300, paths.length * 8), seed: 13 });
  });
});


describe('propTypeProblems: the runtime type of each prop, in the error format', () => {
  test('exact problems for a list given as one value, NaN, a string number, a nested object of the wrong type, a Duration that is a number', () => {
    expect(propTypeProblems({ zones: 'us-east-1a', replicas: NaN, port: '8080', quota: [], shutdown: { drain: 15 }, tags: ['a', 1] }, {
      zones: ['string'], replicas: 'number', port: 'number', quota: { pods: 'number' }, shutdown: { drain: 'duration' }, tags: ['string'], unset: 'string',
    })).toEqual([
      { prop: 'zones', value: 'us-east-1a', why: 'is not a list', fix: 'give a list (an array), even of one item' },
      { prop: 'replicas', value: NaN, why: 'is not a finite number', fix: 'give a number (not NaN, Infinity or a string)' },
      { prop: 'port', value: '8080', why: 'is not a finite number', fix: 'give a number (not NaN, Infinity or a string)' },
      { prop: 'quota', value: [], why: 'is not an object', fix: 'give an object of the documented shape' },
      { prop: 'shutdown.drain', value: 15, why: 'is not a Duration', fix: 'give a cdk8s Duration, e.g. Duration.seconds(30)' },
      { prop: 'tags[1]', value: 1, why: 'is not a string', fix: 'give a string' },
    ]);
    expect(propTypeProblems({ autoscaling: true, backup: { bucket: 7 } }, { autoscaling: { anyOf: ['false', { minReplicas: 'number' }] }, backup: { anyOf: ['false', { bucket: 'string' }] } })).toEqual([
      { prop: 'autoscaling', value: true, why: 'is not false or an object', fix: 'give false or an object' },
      { prop: 'backup.bucket', value: 7, why: 'is not a string', fix: 'give a string' },
    ]);
    expect(propTypeProblems('oops', {})).toEqual([{ prop: 'props', value: 'oops', why: 'is not an object', fix: 'give an object of the documented shape' }]);
  });

  test('a ResilientService with zones given as one string: one problem naming it, in the construct\'s error', () => {
    const result = outcome(SUBJECTS[0], chart => ({ ...SUBJECTS[0].props(chart), zones: 'us-east-1a' }));
    expect(result.kind === 'problem' ? result.error.message : result.kind).toBe([
      "ResilientService 'test/svc': 1 problem:",
      ' - zones ("us-east-1a") is not a list; give a list (an array), even of one item',
    ].join('\n'));
  });
});

describe('Platform.fromDescription: casts in the platform description', () => {
  const description = () => ({
    environment: 'production',
    regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], vpcCidr: '10.0.0.0/16', timeZone: 'America/New_York' }],
    meshNamespace: 'istio-system',
    clusterDomain: 'cluster.local',
    kubernetesVersion: '1.33',
    capabilities: ['storage-class:gp3'],
    mesh: { cni: true, nativeSidecars: false, outboundTrafficPolicy: 'REGISTRY_ONLY' },
    clusterMetrics: { kubeStateMetrics: true, kubelet: true, nodeExporter: false },
    externalMetrics: [{ source: 'federated Prometheus', metrics: ['pg_stat_activity_count'] }],
  });

  test('property: any one field of the wrong runtime type is a problem naming it, never a crash', () => {
    expect(() => Platform.fromDescription(description() as any)).not.toThrow();
    const paths = leaves(description());
    const cases = fc.constantFrom(...paths).chain(({ path, value }) => wrongValues(value, false).map(wrong => ({ path, wrong })));
    fc.assert(fc.property(cases, ({ path, wrong }) => {
      let seen = 'accepted';
      try {
        Platform.fromDescription(replaced(description(), path, wrong) as any);
      } catch (e) {
        seen = e instanceof ValidationError ? (names(e, path) ? 'named' : `other: ${e.problems.map(p => p.prop).join(', ')}`) : `crash: ${(e as Error).message}`;
      }
      expect({ path, wrong, seen }).toEqual({ path, wrong, seen: 'named' });
    }), { numRuns: 120, seed: 13 });
  });

  test('casts inside mesh, clusterMetrics and externalMetrics, with other problems of the description: all in one error', () => {
    expect(() => Platform.fromDescription({
      ...description(),
      environment: 'Production',
      mesh: { cni: 'true', outboundTrafficPolicy: 'DENY' },
      clusterMetrics: { nodeExporter: 1 },
      externalMetrics: [{ source: 'federated', metrics: 'pg_up' }],
    } as any)).toThrow([
      "Platform 'Production': 5 problems:",
      ' - mesh.cni ("true") is not a boolean; give true or false',
      ' - clusterMetrics.nodeExporter (1) is not a boolean; give true or false',
      ' - externalMetrics[0].metrics ("pg_up") is not a list; give a list (an array), even of one item',
      ' - environment ("Production") is not a DNS label; use lower-case letters, digits and "-", e.g. "production"',
      ' - mesh.outboundTrafficPolicy ("DENY") is not an Istio outbound traffic policy mode; use "REGISTRY_ONLY" (only registered hosts) or "ALLOW_ANY"',
    ].join('\n'));
  });

  test('regions given as one region object: exactly one problem', () => {
    expect(() => Platform.fromDescription({ environment: 'production', regions: { name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'] } } as any))
      .toThrow("Platform 'production': 1 problem:\n - regions ({\"name\":\"us-east-1\",\"zones\":[\"us-east-1a\",\"us-east-1b\"]}) is not a list; give a list (an array), even of one item");
  });
});

/** The Pulumi components' pure args resolvers: the same property, without Pulumi (nothing is registered). */
describe('Pulumi components\' args resolvers: casts past the types', () => {
  const region = PLATFORM.region('us-east-1');
  const vpc = { region, zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], clusterName: 'test-us-east-1' };
  const cluster = { clusterName: 'test-us-east-1', kubernetesVersion: PLATFORM.kubernetesVersion, instanceTypes: ['m6i.xlarge'] };
  type Resolver = { name: string; args: () => Record<string, unknown>; resolve: (args: any) => { problems?: readonly { prop: string }[] } };
  const resolvers: readonly Resolver[] = [
    {
      name: 'MultiAzVpc',
      args: () => ({ region, zones: ['us-east-1a', 'us-east-1b'], zoneSlots: 4, flowLogs: { retentionDays: 365, trafficType: 'ALL' }, interfaceEndpoints: ['sts'], tags: { team: 'platform' } }),
      resolve: args => resolveMultiAzVpcArgs('x', args),
    },
    {
      name: 'RegionalCluster',
      args: () => ({
        publicAccessCidrs: ['198.18.7.0/28'],
        instanceTypes: ['m6i.xlarge'],
        nodesPerZone: { min: 1, desired: 2, max: 6 },
        rootVolumeGiB: 50,
        logRetentionDays: 90,
        backupLifecycle: { transitionDays: 30, expirationDays: 365 },
        backupServiceAccounts: [{ namespace: 'orders', name: 'orders-db' }],
        tags: { team: 'platform' },
      }),
      resolve: args => resolveRegionalClusterArgsIn('x', args, vpc),
    },
    {
      name: 'ClusterAddons',
      args: () => ({ versions: { istio: '1.30.0' }, enable: { chaosMesh: true }, namespaces: { chaos: 'chaos-mesh' }, gatewayMinReplicas: 3, reservedNamespaces: ['shop'] }),
      resolve: args => resolveClusterAddonsArgsIn('x', args, cluster, vpc),
    },
    {
      name: 'Karpenter',
      args: () => ({ limitsPerZone: { cpu: 8, memoryGiB: 32 }, version: '1.9.2', instanceTypes: ['m6i.xlarge'], tags: { team: 'platform' } }),
      resolve: args => resolveKarpenterArgsIn('x', args, cluster, vpc),
    },
    {
      name: 'GlobalFailover',
      args: () => ({ hostedZoneId: 'Z1', recordName: 'api.shop.dev', entryPoints: { 'us-east-1': 'a.shop.dev' }, healthCheck: { path: '/healthz', port: 443, failureThreshold: 3 }, ttl: 60 }),
      resolve: args => resolveGlobalFailoverArgs('x', { platform: PLATFORM, ...args }),
    },
  ];

  test.each(resolvers.map(r => [r.name, r] as const))('%s: any one arg of the wrong runtime type is a problem naming it, never a crash', (_name, r) => {
    expect(r.resolve(r.args()).problems).toBeUndefined();
    const paths = leaves(r.args()).filter(({ path }) => path !== 'region');
    const cases = fc.constantFrom(...paths).chain(({ path, value }) => wrongValues(value, false).map(wrong => ({ path, wrong })));
    fc.assert(fc.property(cases, ({ path, wrong }) => {
      let seen: string;
      try {
        const problems = r.resolve(replaced(r.args(), path, wrong)).problems;
        seen = problems === undefined ? 'accepted'
          : names(new ValidationError(r.name, 'x', problems as any), path) ? 'named' : `other: ${problems.map(p => p.prop).join(', ')}`;
      } catch (e) {
        seen = `crash: ${(e as Error).message.split('\n')[0]}`;
      }
      expect({ path, wrong, seen }).toEqual({ path, wrong, seen: 'named' });
    }), { numRuns: Math.min(200, paths.length * 8), seed: 13 });
  });
});

describe('wrong types and other problems together', () => {
  test('a ResilientService with a list given as one string and a replica count too low: both problems, in one error', () => {
    const result = outcome(SUBJECTS[0], chart => ({ ...SUBJECTS[0].props(chart), envFromSecrets: 'svc-secrets', autoscaling: false, replicas: 1 }));
    expect(result.kind === 'problem' ? result.error.message : result.kind).toBe([
      "ResilientService 'test/svc': 2 problems:",
      ' - envFromSecrets ("svc-secrets") is not a list; give a list (an array), even of one item',
      ' - replicas (1) must be an integer >= 2: one replica is a single point of failure; use at least 2 (3 for critical and high tiers)',
    ].join('\n'));
  });

  test('a Bulkhead with a boolean given as a string and a bad team: both; RegionalCluster args likewise', () => {
    const bulkhead = SUBJECTS.find(x => x.name === 'Bulkhead')!;
    const result = outcome(bulkhead, () => ({ team: 'shop team', mesh: 'yes' }));
    expect(result.kind === 'problem' ? result.error.message : result.kind).toBe([
      "Bulkhead 'test/shop': 2 problems:",
      ' - mesh ("yes") is not a boolean; give true or false',
      ' - team ("shop team") is not a valid label value; use letters, digits, "-", "_" or "."',
    ].join('\n'));
    const vpc = { region: PLATFORM.region('us-east-1'), zones: ['us-east-1a', 'us-east-1b'], clusterName: 'c' };
    expect(resolveRegionalClusterArgsIn('x', { publicAccessCidrs: '198.18.7.0/28' as any, rootVolumeGiB: 5 }, vpc).problems).toEqual([
      { prop: 'publicAccessCidrs', value: '198.18.7.0/28', why: 'is not a list', fix: 'give a list (an array), even of one item' },
      { prop: 'rootVolumeGiB', value: 5, why: 'is not between 20 and 16384 GiB', fix: 'use e.g. 50' },
    ]);
  });

  test('a GameDay with a target given as a name, a number as a string and a weekend day: all three, in one error', () => {
    const gameDay = SUBJECTS.find(x => x.name === 'GameDay')!;
    const result = outcome(gameDay, chart => ({ ...gameDay.props(chart), gateway: 'api-gateway', slotMinutes: '15', daysOfWeek: '6' }));
    expect(result.kind === 'problem' ? result.error.message : result.kind).toBe([
      "GameDay 'test/game-day': 3 problems:",
      ' - gateway ("api-gateway") is not an object; give an object of the documented shape',
      ' - slotMinutes ("15") is not a finite number; give a number (not NaN, Infinity or a string)',
      ' - daysOfWeek ("6") must name weekdays only (1-5, Monday to Friday); use e.g. "2" or "1-5"',
    ].join('\n'));
  });

  test('StandardAlerts with an alert option given as a number, a threshold as a string, a bad severity and a bad link: all four, in one error', () => {
    const alerts = SUBJECTS.find(x => x.name === 'StandardAlerts')!;
    const result = outcome(alerts, chart => ({
      ...alerts.props(chart), highMemory: 0.7, highErrorRate: { threshold: '0.05' }, serviceDown: { severity: 'P9' }, runbookBaseUrl: 'wiki/runbooks',
    }));
    expect(result.kind === 'problem' ? result.error.message : result.kind).toBe([
      "StandardAlerts 'test/alerts': 4 problems:",
      ' - highErrorRate.threshold ("0.05") is not a finite number; give a number (not NaN, Infinity or a string)',
      ' - highMemory (0.7) is not an object; give an object of the documented shape',
      " - serviceDown.severity (\"P9\") is not a severity tier; use one of P0, P1, P2, P3, P4 (the case study's tiers)",
      ' - runbookBaseUrl ("wiki/runbooks") is not an absolute http(s) URL; give a full URL, e.g. "https://wiki.example.com/runbooks"',
    ].join('\n'));
  });

  test('a ResilientService with casts inside probes, env and the traffic policy: each nested prop named, with the other problems', () => {
    const result = outcome(SUBJECTS[0], chart => ({
      ...SUBJECTS[0].props(chart),
      probes: { liveness: { path: '/health/live' }, startup: true },
      env: { MODE: 1 },
      traffic: { connectionPool: { tcp: { maxConnections: '100' } }, outlierDetection: { consecutive5xxErrors: '5', interval: 30 } },
      replicas: 1,
      autoscaling: false,
    }));
    expect(result.kind === 'problem' ? result.error.message : result.kind).toBe([
      "ResilientService 'test/svc': 7 problems:",
      ' - probes.startup (true) is not false or an object; give false or an object',
      ' - env.MODE (1) is not a string; give a string',
      ' - traffic.connectionPool.tcp.maxConnections ("100") is not a finite number; give a number (not NaN, Infinity or a string)',
      ' - traffic.outlierDetection.consecutive5xxErrors ("5") is not a finite number; give a number (not NaN, Infinity or a string)',
      ' - traffic.outlierDetection.interval (30) is not a string; give a string',
      ' - replicas (1) must be an integer >= 2: one replica is a single point of failure; use at least 2 (3 for critical and high tiers)',
      ' - probes.liveness ({"path":"/health/live"}) is not a Probe; build it with Probe.http(path) or Probe.tcp(port)',
    ].join('\n'));
  });

  test('a LogShipper with a lifecycle tier given as a string and an age as a number: both named, with the other problems', () => {
    const shipper = SUBJECTS.find(x => x.name === 'LogShipper')!;
    const result = outcome(shipper, () => ({ ...shipper.props(undefined as any), lifecycle: { warm: '7d', delete: { minAge: 90 } }, outputCidrs: ['10.0.64.0'] }));
    expect(result.kind === 'problem' ? result.error.message : result.kind).toBe([
      "LogShipper 'test/logs': 3 problems:",
      ' - lifecycle.warm ("7d") is not an object; give an object of the documented shape',
      ' - lifecycle.delete.minAge (90) is not a string; give a string',
      ' - outputCidrs[0] ("10.0.64.0") is not an IPv4 CIDR block (a.b.c.d/n); give e.g. "10.0.64.0/20"',
    ].join('\n'));
  });

  test('a ResilientService with a Probe built from casts (a period as a number, a path as a number): each named, never a TypeError', () => {
    const result = outcome(SUBJECTS[0], chart => ({
      ...SUBJECTS[0].props(chart),
      probes: { readiness: Probe.http('/health/ready', { period: 10 as any }), liveness: Probe.http(7 as any) },
    }));
    expect(result.kind === 'problem' ? result.error.message : result.kind).toBe([
      "ResilientService 'test/svc': 2 problems:",
      ' - probes.liveness.path (7) is not a string; give a string',
      ' - probes.readiness.period (10) is not a Duration; give a cdk8s Duration, e.g. Duration.seconds(30)',
    ].join('\n'));
  });
});

/** Casts inside nested options (objects of the documented shape), each field named by its path. */
describe('casts inside nested options: each field named, never a TypeError or a manifest', () => {
  const subject = (name: string) => SUBJECTS.find(x => x.name === name)!;
  const messageOf = (name: string, props: (chart: Chart) => Record<string, unknown>) => {
    const result = outcome(subject(name), props);
    return result.kind === 'problem' ? result.error.message : result.kind === 'crash' ? `crash: ${result.error.message}` : result.kind;
  };

  test('KafkaCluster: tls, both storages and topic retentions with fields of the wrong type', () => {
    const kafka = subject('KafkaCluster');
    expect(messageOf('KafkaCluster', chart => ({
      ...kafka.props(chart),
      tls: { secretName: 7, clientAuth: true },
      brokerStorage: { size: 100, storageClass: ['gp3'] },
      controllerStorage: { storageClassName: {} },
      topics: [{ name: 'orders', retention: '7d' }, { name: 'audit', retention: 604800000 }],
    }))).toBe([
      "KafkaCluster 'test/events': 7 problems:",
      ' - topics[1].retention (604800000) is not a Duration or a string; give a Duration or a string',
      ' - tls.secretName (7) is not a string; give a string',
      ' - tls.clientAuth (true) is not a string; give a string',
      ' - brokerStorage.size (100) is not a string; give a string',
      ' - brokerStorage.storageClass (["gp3"]) is not a string; give a string',
      ' - controllerStorage.storageClassName ({}) is not a string; give a string',
      ' - topics[0].retention ("7d") is neither a Duration nor \'forever\'; use e.g. Duration.days(7), or \'forever\'',
    ].join('\n'));
  });

  test('PatroniCluster: storage, postgresParameters, userNames, kubernetesApi and pooler with fields of the wrong type or unknown values', () => {
    const patroni = subject('PatroniCluster');
    expect(messageOf('PatroniCluster', chart => ({
      ...patroni.props(chart),
      storage: { size: 50 },
      postgresParameters: { maxConnections: '200', walLevel: 'minimal', synchronousCommit: 'sometimes', additional: { work_mem: { mb: 16 }, jit: ['off'] } },
      userNames: { replication: 7 },
      kubernetesApi: { cidrs: '10.0.0.0/16', port: '443' },
      pooler: { replicas: '3', auth: { secretName: 9 }, resources: { cpu: 1 }, poolMode: 'bogus' },
    }))).toBe([
      "PatroniCluster 'test/orders-db': 13 problems:",
      ' - storage.size (50) is not a string; give a string',
      ' - postgresParameters.maxConnections ("200") is not a finite number; give a number (not NaN, Infinity or a string)',
      ' - postgresParameters.additional.work_mem ({"mb":16}) is not a string or a finite number or a boolean; give a string or a finite number or a boolean',
      ' - postgresParameters.additional.jit (["off"]) is not a string or a finite number or a boolean; give a string or a finite number or a boolean',
      ' - userNames.replication (7) is not a string; give a string',
      ' - kubernetesApi.cidrs ("10.0.0.0/16") is not a list; give a list (an array), even of one item',
      ' - kubernetesApi.port ("443") is not a finite number; give a number (not NaN, Infinity or a string)',
      ' - pooler.replicas ("3") is not a finite number; give a number (not NaN, Infinity or a string)',
      ' - pooler.auth.secretName (9) is not a string; give a string',
      ' - pooler.resources.cpu (1) is not an object; give an object of the documented shape',
      ' - postgresParameters.walLevel ("minimal") is not a wal_level that keeps standbys streaming; use "replica" (or "logical" for logical decoding)',
      ' - postgresParameters.synchronousCommit ("sometimes") is not a synchronous_commit level; use one of "on", "remote_apply", "remote_write", "local", "off"',
      ' - pooler.poolMode ("bogus") is not a PgBouncer pool mode; use "transaction" (or "session" for session state)',
    ].join('\n'));
  });

  test('EntryGateway: a selector value of the wrong type, one too long, an empty one and a bad key', () => {
    const gateway = subject('EntryGateway');
    expect(messageOf('EntryGateway', chart => ({
      ...gateway.props(chart),
      selector: { 'istio': 7, 'app': 'x'.repeat(64), 'tier': '', 'bad key': 'gateway' },
    }))).toBe([
      "EntryGateway 'test/entry': 4 problems:",
      ' - selector.istio (7) is not a string; give a string',
      ` - selector.app ("${'x'.repeat(64)}") is not a non-empty label value (at most 63 letters, digits, "-", "_" or ".", beginning and ending with a letter or digit); `
        + 'use the ingress gateway pods\' label value, e.g. "ingressgateway"',
      ' - selector.tier ("") is not a non-empty label value (at most 63 letters, digits, "-", "_" or ".", beginning and ending with a letter or digit); '
        + 'use the ingress gateway pods\' label value, e.g. "ingressgateway"',
      ' - selector.bad key ("bad key") is not a label key (an optional DNS subdomain and "/", then at most 63 letters, digits, "-", "_" or "."); '
        + 'use the ingress gateway pods\' label key, e.g. "istio"',
    ].join('\n'));
  });

  test('TraceCollector: exporter fields and sampling options of the wrong type', () => {
    const collector = subject('TraceCollector');
    expect(messageOf('TraceCollector', chart => ({
      ...collector.props(chart),
      exporter: { endpoint: 'tempo-distributor.tracing.svc:4317', protocol: 4, tls: 'false', headersFromEnv: { 'x-scope-orgid': ['TRACES_TENANT'] } },
      baseRatePercent: '0.1',
      decisionWait: 10,
    }))).toBe([
      "TraceCollector 'test/traces': 5 problems:",
      ' - exporter.protocol (4) is not a string; give a string',
      ' - exporter.tls ("false") is not a boolean; give true or false',
      ' - exporter.headersFromEnv.x-scope-orgid (["TRACES_TENANT"]) is not a string; give a string',
      ' - baseRatePercent ("0.1") is not a finite number; give a number (not NaN, Infinity or a string)',
      ' - decisionWait (10) is not a string; give a string',
    ].join('\n'));
  });

  test('Chaos: a peer and a fault built from casts, each field named under the fault (never a manifest with an undefined namespace)', () => {
    const experiment = subject('ChaosExperiment');
    expect(messageOf('ChaosExperiment', chart => ({
      ...experiment.props(chart),
      fault: Fault.networkPartition(service(chart, 'caller'), { peer: { podLabels: { app: 5 } } as any, direction: 'sideways' as any }),
    }))).toBe([
      "ChaosExperiment 'test/experiment': 3 problems:",
      ' - fault.direction ("sideways") is not a NetworkChaos direction; use "to", "from" or "both"',
      ' - fault.peer.podLabels.app (5) is not a string; give a string',
      ' - fault.peer.namespace (undefined) is not a namespace name; use the namespace of the target construct',
    ].join('\n'));
    expect(messageOf('ChaosExperiment', chart => ({
      ...experiment.props(chart),
      fault: { kind: 'PodKill', name: 'Kill', spec: {}, target: {} },
    }))).toBe([
      "ChaosExperiment 'test/experiment': 4 problems:",
      ' - fault.kind ("PodKill") is not a Chaos Mesh fault kind; use "PodChaos", "NetworkChaos", "IOChaos" (build the fault with Fault)',
      ' - fault.name ("Kill") is not a DNS label (the chaos object is named after it); build the fault with Fault, which names it',
      ' - fault.target.namespace (undefined) is not a namespace name; use the namespace of the target construct',
      " - fault.target.podLabels (undefined) is empty, which would select every pod of the namespace; give the labels that select exactly the target's pods (e.g. a ResilientService's selectorLabels)",
    ].join('\n'));
    const workflow = subject('GuardedWorkflow');
    expect(messageOf('GuardedWorkflow', chart => ({
      ...workflow.props(chart),
      steps: [{ name: 'kill', fault: { kind: 'PodChaos', name: 'kill', spec: { action: 'pod-kill' }, target: { namespace: 'shop', podLabels: ['app=shop'] } } }],
    }))).toBe([
      "GuardedWorkflow 'test/drill': 1 problem:",
      ' - steps.kill.fault.target.podLabels (["app=shop"]) is not an object; give an object of the documented shape',
    ].join('\n'));
  });

  test('GameDay: targets given as {}, without pod labels, with a label of the wrong type or not at all: each under its exact prop path', () => {
    const gameDay = subject('GameDay');
    expect(messageOf('GameDay', chart => ({
      ...gameDay.props(chart),
      service: {},
      dependency: { namespace: 'payments' },
      gateway: { namespace: 'Edge', podLabels: { app: 7 } },
      auth: undefined,
    }))).toBe([
      "GameDay 'test/game-day': 6 problems:",
      ' - service.namespace (undefined) is not a namespace name; use the namespace of the target construct',
      " - service.podLabels (undefined) is empty, which would select every pod of the namespace; give the labels that select exactly the target's pods (e.g. a ResilientService's selectorLabels)",
      " - dependency.podLabels (undefined) is empty, which would select every pod of the namespace; give the labels that select exactly the target's pods (e.g. a ResilientService's selectorLabels)",
      ' - gateway.podLabels.app (7) is not a string; give a string',
      ' - gateway.namespace ("Edge") is not a namespace name; use the namespace of the target construct',
      ' - auth (undefined) is not set; pass a ResilientService, or an IChaosTarget such as ChaosTarget.databasePrimary(db)',
    ].join('\n'));
  });

  test('GlobalFailover: entry points given as a URL, a number, an object or a list; a Promise is a host name known at deploy time', () => {
    const args = { platform: PLATFORM, hostedZoneId: 'Z1', recordName: 'api.shop.dev' };
    expect(resolveGlobalFailoverArgs('dns', { ...args, entryPoints: { 'us-east-1': 'https://a.shop.dev/' } }).problems).toEqual([{
      prop: 'entryPoints.us-east-1',
      value: 'https://a.shop.dev/',
      why: 'is not a fully qualified host name (no scheme, port or path)',
      fix: 'pass the load balancer\'s DNS name, e.g. "k8s-ingress-0123456789.elb.us-east-1.amazonaws.com"',
    }]);
    for (const host of [443, { host: 'a.shop.dev' }, ['a.shop.dev']]) {
      expect(resolveGlobalFailoverArgs('dns', { ...args, entryPoints: { 'us-east-1': host as any } }).problems).toEqual([{
        prop: 'entryPoints.us-east-1', value: host, why: 'is not a host name (a string or an Output of one)', fix: 'pass the host name of the region\'s public load balancer',
      }]);
    }
    expect(resolveGlobalFailoverArgs('dns', { ...args, entryPoints: { 'us-east-1': Promise.resolve('a.shop.dev') } }).problems).toBeUndefined();
  });

  test('PriorityClasses: props a JavaScript caller passes (it takes none) are problems, in the app\'s one error with the other constructs\' problems', () => {
    const build = (chart: Chart) => {
      new PriorityClasses(chart, 'priority', { tiers: ['critical'], globalDefault: 'nines-medium' } as any);
      new PriorityClasses(chart, 'priority-2', 'critical' as any);
      new Bulkhead(chart, 'shop', { team: 'shop team' });
    };
    const result = outcome({ name: 'PriorityClasses', props: () => ({}), build }, () => ({}));
    const fix = 'remove it: the classes (nines-critical, nines-high, nines-medium, nines-low) and their priorities are fixed by the criticality tiers, whose pods name them';
    expect(result.kind === 'problem' ? result.error.message : result.kind).toBe([
      '4 problems in 3 constructs, nothing was synthesized:',
      "PriorityClasses 'test/priority': 2 problems:",
      ` - tiers (["critical"]) is not a prop of PriorityClasses, which takes none; ${fix}`,
      ` - globalDefault ("nines-medium") is not a prop of PriorityClasses, which takes none; ${fix}`,
      "PriorityClasses 'test/priority-2': 1 problem:",
      ` - props ("critical") is given, but PriorityClasses takes no props; call new PriorityClasses(scope, id) and ${fix}`,
      "Bulkhead 'test/shop': 1 problem:",
      ' - team ("shop team") is not a valid label value; use letters, digits, "-", "_" or "."',
    ].join('\n'));
    expect(outcome({ name: 'PriorityClasses', props: () => ({}), build: chart => new PriorityClasses(chart, 'priority', {}) }, () => ({})).kind).toBe('accepted');
  });

  test('RedisSentinel and EtcdCluster: storage, resources, tuning and settings of the wrong type, a maxmemory policy Redis does not know', () => {
    const redis = subject('RedisSentinel');
    expect(messageOf('RedisSentinel', chart => ({
      ...redis.props(chart),
      storage: { size: 10 },
      sentinelResources: { cpu: '100m' },
      passwordSecret: { name: 'cache-password', key: 7 },
      quorum: '2',
      maxmemoryPolicy: 'lru',
    }))).toBe([
      "RedisSentinel 'test/cache': 5 problems:",
      ' - passwordSecret.key (7) is not a string; give a string',
      ' - quorum ("2") is not a finite number; give a number (not NaN, Infinity or a string)',
      ' - storage.size (10) is not a string; give a string',
      ' - sentinelResources.cpu ("100m") is not an object; give an object of the documented shape',
      ' - maxmemoryPolicy ("lru") is not a Redis maxmemory-policy; use one of "noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", '
        + '"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"',
    ].join('\n'));
    const etcd = subject('EtcdCluster');
    expect(messageOf('EtcdCluster', chart => ({
      ...etcd.props(chart), zones: ['us-east-1a', {}, 'us-east-1c'], tuning: { heartbeatIntervalMs: '100' }, storage: { storageClass: 3 },
    }))).toBe([
      "EtcdCluster 'test/dcs': 3 problems:",
      ' - zones[1] ({}) is not a string; give a string',
      ' - storage.storageClass (3) is not a string; give a string',
      ' - tuning.heartbeatIntervalMs ("100") is not a finite number; give a number (not NaN, Infinity or a string)',
    ].join('\n'));
  });

  test('PatroniCluster dcs, EntryGateway service and LogShipper output given as values of the wrong kind: each named, never a TypeError', () => {
    const patroni = subject('PatroniCluster');
    expect(messageOf('PatroniCluster', chart => ({ ...patroni.props(chart), dcs: 'zookeeper' }))).toBe([
      "PatroniCluster 'test/orders-db': 1 problem:",
      ' - dcs ("zookeeper") is not a Patroni DCS this construct runs; use "etcd" (an EtcdCluster of its own), "kubernetes" (Endpoints and ConfigMaps), '
        + 'or an EtcdCluster to share',
    ].join('\n'));
    expect(messageOf('PatroniCluster', chart => ({ ...patroni.props(chart), dcs: { hosts: ['etcd:2379'] } }))).toBe([
      "PatroniCluster 'test/orders-db': 1 problem:",
      ' - dcs ({"hosts":["etcd:2379"]}) is not a Patroni DCS this construct runs; use "etcd" (an EtcdCluster of its own), "kubernetes" (Endpoints and ConfigMaps), '
        + 'or an EtcdCluster to share',
    ].join('\n'));
    expect(messageOf('EntryGateway', chart => ({ ...subject('EntryGateway').props(chart), service: { name: 'api' } }))).toBe([
      "EntryGateway 'test/entry': 1 problem:",
      ' - service ({"name":"api"}) is not a ResilientService; pass the ResilientService the gateway routes to (created with entryPoint: true)',
    ].join('\n'));
    const shipper = subject('LogShipper');
    expect(messageOf('LogShipper', () => ({
      ...shipper.props(undefined as any), output: { host: 'logs.example.internal', index: 5, user: ['fluent-bit'] }, maskCardNumbers: 'yes', httpPort: '2020',
    }))).toBe([
      "LogShipper 'test/logs': 4 problems:",
      ' - output.user (["fluent-bit"]) is not a string; give a string',
      ' - output.index (5) is not a string; give a string',
      ' - maskCardNumbers ("yes") is not a boolean; give true or false',
      ' - httpPort ("2020") is not a finite number; give a number (not NaN, Infinity or a string)',
    ].join('\n'));
  });

  test('Chaos: a target\'s disruption budget with a maxUnavailable that is not a count or a percentage, and without replicas', () => {
    const experiment = subject('ChaosExperiment');
    expect(messageOf('ChaosExperiment', chart => ({
      ...experiment.props(chart),
      fault: Fault.podKill({ namespace: 'shop', podLabels: { app: 'shop' }, disruptionBudget: { maxUnavailable: 'one' } as any }),
    }))).toBe([
      "ChaosExperiment 'test/experiment': 2 problems:",
      ' - fault.target.disruptionBudget.maxUnavailable ("one") is not a count or a percentage; give a number of pods or e.g. "25%"',
      " - fault.target.disruptionBudget.replicas (undefined) is not set; give the pods the target runs (the PDB's denominator)",
    ].join('\n'));
  });
});
