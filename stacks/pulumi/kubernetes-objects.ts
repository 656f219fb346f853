import { ApiObject, Chart } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { Platform } from '../../lib/core/platform';
import { buildRegion } from '../reference-platform';

/** One cdk8s chart's objects, synthesized in-process. */
export interface ChartObjects {
  /** The chart id (`cluster`, `services`). */
  readonly chart: string;
  /** Plain Kubernetes objects, in the order cdk8s writes them. */
  readonly objects: readonly Record<string, any>[];
}

const key = (apiVersion: string, kind: string, namespace: string | undefined, name: string | undefined) =>
  `${apiVersion}/${kind}/${namespace ?? ''}/${name ?? ''}`;

/**
 * Synthesizes a region of the reference platform in-process, exactly as `cdk8s synth` does (one
 * synth: the synth-time check pass runs and any error throws), and returns each chart's objects,
 * so they can be applied chart by chart (cluster-wide objects and namespaces before services).
 */
export function regionObjects(platform: Platform, regionName: string): ChartObjects[] {
  const { app } = buildRegion(platform, regionName);
  const docs: Record<string, any>[] = parseAllDocuments(app.synthYaml()).map(d => d.toJS())
    .filter(o => o && typeof o === 'object');
  const owner = new Map<string, string>();
  for (const chart of app.charts) {
    for (const c of chart.node.findAll()) {
      if (c instanceof ApiObject && Chart.of(c) === chart) {
        owner.set(key(c.apiVersion, c.kind, c.metadata.namespace, c.name), chart.node.id);
      }
    }
  }
  const byChart = new Map<string, Record<string, any>[]>(app.charts.map(c => [c.node.id, []]));
  for (const doc of docs) {
    const chart = owner.get(key(doc.apiVersion, doc.kind, doc.metadata?.namespace, doc.metadata?.name));
    if (chart === undefined) {
      throw new Error(`regionObjects(${regionName}): ${doc.kind} ${doc.metadata?.namespace ?? ''}/${doc.metadata?.name} belongs to no chart`);
    }
    byChart.get(chart)!.push(doc);
  }
  return app.charts.map(c => ({ chart: c.node.id, objects: byChart.get(c.node.id)! }));
}
