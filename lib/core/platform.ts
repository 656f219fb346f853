import { CapabilityName } from './capabilities';
import { Ipv4Block, VPC_PREFIX_RANGE, blocksOverlap, parseIpv4Block } from './cidr';
import { Problem, Problems, ValidationError } from './errors';
import { DEFAULT_KUBERNETES_VERSION, EKS_RELEASE_CALENDAR, eksSupportOf } from './kubernetes-version';
import { derivedNameProblems, isDnsLabel } from './labels';
import { backupBucketNameOf, clusterNameOf } from './naming';
import { PropTypes, typedProps, withTypeProblems } from './prop-types';

export { DEFAULT_KUBERNETES_VERSION } from './kubernetes-version';

/**
 * The platform description: pure data, the one source of truth both engines read. The zones a
 * VPC spans are the zones a service spreads over, the racks Kafka knows and the failure domains
 * Patroni's standbys sit in: one list, never retyped.
 */
export interface PlatformDescription {
  /** Environment name (a DNS label), e.g. `production`. */
  readonly environment: string;
  /** The regions, each with its zones. At least one. */
  readonly regions: readonly RegionDescription[];
  /**
   * Namespace of the service mesh control plane and gateways.
   * @default 'istio-system'
   */
  readonly meshNamespace?: string;
  /**
   * Namespace of the monitoring stack (Prometheus scrapes from here).
   * @default 'monitoring'
   */
  readonly monitoringNamespace?: string;
  /**
   * Cluster DNS domain.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * Where the runbooks of the platform's alerts are published (the pages `writeRunbooks` writes
   * under `dist/runbooks/`): an absolute https URL without query or fragment. The constructs
   * whose alerts are not tied to a service (PatroniCluster, RedisSentinel, KafkaCluster) link
   * each alert to `${runbookBaseUrl}/<slug>` unless their own `runbookBaseUrl` prop overrides it.
   *
   * Precedence: the construct's prop, then this, then nothing: the alerts carry no `runbook_url`
   * and `writeRunbooks` / `runbookLinkProblems` report each of them.
   * @default - no platform-wide runbook base
   * @see the case study, section 3.4 ("Actionable runbook")
   */
  readonly runbookBaseUrl?: string;
  /**
   * Namespace Chaos Mesh runs in (its controller and dashboard).
   * @default 'chaos-mesh'
   */
  readonly chaosNamespace?: string;
  /**
   * Namespace Flagger and its load tester run in (they query Prometheus and drive traffic at
   * canaries from there).
   * @default 'flagger-system'
   */
  readonly flaggerNamespace?: string;
  /**
   * The Kubernetes minor version every cluster of the platform runs (`"1.NN"`): EKS creates
   * its clusters at this version and the synthesized objects are held to its API.
   * @default DEFAULT_KUBERNETES_VERSION ('1.35', in EKS standard support until 2027-03-27)
   * @see https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html
   */
  readonly kubernetesVersion?: string;
  /**
   * What each region's cluster provides, for a cluster you bring (not built by lib/aws): the
   * {@link Capability} names, e.g. `['network-policy', 'mesh:istio', 'mesh:istio-cni',
   * 'crd:prometheus-operator', 'storage-class:gp3-encrypted', 'storage-class:(default)',
   * 'nodes:us-east-1a', ...]`. Every requirement of the synthesized objects must be listed, or
   * synth fails (NINES-CAP-01).
   * @default - what the library's AWS cluster provides (RegionalCluster + ClusterAddons with their defaults, see `ninesClusterCapabilities`)
   * @see lib/core/capabilities.ts
   */
  readonly capabilities?: readonly CapabilityName[];
  /**
   * How the service mesh's data plane is put into pods: read by the admission model (what the
   * injector adds to each meshed pod) and by the AWS side (which Istio charts it installs).
   * @default - Istio CNI, classic sidecars
   */
  readonly mesh?: MeshDescription;
  /**
   * The cluster components that produce metrics, installed by the cluster add-ons: read by the
   * signals rules (which metric has a producer) and by the AWS side (what it installs).
   * @default { kubeStateMetrics: true, kubelet: true, nodeExporter: false }
   */
  readonly clusterMetrics?: ClusterMetricsDescription;
  /**
   * Metric sources outside the platform that a Prometheus of the platform reads (e.g. a
   * federated or remote-written source), so alerts on their metrics are known to have data.
   * @default - none
   */
  readonly externalMetrics?: readonly ExternalMetricSource[];
  /**
   * The private DNS zone the regions reach each other's internal endpoints under (e.g.
   * `nines.internal`): on AWS a Route53 private hosted zone associated with every region's VPC,
   * in which external-dns publishes the names internal load balancers ask for
   * (`<service>.<namespace>.<region>.<internalZone>`, see `internalServiceHostOf`). A name under
   * it that the platform uses requires the `dns:<zone>` capability of the region's cluster.
   * Under `.internal`, the top-level name ICANN reserved for private use, so it never collides
   * with a public name.
   * @default - none: no cross-region names (and no cross-region global view by name)
   * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zones-private.html
   * @see https://www.icann.org/en/board-activities-and-meetings/materials/approved-resolutions-special-meeting-of-the-icann-board-29-07-2024-en (.internal)
   */
  readonly internalZone?: string;
}

