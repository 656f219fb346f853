import * as fs from 'fs';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import { ACCOUNT, installMocks, settle, valueOf } from './mocks';

const mocks = installMocks();
const ROOT = path.join(__dirname, '..', '..');
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1'];
const set = (config: Record<string, unknown>) => {
  for (const [k, v] of Object.entries(config)) pulumi.runtime.setConfig(k, typeof v === 'string' ? v : JSON.stringify(v));
};

test('the production program: Pulumi.production.yaml as shipped is refused with what to set; with the README\'s settings it passes', async () => {
  set(parse(fs.readFileSync(path.join(ROOT, 'Pulumi.production.yaml'), 'utf8')).config);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const main = require('../../stacks/pulumi/index');
  // Every setting left to make, at once: the three required ones, each region's log store and trace backend, and the runbook and dashboard sites of every region.
  const lines = ((await main().catch((e: Error) => e)) as Error).message.split('\n');
  expect(lines.slice(0, 4)).toEqual([
    'PulumiStack \'production\': 15 problems:',
    ' - nines:publicAccessCidrs (undefined) is not set; run `pulumi config set --path \'nines:publicAccessCidrs[0]\' <egress CIDR of the machine running pulumi up>`',
    ' - nines:hostedZoneId (undefined) is not set; run `pulumi config set nines:hostedZoneId <the Route53 zone id of recordName>`',
    ' - nines:recordName (undefined) is not set; run `pulumi config set nines:recordName <the entry\'s public name, e.g. api.shop.com>`',
  ]);
  // ... per region, its log store and trace backend (nines:logStores, nines:traceBackends: the platform runs neither),
  const backends = (l: string) => l.startsWith(' - nines:logStores.') || l.startsWith(' - nines:traceBackends.');
  expect(lines.slice(4).filter(backends).map(l => l.split(' ')[2])).toEqual(REGIONS.flatMap(r => [`nines:logStores.${r}`, `nines:traceBackends.${r}`]));
  // ... and the two external endpoints still at their documentation hosts (nines:externalEndpoints), each once for the four regions,
  const regions = 'us-east-1, us-west-2, eu-west-1, ap-southeast-1';
  expect(lines.slice(4).filter(l => l.includes('ServiceEntry egress/')).map(l => l.split(' hosts ')[0])).toEqual(
    ['identity-provider', 'payment-provider'].map(e => ` - ${regions} ServiceEntry egress/${e}`));
  // ... as are the runbook and dashboard sites.
  expect(lines.slice(4).filter(l => !l.includes('ServiceEntry egress/') && !backends(l)).map(l => l.replace(/so \d+ runbook/, 'so N runbook'))).toEqual(
    ['https://runbooks.example.com', 'https://grafana.example.com'].map(site =>
      ` - ${regions} links ("${site}") is under a domain reserved for documentation (RFC 2606), so N runbook or dashboard link(s) in the alerts lead nowhere; `
      + 'set nines:runbookBaseUrl and nines:dashboardBaseUrl to your runbook and dashboard sites'));
  expect(mocks.resources.filter(r => !r.type.startsWith('pulumi:'))).toEqual([]);

  set({
    'nines:publicAccessCidrs': ['198.18.7.0/28'],
    'nines:hostedZoneId': 'Z04538211PDQ8TJ0UQ4A5',
    'nines:recordName': 'api.shop.dev',
    'nines:runbookBaseUrl': 'https://runbooks.shop.dev/shop',
    'nines:dashboardBaseUrl': 'https://grafana.shop.dev/d/shop',
    'nines:externalEndpoints': { 'identity-provider': ['login.idp.shop.dev'], 'payment-provider': ['api.payments.shop.dev'] },
    // Each region's log store and trace backend (the platform runs neither).
    'nines:logStores': Object.fromEntries(REGIONS.map(r => [r, `vpc-logs.${r}.es.amazonaws.com:443`])),
    'nines:traceBackends': Object.fromEntries(REGIONS.map(r => [r, `tempo.${r}.shop.dev:4317`])),
  });
  const outputs = await main();
  await settle(mocks, ...Object.values(outputs.clusterNames as Record<string, pulumi.Output<string>>), ...Object.values(outputs.healthCheckIds));
  expect(outputs.accountId).toBe(ACCOUNT);
  expect(Object.keys(outputs.clusterNames)).toEqual(['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1']);
  expect(await valueOf(outputs.clusterNames['ap-southeast-1'])).toBe('production-ap-southeast-1');
  // Per region: the 12 add-ons (external-dns with them), karpenter-crd and karpenter.
  expect(mocks.ofType('kubernetes:helm.sh/v3:Release').length).toBe(4 * 14);
  // Between the regions: 6 peerings, each accepted in its peer's region; the private zone in all 4 VPCs.
  expect(mocks.ofType('aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter')).toHaveLength(6);
  expect(mocks.ofType('aws:route53/zone:Zone').map(z => z.inputs.vpcs.length)).toEqual([4]);
  expect(mocks.ofType('kubernetes:cert-manager.io/v1:Certificate').map(c => c.inputs.spec.dnsNames[0])).toEqual(Array(4).fill('api.shop.dev'));
  expect(mocks.ofType('aws:route53/healthCheck:HealthCheck')).toHaveLength(4);
  // Nothing EKS, Helm or the API server would refuse, in any region.
  expect(mocks.errors).toEqual([]);
}, 400_000);
