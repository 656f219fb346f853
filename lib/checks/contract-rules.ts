/**
 * The rules that hold the objects to the cluster they run on: the capability contract
 * (lib/core/capabilities.ts) and the platform's Kubernetes version (lib/core/kubernetes-version.ts).
 */
import { CheckedObject, WORKLOAD_KINDS, podSpecOf } from './object-index';
import type { Rule, RuleResult } from './rules';
import { CapabilityName, fixFor, ninesClusterCapabilities, requirementsOf } from '../core/capabilities';
import { fieldsNewerThan } from '../core/kubernetes-version';
import { Platform, Region, platformSettingsOf } from '../core/platform';

const PROVIDED = new WeakMap<Region, ReadonlySet<CapabilityName>>();

/** What the cluster of `region` provides: the platform's declared capabilities, or the library's AWS cluster. */
export function capabilitiesOf(region: Region): ReadonlySet<CapabilityName> {
  let set = PROVIDED.get(region);
  if (!set) {
    const p: Platform = region.platform;
    set = new Set(p.capabilities ?? ninesClusterCapabilities(region.zones, p.mesh.cni).map(x => x.capability));
    PROVIDED.set(region, set);
  }
  return set;
}

/** The contract and version rules. */
export const CONTRACT_RULES: readonly Rule[] = [
  {
    id: 'NINES-CAP-01',
    severity: 'error',
    description: 'Every capability an object requires of the cluster is provided (platform capabilities, or the library\'s AWS cluster)',
    check(o: CheckedObject): RuleResult[] {
      const region = o.region;
      if (!region) return []; // outside a RegionChart the cluster is unknown
      const provided = capabilitiesOf(region);
      return requirementsOf(o.json, { meshCni: region.platform.mesh.cni, zones: region.zones })
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