/** Cluster components that produce metrics (installed by ClusterAddons). */
export interface ClusterMetricsDescription {
  /** kube-state-metrics (`kube_*`). @default true */
  readonly kubeStateMetrics?: boolean;
  /** The kubelet and its cAdvisor scraped (`kubelet_*`, `container_*`). @default true */
  readonly kubelet?: boolean;
  /** node-exporter (`node_*`). @default false */
  readonly nodeExporter?: boolean;
}

/** A metric source outside the platform. */
export interface ExternalMetricSource {
  /** What it is, e.g. `the payments team's Prometheus (federated)`. */
  readonly source: string;
  /** Metric names; a trailing `*` matches a prefix. */
  readonly metrics: readonly string[];
}

/**
 * The mesh's data-plane mode: a platform fact both engines read.
 * @see https://istio.io/latest/docs/setup/additional-setup/cni/
 * @see https://github.com/istio/istio/blob/master/manifests/charts/istio-control/istio-discovery/files/injection-template.yaml
 */
export interface MeshDescription {
  /**
   * The Istio CNI node agent sets up traffic redirection, so injected pods get the
   * unprivileged `istio-validation` init container instead of `istio-init` (which runs as root
   * with NET_ADMIN and NET_RAW, refused by Pod Security `restricted`).
   * @default true
   */
  readonly cni?: boolean;
  /**
   * Sidecars are injected as native sidecars (init containers with `restartPolicy: Always`,
   * Kubernetes >= 1.29, Istio `ENABLE_NATIVE_SIDECARS`).
   * @default false
   */
  readonly nativeSidecars?: boolean;
  /**
   * The mesh-wide `outboundTrafficPolicy` (istiod's `meshConfig.outboundTrafficPolicy.mode`): what a
   * sidecar does with a connection to a host outside the service registry (the cluster's Services
   * and the ServiceEntries) when no `Sidecar` resource of its own sets a mode. `REGISTRY_ONLY`
   * sends it to the BlackHoleCluster (refused); `ALLOW_ANY` forwards it through the
   * PassthroughCluster. The Sidecars the library renders for its services set `REGISTRY_ONLY`
   * themselves whatever this says; this governs the other meshed pods (databases, brokers, poolers
   * without a Sidecar). The traffic model and the AWS side (istiod's values) both read it.
   * @default 'ALLOW_ANY' (Istio's own default)
   * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-OutboundTrafficPolicy-Mode
   * @see https://istio.io/latest/docs/tasks/traffic-management/egress/egress-control/
   */
  readonly outboundTrafficPolicy?: OutboundTrafficPolicyMode;
}

/** Istio's outbound traffic policy modes (MeshConfig and Sidecar `outboundTrafficPolicy.mode`). */
export type OutboundTrafficPolicyMode = 'ALLOW_ANY' | 'REGISTRY_ONLY';

/**
 * The platform-wide settings with every default resolved: the one place the defaults of a
 * description are applied (a `Platform` and a scope without a `RegionChart` both read it).
 */
export interface PlatformSettings {
  readonly meshNamespace: string;
  readonly monitoringNamespace: string;
  readonly chaosNamespace: string;
  readonly flaggerNamespace: string;
  readonly clusterDomain: string;
  readonly kubernetesVersion: string;
  readonly mesh: Required<MeshDescription>;
  readonly clusterMetrics: Required<ClusterMetricsDescription>;
  readonly externalMetrics: readonly ExternalMetricSource[];
  readonly runbookBaseUrl?: string;
  /** The capabilities a cluster brought by the user declares; undefined: the library's AWS cluster. */
  readonly capabilities?: readonly CapabilityName[];
  /** prometheus-operator's governing Service of the monitoring namespace's Prometheus. */
  readonly prometheusUrl: string;
}

