import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import {
  blocksOverlap, Bulkhead, CanaryRelease, ChaosExperiment, ChaosPresets, ChaosSteps, Checks, cidrListProblems, Criticality, cronScheduleProblems,
  EntryGateway, EtcdCluster, ExternalEndpoint, Fault, GuardedWorkflow, KafkaCluster, LogShipper, MonitoringStack, ninesClusterCapabilities,
  parseIpv4Block, PatroniCluster, Platform, RedisSentinel, RegionChart, ResilientService, ServiceLevelObjective, Sli, TraceCollector, ValidationError,
} from '../../lib';
import { withoutClusterObjects } from '../k8s/helpers';
import { built as recorded, validationErrorOf as errorOf } from '../util/errors';

function platformError(vpcCidrs: readonly string[]): ValidationError | undefined {
  const names = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1'];
  try {
    Platform.fromDescription({
      environment: 'production',
      regions: vpcCidrs.map((vpcCidr, i) => ({ name: names[i], zones: ['a', 'b', 'c'].map(z => `${names[i]}${z}`), vpcCidr })),
    });
    return undefined;
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
}

describe('Platform.fromDescription: VPC CIDRs under the property the user wrote', () => {
  test('invalid, out-of-range and overlapping blocks: every problem at once, named regions[i].vpcCidr', () => {
    expect(platformError(['10.0.0.0/16', '10.0.128.0/17', '10.1.0.1/16', '11.0.0.0/8'])!.message).toBe([
      "Platform 'production': 3 problems:",
      ' - regions[1].vpcCidr ("10.0.128.0/17") overlaps regions[0].vpcCidr ("10.0.0.0/16"), so the regions cannot be peered or routed to each other; give every region a disjoint block (e.g. "10.10.0.0/16", "10.20.0.0/16", ...)',
      ' - regions[2].vpcCidr ("10.1.0.1/16") is not an IPv4 CIDR block (a.b.c.d/n with no host bits set); use a private block such as "10.10.0.0/16"',
      ' - regions[3].vpcCidr ("11.0.0.0/8") has prefix /8, outside the /16 to /28 AWS allows for a VPC; use a block between /16 and /28 (the CIDR plan wants /16 to /22)',
    ].join('\n'));
    expect(platformError(['10.0.0.0/16', '10.1.0.0/16'])).toBeUndefined();
    expect(platformError(['10.0.0.0/16', '10.0.0.0/16'])!.problems.map(p => p.prop)).toEqual(['regions[1].vpcCidr']);
  });

  test('property: a set of valid blocks is accepted exactly when no two overlap', () => {
    const block = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 16, max: 20 }))
      .map(([a, b, prefix]) => {
        const size = 2 ** (32 - prefix);
        const address = Math.floor(((10 * 256 + a) * 256 + b) * 65536 / size) * size;
        return `${[24, 16, 8, 0].map(s => Math.floor(address / 2 ** s) % 256).join('.')}/${prefix}`;
      });
    fc.assert(fc.property(fc.array(block, { minLength: 1, maxLength: 4 }), cidrs => {
      const parsed = cidrs.map(c => parseIpv4Block(c)!);
      const overlapping = parsed.some((p, i) => parsed.some((q, j) => j < i && blocksOverlap(p, q)));
      const err = platformError(cidrs);
      return overlapping === (err !== undefined) && (err?.problems.every(p => /^regions\[\d\]\.vpcCidr$/.test(p.prop) && /overlaps/.test(p.why)) ?? true);
    }));
  });

  test('property: random text is either a canonical block or refused', () => {
    fc.assert(fc.property(fc.string(), text => {
      const err = platformError([text]);
      return parseIpv4Block(text) ? err === undefined || /prefix/.test(err.problems[0].why) : err!.problems[0].prop === 'regions[0].vpcCidr';
    }));
  });
});

