import * as route53 from '@pulumi/aws/route53';
import * as pulumi from '@pulumi/pulumi';
import { resolveGlobalFailoverArgs } from './private/global-failover-args';
import { settingsOrThrow } from './private/resolve';
import { REGION_TAG } from './tags';
import type { Platform } from '../core/platform';

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
    const s = settingsOrThrow('GlobalFailover', name, resolveGlobalFailoverArgs(name, args));
    const { regions, entryPoints, healthCheck: hc, ttl } = s;
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
        zoneId: s.hostedZoneId,
        name: s.recordName,
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
