/**
 * IPv4 CIDR blocks as the platform description states them: parsed and compared without any
 * dependency, so `Platform.fromDescription` can refuse a bad or overlapping VPC block under the
 * property the user wrote (`regions[i].vpcCidr`), before either engine reads it.
 */
import type { Problem } from './errors';

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

/**
 * The block `text` names when it has host bits set (`10.0.0.1/16` names `10.0.0.0/16`), for the
 * fix of a non-canonical block; undefined when `text` is not `a.b.c.d/n` at all.
 */
function canonicalIpv4Block(text: string): string | undefined {
  const m = CIDR.exec(text);
  if (!m) return undefined;
  const prefix = Number(m[5]);
  const address = ((Number(m[1]) * 256 + Number(m[2])) * 256 + Number(m[3])) * 256 + Number(m[4]);
  const size = 2 ** (32 - prefix);
  const first = Math.floor(address / size) * size;
  return `${[24, 16, 8, 0].map(s => Math.floor(first / 2 ** s) % 256).join('.')}/${prefix}`;
}

const IPV6_PREFIX = /^(12[0-8]|1[01][0-9]|[1-9]?[0-9])$/;

/** True for an IPv6 block `address/prefix` (hex groups, at most one `::`), e.g. `fd00::/8`. */
function isIpv6Block(text: string): boolean {
  const [address, prefix, ...rest] = text.split('/');
  if (rest.length > 0 || prefix === undefined || !IPV6_PREFIX.test(prefix)) return false;
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap(h => (h === '' ? [] : h.split(':')));
  if (!groups.every(g => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? groups.length <= 7 : groups.length === 8;
}

/**
 * Problems with the CIDR blocks a construct prop lists (a NetworkPolicy `ipBlock`, an allow list),
 * each under `prop[i]`: an IPv4 block must be canonical (`a.b.c.d/n` without host bits set, as
 * {@link parseIpv4Block} reads it); with `ipv6`, an IPv6 block (`fd00::/8`) is accepted too.
 * A block with host bits set is refused with the block it names as the fix: Kubernetes warns
 * about such a non-canonical `ipBlock.cidr` and, with strict IP/CIDR validation, refuses it.
 *
 * @see https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/ (ipBlock.cidr: "Valid examples are 192.168.1.0/24 or 2001:db8::/64")
 * @see https://github.com/kubernetes/enhancements/tree/master/keps/sig-network/4858-ip-cidr-validation (non-canonical CIDRs: warned, refused under StrictIPCIDRValidation)
 */
export function cidrListProblems(prop: string, cidrs: readonly unknown[], example: string, options: { readonly ipv6?: boolean } = {}): Problem[] {
  const problems: Problem[] = [];
  cidrs.forEach((c, i) => {
    if (parseIpv4Block(c)) return;
    if (options.ipv6 && typeof c === 'string' && isIpv6Block(c)) return;
    const canonical = typeof c === 'string' ? canonicalIpv4Block(c) : undefined;
    problems.push(canonical
      ? { prop: `${prop}[${i}]`, value: c, why: 'has host bits set, so it is not the block it seems to name', fix: `give the block's first address: "${canonical}" (or "${String(c).split('/')[0]}/32" for the one address)` }
      : { prop: `${prop}[${i}]`, value: c, why: `is not ${options.ipv6 ? 'a' : 'an IPv4'} CIDR block (a.b.c.d/n${options.ipv6 ? ' or an IPv6 block' : ''})`, fix: `give e.g. "${example}"` });
  });
  return problems;
}