describe('Platform.fromDescription: names derived from the environment, reported on environment', () => {
  const regions = (names: readonly string[]) => names.map(name => ({ name, zones: [`${name}a`, `${name}b`] }));
  const attempt = (environment: string, names: readonly string[]) => {
    try {
      Platform.fromDescription({ environment, regions: regions(names) });
      return undefined;
    } catch (e) {
      return e as ValidationError;
    }
  };
  test('a 33-character environment makes ap-southeast-1\'s backup bucket 64 characters: one problem, on environment', () => {
    expect(attempt('e'.repeat(33), ['us-east-1', 'ap-southeast-1'])!.message).toBe([
      `Platform '${'e'.repeat(33)}': 1 problem:`,
      ` - environment ("${'e'.repeat(33)}") makes the backup bucket of ap-southeast-1 "nines-${'e'.repeat(33)}-ap-southeast-1-db-backup" 64 characters long, over the 63 allowed; shorten it by 1 character (to at most 32)`,
    ].join('\n'));
  });
  test('property: an environment is accepted exactly when every region\'s bucket and cluster name fit 63 characters', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 63 }), fc.subarray(['us-east-1', 'eu-west-1', 'ap-southeast-1', 'ap-northeast-2'], { minLength: 1 }), (n, names) => {
      const environment = `${'p'.repeat(n - 1)}d`;
      const fits = names.every(r => `nines-${environment}-${r}-db-backup`.length <= 63);
      const err = attempt(environment, names);
      return fits ? err === undefined : err!.problems.map(p => p.prop).join() === 'environment';
    }), { numRuns: 60 });
  });
});

describe('cron schedules: shape and field ranges', () => {
  test('out-of-range fields are named, with the fix', () => {
    expect(cronScheduleProblems('schedule.cron', '0 25 * * *')).toEqual([{
      prop: 'schedule.cron',
      value: '0 25 * * *',
      why: 'has hour "25" is outside 0-23',
      fix: 'keep every field in range (minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-6), e.g. "0 11 * * 1-5" (weekdays at 11:00)',
    }]);
    expect(cronScheduleProblems('c', '60 11 0 13 7')[0].why).toBe(
      'has minute "60" is outside 0-59, day of month "0" is outside 1-31, month "13" is outside 1-12, day of week "7" is outside 0-6');
    expect(cronScheduleProblems('c', '*/0 5-1 * * *')[0].why).toBe('has minute step "/0" must be at least 1, hour range "5-1" runs backwards');
    expect(cronScheduleProblems('c', 'at eleven')[0].why).toBe('is not a five-field cron expression');
    // `@every <Go duration>` is a descriptor robfig/cron (and so the CronJob controller) accepts.
    expect(cronScheduleProblems('c', '@every soon')).toEqual([{ prop: 'c', value: '@every soon', why: 'has "soon", which is not a Go duration', fix: 'write e.g. "@every 1h30m"' }]);
    for (const ok of ['0 11 * * 1-5', '*/15 * * * *', '30 2 1,15 jan-jun mon-fri', '0 0 * * ?', '@daily', '0 3 * * sun', '@every 1h30m', '@every 90s']) {
      expect({ ok, problems: cronScheduleProblems('c', ok) }).toEqual({ ok, problems: [] });
    }
  });

  test('property: a schedule of in-range numbers is accepted; raising any one field past its maximum is refused', () => {
    const max = [59, 23, 31, 12, 6];
    const min = [0, 0, 1, 1, 0];
    const schedule = fc.tuple(...max.map((m, i) => fc.integer({ min: min[i], max: m })));
    fc.assert(fc.property(schedule, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 100 }), (fields, i, over) => {
      const good = fields.join(' ');
      const bad = fields.map((v, j) => (j === i ? max[j] + over : v)).join(' ');
      return cronScheduleProblems('c', good).length === 0 && cronScheduleProblems('c', bad).length === 1;
    }));
  });
});

