import { ACCOUNT, installMocks, settle, valueOf } from './mocks';
import {
  ADDON_CHART_REPOSITORIES, AWS_LOAD_BALANCER_CONTROLLER_POLICY, ClusterAddons, ClusterAddonsArgs, DEFAULT_ADDON_CHART_VERSIONS,
} from '../../lib/aws/cluster-addons';
import { MultiAzVpc } from '../../lib/aws/multi-az-vpc';
import { RegionalCluster } from '../../lib/aws/regional-cluster';
import { ValidationError } from '../../lib/core/errors';
import { Platform } from '../../lib/core/platform';
import { PRODUCTION } from '../../stacks/platform';
import '../util/cert-manager-schemas';
import { expectValidManifests, validateAll } from '../util/schema';

const mocks = installMocks();
const platform = Platform.fromDescription(PRODUCTION);
const RELEASE = 'kubernetes:helm.sh/v3:Release';
const ISSUER_HOST = 'oidc.eks.example/id/USE1';

function region(name = 'use1') {
  const vpc = new MultiAzVpc(name, { region: platform.region('us-east-1') });
  const cluster = new RegionalCluster(name, { vpc, publicAccessCidrs: ['198.18.7.0/28'] });
  return { vpc, cluster };
}

async function build(args: Partial<ClusterAddonsArgs> = {}, name = 'use1'): Promise<ClusterAddons> {
  const { vpc, cluster } = region(name);
  const addons = new ClusterAddons(name, { vpc, cluster, ...args });
  await settle(mocks, addons.urn, ...Object.values(addons.releases).map(r => r.urn), addons.entryPoint ?? '');
  return addons;
}

