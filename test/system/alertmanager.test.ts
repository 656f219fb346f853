/**
 * The Alertmanager configuration lib/render/alertmanager.ts renders, checked by Alertmanager's
 * own tools (Debian's prometheus-alertmanager 0.25):
 *
 * - `amtool check-config` accepts it;
 * - `amtool config routes test` sends every tier from every region to the intended receivers
 *   (P0/P1 to the pager and the escalation route, P2 to the pager, P3 to chat, P4 to `null`,
 *   regional pagers for their regions);
 * - inhibition (which amtool cannot test): a real alertmanager on 127.0.0.1 with the rendered
 *   configuration receives alerts through its API, and `/api/v2/alerts` shows a firing P0
 *   `<Service>Down` suppressing the same service's P1-P4 in the same region, and nothing else.
 */
import { ChildProcess, execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { Checks, Platform, RegionChart } from '../../lib';
import { MonitoringStack } from '../../lib/k8s/monitoring-stack';
import { AlertRoutingOptions, renderAlertmanagerConfig } from '../../lib/render/alertmanager';
import { withoutClusterObjects } from '../k8s/helpers';

const WORK_DIR = path.join(__dirname, '.work', `alertmanager-${process.pid}`);
const CONFIG = path.join(WORK_DIR, 'alertmanager.yml');
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1'];
const OPTIONS: AlertRoutingOptions = {
  pager: { kind: 'pagerduty', routingKey: { name: 'alertmanager-pagerduty', key: 'routing-key' } },
  escalation: { kind: 'opsgenie', apiKey: { name: 'alertmanager-opsgenie', key: 'api-key' } },
  chat: { kind: 'slack', apiUrl: { name: 'alertmanager-slack', key: 'api-url' }, channel: '#platform-alerts' },
  regionalPagers: { 'ap-southeast-1': { kind: 'pagerduty', routingKey: { name: 'alertmanager-pagerduty-apac', key: 'routing-key' } } },
};

function run(cmd: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    execFile(cmd, args as string[], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as any).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function request(port: number, method: string, p: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method, path: p, timeout: 5000, headers: data ? { 'content-type': 'application/json' } : {} }, res => {
      const chunks: Buffer[] = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    if (data) req.write(data);
    req.end();
  });
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

beforeAll(() => {
  fs.mkdirSync(WORK_DIR, { recursive: true });
  fs.writeFileSync(CONFIG, stringify(renderAlertmanagerConfig(OPTIONS).config));
});

afterAll(() => {
  fs.rmSync(WORK_DIR, { recursive: true, force: true });
});

test('amtool check-config accepts the rendered configuration', async () => {
  const r = await run('/usr/bin/amtool', ['check-config', CONFIG]);
  expect(r.stdout + r.stderr).toContain('SUCCESS');
  expect(r.stdout).toContain(' - 1 inhibit rules');
  expect(r.stdout).toContain(' - 5 receivers');
  expect(r.code).toBe(0);
});

test('amtool check-config accepts the configuration the MonitoringStack puts in its Secret', async () => {
  const app = Testing.app();
  withoutClusterObjects(app);
  Checks.of(app).log = () => {};
  const platform = Platform.fromDescription({ environment: 'test', regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }] });
  const chart = new RegionChart(app, 'test', { region: platform.region('us-east-1') });
  new MonitoringStack(chart, 'monitoring', { alertRouting: OPTIONS });
  const secret = Testing.synth(chart).find(o => o.kind === 'Secret' && o.metadata.name === 'alertmanager-nines-config');
  const file = path.join(WORK_DIR, 'from-secret.yml');
  fs.writeFileSync(file, secret.stringData['alertmanager.yaml']);
  const r = await run('/usr/bin/amtool', ['check-config', file]);
  expect(r.stdout).toContain('SUCCESS');
  expect(r.code).toBe(0);
});

describe('amtool config routes test: each tier and region reaches its receivers', () => {
  const expected = (severity: string, region: string): string => {
    const pager = region === 'ap-southeast-1' ? 'pager-ap-southeast-1' : 'pager';
    return { P0: `${pager},escalation`, P1: `${pager},escalation`, P2: pager, P3: 'chat', P4: 'null' }[severity]!;
  };
  const cases = REGIONS.flatMap(region => ['P0', 'P1', 'P2', 'P3', 'P4'].map(severity => [severity, region] as const));
  test.each(cases)('%s in %s', async (severity, region) => {
    const r = await run('/usr/bin/amtool', ['config', 'routes', 'test', `--config.file=${CONFIG}`,
      `severity=${severity}`, `region=${region}`, 'service=order-service', 'namespace=orders', 'alertname=OrderServiceX']);
    expect(r.stdout.trim()).toBe(expected(severity, region));
    expect(r.code).toBe(0);
  });

  test('an alert without a severity still reaches chat', async () => {
    const r = await run('/usr/bin/amtool', ['config', 'routes', 'test', `--config.file=${CONFIG}`, 'alertname=Unlabelled', 'service=x']);
    expect(r.stdout.trim()).toBe('chat');
  });

  test('the routing tree has the escalation delay and the tier delays', async () => {
    const r = await run('/usr/bin/amtool', ['config', 'routes', 'show', `--config.file=${CONFIG}`]);
    expect(r.stdout).toContain('escalation');
    const cfg = renderAlertmanagerConfig(OPTIONS).config;
    expect(cfg.route.routes[1]).toMatchObject({ receiver: 'escalation', group_wait: '10m' });
    expect(cfg.route.routes[0]).toMatchObject({ receiver: 'pager', group_wait: '0s' });
  });
});

