import * as fc from 'fast-check';
import { ValidationError } from '../../lib/core/errors';
import { ALERTMANAGER_SECRETS_DIR, AlertRoutingOptions, DEFAULT_TIER_TIMING, renderAlertmanagerConfig } from '../../lib/render/alertmanager';

const BASE: AlertRoutingOptions = {
  pager: { kind: 'pagerduty', routingKey: { name: 'am-pagerduty', key: 'routing-key' } },
  escalation: { kind: 'opsgenie', apiKey: { name: 'am-opsgenie', key: 'api-key' } },
  chat: { kind: 'slack', apiUrl: { name: 'am-slack', key: 'api-url' }, channel: '#alerts' },
};

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('renderAlertmanagerConfig defaults', () => {
  const { config, secrets, receivers } = renderAlertmanagerConfig(BASE);

  test('groups by service and region; unknown severities go to chat', () => {
    expect(config.route).toMatchObject({ receiver: 'chat', group_by: ['service', 'region'], group_wait: '1m', group_interval: '10m', repeat_interval: '12h' });
    expect(config.global).toEqual({ resolve_timeout: '5m' });
  });

  test('P0 pages at once and escalates after 10 min; P1 pages and escalates after 10 min', () => {
    const [p0, p0esc, p1, p1esc] = config.route.routes;
    expect(p0).toEqual({ receiver: 'pager', matchers: ['severity="P0"'], group_wait: '0s', group_interval: '1m', repeat_interval: '30m', continue: true });
    expect(p0esc).toEqual({ receiver: 'escalation', matchers: ['severity="P0"'], group_wait: '10m', group_interval: '1m', repeat_interval: '30m' });
    expect(p1).toEqual({ receiver: 'pager', matchers: ['severity="P1"'], group_wait: '30s', group_interval: '5m', repeat_interval: '1h', continue: true });
    expect(p1esc).toMatchObject({ receiver: 'escalation', matchers: ['severity="P1"'], group_wait: '10m' });
  });

  test('P2 pages after a delay, P3 to chat, P4 to the null receiver', () => {
    const [, , , , p2, p3, p4] = config.route.routes;
    expect(p2).toEqual({ receiver: 'pager', matchers: ['severity="P2"'], group_wait: '5m', group_interval: '5m', repeat_interval: '4h' });
    expect(p3).toEqual({ receiver: 'chat', matchers: ['severity="P3"'], group_wait: '1m', group_interval: '10m', repeat_interval: '12h' });
    expect(p4).toEqual({ receiver: 'null', matchers: ['severity="P4"'] });
    expect(config.route.routes).toHaveLength(7);
    expect(DEFAULT_TIER_TIMING.P2.groupWait).toBe('5m');
  });

  test('a P0 service-down inhibits the same service\'s P1-P4', () => {
    expect(config.inhibit_rules).toEqual([{
      source_matchers: ['severity="P0"', 'alertname=~".+Down"'],
      target_matchers: ['severity=~"P1|P2|P3|P4"'],
      equal: ['service', 'namespace', 'region'],
    }]);
  });

  test('receivers read credentials from mounted Secret files only', () => {
    expect(config.receivers).toEqual([
      { name: 'null' },
      { name: 'pager', pagerduty_configs: [{ routing_key_file: `${ALERTMANAGER_SECRETS_DIR}/am-pagerduty/routing-key`, severity: 'critical', send_resolved: true }] },
      { name: 'escalation', opsgenie_configs: [{ api_key_file: '/etc/alertmanager/secrets/am-opsgenie/api-key', priority: '{{ .CommonLabels.severity }}', send_resolved: true }] },
      { name: 'chat', slack_configs: [{ api_url_file: '/etc/alertmanager/secrets/am-slack/api-url', channel: '#alerts', send_resolved: true }] },
    ]);
    expect(secrets).toEqual(['am-opsgenie', 'am-pagerduty', 'am-slack']);
    expect(receivers).toEqual({ P0: 'pager', P1: 'pager', P2: 'pager', P3: 'chat', P4: 'null', escalation: 'escalation' });
    expect(JSON.stringify(config)).not.toMatch(/https?:\/\//);
  });
});

test('regional pagers add a child route per region to each paging tier', () => {
  const { config, secrets } = renderAlertmanagerConfig({ ...BASE, regionalPagers: { 'eu-west-1': { kind: 'pagerduty', routingKey: { name: 'am-pd-eu', key: 'k' } } } });
  for (const i of [0, 2, 4]) expect(config.route.routes[i].routes).toEqual([{ receiver: 'pager-eu-west-1', matchers: ['region="eu-west-1"'] }]);
  expect(config.receivers.map((r: any) => r.name)).toEqual(['null', 'pager', 'pager-eu-west-1', 'escalation', 'chat']);
  expect(secrets).toContain('am-pd-eu');
});

test('overrides: escalation delay, timing, grouping, inhibition, secrets dir', () => {
  const { config } = renderAlertmanagerConfig({
    ...BASE,
    escalateAfter: '5m',
    timing: { P2: { groupWait: '15m' } },
    groupBy: ['alertname', 'service'],
    serviceDownAlertName: '.+Unavailable',
    inhibitEqual: ['service'],
    secretsDir: '/secrets/',
    resolveTimeout: '10m',
  });
  expect(config.route.routes[1].group_wait).toBe('5m');
  expect(config.route.routes[4]).toMatchObject({ group_wait: '15m', group_interval: '5m' });
  expect(config.route.group_by).toEqual(['alertname', 'service']);
  expect(config.inhibit_rules[0]).toMatchObject({ source_matchers: ['severity="P0"', 'alertname=~".+Unavailable"'], equal: ['service'] });
  expect(config.receivers[1].pagerduty_configs[0].routing_key_file).toBe('/secrets/am-pagerduty/routing-key');
  expect(config.global.resolve_timeout).toBe('10m');
});

test('bad options: every problem listed with its fix', () => {
  const e = errorOf(() => renderAlertmanagerConfig({
    pager: { kind: 'pagerduty', routingKey: { name: 'Bad_Name', key: 'k' } },
    escalation: { kind: 'webhook' } as any,
    chat: { kind: 'slack', apiUrl: { name: 'ok', key: 'bad key' }, channel: '' },
    escalateAfter: '0s' as any,
    timing: { P4: {} } as any,
    groupBy: [],
    inhibitEqual: ['1bad'],
    serviceDownAlertName: '(',
    secretsDir: 'relative',
  }));
  expect(e).toBeInstanceOf(ValidationError);
  expect(e.message).toBe([
    "renderAlertmanagerConfig 'options': 10 problems:",
    ' - pager.routingKey.name ("Bad_Name") is not a Secret name; name a Secret in the Alertmanager\'s namespace, e.g. "alertmanager-pagerduty"',
    ' - escalation.kind ("webhook") is not a supported receiver kind; give { kind: "pagerduty", routingKey: { name, key } }, '
      + '{ kind: "opsgenie", apiKey: {...} } or { kind: "slack", apiUrl: {...}, channel }',
    ' - chat.apiUrl.key ("bad key") is not a Secret key; use letters, digits, "-", "_" and ".", e.g. "routing-key"',
    ' - chat.channel ("") is not a Slack channel; give e.g. "#orders-alerts"',
    ' - escalateAfter ("0s") is not a positive Prometheus duration; use e.g. "30s", "5m" or "1h"',
    ' - timing.P4 ("P4") is not a notified severity; use P0, P1, P2 or P3 (P4 is never notified)',
    ' - groupBy ([]) must list at least one label name; give e.g. ["service", "region"]',
    ' - inhibitEqual[0] ("1bad") is not a Prometheus label name; use letters, digits and "_", not starting with a digit',
    ' - serviceDownAlertName ("(") is not a regular expression; give e.g. ".+Down"',
    ' - secretsDir ("relative") is not an absolute path; use "/etc/alertmanager/secrets"',
  ].join('\n'));
});

test('property: every severity has exactly one terminal route and secrets never leak into the config', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/);
  fc.assert(fc.property(name, name, fc.constantFrom('10m', '5m', '1h'), (secret, key, esc) => {
    const { config } = renderAlertmanagerConfig({ ...BASE, pager: { kind: 'pagerduty', routingKey: { name: secret, key } }, escalateAfter: esc as any });
    for (const sev of ['P0', 'P1', 'P2', 'P3', 'P4']) {
      const hits = config.route.routes.filter((r: any) => r.matchers[0] === `severity="${sev}"`);
      expect(hits.filter((r: any) => !r.continue)).toHaveLength(1);
    }
    expect(config.route.routes[1].group_wait).toBe(esc);
    expect(JSON.stringify(config)).toContain(`/${secret}/${key}"`);
  }), { numRuns: 50 });
});