/** Resolves the defaults of a (possibly partial) description: see {@link PlatformSettings}. */
export function resolvePlatformSettings(d: Partial<PlatformDescription> = {}): PlatformSettings {
  const monitoringNamespace = d.monitoringNamespace ?? 'monitoring';
  return {
    meshNamespace: d.meshNamespace ?? 'istio-system',
    monitoringNamespace,
    chaosNamespace: d.chaosNamespace ?? 'chaos-mesh',
    flaggerNamespace: d.flaggerNamespace ?? 'flagger-system',
    clusterDomain: d.clusterDomain ?? 'cluster.local',
    kubernetesVersion: d.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION,
    mesh: { cni: d.mesh?.cni ?? true, nativeSidecars: d.mesh?.nativeSidecars ?? false, outboundTrafficPolicy: d.mesh?.outboundTrafficPolicy ?? 'ALLOW_ANY' },
    clusterMetrics: {
      kubeStateMetrics: d.clusterMetrics?.kubeStateMetrics ?? true,
      kubelet: d.clusterMetrics?.kubelet ?? true,
      nodeExporter: d.clusterMetrics?.nodeExporter ?? false,
    },
    externalMetrics: d.externalMetrics ?? [],
    runbookBaseUrl: d.runbookBaseUrl,
    capabilities: d.capabilities ? [...d.capabilities] : undefined,
    prometheusUrl: prometheusUrlOf(monitoringNamespace),
  };
}

/**
 * The in-cluster URL of the Prometheus that prometheus-operator runs in `monitoringNamespace`:
 * its governing Service `prometheus-operated`, named `<service>.<namespace>.svc` so it resolves
 * from every namespace (a bare `<service>.<namespace>` depends on the pod's search path).
 * @see prometheus-operator pkg/prometheus (`governingServiceName = "prometheus-operated"`)
 * @see https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#namespaces-of-services
 */
export function prometheusUrlOf(monitoringNamespace: string): string {
  return `http://prometheus-operated.${monitoringNamespace}.svc:9090`;
}

/**
 * Problems with a runbook base URL: it must be an absolute https URL without query or fragment,
 * so `${base}/<slug>` is a page.
 */
export function runbookBaseUrlProblems(value: unknown, prop: string = 'runbookBaseUrl'): Problem[] {
  let ok = false;
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      ok = url.protocol === 'https:' && url.hostname !== '' && url.search === '' && url.hash === '' && !value.includes('?') && !value.includes('#');
    } catch {
      ok = false;
    }
  }
  return ok ? [] : [{
    prop,
    value,
    why: 'is not an absolute https URL without query or fragment',
    fix: 'give the URL dist/runbooks/ is published at, e.g. "https://wiki.example.com/runbooks"',
  }];
}

/**
 * The `runbook_url` annotation of an alert: `{ runbook_url: '<base>/<prefix>-<alert in kebab case>' }`
 * (`PostgresDiskFullIn4h` of prefix `orders-orders-db` links `<base>/orders-orders-db-postgres-disk-full-in-4h`), or `{}`
 * when no base is known.
 */
export function runbookAnnotation(base: string | undefined, prefix: string, alert: string): { runbook_url?: string } {
  if (base === undefined) return {};
  const kebab = alert.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([a-z])([0-9])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();
  return { runbook_url: `${base.replace(/\/+$/, '')}/${prefix}-${kebab}` };
}

/**
 * Problems with an IANA time zone name (checked against the runtime's zone database, the tz
 * database Chaos Mesh's `CRON_TZ=` and Kubernetes CronJob `timeZone` read too).
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones
 */
export function timeZoneProblems(prop: string, tz: unknown): Problem[] {
  if (tz === undefined) return [];
  let ok = typeof tz === 'string' && /^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(tz);
  if (ok) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz as string });
    } catch {
      ok = false;
    }
  }
  return ok ? [] : [{ prop, value: tz, why: 'is not an IANA time zone', fix: 'use e.g. "America/New_York" or "UTC"' }];
}

