import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import {
  blocksOverlap, Bulkhead, Criticality, cronScheduleProblems, parseIpv4Block, Platform, RegionChart, ResilientService, ValidationError,
} from '../../lib';
import { validationErrorOf as errorOf } from '../util/errors';

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
    for (const ok of ['0 11 * * 1-5', '*/15 * * * *', '30 2 1,15 jan-jun mon-fri', '0 0 * * ?', '@daily', '0 3 * * sun']) {
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
