import * as fs from 'fs';
import * as path from 'path';
import { IPv4CidrRange } from 'ip-num';
import { parse } from 'yaml';
import { ACCOUNT, installMocks, Recorded, settle, valueOf } from './mocks';
import { ninesClusterCapabilities } from '../../lib/core/capabilities';
import { Problems } from '../../lib/core/errors';
import { Platform } from '../../lib/core/platform';
import { regionObjects } from '../../stacks/pulumi/kubernetes-objects';
import { placeholderProblems, urlsOf } from '../../stacks/pulumi/placeholders';
import { buildPlatformStack, describePlatform, StackOptions } from '../../stacks/pulumi/stack';
import { errorOf } from '../util/errors';

const mocks = installMocks();
const ROOT = path.join(__dirname, '..', '..');
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1'];
const readYaml = (f: string) => parse(fs.readFileSync(path.join(ROOT, f), 'utf8'));
/** What the README's procedure has the engineer set (`pulumi config set`), and the account from the caller's identity. */
const DEPLOY = {
  publicAccessCidrs: ['198.18.7.0/28'],
  hostedZoneId: 'Z04538211PDQ8TJ0UQ4A5',
  recordName: 'api.shop.dev',
  accountId: ACCOUNT,
  dashboardBaseUrl: 'https://grafana.shop.dev/d/shop',
  // The real hosts of the two dependencies the reference platform names under example.com.
  externalEndpoints: { 'identity-provider': ['login.idp.shop.dev'], 'payment-provider': ['api.payments.shop.dev'] },
};
/** The deployment's platform: the reference description with its runbook site (`nines:runbookBaseUrl`). */
/** Each region's log store and trace backend (`nines:logStores`, `nines:traceBackends`): the deployment's own, by region. */
const BACKENDS = {
  logStores: Object.fromEntries(REGIONS.map(r => [r, `vpc-logs-${r}.${r}.es.amazonaws.com:443`])),
  traceBackends: Object.fromEntries(REGIONS.map(r => [r, `tempo.${r}.shop.dev:4317`])),
};
const describe_ = (environment: string, regions?: string[]) =>
  describePlatform(environment, regions, { runbookBaseUrl: 'https://runbooks.shop.dev/shop', ...BACKENDS });

/** The region a registered resource belongs to, from its logical name (undefined: global). */
const regionOf = (r: Recorded) => REGIONS.find(reg => r.name === reg || r.name.startsWith(`${reg}-`) || r.name === `aws-${reg}`);

beforeEach(() => mocks.reset());

