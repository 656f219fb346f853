/**
 * The observability of stacks/observability.ts, built into the reference
 * platform's 4 regions: a monitoring stack per region with the cross-region global view, the
 * P0-P4 routing, logs and traces; zero check findings, every suppression explained, every
 * object schema-valid.
 */
import { parse } from 'yaml';
import { Checks, Platform } from '../../lib';
import { collectAlerts, renderRunbooks } from '../../lib/k8s/runbooks';
import { RUNBOOK_BASE_URL } from '../../stacks/observability';
import { PRODUCTION } from '../../stacks/platform';
import { buildRegion } from '../../stacks/reference-platform';
import { SERVICES } from '../../stacks/services';
import { registerChaosMeshSchemas } from '../util/chaos-mesh-schemas';
import { registerFlaggerSchemas } from '../util/flagger-schemas';
import { expectValidManifests } from '../util/schema';

registerFlaggerSchemas();
registerChaosMeshSchemas();


const platform = Platform.fromDescription(PRODUCTION);

describe.each(platform.regions.map(r => r.name))('region %s', name => {
  const r = buildRegion(platform, name);
  Checks.of(r.app).log = () => {};
  const obs = r.observability;
  const objs = r.app.charts.flatMap(c => c.toJson());

  test('zero findings; the observability chart\'s only suppressions are the explained log-reader and operator-owned ones', () => {
    const report = Checks.of(r.app).run();
    expect(report.findings).toEqual([]);
    const ours = report.suppressed.filter(s => s.path.startsWith(`${obs.chart.node.path}/`));
    expect(ours.map(s => `${s.ruleId} ${s.object}`).sort()).toEqual([
      'NINES-HARD-03 DaemonSet/logging/fluent-bit',
      'NINES-PSS-04 DaemonSet/logging/fluent-bit',
      'NINES-WL-06 Service/monitoring/prometheus-nines-sidecar',
      'NINES-WL-07 PodDisruptionBudget/monitoring/alertmanager-nines',
      'NINES-WL-07 PodDisruptionBudget/monitoring/prometheus-nines',
    ]);
  });

  test('every object is schema-valid', () => {
    expectValidManifests(objs);
  });

  test('global view: the Query reads the 3 other regions\' sidecars', () => {
    const args: string[] = objs.find(o => o.kind === 'Deployment' && o.metadata.name === 'thanos-query').spec.template.spec.containers[0].args;
    const remote = args.filter(a => a.startsWith('--endpoint=prometheus-nines-sidecar'));
    expect(remote).toHaveLength(3);
    expect(remote.some(a => a.includes(`.${name}.`))).toBe(false);
    expect(obs.monitoring.prometheus.toJson().spec.externalLabels).toEqual({ cluster: `production-${name}`, region: name });
  });

  test('routing groups by service and region; receivers only by Secret reference', () => {
    const secret = objs.find(o => o.kind === 'Secret' && o.metadata.name === 'alertmanager-nines-config');
    const cfg = parse(secret.stringData['alertmanager.yaml']);
    expect(cfg.route.group_by).toEqual(['service', 'region']);
    expect(secret.stringData['alertmanager.yaml']).not.toMatch(/https?:\/\//);
  });

  test('every alert with a runbook link points at a generated page; the ones without a link are listed', () => {
    const alerts = collectAlerts(r.app);
    const { problems, files } = renderRunbooks(alerts, { runbookBaseUrl: RUNBOOK_BASE_URL });
    expect(alerts.length).toBeGreaterThan(50);
    // None may point anywhere else; alerts of constructs that do not annotate runbook_url yet
    // (KafkaCluster, at the time of writing) are what writeRunbooks refuses.
    expect(problems.filter(p => p.why !== 'has no runbook_url annotation')).toEqual([]);
    for (const a of alerts.filter(x => x.annotations.runbook_url)) expect(files[`${a.annotations.runbook_url.split('/').pop()}.md`]).toBeDefined();
    // The service alerts (SLOs and standard packs) all link to a generated page.
    const unlinked = new Set(problems.map(p => p.prop.split(' ')[0]));
    const serviceAlerts = alerts.filter(a => SERVICES.some(x => x.name === a.labels.service));
    expect(serviceAlerts.length).toBeGreaterThan(30);
    expect(serviceAlerts.filter(a => unlinked.has(a.alert))).toEqual([]);
  });
});