function errorOf(f: () => unknown): ValidationError {
  try {
    f();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

const releases = () => Object.fromEntries(mocks.ofType(RELEASE).map(r => [r.inputs.name, r.inputs]));

beforeEach(() => mocks.reset());

describe('ClusterAddons defaults', () => {
  test('Flagger installs in the platform\'s flaggerNamespace, the one CanaryRelease\'s load tester URL names', async () => {
    const renamed = Platform.fromDescription({ ...PRODUCTION, flaggerNamespace: 'progressive-delivery' });
    const vpc = new MultiAzVpc('pd1', { region: renamed.region('us-east-1') });
    const cluster = new RegionalCluster('pd1', { vpc, publicAccessCidrs: ['198.18.7.0/28'] });
    const a = new ClusterAddons('pd1', { vpc, cluster });
    await settle(mocks, a.urn, ...Object.values(a.releases).map(r => r.urn));
    expect(a.namespaces.flagger).toBe('progressive-delivery');
    expect(await valueOf(a.releases.flagger.namespace)).toBe('progressive-delivery');
    expect(await valueOf(a.releases['flagger-loadtester'].namespace)).toBe('progressive-delivery');
  });

  test('resolved fields', async () => {
    const a = await build();
    expect(a.versions).toEqual({
      istio: '1.30.0',
      prometheusOperatorCrds: '16.0.1',
      kubePrometheusStack: '66.3.1',
      chaosMesh: '2.7.0',
      flagger: '1.38.0',
      flaggerLoadtester: '0.33.0',
      awsLoadBalancerController: '1.10.1',
      certManager: 'v1.21.1',
      externalDns: '1.21.1',
    });
    expect(a.enabled).toEqual({
      istio: true,
      ingressGateway: true,
      prometheusOperator: true,
      chaosMesh: true,
      flagger: true,
      awsLoadBalancerController: true,
      certManager: true,
      externalDns: true,
    });
    expect(a.namespaces).toEqual({
      mesh: 'istio-system',
      ingress: 'istio-ingress',
      monitoring: 'monitoring',
      prometheusOperator: 'prometheus-operator',
      chaos: 'chaos-mesh',
      flagger: 'flagger-system',
      certManager: 'cert-manager',
      externalDns: 'external-dns',
    });
    expect(a.gatewayMinReplicas).toBe(3);
    expect(Object.keys(a.releases)).toEqual([
      'aws-load-balancer-controller', 'istio-base', 'istio-cni', 'istiod', 'cert-manager', 'istio-ingressgateway', 'prometheus-operator-crds',
      'prometheus-operator', 'chaos-mesh', 'flagger', 'flagger-loadtester',
    ]);
    // What they provide to the manifests (the capability contract); without `tls` cert-manager has no issuer,
    // and without `privateZone` external-dns is not installed (it publishes nothing).
    expect(a.provides.map(p => p.capability)).toEqual([
      'mesh:istio', 'metrics:istio-proxy', 'mesh:istio-cni', 'crd:prometheus-operator', 'crd:chaos-mesh', 'crd:flagger',
    ]);
  });

  test('eleven releases: chart, repository, pinned version and namespace each; all through the cluster\'s provider', async () => {
    await build();
    // Registration order depends on when each release's inputs resolve; the table is in add-on order.
    const order = ['aws-load-balancer-controller', 'istio-base', 'istio-cni', 'istiod', 'cert-manager', 'istio-ingressgateway',
      'prometheus-operator-crds', 'prometheus-operator', 'chaos-mesh', 'flagger', 'flagger-loadtester'];
    const table = mocks.ofType(RELEASE).map(r => [r.inputs.name, r.inputs.chart, r.inputs.repositoryOpts.repo, r.inputs.version, r.inputs.namespace])
      .sort((x, y) => order.indexOf(x[0]) - order.indexOf(y[0]));
    const { istio, prometheusCommunity, chaosMesh, flagger, eks, jetstack } = ADDON_CHART_REPOSITORIES;
    expect(table).toEqual([
      ['aws-load-balancer-controller', 'aws-load-balancer-controller', eks, '1.10.1', 'kube-system'],
      ['istio-base', 'base', istio, '1.30.0', 'istio-system'],
      ['istio-cni', 'cni', istio, '1.30.0', 'istio-system'],
      ['istiod', 'istiod', istio, '1.30.0', 'istio-system'],
      ['cert-manager', 'cert-manager', jetstack, 'v1.21.1', 'cert-manager'],
      ['istio-ingressgateway', 'gateway', istio, '1.30.0', 'istio-ingress'],
      ['prometheus-operator-crds', 'prometheus-operator-crds', prometheusCommunity, '16.0.1', 'prometheus-operator'],
      ['prometheus-operator', 'kube-prometheus-stack', prometheusCommunity, '66.3.1', 'prometheus-operator'],
      ['chaos-mesh', 'chaos-mesh', chaosMesh, '2.7.0', 'chaos-mesh'],
      ['flagger', 'flagger', flagger, '1.38.0', 'flagger-system'],
      ['flagger-loadtester', 'loadtester', flagger, '0.33.0', 'flagger-system'],
    ]);
    expect(istio).toBe('https://istio-release.storage.googleapis.com/charts');
    expect(eks).toBe('https://aws.github.io/eks-charts');
    for (const r of mocks.ofType(RELEASE)) {
      expect([r.name, r.provider]).toEqual([r.name, expect.stringContaining('::use1-k8s::')]);
      expect([r.name, r.inputs.atomic, r.inputs.cleanupOnFail, r.inputs.timeout]).toEqual([r.name, true, true, 900]);
      // Helm creates no namespace: each is one Namespace resource of the component (kube-system exists).
      expect([r.name, r.inputs.createNamespace]).toEqual([r.name, false]);
    }
    expect(mocks.ofType('kubernetes:core/v1:Namespace').map(n => n.inputs.metadata.name).sort())
      .toEqual(['cert-manager', 'chaos-mesh', 'flagger-system', 'istio-ingress', 'istio-system', 'prometheus-operator']);
    expect(jetstack).toBe('https://charts.jetstack.io');
    // Nothing a real cluster would refuse: namespaces once, every release after the nodes, its namespace and the controller.
    expect(mocks.errors).toEqual([]);
  });

  test('the ingress gateway: an internet-facing, cross-zone NLB carrying the VPC\'s public security group, 443 only', async () => {
    const a = await build();
    const sg = await valueOf(a.urn).then(() => mocks.one('aws:ec2/securityGroup:SecurityGroup', 'use1-public-lb'));
    const values = releases()['istio-ingressgateway'].values;
    expect(values.service).toEqual({
      type: 'LoadBalancer',
      annotations: {
        'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
        'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
        'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
        'service.beta.kubernetes.io/aws-load-balancer-attributes': 'load_balancing.cross_zone.enabled=true',
        'service.beta.kubernetes.io/aws-load-balancer-security-groups': `${sg.name}-id`,
        'service.beta.kubernetes.io/aws-load-balancer-manage-backend-security-group-rules': 'true',
      },
      ports: [{ name: 'https', port: 443, targetPort: 443, protocol: 'TCP' }],
    });
    // The security group the annotation names is the one open to the internet on 443 only.
    expect(sg.inputs.ingress.map((i: any) => [i.fromPort, i.toPort, i.cidrBlocks])).toEqual([[443, 443, ['0.0.0.0/0']]]);
    expect(values.autoscaling).toEqual({ enabled: true, minReplicas: 3, maxReplicas: 9 });
    expect(values.podDisruptionBudget).toEqual({ minAvailable: 2 });
    expect(values.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1 });
  });

  test('the entry point is the gateway Service\'s load balancer host name, read after its release', async () => {
    const a = await build();
    const read = mocks.one('kubernetes:core/v1:Service', 'use1-istio-ingressgateway-service');
    expect(read.id).toBe('istio-ingress/istio-ingressgateway');
    expect(read.provider).toEqual(expect.stringContaining('::use1-k8s::'));
    expect(await valueOf(a.entryPoint!)).toBe('use1-istio-ingressgateway-service.elb.amazonaws.com');
  });

  test('the load balancer controller: IRSA role trusted only by its service account via the cluster\'s OIDC provider', async () => {
    const a = await build();
    const role = mocks.one('aws:iam/role:Role', 'use1-lb-controller').inputs;
    expect(JSON.parse(role.assumeRolePolicy)).toEqual({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::${ACCOUNT}:use1-oidc` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${ISSUER_HOST}:sub`]: 'system:serviceaccount:kube-system:aws-load-balancer-controller',
            [`${ISSUER_HOST}:aud`]: 'sts.amazonaws.com',
          },
        },
      }],
    });
    const policy = JSON.parse(mocks.one('aws:iam/rolePolicy:RolePolicy', 'use1-lb-controller').inputs.policy);
    expect(policy).toEqual(AWS_LOAD_BALANCER_CONTROLLER_POLICY);
    const actions = policy.Statement.flatMap((s: any) => s.Action);
    for (const needed of ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:SetSecurityGroups', 'ec2:AuthorizeSecurityGroupIngress',
      'elasticloadbalancing:ModifyLoadBalancerAttributes', 'ec2:DescribeSubnets']) {
      expect(actions).toContain(needed);
    }
    // Deletions only on what the controller tagged as its own.
    const deletes = policy.Statement.filter((s: any) => s.Action.some((x: string) => /:Delete(LoadBalancer|TargetGroup|SecurityGroup)$/.test(x)));
    expect(deletes.length).toBeGreaterThan(0);
    for (const s of deletes) expect(Object.keys(s.Condition.Null)[0]).toMatch(/^aws:ResourceTag\/elbv2\.k8s\.aws\/cluster$/);
    expect(releases()['aws-load-balancer-controller'].values).toEqual({
      clusterName: 'production-us-east-1',
      region: 'us-east-1',
      vpcId: 'use1-id',
      replicaCount: 2,
      serviceAccount: { create: true, name: 'aws-load-balancer-controller', annotations: { 'eks.amazonaws.com/role-arn': `arn:aws:iam::${ACCOUNT}:use1-lb-controller` } },
      podDisruptionBudget: { maxUnavailable: 1 },
      enableServiceMutatorWebhook: false,
      image: { repository: 'public.ecr.aws/eks/aws-load-balancer-controller', tag: 'v2.10.1' },
    });
    expect(await valueOf(a.loadBalancerControllerRoleArn!)).toBe(`arn:aws:iam::${ACCOUNT}:use1-lb-controller`);
  });

  test('values: operator only (no Prometheus/Alertmanager), Chaos Mesh on containerd, Flagger on Istio and our Prometheus', async () => {
    await build();
    const r = releases();
    const op = r['prometheus-operator'];
    expect(op.skipCrds).toBe(true);
    expect(op.values.prometheusOperator).toEqual({
      enabled: true,
      admissionWebhooks: { enabled: false },
      tls: { enabled: false },
      image: { registry: 'quay.io', repository: 'prometheus-operator/prometheus-operator', tag: 'v0.78.2' },
      prometheusConfigReloader: { image: { registry: 'quay.io', repository: 'prometheus-operator/prometheus-config-reloader', tag: 'v0.78.2' } },
    });
    for (const k of ['crds', 'prometheus', 'alertmanager', 'grafana', 'nodeExporter']) expect([k, op.values[k]]).toEqual([k, { enabled: false }]);
    // The metric producers of the platform description's clusterMetrics (defaults: kube-state-metrics
    // and the kubelet/cAdvisor), their ServiceMonitors labelled for the MonitoringStack's Prometheus.
    expect(op.values.kubeStateMetrics).toEqual({ enabled: true });
    expect(op.values['kube-state-metrics'].prometheus.monitor).toEqual({ enabled: true, additionalLabels: { 'app.kubernetes.io/managed-by': 'nines' } });
    expect(op.values.kubelet).toEqual({ enabled: true, serviceMonitor: { cAdvisor: true, additionalLabels: { 'app.kubernetes.io/managed-by': 'nines' } } });
    expect(r['istio-base'].values).toEqual({ defaultRevision: 'default' });
    // The platform's mesh mode: Istio CNI (no privileged istio-init), classic sidecars.
    expect(r.istiod.values.pilot).toEqual({ autoscaleMin: 2, replicaCount: 2, cni: { enabled: true }, env: { ENABLE_NATIVE_SIDECARS: 'false' } });
    // The platform's mesh-wide outbound policy (default Istio's ALLOW_ANY), the one the traffic model reads.
    expect(r.istiod.values.meshConfig).toEqual({ accessLogFile: '/dev/stdout', outboundTrafficPolicy: { mode: 'ALLOW_ANY' } });
    // Istio's images from its mirror on gcr.io (istiod's hub also names the sidecars' and the gateway's proxy).
    expect(r['istio-cni'].values).toEqual({ global: { hub: 'gcr.io/istio-release', tag: '1.30.0' } });
    expect(r.istiod.values.global).toEqual({ hub: 'gcr.io/istio-release', tag: '1.30.0' });
    expect(r['chaos-mesh'].values.chaosDaemon).toEqual({
      runtime: 'containerd', socketPath: '/run/containerd/containerd.sock', image: { registry: 'ghcr.io', repository: 'chaos-mesh/chaos-daemon', tag: 'v2.7.0' },
    });
    expect(r['chaos-mesh'].values.dashboard).toEqual({ create: false });
    expect(r['chaos-mesh'].values.controllerManager).toEqual({
      replicaCount: 3,
      podChaos: { podFailure: { pauseImage: 'registry.k8s.io/pause:3.10' } },
      image: { registry: 'ghcr.io', repository: 'chaos-mesh/chaos-mesh', tag: 'v2.7.0' },
    });
    // CRDs once: from the chart's crds/ folder (Helm 3), not again from crd.create.
    expect(r.flagger.values).toEqual({
      meshProvider: 'istio',
      metricsServer: 'http://prometheus-operated.monitoring.svc:9090',
      crd: { create: false },
      image: { repository: 'ghcr.io/fluxcd/flagger', tag: '1.38.0' },
    });
    // The load tester's namespace is in the mesh (services require mTLS), created after istiod's injector.
    const ns = mocks.one('kubernetes:core/v1:Namespace', 'use1-flagger-system');
    expect(ns.inputs.metadata).toEqual({ name: 'flagger-system', labels: { 'istio-injection': 'enabled' } });
    expect(mocks.dependsOn('kubernetes:core/v1:Namespace', 'use1-flagger-system')).toEqual(['use1-istiod']);
  });

  test('dependency order: nodes, namespace and the LB controller before every release; CRDs before their users; loadtester after flagger', async () => {
    await build();
    const deps = (n: string) => mocks.dependsOn(RELEASE, `use1-${n}`).sort();
    const nodes = ['use1-us-east-1a', 'use1-us-east-1b', 'use1-us-east-1c'];
    const base = (ns: string, ...more: string[]) => [...nodes, 'use1-aws-load-balancer-controller', `use1-${ns}`, ...more].sort();
    expect(deps('istio-base')).toEqual(base('istio-system'));
    expect(deps('istio-cni')).toEqual(base('istio-system', 'use1-istio-base'));
    expect(deps('istiod')).toEqual(base('istio-system', 'use1-istio-base', 'use1-istio-cni'));
    // The gateway also depends (through its annotation's value) on the public security group it attaches.
    expect(deps('istio-ingressgateway')).toEqual(base('istio-ingress', 'use1-istiod', 'use1-public-lb'));
    expect(deps('prometheus-operator-crds')).toEqual(base('prometheus-operator'));
    expect(deps('prometheus-operator')).toEqual(base('prometheus-operator', 'use1-prometheus-operator-crds'));
    expect(deps('chaos-mesh')).toEqual(base('chaos-mesh'));
    expect(deps('flagger')).toEqual(base('flagger-system', 'use1-istiod', 'use1-prometheus-operator'));
    expect(deps('flagger-loadtester')).toEqual(base('flagger-system', 'use1-flagger'));
    // The controller waits for the nodes, its role and, through its values, for the EKS cluster and the VPC (both named `use1`).
    expect(deps('aws-load-balancer-controller')).toEqual(['use1', 'use1', 'use1-lb-controller', ...nodes].sort());
    expect(mocks.errors).toEqual([]);
    expect(mocks.dependsOn('kubernetes:core/v1:Service', 'use1-istio-ingressgateway-service')).toEqual(['use1-istio-ingressgateway']);
  });
});

