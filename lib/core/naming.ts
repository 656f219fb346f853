/**
 * Names both engines derive from the platform description: the AWS side creates the thing under
 * this name, the Kubernetes side refers to it. Written once here, never retyped in a stack.
 */

/** What a name is derived from: a region of a platform (a `Region` fulfils it). */
export interface NamedRegion {
  readonly name: string;
  readonly platform: { readonly environment: string };
}

/**
 * The EKS cluster (and Prometheus `cluster` label) of a region: `<environment>-<region>`,
 * e.g. `production-us-east-1`.
 */
export function clusterNameOf(region: NamedRegion): string {
  return `${region.platform.environment}-${region.name}`;
}

/**
 * The IAM role the database backups of a cluster write with (IRSA): `<cluster>-db-backup`, the
 * cluster name cut so the whole stays within IAM's 64 characters.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export function backupRoleNameOf(clusterName: string): string {
  return `${clusterName.slice(0, 54)}-db-backup`;
}

/**
 * The S3 bucket a region's database backups go to: `nines-<environment>-<region>-db-backup`
 * (globally unique, so it carries the environment and the region).
 */
export function backupBucketNameOf(region: NamedRegion): string {
  return `nines-${region.platform.environment}-${region.name}-db-backup`;
}

/**
 * The name a region's internal load balancer is published under in the platform's private zone:
 * `<service>.<namespace>.<region>.<zone>` (e.g. `prometheus-nines-sidecar.monitoring.eu-west-1.nines.internal`).
 * The Service asks external-dns for it, and the other regions call it by it: one function, both ends.
 * @see https://kubernetes-sigs.github.io/external-dns/latest/docs/annotations/annotations/ (external-dns.alpha.kubernetes.io/hostname)
 */
export function internalServiceHostOf(service: string, namespace: string, region: string, zone: string): string {
  return `${service}.${namespace}.${region}.${zone}`;
}
