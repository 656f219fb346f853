import { IPv4CidrRange, IPv4Prefix, Validator } from 'ip-num';
import { Problems } from '../core/errors';
import { Platform } from '../core/platform';

/**
 * A deterministic, pure CIDR plan for one region's VPC, keyed by zone name.
 *
 * The VPC block is cut into tiers (private = first half, data = next quarter, public = next
 * eighth, the last eighth reserved), and each tier into `zoneSlots` equal subnets. A zone's slot
 * is fixed by its name, not by its position in a list: `us-east-1a` is slot 0, `us-east-1b` slot 1,
 * ... So adding a zone, removing one or reordering the list never renumbers another zone's
 * subnets (awsx re-lays every subnet when the zone count changes: awsx #1152, #520).
 *
 * For a /16 and the default 8 slots: private /20 (4,091 usable addresses per zone, room for VPC
 * CNI pod IPs), data /21 (2,043), public /22 (1,019).
 *
 * CIDR arithmetic is done by ip-num, not by hand.
 */
export interface CidrPlanInput {
  /**
   * AWS region name, e.g. `us-east-1` (zone names must start with it).
   * @see https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html
   */
  readonly region: string;
  /**
   * The VPC's IPv4 CIDR block, /16 to /28 (AWS limits).
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
   */
  readonly vpcCidr: string;
  /**
   * The zones to lay out (at least 2). Order does not matter.
   * @see https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html
   */
  readonly zones: readonly string[];
  /**
   * Number of equal slots per tier, a power of 2 between 2 and 16. Must exceed the highest zone
   * letter used (AWS's largest region, us-east-1, has zones a to f).
   * @default 8
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html
   */
  readonly zoneSlots?: number;
}

/** The three subnets of one zone. */
export interface ZoneSubnets {
  /** The zone name. */
  readonly zone: string;
  /** The slot derived from the zone's letter (`a` = 0). */
  readonly slot: number;
  /** Public subnet (NAT gateway, internet-facing load balancers). */
  readonly public: string;
  /** Private subnet (nodes and pods; egress through this zone's NAT gateway). */
  readonly private: string;
  /** Data subnet (isolated: no route to the internet). */
  readonly data: string;
}

/** A region's CIDR plan (plain data, safe to export as a stack output). */
export interface CidrPlan {
  /**
   * The region.
   * @see https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html
   */
  readonly region: string;
  /**
   * The VPC CIDR block.
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
   */
  readonly vpcCidr: string;
  /**
   * Slots per tier.
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html
   */
  readonly zoneSlots: number;
  /**
   * The subnets of each zone, keyed by zone name (keys sorted).
   * @see https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html
   */
  readonly zones: Readonly<Record<string, ZoneSubnets>>;
  /** The tier blocks, e.g. `{ private: '10.10.0.0/17', ... }`. */
  readonly tiers: Readonly<Record<'private' | 'data' | 'public' | 'reserved', string>>;
}

/** The default slots per tier. */
export const DEFAULT_ZONE_SLOTS = 8;
/** AWS's smallest subnet. */
const MIN_SUBNET_PREFIX = 28;
/** AWS's largest VPC block. */
const MAX_VPC_PREFIX = 16;

/** Parses an IPv4 CIDR with ip-num; undefined when it is not one (or has host bits set). */
export function parseCidr(cidr: unknown): IPv4CidrRange | undefined {
  if (typeof cidr !== 'string') return undefined;
  const [valid] = Validator.isValidIPv4CidrRange(cidr);
  if (!valid) return undefined;
  try {
    return IPv4CidrRange.fromCidr(cidr);
  } catch {
    return undefined;
  }
}

/** The slot of a zone from its trailing letter (`us-east-1c` -> 2), or undefined. */
export function zoneSlot(region: string, zone: string): number | undefined {
  if (typeof zone !== 'string' || !zone.startsWith(region)) return undefined;
  const m = /^[a-z]$/.exec(zone.slice(region.length));
  return m ? m[0].charCodeAt(0) - 'a'.charCodeAt(0) : undefined;
}

/**
 * Validates the input into `problems` (props named as given) and returns the plan when valid.
 * Used by {@link planCidrs} and by the components, which report under their own type.
 */
