/**
 * The stateful constructs' alerts (PatroniCluster, RedisSentinel, KafkaCluster) link their
 * runbook: `runbookBaseUrl` prop > the platform description's `runbookBaseUrl` > no link (which
 * `renderRunbooks` / `writeRunbooks` report). EtcdCluster emits no alerts.
 */
import { App, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import * as fc from 'fast-check';
import { errorOf, find, withoutClusterObjects } from './helpers';
import { Checks, Platform, RegionChart, ValidationError } from '../../lib';
import { runbookAnnotation } from '../../lib/core/platform';
import { EtcdCluster } from '../../lib/k8s/etcd-cluster';
import { KafkaCluster } from '../../lib/k8s/kafka-cluster';
import { PatroniCluster } from '../../lib/k8s/patroni-cluster';
import { RedisSentinel } from '../../lib/k8s/redis-sentinel';
import { collectAlerts, renderRunbooks, runbookSlug } from '../../lib/k8s/runbooks';
import { expectValidManifests } from '../util/schema';

const PLATFORM_BASE = 'https://runbooks.example.com/shop';
const PROP_BASE = 'https://wiki.example.com/runbooks/data';
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

function chartOf(runbookBaseUrl?: string): { app: App; chart: RegionChart } {
  const platform = Platform.fromDescription({ environment: 'test', regions: [{ name: 'us-east-1', zones: ZONES, vpcCidr: '10.10.0.0/16' }], runbookBaseUrl });
  const app = Testing.app();
  withoutClusterObjects(app);
  const chart = new RegionChart(app, 'test', { region: platform.region('us-east-1') });
  Checks.of(app).log = () => {};
  return { app, chart };
}

interface Case {
  readonly kind: string;
  readonly id: string;
  readonly make: (scope: Construct, runbookBaseUrl?: string) => Construct & { readonly runbookBaseUrl?: string };
  /** Each alert and the slug of its page, in rule order. */
  readonly slugs: ReadonlyArray<readonly [string, string]>;
}

const CASES: readonly Case[] = [
  {
    kind: 'PatroniCluster',
    id: 'orders-db',
    make: (scope, runbookBaseUrl) => new PatroniCluster(scope, 'orders-db', {
      namespace: 'orders',
      image: 'registry.example.com/platform/patroni:3.0.4-pg15',
      credentials: { secretName: 'orders-db-credentials' },
      backup: { bucket: 'nines-backups-us-east-1', roleArn: 'arn:aws:iam::123456789012:role/orders-db-backup' },
      runbookBaseUrl,
    }),
    slugs: [
      ['PatroniNoLeader', 'orders-orders-db-patroni-no-leader'],
      ['PostgresReplicationLagHigh', 'orders-orders-db-postgres-replication-lag-high'],
      ['PatroniNoSynchronousStandby', 'orders-orders-db-patroni-no-synchronous-standby'],
      ['PostgresConnectionsHigh', 'orders-orders-db-postgres-connections-high'],
      ['PostgresDiskFilling', 'orders-orders-db-postgres-disk-filling'],
      ['PostgresDiskFullIn4h', 'orders-orders-db-postgres-disk-full-in-4h'],
    ],
  },
  {
    kind: 'RedisSentinel',
    id: 'cache',
    make: (scope, runbookBaseUrl) => new RedisSentinel(scope, 'cache', { namespace: 'catalog', passwordSecret: { name: 'cache-password' }, runbookBaseUrl }),
    slugs: [
      ['RedisMasterDown', 'catalog-cache-redis-master-down'],
      ['RedisSentinelQuorumLost', 'catalog-cache-redis-sentinel-quorum-lost'],
      ['RedisReplicationBroken', 'catalog-cache-redis-replication-broken'],
      ['RedisMemoryHigh', 'catalog-cache-redis-memory-high'],
    ],
  },
  {
    kind: 'KafkaCluster',
    id: 'events',
    make: (scope, runbookBaseUrl) => new KafkaCluster(scope, 'events', { namespace: 'messaging', runbookBaseUrl }),
    slugs: [
      ['KafkaUnderReplicatedPartitions', 'messaging-events-kafka-under-replicated-partitions'],
      ['KafkaUnderMinIsrPartitions', 'messaging-events-kafka-under-min-isr-partitions'],
      ['KafkaOfflinePartitions', 'messaging-events-kafka-offline-partitions'],
      ['KafkaIsrShrinking', 'messaging-events-kafka-isr-shrinking'],
      ['KafkaNoActiveController', 'messaging-events-kafka-no-active-controller'],
    ],
  },
];

function rulesOf(chart: RegionChart): any[] {
  return find(Testing.synth(chart), 'PrometheusRule').spec.groups.flatMap((g: any) => g.rules);
}

describe.each(CASES)('$kind', c => {
  test('the platform description\'s runbookBaseUrl: field, every alert links its page, summary and description', () => {
    const { app, chart } = chartOf(PLATFORM_BASE);
    const x = c.make(chart);
    expect(x.runbookBaseUrl).toBe(PLATFORM_BASE);
    const rules = rulesOf(chart);
    expect(rules.map(r => [r.alert, r.annotations.runbook_url])).toEqual(c.slugs.map(([alert, slug]) => [alert, `${PLATFORM_BASE}/${slug}`]));
    for (const r of rules) {
      expect(r.annotations.summary).toMatch(/\S/);
      expect(r.annotations.description).toMatch(/\S/);
    }
    const { files, problems } = renderRunbooks(collectAlerts(app), { runbookBaseUrl: PLATFORM_BASE });
    expect(problems).toEqual([]);
    expect(Object.keys(files).sort()).toEqual([...c.slugs.map(([, slug]) => `${slug}.md`), 'README.md'].sort());
    expect(files[`${c.slugs[0][1]}.md`]).toContain(`# ${c.slugs[0][0]}`);
  });

  test('the prop wins over the platform description; a trailing slash does not double', () => {
    const { chart } = chartOf(PLATFORM_BASE);
    const x = c.make(chart, `${PROP_BASE}/`);
    expect(x.runbookBaseUrl).toBe(`${PROP_BASE}/`);
    expect(rulesOf(chart).map(r => r.annotations.runbook_url)).toEqual(c.slugs.map(([, slug]) => `${PROP_BASE}/${slug}`));
  });

  test('the prop alone (no platform base)', () => {
    const { app, chart } = chartOf();
    const x = c.make(chart, PROP_BASE);
    expect(x.runbookBaseUrl).toBe(PROP_BASE);
    expect(rulesOf(chart).map(r => r.annotations.runbook_url)).toEqual(c.slugs.map(([, slug]) => `${PROP_BASE}/${slug}`));
    expect(renderRunbooks(collectAlerts(app), { runbookBaseUrl: PROP_BASE }).problems).toEqual([]);
  });

  test('neither: no runbook_url, and renderRunbooks reports every alert', () => {
    const { app, chart } = chartOf();
    const x = c.make(chart);
    expect(x.runbookBaseUrl).toBeUndefined();
    const rules = rulesOf(chart);
    expect(rules.map(r => Object.keys(r.annotations).sort())).toEqual(c.slugs.map(() => ['description', 'summary']));
    const { problems } = renderRunbooks(collectAlerts(app), { runbookBaseUrl: PLATFORM_BASE });
    expect(problems.map(p => [p.prop.split(' ')[0], p.why])).toEqual(c.slugs.map(([alert]) => [alert, 'has no runbook_url annotation']));
  });

  test('a runbookBaseUrl that is not an absolute https URL is refused, and nothing is created', () => {
    const { chart } = chartOf(PLATFORM_BASE);
    const e = errorOf(() => c.make(chart, 'http://wiki.example.com/runbooks'));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe([
      `${c.kind} 'test/${c.id}': 1 problem:`,
      ' - runbookBaseUrl ("http://wiki.example.com/runbooks") is not an absolute https URL without query or fragment; '
        + 'give the URL dist/runbooks/ is published at, e.g. "https://wiki.example.com/runbooks"',
    ].join('\n'));
    expect(chart.node.tryFindChild(c.id)).toBeUndefined();
  });

  test('the linked objects stay schema-valid and check-clean', () => {
    const { app, chart } = chartOf(PLATFORM_BASE);
    c.make(chart);
    const objs = Testing.synth(chart);
    expectValidManifests(objs);
    expect(Checks.of(app).lastReport!.findings).toEqual([]);
  });
});

test('EtcdCluster emits no alert rules, so it takes no runbookBaseUrl', () => {
  const { chart } = chartOf(PLATFORM_BASE);
  new EtcdCluster(chart, 'etcd', { namespace: 'orders' });
  expect(Testing.synth(chart).filter(o => o.kind === 'PrometheusRule')).toEqual([]);
});

test('runbookAnnotation: the slug is the page name runbooks.ts derives from the link', () => {
  const word = fc.stringMatching(/^[A-Z][a-z]{1,8}[0-9]{0,2}[a-z]{0,2}$/);
  fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 5 }), fc.stringMatching(/^[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,6}){0,2}$/),
    (words, prefix) => {
      const alert = words.join('');
      const url = runbookAnnotation(`${PLATFORM_BASE}/`, prefix, alert).runbook_url!;
      const slug = url.slice(PLATFORM_BASE.length + 1);
      expect(url.startsWith(`${PLATFORM_BASE}/${prefix}-`)).toBe(true);
      expect(slug).toMatch(/^[a-z0-9][-a-z0-9]*$/);
      expect(runbookSlug({ alert, expr: 'vector(1)', labels: {}, annotations: { runbook_url: url }, source: 'x' })).toBe(slug);
    }));
  expect(runbookAnnotation(undefined, 'orders-db', 'PatroniNoLeader')).toEqual({});
});
