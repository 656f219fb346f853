/**
 * @internal Pieces the stateful constructs share (PatroniCluster, EtcdCluster, later the
 * Redis and Kafka ones): persistent volume claim templates with validated sizes, the headless
 * governing Service, and the StatefulSet skeleton around the shared hardened pod spec.
 */
import { Problem, Problems } from '../../core/errors';
import { parseQuantity, quantityFix } from '../../core/quantity';

/** Where a member keeps its data. */
export interface StorageOptions {
  /**
   * Size of each member's volume, a Kubernetes byte quantity.
   * @default - per construct
   */
  readonly size?: string;
  /**
   * StorageClass of the volumes: the encrypted gp3 class the AWS side provides.
   * @default 'gp3-encrypted'
   */
  readonly storageClass?: string;
}

/** The StorageClass the AWS side provisions (encrypted gp3 EBS). */
export const DEFAULT_STORAGE_CLASS = 'gp3-encrypted';

const STORAGE_CLASS = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Validates a resolved storage size and class. */
export function storageProblems(prop: string, size: string, storageClass: string, minBytes = 2 ** 20): Problem[] {
  const out: Problem[] = [];
  const bytes = parseQuantity(size);
  if (bytes === undefined || !/^\d+(Mi|Gi|Ti)$/.test(size)) {
    out.push({ prop: `${prop}.size`, value: size, why: 'is not a whole byte quantity in Mi, Gi or Ti', fix: quantityFix('storage') });
  } else if (bytes < minBytes) {
    out.push({ prop: `${prop}.size`, value: size, why: `is smaller than ${minBytes / 2 ** 20}Mi`, fix: `give at least ${minBytes / 2 ** 20}Mi` });
  }
  if (!STORAGE_CLASS.test(storageClass)) {
    out.push({ prop: `${prop}.storageClass`, value: storageClass, why: 'is not a StorageClass name', fix: `use e.g. "${DEFAULT_STORAGE_CLASS}"` });
  }
  return out;
}

/** A ReadWriteOnce volumeClaimTemplate (data survives Pod rescheduling; never an emptyDir). */
export function volumeClaimTemplate(name: string, labels: Record<string, string>, size: string, storageClass: string): Record<string, unknown> {
  return {
    metadata: { name, labels },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: storageClass,
      resources: { requests: { storage: size } },
    },
  };
}

/**
 * The spec of a headless governing Service: stable per-member DNS names
 * (`<pod>.<service>.<namespace>.svc`), published before the members are ready so they can find
 * each other while bootstrapping.
 */
export function headlessServiceSpec(selector: Record<string, string>, ports: ReadonlyArray<{ name: string; port: number }>): Record<string, unknown> {
  return {
    clusterIP: 'None',
    publishNotReadyAddresses: true,
    selector,
    ports: ports.map(p => ({ name: p.name, port: p.port, targetPort: p.name, protocol: 'TCP' })),
  };
}

/** StatefulSet update and management policy shared by the stateful constructs. */
export function statefulSetSkeleton(serviceName: string, replicas: number, selector: Record<string, string>): Record<string, unknown> {
  return {
    serviceName,
    replicas,
    // Members find each other through the DCS / the initial cluster list, so they may start together.
    podManagementPolicy: 'Parallel',
    // One member at a time, highest ordinal first; the next starts only once this one is Ready.
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    minReadySeconds: 10,
    revisionHistoryLimit: 5,
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    selector: { matchLabels: selector },
  };
}

/** Zones must be known, distinct and at least 2. */
export function zoneProblems(problems: Problems, zones: readonly string[], unknown: boolean): void {
  if (unknown) {
    problems.add('zones', undefined, 'are unknown: the construct is not inside a RegionChart and no zones were given',
      'create it inside a RegionChart (zones come from the platform description) or pass zones');
  } else if (zones.length < 2 || new Set(zones).size !== zones.length) {
    problems.add('zones', zones, 'must list at least 2 distinct zones, or one zone outage takes the cluster down',
      'spread over 2 or more zones (the case study uses 3 per region)');
  }
}
