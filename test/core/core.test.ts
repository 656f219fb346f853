import * as fc from 'fast-check';
import { Platform, ValidationError, backupBucketNameOf, backupRoleNameOf, clusterNameOf, parseQuantity } from '../../lib';

describe('parseQuantity', () => {
  test.each([
    ['500m', 0.5], ['1', 1], ['1.5', 1.5], ['512Mi', 512 * 2 ** 20], ['1Gi', 2 ** 30], ['2e3', 2000], ['1k', 1000], ['100M', 1e8],
  ])('%s = %d', (text, value) => expect(parseQuantity(text)).toBeCloseTo(value));

  test.each(['1 GB', '512MB', '', 'lots', '1.2.3', 'Mi'])('%j is rejected', text => expect(parseQuantity(text)).toBeUndefined());

  test('binary suffixes scale by 1024', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1_000_000 }), n => {
      expect(parseQuantity(`${n}Ki`)).toBe(n * 1024);
      expect(parseQuantity(`${n}Mi`)).toBe(n * 1024 * 1024);
    }));
  });
});

describe('Platform.fromDescription', () => {
  test('valid description: regions, zones, namespaces', () => {
    const p = Platform.fromDescription({ environment: 'production', regions: [{ name: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1b'] }] });
    expect(p.region('eu-west-1').zones).toEqual(['eu-west-1a', 'eu-west-1b']);
    expect(p.meshNamespace).toBe('istio-system');
    expect(p.monitoringNamespace).toBe('monitoring');
    expect(() => p.region('us-east-1')).toThrow("Platform 'production': no region \"us-east-1\"; known regions: eu-west-1");
  });

  test('runbookBaseUrl: none by default; kept as given', () => {
    const regions = [{ name: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1b'] }];
    expect(Platform.fromDescription({ environment: 'production', regions }).runbookBaseUrl).toBeUndefined();
    expect(Platform.fromDescription({ environment: 'production', regions, runbookBaseUrl: 'https://runbooks.example.com/shop/' }).runbookBaseUrl)
      .toBe('https://runbooks.example.com/shop/');
  });

  test.each([
    'http://runbooks.example.com/shop', 'runbooks/shop', '', 'https://runbooks.example.com/shop?page=1', 'https://runbooks.example.com/shop#top',
  ])('runbookBaseUrl %j is refused', runbookBaseUrl => {
    const regions = [{ name: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1b'] }];
    expect(() => Platform.fromDescription({ environment: 'production', regions, runbookBaseUrl })).toThrow([
      "Platform 'production': 1 problem:",
      ` - runbookBaseUrl (${JSON.stringify(runbookBaseUrl)}) is not an absolute https URL without query or fragment; `
        + 'give the URL dist/runbooks/ is published at, e.g. "https://wiki.example.com/runbooks"',
    ].join('\n'));
  });

  test('every problem at once', () => {
    let err: unknown;
    try {
      Platform.fromDescription({
        environment: 'Prod',
        regions: [
          { name: 'us-east-1', zones: ['us-east-1a'] },
          { name: 'us-east-1', zones: ['eu-west-1a', 'us-east-1b'] },
        ],
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toBe([
      "Platform 'Prod': 4 problems:",
      ' - environment ("Prod") is not a DNS label; use lower-case letters, digits and "-", e.g. "production"',
      ' - regions[0].zones (["us-east-1a"]) has fewer than 2 zones, so one zone outage takes the region down; list at least 2 (the case study uses 3) availability zones',
      ' - regions[1].name ("us-east-1") is declared twice; declare each region once',
      ' - regions[1].zones ("eu-west-1a") is not a zone of region "us-east-1"; use zone names of the region, e.g. "us-east-1a"',
    ].join('\n'));
  });
});

describe('names and time zones both engines read from the description', () => {
  const platform = Platform.fromDescription({
    environment: 'production',
    regions: [{ name: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1b'], timeZone: 'Europe/Dublin' }],
  });
  const region = platform.region('eu-west-1');

  test('cluster, backup bucket and backup role names', () => {
    expect(clusterNameOf(region)).toBe('production-eu-west-1');
    expect(backupBucketNameOf(region)).toBe('nines-production-eu-west-1-db-backup');
    expect(backupRoleNameOf(clusterNameOf(region))).toBe('production-eu-west-1-db-backup');
    expect(backupRoleNameOf('x'.repeat(80))).toHaveLength(64);
  });

  test('the region keeps its time zone; an unknown one is reported with its path', () => {
    expect(region.timeZone).toBe('Europe/Dublin');
    let err: unknown;
    try {
      Platform.fromDescription({ environment: 'production', regions: [{ name: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1b'], timeZone: 'Europe/Atlantis' }] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toBe("Platform 'production': 1 problem:\n"
      + ' - regions[0].timeZone ("Europe/Atlantis") is not an IANA time zone; use e.g. "America/New_York" or "UTC"');
  });
});
