import { Problems } from '../../lib/core/errors';
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
 * site under a reserved domain (the alerts' runbook and dashboard URLs), and the example account
 * id anywhere in an object.
 */
export function placeholderProblems(problems: Problems, what: string, objects: readonly Record<string, any>[]): void {
  const images = new Set<string>();
  const gone = new Set<string>();
  const accountIn = new Set<string>();
  const links = new Map<string, number>();
  for (const o of objects) {
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
  for (const object of accountIn) {
    problems.add(`${what} ${object}`, EXAMPLE_ACCOUNT_ID, 'carries the example AWS account id',
      'remove it: roles are bound with EKS Pod Identity and the account comes from the caller\'s identity');
  }
}
