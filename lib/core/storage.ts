/**
 * Persistent storage, a fact both engines share: the StorageClass the AWS side creates (and makes
 * the cluster's default) is the one every stateful construct requests by name unless told
 * otherwise, and every stateful construct takes its volumes through one option type, resolved and
 * validated here.
 *
 * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/#persistentvolumeclaims
 */
import { Problem } from './errors';
import { PropTypes } from './prop-types';
import { parseQuantity, quantityFix } from './quantity';

/** The StorageClass the AWS side provisions (encrypted gp3 EBS, the cluster's default class). */
export const DEFAULT_STORAGE_CLASS = 'gp3-encrypted';

/** Where a stateful member keeps its data (one ReadWriteOnce volume per Pod). */
export interface StorageOptions {
  /**
   * Size of each member's volume, a whole Kubernetes byte quantity in Mi, Gi or Ti.
   * @default - per construct and role (see the construct's prop)
   */
  readonly size?: string;
  /**
   * StorageClass of the volumes. Named on every claim, so the volumes are encrypted gp3 whichever
   * class a cluster marks as its default.
   * @default 'gp3-encrypted' ({@link DEFAULT_STORAGE_CLASS}, the class the AWS side provides), for
   *   every stateful construct
   */
  readonly storageClass?: string;
  /**
   * The former name of {@link storageClass} in `KafkaStorageOptions` and `RedisStorageOptions`.
   * @deprecated use `storageClass`
   */
  readonly storageClassName?: string;
}

/** Runtime types of {@link StorageOptions} (a resolver checks them before {@link resolveStorage}). */
export const STORAGE_TYPES: PropTypes = { size: 'string', storageClass: 'string', storageClassName: 'string' };

/** {@link StorageOptions} with the defaults applied. */
export interface ResolvedStorage {
  readonly size: string;
  readonly storageClass: string;
}

/** A construct's default size and floor for one kind of volume (the class is {@link DEFAULT_STORAGE_CLASS}). */
export interface StorageDefaults {
  readonly size: string;
  /** The smallest volume that makes sense. @default 1Mi */
  readonly minBytes?: number;
}

const STORAGE_CLASS = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const WHOLE_BYTES = /^\d+(Mi|Gi|Ti)$/;

function bytesText(bytes: number): string {
  return bytes % 2 ** 30 === 0 ? `${bytes / 2 ** 30}Gi` : `${bytes / 2 ** 20}Mi`;
}

/**
 * Applies `defaults` to `options` and returns every problem, props named under `prop`
 * (`storage.size`, `brokerStorage.storageClass`, ...).
 */
export function resolveStorage(
  prop: string, options: StorageOptions | undefined, defaults: StorageDefaults,
): { storage: ResolvedStorage; problems: Problem[] } {
  const problems: Problem[] = [];
  const size = options?.size ?? defaults.size;
  const classProp = options?.storageClass === undefined && options?.storageClassName !== undefined ? 'storageClassName' : 'storageClass';
  const storageClass = options?.storageClass ?? options?.storageClassName ?? DEFAULT_STORAGE_CLASS;
  const minBytes = defaults.minBytes ?? 2 ** 20;
  const bytes = parseQuantity(size);
  if (bytes === undefined || !WHOLE_BYTES.test(size)) {
    problems.push({ prop: `${prop}.size`, value: size, why: 'is not a whole byte quantity in Mi, Gi or Ti', fix: quantityFix('storage') });
  } else if (bytes < minBytes) {
    problems.push({ prop: `${prop}.size`, value: size, why: `is not a storage quantity of at least ${bytesText(minBytes)}`, fix: `give at least ${bytesText(minBytes)}` });
  }
  if (typeof storageClass !== 'string' || !STORAGE_CLASS.test(storageClass)) {
    problems.push({ prop: `${prop}.${classProp}`, value: storageClass, why: 'is not a StorageClass name', fix: `use e.g. "${DEFAULT_STORAGE_CLASS}"` });
  }
  if (options?.storageClass !== undefined && options.storageClassName !== undefined && options.storageClass !== options.storageClassName) {
    problems.push({
      prop: `${prop}.storageClassName`,
      value: options.storageClassName,
      why: `contradicts storageClass (${JSON.stringify(options.storageClass)})`,
      fix: 'give storageClass only (storageClassName is its deprecated name)',
    });
  }
  return { storage: { size, storageClass }, problems };
}
