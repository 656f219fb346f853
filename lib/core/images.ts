/**
 * Image repositories known to be gone (or frozen and being retired) upstream: a reference to one
 * of them is a pod that never starts, or one that never gets another fix. Pure data with its
 * upstream source; the Pulumi program refuses such an image at preview, and the tests scan every
 * synthesized object and every Helm value naming an image.
 */

/** A repository prefix that is gone, with why and where upstream says so. */
export interface GoneRepository {
  /** The normalised prefix (`docker.io/bitnami/`): see {@link normaliseImage}. */
  readonly prefix: string;
  /** What happened, and what to use instead. */
  readonly why: string;
  /** The upstream announcement. */
  readonly source: string;
}

/** Known-gone repositories. */
export const GONE_IMAGE_REPOSITORIES: readonly GoneRepository[] = [
  {
    prefix: 'docker.io/bitnami/',
    why: 'Bitnami removed its versioned images from docker.io/bitnami on 2025-09-29 (moved, frozen, to docker.io/bitnamilegacy; '
      + 'only "latest" of a few hardened images remain, for development)',
    source: 'https://github.com/bitnami/containers/issues/83267',
  },
  {
    prefix: 'k8s.gcr.io/',
    why: 'the Kubernetes project froze k8s.gcr.io (nothing newer than 1.27 is published there) and redirects it to registry.k8s.io '
      + 'while phasing it out',
    source: 'https://kubernetes.io/blog/2023/03/10/image-registry-redirect/',
  },
];

/**
 * An image reference as the container runtime resolves it: `redis:7` -> `docker.io/library/redis:7`,
 * `bitnami/kubectl:1.31` -> `docker.io/bitnami/kubectl:1.31`; `index.docker.io` is `docker.io`.
 * @see https://github.com/distribution/reference/blob/main/normalize.go
 */
export function normaliseImage(image: string): string {
  const first = image.split('/')[0];
  const hasHost = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasHost) return `docker.io/${image.includes('/') ? image : `library/${image}`}`;
  return first === 'index.docker.io' ? `docker.io/${image.slice(first.length + 1)}` : image;
}

/** The gone repository an image comes from, if any. */
export function goneRepositoryOf(image: string): GoneRepository | undefined {
  const ref = normaliseImage(image);
  return GONE_IMAGE_REPOSITORIES.find(g => ref.startsWith(g.prefix));
}

/**
 * Every image a Helm values object names: a string under a key `image` or `<something>Image`
 * (`pauseImage`), an object under `image` with `repository` (and `registry`, `tag`, `digest`), or
 * Istio's `hub` and `tag` (every image of that hub, as `<hub>/*:<tag>`), the shapes charts use.
 */
export function imagesInHelmValues(values: unknown): string[] {
  const found: string[] = [];
  const walk = (o: unknown) => {
    if (Array.isArray(o)) {
      o.forEach(walk);
      return;
    }
    if (!o || typeof o !== 'object') return;
    for (const [k, v] of Object.entries(o)) {
      if ((k === 'image' || /Image$/.test(k)) && typeof v === 'string') {
        found.push(v);
      } else if (k === 'hub' && typeof v === 'string') {
        const tag = (o as { tag?: unknown }).tag;
        found.push(`${v}/*${typeof tag === 'string' ? `:${tag}` : ''}`);
      } else if (k === 'image' && v && typeof v === 'object' && typeof (v as any).repository === 'string') {
        const i = v as { registry?: string; repository: string; tag?: string; digest?: string };
        found.push(`${i.registry ? `${i.registry}/` : ''}${i.repository}${i.tag ? `:${i.tag}` : ''}${i.digest ? `@${i.digest}` : ''}`);
      } else {
        walk(v);
      }
    }
  };
  walk(values);
  return found;
}
