/**
 * The Kubernetes version of the platform: EKS's release calendar, the add-ons' supported ranges
 * and the object fields a version does not have. Pure data and functions (no cdk8s, no Pulumi),
 * read by the check pass (lib/checks) and by the AWS side (lib/aws).
 */
import { Problem } from './errors';

/** A Kubernetes minor version, `"1.NN"`. */
export type KubernetesMinor = string;

/** The minor number of `"1.NN"` (NaN when malformed). */
export function minorOf(version: KubernetesMinor): number {
  const m = /^1\.(\d{2})$/.exec(String(version));
  return m ? Number(m[1]) : NaN;
}

/** True when `version` is `minimum` or later. */
export function atLeast(version: KubernetesMinor, minimum: KubernetesMinor): boolean {
  return minorOf(version) >= minorOf(minimum);
}

/** One Kubernetes minor version on EKS. */
export interface EksVersionSupport {
  readonly version: KubernetesMinor;
  /** Released on EKS (ISO date). */
  readonly released: string;
  /** Last day of standard support ($0.10 per cluster hour). */
  readonly endOfStandardSupport: string;
  /** Last day of extended support ($0.60 per cluster hour); after it EKS upgrades the cluster itself. */
  readonly endOfExtendedSupport: string;
}

/**
 * EKS's release calendar: standard support lasts 14 months from a version's release on EKS,
 * extended support 12 more months.
 * @see https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html (the "Amazon EKS Kubernetes release calendar")
 * @see https://endoflife.date/amazon-eks (the same dates, machine-readable)
 */
export const EKS_RELEASE_CALENDAR: readonly EksVersionSupport[] = [
  { version: '1.31', released: '2024-09-26', endOfStandardSupport: '2025-11-26', endOfExtendedSupport: '2026-11-26' },
  { version: '1.32', released: '2025-01-25', endOfStandardSupport: '2026-03-23', endOfExtendedSupport: '2027-03-23' },
  { version: '1.33', released: '2025-05-28', endOfStandardSupport: '2026-07-29', endOfExtendedSupport: '2027-07-29' },
  { version: '1.34', released: '2025-10-06', endOfStandardSupport: '2026-12-02', endOfExtendedSupport: '2027-12-02' },
  { version: '1.35', released: '2026-01-28', endOfStandardSupport: '2027-03-27', endOfExtendedSupport: '2028-03-27' },
];

/**
 * The Kubernetes minor version a platform runs when its description names none: 1.35, in EKS
 * standard support until 2027-03-27 (1.34's ended on 2026-12-02). Every add-on pin of lib/aws
 * supports it (see {@link ADDON_KUBERNETES_SUPPORT}); schedule the upgrade to the next minor
 * before that date, or the control plane bills at the extended-support price.
 */
export const DEFAULT_KUBERNETES_VERSION: KubernetesMinor = '1.35';

/** The EKS support window of `version`, when the calendar knows it. */
export function eksSupportOf(version: KubernetesMinor): EksVersionSupport | undefined {
  return EKS_RELEASE_CALENDAR.find(v => v.version === version);
}

/** Where an EKS version stands on `date` (ISO `YYYY-MM-DD`). */
export function eksSupportStatus(version: KubernetesMinor, date: string): 'standard' | 'extended' | 'unsupported' | 'unknown' {
  const s = eksSupportOf(version);
  if (!s) return 'unknown';
  if (date < s.released) return 'unsupported';
  if (date <= s.endOfStandardSupport) return 'standard';
  if (date <= s.endOfExtendedSupport) return 'extended';
  return 'unsupported';
}

// ---------------------------------------------------------------------------------------------
// Add-ons
// ---------------------------------------------------------------------------------------------

/** The Kubernetes versions one release of an add-on supports, as its documentation states them. */
export interface AddonKubernetesRange {
  /** The add-on's release (application version, not the chart's). */
  readonly release: string;
  /** Oldest supported Kubernetes minor. */
  readonly min: KubernetesMinor;
  /** Newest supported Kubernetes minor; undefined when the documentation states a minimum only. */
  readonly max?: KubernetesMinor;
}

/** One add-on: its documented compatibility per release line, and where that is documented. */
export interface AddonCompatibility {
  /** Human name, e.g. `Istio`. */
  readonly name: string;
  /** The page the ranges below are taken from. */
  readonly doc: string;
  /** Maps a chart version to the release line it installs (e.g. chart `1.13.0` -> `v2.13`). */
  readonly releaseOf: (chartVersion: string) => string;
  /** Documented ranges by release line. */
  readonly ranges: readonly AddonKubernetesRange[];
}

