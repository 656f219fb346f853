/**
 * The RedisSentinel alerts, exactly as the construct renders them, checked and run by
 * Prometheus' own rule engine (`promtool check rules`, `promtool test rules`) over synthetic
 * redis_exporter series: a healthy set fires nothing; each failure fires its alert alone.
 * Skipped where promtool is not installed (scripts/install-system-deps.sh installs it).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { find, regionChart, synth } from './helpers';
import { RedisSentinel } from '../../lib/k8s/redis-sentinel';

const PROMTOOL = '/usr/bin/promtool';
const R = 'namespace="catalog",service="cache-redis"';
const S = 'namespace="catalog",service="cache-sentinel"';
const MAX = 1610612736;

/** Series of a healthy set, by name; a scenario replaces some of them. */
function healthy(): Record<string, string> {
  const series: Record<string, string> = {};
  ['master', 'slave', 'slave'].forEach((role, i) => {
    series[`redis_instance_info{${R},pod="cache-redis-${i}",role="${role}"}`] = '1x30';
    series[`redis_up{${R},pod="cache-redis-${i}"}`] = '1x30';
    series[`redis_connected_slaves{${R},pod="cache-redis-${i}"}`] = i === 0 ? '2x30' : '0x30';
    series[`redis_memory_used_bytes{${R},pod="cache-redis-${i}"}`] = `${MAX / 2}x30`;
    series[`redis_memory_max_bytes{${R},pod="cache-redis-${i}"}`] = `${MAX}x30`;
    if (i > 0) series[`redis_master_link_up{${R},pod="cache-redis-${i}"}`] = '1x30';
    series[`redis_up{${S},pod="cache-sentinel-${i}"}`] = '1x30';
    series[`redis_sentinel_master_ckquorum_status{${S},pod="cache-sentinel-${i}",master_name="mymaster"}`] = '1x30';
  });
  return series;
}

const ALERTS = ['RedisMasterDown', 'RedisSentinelQuorumLost', 'RedisReplicationBroken', 'RedisMemoryHigh'];

(fs.existsSync(PROMTOOL) ? describe : describe.skip)('RedisSentinel alerts in Prometheus rule engine', () => {
  const { chart } = regionChart();
  new RedisSentinel(chart, 'cache', { namespace: 'catalog', passwordSecret: { name: 'pw' } });
  const rule = find(synth(chart), 'PrometheusRule', 'cache');
  const rules = rule.spec.groups[0].rules as any[];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-rules-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));

  const expected = (alert: string, labels: Record<string, string> = {}, annotations?: Record<string, string>) => {
    const r = rules.find(x => x.alert === alert);
    return [{ exp_labels: { ...r.labels, ...labels }, exp_annotations: annotations ?? r.annotations }];
  };

  test('promtool check rules accepts the rendered group', () => {
    const out = execFileSync(PROMTOOL, ['check', 'rules', path.join(dir, 'rules.yaml')], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS: 4 rules found');
  });

  test('healthy: nothing fires; each failure fires its alert only', () => {
    const scenarios: Array<{ name: string; change: Record<string, string | undefined>; alert?: string; at: string; exp?: any[] }> = [
      { name: 'healthy', change: {}, at: '30m' },
      {
        name: 'no master',
        change: { [`redis_instance_info{${R},pod="cache-redis-0",role="master"}`]: undefined, [`redis_up{${R},pod="cache-redis-0"}`]: '0x30' },
        alert: 'RedisMasterDown',
        at: '5m',
      },
      {
        name: 'two Sentinels down',
        change: { [`redis_up{${S},pod="cache-sentinel-1"}`]: '0x30', [`redis_up{${S},pod="cache-sentinel-2"}`]: '0x30' },
        alert: 'RedisSentinelQuorumLost',
        at: '5m',
      },
      {
        name: 'one Sentinel sees no quorum',
        change: { [`redis_sentinel_master_ckquorum_status{${S},pod="cache-sentinel-0",master_name="mymaster"}`]: '0x30' },
        alert: 'RedisSentinelQuorumLost',
        at: '5m',
      },
      {
        name: 'a replica lost its link',
        change: { [`redis_master_link_up{${R},pod="cache-redis-2"}`]: '0x30', [`redis_connected_slaves{${R},pod="cache-redis-0"}`]: '1x30' },
        alert: 'RedisReplicationBroken',
        at: '5m',
      },
      {
        name: 'memory at 90%',
        change: { [`redis_memory_used_bytes{${R},pod="cache-redis-1"}`]: `${MAX * 0.9}x30` },
        alert: 'RedisMemoryHigh',
        at: '10m',
        exp: expected('RedisMemoryHigh', { pod: 'cache-redis-1' }, {
          summary: 'Redis catalog/cache uses over 80% of maxmemory',
          description: `cache-redis-1 uses 90% of maxmemory (${MAX} bytes, policy allkeys-lru): keys are being or will soon be evicted; raise the memory limit.`,
        }),
      },
    ];
    const tests = scenarios.map(s => {
      const series = { ...healthy(), ...s.change };
      return {
        name: s.name,
        interval: '1m',
        input_series: Object.entries(series).filter(([, v]) => v !== undefined).map(([k, v]) => ({ series: k, values: v })),
        alert_rule_test: ALERTS.map(a => ({ eval_time: s.at, alertname: a, exp_alerts: a === s.alert ? s.exp ?? expected(a) : [] })),
      };
    });
    fs.writeFileSync(path.join(dir, 'test.yaml'), stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }));
    let out: string;
    try {
      out = execFileSync(PROMTOOL, ['test', 'rules', path.join(dir, 'test.yaml')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      throw new Error(`promtool test rules failed:\n${(e as any).stdout}${(e as any).stderr}`);
    }
    expect(out).toContain('SUCCESS');
  });
});
