import * as fc from 'fast-check';
import { IPv4CidrRange } from 'ip-num';
import { checkDisjointCidrs, planCidrs, planPlatform, zoneSlot } from '../../lib/aws/cidr-plan';
import { Problems, ValidationError } from '../../lib/core/errors';
import { Platform } from '../../lib/core/platform';
import { PRODUCTION } from '../../stacks/platform';

const US_EAST = { region: 'us-east-1', vpcCidr: '10.10.0.0/16', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] };
const range = (c: string) => IPv4CidrRange.fromCidr(c);
const errorOf = (f: () => unknown): ValidationError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error('expected a ValidationError');
};

describe('planCidrs', () => {
  test('a /16 over 3 zones: private /20, data /21, public /22, keyed by zone name', () => {
    const plan = planCidrs(US_EAST);
    expect(plan.zoneSlots).toBe(8);
    expect(plan.tiers).toEqual({
      private: '10.10.0.0/17', data: '10.10.128.0/18', public: '10.10.192.0/19', reserved: '10.10.224.0/19',
    });
    expect(plan.zones).toEqual({
      'us-east-1a': { zone: 'us-east-1a', slot: 0, private: '10.10.0.0/20', data: '10.10.128.0/21', public: '10.10.192.0/22' },
      'us-east-1b': { zone: 'us-east-1b', slot: 1, private: '10.10.16.0/20', data: '10.10.136.0/21', public: '10.10.196.0/22' },
      'us-east-1c': { zone: 'us-east-1c', slot: 2, private: '10.10.32.0/20', data: '10.10.144.0/21', public: '10.10.200.0/22' },
    });
  });

  test('the slot comes from the zone letter, so order and gaps do not matter', () => {
    expect(zoneSlot('us-east-1', 'us-east-1f')).toBe(5);
    expect(zoneSlot('us-east-1', 'us-west-2a')).toBeUndefined();
    const a = planCidrs({ ...US_EAST, zones: ['us-east-1c', 'us-east-1a'] });
    const b = planCidrs({ ...US_EAST, zones: ['us-east-1a', 'us-east-1c'] });
    expect(a).toEqual(b);
    expect(a.zones['us-east-1c'].private).toBe('10.10.32.0/20');
  });

  test('adding a zone keeps every existing zone\'s subnets', () => {
    const three = planCidrs(US_EAST);
    const four = planCidrs({ ...US_EAST, zones: [...US_EAST.zones, 'us-east-1d'] });
    for (const z of US_EAST.zones) expect(four.zones[z]).toEqual(three.zones[z]);
    expect(four.zones['us-east-1d'].private).toBe('10.10.48.0/20');
  });

  test('bad input: every problem at once, naming the arg', () => {
    const e = errorOf(() => planCidrs({ region: 'us-east-1', vpcCidr: '10.10.0.1/16', zones: ['us-east-1a'] }));
    expect(e.message).toBe([
      'CidrPlan \'us-east-1\': 2 problems:',
      ' - vpcCidr ("10.10.0.1/16") is not an IPv4 CIDR block (address/prefix with no host bits set); use a private block such as "10.10.0.0/16"',
      ' - zones (["us-east-1a"]) has fewer than 2 zones, so one zone outage takes the region down; '
        + 'list at least 2 (the case study uses 3) availability zones',
    ].join('\n'));
  });

  test('subnets that do not fit, zone letters beyond the slots, foreign zones', () => {
    const e = errorOf(() => planCidrs({ region: 'us-east-1', vpcCidr: '10.10.0.0/24', zones: ['us-east-1a', 'us-east-1j', 'eu-west-1a'] }));
    expect(e.problems.map(p => `${p.prop}: ${p.why}`)).toEqual([
      'vpcCidr: is too small: 8 slots per tier leave public subnets of /30, smaller than AWS\'s minimum /28, so the subnets do not fit',
      'zones: has slot 9 (its letter), which does not fit the 8 slots per tier',
      'zones: is not a zone name of region "us-east-1" (region name + one letter)',
    ]);
    expect(e.problems[1].fix).toBe('raise zoneSlots to 16 (a new plan: only for a new VPC)');
    expect(errorOf(() => planCidrs({ ...US_EAST, vpcCidr: '10.0.0.0/8' })).problems[0].why)
      .toBe('has prefix /8, outside the /16 to /28 AWS allows for a VPC');
    expect(errorOf(() => planCidrs({ ...US_EAST, zoneSlots: 6 })).problems[0].prop).toBe('zoneSlots');
    expect(errorOf(() => planCidrs({ ...US_EAST, zones: ['us-east-1a', 'us-east-1a'] })).problems[0].why).toBe('is listed twice');
    // /22 is the smallest block that fits the default plan.
    expect(planCidrs({ ...US_EAST, vpcCidr: '10.10.0.0/22' }).zones['us-east-1a'].public).toBe('10.10.3.0/28');
  });
});

