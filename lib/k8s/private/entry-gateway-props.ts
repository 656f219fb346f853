/*
 * Internal: The pure props resolver of {@link EntryGateway}: every default applied once (name,
 * ingress namespace and pods, health route, TLS), every problem with the props and with the entry
 * service collected, nothing built.
 */
import { Duration } from 'cdk8s';
import { Problems } from '../../core/errors';
import { instanceLabelProblems, isDnsLabel, podLabelProblems } from '../../core/labels';
import type { EntryGatewayProps } from '../entry-gateway';
import { ResilientService, ServiceProtocol } from '../resilient-service';
import { PlatformContext } from './context';
import { Resolution, resolution } from './resolve';
import { typedProps, withTypeProblems } from '../../core/prop-types';

/** Route53 wants the status within 2 s of connecting; the health route never waits longer. */
export const HEALTH_CHECK_RESPONSE_TIMEOUT = Duration.seconds(2);

const DNS_NAME = /^(\*\.)?(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** {@link EntryGatewayProps} with every default applied. */
export interface ResolvedEntryGatewayProps {
  readonly name: string;
  readonly service: ResilientService;
  readonly hosts: readonly string[];
  readonly credentialName: string;
  readonly ingressNamespace: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly httpsRedirect: boolean;
  readonly healthPath: string;
  /** The entry service's readiness path the health path is rewritten to. */
  readonly readinessPath: string;
  readonly healthCheckHost: string | false;
  readonly minProtocolVersion: 'TLSV1_2' | 'TLSV1_3';
  readonly replicas: number;
  readonly zones: number;
  /** The readiness probe's timeout, at most {@link HEALTH_CHECK_RESPONSE_TIMEOUT}. */
  readonly healthTimeout: Duration;
  /** `namespace/name` of the Gateway. */
  readonly gatewayRef: string;
}

/** Resolves `props` of the EntryGateway with id `id` in `context`, or returns every problem. */
export function resolveEntryGatewayProps(id: string, given: EntryGatewayProps, context: PlatformContext): Resolution<ResolvedEntryGatewayProps> {
  const { props, problems: typeProblems } = typedProps(given, {
    service: 'object',
    hosts: ['string'],
    credentialName: 'string',
    name: 'string',
    ingressNamespace: 'string',
    selector: { record: 'string' },
    httpsRedirect: 'boolean',
    healthPath: 'string',
    healthCheckHost: { anyOf: ['string', 'boolean'] },
    minProtocolVersion: 'string',
    replicas: 'number',
  });
  const problems = new Problems('EntryGateway', id);
  // Every other prop is read against the entry service: without one, only the type problems and its absence are reported.
  if (!(props.service instanceof ResilientService)) {
    problems.add('service', props.service, props.service === undefined ? 'is not set' : 'is not a ResilientService',
      'pass the ResilientService the gateway routes to (created with entryPoint: true)');
    return { problems: withTypeProblems(typeProblems, problems.all) };
  }
  const svc = props.service;
  const name = props.name ?? `${svc.name}-public`;
  const hosts = [...(props.hosts ?? [])];
  const ingressNamespace = props.ingressNamespace ?? 'istio-ingress';
  const selector = { ...(props.selector ?? { istio: 'ingressgateway' }) };
  const healthPath = props.healthPath ?? '/healthz/ready';
  const healthCheckHost = props.healthCheckHost ?? '*';
  const zones = context.zones?.length ?? svc.zones.length;
  const replicas = props.replicas ?? zones;

  if (!problems.when(!isDnsLabel(name) || name.length > 56, 'name', name, 'is not a DNS label of at most 56 characters (the health route adds "-health")',
    'use lowercase letters, digits and "-", e.g. "api-gateway-public"')) {
    problems.addAll(instanceLabelProblems(name, svc.namespace));
  }
  problems.when(!isDnsLabel(ingressNamespace), 'ingressNamespace', ingressNamespace, 'is not a namespace name', 'use a DNS label, e.g. "istio-ingress"');
  if (hosts.length === 0) problems.add('hosts', hosts, 'is empty', 'give the public host names, e.g. ["api.example.com"]');
  const seen = new Set<string>();
  for (const [i, h] of hosts.entries()) {
    if (!DNS_NAME.test(h)) problems.add(`hosts[${i}]`, h, 'is not a DNS name', 'use a lowercase fully qualified name, e.g. "api.example.com" or "*.api.example.com"');
    else if (seen.has(h)) problems.add(`hosts[${i}]`, h, 'is listed twice', 'list each host once');
    seen.add(h);
  }
  problems.when(typeof props.credentialName !== 'string' || !SUBDOMAIN.test(props.credentialName) || props.credentialName.length > 253,
    'credentialName', props.credentialName, 'is not a Secret name',
    `give the name of a kubernetes.io/tls Secret in ${ingressNamespace}, e.g. "api-example-com-tls" (never a key)`);
  problems.when(!/^\/[^\s?#]*$/.test(healthPath) || healthPath === '/', 'healthPath', healthPath, 'is not an absolute path other than "/"', 'use e.g. "/healthz/ready"');
  if (healthCheckHost !== false && healthCheckHost !== '*' && !DNS_NAME.test(healthCheckHost)) {
    problems.add('healthCheckHost', healthCheckHost, 'is not "*" or a DNS name', 'use "*" (the NLB host name is not known at synth time), a DNS name, or false');
  } else if (healthCheckHost !== false && hosts.includes(healthCheckHost)) {
    problems.add('healthCheckHost', healthCheckHost, 'is already one of hosts', 'use "*" or false');
  }
  const selectorEntries = Object.entries(selector);
  if (selectorEntries.length === 0) problems.add('selector', selector, 'is empty (it would select no gateway pods)', 'use e.g. { istio: "ingressgateway" }');
  problems.addAll(podLabelProblems('selector', selector, {
    key: 'use the ingress gateway pods\' label key, e.g. "istio"',
    value: 'use the ingress gateway pods\' label value, e.g. "ingressgateway"',
  }));

  problems.when(!Number.isInteger(replicas) || replicas < 1, 'replicas', replicas, 'is not a positive whole number', 'use one per zone, e.g. 3');

  // The entry service: an HTTP entry point whose readiness the health path can reach.
  problems.when(!svc.entryPoint, 'service', svc.node.path, 'is not an entry point', 'create the service with entryPoint: true');
  problems.when(svc.protocol !== ServiceProtocol.HTTP, 'service', svc.node.path, `speaks ${svc.protocol}, not HTTP`, 'route an HTTP service through the gateway');
  const check = svc.probes.readiness.check;
  const onServingPort = check.port === svc.portName || check.port === svc.port;
  problems.when(check.kind !== 'http' || !onServingPort, 'service', svc.node.path,
    'has no HTTP readiness probe on its serving port, so the health path has nothing to reach through the Service',
    'give the service an HTTP readiness probe on its "http" port');
  const probeTimeout = svc.probes.readiness.timeout.toSeconds();

  return resolution(withTypeProblems(typeProblems, problems.all), () => ({
    name,
    service: svc,
    hosts,
    credentialName: props.credentialName,
    ingressNamespace,
    selector,
    httpsRedirect: props.httpsRedirect ?? false,
    healthPath,
    readinessPath: check.kind === 'http' ? check.path : '',
    healthCheckHost,
    minProtocolVersion: props.minProtocolVersion ?? 'TLSV1_2',
    replicas,
    zones,
    healthTimeout: Duration.seconds(Math.min(probeTimeout, HEALTH_CHECK_RESPONSE_TIMEOUT.toSeconds())),
    gatewayRef: `${ingressNamespace}/${name}`,
  }));
}
