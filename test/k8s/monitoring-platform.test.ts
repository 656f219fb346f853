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

  test('every alert links a generated page under the platform\'s runbook base; none lacks a link', () => {
    const alerts = collectAlerts(r.app);
    const { problems, files } = renderRunbooks(alerts, { runbookBaseUrl: RUNBOOK_BASE_URL });
    expect(alerts.length).toBeGreaterThan(50);
    expect(problems).toEqual([]);
    for (const a of alerts) {
      expect(a.annotations.runbook_url.startsWith(`${RUNBOOK_BASE_URL}/`)).toBe(true);
      expect(files[`${a.annotations.runbook_url.slice(RUNBOOK_BASE_URL.length + 1)}.md`]).toBeDefined();
      expect(a.annotations.summary).toEqual(expect.any(String));
      expect(a.annotations.description).toEqual(expect.any(String));
    }
    // The stateful constructs' alerts take the base from the platform description.
    const stateful = alerts.filter(a => /^(Patroni|Postgres|Redis|Kafka)/.test(a.alert));
    expect(stateful).toHaveLength(21); // 2 PatroniClusters x 6, RedisSentinel 4, KafkaCluster 5
    expect(new Set(stateful.map(a => a.annotations.runbook_url.slice(0, RUNBOOK_BASE_URL.length)))).toEqual(new Set([platform.runbookBaseUrl]));
    // The service alerts (SLOs and standard packs) are there too.
    expect(alerts.filter(a => SERVICES.some(x => x.name === a.labels.service)).length).toBeGreaterThan(30);
  });
});