/** One region of the platform. */
export interface RegionDescription {
  /** AWS region name, e.g. `us-east-1`. */
  readonly name: string;
  /**
   * Availability zones the region's workloads spread over, e.g. `['us-east-1a', 'us-east-1b', 'us-east-1c']`.
   * At least 2; the case study runs 3 per region (12 zones over 4 regions).
   */
  readonly zones: readonly string[];
  /** The region's VPC CIDR (read by the AWS side; disjoint across regions). */
  readonly vpcCidr?: string;
  /**
   * The region's local IANA time zone, e.g. `America/New_York`: chaos presets and game days
   * schedule their crons in it (local business hours) unless given their own.
   * @default - none: the crons run in the controller's time zone (UTC)
   * @see https://www.iana.org/time-zones
   */
  readonly timeZone?: string;
  /**
   * The region's log store (Elasticsearch/OpenSearch API) the LogShipper writes to: `host` or
   * `host:port`, reachable inside the region's VPC (e.g. an OpenSearch VPC domain). The platform
   * does not run one: bring it, and name it here.
   * @default - none (the reference platform renders a documentation placeholder, which `pulumi preview` refuses)
   * @see https://docs.fluentbit.io/manual/pipeline/outputs/elasticsearch
   */
  readonly logStore?: string;
  /**
   * The region's trace backend (OTLP gRPC, `host:port`) the TraceCollector exports to, reachable
   * inside the region's VPC (e.g. a Tempo or Jaeger distributor behind an internal load
   * balancer). The platform does not run one: bring it, and name it here.
   * @default - none (the reference platform renders a documentation placeholder, which `pulumi preview` refuses)
   * @see https://opentelemetry.io/docs/specs/otlp/
   */
  readonly traceBackend?: string;
}


/** A validated region. */
export class Region {
  constructor(
    /** The platform this region belongs to. */
    public readonly platform: Platform,
    /** Region name, e.g. `us-east-1`. */
    public readonly name: string,
    /** Zones, in the order given. */
    public readonly zones: readonly string[],
    /** VPC CIDR, when given. */
    public readonly vpcCidr?: string,
    /** Local IANA time zone, when given. */
    public readonly timeZone?: string,
    /** The log store (`host[:port]`), when given. */
    public readonly logStore?: string,
    /** The trace backend (`host:port`), when given. */
    public readonly traceBackend?: string,
  ) {}
}

/** Runtime types of a {@link PlatformDescription} (read from JSON or YAML as often as typed). */
const PLATFORM_DESCRIPTION_TYPES: PropTypes = {
  // capabilities has a check of its own, with the capability names in its fix
  environment: 'string',
  regions: [{ name: 'string', zones: ['string'], vpcCidr: 'string', timeZone: 'string', logStore: 'string', traceBackend: 'string' }],
  meshNamespace: 'string',
  monitoringNamespace: 'string',
  clusterDomain: 'string',
  runbookBaseUrl: 'string',
  chaosNamespace: 'string',
  flaggerNamespace: 'string',
  kubernetesVersion: 'string',
  mesh: { cni: 'boolean', nativeSidecars: 'boolean', outboundTrafficPolicy: 'string' },
  clusterMetrics: { kubeStateMetrics: 'boolean', kubelet: 'boolean', nodeExporter: 'boolean' },
  externalMetrics: [{ source: 'string', metrics: ['string'] }],
  internalZone: 'string',
};