describe('ClusterAddons overrides', () => {
  test('TLS for the entry: cert-manager (HA, its CRDs), a Route53 role through Pod Identity, an ACME DNS-01 ClusterIssuer, '
    + 'a Certificate per gateway Secret that Pulumi waits for, and the entry point only after it', async () => {
    const certificates = [{ namespace: 'istio-ingress', secretName: 'api-shop-com-tls', dnsNames: ['api.shop.com', 'us-east-1.api.shop.com'] }];
    const a = await build({ tls: { hostedZoneId: 'Z04538211PDQ8TJ0UQ4A5', certificates } });
    await settle(mocks, ...Object.values(a.certificates).map(c => c.urn));
    expect(a.provides.map(p => p.capability)).toContain('tls:certificate-issuer');
    const cm = releases()['cert-manager'];
    expect([cm.chart, cm.version, cm.namespace]).toEqual(['cert-manager', 'v1.21.1', 'cert-manager']);
    expect(cm.values.crds).toEqual({ enabled: true, keep: true });
    for (const part of [cm.values, cm.values.webhook, cm.values.cainjector]) {
      expect([part.replicaCount, part.podDisruptionBudget]).toEqual([2, { enabled: true, minAvailable: 1 }]);
    }
    // The controller's service account gets the role through EKS Pod Identity (no key, no role ARN in a manifest) ...
    const association = mocks.one('aws:eks/podIdentityAssociation:PodIdentityAssociation', 'use1-cert-manager').inputs;
    expect([association.namespace, association.serviceAccount]).toEqual(['cert-manager', cm.values.serviceAccount.name]);
    expect(JSON.parse(mocks.one('aws:iam/role:Role', 'use1-cert-manager').inputs.assumeRolePolicy).Statement[0].Principal)
      .toEqual({ Service: 'pods.eks.amazonaws.com' });
    expect(mocks.dependsOn('aws:eks/podIdentityAssociation:PodIdentityAssociation', 'use1-cert-manager')).toContain('use1-pod-identity-agent');
    expect(mocks.dependsOn(RELEASE, 'use1-cert-manager')).toContain('use1-cert-manager');
    // ... which may change only _acme-challenge TXT records, in that one zone.
    const policy = JSON.parse(mocks.one('aws:iam/rolePolicy:RolePolicy', 'use1-cert-manager').inputs.policy);
    const change = policy.Statement.find((x: any) => x.Action.includes('route53:ChangeResourceRecordSets'));
    expect(change.Resource).toEqual(['arn:aws:route53:::hostedzone/Z04538211PDQ8TJ0UQ4A5']);
    expect(change.Condition).toEqual({
      'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'] },
      'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['_acme-challenge.*'] },
    });
    expect(policy.Statement.flatMap((x: any) => x.Action).sort())
      .toEqual(['route53:ChangeResourceRecordSets', 'route53:GetChange', 'route53:ListResourceRecordSets']);
    // The issuer and the certificate, as cert-manager's own CRD schemas accept them (unknown fields rejected).
    const issuer = mocks.one('kubernetes:cert-manager.io/v1:ClusterIssuer', 'use1-acme-route53').inputs;
    expect(issuer.spec.acme.server).toBe('https://acme-v02.api.letsencrypt.org/directory');
    expect(issuer.spec.acme.solvers).toEqual([{ dns01: { route53: { region: 'us-east-1', hostedZoneID: 'Z04538211PDQ8TJ0UQ4A5' } } }]);
    const cert = mocks.one('kubernetes:cert-manager.io/v1:Certificate', 'use1-istio-ingress-api-shop-com-tls').inputs;
    expect([cert.metadata.namespace, cert.spec.secretName, cert.spec.dnsNames, cert.spec.issuerRef])
      .toEqual(['istio-ingress', 'api-shop-com-tls', ['api.shop.com', 'us-east-1.api.shop.com'], { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'acme-route53' }]);
    expect(cert.metadata.annotations).toEqual({ 'pulumi.com/waitFor': 'condition=Ready' });
    expectValidManifests([issuer, cert].map(o => ({ ...o, metadata: { ...o.metadata } })));
    expect(validateAll([{ ...cert, spec: { ...cert.spec, dnsName: 'api.shop.com' } }])).toEqual([
      'Certificate/api-shop-com-tls: spec.dnsName: unknown field',
    ]);
    expect(mocks.dependsOn('kubernetes:cert-manager.io/v1:Certificate', 'use1-istio-ingress-api-shop-com-tls').sort())
      .toEqual(['use1-acme-route53', 'use1-cert-manager', 'use1-istio-ingress']);
    // The region's entry point resolves only once the certificate is Ready, so the health checks that read it start after it.
    expect(await valueOf(a.entryPoint!)).toBe('use1-istio-ingressgateway-service.elb.amazonaws.com');
    expect(mocks.errors).toEqual([]);
  });

  test('TLS args: a bad hosted zone, a plain-http directory, a nameless certificate, and TLS without cert-manager, at once', () => {
    const { vpc, cluster } = region('bad-tls');
    const e = errorOf(() => new ClusterAddons('bad-tls', {
      vpc,
      cluster,
      enable: { certManager: false },
      tls: { hostedZoneId: 'zone-1', acmeServer: 'http://acme.internal/directory', certificates: [{ namespace: 'istio-ingress', secretName: 'x', dnsNames: [] }] },
    }));
    expect(e.message.split('\n')).toEqual([
      'ClusterAddons \'bad-tls\': 4 problems:',
      ' - tls ("zone-1") needs enable.certManager (cert-manager issues the certificates); '
        + 'turn certManager on, or leave tls unset and provide the gateways\' Secrets otherwise',
      ' - tls.hostedZoneId ("zone-1") is not a Route53 hosted zone id; use the id `aws route53 list-hosted-zones` prints, e.g. "Z04538211PDQ8TJ0UQ4A5"',
      ' - tls.acmeServer ("http://acme.internal/directory") is not an https URL of an ACME directory; '
        + 'use e.g. "https://acme-v02.api.letsencrypt.org/directory"',
      ' - tls.certificates[0].dnsNames ([]) is empty, so no certificate can be issued; give the gateway servers naming this Secret their host names',
    ]);
  });

  test('a version override changes that chart only', async () => {
    const a = await build({ versions: { istio: '1.29.3', chaosMesh: undefined } });
    expect(a.versions).toEqual({ ...DEFAULT_ADDON_CHART_VERSIONS, istio: '1.29.3' });
    const r = releases();
    expect([r['istio-base'].version, r['istio-cni'].version, r.istiod.version, r['istio-ingressgateway'].version, r['chaos-mesh'].version])
      .toEqual(['1.29.3', '1.29.3', '1.29.3', '1.29.3', '2.7.0']);
  });

  test('switches: each add-on can be turned off; without the gateway there is no entry point', async () => {
    const a = await build({ enable: { ingressGateway: false, chaosMesh: false, flagger: false, certManager: false } });
    expect(Object.keys(a.releases)).toEqual([
      'aws-load-balancer-controller', 'istio-base', 'istio-cni', 'istiod', 'prometheus-operator-crds', 'prometheus-operator',
    ]);
    expect(a.provides.map(p => p.capability)).toEqual(['mesh:istio', 'metrics:istio-proxy', 'mesh:istio-cni', 'crd:prometheus-operator']);
    expect(a.entryPoint).toBeUndefined();
    expect(mocks.ofType('kubernetes:core/v1:Service')).toEqual([]);
    mocks.reset();
    const none = await build({
      enable: {
        istio: false,
        ingressGateway: false,
        prometheusOperator: false,
        chaosMesh: false,
        flagger: false,
        awsLoadBalancerController: false,
        certManager: false,
      },
    }, 'use2');
    expect(none.releases).toEqual({});
    expect(none.loadBalancerControllerRoleArn).toBeUndefined();
    expect(mocks.ofType(RELEASE)).toEqual([]);
    expect(mocks.ofType('aws:iam/role:Role').map(r => r.name)).not.toContain('use2-lb-controller');
  });

  test('namespaces and the gateway floor are overridable', async () => {
    await build({ namespaces: { ingress: 'edge', flagger: 'delivery' }, gatewayMinReplicas: 4 });
    const r = releases();
    expect(r['istio-ingressgateway'].namespace).toBe('edge');
    expect(r['flagger-loadtester'].namespace).toBe('delivery');
    expect(r['istio-ingressgateway'].values.autoscaling).toEqual({ enabled: true, minReplicas: 4, maxReplicas: 12 });
    expect(mocks.one('kubernetes:core/v1:Service', 'use1-istio-ingressgateway-service').id).toBe('edge/istio-ingressgateway');
  });
});

