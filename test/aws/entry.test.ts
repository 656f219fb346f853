import * as fs from 'fs';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import { ACCOUNT, installMocks, settle, valueOf } from './mocks';

const mocks = installMocks();
const ROOT = path.join(__dirname, '..', '..');

/** Loads a stack's config file, then what the README's procedure has the engineer `pulumi config set`. */
function configure(file: string, set: Record<string, unknown>): void {
  const config = { ...parse(fs.readFileSync(path.join(ROOT, file), 'utf8')).config, ...set };
  for (const [k, v] of Object.entries(config)) pulumi.runtime.setConfig(k, typeof v === 'string' ? v : JSON.stringify(v));
}

test('stacks/pulumi/index.ts (the `pulumi up` entry) runs Pulumi.staging.yaml under mocks and exports per-region outputs', async () => {
  configure('Pulumi.staging.yaml', {
    'nines:publicAccessCidrs': ['198.18.7.0/28'],
    'nines:hostedZoneId': 'Z04538211PDQ8TJ0UQ4A5',
    'nines:recordName': 'api.staging.shop.dev',
    'nines:runbookBaseUrl': 'https://runbooks.shop.dev/shop',
    'nines:dashboardBaseUrl': 'https://grafana.shop.dev/d/shop',
    'nines:externalEndpoints': { 'identity-provider': ['login.idp.shop.dev'], 'payment-provider': ['api.payments.shop.dev'] },
    'nines:logStores': { 'us-east-1': 'vpc-logs.us-east-1.es.amazonaws.com:443' },
    'nines:traceBackends': { 'us-east-1': 'tempo.us-east-1.shop.dev:4317' },
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const main = require('../../stacks/pulumi/index');
  const outputs = await main();
  await settle(mocks, ...Object.values(outputs.clusterNames as Record<string, pulumi.Output<string>>), ...Object.values(outputs.healthCheckIds));
  // The account comes from the caller's identity, never from the configuration.
  expect(outputs.accountId).toBe(ACCOUNT);
  expect(Object.keys(outputs.cidrPlans)).toEqual(['us-east-1']);
  expect(await valueOf(outputs.clusterNames['us-east-1'])).toBe('staging-us-east-1');
  expect(await valueOf(outputs.backupBuckets['us-east-1'])).toBe('nines-staging-us-east-1-db-backup');
  // The region's entry point (its ingress gateway NLB) is a stack output.
  expect(await valueOf(outputs.entryPoints['us-east-1'])).toBe('us-east-1-istio-ingressgateway-service.elb.amazonaws.com');
  // The 11 add-ons, karpenter-crd and karpenter.
  expect(mocks.ofType('kubernetes:helm.sh/v3:Release')).toHaveLength(13);
  // The gateway's TLS Secret is issued inside the platform: a Certificate for the Gateway's own hosts and Secret.
  const gateway = mocks.resources.find(r => r.inputs.kind === 'Gateway' && String(r.inputs.apiVersion).startsWith('networking.istio.io/'))!;
  const server = gateway.inputs.spec.servers.find((x: any) => x.hosts.includes('api.staging.shop.dev'));
  const certificate = mocks.ofType('kubernetes:cert-manager.io/v1:Certificate');
  expect(certificate.map(c => [c.inputs.metadata.namespace, c.inputs.spec.secretName, c.inputs.spec.dnsNames]))
    .toEqual([[gateway.inputs.metadata.namespace, server.tls.credentialName, server.hosts]]);
  expect(mocks.one('kubernetes:cert-manager.io/v1:ClusterIssuer', 'us-east-1-acme-route53').inputs.spec.acme.solvers[0].dns01.route53.hostedZoneID)
    .toBe('Z04538211PDQ8TJ0UQ4A5');
  expect(mocks.ofType('pulumi:providers:aws').map(p => p.inputs.region)).toEqual(['us-east-1']);
  expect(mocks.ofType('aws:eks/nodeGroup:NodeGroup').map(n => n.inputs.scalingConfig))
    .toEqual(Array(3).fill({ minSize: 8, desiredSize: 8, maxSize: 16 })); // sized from the requests, add-ons and DaemonSets: one zone lost still fits
  // Images from the deploying account's ECR in the region, no placeholder anywhere; nothing a real cluster refuses.
  const deployment = mocks.resources.find(r => r.name === 'us-east-1-services-orders/order-service' && r.inputs.kind === 'Deployment')!;
  expect(deployment.inputs.spec.template.spec.containers[0].image).toBe(`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/shop/order-service:1.2.3`);
  expect(mocks.errors).toEqual([]);
}, 120_000);
