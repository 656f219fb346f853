/*
 * Internal: the pure args resolver of {@link ClusterAddons}: chart pins (each checked against its
 * add-on's documented Kubernetes range), switches, namespaces (each owned in one place), every
 * default applied once, every problem collected, nothing registered.
 */
import { Problems, Resolution, resolution } from '../../core/errors';
import { addonVersionProblems } from '../../core/kubernetes-version';
import { isDnsLabel } from '../../core/labels';
import { PlatformSettings, platformSettingsOf } from '../../core/platform';
import { PropTypes, typedProps, withTypeProblems } from '../../core/prop-types';
import { LETS_ENCRYPT_PRODUCTION } from '../cert-manager';
import type { AddonChartVersions, AddonNamespaces, AddonSwitches, ClusterAddonsArgs, EntryTlsOptions, PrivateZoneRef } from '../cluster-addons';
import { MultiAzVpc } from '../multi-az-vpc';
import { RegionalCluster } from '../regional-cluster';
import { ClusterFacts, componentTags, VpcFacts } from './resolve';
import { CLUSTER_TAG } from '../tags';

/** The chart versions used when {@link ClusterAddonsArgs.versions} leaves one unset. */
export const DEFAULT_ADDON_CHART_VERSIONS: Readonly<Required<AddonChartVersions>> = {
  istio: '1.30.0',
  prometheusOperatorCrds: '16.0.1',
  kubePrometheusStack: '66.3.1',
  chaosMesh: '2.7.0',
  flagger: '1.38.0',
  flaggerLoadtester: '0.33.0',
  awsLoadBalancerController: '1.10.1',
  certManager: 'v1.21.1',
  externalDns: '1.21.1',
};

const SEMVER = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
/** Route53 hosted zone ids. @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_HostedZone.html */
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;

/** Runtime types of the args the resolver reads (casts are problems, not TypeErrors). */
const CLUSTER_ADDONS_ARG_TYPES: PropTypes = {
  versions: { record: 'string' },
  enable: { record: 'boolean' },
  namespaces: { record: 'string' },
  gatewayMinReplicas: 'number',
  reservedNamespaces: ['string'],
  tls: { hostedZoneId: 'string', certificates: [{ namespace: 'string', secretName: 'string', dnsNames: ['string'] }], acmeServer: 'string', email: 'string' },
  tags: { record: 'string' },
};

/**
 * {@link ClusterAddonsArgs} with every default applied (`cluster` and `vpc` the components, or
 * their facts before they are registered).
 */
export interface ClusterAddonsSettings<C extends ClusterFacts = RegionalCluster, V extends VpcFacts = MultiAzVpc> {
  readonly cluster: C;
  readonly vpc: V;
  readonly platform: PlatformSettings;
  readonly versions: Readonly<Required<AddonChartVersions>>;
  readonly enabled: Readonly<Required<AddonSwitches>>;
  readonly namespaces: Readonly<Required<AddonNamespaces>>;
  readonly gatewayMinReplicas: number;
  /** The entry's certificates, with the ACME directory resolved. */
  readonly tls?: Required<Omit<EntryTlsOptions, 'email'>> & Pick<EntryTlsOptions, 'email'>;
  /** The private zone external-dns publishes into (only with enable.externalDns). */
  readonly privateZone?: PrivateZoneRef;
  readonly tags: Readonly<Record<string, string>>;
}

/** The switches with their defaults (all on): what ClusterAddons installs, known before any resource exists. */
export function resolveAddonSwitches(e: AddonSwitches = {}): Required<AddonSwitches> {
  return {
    istio: e.istio ?? true,
    ingressGateway: e.ingressGateway ?? true,
    prometheusOperator: e.prometheusOperator ?? true,
    chaosMesh: e.chaosMesh ?? true,
    flagger: e.flagger ?? true,
    awsLoadBalancerController: e.awsLoadBalancerController ?? true,
    certManager: e.certManager ?? true,
    externalDns: e.externalDns ?? true,
  };
}

/**
 * Resolves {@link ClusterAddonsArgs} but `cluster` and `vpc` for the cluster and VPC with these
 * facts (the components themselves, or the facts of their args before anything is registered).
 */
