/**
 * The mistakes that only show at `pulumi up`, caught under mocks that behave like EKS, Helm and the
 * Kubernetes API (test/aws/mocks.ts): each fixture breaks one rule, and the real program breaks none.
 */
import * as eks from '@pulumi/aws/eks';
import * as k8s from '@pulumi/kubernetes';
import { ACCOUNT, installMocks, settle } from './mocks';
import { ClusterAddons } from '../../lib/aws/cluster-addons';
import { MultiAzVpc } from '../../lib/aws/multi-az-vpc';
import { RegionalCluster } from '../../lib/aws/regional-cluster';
import { ValidationError } from '../../lib/core/errors';
import { Platform } from '../../lib/core/platform';
import { PRODUCTION } from '../../stacks/platform';

const mocks = installMocks();
const platform = Platform.fromDescription(PRODUCTION);
beforeEach(() => mocks.reset());

const kubeconfig = (cluster: string) => JSON.stringify({ clusters: [{ name: cluster, cluster: { server: `https://${cluster}.eks.example` } }] });

/** A bare cluster (no RegionalCluster rules) with one node group and a provider, to break one rule at a time. */
function bareCluster(name: string, publicAccess = true) {
  const cluster = new eks.Cluster(name, {
    name,
    roleArn: 'arn:aws:iam::210987654321:role/eks',
    vpcConfig: { subnetIds: ['s'], endpointPrivateAccess: true, endpointPublicAccess: publicAccess, publicAccessCidrs: publicAccess ? ['198.18.7.0/28'] : undefined },
  });
  const nodes = new eks.NodeGroup(`${name}-a`, {
    clusterName: cluster.name, nodeRoleArn: 'r', subnetIds: ['s'], scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 1 },
  });
  const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: cluster.name.apply(kubeconfig) });
  return { cluster, nodes, provider };
}

describe('the mocks behave like the services', () => {
  test('a private API endpoint with an in-program Kubernetes provider: the provider cannot connect', async () => {
    const { provider } = bareCluster('priv', false);
    await settle(mocks, provider.urn);
    expect(mocks.errors).toEqual([
      'priv-k8s: dial tcp https://priv.eks.example:443: i/o timeout (cluster priv has a private API endpoint; the program is outside its VPC)',
    ]);
  });

  test('the same namespace twice (Helm\'s createNamespace, then a Namespace object) fails', async () => {
    const { nodes, provider } = bareCluster('ns');
    const ns = new k8s.core.v1.Namespace('ns-monitoring', { metadata: { name: 'monitoring' } }, { provider });
    const op = new k8s.helm.v3.Release('ns-operator', { chart: 'kube-prometheus-stack', namespace: 'monitoring', createNamespace: true },
      { provider, dependsOn: [nodes, ns] });
    await settle(mocks, op.urn);
    expect(mocks.errors).toEqual([
      'ns-operator: namespaces "monitoring" already exists (created by kubernetes:core/v1:Namespace::ns-monitoring)',
      'ns-operator: uses the CRDs of chart prometheus-operator-crds without depending on its release',
    ]);
  });

  test('a release before what it needs: the nodes, its namespace, the load balancer controller (webhook on), its CRDs', async () => {
    const { nodes, provider } = bareCluster('order');
    const lbc = new k8s.helm.v3.Release('order-lbc', { chart: 'aws-load-balancer-controller', namespace: 'kube-system', values: {} },
      { provider, dependsOn: [nodes] });
    const ns = new k8s.core.v1.Namespace('order-istio-system', { metadata: { name: 'istio-system' } }, { provider });
    const istiod = new k8s.helm.v3.Release('order-istiod', { chart: 'istiod', namespace: 'istio-system' }, { provider, dependsOn: [lbc] });
    await settle(mocks, istiod.urn, ns.urn);
    expect(mocks.errors).toEqual([
      'order-istiod: installs into namespace "istio-system" without depending on its creation (kubernetes:core/v1:Namespace::order-istio-system)',
      'order-istiod: uses the CRDs of chart base without depending on its release',
    ]);
    mocks.reset();
    const again = bareCluster('order2');
    const early = new k8s.helm.v3.Release('order2-chaos', { chart: 'chaos-mesh', namespace: 'default' }, { provider: again.provider });
    await settle(mocks, early.urn);
    const late = new k8s.helm.v3.Release('order2-lbc', { chart: 'aws-load-balancer-controller', namespace: 'kube-system', values: {} },
      { provider: again.provider, dependsOn: [again.nodes] });
    await settle(mocks, late.urn);
    expect(mocks.errors).toEqual([
      'order2-chaos: does not depend on node group order2-a: its pods stay Pending and the atomic release rolls back',
      'order2-chaos: registered before the AWS Load Balancer Controller, whose webhook refuses its Services',
    ]);
  });

  test('Flagger with crd.create under Helm 3 installs its CRDs twice; a custom resource before its CRD release has no kind', async () => {
    const { nodes, provider } = bareCluster('crd');
    const flagger = new k8s.helm.v3.Release('crd-flagger', { chart: 'flagger', namespace: 'default', values: { crd: { create: true } } },
      { provider, dependsOn: [nodes] });
    const canary = new k8s.apiextensions.CustomResource('crd-canary', { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: 'c' } },
      { provider });
    await settle(mocks, flagger.urn, canary.urn);
    // Registration order is the SDK's; the two refusals are independent.
    expect([...mocks.errors].sort()).toEqual([
      'crd-canary: no matches for kind "Canary" in group "flagger.app" (not ordered after chart flagger)',
      'crd-flagger: rendered manifests contain a resource that already exists: CustomResourceDefinition of chart flagger (installed from crds/ and again by crd.create)',
    ]);
  });
});

describe('ClusterAddons owns no namespace the cdk8s side creates', () => {
  test('an add-on namespace among the charts\' Namespaces is refused before anything is registered', async () => {
    const vpc = new MultiAzVpc('own', { region: platform.region('us-east-1') });
    const cluster = new RegionalCluster('own', { vpc, publicAccessCidrs: ['198.18.7.0/28'] });
    let error: unknown;
    try {
      new ClusterAddons('own', { cluster, vpc, reservedNamespaces: ['monitoring', 'chaos-mesh'] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe('ClusterAddons \'own\': 1 problem:\n'
      + ' - namespaces.chaos ("chaos-mesh") is also created by the cdk8s charts, so two owners would create (and delete) it; give the add-on a namespace of its own');
    await settle(mocks, cluster.urn);
    expect(mocks.ofType('kubernetes:helm.sh/v3:Release')).toEqual([]);
    expect(ACCOUNT).not.toBe('123456789012');
  });
});
