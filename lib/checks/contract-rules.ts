/**
 * The rules that hold the objects to the cluster they run on: the capability contract
 * (lib/core/capabilities.ts) and the platform's Kubernetes version (lib/core/kubernetes-version.ts).
 */
import { CheckedObject, ObjectIndex, WORKLOAD_KINDS, podSpecOf } from './object-index';
import type { Rule, RuleResult } from './rules';
import { PeakCapacity, regionCapacity } from '../core/addon-capacity';
import { CapabilityName, fixFor, ninesClusterCapabilities, requirementContextOf, requirementsOf } from '../core/capabilities';
import { M6I_XLARGE } from '../core/capacity';
import { fieldsNewerThan } from '../core/kubernetes-version';
import { Platform, Region, platformSettingsOf } from '../core/platform';

const PROVIDED = new WeakMap<Region, ReadonlySet<CapabilityName>>();

/** What the cluster of `region` provides: the platform's declared capabilities, or the library's AWS cluster. */
export function capabilitiesOf(region: Region): ReadonlySet<CapabilityName> {
  let set = PROVIDED.get(region);
  if (!set) {
    const p: Platform = region.platform;
    // The library's AWS side peers every region with every other and associates the private zone with each VPC.
    const between = { peers: p.regions.filter(r => r.name !== region.name).map(r => r.name), internalZone: p.internalZone };
    set = new Set(p.capabilities ?? ninesClusterCapabilities(region.zones, p.mesh.cni, between).map(x => x.capability));
    PROVIDED.set(region, set);
  }
  return set;
}

const PEAKS = new WeakMap<ObjectIndex, Map<Region, PeakCapacity>>();

/**
 * The region's peak (every HPA at its maxReplicas) against the static nodes the capacity model sizes
 * for it (the library's default add-ons, Karpenter's controller among them, on m6i.xlarge), computed
 * once per region from the app's objects of that region.
 */
function peakOf(index: ObjectIndex, region: Region): PeakCapacity {
  let byRegion = PEAKS.get(index);
  if (!byRegion) {
    byRegion = new Map();
    PEAKS.set(index, byRegion);
  }
  let peak = byRegion.get(region);
  if (!peak) {
    const objects = [...index.byRef.values()].filter(o => o.region === region).map(o => o.json);
    peak = regionCapacity(objects, { zones: region.zones.length, meshCni: region.platform.mesh.cni }, M6I_XLARGE).peak;
    byRegion.set(region, peak);
  }
  return peak;
}

/** The contract and version rules. */
export const CONTRACT_RULES: readonly Rule[] = [
  {
    id: 'NINES-CAP-01',
    severity: 'error',
    description: 'Every capability an object requires of the cluster is provided (platform capabilities, or the library\'s AWS cluster)',
    check(o: CheckedObject, index: ObjectIndex): RuleResult[] {
      const region = o.region;
      if (!region) return []; // outside a RegionChart the cluster is unknown
      const provided = capabilitiesOf(region);
      const peak = o.kind === 'HorizontalPodAutoscaler' ? peakOf(index, region) : undefined;
      return requirementsOf(o.json, { ...requirementContextOf(region), peak })
        .filter(r => !provided.has(r.capability))
        .map(r => ({
          message: `requires ${JSON.stringify(r.capability)} (${r.why}), which the cluster of ${region.name} does not provide`,
          fix: fixFor(r.capability),
        }));
    },
  },
  {
    id: 'NINES-VER-01',
    severity: 'error',
    description: 'Pods use only fields the platform\'s Kubernetes version has',
    appliesTo: WORKLOAD_KINDS,
    check(o: CheckedObject): RuleResult[] {
      const version = platformSettingsOf(o.region).kubernetesVersion;
      return fieldsNewerThan(version, podSpecOf(o)).map(({ at, field }) => ({
        message: `${at} uses ${field.field}, which Kubernetes ${version} does not have (since ${field.since}; ${field.doc})`,
        fix: `raise the platform's kubernetesVersion to ${field.since} or later, or use an exec preStop / a regular container instead`,
      }));
    },
  },
];
