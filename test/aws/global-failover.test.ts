import { installMocks, settle } from './mocks';
import { GlobalFailover } from '../../lib/aws/global-failover';
import { ValidationError } from '../../lib/core/errors';
import { Platform } from '../../lib/core/platform';
import { PRODUCTION } from '../../stacks/platform';

const mocks = installMocks();
const platform = Platform.fromDescription(PRODUCTION);
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1'];
const entryPoints = Object.fromEntries(REGIONS.map(r => [r, `${r}.api.example.com`]));

function errorOf(f: () => unknown): ValidationError {
  try {
    f();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

beforeEach(() => mocks.reset());

test('one HTTPS health check and one latency record per region; each record carries its own region\'s check', async () => {
  const f = new GlobalFailover('prod', { platform, hostedZoneId: 'Z1', recordName: 'api.example.com', entryPoints });
  await settle(mocks, f.urn, ...Object.values(f.recordFqdns));
  expect(f.healthCheck).toEqual({ path: '/healthz/ready', port: 443, requestInterval: 10, failureThreshold: 3 });
  expect(f.ttl).toBe(60);
  expect(mocks.ofType('aws:route53/healthCheck:HealthCheck')).toHaveLength(4);
  expect(mocks.ofType('aws:route53/record:Record')).toHaveLength(4);
  for (const region of REGIONS) {
    expect(mocks.one('aws:route53/healthCheck:HealthCheck', `prod-${region}`).inputs).toMatchObject({
      type: 'HTTPS',
      fqdn: `${region}.api.example.com`,
      port: 443,
      resourcePath: '/healthz/ready',
      enableSni: true,
      requestInterval: 10,
      failureThreshold: 3,
      measureLatency: true,
    });
    // Route53 leaves a record whose health check fails out of its answers: an unhealthy region drops out.
    expect(mocks.one('aws:route53/record:Record', `prod-${region}`).inputs).toEqual({
      zoneId: 'Z1',
      name: 'api.example.com',
      type: 'CNAME',
      ttl: 60,
      setIdentifier: region,
      latencyRoutingPolicies: [{ region }],
      healthCheckId: `prod-${region}-id`,
      records: [`${region}.api.example.com`],
    });
  }
});

test('overlapping VPC CIDRs are refused by the platform description, before any failover is built', () => {
  expect(errorOf(() => Platform.fromDescription({
    ...PRODUCTION,
    regions: PRODUCTION.regions.map(r => (r.name === 'eu-west-1' ? { ...r, vpcCidr: '10.20.0.0/20' } : r)),
  })).message).toBe('Platform \'production\': 1 problem:\n - regions[2].vpcCidr ("10.20.0.0/20") overlaps '
    + 'regions[1].vpcCidr ("10.20.0.0/16"), so the regions cannot be peered or routed to each other; '
    + 'give every region a disjoint block (e.g. "10.10.0.0/16", "10.20.0.0/16", ...)');
});

test('bad args, every one at once; nothing registered', async () => {
  const e = errorOf(() => new GlobalFailover('bad', {
    platform,
    hostedZoneId: 'Z1',
    recordName: 'api',
    ttl: 3600,
    entryPoints: { 'us-east-1': 'a.example.com', 'us-west-2': 'b.example.com', 'eu-west-1': 'c.example.com', 'sa-east-1': 'd.example.com' },
    healthCheck: { requestInterval: 20 as any },
  }));
  expect(e.message).toBe([
    'GlobalFailover \'bad\': 5 problems:',
    ' - recordName ("api") is not a fully qualified host name; use e.g. "api.example.com"',
    ' - entryPoints.ap-southeast-1 (undefined) is missing, so the region gets no traffic; pass the host name of the region\'s public load balancer',
    ' - entryPoints.sa-east-1 ("d.example.com") is not a region of the platform; use one of us-east-1, us-west-2, eu-west-1, ap-southeast-1',
    ' - healthCheck.requestInterval (20) is not an interval Route53 supports; use 10 or 30',
    ' - ttl (3600) is not between 0 and 300 s (a longer TTL keeps clients on a failed region); use 60',
  ].join('\n'));
  await settle(mocks);
  expect(mocks.resources).toEqual([]);
});
