import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { errorOf, regionChart } from './helpers';
import { ValidationError } from '../../lib';
import { PrometheusRule } from '../../lib/k8s/crds/monitoring';
import { ESCALATION, collectAlerts, renderRunbooks, runbookSlug, writeRunbooks } from '../../lib/k8s/runbooks';
import { Objective } from '../../lib/reliability/error-budget';
import { renderStandardAlertPack } from '../../lib/render/alert-pack';
import { Sli, renderSloRules } from '../../lib/render/slo-rules';

const BASE = 'https://wiki.example.com/runbooks';
const service = { name: 'order-service', namespace: 'orders', selector: { job: 'order-service', namespace: 'orders' } };
const links = { runbookBaseUrl: BASE, dashboardUrl: 'https://grafana.example.com/d/order-service' };

function appWithRules() {
  const { app, chart } = regionChart();
  new PrometheusRule(chart, 'slo', {
    metadata: { name: 'order-service-slo', namespace: 'orders' },
    spec: { groups: renderSloRules({ service, ...links, objective: Objective.percent(99.95), sli: Sli.availability() }) as any },
  });
  new PrometheusRule(chart, 'pack', {
    metadata: { name: 'order-service-alerts', namespace: 'orders' },
    spec: { groups: [renderStandardAlertPack({ service, ...links })] as any },
  });
  return { app, chart };
}

describe('runbooks for the library\'s alerts', () => {
  const { app } = appWithRules();
  const alerts = collectAlerts(app);
  const { files, problems } = renderRunbooks(alerts, { runbookBaseUrl: BASE });

  test('collects every alerting rule (not the recording rules)', () => {
    expect(alerts.length).toBeGreaterThan(5);
    expect(alerts.every(a => a.alert && a.labels.severity)).toBe(true);
    expect(alerts.map(a => a.alert)).toContain('OrderServiceDown');
    expect(alerts.find(a => a.alert === 'OrderServiceDown')!.source).toBe('orders/order-service-alerts (group order-service-alerts)');
  });

  test('every generated alert links to a generated page', () => {
    expect(problems).toEqual([]);
    for (const a of alerts) {
      expect(a.annotations.runbook_url).toBe(`${BASE}/${runbookSlug(a)}`);
      expect(files[`${runbookSlug(a)}.md`]).toBeDefined();
    }
    expect(Object.keys(files)).toHaveLength(new Set(alerts.map(runbookSlug)).size + 1);
  });

  test('a page has the case study\'s runbook shape', () => {
    const page = files['order-service-down.md'];
    expect(page.split('\n')[0]).toBe('# OrderServiceDown');
    for (const h of ['## What is happening?', '## Quick diagnosis', '## Actions to take', '## When to escalate']) expect(page).toContain(`\n${h}\n`);
    expect(page).toContain('| P0 | order-service | orders | 1m |');
    expect(page).toContain(ESCALATION.P0);
    expect(page).toContain('`kubectl -n orders get pods -l app.kubernetes.io/name=order-service -o wide`');
    expect(page).toContain('1. Open the dashboard: https://grafana.example.com/d/order-service');
    expect(page).toContain('```promql\nmax(up{job="order-service",namespace="orders"}) == 0');
    expect(files['README.md']).toContain('| [order-service-down](order-service-down.md) | OrderServiceDown | P0 |');
  });

  test('writeRunbooks writes the pages under the outdir', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runbooks-'));
    try {
      const written = writeRunbooks(app, { runbookBaseUrl: BASE, outdir: dir });
      expect(written.map(f => path.basename(f)).sort()).toEqual(Object.keys(files).sort());
      expect(fs.readFileSync(path.join(dir, 'order-service-down.md'), 'utf8')).toBe(files['order-service-down.md']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('alerts without a link, or linking elsewhere, are refused and nothing is written', () => {
  const { app, chart } = regionChart();
  new PrometheusRule(chart, 'bad', {
    metadata: { name: 'kafka', namespace: 'data' },
    spec: {
      groups: [{
        name: 'kafka',
        rules: [
          { alert: 'KafkaUnderReplicated', expr: 'x > 0', labels: { severity: 'P2' } },
          { alert: 'KafkaOffline', expr: 'y == 0', labels: { severity: 'P0' }, annotations: { runbook_url: 'https://other.example.com/kafka-offline' } },
        ],
      }],
    },
  });
  const dir = path.join(os.tmpdir(), `runbooks-none-${process.pid}`);
  const e = errorOf(() => writeRunbooks(app, { runbookBaseUrl: `${BASE}/`, outdir: dir }));
  expect(e).toBeInstanceOf(ValidationError);
  expect(e.message).toBe([
    "writeRunbooks 'app': 2 problems:",
    ' - KafkaUnderReplicated (data/kafka (group kafka)) (undefined) has no runbook_url annotation; annotate it with runbook_url: "https://wiki.example.com/runbooks/kafka-under-replicated"',
    ' - KafkaOffline (data/kafka (group kafka)) ("https://other.example.com/kafka-offline") does not point at the generated runbooks '
      + '(https://wiki.example.com/runbooks/<slug>); use "https://wiki.example.com/runbooks/kafka-offline" or set runbookBaseUrl to where these alerts link',
  ].join('\n'));
  expect(fs.existsSync(dir)).toBe(false);
  const e2 = errorOf(() => writeRunbooks(app, { runbookBaseUrl: BASE, outdir: dir, allowMissingLinks: true }));
  expect(e2.message).toBe([
    "writeRunbooks 'app': 1 problem:",
    ' - KafkaOffline (data/kafka (group kafka)) ("https://other.example.com/kafka-offline") does not point at the generated runbooks '
      + '(https://wiki.example.com/runbooks/<slug>); use "https://wiki.example.com/runbooks/kafka-offline" or set runbookBaseUrl to where these alerts link',
  ].join('\n'));
  expect(fs.existsSync(dir)).toBe(false);
});

test('allowMissingLinks: alerts without a link get a page named after the alert', () => {
  const { app, chart } = regionChart();
  new PrometheusRule(chart, 'r', {
    metadata: { name: 'redis', namespace: 'catalog' },
    spec: { groups: [{ name: 'redis', rules: [{ alert: 'RedisMasterDown', expr: 'x == 0', labels: { severity: 'P1' } }] }] },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runbooks-'));
  try {
    const written = writeRunbooks(app, { runbookBaseUrl: BASE, outdir: dir, allowMissingLinks: true });
    expect(written.map(f => path.basename(f)).sort()).toEqual(['README.md', 'redis-master-down.md']);
    expect(fs.readFileSync(path.join(dir, 'redis-master-down.md'), 'utf8')).toContain(ESCALATION.P1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('slug from the alert name when there is no link; unknown severity asks for one', () => {
  const a = { alert: 'HTTPServerDown', expr: 'up == 0', labels: {}, annotations: {}, source: 's' };
  expect(runbookSlug(a)).toBe('http-server-down');
  const { files } = renderRunbooks([a], { runbookBaseUrl: BASE });
  expect(files['http-server-down.md']).toContain('TODO: the alert has no P0-P4 severity label; give it one.');
  expect(files['http-server-down.md']).toContain('`kubectl get pods -o wide`');
});