export function validateCidrPlan(input: CidrPlanInput, problems: Problems, prefix = ''): CidrPlan | undefined {
  const before = problems.count;
  const p = (prop: string) => `${prefix}${prop}`;
  const slots = input.zoneSlots ?? DEFAULT_ZONE_SLOTS;
  const slotBits = Math.log2(slots);
  problems.when(!Number.isInteger(slotBits) || slots < 2 || slots > 16, p('zoneSlots'), input.zoneSlots,
    'is not a power of 2 between 2 and 16', `use ${DEFAULT_ZONE_SLOTS} (room for zones a to h)`);
  const vpc = parseCidr(input.vpcCidr);
  if (!vpc) {
    problems.add(p('vpcCidr'), input.vpcCidr, 'is not an IPv4 CIDR block (address/prefix with no host bits set)',
      'use a private block such as "10.10.0.0/16"');
  } else {
    const len = Number(vpc.cidrPrefix.getValue());
    if (len < MAX_VPC_PREFIX || len > MIN_SUBNET_PREFIX) {
      problems.add(p('vpcCidr'), input.vpcCidr, `has prefix /${len}, outside the /16 to /28 AWS allows for a VPC`,
        'use a block between /16 and /28 (the default plan wants /16 to /22)');
    } else if (Number.isInteger(slotBits) && len + 3 + slotBits > MIN_SUBNET_PREFIX) {
      const largest = MIN_SUBNET_PREFIX - 3 - slotBits;
      problems.add(p('vpcCidr'), input.vpcCidr,
        `is too small: ${slots} slots per tier leave public subnets of /${len + 3 + slotBits}, `
        + `smaller than AWS's minimum /${MIN_SUBNET_PREFIX}, so the subnets do not fit`,
        `use a /${largest} or larger block, or fewer zoneSlots`);
    }
  }
  const zones = input.zones ?? [];
  problems.when(zones.length < 2, p('zones'), zones, 'has fewer than 2 zones, so one zone outage takes the region down',
    'list at least 2 (the case study uses 3) availability zones');
  const bySlot = new Map<number, string>();
  const seen = new Set<string>();
  for (const zone of zones) {
    if (problems.when(seen.has(zone), p('zones'), zone, 'is listed twice', 'list each zone once')) continue;
    seen.add(zone);
    const slot = zoneSlot(input.region, zone);
    if (slot === undefined) {
      problems.add(p('zones'), zone, `is not a zone name of region ${JSON.stringify(input.region)} (region name + one letter)`,
        `use names such as "${input.region}a"`);
      continue;
    }
    if (Number.isInteger(slotBits) && slot >= slots) {
      problems.add(p('zones'), zone, `has slot ${slot} (its letter), which does not fit the ${slots} slots per tier`,
        slot < 16 ? `raise zoneSlots to ${2 ** Math.ceil(Math.log2(slot + 1))} (a new plan: only for a new VPC)`
          : 'use zones a to p (16 slots at most)');
    }
    bySlot.set(slot, zone);
  }
  if (problems.count > before || !vpc) return undefined;

  const [privateTier, rest] = vpc.split();
  const [dataTier, rest2] = rest.split();
  const [publicTier, reserved] = rest2.split();
  const subnet = (tier: IPv4CidrRange, slot: number): string => {
    const len = tier.cidrPrefix.getValue() + BigInt(slotBits);
    return tier.splitInto(new IPv4Prefix(len))[slot].toCidrString();
  };
  const planned: Record<string, ZoneSubnets> = {};
  for (const zone of [...seen].sort()) {
    const slot = zoneSlot(input.region, zone)!;
    planned[zone] = {
      zone, slot, public: subnet(publicTier, slot), private: subnet(privateTier, slot), data: subnet(dataTier, slot),
    };
  }
  return {
    region: input.region,
    vpcCidr: vpc.toCidrString(),
    zoneSlots: slots,
    zones: planned,
    tiers: {
      private: privateTier.toCidrString(),
      data: dataTier.toCidrString(),
      public: publicTier.toCidrString(),
      reserved: reserved.toCidrString(),
    },
  };
}

/**
 * Plans a region's subnets. Pure and deterministic.
 * @throws ValidationError (type `CidrPlan`) listing every problem.
 */
export function planCidrs(input: CidrPlanInput): CidrPlan {
  const problems = new Problems('CidrPlan', String(input?.region));
  const plan = validateCidrPlan(input, problems);
  problems.throwIfAny();
  return plan!;
}

/**
 * Records a problem for each pair of overlapping blocks (keys are region names). Unparseable
 * blocks are skipped (reported elsewhere).
 */
export function checkDisjointCidrs(cidrs: Readonly<Record<string, string>>, problems: Problems, prop: string): void {
  const entries = Object.entries(cidrs).map(([k, v]) => [k, v, parseCidr(v)] as const);
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const [a, av, ar] = entries[i];
      const [b, bv, br] = entries[j];
      if (ar && br && ar.isOverlapping(br)) {
        problems.add(`${prop}.${b}`, bv, `overlaps ${a}'s VPC ${av}, so the regions cannot be peered or routed to each other`,
          'give every region a disjoint block (e.g. 10.10.0.0/16, 10.20.0.0/16, ...)');
      }
    }
  }
}

/**
 * Plans every region of a platform and checks the VPC blocks are disjoint across regions.
 * @throws ValidationError (type `CidrPlan`, path the environment) listing every problem.
 */
export function planPlatform(platform: Platform): Readonly<Record<string, CidrPlan>> {
  const problems = new Problems('CidrPlan', platform.environment);
  const plans: Record<string, CidrPlan> = {};
  const cidrs: Record<string, string> = {};
  for (const region of platform.regions) {
    if (region.vpcCidr === undefined) {
      problems.add(`regions.${region.name}.vpcCidr`, undefined, 'is not set, so the region has no VPC block',
        'set vpcCidr in the platform description (e.g. "10.10.0.0/16")');
      continue;
    }
    cidrs[region.name] = region.vpcCidr;
    const plan = validateCidrPlan({ region: region.name, vpcCidr: region.vpcCidr, zones: region.zones }, problems,
      `regions.${region.name}.`);
    if (plan) plans[region.name] = plan;
  }
  checkDisjointCidrs(cidrs, problems, 'regions.vpcCidr');
  problems.throwIfAny();
  return plans;
}