/** A validated platform description. */
export class Platform implements PlatformSettings {
  /**
   * Validates a description (every problem at once) and returns the platform.
   * @throws ValidationError naming each bad field, its value and the fix.
   */
  public static fromDescription(given: PlatformDescription): Platform {
    const name = typeof given?.environment === 'string' ? given.environment : '<unnamed>';
    // Casts past the types (untyped JSON, `as any`) are problems, never a TypeError further down:
    // a value of the wrong type is taken out (a list item with it dropped) and the rest is checked
    // as usual, so its problems are reported together with the type problems.
    const { props: description, problems: typeProblems } = typedProps(given, PLATFORM_DESCRIPTION_TYPES);
    if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new ValidationError('Platform', name, typeProblems);
    const problems = new Problems('Platform', name);
    problems.when(!isDnsLabel(description.environment), 'environment', description.environment,
      'is not a DNS label', 'use lower-case letters, digits and "-", e.g. "production"');
    const regions = description.regions ?? [];
    problems.when(regions.length === 0, 'regions', regions, 'is empty', 'declare at least one region with its zones');
    const seenRegions = new Set<string>();
    const seenZones = new Set<string>();
    const vpcBlocks: Array<{ at: string; cidr: string; block: Ipv4Block }> = [];
    regions.forEach((r, i) => {
      const at = `regions[${i}]`;
      problems.when(!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(String(r.name)), `${at}.name`, r.name,
        'is not a region name', 'use an AWS region name such as "us-east-1"');
      problems.when(seenRegions.has(r.name), `${at}.name`, r.name, 'is declared twice', 'declare each region once');
      seenRegions.add(r.name);
      const zones = r.zones ?? [];
      problems.when(zones.length < 2, `${at}.zones`, zones,
        'has fewer than 2 zones, so one zone outage takes the region down',
        'list at least 2 (the case study uses 3) availability zones');
      for (const z of zones) {
        problems.when(seenZones.has(z), `${at}.zones`, z, 'is listed twice', 'list each zone once');
        seenZones.add(z);
        problems.when(typeof z !== 'string' || !z.startsWith(String(r.name)), `${at}.zones`, z,
          `is not a zone of region ${JSON.stringify(r.name)}`, `use zone names of the region, e.g. "${r.name}a"`);
      }
      problems.addAll(timeZoneProblems(`${at}.timeZone`, r.timeZone));
      problems.when(r.logStore !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$/.test(r.logStore), `${at}.logStore`, r.logStore,
        'is not a host or host:port', 'give the log store\'s DNS name, e.g. "vpc-logs-abc123.us-east-1.es.amazonaws.com:443"');
      problems.when(r.traceBackend !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:\d{1,5}$/.test(r.traceBackend), `${at}.traceBackend`, r.traceBackend,
        'is not a host:port OTLP gRPC endpoint', 'give e.g. "tempo-distributor.tracing.corp.net:4317"');
      if (r.vpcCidr !== undefined) {
        const block = parseIpv4Block(r.vpcCidr);
        if (!block) {
          problems.add(`${at}.vpcCidr`, r.vpcCidr, 'is not an IPv4 CIDR block (a.b.c.d/n with no host bits set)',
            'use a private block such as "10.10.0.0/16"');
        } else if (block.prefix < VPC_PREFIX_RANGE.largest || block.prefix > VPC_PREFIX_RANGE.smallest) {
          problems.add(`${at}.vpcCidr`, r.vpcCidr, `has prefix /${block.prefix}, outside the /16 to /28 AWS allows for a VPC`,
            'use a block between /16 and /28 (the CIDR plan wants /16 to /22)');
        } else {
          for (const other of vpcBlocks.filter(o => blocksOverlap(o.block, block))) {
            problems.add(`${at}.vpcCidr`, r.vpcCidr, `overlaps ${other.at}.vpcCidr (${JSON.stringify(other.cidr)}), so the regions cannot be peered or routed to each other`,
              'give every region a disjoint block (e.g. "10.10.0.0/16", "10.20.0.0/16", ...)');
          }
          vpcBlocks.push({ at, cidr: r.vpcCidr, block });
        }
      }
    });
    for (const ns of ['meshNamespace', 'monitoringNamespace', 'chaosNamespace', 'flaggerNamespace'] as const) {
      const v = description[ns];
      if (v !== undefined) problems.when(!isDnsLabel(v), ns, v, 'is not a namespace name', 'use a DNS label');
    }
    if (description.runbookBaseUrl !== undefined) problems.addAll(runbookBaseUrlProblems(description.runbookBaseUrl));
    const outbound = description.mesh?.outboundTrafficPolicy;
    problems.when(outbound !== undefined && outbound !== 'ALLOW_ANY' && outbound !== 'REGISTRY_ONLY', 'mesh.outboundTrafficPolicy', outbound,
      'is not an Istio outbound traffic policy mode', 'use "REGISTRY_ONLY" (only registered hosts) or "ALLOW_ANY"');
    problems.when(description.internalZone !== undefined
      && !/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$/.test(description.internalZone), 'internalZone', description.internalZone,
    'is not a DNS zone name (lower-case labels separated by dots)', 'use e.g. "nines.internal"');
    if (description.kubernetesVersion !== undefined) {
      problems.when(!/^1\.\d{2}$/.test(String(description.kubernetesVersion)), 'kubernetesVersion', description.kubernetesVersion,
        'is not a Kubernetes minor version', `use "1.NN", e.g. "${DEFAULT_KUBERNETES_VERSION}"`)
      || problems.when(eksSupportOf(description.kubernetesVersion) === undefined, 'kubernetesVersion', description.kubernetesVersion,
        'is not in EKS\'s release calendar (EKS_RELEASE_CALENDAR), so its support window and schema are unknown',
        `use one of ${EKS_RELEASE_CALENDAR.map(v => JSON.stringify(v.version)).join(', ')} (default ${JSON.stringify(DEFAULT_KUBERNETES_VERSION)}), or add the version with its dates from the EKS calendar`);
    }
    // Names both engines derive from the environment and each region: the backup bucket
    // `nines-<environment>-<region>-db-backup` (an S3 bucket name, at most 63 characters) and the
    // cluster name `<environment>-<region>`, which is also every metric's `cluster` label value
    // (at most 63): reported here, on the environment, not later on the bucket or the label.
    // @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html ("between 3 and 63 characters long")
    if (isDnsLabel(description.environment)) {
      const named = regions.filter(r => typeof r?.name === 'string').map(r => ({ name: r.name, platform: { environment: description.environment } }));
      problems.addAll(derivedNameProblems('environment', description.environment, named.flatMap(r => [
        { value: backupBucketNameOf(r), what: `the backup bucket of ${r.name}`, limit: 63 },
        { value: clusterNameOf(r), what: `the cluster name of ${r.name} (every metric's cluster label)`, limit: 63 },
      ])));
    }
    if (description.capabilities !== undefined) {
      problems.when(!Array.isArray(description.capabilities) || description.capabilities.some(c => typeof c !== 'string' || c === ''),
        'capabilities', description.capabilities, 'is not a list of capability names', 'list names such as "network-policy", "mesh:istio" (see Capability)');
    }
    const all = withTypeProblems(typeProblems, problems.all);
    if (all.length > 0) throw new ValidationError('Platform', name, all);
    return new Platform(description);
  }

