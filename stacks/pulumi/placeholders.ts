import { Problem, Problems } from '../../lib/core/errors';
import { goneRepositoryOf } from '../../lib/core/images';

/**
 * Names reserved for documentation and tests, which resolve nowhere real: example.com/.net/.org
 * (RFC 2606 section 3) and the .example, .test, .invalid and .localhost top-level names (RFC 2606
 * section 2, RFC 6761).
 */
const RESERVED_DOMAIN = /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$/i;
/** The account id AWS documentation uses in its examples. */
export const EXAMPLE_ACCOUNT_ID = '123456789012';

/** Whether a host name (or an image reference's registry host) is a documentation placeholder. */
export function isReservedHost(host: string): boolean {
  return RESERVED_DOMAIN.test(host.replace(/:\d+$/, ''));
}

/** The registry host of an image reference (`docker.io` when the reference names none). */
export function imageHost(image: string): string {
  const first = image.split('/')[0];
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

/** Every `image` of an object (containers, init and ephemeral containers, at any depth). */
export function imagesOf(object: unknown): string[] {
  const found: string[] = [];
  const walk = (o: unknown) => {
    if (Array.isArray(o)) {
      o.forEach(walk);
    } else if (o && typeof o === 'object') {
      for (const [k, v] of Object.entries(o)) {
        if (k === 'image' && typeof v === 'string') found.push(v);
        else walk(v);
      }
    }
  };
  walk(object);
  return found;
}

/** Every http(s) URL in an object's string values (annotations, rule annotations, links). */
export function urlsOf(object: unknown): string[] {
  const found: string[] = [];
  const walk = (o: unknown) => {
    if (typeof o === 'string') {
      for (const m of o.matchAll(/https?:\/\/[^\s"'<>]+/g)) found.push(m[0]);
    } else if (Array.isArray(o)) {
      o.forEach(walk);
    } else if (o && typeof o === 'object') {
      Object.values(o).forEach(walk);
    }
  };
  walk(object);
  return found;
}

/**
 * Reports, once per value, every placeholder left in what a deployment would apply: images from a
 * reserved registry host or from a repository known to be gone (lib/core/images.ts), links to a
 * site under a reserved domain (the alerts' runbook and dashboard URLs), external endpoint hosts
 * (ServiceEntries) under a reserved name, and the example account id anywhere in an object.
 */
export function placeholderProblems(problems: Problems, what: string, objects: readonly Record<string, any>[]): void {
  const images = new Set<string>();
  const gone = new Set<string>();
  const accountIn = new Set<string>();
  const links = new Map<string, number>();
  const externalHosts = new Map<string, string[]>();
  for (const o of objects) {
    // An ExternalEndpoint's hosts (its ServiceEntry, which the sidecars' egress and the NetworkPolicies follow).
    // https://istio.io/latest/docs/reference/config/networking/service-entry/
    if (o.kind === 'ServiceEntry' && String(o.apiVersion).startsWith('networking.istio.io/')) {
      const reserved = (o.spec?.hosts ?? []).filter((h: unknown) => typeof h === 'string' && isReservedHost(h));
      if (reserved.length > 0) externalHosts.set(`${o.metadata?.namespace}/${o.metadata?.name}`, reserved);
    }
    for (const url of urlsOf(o)) {
      const host = url.replace(/^https?:\/\//, '').split(/[/:?#]/)[0];
      if (isReservedHost(host)) links.set(url.split('/').slice(0, 3).join('/'), (links.get(url.split('/').slice(0, 3).join('/')) ?? 0) + 1);
    }
    for (const image of imagesOf(o)) {
      if (isReservedHost(imageHost(image))) images.add(image);
      if (goneRepositoryOf(image)) gone.add(image);
    }
    if (JSON.stringify(o).includes(EXAMPLE_ACCOUNT_ID)) accountIn.add(`${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`);
  }
  for (const image of images) {
    problems.add(`${what} image`, image, 'comes from a registry host reserved for documentation, which no node can pull from',
      'set nines:registry to your registry (e.g. "<account>.dkr.ecr.<region>.amazonaws.com")');
  }
  for (const image of gone) {
    const g = goneRepositoryOf(image)!;
    problems.add(`${what} image`, image, `comes from a repository that is gone: ${g.why} (${g.source})`,
      'pin an image from a registry that serves it (the construct\'s image prop), or mirror it into nines:registry');
  }
  for (const [site, count] of links) {
    problems.add(`${what} links`, site, `is under a domain reserved for documentation (RFC 2606), so ${count} runbook or dashboard link(s) `
      + 'in the alerts lead nowhere', 'set nines:runbookBaseUrl and nines:dashboardBaseUrl to your runbook and dashboard sites');
  }
  for (const [entry, hosts] of externalHosts) {
    const name = entry.split('/')[1];
    problems.add(`${what} ServiceEntry ${entry} hosts`, hosts, 'are under names reserved for documentation and tests (RFC 2606, RFC 6761), '
      + 'which resolve nowhere: the mesh would register them and every call to the dependency would fail',
    `set the dependency's real hosts: pulumi config set --path 'nines:externalEndpoints.${name}[0]' <host>`);
  }
  for (const object of accountIn) {
    problems.add(`${what} ${object}`, EXAMPLE_ACCOUNT_ID, 'carries the example AWS account id',
      'remove it: roles are bound with EKS Pod Identity and the account comes from the caller\'s identity');
  }
}

/**
 * The placeholder problems of several regions, each problem once: one that stands identically in
 * several regions (the same object, value, reason and fix; only the region before its prop
 * differs) names them all (`us-east-1, eu-west-1 ServiceEntry egress/x hosts`), so four regions
 * give one line to fix, not four.
 */
export function mergedAcrossRegions(problems: readonly Problem[], regions: readonly string[]): Problem[] {
  const merged = new Map<string, { problem: Problem; rest: string; regions: string[] }>();
  for (const p of problems) {
    const region = regions.find(r => p.prop.startsWith(`${r} `));
    const rest = region === undefined ? p.prop : p.prop.slice(region.length + 1);
    const key = JSON.stringify([region === undefined ? p.prop : rest, p.value, p.why, p.fix]);
    const seen = merged.get(key);
    if (seen && region !== undefined) seen.regions.push(region);
    else merged.set(key, { problem: p, rest, regions: region === undefined ? [] : [region] });
  }
  return [...merged.values()].map(({ problem, rest, regions: rs }) => (rs.length > 1 ? { ...problem, prop: `${rs.join(', ')} ${rest}` } : problem));
}