export function resolveClusterAddonsArgsIn<C extends ClusterFacts, V extends VpcFacts>(name: string,
  given: Omit<ClusterAddonsArgs, 'cluster' | 'vpc'>, cluster: C, vpc: V): Resolution<ClusterAddonsSettings<C, V>> {
  const problems = new Problems('ClusterAddons', name);
  const { props: args, problems: typeProblems } = typedProps(given, CLUSTER_ADDONS_ARG_TYPES);
  const versions = { ...DEFAULT_ADDON_CHART_VERSIONS, ...definedOnly(args.versions ?? {}) };
  for (const [k, v] of Object.entries(versions)) {
    problems.when(typeof v !== 'string' || !SEMVER.test(v), `versions.${k}`, v, 'is not an exact chart version',
      `pin one, e.g. "${DEFAULT_ADDON_CHART_VERSIONS[k as keyof AddonChartVersions]}" (ranges make \`pulumi up\` non-repeatable)`);
  }
  const enabled = resolveAddonSwitches(args.enable);
  problems.when(enabled.ingressGateway && !enabled.istio, 'enable.ingressGateway', true, 'needs enable.istio (the gateway is an Istio proxy)',
    'turn istio on, or the gateway off');
  problems.when(enabled.ingressGateway && !enabled.awsLoadBalancerController, 'enable.ingressGateway', true,
    'needs enable.awsLoadBalancerController (only it honours the NLB and security-group annotations)',
    'turn awsLoadBalancerController on, or the gateway off');
  problems.when(enabled.flagger && !enabled.istio, 'enable.flagger', true, 'needs enable.istio (meshProvider istio)', 'turn istio on, or flagger off');
  const platform = platformSettingsOf(vpc.region);
  const namespaces = {
    mesh: args.namespaces?.mesh ?? platform.meshNamespace,
    ingress: args.namespaces?.ingress ?? 'istio-ingress',
    monitoring: args.namespaces?.monitoring ?? platform.monitoringNamespace,
    prometheusOperator: args.namespaces?.prometheusOperator ?? 'prometheus-operator',
    chaos: args.namespaces?.chaos ?? platform.chaosNamespace,
    flagger: args.namespaces?.flagger ?? platform.flaggerNamespace,
    certManager: args.namespaces?.certManager ?? 'cert-manager',
    externalDns: args.namespaces?.externalDns ?? 'external-dns',
  };
  namespaceProblems(problems, namespaces, args.reservedNamespaces ?? []);
  const gatewayMinReplicas = args.gatewayMinReplicas ?? vpc.zones.length;
  problems.when(!Number.isInteger(gatewayMinReplicas) || gatewayMinReplicas < 2, 'gatewayMinReplicas', gatewayMinReplicas,
    'is below 2, so one pod or zone loss takes the region\'s entry point down', `use ${vpc.zones.length} (one per zone)`);
  const tls = resolveTls(problems, args.tls, enabled.certManager, args.reservedNamespaces ?? []);
  const privateZone = enabled.externalDns ? args.privateZone : undefined;
  problems.when(privateZone !== undefined && !/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$/.test(String(privateZone.name)),
    'privateZone.name', privateZone?.name, 'is not a DNS zone name', 'pass the PrivateZone\'s name, e.g. "nines.internal"');
  // Every pin supports the platform's Kubernetes version, as the add-on's documentation states it.
  problems.addAll(addonVersionProblems(cluster.kubernetesVersion,
    Object.fromEntries(Object.entries(versions).filter(([, v]) => typeof v === 'string' && SEMVER.test(v)))));
  const tags = componentTags(args, { [CLUSTER_TAG]: cluster.clusterName });
  return resolution(withTypeProblems(typeProblems, problems.all), () => ({
    cluster, vpc, platform, versions, enabled, namespaces, gatewayMinReplicas, tls, privateZone, tags,
  }));
}

/** Each namespace is a DNS label, and each one an add-on creates is not also created by the cdk8s charts. */
function namespaceProblems(problems: Problems, namespaces: Required<AddonNamespaces>, reservedNamespaces: readonly string[]): void {
  for (const [k, v] of Object.entries(namespaces)) {
    problems.when(!isDnsLabel(v), `namespaces.${k}`, v, 'is not a namespace name', 'use a DNS label, e.g. "istio-ingress"');
  }
  // The namespaces the add-ons create (the monitoring namespace is only read: Prometheus lives there).
  const reserved = new Set(reservedNamespaces);
  for (const [k, v] of Object.entries(namespaces).filter(([key]) => key !== 'monitoring')) {
    problems.when(reserved.has(v), `namespaces.${k}`, v, 'is also created by the cdk8s charts, so two owners would create (and delete) it',
      'give the add-on a namespace of its own');
  }
}

/** The entry's certificates: a hosted zone id, an https ACME directory, certificates with names; only with cert-manager on. */
function resolveTls(problems: Problems, tls: EntryTlsOptions | undefined, certManager: boolean,
  reserved: readonly string[]): ClusterAddonsSettings['tls'] {
  if (tls === undefined) return undefined;
  problems.when(!certManager, 'tls', tls.hostedZoneId, 'needs enable.certManager (cert-manager issues the certificates)',
    'turn certManager on, or leave tls unset and provide the gateways\' Secrets otherwise');
  problems.when(!HOSTED_ZONE_ID.test(String(tls.hostedZoneId)), 'tls.hostedZoneId', tls.hostedZoneId, 'is not a Route53 hosted zone id',
    'use the id `aws route53 list-hosted-zones` prints, e.g. "Z04538211PDQ8TJ0UQ4A5"');
  const acmeServer = tls.acmeServer ?? LETS_ENCRYPT_PRODUCTION;
  problems.when(!/^https:\/\/[^/\s]+\/\S*$/.test(acmeServer), 'tls.acmeServer', acmeServer, 'is not an https URL of an ACME directory',
    `use e.g. "${LETS_ENCRYPT_PRODUCTION}"`);
  const certificates = [...(tls.certificates ?? [])];
  certificates.forEach((c, i) => {
    problems.when(c.dnsNames.length === 0, `tls.certificates[${i}].dnsNames`, c.dnsNames, 'is empty, so no certificate can be issued',
      'give the gateway servers naming this Secret their host names');
    problems.when(!isDnsLabel(c.namespace), `tls.certificates[${i}].namespace`, c.namespace, 'is not a namespace name', 'use a DNS label');
    problems.when(reserved.includes(c.namespace), `tls.certificates[${i}].namespace`, c.namespace,
      'is created by the cdk8s charts, which apply after the add-ons, so the Certificate would have no namespace yet',
      'run the gateway in the add-ons\' ingress namespace (namespaces.ingress)');
  });
  return { hostedZoneId: tls.hostedZoneId, acmeServer, certificates, ...(tls.email !== undefined ? { email: tls.email } : {}) };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