describe('every construct that takes a schedule checks its ranges, under the prop the user wrote', () => {
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const region = Platform.fromDescription({ environment: 'test', regions: [{ name: 'us-east-1', zones, vpcCidr: '10.10.0.0/16' }] }).region('us-east-1');
  const PRIMARY = { name: 'orders-db', namespace: 'databases', podLabels: { 'cluster-name': 'orders-db', 'role': 'master' }, disruptionBudget: { replicas: 3, maxUnavailable: 1 } };
  const order = (chart: RegionChart, id = 'order') => new ResilientService(chart, id, { image: `registry.example.com/shop/${id}:1.0.0`, tier: Criticality.CRITICAL, namespace: 'orders' });
  /** Each construct with a cron prop: the prop's name as the user wrote it, and the construct built with `cron`. */
  const takers: Record<string, { prop: string; build: (chart: RegionChart, cron: string) => unknown }> = {
    'ChaosExperiment': { prop: 'schedule.cron', build: (c, cron) => new ChaosExperiment(c, 'x', { fault: Fault.podKill(order(c)), schedule: { cron } }) },
    'ChaosPresets': {
      prop: 'podKillCron',
      build: (c, cron) => new ChaosPresets(c, 'p', { orderService: order(c), paymentService: order(c, 'payment'), databasePrimary: PRIMARY, podKillCron: cron }),
    },
    'ChaosPresets crons': {
      prop: 'crons.packetLoss',
      build: (c, cron) => new ChaosPresets(c, 'p', { orderService: order(c), paymentService: order(c, 'payment'), databasePrimary: PRIMARY, crons: { packetLoss: cron } }),
    },
    'GuardedWorkflow': {
      prop: 'schedule.cron',
      build: (c, cron) => new GuardedWorkflow(c, 'wf', { name: 'drill', steps: [ChaosSteps.fault(Fault.podKill(order(c)))], schedule: { cron } }),
    },
    'PatroniCluster': {
      prop: 'backup.schedule',
      build: (c, cron) => new PatroniCluster(c, 'db', {
        namespace: 'orders', image: 'registry.example.com/platform/patroni:3.0.4-pg15', credentials: { secretName: 'db-credentials' }, backup: { bucket: 'nines-backups-us-east-1', schedule: cron },
      }),
    },
  };
  const max = [59, 23, 31, 12, 6];
  const min = [0, 0, 1, 1, 0];
  test.each(Object.keys(takers))('property: %s refuses one field out of range, once, under its prop, and accepts it in range', type => {
    const { prop, build } = takers[type];
    const schedule = fc.tuple(...max.map((m, i) => fc.integer({ min: min[i], max: m })));
    fc.assert(fc.property(schedule, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 40 }),
      (fields, i, over) => {
        const bad = fields.map((v, j) => (j === i ? max[j] + over : v)).join(' ');
        const problems = errorOf(() => build(new RegionChart(Testing.app(), 'test', { region }), bad)).problems.filter(p => p.value === bad);
        expect(problems.map(p => p.prop)).toEqual([prop]);
        const good = fields.join(' ');
        const fine = (() => {
          try {
            recorded(() => build(new RegionChart(Testing.app(), 'test', { region }), good));
            return [];
          } catch (e) {
            return (e as ValidationError).problems.filter(p => p.value === good);
          }
        })();
        expect(fine).toEqual([]);
      }), { numRuns: 15, seed: 5 });
  });
});

describe('values that get past the types through a cast', () => {
  const platform = Platform.fromDescription({ environment: 'test', regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }] });
  const chart = () => new RegionChart(Testing.app(), 'shop', { region: platform.region('us-east-1') });
  const base = { image: 'registry.example.com/shop/a:1.0.0', tier: Criticality.HIGH, namespace: 'orders' };

  test('enums, numbers and booleans of the wrong type are refused, each under its prop', () => {
    const probe = (props: Record<string, unknown>) => errorOf(() => new ResilientService(chart(), 'a', { ...base, ...props } as any)).problems.map(p => [p.prop, p.why]);
    expect(probe({ tier: 'urgent' })).toEqual([['tier', 'is not a criticality tier']]);
    expect(probe({ protocol: 'UDP' })).toEqual([['protocol', 'is not a service protocol']]);
    expect(probe({ port: '8080' })).toEqual([['port', 'is not a port number']]);
    expect(probe({ entryPoint: 'yes' })).toEqual([['entryPoint', 'is not a boolean']]);
    expect(errorOf(() => new Bulkhead(chart(), 'orders', { mesh: 'yes' as any })).problems.map(p => [p.prop, p.why])).toEqual([['mesh', 'is not a boolean']]);
  });

  test('property: a tier that is not one of the four is refused, whatever the string', () => {
    fc.assert(fc.property(fc.string().filter(t => !['critical', 'high', 'medium', 'low'].includes(t)), tier => {
      const e = errorOf(() => new ResilientService(chart(), 'a', { ...base, tier: tier as any }));
      return e.problems.some(p => p.prop === 'tier' && p.value === tier);
    }), { numRuns: 30 });
  });
});

