import { Platform, resolvePlatformSettings } from '../../lib/core/platform';

describe('platform settings: add-on namespaces', () => {
  test('Flagger and Chaos Mesh namespaces default to their charts\' namespaces and follow the description', () => {
    expect(resolvePlatformSettings().flaggerNamespace).toBe('flagger-system');
    expect(resolvePlatformSettings().chaosNamespace).toBe('chaos-mesh');
    const p = Platform.fromDescription({ environment: 'test', regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'] }], flaggerNamespace: 'progressive-delivery' });
    expect(p.flaggerNamespace).toBe('progressive-delivery');
  });

  test('a flaggerNamespace that is not a DNS label is refused', () => {
    expect(() => Platform.fromDescription({ environment: 'test', regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'] }], flaggerNamespace: 'Flagger' }))
      .toThrow(' - flaggerNamespace ("Flagger") is not a namespace name; use a DNS label');
  });
});