const majorMinor = (v: string) => v.split('.').slice(0, 2).join('.');
/** Where prometheus-operator documents its range, and its release lines (the major version), for both of its charts. */
const PROMETHEUS_OPERATOR = { doc: 'https://prometheus-operator.dev/docs/platform/compatibility/', releaseOf: (v: string) => v.split('.')[0] };
/** Where Flagger documents its range, and its release lines, for Flagger and its load tester. */
const FLAGGER = { doc: 'https://docs.flagger.app/install/flagger-install-on-kubernetes', releaseOf: majorMinor };

/**
 * Each add-on ClusterAddons installs, keyed like its chart-version pin, with the Kubernetes range
 * its documentation gives for each release line. A pin whose line is not listed, or whose range
 * excludes the platform's version, is an error ({@link addonVersionProblems}).
 */
export const ADDON_KUBERNETES_SUPPORT: Readonly<Record<string, AddonCompatibility>> = {
  istio: {
    name: 'Istio',
    // "Support status of Istio releases": the "Supported Kubernetes Versions" column.
    doc: 'https://istio.io/latest/docs/releases/supported-releases/#support-status-of-istio-releases',
    releaseOf: majorMinor,
    ranges: [
      { release: '1.24', min: '1.28', max: '1.31' },
      { release: '1.28', min: '1.30', max: '1.34' },
      { release: '1.29', min: '1.31', max: '1.35' },
      { release: '1.30', min: '1.32', max: '1.36' },
    ],
  },
  certManager: {
    name: 'cert-manager',
    // "Supported releases": the "Supported Kubernetes / OpenShift Versions" column (chart versions carry a "v").
    doc: 'https://cert-manager.io/docs/releases/',
    releaseOf: v => majorMinor(v.replace(/^v/, '')),
    ranges: [
      { release: '1.20', min: '1.32', max: '1.35' },
      { release: '1.21', min: '1.33', max: '1.36' },
    ],
  },
  externalDns: {
    name: 'external-dns',
    // README "Kubernetes version compatibility": releases >= 0.18 need Kubernetes >= 1.21 (EndpointSlices)
    // and state no upper bound. The chart's version maps to the application's: chart 1.21.x installs v0.21.
    // @see https://github.com/kubernetes-sigs/external-dns/blob/master/charts/external-dns/Chart.yaml (version 1.21.1, appVersion 0.21.0)
    doc: 'https://github.com/kubernetes-sigs/external-dns#kubernetes-version-compatibility',
    releaseOf: v => ({ '1.20': '0.20', '1.21': '0.21' } as Record<string, string>)[majorMinor(v)] ?? `chart ${majorMinor(v)}`,
    ranges: [
      { release: '0.20', min: '1.21' },
      { release: '0.21', min: '1.21' },
    ],
  },
  karpenter: {
    name: 'Karpenter',
    // "Compatibility Matrix" (Kubernetes version -> minimum Karpenter release), generated from
    // hack/docs/compatibilitymatrix_gen/compatibility.yaml (minK8sVersion / maxK8sVersion per appVersion).
    // @see https://github.com/aws/karpenter-provider-aws/blob/main/hack/docs/compatibilitymatrix_gen/compatibility.yaml
    doc: 'https://karpenter.sh/docs/upgrading/compatibility/',
    releaseOf: majorMinor,
    ranges: [
      { release: '1.8', min: '1.26', max: '1.34' },
      { release: '1.9', min: '1.26', max: '1.35' },
      { release: '1.10', min: '1.26', max: '1.35' },
      { release: '1.11', min: '1.26', max: '1.35' },
    ],
  },
  awsLoadBalancerController: {
    name: 'AWS Load Balancer Controller',
    // Release notes of each v2.x: "requires Kubernetes 1.22+"; chart 1.N.x installs controller v2.N.x.
    doc: 'https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/installation/#supported-kubernetes-versions',
    releaseOf: v => `2.${v.split('.')[1]}`,
    ranges: [
      { release: '2.10', min: '1.22' },
      { release: '2.13', min: '1.22' },
    ],
  },
  kubePrometheusStack: {
    name: 'prometheus-operator (kube-prometheus-stack)',
    // prometheus-operator's compatibility page: the operator talks to the API through client-go and
    // supports the versions of its client-go matrix; the chart requires kubeVersion >=1.19.
    ...PROMETHEUS_OPERATOR,
    ranges: [{ release: '66', min: '1.19' }],
  },
  prometheusOperatorCrds: { name: 'prometheus-operator CRDs', ...PROMETHEUS_OPERATOR, ranges: [{ release: '16', min: '1.19' }] },
  chaosMesh: {
    name: 'Chaos Mesh',
    // "Supported Kubernetes versions" of Chaos Mesh 2.x: 1.15 or later.
    doc: 'https://chaos-mesh.org/docs/supported-releases/',
    releaseOf: majorMinor,
    ranges: [
      { release: '2.7', min: '1.15' },
    ],
  },
  flagger: {
    name: 'Flagger',
    // "Prerequisites: Flagger requires a Kubernetes cluster v1.16 or newer".
    ...FLAGGER,
    ranges: [{ release: '1.38', min: '1.16' }],
  },
  flaggerLoadtester: { name: 'Flagger load tester', ...FLAGGER, ranges: [{ release: '0.33', min: '1.16' }] },
};

