import * as route53 from '@pulumi/aws/route53';
import * as pulumi from '@pulumi/pulumi';
import { checkDisjointCidrs } from './cidr-plan';
import { isInstance } from './private/resolve';
import { REGION_TAG } from './tags';
import { Problems } from '../core/errors';
import { Platform } from '../core/platform';

/** Route53 health check settings for each region's entry point. */
export interface EntryPointHealthCheck {
  /**
   * HTTPS path probed.
   * @default '/healthz/ready'
   * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html
   */
  readonly path?: string;
  /**
   * @default 443
   * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html
   */
  readonly port?: number;
  /**
   * Seconds between checks from each checker (10 = "fast", 30 = standard).
   * @default 10
   * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html
   */
  readonly requestInterval?: 10 | 30;
  /**
   * Consecutive failures before a region is unhealthy. With the defaults a dead region leaves DNS in
   * about 30 s plus the record TTL.
   * @default 3
   * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html
   */
  readonly failureThreshold?: number;
}

/** Arguments of {@link GlobalFailover}. */
export interface GlobalFailoverArgs {
  /**
   * The platform description: its regions and their VPC CIDRs (checked disjoint here).
   * @see Platform.fromDescription
   */
  readonly platform: Platform;
  /**
   * Route53 hosted zone id of the public domain.
   * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zones-working-with.html
   */
  readonly hostedZoneId: pulumi.Input<string>;
  /**
   * The global name clients use, e.g. `api.example.com` (not the zone apex: the records are CNAMEs).
   * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-latency.html
   */
  readonly recordName: string;
  /**
   * Each region's public entry point host name (its public load balancer), by region name.
   * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-complex-configs.html
   */
  readonly entryPoints: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Health check settings.
   * @default { path: '/healthz/ready', port: 443, requestInterval: 10, failureThreshold: 3 }
   * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover.html
   */
  readonly healthCheck?: EntryPointHealthCheck;
  /**
   * Record TTL in seconds (how long a resolver keeps a region that has just failed).
   * @default 60
   * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-basic.html
   */
  readonly ttl?: number;
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * Multi-region failover (the case study's "Future Reliability Investments"): one Route53 health
 * check per region on its public entry point, and one latency-based record per region carrying
 * that check, so clients go to the nearest healthy region and an unhealthy region drops out of
 * the answers. Building it checks the regions' VPC CIDRs are disjoint.
 */
export class GlobalFailover extends pulumi.ComponentResource {
  /** Resolved health check settings. */
  public readonly healthCheck: Required<EntryPointHealthCheck>;
  /** Resolved TTL. */
  public readonly ttl: number;
  /** Health check ids by region. */
  public readonly healthCheckIds: Readonly<Record<string, pulumi.Output<string>>>;
  /** Record FQDNs by region. */
  public readonly recordFqdns: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: GlobalFailoverArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = new Problems('GlobalFailover', name);
    if (!isInstance(problems, 'platform', args?.platform, Platform, 'pass Platform.fromDescription(...)')) problems.throwIfAny();
    const platform = args.platform;
    problems.when(!HOSTNAME.test(String(args.recordName)), 'recordName', args.recordName,
      'is not a fully qualified host name', 'use e.g. "api.example.com"');
    const regions = platform.regions.map(r => r.name);
    const entryPoints = args.entryPoints ?? {};
    for (const r of regions) {
      problems.when(entryPoints[r] === undefined, `entryPoints.${r}`, undefined, 'is missing, so the region gets no traffic',
        'pass the host name of the region\'s public load balancer');
    }
    for (const r of Object.keys(entryPoints)) {
      problems.when(!regions.includes(r), `entryPoints.${r}`, entryPoints[r], 'is not a region of the platform',
        `use one of ${regions.join(', ')}`);
    }
    const cidrs: Record<string, string> = {};
    for (const r of platform.regions) if (r.vpcCidr) cidrs[r.name] = r.vpcCidr;
    checkDisjointCidrs(cidrs, problems, 'platform.regions.vpcCidr');
    const hc = {
      path: args.healthCheck?.path ?? '/healthz/ready',
      port: args.healthCheck?.port ?? 443,
      requestInterval: args.healthCheck?.requestInterval ?? 10,
      failureThreshold: args.healthCheck?.failureThreshold ?? 3,
    };
    problems.when(!hc.path.startsWith('/'), 'healthCheck.path', hc.path, 'is not an absolute path', 'use e.g. "/healthz/ready"');
    problems.when(!Number.isInteger(hc.port) || hc.port < 1 || hc.port > 65535, 'healthCheck.port', hc.port, 'is not a port', 'use 443');
    problems.when(hc.requestInterval !== 10 && hc.requestInterval !== 30, 'healthCheck.requestInterval', hc.requestInterval,
      'is not an interval Route53 supports', 'use 10 or 30');
    problems.when(!Number.isInteger(hc.failureThreshold) || hc.failureThreshold < 1 || hc.failureThreshold > 10,
      'healthCheck.failureThreshold', hc.failureThreshold, 'is not between 1 and 10', 'use 3');
    const ttl = args.ttl ?? 60;
    problems.when(!Number.isInteger(ttl) || ttl < 0 || ttl > 300, 'ttl', ttl,
      'is not between 0 and 300 s (a longer TTL keeps clients on a failed region)', 'use 60');
    problems.throwIfAny();

    super('nines:aws:GlobalFailover', name, {}, opts);
    this.healthCheck = hc;
    this.ttl = ttl;
    const p = { parent: this };
    const checks: Record<string, pulumi.Output<string>> = {};
    const fqdns: Record<string, pulumi.Output<string>> = {};
    for (const region of regions) {
      const check = new route53.HealthCheck(`${name}-${region}`, {
        type: 'HTTPS',
        fqdn: entryPoints[region],
        port: hc.port,
        resourcePath: hc.path,
        enableSni: true,
        requestInterval: hc.requestInterval,
        failureThreshold: hc.failureThreshold,
        measureLatency: true,
        tags: { Name: `${name}-${region}`, [REGION_TAG]: region },
      }, p);
      const record = new route53.Record(`${name}-${region}`, {
        zoneId: args.hostedZoneId,
        name: args.recordName,
        type: 'CNAME',
        ttl,
        setIdentifier: region,
        latencyRoutingPolicies: [{ region }],
        healthCheckId: check.id,
        records: [entryPoints[region]],
      }, p);
      checks[region] = check.id;
      fqdns[region] = record.fqdn;
    }
    this.healthCheckIds = checks;
    this.recordFqdns = fqdns;
    this.registerOutputs({ healthCheckIds: checks, recordFqdns: fqdns });
  }
}
