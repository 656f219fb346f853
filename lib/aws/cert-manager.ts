/**
 * What cert-manager needs to issue the gateways' certificates through ACME DNS-01 on Route53:
 * the IAM policy of its controller, the ClusterIssuer and one Certificate per gateway Secret.
 * Pure builders (plain objects): ClusterAddons applies them, the tests validate them against
 * cert-manager's own CRD schemas.
 */
import { GatewayCertificate } from '../core/capabilities';
import { Problem } from '../core/errors';

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

/**
 * The most records Route53 answers a multivalue-answer name with: past 8 it answers each resolver
 * with a different random 8.
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-multivalue.html
 */
export const ROUTE53_MULTIVALUE_ANSWER_LIMIT = 8;

/** The TXT record name a DNS-01 challenge for `dnsName` is answered at (a wildcard's at its base name). */
export function acmeChallengeRecordName(dnsName: string): string {
  return `_acme-challenge.${dnsName.replace(/^\*\./, '')}`;
}

/**
 * Problems of the regions' certificates solving DNS-01 at once in one hosted zone. Every region's
 * cert-manager issues a certificate for the shared entry name (`api.shop.com`, which Route53's latency
 * records send to any region), so up to one challenge per region is pending at
 * `_acme-challenge.api.shop.com` at the same time (first issuance, and renewals issued together).
 * cert-manager's Route53 solver does not overwrite another solver's value: it writes each challenge as a
 * multivalue-answer TXT record set of its own (SetIdentifier = the value) and deletes only that set when
 * done (cert-manager PR #4793, which fixed the UPSERT of a single-value record that made concurrent
 * solvers for one name overwrite each other, issue #3460/#4504), and the ACME server accepts the
 * challenge if any TXT value at the name matches (RFC 8555 section 8.4). What remains is Route53's
 * answer size: past {@link ROUTE53_MULTIVALUE_ANSWER_LIMIT} values at one name, a validation may be
 * answered without its value and fail. So more pending challenges at one record name than that (counted
 * over the regions' certificates, a wildcard at its base name) is refused.
 * @see https://github.com/cert-manager/cert-manager/blob/master/pkg/issuer/acme/dns/route53/route53.go (newTXTRecordSet: MultiValueAnswer, SetIdentifier)
 * @see https://github.com/cert-manager/cert-manager/pull/4793
 * @see https://www.rfc-editor.org/rfc/rfc8555#section-8.4
 */
export function concurrentChallengeProblems(certificatesByRegion: Readonly<Record<string, readonly GatewayCertificate[]>>): Problem[] {
  const pending = new Map<string, string[]>();
  for (const [region, certificates] of Object.entries(certificatesByRegion)) {
    for (const c of certificates) {
      for (const name of c.dnsNames) {
        const record = acmeChallengeRecordName(name);
        pending.set(record, [...(pending.get(record) ?? []), `${region}:${c.namespace}/${c.secretName}`]);
      }
    }
  }
  const problems: Problem[] = [];
  for (const [record, by] of pending) {
    if (by.length <= ROUTE53_MULTIVALUE_ANSWER_LIMIT) continue;
    problems.push({
      prop: `certificates ${record}`,
      value: by,
      why: `can have ${by.length} DNS-01 challenges pending at once, and Route53 answers a multivalue name with at most `
        + `${ROUTE53_MULTIVALUE_ANSWER_LIMIT} of its TXT records, so a validation may miss its value and fail`,
      fix: 'issue the shared name from fewer clusters (e.g. one issuing region per group of eight, its Secret replicated to the others), '
        + 'or split the name',
    });
  }
  return problems;
}
