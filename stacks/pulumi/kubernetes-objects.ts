import { ApiObject, Chart } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { Checks } from '../../lib/checks/checks';
import { Requirement, requirementContextOf, requirementsOf } from '../../lib/core/capabilities';
import { WorkloadRequests, workloadRequests } from '../../lib/core/capacity';
import { Platform } from '../../lib/core/platform';
import { ReferenceOptions, buildRegion } from '../reference-platform';

/** One cdk8s chart's objects, synthesized in-process. */
export interface ChartObjects {
  /** The chart id (`cluster`, `services`). */
  readonly chart: string;
  /** Plain Kubernetes objects, in the order cdk8s writes them. */
  readonly objects: readonly Record<string, any>[];
}

/** A region's synthesized objects and what the AWS side must know about them. */
export interface RegionObjects {
  /** Each chart's objects, in app order. */
  readonly charts: readonly ChartObjects[];
  /** The service accounts of the region's database clusters (members and backup jobs), which write backups. */
  readonly backupServiceAccounts: readonly { readonly namespace: string; readonly name: string }[];
  /**
   * What the objects require of the cluster (the capability contract), each with the object
   * (`Kind/namespace/name`) that requires it; objects whose NINES-CAP-01 is suppressed (with a
   * reason printed at synth) are left out, as the check pass leaves them out.
   */
  readonly requirements: ReadonlyArray<Requirement & { readonly object: string }>;
  /** Steady-state requests of the region's pods, injected istio-proxy sidecars included (what the nodes are sized from). */
  readonly requests: readonly WorkloadRequests[];
}

const key = (apiVersion: string, kind: string, namespace: string | undefined, name: string | undefined) =>
  `${apiVersion}/${kind}/${namespace ?? ''}/${name ?? ''}`;

/**
 * Synthesizes a region of the reference platform in-process, exactly as `cdk8s synth` does (one
 * synth: the synth-time check pass runs and any error throws), and returns each chart's objects,
 * so they can be applied chart by chart (cluster-wide objects and namespaces before services),
 * and the database service accounts the backup role must trust.
 */
export function regionObjects(platform: Platform, regionName: string, options: ReferenceOptions = {}): RegionObjects {
  const { app, databases } = buildRegion(platform, regionName, undefined, options);
  const docs: Record<string, any>[] = parseAllDocuments(app.synthYaml()).map(d => d.toJS())
    .filter(o => o && typeof o === 'object');
  const owner = new Map<string, string>();
  const region = platform.region(regionName);
  const contractFree = new Set<string>();
  for (const chart of app.charts) {
    for (const c of chart.node.findAll()) {
      if (c instanceof ApiObject && Chart.of(c) === chart) {
        owner.set(key(c.apiVersion, c.kind, c.metadata.namespace, c.name), chart.node.id);
        if (Checks.isSuppressed(c, 'NINES-CAP-01')) contractFree.add(key(c.apiVersion, c.kind, c.metadata.namespace, c.name));
      }
    }
  }
  const requirements = docs
    .filter(d => !contractFree.has(key(d.apiVersion, d.kind, d.metadata?.namespace, d.metadata?.name)))
    .flatMap(d => requirementsOf(d, requirementContextOf(region))
      .map(r => ({ ...r, object: `${d.kind}/${d.metadata?.namespace ? `${d.metadata.namespace}/` : ''}${d.metadata?.name}` })));
  const byChart = new Map<string, Record<string, any>[]>(app.charts.map(c => [c.node.id, []]));
  for (const doc of docs) {
    const chart = owner.get(key(doc.apiVersion, doc.kind, doc.metadata?.namespace, doc.metadata?.name));
    if (chart === undefined) {
      throw new Error(`regionObjects(${regionName}): ${doc.kind} ${doc.metadata?.namespace ?? ''}/${doc.metadata?.name} belongs to no chart`);
    }
    byChart.get(chart)!.push(doc);
  }
  return {
    charts: app.charts.map(c => ({ chart: c.node.id, objects: byChart.get(c.node.id)! })),
    backupServiceAccounts: [...databases.values()].flatMap(d => [d.serviceAccountName, d.backupServiceAccountName]
      .filter((n): n is string => n !== undefined).map(name => ({ namespace: d.namespace, name }))),
    requirements,
    requests: workloadRequests(docs),
  };
}