describe('ClusterAddons errors', () => {
  test('every bad arg at once, nothing registered', async () => {
    const { vpc, cluster } = region();
    await settle(mocks, cluster.urn);
    const before = mocks.resources.length;
    const e = errorOf(() => new ClusterAddons('bad', {
      vpc,
      cluster,
      versions: { istio: '~1.24', flagger: 'latest' },
      enable: { istio: false, awsLoadBalancerController: false },
      namespaces: { chaos: 'Chaos_Mesh' },
      gatewayMinReplicas: 1,
    }));
    expect(e.message).toBe([
      'ClusterAddons \'bad\': 7 problems:',
      ' - versions.istio ("~1.24") is not an exact chart version; pin one, e.g. "1.30.0" (ranges make `pulumi up` non-repeatable)',
      ' - versions.flagger ("latest") is not an exact chart version; pin one, e.g. "1.38.0" (ranges make `pulumi up` non-repeatable)',
      ' - enable.ingressGateway (true) needs enable.istio (the gateway is an Istio proxy); turn istio on, or the gateway off',
      ' - enable.ingressGateway (true) needs enable.awsLoadBalancerController (only it honours the NLB and security-group annotations); '
        + 'turn awsLoadBalancerController on, or the gateway off',
      ' - enable.flagger (true) needs enable.istio (meshProvider istio); turn istio on, or flagger off',
      ' - namespaces.chaos ("Chaos_Mesh") is not a namespace name; use a DNS label, e.g. "istio-ingress"',
      ' - gatewayMinReplicas (1) is below 2, so one pod or zone loss takes the region\'s entry point down; use 3 (one per zone)',
    ].join('\n'));
    await settle(mocks);
    expect(mocks.resources.length).toBe(before);
  });

  test('wrong cluster and vpc types', () => {
    expect(errorOf(() => new ClusterAddons('x', { vpc: {} as any, cluster: {} as any })).message).toBe([
      'ClusterAddons \'x\': 2 problems:',
      ' - cluster ({}) is not a RegionalCluster; pass the region\'s RegionalCluster',
      ' - vpc ({}) is not a MultiAzVpc; pass the region\'s MultiAzVpc',
    ].join('\n'));
  });
});
