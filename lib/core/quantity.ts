/**
 * Kubernetes resource quantities ("500m", "512Mi", "1.5Gi", "2e3"), parsed so props can be
 * compared (request <= limit) and bad units ("1 GB", "512MB") caught before synth.
 *
 * @see https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */

const QUANTITY = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

const SUFFIX: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The value of a quantity in base units (cores for CPU, bytes for memory), or undefined if malformed. */
export function parseQuantity(text: string): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const base = Number(m[1]);
  const suffix = m[2];
  if (!suffix) return base;
  if (suffix[0] === 'e' || suffix[0] === 'E') {
    if (suffix.length > 1) return base * 10 ** Number(suffix.slice(1));
  }
  return base * SUFFIX[suffix];
}

/** A one-line hint for a malformed quantity, naming the accepted form. */
export function quantityFix(kind: 'cpu' | 'memory' | 'storage'): string {
  return kind === 'cpu'
    ? 'use a Kubernetes CPU quantity such as "250m" or "1"'
    : 'use a Kubernetes byte quantity with a binary suffix such as "512Mi" or "2Gi" (no space, not "GB")';
}
