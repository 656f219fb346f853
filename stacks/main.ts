/**
 * `cdk8s synth` entry: writes the reference platform to dist/<region>/ for GitOps
 * (Argo CD / Flux), one folder per region, after the synth-time checks pass.
 */
import * as path from 'path';
import { formatHeadroom, M6I_XLARGE, Platform, regionCapacity, writeReliabilityReport, writeRunbooks } from '../lib';
import { RUNBOOK_BASE_URL } from './observability';
import { PRODUCTION } from './platform';
import { buildRegion } from './reference-platform';

const outdir = process.env.CDK8S_OUTDIR ?? 'dist';
const platform = Platform.fromDescription(PRODUCTION);
const regions = platform.regions.map(r => buildRegion(platform, r.name, path.join(outdir, r.name)));
for (const r of regions) {
  r.app.synth();
  // Every alert links its page under RUNBOOK_BASE_URL; a missing or foreign link fails the synth.
  writeRunbooks(r.app, { runbookBaseUrl: RUNBOOK_BASE_URL, outdir: path.join(outdir, 'runbooks') });
}
// Capacity: what each region's pods request (istio-proxy sidecars included), the add-ons' Deployments
// and every DaemonSet's share of each node, against the nodes the Pulumi program sizes per zone from
// the same numbers, with one zone lost.
for (const r of regions) {
  const c = regionCapacity(r.app.charts.flatMap(chart => chart.toJson()), { zones: r.region.zones.length, meshCni: platform.mesh.cni }, M6I_XLARGE);
  console.error(`capacity ${r.region.name}: ${c.nodesPerZone} x ${M6I_XLARGE.instanceType} per zone: ${formatHeadroom(c.headroom)}`);
  console.error(`capacity ${r.region.name} at the peak (every HPA at maxReplicas): requested ${c.peak.requested.cpu.toFixed(1)} vCPU / `
    + `${(c.peak.requested.memoryBytes / 2 ** 30).toFixed(1)} GiB; ${c.peak.nodesPerZone} per zone with one zone lost, `
    + `Karpenter adds up to ${c.peak.autoscaledNodesPerZone} per zone`);
}
writeReliabilityReport(regions.map(r => ({ name: r.region.name, scope: r.app })), { outdir, title: 'Reliability report: reference platform (production)' });
