/*
 * Internal: the IAM role a controller's pods get through EKS Pod Identity (cert-manager and
 * external-dns in ClusterAddons, the Karpenter controller, RegionalCluster's database backups).
 */
import * as eks from '@pulumi/aws/eks';
import * as iam from '@pulumi/aws/iam';
import * as pulumi from '@pulumi/pulumi';

/**
 * The trust policy of a role that only `service` (e.g. `eks.amazonaws.com`) may assume, with
 * `sts:TagSession` (EKS Pod Identity needs it: it tags each session with the cluster, namespace
 * and service account).
 * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
 */
export function serviceTrustPolicy(service: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: ['sts:AssumeRole', 'sts:TagSession'] }],
  });
}

/** The cluster whose pods assume a Pod Identity role. */
export interface PodIdentityCluster {
  /** The EKS cluster's name. */
  readonly name: pulumi.Input<string>;
  /** The cluster's Pod Identity agent: each association waits for it (the agent serves pods created after their association). */
  readonly podIdentityAgent: pulumi.Resource;
}

/** A service account given a Pod Identity role, and the name of its association resource. */
export interface PodIdentityServiceAccount {
  readonly namespace: string;
  readonly name: string;
  readonly resourceName: string;
}

/** A Pod Identity role and its associations, keyed `namespace/name`. */
export interface PodIdentityRole {
  readonly role: iam.Role;
  readonly associations: Record<string, eks.PodIdentityAssociation>;
}

/**
 * A role trusted by the EKS Pod Identity service only (the role and its one inline `policy`, both
 * named `name`; the role's IAM name `roleName`, or Pulumi's), and the associations (keyed
 * `namespace/name`) that hand it to `serviceAccounts`, and to no other pod.
 * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-association.html
 */
export function podIdentityRole(parent: pulumi.Resource, name: string, cluster: PodIdentityCluster,
  serviceAccounts: readonly PodIdentityServiceAccount[], policy: pulumi.Input<string>, tags: Readonly<Record<string, string>>, roleName?: string,
): PodIdentityRole {
  const trust = serviceTrustPolicy('pods.eks.amazonaws.com');
  const role = new iam.Role(name, { ...(roleName === undefined ? {} : { name: roleName }), assumeRolePolicy: trust, tags }, { parent });
  new iam.RolePolicy(name, { role: role.id, policy }, { parent });
  const associations: Record<string, eks.PodIdentityAssociation> = {};
  for (const account of serviceAccounts) {
    associations[`${account.namespace}/${account.name}`] = new eks.PodIdentityAssociation(account.resourceName, {
      clusterName: cluster.name, namespace: account.namespace, serviceAccount: account.name, roleArn: role.arn, tags,
    }, { parent, dependsOn: [cluster.podIdentityAgent] });
  }
  return { role, associations };
}