describe('inhibition in a running alertmanager', () => {
  let child: ChildProcess | undefined;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    const storage = path.join(WORK_DIR, 'data');
    fs.mkdirSync(storage, { recursive: true });
    child = spawn('/usr/bin/prometheus-alertmanager', [
      `--config.file=${CONFIG}`, `--storage.path=${storage}`, `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=', '--log.level=warn',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        if ((await request(port, 'GET', '/-/ready')).status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('alertmanager did not become ready within 20 s');
      await sleep(200);
    }
  }, 30_000);

  afterAll(async () => {
    if (child?.pid && child.exitCode === null) {
      process.kill(child.pid, 'SIGTERM');
      await new Promise(r => child!.once('exit', r));
    }
  });

  test('a P0 service-down silences the same service\'s P1-P4 in its region only', async () => {
    const alert = (alertname: string, severity: string, service: string, region: string) => ({
      labels: { alertname, severity, service, region, namespace: 'orders' },
      annotations: { summary: alertname },
      startsAt: new Date().toISOString(),
    });
    const posted = await request(port, 'POST', '/api/v2/alerts', [
      alert('OrderServiceDown', 'P0', 'order-service', 'us-east-1'),
      alert('OrderServiceHighErrorRate', 'P1', 'order-service', 'us-east-1'),
      alert('OrderServiceHighLatency', 'P2', 'order-service', 'us-east-1'),
      alert('OrderServiceDbPoolExhausted', 'P3', 'order-service', 'us-east-1'),
      alert('OrderServiceHighMemory', 'P4', 'order-service', 'us-east-1'),
      // other region, same service: not inhibited
      alert('OrderServiceHighErrorRate', 'P1', 'order-service', 'eu-west-1'),
      // other service, same region: not inhibited
      alert('PaymentServiceHighErrorRate', 'P1', 'payment-service', 'us-east-1'),
      // a P0 that is not "down" inhibits nothing
      alert('PaymentServiceDataLoss', 'P0', 'payment-service', 'us-east-1'),
      alert('PaymentServiceHighLatency', 'P2', 'payment-service', 'us-east-1'),
    ]);
    expect(posted.status).toBe(200);

    // Alertmanager's inhibitor learns of new alerts from its own subscription to the alert store
    // (alertmanager inhibit/inhibit.go, Inhibitor.run), after the POST has returned: read the alerts
    // until the suppressions show, for 10 s at most, then assert what was read last.
    const suppressedNames = ['OrderServiceHighErrorRate', 'OrderServiceHighLatency', 'OrderServiceDbPoolExhausted', 'OrderServiceHighMemory'];
    let alerts: any[] = [];
    for (const deadline = Date.now() + 10_000; ;) {
      const res = await request(port, 'GET', '/api/v2/alerts');
      expect(res.status).toBe(200);
      alerts = JSON.parse(res.body);
      const suppressed = alerts.filter(a => a.labels.region === 'us-east-1' && suppressedNames.includes(a.labels.alertname)
        && a.status.state === 'suppressed');
      if (suppressed.length === suppressedNames.length || Date.now() > deadline) break;
      await sleep(200);
    }
    const state = Object.fromEntries(alerts.map(a => [`${a.labels.alertname}/${a.labels.region}`, a.status]));
    for (const name of suppressedNames) {
      expect(state[`${name}/us-east-1`]).toMatchObject({ state: 'suppressed', silencedBy: [] });
      expect(state[`${name}/us-east-1`].inhibitedBy).toHaveLength(1);
    }
    for (const key of ['OrderServiceDown/us-east-1', 'OrderServiceHighErrorRate/eu-west-1', 'PaymentServiceHighErrorRate/us-east-1',
      'PaymentServiceDataLoss/us-east-1', 'PaymentServiceHighLatency/us-east-1']) {
      expect(state[key]).toMatchObject({ state: 'active', inhibitedBy: [] });
    }
    expect(alerts).toHaveLength(9);
  });
});