/**
 * Problems with add-on pins for a Kubernetes version: a pin of an unknown release line, or one
 * whose documented range excludes the version. `pins` maps an {@link ADDON_KUBERNETES_SUPPORT}
 * key to a chart version; keys without an entry are ignored.
 */
export function addonVersionProblems(kubernetesVersion: KubernetesMinor, pins: Readonly<Record<string, string | undefined>>, prop = 'versions'): Problem[] {
  const problems: Problem[] = [];
  for (const [key, chart] of Object.entries(pins)) {
    const addon = ADDON_KUBERNETES_SUPPORT[key];
    if (!addon || chart === undefined) continue;
    const release = addon.releaseOf(chart);
    const range = addon.ranges.find(r => r.release === release);
    const known = addon.ranges.map(r => `${r.release} (${r.min}-${r.max ?? ''})`).join(', ');
    if (!range) {
      problems.push({
        prop: `${prop}.${key}`,
        value: chart,
        why: `installs ${addon.name} ${release}, whose supported Kubernetes versions are not recorded (${addon.doc})`,
        fix: `pin a release with a recorded range: ${known}, or add its range from the documentation to ADDON_KUBERNETES_SUPPORT`,
      });
      continue;
    }
    const v = minorOf(kubernetesVersion);
    if (v < minorOf(range.min) || (range.max !== undefined && v > minorOf(range.max))) {
      problems.push({
        prop: `${prop}.${key}`,
        value: chart,
        why: `installs ${addon.name} ${release}, which supports Kubernetes ${range.min}${range.max ? `-${range.max}` : ' or later'}, not ${kubernetesVersion} (${addon.doc})`,
        fix: `pin a release that supports ${kubernetesVersion} (recorded: ${known}), or change kubernetesVersion`,
      });
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Fields a version does not have
// ---------------------------------------------------------------------------------------------

/** A field of a pod spec that exists (enabled by default) only from some Kubernetes version. */
export interface VersionGatedField {
  /** What the field is, for the message. */
  readonly field: string;
  /** First minor in which the API server accepts it by default. */
  readonly since: KubernetesMinor;
  /** The upstream page that dates it. */
  readonly doc: string;
  /** Where it is used in a pod spec (paths of the uses, empty when absent). */
  readonly usesIn: (podSpec: any) => string[];
}

const containersWithPath = (spec: any): Array<{ c: any; at: string }> =>
  ['initContainers', 'containers'].flatMap(list => (spec?.[list] ?? []).map((c: any, i: number) => ({ c, at: `${list}[${i}]` })));

/**
 * Pod-spec fields the library emits that older Kubernetes versions do not have (the API server
 * drops or refuses them while their feature gate is off).
 */
export const VERSION_GATED_FIELDS: readonly VersionGatedField[] = [
  {
    field: 'lifecycle.preStop.sleep (the kubelet\'s sleep action, feature PodLifecycleSleepAction)',
    since: '1.30',
    doc: 'https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/#hook-handler-implementations',
    usesIn: spec => containersWithPath(spec).flatMap(({ c, at }) =>
      ['preStop', 'postStart'].filter(h => c?.lifecycle?.[h]?.sleep !== undefined).map(h => `${at}.lifecycle.${h}.sleep`)),
  },
  {
    field: 'lifecycle.preStop.sleep.seconds 0 (feature PodLifecycleSleepActionAllowZero)',
    since: '1.33',
    doc: 'https://kubernetes.io/docs/reference/command-line-tools-reference/feature-gates/',
    usesIn: spec => containersWithPath(spec).flatMap(({ c, at }) =>
      ['preStop', 'postStart'].filter(h => c?.lifecycle?.[h]?.sleep?.seconds === 0).map(h => `${at}.lifecycle.${h}.sleep.seconds`)),
  },
  {
    field: 'initContainers[].restartPolicy "Always" (native sidecar containers, feature SidecarContainers)',
    since: '1.29',
    doc: 'https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/',
    usesIn: spec => (spec?.initContainers ?? []).flatMap((c: any, i: number) => (c?.restartPolicy === 'Always' ? [`initContainers[${i}].restartPolicy`] : [])),
  },
];

/** The uses in `podSpec` of fields `version` does not have, each with the field's description. */
export function fieldsNewerThan(version: KubernetesMinor, podSpec: any): Array<{ at: string; field: VersionGatedField }> {
  return VERSION_GATED_FIELDS.filter(f => !atLeast(version, f.since))
    .flatMap(field => field.usesIn(podSpec).map(at => ({ at, field })));
}