describe('the whole production stack under mocks', () => {
  test('per region: one aws.Provider, VPC + EKS + add-ons + Karpenter (104 AWS resources, 14 releases), the region\'s cdk8s objects after them; 12 zones; disjoint CIDRs; peering and the private zone between them; failover on each NLB', async () => {
    const platform = Platform.fromDescription(describe_('production'));
    // The cdk8s side grows independently: count its objects per region from the same synth.
    const synthesized = Object.fromEntries(REGIONS.map(r => [r, regionObjects(platform, r, {
      registry: `${ACCOUNT}.dkr.ecr.${r}.amazonaws.com`, entryDomain: DEPLOY.recordName,
    })]));
    const objects = Object.fromEntries(REGIONS.map(r => [r, synthesized[r].charts.reduce((n, c) => n + c.objects.length, 0)]));
    expect(objects['us-east-1']).toBeGreaterThanOrEqual(162);
    const stack = buildPlatformStack(platform, DEPLOY);
    await settle(mocks, ...Object.values(stack.regions).map(r => r.urn), stack.failover!.urn);

    const counts: Record<string, { aws: number; k8s: number; other: number }> = {};
    for (const r of mocks.resources) {
      const region = regionOf(r) ?? 'global';
      const c = counts[region] ??= { aws: 0, k8s: 0, other: 0 };
      if (r.type.startsWith('aws:')) c.aws++;
      else if (r.type.startsWith('kubernetes:') && r.type !== 'kubernetes:yaml:ConfigGroup') c.k8s++;
      else c.other++;
    }
    // aws: 39 VPC + 32 cluster (incl. the vpc-cni add-on) + the Pod Identity agent + 4 associations (2 databases x
    //      members and backup job) + 2 add-ons (the LB controller's IRSA role and policy) + cert-manager's Route53 role,
    //      policy and Pod Identity association; external-dns's Route53 role, policy and Pod Identity association; Karpenter's 20 (the cluster security group's discovery tag, the node role with 4 policies and its
    //      access entry, the interruption queue and its policy, 4 EventBridge rules and 4 targets, the controller role,
    //      its policy and Pod Identity association);
    // k8s: the StorageClass + 14 Helm releases (12 add-ons, karpenter-crd, karpenter) + 7 add-on Namespaces + the gateway
    //      Service read + the ClusterIssuer and the gateway's Certificate + the EC2NodeClass and 3 NodePools + the region's objects;
    // other = aws provider, k8s provider, RegionStack, MultiAzVpc, RegionalCluster, ClusterAddons, Karpenter, one ConfigGroup per chart.
    expect(counts).toEqual({
      ...Object.fromEntries(REGIONS.map(r => [r, { aws: 104, k8s: 29 + objects[r], other: 7 + synthesized[r].charts.length }])),
      // 4 health checks + 4 latency records; 6 peering connections and their 6 accepters, 36 routes (6 pairs x 2 sides x 3 zones),
      // 12 security group rules (4 regions x 3 peers x port 10901) and the private zone; GlobalFailover, CrossRegionNetwork, PrivateZone.
      global: { aws: 69, k8s: 0, other: 3 },
    });

    // Per region: the 11 add-on releases and Karpenter's 2 at their pinned versions, in their namespaces, through that region's cluster.
    for (const region of REGIONS) {
      const releases = mocks.ofType('kubernetes:helm.sh/v3:Release').filter(r => r.name.startsWith(`${region}-`));
      expect(Object.fromEntries(releases.map(r => [r.inputs.name, `${r.inputs.namespace} ${r.inputs.chart}@${r.inputs.version}`]))).toEqual({
        'aws-load-balancer-controller': 'kube-system aws-load-balancer-controller@1.10.1',
        'istio-base': 'istio-system base@1.30.0',
        'istio-cni': 'istio-system cni@1.30.0',
        'istiod': 'istio-system istiod@1.30.0',
        'cert-manager': 'cert-manager cert-manager@v1.21.1',
        'istio-ingressgateway': 'istio-ingress gateway@1.30.0',
        'prometheus-operator-crds': 'prometheus-operator prometheus-operator-crds@16.0.1',
        'prometheus-operator': 'prometheus-operator kube-prometheus-stack@66.3.1',
        'chaos-mesh': 'chaos-mesh chaos-mesh@2.7.0',
        'flagger': 'flagger-system flagger@1.38.0',
        'flagger-loadtester': 'flagger-system loadtester@0.33.0',
        'external-dns': 'external-dns external-dns@1.21.1',
        'karpenter-crd': 'kube-system oci://public.ecr.aws/karpenter/karpenter-crd@1.9.2',
        'karpenter': 'kube-system oci://public.ecr.aws/karpenter/karpenter@1.9.2',
      });
      // The gateway's NLB carries this region's public ingress security group.
      const gateway = releases.find(r => r.inputs.name === 'istio-ingressgateway')!;
      expect(gateway.inputs.values.service.annotations['service.beta.kubernetes.io/aws-load-balancer-security-groups']).toBe(`${region}-public-lb-id`);
      // Every object of every chart applies after every add-on (the CRDs, controllers and webhooks it needs):
      // the object itself depends on them (a ConfigGroup's own dependsOn does not order its children).
      for (const chart of synthesized[region].charts) {
        for (const o of chart.objects) {
          const name = `${region}-${chart.chart}-${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
          const type = mocks.resources.find(r => r.name === name && r.inputs?.kind === o.kind)!.type;
          // (external-dns excepted: it publishes the names of Services that already exist, so nothing waits for it)
          expect([name, mocks.dependsOn(type, name)])
            .toEqual([name, expect.arrayContaining(releases.filter(r => r.inputs.name !== 'external-dns').map(r => r.name))]);
        }
      }
      // Global failover: one health check and one latency record per region, on that region's gateway NLB.
      const nlb = `${region}-istio-ingressgateway-service.elb.amazonaws.com`;
      expect(await valueOf(stack.regions[region].entryPoint!)).toBe(nlb);
      expect(mocks.one('aws:route53/healthCheck:HealthCheck', `production-${region}`).inputs.fqdn).toBe(nlb);
      expect(mocks.one('aws:route53/record:Record', `production-${region}`).inputs.records).toEqual([nlb]);
      // ... created only after the region's gateway certificate is Ready (HTTPS answers from the first check).
      const certificate = mocks.ofType('kubernetes:cert-manager.io/v1:Certificate').find(c => c.name.startsWith(`${region}-`))!;
      expect(mocks.dependencyClosure(`aws:route53/healthCheck:HealthCheck::production-${region}`))
        .toContain(`kubernetes:cert-manager.io/v1:Certificate::${certificate.name}`);
    }

    // Every AWS resource of a region goes through that region's provider; every Kubernetes one through its cluster's.
    for (const r of mocks.resources) {
      const region = regionOf(r);
      if (!region) continue;
      if (r.type.startsWith('aws:')) expect([r.name, r.provider]).toEqual([r.name, expect.stringContaining(`::aws-${region}::`)]);
      if (r.type.startsWith('kubernetes:') && r.type !== 'kubernetes:yaml:ConfigGroup') {
        expect([r.name, r.provider]).toEqual([r.name, expect.stringContaining(`::${region}-k8s::`)]);
      }
    }
    expect(mocks.ofType('pulumi:providers:aws').map(p => p.inputs.region)).toEqual(REGIONS);

    // 4 regions x 3 zones = 12 zones, 36 subnets, pairwise disjoint.
    const subnets = mocks.ofType('aws:ec2/subnet:Subnet');
    expect(new Set(subnets.map(s => s.inputs.availabilityZone)).size).toBe(12);
    expect(new Set(subnets.map(s => s.inputs.availabilityZone))).toEqual(new Set(platform.zones));
    expect(mocks.ofType('aws:ec2/natGateway:NatGateway')).toHaveLength(12);
    expect(mocks.ofType('aws:eks/nodeGroup:NodeGroup')).toHaveLength(12);
    const blocks = [...mocks.ofType('aws:ec2/vpc:Vpc').map(v => v.inputs.cidrBlock)];
    expect(blocks).toEqual(['10.10.0.0/16', '10.20.0.0/16', '10.30.0.0/16', '10.40.0.0/16']);
    const all = subnets.map(s => IPv4CidrRange.fromCidr(s.inputs.cidrBlock));
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) expect(all[i].isOverlapping(all[j])).toBe(false);
    // Hardening holds stack-wide: IMDSv2 on all 12 launch templates, the only internet ingress is each public LB on 443.
    const templates = mocks.ofType('aws:ec2/launchTemplate:LaunchTemplate');
    expect(templates.map(t => [t.inputs.metadataOptions.httpTokens, t.inputs.metadataOptions.httpPutResponseHopLimit]))
      .toEqual(Array(12).fill(['required', 1]));
    const open = mocks.ofType('aws:ec2/securityGroup:SecurityGroup').flatMap(sg => (sg.inputs.ingress ?? [])
      .filter((i: any) => (i.cidrBlocks ?? []).includes('0.0.0.0/0')).map((i: any) => `${sg.name}:${i.fromPort}-${i.toPort}`));
    expect(open).toEqual(REGIONS.map(r => `${r}-public-lb:443-443`));
    // The API endpoints answer the runner's allow-list only (and the VPC privately).
    expect(mocks.ofType('aws:eks/cluster:Cluster').map(c => [c.inputs.vpcConfig.endpointPrivateAccess, c.inputs.vpcConfig.publicAccessCidrs]))
      .toEqual(Array(4).fill([true, DEPLOY.publicAccessCidrs]));
    // Nothing a real AWS account or cluster would refuse (see the behaviours in mocks.ts).
    expect(mocks.errors).toEqual([]);
    // No placeholder reaches a cluster: the services and the database pull from the account's ECR in their region.
    const images = mocks.resources.filter(r => r.type.startsWith('kubernetes:') && r.type !== 'kubernetes:helm.sh/v3:Release')
      .flatMap(r => JSON.stringify(r.inputs).match(/"image":"[^"]+"/g) ?? []);
    expect(images.filter(i => i.includes('example'))).toEqual([]);
    expect(images).toContain(`"image":"${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/platform/patroni:3.0.4-pg15"`);
    expect(Object.keys(await valueOf(stack.regions['eu-west-1'].vpc.cidrPlan).then(p => p.zones)))
      .toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  }, 600_000);

  test('staging (1 region): the cluster receives exactly its region\'s cdk8s objects, chart by chart', async () => {
    const platform = Platform.fromDescription(describe_('staging', ['us-east-1']));
    const stack = buildPlatformStack(platform, DEPLOY);
    await settle(mocks, stack.regions['us-east-1'].urn);
    expect(mocks.errors).toEqual([]);
    const { charts, backupServiceAccounts } = regionObjects(platform, 'us-east-1', {
      registry: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`, entryDomain: DEPLOY.recordName,
    });
    // cluster-wide objects and namespaces first, then the services (and any later chart), each after the previous.
    expect(charts.map(c => c.chart).slice(0, 2)).toEqual(['cluster', 'services']);
    expect(charts[0].objects.filter(o => o.kind === 'Namespace').length).toBeGreaterThanOrEqual(9);
    // What the ConfigGroups applied: their objects are named `<region>-<chart>-[<namespace>/]<name>`; the add-ons'
    // releases, the gateway Service read and the flagger-system Namespace are not theirs.
    const applied = mocks.resources.filter(r => r.type.startsWith('kubernetes:') && r.type !== 'kubernetes:yaml:ConfigGroup'
      && r.type !== 'kubernetes:helm.sh/v3:Release' && r.id === undefined && charts.some(c => r.name.startsWith(`us-east-1-${c.chart}-`))
      && !(r.type === 'kubernetes:core/v1:Namespace' && r.name === `us-east-1-${r.inputs.metadata.name}`)); // the add-ons' own (chaos-mesh)
    const ident = (o: any) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    expect(applied.map(r => ident(r.inputs)).sort()).toEqual(charts.flatMap(c => c.objects.map(ident)).sort());
    const deployment = charts[1].objects.find(o => o.kind === 'Deployment' && o.metadata.name === 'order-service')!;
    const appliedDeployment = applied.find(r => ident(r.inputs) === ident(deployment))!;
    expect(appliedDeployment.inputs.spec).toEqual(deployment.spec);
    // Logical names are the objects' identities (stable whatever else is added).
    expect(appliedDeployment.name).toBe('us-east-1-services-orders/order-service');
    // Every volume the stateful constructs claim names the StorageClass the cluster creates, or none (the
    // cluster's default, which is that same class).
    const storageClass = mocks.ofType('kubernetes:storage.k8s.io/v1:StorageClass').map(r => r.inputs.metadata.name);
    const claimed = applied.filter(r => r.inputs.kind === 'StatefulSet')
      .flatMap(r => (r.inputs.spec.volumeClaimTemplates ?? []).map((t: any) => t.spec.storageClassName));
    expect(storageClass).toEqual(['gp3-encrypted']);
    expect(claimed.length).toBeGreaterThan(0);
    expect(claimed.filter(c => c !== undefined && c !== null && c !== 'gp3-encrypted')).toEqual([]);
    expect(mocks.ofType('kubernetes:storage.k8s.io/v1:StorageClass')[0].inputs.metadata.annotations)
      .toEqual({ 'storageclass.kubernetes.io/is-default-class': 'true' });
    // The backup bucket is the one the PatroniClusters were synthesized with; the backup role is bound (EKS Pod
    // Identity) to exactly their members' and base-backup jobs' service accounts, which carry no role ARN.
    const dbAccounts = applied.filter(r => r.inputs.kind === 'ServiceAccount' && r.inputs.metadata.labels?.['app.kubernetes.io/name']?.startsWith('patroni'));
    expect(dbAccounts.map(r => `${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`).sort())
      .toEqual(['catalog/inventory-db', 'catalog/inventory-db-backup', 'orders/orders-db', 'orders/orders-db-backup']);
    expect(backupServiceAccounts.map(a => `${a.namespace}/${a.name}`).sort())
      .toEqual(dbAccounts.map(r => `${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`).sort());
    expect(dbAccounts.filter(r => r.inputs.metadata.annotations?.['eks.amazonaws.com/role-arn'])).toEqual([]);
    // The backup role goes to those only; the other association is cert-manager's Route53 role (DNS-01).
    expect(mocks.ofType('aws:eks/podIdentityAssociation:PodIdentityAssociation').filter(a => a.name.startsWith('us-east-1-backup-'))
      .map(a => `${a.inputs.namespace}/${a.inputs.serviceAccount}`).sort())
      .toEqual(backupServiceAccounts.map(a => `${a.namespace}/${a.name}`).sort());
    expect(mocks.ofType('aws:eks/podIdentityAssociation:PodIdentityAssociation').filter(a => !a.name.startsWith('us-east-1-backup-'))
      .map(a => `${a.name} ${a.inputs.namespace}/${a.inputs.serviceAccount}`)).toEqual(['us-east-1-cert-manager cert-manager/cert-manager', 'us-east-1-karpenter kube-system/karpenter']);
    expect(mocks.one('aws:s3/bucket:Bucket', 'us-east-1-backup').inputs.bucket).toBe('nines-staging-us-east-1-db-backup');
    const groups = stack.regions['us-east-1'].workloads;
    expect(Object.keys(groups)).toEqual(charts.map(c => c.chart));
  }, 120_000);

  test('an entry point override replaces that region\'s NLB only; with the gateway off the config host name is used', async () => {
    const platform = Platform.fromDescription(describe_('staging', ['us-east-1', 'eu-west-1']));
    const stack = buildPlatformStack(platform, { ...DEPLOY, entryPoints: { 'eu-west-1': 'eu.cdn.shop.dev' } });
    await settle(mocks, stack.failover!.urn, ...Object.values(stack.failover!.recordFqdns));
    expect(mocks.one('aws:route53/healthCheck:HealthCheck', 'staging-us-east-1').inputs.fqdn)
      .toBe('us-east-1-istio-ingressgateway-service.elb.amazonaws.com');
    expect(mocks.one('aws:route53/healthCheck:HealthCheck', 'staging-eu-west-1').inputs.fqdn).toBe('eu.cdn.shop.dev');
    mocks.reset();
    const noGateway = buildPlatformStack(Platform.fromDescription(describe_('staging', ['us-east-1'])), {
      ...DEPLOY, addons: { enable: { ingressGateway: false } },
    });
    await settle(mocks, noGateway.failover!.urn, ...Object.values(noGateway.failover!.recordFqdns));
    expect(noGateway.regions['us-east-1'].entryPoint).toBeUndefined();
    expect(mocks.one('aws:route53/record:Record', 'staging-us-east-1').inputs.records).toEqual(['us-east-1.api.shop.dev']);
  }, 240_000);

  test('the contract: a capability the objects require and nothing provides fails before any resource is registered', () => {
    const platform = Platform.fromDescription(describe_('staging', ['us-east-1']));
    // Chaos Mesh off, but the region's chaos presets and game day need its CRDs.
    let error: Error | undefined;
    try {
      buildPlatformStack(platform, { ...DEPLOY, addons: { enable: { chaosMesh: false } } });
    } catch (e) {
      error = e as Error;
    }
    const lines = error!.message.split('\n');
    expect(lines[0]).toMatch(/^PulumiStack 'staging': \d+ problems:$/);
    expect(lines.slice(1).every(l => l.includes('("crd:chaos-mesh") is required ('))).toBe(true);
    expect(lines).toContain(' - us-east-1.Schedule/chaos/pod-kill-order-service ("crd:chaos-mesh") is required (Schedule is a Chaos Mesh resource) '
      + 'and nothing in the cluster provides it; install Chaos Mesh (ClusterAddons enable.chaosMesh); '
      + 'a cluster you bring declares it in the platform description\'s capabilities ("crd:chaos-mesh")');
    expect(mocks.resources).toEqual([]);
  }, 120_000);

  test('node autoscaling off: every HPA that can outgrow the static nodes fails the contract before anything is registered', async () => {
    const platform = Platform.fromDescription(describe_('staging', ['us-east-1']));
    let error: Error | undefined;
    try {
      buildPlatformStack(platform, { ...DEPLOY, nodeAutoscaling: false });
    } catch (e) {
      error = e as Error;
    }
    const lines = error!.message.split('\n');
    // 11 HPAs x 3 zones, and nothing else.
    expect(lines[0]).toBe('PulumiStack \'staging\': 33 problems:');
    expect(lines.slice(1).every(l => /^ - us-east-1\.HorizontalPodAutoscaler\/[a-z-]+\/[a-z-]+ \("node-autoscaling:us-east-1[abc]"\) is required \(it scales /.test(l)))
      .toBe(true);
    expect(lines).toContain(' - us-east-1.HorizontalPodAutoscaler/orders/order-service ("node-autoscaling:us-east-1b") is required (it scales '
      + 'Deployment/order-service from 3 to 30 replicas, and with every HPA at its maximum the region requests 156.4 vCPU / 193.5 GiB, more than '
      + 'the static nodes\' 86.0 vCPU / 341.7 GiB allocatable) and nothing in the cluster provides it; install a node autoscaler with a pool in '
      + 'zone us-east-1b (the Pulumi program\'s Karpenter: leave nines:nodeAutoscaling on), or give the static node groups room for every HPA '
      + 'at its maximum (nines:nodesPerZone); a cluster you bring declares it in the platform description\'s capabilities ("node-autoscaling:us-east-1b")');
    expect(mocks.resources).toEqual([]);
    // Static nodes that hold every HPA at its maximum need no autoscaler.
    const stack = buildPlatformStack(platform, { ...DEPLOY, nodeAutoscaling: false, nodesPerZone: { min: 20, desired: 20, max: 20 } });
    await settle(mocks, stack.regions['us-east-1'].urn);
    expect(stack.regions['us-east-1'].karpenter).toBeUndefined();
    expect(mocks.ofType('kubernetes:helm.sh/v3:Release').map(r => r.inputs.name)).not.toContain('karpenter');
    expect(mocks.errors).toEqual([]);
  }, 120_000);

  test('NodePool limits below what the peak needs with one zone lost are refused, with the limits that fit', () => {
    const platform = Platform.fromDescription(describe_('staging', ['us-east-1']));
    expect(() => buildPlatformStack(platform, { ...DEPLOY, nodePoolLimitsPerZone: { cpu: 32, memoryGiB: 128 } })).toThrow(
      'PulumiStack \'staging\': 1 problem:\n - nodePoolLimitsPerZone ({"cpu":32,"memoryGiB":128}) lets each zone of us-east-1 reach '
      + '8 + 8 m6i.xlarge, but with every HPA at its maximum (158.4 vCPU requested) and one zone lost each zone needs 23; '
      + 'raise it to {"cpu":60,"memoryGiB":240}, or leave it unset to size it from the requests');
    expect(mocks.resources).toEqual([]);
  }, 120_000);

  test('the contract: what RegionalCluster and ClusterAddons declare they provide is what the stack checked against', async () => {
    const platform = Platform.fromDescription(describe_('staging', ['us-east-1']));
    const stack = buildPlatformStack(platform, DEPLOY);
    await settle(mocks, stack.regions['us-east-1'].urn);
    const r = stack.regions['us-east-1'];
    const provided = new Set([...r.cluster.provides, ...r.addons.provides, ...r.karpenter!.provides].map(p => p.capability));
    expect([...provided].sort()).toEqual([
      'crd:chaos-mesh', 'crd:flagger', 'crd:prometheus-operator', 'mesh:istio', 'mesh:istio-cni', 'metrics:istio-proxy', 'network-policy',
      'node-autoscaling:us-east-1a', 'node-autoscaling:us-east-1b', 'node-autoscaling:us-east-1c',
      'nodes:us-east-1a', 'nodes:us-east-1b', 'nodes:us-east-1c', 'storage-class:(default)', 'storage-class:gp3-encrypted',
      'tls:certificate-issuer',
    ]);
    // ... and what `npm run synth` assumes for a platform that declares no capabilities.
    expect(new Set(ninesClusterCapabilities(platform.region('us-east-1').zones, true).map(p => p.capability))).toEqual(provided);
    // Every requirement of the region's objects is met, the gateway's TLS Secret included (cert-manager issues it).
    // (the HPAs' node autoscaling is judged with the static nodes' size, in the stack, not in regionObjects)
    const { requirements } = regionObjects(platform, 'us-east-1');
    expect(requirements.filter(q => !provided.has(q.capability))).toEqual([]);
    expect(new Set(requirements.map(q => q.capability))).toEqual(new Set([...provided]
      .filter(c => c !== 'metrics:istio-proxy' && !c.startsWith('node-autoscaling:'))));
    // Karpenter's NodePools get what every HPA at its maximum needs beyond the 8-node floor, one zone lost: 15 nodes.
    expect(r.karpenter!.limitsPerZone).toEqual({ cpu: 60, memoryGiB: 240 });
    // NetworkPolicy is enforced: the VPC CNI add-on has its network policy agent on.
    const cni = mocks.one('aws:eks/addon:Addon', 'us-east-1-vpc-cni').inputs;
    expect([cni.addonName, JSON.parse(cni.configurationValues)]).toEqual(['vpc-cni', { enableNetworkPolicy: 'true' }]);
    expect(mocks.one('aws:eks/cluster:Cluster', 'us-east-1').inputs.version).toBe(platform.kubernetesVersion);
  }, 120_000);

  test('placeholders and missing settings are refused at once, before anything is registered', () => {
    const platform = Platform.fromDescription(describe_('production', ['us-east-1']));
    const dashboards = ' - us-east-1 links ("https://grafana.example.com") is under a domain reserved for documentation (RFC 2606), '
      + 'so N runbook or dashboard link(s) in the alerts lead nowhere; set nines:runbookBaseUrl and nines:dashboardBaseUrl to your runbook and dashboard sites';
    const message = (options: StackOptions) => errorOf(() => buildPlatformStack(platform, options)).message.replace(/so \d+ runbook/, 'so N runbook');
    const endpoints = ['identity-provider', 'payment-provider'].map(e => ` - us-east-1 ServiceEntry egress/${e} hosts (["${
      e === 'identity-provider' ? 'login' : 'api'}.${e}.example.com"]) are under names reserved for documentation and tests (RFC 2606, RFC 6761), which resolve nowhere: `
      + 'the mesh would register them and every call to the dependency would fail; set the dependency\'s real hosts: '
      + `pulumi config set --path 'nines:externalEndpoints.${e}[0]' <host>`);
    expect(message({})).toBe([
      'PulumiStack \'production\': 7 problems:',
      ' - nines:publicAccessCidrs (undefined) is not set; run `pulumi config set --path \'nines:publicAccessCidrs[0]\' <egress CIDR of the machine running pulumi up>`',
      ' - nines:hostedZoneId (undefined) is not set; run `pulumi config set nines:hostedZoneId <the Route53 zone id of recordName>`',
      ' - nines:recordName (undefined) is not set; run `pulumi config set nines:recordName <the entry\'s public name, e.g. api.shop.com>`',
      ' - nines:registry (undefined) is not set and the deploying account is unknown; set nines:registry, or pass accountId from aws.getCallerIdentity()',
      dashboards,
      ...endpoints,
    ].join('\n'));
    expect(message({ ...DEPLOY, hostedZoneId: 'Z0EXAMPLE0000000000', recordName: 'api.example.com', registry: 'registry.example.com' }))
      .toBe([
        'PulumiStack \'production\': 3 problems:',
        ' - nines:hostedZoneId ("Z0EXAMPLE0000000000") is a placeholder; set the id of your Route53 hosted zone (`aws route53 list-hosted-zones`)',
        ' - nines:recordName ("api.example.com") is under a domain reserved for documentation (RFC 2606), so no certificate can be issued for it '
          + 'and no client resolves it; set a name under your hosted zone, e.g. "api.shop.com"',
        ' - nines:registry ("registry.example.com") is a registry host reserved for documentation; set your registry, or unset it to use the account\'s ECR',
      ].join('\n'));
    // The node AMI follows AWS's newest image only outside production.
    expect(() => buildPlatformStack(platform, { ...DEPLOY, nodeAmiRelease: 'latest' })).toThrow(
      'PulumiStack \'production\': 1 problem:\n - nines:nodeAmiRelease ("latest") lets every AMI AWS publishes replace the production nodes: '
      + 'Karpenter re-resolves al2023@latest and replaces each node on an older AMI as drifted, so an untested image rolls through the fleet '
      + 'without a change here; pin a release, e.g. "v20260714" (https://github.com/awslabs/amazon-eks-ami/releases), after trying it in staging');
    expect(mocks.resources).toEqual([]);
  });

  test('a placeholder that stands in every region is one problem naming the regions, not one per region', () => {
    const platform = Platform.fromDescription(describe_('production', ['us-east-1', 'eu-west-1']));
    const lines = errorOf(() => buildPlatformStack(platform, {})).message.split('\n');
    const endpoints = lines.filter(l => l.includes('ServiceEntry egress/'));
    expect(endpoints.map(l => l.split(' hosts ')[0])).toEqual([
      ' - us-east-1, eu-west-1 ServiceEntry egress/identity-provider',
      ' - us-east-1, eu-west-1 ServiceEntry egress/payment-provider',
    ]);
    expect(endpoints[0]).toContain('set the dependency\'s real hosts: pulumi config set --path \'nines:externalEndpoints.identity-provider[0]\' <host>');
    expect(lines.filter(l => / links \(/.test(l)).map(l => l.split(' links ')[0])).toEqual([' - us-east-1, eu-west-1']);
    expect(mocks.resources).toEqual([]);
  });

  test('runbook and dashboard links under a documentation domain are refused at preview, with the settings that fix them', () => {
    // The reference description's runbook site and dashboard links are placeholders until the stack sets its own.
    const platform = Platform.fromDescription(describePlatform('staging', ['us-east-1'], BACKENDS));
    let error: Error | undefined;
    try {
      buildPlatformStack(platform, { ...DEPLOY, dashboardBaseUrl: undefined });
    } catch (e) {
      error = e as Error;
    }
    const lines = error!.message.split('\n');
    expect(lines[0]).toBe('PulumiStack \'staging\': 2 problems:');
    for (const [i, site] of [[1, 'https://runbooks.example.com'], [2, 'https://grafana.example.com']] as const) {
      expect(lines[i]).toMatch(new RegExp(`^ - us-east-1 links \\("${site.replace(/\./g, '\\.')}"\\) is under a domain reserved for documentation \\(RFC 2606\\), `
        + 'so \\d+ runbook or dashboard link\\(s\\) in the alerts lead nowhere; set nines:runbookBaseUrl and nines:dashboardBaseUrl to your runbook and dashboard sites$'));
    }
    expect(mocks.resources).toEqual([]);
    // With both set, no link is left under a reserved domain.
    const objects = regionObjects(Platform.fromDescription(describe_('staging', ['us-east-1'])), 'us-east-1', {
      registry: 'registry.shop.dev', entryDomain: 'api.shop.dev', dashboardBaseUrl: DEPLOY.dashboardBaseUrl,
    }).charts.flatMap(c => c.objects);
    const links = objects.flatMap(o => urlsOf(o));
    expect(links.some(l => l.startsWith('https://runbooks.shop.dev/shop/'))).toBe(true);
    expect(links.some(l => l.startsWith('https://grafana.shop.dev/d/shop'))).toBe(true);
    expect(links.filter(l => /example\.(com|org|net)/.test(l))).toEqual([]);
  }, 120_000);

  test('external endpoint hosts under reserved names are refused at preview unless the stack sets the real ones', () => {
    const platform = Platform.fromDescription(describe_('staging', ['us-east-1']));
    expect(() => buildPlatformStack(platform, { ...DEPLOY, externalEndpoints: undefined })).toThrow([
      'PulumiStack \'staging\': 2 problems:',
      ' - us-east-1 ServiceEntry egress/identity-provider hosts (["login.identity-provider.example.com"]) are under names reserved for documentation '
        + 'and tests (RFC 2606, RFC 6761), which resolve nowhere: the mesh would register them and every call to the dependency would fail; '
        + 'set the dependency\'s real hosts: pulumi config set --path \'nines:externalEndpoints.identity-provider[0]\' <host>',
      ' - us-east-1 ServiceEntry egress/payment-provider hosts (["api.payment-provider.example.com"]) are under names reserved for documentation '
        + 'and tests (RFC 2606, RFC 6761), which resolve nowhere: the mesh would register them and every call to the dependency would fail; '
        + 'set the dependency\'s real hosts: pulumi config set --path \'nines:externalEndpoints.payment-provider[0]\' <host>',
    ].join('\n'));
    // Each reserved name: example.com/.net/.org, and the .test, .invalid, .example and .localhost top-level names.
    for (const host of ['api.vendor.example.net', 'x.example.org', 'pay.test', 'pay.invalid', 'pay.example', 'svc.localhost', '*.example.com']) {
      expect(() => buildPlatformStack(platform, { ...DEPLOY, externalEndpoints: { ...DEPLOY.externalEndpoints, 'payment-provider': [host] } }))
        .toThrow(`ServiceEntry egress/payment-provider hosts (["${host}"]) are under names reserved`);
    }
    // An endpoint the platform does not have, or no host, is refused with the names it has.
    expect(() => buildPlatformStack(platform, { ...DEPLOY, externalEndpoints: { 'identity-providr': ['login.idp.shop.dev'], 'payment-provider': [] } })).toThrow([
      'PulumiStack \'staging\': 2 problems:',
      ' - nines:externalEndpoints.identity-providr (["login.idp.shop.dev"]) is not an external endpoint of the platform; '
        + 'use one of identity-provider, payment-provider, model-store (stacks/services.ts)',
      ' - nines:externalEndpoints.payment-provider ([]) is not a non-empty list of host names; e.g. ["payment-provider.your-vendor.com"]',
    ].join('\n'));
    expect(mocks.resources).toEqual([]);
    // With the real hosts set, the ServiceEntries carry them (and nothing else under a reserved name).
    const objects = regionObjects(platform, 'us-east-1', { externalEndpoints: DEPLOY.externalEndpoints }).charts.flatMap(c => c.objects);
    const entries = Object.fromEntries(objects.filter(o => o.kind === 'ServiceEntry').map(o => [o.metadata.name, o.spec.hosts]));
    expect(entries).toMatchObject({ 'identity-provider': ['login.idp.shop.dev'], 'payment-provider': ['api.payments.shop.dev'] });
  }, 120_000);

  test('an image from a placeholder registry or the example account id in an object is refused (the objects are scanned, not the config)', () => {
    const problems = new Problems('PulumiStack', 'production');
    placeholderProblems(problems, 'us-east-1', [
      { kind: 'Deployment', metadata: { namespace: 'shop', name: 'web' }, spec: { template: { spec: { containers: [{ image: 'registry.example.com/shop/web:1.0.0' }] } } } },
      { kind: 'ServiceAccount', metadata: { namespace: 'shop', name: 'web' }, annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/web' } },
      { kind: 'Deployment', metadata: { namespace: 'shop', name: 'ok' }, spec: { template: { spec: { containers: [{ image: 'quay.io/prometheus/prometheus:v2.53.1' }] } } } },
    ]);
    expect(problems.all.map(p => `${p.prop}: ${p.why}`)).toEqual([
      'us-east-1 image: comes from a registry host reserved for documentation, which no node can pull from',
      'us-east-1 ServiceAccount shop/web: carries the example AWS account id',
    ]);
  });

  test('a region outside the description is a clear error', () => {
    expect(() => describePlatform('staging', ['us-east-1', 'sa-east-1'])).toThrow(
      'PulumiStack \'staging\': 1 problem:\n - regions ("sa-east-1") is not a region of the platform description (stacks/platform.ts); '
      + 'use some of us-east-1, us-west-2, eu-west-1, ap-southeast-1');
  });
});

describe('Pulumi project files', () => {
  test('Pulumi.yaml: nodejs runtime, main is the stacks entry', () => {
    const project = readYaml('Pulumi.yaml');
    expect(project.name).toBe('nines');
    expect(project.runtime.name).toBe('nodejs');
    expect(project.main).toBe('stacks/pulumi/index.ts');
    expect(fs.existsSync(path.join(ROOT, project.main))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, project.runtime.options.tsconfig))).toBe(true);
  });

  test('production has the 4 regions, staging 1; both describe valid platforms', () => {
    const prod = readYaml('Pulumi.production.yaml').config;
    const staging = readYaml('Pulumi.staging.yaml').config;
    expect(prod['nines:regions']).toEqual(REGIONS);
    expect(staging['nines:regions']).toEqual(['us-east-1']);
    const p = Platform.fromDescription(describe_(prod['nines:environment'], prod['nines:regions']));
    expect(p.zones).toHaveLength(12);
    const s = Platform.fromDescription(describe_(staging['nines:environment'], staging['nines:regions']));
    expect(s.zones).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
  });
});
