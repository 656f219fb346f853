/*
 * Internal: the pure args resolver of {@link GlobalFailover}: every region has an entry point, the
 * health check and TTL within what Route53 accepts, the regions' VPC blocks disjoint; every default
 * applied once, every problem collected, nothing registered.
 */
import * as pulumi from '@pulumi/pulumi';
import { Problems, Resolution, resolution } from '../../core/errors';
import { Platform } from '../../core/platform';
import { PropTypes, typedProps, withTypeProblems } from '../../core/prop-types';
import { checkDisjointCidrs } from '../cidr-plan';
import type { EntryPointHealthCheck, GlobalFailoverArgs } from '../global-failover';
import { isInstance } from './resolve';

/** Runtime types of the args the resolver reads (hostedZoneId and the entry points are pulumi.Inputs). */
const GLOBAL_FAILOVER_ARG_TYPES: PropTypes = {
  recordName: 'string',
  entryPoints: 'object',
  healthCheck: { path: 'string', port: 'number', requestInterval: 'number', failureThreshold: 'number' },
  ttl: 'number',
};

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** {@link GlobalFailoverArgs} with every default applied. */
export interface GlobalFailoverSettings {
  readonly regions: readonly string[];
  readonly hostedZoneId: pulumi.Input<string>;
  readonly recordName: string;
  readonly entryPoints: Readonly<Record<string, pulumi.Input<string>>>;
  readonly healthCheck: Required<EntryPointHealthCheck>;
  readonly ttl: number;
}

/** Resolves {@link GlobalFailoverArgs}: the settings, or every problem. */
export function resolveGlobalFailoverArgs(name: string, given: GlobalFailoverArgs): Resolution<GlobalFailoverSettings> {
  const problems = new Problems('GlobalFailover', name);
  const { props: args, problems: typeProblems } = typedProps(given, GLOBAL_FAILOVER_ARG_TYPES);
  if (!isInstance(problems, 'platform', args?.platform, Platform, 'pass Platform.fromDescription(...)')) {
    return { problems: withTypeProblems(typeProblems, problems.all) };
  }
  const platform = args.platform;
  problems.when(!HOSTNAME.test(String(args.recordName)), 'recordName', args.recordName,
    'is not a fully qualified host name', 'use e.g. "api.example.com"');
  problems.when(args.hostedZoneId === undefined, 'hostedZoneId', undefined, 'is not set', 'pass the id of the Route53 hosted zone of recordName');
  problems.when(args.hostedZoneId !== undefined && typeof args.hostedZoneId !== 'string' && !pulumi.Output.isInstance(args.hostedZoneId), 'hostedZoneId',
    args.hostedZoneId, 'is not a string (or an Output of one)', 'pass the id of the Route53 hosted zone of recordName');
  const regions = platform.regions.map(r => r.name);
  const entryPoints = args.entryPoints ?? {};
  for (const r of regions) {
    problems.when(entryPoints[r] === undefined, `entryPoints.${r}`, undefined, 'is missing, so the region gets no traffic',
      'pass the host name of the region\'s public load balancer');
  }
  for (const [r, host] of Object.entries(entryPoints)) {
    // A pulumi.Input<string>: a string, a Promise or an Output of one (the latter two are known at deploy time only).
    problems.when(host !== undefined && typeof host !== 'string' && !pulumi.Output.isInstance(host) && !(host instanceof Promise), `entryPoints.${r}`, host,
      'is not a host name (a string or an Output of one)', 'pass the host name of the region\'s public load balancer');
    // Route53 health checks take a bare domain name (no scheme, port or path) as FullyQualifiedDomainName, and CNAME records a host name.
    // @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
    problems.when(typeof host === 'string' && !HOSTNAME.test(host.toLowerCase()), `entryPoints.${r}`, host,
      'is not a fully qualified host name (no scheme, port or path)', 'pass the load balancer\'s DNS name, e.g. "k8s-ingress-0123456789.elb.us-east-1.amazonaws.com"');
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
  return resolution(withTypeProblems(typeProblems, problems.all), () => ({
    regions, hostedZoneId: args.hostedZoneId, recordName: args.recordName, entryPoints, healthCheck: hc, ttl,
  }));
}
