/**
 * IPv4 CIDR blocks as the platform description states them: parsed and compared without any
 * dependency, so `Platform.fromDescription` can refuse a bad or overlapping VPC block under the
 * property the user wrote (`regions[i].vpcCidr`), before either engine reads it.
 */

/** A parsed IPv4 CIDR block: its first and last address (as unsigned 32-bit numbers) and prefix. */
export interface Ipv4Block {
  readonly first: number;
  readonly last: number;
  readonly prefix: number;
}

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const CIDR = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}/(3[0-2]|[12]?[0-9])$`);

/**
 * Parses `a.b.c.d/n` (decimal octets without leading zeros, prefix 0 to 32, no host bits set);
 * undefined for anything else.
 */
export function parseIpv4Block(text: unknown): Ipv4Block | undefined {
  if (typeof text !== 'string') return undefined;
  const m = CIDR.exec(text);
  if (!m) return undefined;
  const address = ((Number(m[1]) * 256 + Number(m[2])) * 256 + Number(m[3])) * 256 + Number(m[4]);
  const prefix = Number(m[5]);
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) return undefined;
  return { first: address, last: address + size - 1, prefix };
}

/** True when two blocks share an address. */
export function blocksOverlap(a: Ipv4Block, b: Ipv4Block): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/**
 * The prefix lengths AWS accepts for a VPC's primary block.
 * @see https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html ("between /16 and /28")
 */
export const VPC_PREFIX_RANGE = { largest: 16, smallest: 28 } as const;