  /** Environment name. */
  public readonly environment: string;
  /** Regions in declaration order. */
  public readonly regions: readonly Region[];
  public readonly meshNamespace: string;
  public readonly monitoringNamespace: string;
  public readonly chaosNamespace: string;
  public readonly flaggerNamespace: string;
  public readonly clusterDomain: string;
  public readonly kubernetesVersion: string;
  public readonly mesh: Required<MeshDescription>;
  public readonly clusterMetrics: Required<ClusterMetricsDescription>;
  public readonly externalMetrics: readonly ExternalMetricSource[];
  public readonly runbookBaseUrl?: string;
  public readonly capabilities?: readonly CapabilityName[];
  public readonly prometheusUrl: string;
  /** The private DNS zone of the regions' internal names, when declared. */
  public readonly internalZone?: string;

  private constructor(description: PlatformDescription) {
    this.environment = description.environment;
    const settings = resolvePlatformSettings(description);
    this.meshNamespace = settings.meshNamespace;
    this.monitoringNamespace = settings.monitoringNamespace;
    this.chaosNamespace = settings.chaosNamespace;
    this.flaggerNamespace = settings.flaggerNamespace;
    this.clusterDomain = settings.clusterDomain;
    this.kubernetesVersion = settings.kubernetesVersion;
    this.mesh = settings.mesh;
    this.clusterMetrics = settings.clusterMetrics;
    this.externalMetrics = settings.externalMetrics;
    this.runbookBaseUrl = settings.runbookBaseUrl;
    this.capabilities = settings.capabilities;
    this.prometheusUrl = settings.prometheusUrl;
    this.internalZone = description.internalZone;
    this.regions = description.regions.map(r => new Region(this, r.name, [...r.zones], r.vpcCidr, r.timeZone, r.logStore, r.traceBackend));
  }

  /** The region with this name. */
  public region(name: string): Region {
    const r = this.regions.find(x => x.name === name);
    if (!r) {
      throw new Error(`Platform '${this.environment}': no region ${JSON.stringify(name)}; known regions: ${this.regions.map(x => x.name).join(', ')}`);
    }
    return r;
  }

  /** Every zone of every region. */
  public get zones(): readonly string[] {
    return this.regions.flatMap(r => r.zones);
  }
}

/** The settings of a platform without a description: every default. */
const DEFAULT_SETTINGS: PlatformSettings = resolvePlatformSettings();

/**
 * The resolved settings of `region`'s platform, or the defaults where there is no region (a
 * construct outside a RegionChart, a VPC built without a platform): the one fallback both
 * engines and the check pass use.
 */
export function platformSettingsOf(region: Region | undefined): PlatformSettings {
  return region?.platform ?? DEFAULT_SETTINGS;
}
