import * as pulumi from '@pulumi/pulumi';

/** A Kubernetes service account, `namespace/name`, that assumes an IAM role through IRSA. */
export interface IrsaSubject {
  readonly namespace: string;
  readonly name: string;
}

/**
 * The trust policy of an IAM role assumed by Kubernetes service accounts through the cluster's
 * OIDC provider (IRSA): `sts:AssumeRoleWithWebIdentity` for exactly these subjects, audience
 * `sts.amazonaws.com`. One subject is written as a string, several as a list.
 * @see https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
 */
export function irsaTrustPolicy(
  oidcProviderArn: pulumi.Input<string>, oidcIssuer: pulumi.Input<string>, subjects: readonly IrsaSubject[],
): pulumi.Output<string> {
  const sub = (a: IrsaSubject) => `system:serviceaccount:${a.namespace}:${a.name}`;
  return pulumi.all([oidcProviderArn, oidcIssuer]).apply(([arn, issuer]) => {
    const host = issuer.replace(/^https:\/\//, '');
    return JSON.stringify({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { Federated: arn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${host}:sub`]: subjects.length === 1 ? sub(subjects[0]) : subjects.map(sub),
            [`${host}:aud`]: 'sts.amazonaws.com',
          },
        },
      }],
    });
  });
}