describe('planPlatform', () => {
  test('the production description: 4 regions x 3 zones = 12 zones, disjoint VPCs and subnets', () => {
    const plans = planPlatform(Platform.fromDescription(PRODUCTION));
    expect(Object.keys(plans)).toEqual(['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1']);
    const subnets = Object.values(plans).flatMap(p => Object.values(p.zones).flatMap(z => [z.public, z.private, z.data]));
    expect(Object.values(plans).flatMap(p => Object.keys(p.zones))).toHaveLength(12);
    expect(subnets).toHaveLength(36);
    for (let i = 0; i < subnets.length; i++) {
      for (let j = i + 1; j < subnets.length; j++) expect(range(subnets[i]).isOverlapping(range(subnets[j]))).toBe(false);
    }
  });

  test('a missing CIDR is an error; overlapping regions never get here (the description refuses them)', () => {
    const platform = Platform.fromDescription({
      environment: 'production',
      regions: [
        { name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'], vpcCidr: '10.10.0.0/16' },
        { name: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1b'] },
      ],
    });
    expect(errorOf(() => planPlatform(platform)).message).toBe([
      'CidrPlan \'production\': 1 problem:',
      ' - regions.eu-west-1.vpcCidr (undefined) is not set, so the region has no VPC block; '
        + 'set vpcCidr in the platform description (e.g. "10.10.0.0/16")',
    ].join('\n'));
    expect(errorOf(() => Platform.fromDescription({
      environment: 'production',
      regions: [
        { name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'], vpcCidr: '10.10.0.0/16' },
        { name: 'us-west-2', zones: ['us-west-2a', 'us-west-2b'], vpcCidr: '10.10.128.0/17' },
      ],
    })).problems.map(p => p.prop)).toEqual(['regions[1].vpcCidr']);
  });
});

describe('properties', () => {
  const letters = 'abcdefgh'.split('');
  /** Random 10.a.b.0/prefix blocks, aligned to their prefix (host bits cleared). */
  const block = (maxA: number) => fc.record({
    a: fc.integer({ min: 0, max: maxA }), b: fc.integer({ min: 0, max: 255 }), prefix: fc.integer({ min: 16, max: 22 }),
  }).map(({ a, b, prefix }) => {
    const size = 2 ** (32 - prefix);
    const first = (10 * 2 ** 24) + (a * 2 ** 16) + (b * 2 ** 8);
    const aligned = first - (first % size);
    return `${[24, 16, 8, 0].map(s => Math.floor(aligned / 2 ** s) % 256).join('.')}/${prefix}`;
  });
  const vpc = block(255);
  const zoneSet = fc.subarray(letters, { minLength: 2 }).map(ls => ls.map(l => `us-east-1${l}`));

  test('every plan: subnets inside their tier and VPC, pairwise disjoint, /28 or larger', () => {
    fc.assert(fc.property(vpc, zoneSet, (cidr, zones) => {
      const plan = planCidrs({ region: 'us-east-1', vpcCidr: cidr, zones });
      const all: string[] = [];
      for (const z of Object.values(plan.zones)) {
        for (const tier of ['public', 'private', 'data'] as const) {
          expect(range(z[tier]).inside(range(plan.tiers[tier]))).toBe(true);
          expect(range(z[tier]).inside(range(cidr)) || range(z[tier]).isEquals(range(cidr))).toBe(true);
          expect(Number(range(z[tier]).cidrPrefix.getValue())).toBeLessThanOrEqual(28);
          all.push(z[tier]);
        }
      }
      for (let i = 0; i < all.length; i++) {
        for (let j = i + 1; j < all.length; j++) expect(range(all[i]).isOverlapping(range(all[j]))).toBe(false);
      }
    }), { numRuns: 60 });
  });

  test('adding or reordering zones never renumbers another zone', () => {
    fc.assert(fc.property(vpc, zoneSet, fc.constantFrom(...letters), (cidr, zones, extra) => {
      const base = planCidrs({ region: 'us-east-1', vpcCidr: cidr, zones });
      const grown = planCidrs({ region: 'us-east-1', vpcCidr: cidr, zones: [...new Set([`us-east-1${extra}`, ...[...zones].reverse()])] });
      for (const z of zones) expect(grown.zones[z]).toEqual(base.zones[z]);
    }), { numRuns: 60 });
  });

  test('any set of region blocks: planPlatform succeeds exactly when they are disjoint', () => {
    const regions = ['us-east-1', 'us-west-2', 'eu-west-1'];
    fc.assert(fc.property(fc.array(block(3), { minLength: 3, maxLength: 3 }), cidrs => {
      const description = {
        environment: 'production',
        regions: regions.map((name, i) => ({ name, zones: [`${name}a`, `${name}b`], vpcCidr: cidrs[i] })),
      };
      const problems = new Problems('CidrPlan', 'production');
      checkDisjointCidrs(Object.fromEntries(regions.map((r, i) => [r, cidrs[i]])), problems, 'regions.vpcCidr');
      const disjoint = cidrs.every((a, i) => cidrs.every((b, j) => i === j || !range(a).isOverlapping(range(b))));
      expect(problems.count === 0).toBe(disjoint);
      if (disjoint) expect(Object.keys(planPlatform(Platform.fromDescription(description)))).toEqual(regions);
      else expect(() => planPlatform(Platform.fromDescription(description))).toThrow(/overlaps/);
    }), { numRuns: 60 });
  });
});
