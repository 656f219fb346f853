import { parseAllDocuments } from 'yaml';
import { Checks, Platform } from '../../lib';
import { ClusterAddons, MultiAzVpc, RegionalCluster } from '../../lib/aws';
import { Problems } from '../../lib/core/errors';
import { GONE_IMAGE_REPOSITORIES, goneRepositoryOf, imagesInHelmValues, normaliseImage } from '../../lib/core/images';
import { PRODUCTION } from '../../stacks/platform';
import { imagesOf, placeholderProblems } from '../../stacks/pulumi/placeholders';
import { buildRegion } from '../../stacks/reference-platform';
import { installMocks, settle } from '../aws/mocks';

const mocks = installMocks();
const platform = Platform.fromDescription(PRODUCTION);

describe('images that exist', () => {
  test('the known-gone repositories, each with its upstream source', () => {
    expect(GONE_IMAGE_REPOSITORIES.map(g => [g.prefix, g.source])).toEqual([
      ['docker.io/bitnami/', 'https://github.com/bitnami/containers/issues/83267'],
      ['k8s.gcr.io/', 'https://kubernetes.io/blog/2023/03/10/image-registry-redirect/'],
    ]);
    // As the runtime resolves references: a bare Docker Hub name is docker.io/...
    expect(normaliseImage('bitnami/jmx-exporter:1.0.1')).toBe('docker.io/bitnami/jmx-exporter:1.0.1');
    expect(normaliseImage('redis:7.2')).toBe('docker.io/library/redis:7.2');
    expect(goneRepositoryOf('bitnami/jmx-exporter:1.0.1')?.prefix).toBe('docker.io/bitnami/');
    expect(goneRepositoryOf('index.docker.io/bitnami/kubectl:1.31')?.prefix).toBe('docker.io/bitnami/');
    expect(goneRepositoryOf('k8s.gcr.io/pause:3.9')?.prefix).toBe('k8s.gcr.io/');
    expect(goneRepositoryOf('docker.io/bitnamilegacy/jmx-exporter:1.0.1')).toBeUndefined();
    expect(goneRepositoryOf('registry.k8s.io/pause:3.9')).toBeUndefined();
  });

  test.each(platform.regions.map(r => r.name))('%s: no synthesized object names an image from a gone repository', regionName => {
    const { app } = buildRegion(platform, regionName);
    Checks.of(app).log = () => {};
    const objects = parseAllDocuments(app.synthYaml()).map(d => d.toJS()).filter(o => o && typeof o === 'object');
    const images = [...new Set(objects.flatMap(o => imagesOf(o)))];
    expect(images.length).toBeGreaterThan(10);
    expect(images.filter(i => goneRepositoryOf(i) !== undefined)).toEqual([]);
    // The Kafka pods' JMX exporter, the image that had gone, is served from where Bitnami moved it.
    expect(images).toContain('docker.io/bitnamilegacy/jmx-exporter:1.0.1');
  });

  test('no Helm value of the add-ons names an image from a gone repository; the scan finds the shapes charts use', async () => {
    const vpc = new MultiAzVpc('img', { region: platform.region('us-east-1') });
    const cluster = new RegionalCluster('img', { vpc, publicAccessCidrs: ['198.18.7.0/28'] });
    const addons = new ClusterAddons('img', {
      vpc, cluster, tls: { hostedZoneId: 'Z04538211PDQ8TJ0UQ4A5', certificates: [{ namespace: 'istio-ingress', secretName: 's', dnsNames: ['api.shop.com'] }] },
    });
    await settle(mocks, addons.urn, ...Object.values(addons.releases).map(r => r.urn));
    const releases = mocks.ofType('kubernetes:helm.sh/v3:Release');
    expect(releases).toHaveLength(11);
    const named = releases.flatMap(r => imagesInHelmValues(r.inputs.values).map(i => `${r.inputs.name}: ${i}`));
    // Every image each chart deploys by default is set explicitly (its chart values at the pinned version, cited in
    // lib/aws/addon-images.ts), so the scan sees all of them: pinned tags, from the registries upstream publishes to.
    const byRelease = (n: string) => named.filter(x => x.startsWith(`${n}: `)).map(x => x.slice(n.length + 2)).sort();
    expect(Object.fromEntries(releases.map(r => [r.inputs.name, byRelease(r.inputs.name)]))).toEqual({
      'aws-load-balancer-controller': ['public.ecr.aws/eks/aws-load-balancer-controller:v2.10.1'],
      // istiod names the hub of the sidecars' and the gateway's proxyv2 too (the gateway chart's `image: auto` is injected).
      'istio-base': [],
      'istio-cni': ['gcr.io/istio-release/*:1.30.0'],
      'istiod': ['gcr.io/istio-release/*:1.30.0'],
      'istio-ingressgateway': [],
      'prometheus-operator-crds': [],
      'prometheus-operator': [
        'quay.io/prometheus-operator/prometheus-config-reloader:v0.78.2', 'quay.io/prometheus-operator/prometheus-operator:v0.78.2',
        'quay.io/prometheus/node-exporter:v1.8.2', 'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.14.0',
      ],
      'chaos-mesh': ['ghcr.io/chaos-mesh/chaos-coredns:v0.2.6', 'ghcr.io/chaos-mesh/chaos-daemon:v2.7.0', 'ghcr.io/chaos-mesh/chaos-mesh:v2.7.0',
        'registry.k8s.io/pause:3.10'],
      'cert-manager': ['acmesolver', 'cainjector', 'controller', 'startupapicheck', 'webhook'].map(c => `quay.io/jetstack/cert-manager-${c}:v1.21.1`),
      'flagger': ['ghcr.io/fluxcd/flagger:1.38.0'],
      'flagger-loadtester': ['ghcr.io/fluxcd/flagger-loadtester:0.33.0'],
    });
    // Pinned (a tag or digest, never latest), and none from Docker Hub, whose pull limits the clusters' NAT addresses would hit.
    for (const n of named) {
      const image = n.split(': ')[1];
      expect([n, /:(?!latest$)[^/:]+$|@sha256:[0-9a-f]{64}$/.test(image)]).toEqual([n, true]);
      expect([n, normaliseImage(image).startsWith('docker.io/')]).toEqual([n, false]);
    }
    expect(named.filter(n => goneRepositoryOf(n.split(': ')[1]) !== undefined)).toEqual([]);
    // What the scan would catch: a string image, and a chart-style { registry, repository, tag } one.
    expect(imagesInHelmValues({ kubectl: { image: 'bitnami/kubectl:1.31' }, exporter: { image: { registry: 'docker.io', repository: 'bitnami/jmx-exporter', tag: '1.0.1' } } })
      .map(i => goneRepositoryOf(i)?.prefix)).toEqual(['docker.io/bitnami/', 'docker.io/bitnami/']);
  });

  test('the Pulumi program refuses an image from a gone repository at preview, with the source and the fix', () => {
    const problems = new Problems('PulumiStack', 'staging');
    placeholderProblems(problems, 'us-east-1', [{
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', namespace: 'y' },
      spec: { template: { spec: { containers: [{ name: 'c', image: 'bitnami/kubectl:1.31' }] } } },
    }]);
    expect(problems.all.map(p => `${p.prop} (${p.value}) ${p.why}; ${p.fix}`)).toEqual([
      'us-east-1 image (bitnami/kubectl:1.31) comes from a repository that is gone: Bitnami removed its versioned images from docker.io/bitnami '
        + 'on 2025-09-29 (moved, frozen, to docker.io/bitnamilegacy; only "latest" of a few hardened images remain, for development) '
        + '(https://github.com/bitnami/containers/issues/83267); pin an image from a registry that serves it (the construct\'s image prop), '
        + 'or mirror it into nines:registry',
    ]);
  });
});
