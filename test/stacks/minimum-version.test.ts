import { parseAllDocuments } from 'yaml';
import { Checks, Platform } from '../../lib';
import { DEFAULT_ADDON_CHART_VERSIONS } from '../../lib/aws/cluster-addons';
import { addonVersionProblems, DEFAULT_KUBERNETES_VERSION, EKS_RELEASE_CALENDAR } from '../../lib/core/kubernetes-version';
import { PRODUCTION } from '../../stacks/platform';
import { buildRegion } from '../../stacks/reference-platform';
import { validateAtVersion } from '../util/schema';

/** The oldest Kubernetes version EKS lists that every default add-on pin supports (their documented ranges). */
const MINIMUM = EKS_RELEASE_CALENDAR.map(v => v.version).find(v => addonVersionProblems(v, DEFAULT_ADDON_CHART_VERSIONS).length === 0)!;

describe('the oldest supported Kubernetes version', () => {
  test('is 1.33 (cert-manager 1.21 starts there; Istio 1.30 at 1.32), older than the default', () => {
    expect(MINIMUM).toBe('1.33');
    expect(MINIMUM).not.toBe(DEFAULT_KUBERNETES_VERSION);
  });

  test('the reference platform declared at it validates against its official schema (kubernetes-schemas/v1.33.0), unknown fields rejected', () => {
    const platform = Platform.fromDescription({ ...PRODUCTION, kubernetesVersion: MINIMUM });
    const { app } = buildRegion(platform, 'us-east-1');
    Checks.of(app).log = () => {};
    const objects = parseAllDocuments(app.synthYaml()).map(d => d.toJS()).filter(o => o && typeof o === 'object');
    const results = objects.map(o => validateAtVersion(o, MINIMUM)).filter((r): r is string[] => r !== null);
    expect(results.length).toBeGreaterThan(200); // Kubernetes' own kinds (the CRDs are validated against their own schemas elsewhere)
    expect(results.flat()).toEqual([]);
  });

  test('a field newer than it is refused by its schema but not by the default version\'s', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { hostnameOverride: 'node-a', containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
    };
    expect(validateAtVersion(pod, MINIMUM)).toEqual(['Pod/p: spec.hostnameOverride: unknown field']);
    expect(validateAtVersion(pod, DEFAULT_KUBERNETES_VERSION)).toEqual([]);
  });
});
