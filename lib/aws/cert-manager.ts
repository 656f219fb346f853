/**
 * What cert-manager needs to issue the gateways' certificates through ACME DNS-01 on Route53:
 * the IAM policy of its controller, the ClusterIssuer and one Certificate per gateway Secret.
 * Pure builders (plain objects): ClusterAddons applies them, the tests validate them against
 * cert-manager's own CRD schemas.
 */
import { GatewayCertificate } from '../core/capabilities';

/** Let's Encrypt's production ACME directory. @see https://letsencrypt.org/docs/acme-protocol-updates/ */
export const LETS_ENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';

/** The name of the ClusterIssuer ClusterAddons creates. */
export const ACME_CLUSTER_ISSUER = 'acme-route53';

/** cert-manager's controller service account (the chart's, with release name `cert-manager`), which gets the Route53 role. */
export const CERT_MANAGER_SERVICE_ACCOUNT = 'cert-manager';

/**
 * The permissions of cert-manager's controller: read the status of its changes, and in the one
 * hosted zone, list records and change TXT records named `_acme-challenge.*` only (no other
 * record of the zone). With `hostedZoneID` set in the issuer, ListHostedZonesByName is not needed.
 * @see https://cert-manager.io/docs/configuration/acme/dns01/route53/#set-up-an-iam-policy
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html
 */
export function certManagerRoute53Policy(hostedZoneId: string): { Version: string; Statement: Record<string, unknown>[] } {
  const zone = `arn:aws:route53:::hostedzone/${hostedZoneId}`;
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ChangeStatus', Effect: 'Allow', Action: ['route53:GetChange'], Resource: ['arn:aws:route53:::change/*'] },
      { Sid: 'ListRecords', Effect: 'Allow', Action: ['route53:ListResourceRecordSets'], Resource: [zone] },
      {
        Sid: 'AcmeChallengeRecords',
        Effect: 'Allow',
        Action: ['route53:ChangeResourceRecordSets'],
        Resource: [zone],
        Condition: {
          'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'] },
          'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['_acme-challenge.*'] },
        },
      },
    ],
  };
}

/** What the ClusterIssuer is made of. */
export interface AcmeIssuerOptions {
  /** The Route53 hosted zone the challenge records go in. */
  readonly hostedZoneId: string;
  /** The cluster's region: cert-manager's hint for the credential scope (Route53 itself is global). */
  readonly region: string;
  /** The ACME directory. */
  readonly server: string;
  /** The ACME account's contact, if any. */
  readonly email?: string;
}

/**
 * A ClusterIssuer solving DNS-01 in Route53 with the controller's ambient credentials (EKS Pod
 * Identity: no key, no role ARN in the object; ClusterIssuers may use ambient credentials by default).
 * @see https://cert-manager.io/docs/configuration/acme/dns01/route53/
 * @see https://cert-manager.io/docs/configuration/acme/#creating-a-basic-acme-issuer
 */
export function acmeClusterIssuer(o: AcmeIssuerOptions): Record<string, any> {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name: ACME_CLUSTER_ISSUER },
    spec: {
      acme: {
        server: o.server,
        ...(o.email !== undefined ? { email: o.email } : {}),
        privateKeySecretRef: { name: `${ACME_CLUSTER_ISSUER}-account-key` },
        solvers: [{ dns01: { route53: { region: o.region, hostedZoneID: o.hostedZoneId } } }],
      },
    },
  };
}

/**
 * The Certificate that keeps a gateway's Secret issued and renewed: ECDSA P-256, a new key at each
 * renewal, from the ACME ClusterIssuer.
 * @see https://cert-manager.io/docs/usage/certificate/
 */
export function gatewayCertificate(c: GatewayCertificate): Record<string, any> {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: c.secretName, namespace: c.namespace },
    spec: {
      secretName: c.secretName,
      dnsNames: [...c.dnsNames],
      issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: ACME_CLUSTER_ISSUER },
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
    },
  };
}