describe('derived names: a name that pushes a derived name or label value past its limit is reported on the name', () => {
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const region = Platform.fromDescription({
    environment: 'test',
    regions: [{ name: 'us-east-1', zones, vpcCidr: '10.10.0.0/16' }],
    capabilities: [...ninesClusterCapabilities(zones, true).map(p => p.capability), 'tls:certificate-issuer'],
  }).region('us-east-1');
  const LINKS = { runbookBaseUrl: 'https://runbooks.example.com/shop', dashboardBaseUrl: 'https://grafana.example.com/d/shop' };
  const ROUTING = {
    pager: { kind: 'pagerduty', routingKey: { name: 'pd', key: 'k' } },
    escalation: { kind: 'pagerduty', routingKey: { name: 'pd2', key: 'k' } },
    chat: { kind: 'slack', apiUrl: { name: 'slack', key: 'url' }, channel: '#alerts' },
  } as const;
  const name = (n: number) => `${'a'.repeat(n - 1)}z`;
  const fresh = () => {
    const app = Testing.app();
    Checks.of(app).log = () => {};
    withoutClusterObjects(app);
    return { app, chart: new RegionChart(app, 'test', { region }) };
  };
  const svc = (chart: RegionChart, id: string, namespace = 'orders') => new ResilientService(chart, id, { image: 'registry.example.com/shop/a:1.0.0', tier: Criticality.CRITICAL, namespace });
  const messageOf = (build: (chart: RegionChart) => unknown) => errorOf(() => build(fresh().chart)).message;

  test('ResilientService: <name>-<namespace> (the instance label) past 63, on name', () => {
    expect(messageOf(c => svc(c, name(57)))).toBe([
      `ResilientService 'test/${name(57)}': 1 problem:`,
      ` - name ("${name(57)}") makes with namespace "orders" the app.kubernetes.io/instance label "${name(57)}-orders" 64 characters long, over the 63 allowed; shorten the name or the namespace by 1 character together`,
    ].join('\n'));
  });

  test('CanaryRelease: Flagger\'s <name>-primary past 63, on service', () => {
    expect(messageOf(c => {
      const s = svc(c, name(56));
      new CanaryRelease(c, 'canary', { service: s, slo: new ServiceLevelObjective(c, 'slo', { name: 'slo', service: s, sli: Sli.availability(), ...LINKS }) });
    })).toBe([
      "CanaryRelease 'test/canary': 1 problem:",
      ` - service ("${name(56)}") makes Flagger's primary Deployment, Service and app.kubernetes.io/name label "${name(56)}-primary" 64 characters long, over the 63 allowed; shorten the service's name by 1 character (to at most 55)`,
    ].join('\n'));
  });

  test('ServiceLevelObjective: the default name <service>-<sli> past 63 is reported with its length and the prop that shortens it', () => {
    expect(messageOf(c => new ServiceLevelObjective(c, 'slo', { service: svc(c, name(53)), sli: Sli.availability(), ...LINKS }))).toBe([
      "ServiceLevelObjective 'test/slo': 1 problem:",
      ` - name ("${name(53)}-availability") is 66 characters, over the 63 of a DNS label (it defaults to <service>-<sli>); give the SLO a name of at most 63 characters (the name prop), e.g. "checkout-availability"`,
    ].join('\n'));
  });

  test('MonitoringStack: the operator\'s alertmanager-<name> StatefulSet past 52, on name', () => {
    expect(messageOf(c => new MonitoringStack(c, 'monitoring', { name: name(40), alertRouting: ROUTING }))).toBe([
      "MonitoringStack 'test/monitoring': 1 problem:",
      ` - name ("${name(40)}") makes the StatefulSet prometheus-operator creates for Alertmanager "alertmanager-${name(40)}" 53 characters long, over the 52 allowed; shorten it by 1 character (to at most 39)`,
    ].join('\n'));
  });

  test('stateful constructs and LogShipper: <name>-<namespace> past 63, on name', () => {
    expect(messageOf(c => new RedisSentinel(c, 'cache', { namespace: name(58), passwordSecret: { name: 'cache-password' } }))).toBe([
      "RedisSentinel 'test/cache': 1 problem:",
      ` - name ("cache") makes with namespace "${name(58)}" the app.kubernetes.io/instance label "cache-${name(58)}" 64 characters long, over the 63 allowed; shorten the name or the namespace by 1 character together`,
    ].join('\n'));
    expect(messageOf(c => new LogShipper(c, 'logs', { name: name(56), output: { host: 'logs.example.com' }, passwordSecret: { name: 'log-store', key: 'password' }, outputCidrs: ['10.10.0.0/16'] }))).toBe([
      "LogShipper 'test/logs': 1 problem:",
      ` - name ("${name(56)}") makes with namespace "logging" the app.kubernetes.io/instance label "${name(56)}-logging" 64 characters long, over the 63 allowed; shorten the name or the namespace by 1 character together`,
    ].join('\n'));
  });

  /**
   * Every name the construct accepts synthesizes with no name or label finding (NINES-META-01, the
   * check of what is actually written): whatever the name's length, a too-long derived name is the
   * construct's own problem, on the name.
   */
  const constructs: Record<string, (chart: RegionChart, n: string, namespace: string) => void> = {
    ResilientService: (c, n, ns) => svc(c, n, ns),
    CanaryRelease: (c, n, ns) => {
      const s = svc(c, n, ns);
      new CanaryRelease(c, 'canary', { service: s, slo: new ServiceLevelObjective(c, 'slo', { name: 'slo', service: s, sli: Sli.availability(), ...LINKS }) });
    },
    RedisSentinel: (c, n, ns) => new RedisSentinel(c, n, { namespace: ns, passwordSecret: { name: 'cache-password' } }),
    KafkaCluster: (c, n, ns) => new KafkaCluster(c, n, { namespace: ns }),
    EtcdCluster: (c, n, ns) => new EtcdCluster(c, n, { namespace: ns }),
    PatroniCluster: (c, n, ns) => new PatroniCluster(c, n, { namespace: ns, image: 'registry.example.com/platform/patroni:3.0.4-pg15', credentials: { secretName: 'db-credentials' }, backup: { bucket: 'nines-backups-us-east-1' }, pooler: true }),
    MonitoringStack: (c, n, ns) => new MonitoringStack(c, 'monitoring', { name: n, namespace: ns, alertRouting: ROUTING }),
    LogShipper: (c, n, ns) => new LogShipper(c, 'logs', { name: n, namespace: ns, output: { host: 'logs.example.com' }, passwordSecret: { name: 'log-store', key: 'password' }, outputCidrs: ['10.10.0.0/16'] }),
    TraceCollector: (c, _n, ns) => new TraceCollector(c, 'traces', { namespace: ns, exporter: { endpoint: 'traces.example.com:4317' }, exporterCidrs: ['10.10.0.0/16'] }),
    EntryGateway: (c, n, ns) => new EntryGateway(c, 'entry', { name: n, service: new ResilientService(c, 'gw', { image: 'registry.example.com/shop/gw:1.0.0', tier: Criticality.CRITICAL, namespace: ns, entryPoint: true }), hosts: ['api.example.com'], credentialName: 'api-tls' }),
  };
  test.each(Object.keys(constructs))('property: %s accepts a name only when everything derived from it fits', type => {
    let accepted = 0;
    let refused = 0;
    fc.assert(fc.property(fc.integer({ min: 1, max: 63 }), fc.integer({ min: 1, max: 63 }), (n, m) => {
      const { app, chart } = fresh();
      const namespace = `${'n'.repeat(m - 1)}s`;
      let error: Error | undefined;
      try {
        recorded(() => constructs[type](chart, name(n), namespace));
      } catch (e) {
        error = e as Error;
      }
      if (error) {
        refused++;
        expect(error).toBeInstanceOf(ValidationError);
        return;
      }
      accepted++;
      try {
        Testing.synth(chart);
      } catch (e) {
        // Findings of other rules are not this property's business; a name or label finding is.
        expect((e as Error).message).not.toMatch(/NINES-META-01/);
      }
      expect(Checks.of(app).lastReport?.findings.filter(f => f.ruleId === 'NINES-META-01') ?? []).toEqual([]);
    }), { numRuns: 12, seed: 63 });
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});

describe('CIDR blocks a construct prop lists: canonical blocks only, under the prop the user wrote', () => {
  test('exact problems: malformed, out of range, host bits set (with the block it names), IPv6 where allowed', () => {
    expect(cidrListProblems('outputCidrs', ['10.0.64.0/20', '10.0.64.1/20', '999.0.0.0/8', '10.0.0.0/33', 'fd00::/8'], '10.0.64.0/20')).toEqual([
      { prop: 'outputCidrs[1]', value: '10.0.64.1/20', why: 'has host bits set, so it is not the block it seems to name', fix: 'give the block\'s first address: "10.0.64.0/20" (or "10.0.64.1/32" for the one address)' },
      { prop: 'outputCidrs[2]', value: '999.0.0.0/8', why: 'is not an IPv4 CIDR block (a.b.c.d/n)', fix: 'give e.g. "10.0.64.0/20"' },
      { prop: 'outputCidrs[3]', value: '10.0.0.0/33', why: 'is not an IPv4 CIDR block (a.b.c.d/n)', fix: 'give e.g. "10.0.64.0/20"' },
      { prop: 'outputCidrs[4]', value: 'fd00::/8', why: 'is not an IPv4 CIDR block (a.b.c.d/n)', fix: 'give e.g. "10.0.64.0/20"' },
    ]);
    expect(cidrListProblems('podCidrs', ['fd00::/8', '2001:db8::/64', '::/0', '2001:db8:::/64', 'fd00::/129'], '10.10.0.0/16', { ipv6: true }).map(p => p.value))
      .toEqual(['2001:db8:::/64', 'fd00::/129']);
  });

  test('the constructs report them under their own props (these were accepted before: the old checks only counted digits)', () => {
    const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    const region = Platform.fromDescription({ environment: 'test', regions: [{ name: 'us-east-1', zones, vpcCidr: '10.10.0.0/16' }] }).region('us-east-1');
    const chart = () => new RegionChart(Testing.app(), 'test', { region });
    expect(errorOf(() => new LogShipper(chart(), 'logs', {
      output: { host: 'logs.example.com' },
      passwordSecret: { name: 'log-store', key: 'password' },
      outputCidrs: ['10.0.64.1/20'],
      apiServerCidrs: ['300.1.1.1/16'],
    })).message).toBe([
      "LogShipper 'test/logs': 2 problems:",
      ' - outputCidrs[0] ("10.0.64.1/20") has host bits set, so it is not the block it seems to name; give the block\'s first address: "10.0.64.0/20" (or "10.0.64.1/32" for the one address)',
      ' - apiServerCidrs[0] ("300.1.1.1/16") is not an IPv4 CIDR block (a.b.c.d/n); give e.g. "10.0.0.0/16"',
    ].join('\n'));
    expect(errorOf(() => new PatroniCluster(chart(), 'db', {
      namespace: 'orders',
      image: 'registry.example.com/platform/patroni:3.0.4-pg15',
      credentials: { secretName: 'db-credentials' },
      backup: { bucket: 'nines-backups-us-east-1', egressCidrs: ['52.216.0.0/99'] },
      podCidrs: ['10.10.0.0/16', 'fd00::/8'],
      kubernetesApi: { cidrs: ['10.10.0.5/16'] },
    })).problems.map(p => [p.prop, p.why])).toEqual([
      ['kubernetesApi.cidrs[0]', 'has host bits set, so it is not the block it seems to name'],
      ['backup.egressCidrs[0]', 'is not a CIDR block (a.b.c.d/n or an IPv6 block)'],
    ]);
  });

  test('property: a listed block is accepted exactly when it parses as a canonical IPv4 block', () => {
    const octet = fc.integer({ min: 0, max: 300 });
    const text = fc.oneof(
      fc.tuple(octet, octet, octet, octet, fc.integer({ min: 0, max: 40 })).map(([a, b, c, d, n]) => `${a}.${b}.${c}.${d}/${n}`),
      fc.string(),
    );
    fc.assert(fc.property(fc.array(text, { maxLength: 4 }), cidrs => {
      const problems = cidrListProblems('cidrs', cidrs, '10.0.0.0/16');
      const bad = cidrs.flatMap((c, i) => (parseIpv4Block(c) ? [] : [`cidrs[${i}]`]));
      return JSON.stringify(problems.map(p => p.prop)) === JSON.stringify(bad);
    }));
  });
});

describe('success thresholds that are not objectives: a canary\'s minimum success rate, an external dependency\'s availability', () => {
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const region = Platform.fromDescription({ environment: 'test', regions: [{ name: 'us-east-1', zones, vpcCidr: '10.10.0.0/16' }] }).region('us-east-1');
  const LINKS = { runbookBaseUrl: 'https://runbooks.example.com/shop', dashboardBaseUrl: 'https://grafana.example.com/d/shop' };
  const canary = (minSuccessRate: number) => {
    const chart = new RegionChart(Testing.app(), 'test', { region });
    const order = new ResilientService(chart, 'order', { image: 'registry.example.com/shop/order:1.0.0', tier: Criticality.CRITICAL, namespace: 'orders' });
    return new CanaryRelease(chart, 'canary', { service: order, slo: new ServiceLevelObjective(chart, 'slo', { service: order, sli: Sli.availability(), ...LINKS }), minSuccessRate });
  };
  const endpoint = (availability: number) => new ExternalEndpoint(new RegionChart(Testing.app(), 'test', { region }), 'psp', { hosts: ['api.psp.example.com'], namespace: 'egress', availability });

  test('1.5 (for 99.5) and 0.99 (for 99) were accepted: each is refused with the likely typo named', () => {
    expect(errorOf(() => canary(1.5)).message).toBe([
      "CanaryRelease 'test/canary': 1 problem:",
      ' - minSuccessRate (1.5) is 1.5%, below 90%, which is almost certainly a typo (1.5 for 99.5, or the fraction 0.99 for 99?); write the percentage you mean, e.g. 99',
    ].join('\n'));
    expect(errorOf(() => canary(0.99)).problems.map(p => p.why)).toEqual(['is 0.99%, below 90%, which is almost certainly a typo (1.5 for 99.5, or the fraction 0.99 for 99?)']);
    expect(errorOf(() => endpoint(0.015)).message).toBe([
      "ExternalEndpoint 'test/psp': 1 problem:",
      ' - availability (0.015) is 1.5%, below 90%, which is almost certainly a typo (0.015 for 0.9985?); write the fraction you mean, e.g. 0.9995',
    ].join('\n'));
    expect(errorOf(() => endpoint(99.95)).problems.map(p => [p.why, p.fix])).toEqual([['is a percentage, but this is a fraction between 0 and 1 (exclusive)', 'give the fraction 0.9995']]);
  });

  test('property: a canary\'s minimum success rate is accepted exactly in [90, 100], an endpoint\'s availability exactly in [0.9, 1)', () => {
    fc.assert(fc.property(fc.double({ min: -5, max: 120, noNaN: true }), rate => {
      const refused = (() => {
        try {
          recorded(() => canary(rate));
          return false;
        } catch (e) {
          return (e as ValidationError).problems.some(p => p.prop === 'minSuccessRate');
        }
      })();
      return refused === !(rate >= 90 && rate <= 100);
    }), { numRuns: 40 });
    fc.assert(fc.property(fc.double({ min: -0.5, max: 1.5, noNaN: true }), a => {
      const refused = (() => {
        try {
          recorded(() => endpoint(a));
          return false;
        } catch (e) {
          return (e as ValidationError).problems.some(p => p.prop === 'availability');
        }
      })();
      return refused === !(a >= 0.9 && a < 1);
    }), { numRuns: 60 });
  });
});


describe('chaos targets that select no pod (NINES-RT-CTL-01, the runtime model, Flagger\'s renames included)', () => {
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const region = Platform.fromDescription({ environment: 'test', regions: [{ name: 'us-east-1', zones, vpcCidr: '10.10.0.0/16' }] }).region('us-east-1');
  const LINKS = { runbookBaseUrl: 'https://runbooks.example.com/shop', dashboardBaseUrl: 'https://grafana.example.com/d/shop' };
  /** Every construct that puts a target's selector into a chaos object. */
  const placers: Record<string, (chart: RegionChart, target: { name: string; namespace: string; podLabels: Record<string, string> }) => void> = {
    'ChaosExperiment': (c, t) => new ChaosExperiment(c, 'x', { fault: Fault.podKill(t) }),
    'ChaosExperiment (scheduled)': (c, t) => new ChaosExperiment(c, 'x', { fault: Fault.podKill(t), schedule: { cron: '0 11 * * 1-5' } }),
    'ChaosExperiment (network peer)': (c, t) => new ChaosExperiment(c, 'x', {
      fault: Fault.networkPartition({ name: 'order', namespace: 'orders', podLabels: { 'app.kubernetes.io/instance': 'order-orders' } }, { peer: t }),
    }),
    'GuardedWorkflow': (c, t) => new GuardedWorkflow(c, 'wf', { name: 'drill', steps: [ChaosSteps.fault(Fault.podKill(t))] }),
  };
  test.each(Object.keys(placers))('property: %s is reported exactly when its selector matches no running pod', type => {
    let reported = 0;
    let passed = 0;
    fc.assert(fc.property(fc.constantFrom('orders', 'payments', 'billing'), fc.constantFrom('podSelector', 'selectorLabels', 'ghost'), fc.boolean(),
      (namespace, labels, canary) => {
        const app = Testing.app();
        Checks.of(app).log = () => {};
        const chart = new RegionChart(app, 'test', { region });
        const order = new ResilientService(chart, 'order', { image: 'registry.example.com/shop/order:1.0.0', tier: Criticality.CRITICAL, namespace: 'orders' });
        // With a canary release Flagger renames the running pods' app.kubernetes.io/name to order-primary.
        if (canary) new CanaryRelease(chart, 'canary', { service: order, slo: new ServiceLevelObjective(chart, 'slo', { service: order, sli: Sli.availability(), ...LINKS }) });
        const podLabels = labels === 'ghost' ? { app: 'ghost' } : { ...order[labels] };
        placers[type](chart, { name: 'target', namespace, podLabels });
        const findings = Checks.of(app).run().findings.filter(f => f.ruleId === 'NINES-RT-CTL-01' && /^(PodChaos|NetworkChaos|Schedule|Workflow)\//.test(f.object));
        const selects = namespace === 'orders' && (labels === 'podSelector' || (labels === 'selectorLabels' && !canary));
        if (findings.length > 0) reported++;
        else passed++;
        expect(findings.length > 0).toBe(!selects);
      }), { numRuns: 24, seed: 11 });
    expect(reported).toBeGreaterThan(0);
    expect(passed).toBeGreaterThan(0);
  });
});
