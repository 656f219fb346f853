import { acmeChallengeRecordName, concurrentChallengeProblems, ROUTE53_MULTIVALUE_ANSWER_LIMIT } from '../../lib/aws/cert-manager';
import { gatewayCertificatesOf } from '../../lib/core/capabilities';
import { Platform } from '../../lib/core/platform';
import { regionObjects } from '../../stacks/pulumi/kubernetes-objects';
import { describePlatform } from '../../stacks/pulumi/stack';

describe('DNS-01 from every region for the same name', () => {
  test('the production regions share one challenge name (4 pending values at most, each a record set of its own), within Route53\'s answer size', () => {
    const platform = Platform.fromDescription(describePlatform('production', undefined, { runbookBaseUrl: 'https://runbooks.shop.dev/shop' }));
    const byRegion = Object.fromEntries(platform.regions.map(r => [r.name,
      gatewayCertificatesOf(regionObjects(platform, r.name, { entryDomain: 'api.shop.dev' }).charts.flatMap(c => c.objects))]));
    // Each region's certificate: the shared name and its own.
    expect(byRegion['eu-west-1'].map(c => [c.namespace, c.secretName, [...c.dnsNames].sort()]))
      .toEqual([['istio-ingress', 'api-shop-dev-tls', ['api.shop.dev', 'eu-west-1.api.shop.dev']]]);
    const records = Object.values(byRegion).flat().flatMap(c => c.dnsNames.map(acmeChallengeRecordName));
    expect(records.filter(r => r === '_acme-challenge.api.shop.dev')).toHaveLength(4);
    expect(concurrentChallengeProblems(byRegion)).toEqual([]);
  }, 120_000);

  test('more pending challenges at one name than Route53 answers with is refused; a wildcard counts at its base name', () => {
    expect(ROUTE53_MULTIVALUE_ANSWER_LIMIT).toBe(8);
    expect(acmeChallengeRecordName('*.shop.dev')).toBe('_acme-challenge.shop.dev');
    const cert = (dnsNames: string[]) => [{ namespace: 'istio-ingress', secretName: 'tls', dnsNames }];
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`region-${i}`, cert(['api.shop.dev'])]));
    const [p, ...rest] = concurrentChallengeProblems(nine);
    expect(rest).toEqual([]);
    expect(`${p.prop}: ${p.why}; ${p.fix}`).toBe('certificates _acme-challenge.api.shop.dev: can have 9 DNS-01 challenges pending at once, and Route53 '
      + 'answers a multivalue name with at most 8 of its TXT records, so a validation may miss its value and fail; issue the shared name from '
      + 'fewer clusters (e.g. one issuing region per group of eight, its Secret replicated to the others), or split the name');
    // Four regions each asking for a wildcard and its base name: 8 values at one name, still answered whole; five are not.
    const both = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`r${i}`, cert(['shop.dev', '*.shop.dev'])]));
    expect(concurrentChallengeProblems(both(4))).toEqual([]);
    expect(concurrentChallengeProblems(both(5)).map(q => q.prop)).toEqual(['certificates _acme-challenge.shop.dev']);
  });
});
