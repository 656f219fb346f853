import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as fc from 'fast-check';
import { ValidationError } from '../../lib/core/errors';
import { DEFAULT_LOG_TIERS, DEFAULT_REDACTED_FIELDS, renderFluentBitConfig, renderIndexLifecyclePolicy } from '../../lib/render/fluent-bit';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

const OUTPUT = { host: 'logs.example.internal' };

describe('renderFluentBitConfig defaults', () => {
  const files = renderFluentBitConfig({ output: OUTPUT });
  const conf = files['fluent-bit.conf'];

  test('tails container logs with the CRI and Docker parsers and an offset DB', () => {
    expect(conf).toContain('[INPUT]\n    Name             tail\n    Tag              kube.*\n    Path             /var/log/containers/*.log\n    multiline.parser cri, docker\n');
    expect(conf).toContain('    DB               /var/fluent-bit/state/tail.db\n');
    expect(conf).toContain('    Mem_Buf_Limit    50MB\n');
  });

  test('parses JSON logs into top-level fields', () => {
    expect(conf).toMatch(/\[FILTER\]\n {4}Name +kubernetes\n[\s\S]*Merge_Log +On\n {4}Keep_Log +Off\n/);
    expect(conf).not.toContain('Merge_Log_Key');
  });

  test('redacts every default field where it exists, then masks card numbers in free text', () => {
    for (const f of DEFAULT_REDACTED_FIELDS) {
      expect(conf).toContain(`[FILTER]\n    Name      modify\n    Match     kube.*\n    Condition Key_exists ${f}\n    Set       ${f} [REDACTED]\n`);
    }
    expect(DEFAULT_REDACTED_FIELDS).toContain('card_number');
    expect(conf).toContain('[FILTER]\n    Name   lua\n    Match  kube.*\n    script redact.lua\n    call   mask_card_numbers\n');
    expect(conf.indexOf('Name      modify')).toBeLessThan(conf.indexOf('Name   lua'));
    expect(files['redact.lua']).toContain('local fields = { "log", "message", "msg" }');
  });

  test('ships to the write alias over verified TLS with the password from the environment', () => {
    expect(conf).toMatch(/\[OUTPUT\]\n {4}Name +es\n {4}Match +kube\.\*\n {4}Host +logs\.example\.internal\n {4}Port +443\n {4}HTTP_User +fluent-bit\n {4}HTTP_Passwd +\$\{LOG_STORE_PASSWORD\}\n {4}tls +On\n {4}tls\.verify +On\n {4}Index +logs-write\n/);
  });

  test('health endpoint on 2020', () => {
    expect(conf).toMatch(/HTTP_Server +On\n {4}HTTP_Listen +0\.0\.0\.0\n {4}HTTP_Port +2020\n {4}Health_Check +On/);
    expect(files['parsers.conf']).toContain('Format      json');
  });
});

test('options: redacted fields, no card masking, output settings', () => {
  const files = renderFluentBitConfig({ output: { host: 'es', port: 9200, user: 'shipper', passwordEnv: 'ES_PW', index: 'app-logs' }, redactFields: ['ssn'], maskCardNumbers: false, httpPort: 2021 });
  const conf = files['fluent-bit.conf'];
  expect(conf).toContain('Condition Key_exists ssn');
  expect(conf).not.toContain('Key_exists card_number');
  expect(conf).not.toContain('Name   lua');
  expect(conf).toMatch(/Port +9200\n {4}HTTP_User +shipper\n {4}HTTP_Passwd +\$\{ES_PW\}/);
  expect(conf).toMatch(/Index +app-logs/);
  expect(conf).toMatch(/HTTP_Port +2021/);
});

test('bad options: every problem listed', () => {
  const e = errorOf(() => renderFluentBitConfig({ output: { host: 'Bad Host', port: 0, passwordEnv: 'pw' }, redactFields: ['ok', 'bad field'], httpPort: 80, memBufLimit: '50' }));
  expect(e).toBeInstanceOf(ValidationError);
  expect(e.message).toBe([
    "renderFluentBitConfig 'options': 6 problems:",
    ' - output.host ("Bad Host") is not a DNS name; give e.g. "logs.example.internal"',
    ' - output.port (0) is not a TCP port; use e.g. 443 or 9200',
    ' - output.passwordEnv ("pw") is not an environment variable name; use e.g. "LOG_STORE_PASSWORD"',
    ' - redactFields[1] ("bad field") is not a record key; use letters, digits, "_", ".", "@" and "-"',
    ' - httpPort (80) is not an unprivileged port; use e.g. 2020',
    ' - memBufLimit ("50") is not a Fluent Bit size; use e.g. "50MB"',
  ].join('\n'));
});

const LUA = '/usr/bin/lua5.4';
(fs.existsSync(LUA) ? test : test.skip)('the Lua mask keeps only the last 4 digits of card numbers (run by lua5.4)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redact-'));
  try {
    fs.writeFileSync(path.join(dir, 'redact.lua'), renderFluentBitConfig({ output: OUTPUT })['redact.lua']);
    fs.writeFileSync(path.join(dir, 'run.lua'), [
      'dofile(arg[1])',
      'local code, _, r = mask_card_numbers("t", 0, { log = "paid with 4111 1111 1111 1111 ok", msg = "order 12345 total 99", message = "card 5500-0000-0000-0004" })',
      'print(code) print(r.log) print(r.msg) print(r.message)',
      'local code2 = mask_card_numbers("t", 0, { log = "nothing here" })',
      'print(code2)',
    ].join('\n'));
    const out = execFileSync(LUA, [path.join(dir, 'run.lua'), path.join(dir, 'redact.lua')], { encoding: 'utf8' }).trim().split('\n');
    expect(out).toEqual(['2', 'paid with ************1111 ok', 'order 12345 total 99', 'card ************0004', '0']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('renderIndexLifecyclePolicy', () => {
  test('defaults: the case study\'s hot 7 d / warm / cold 30 d / delete 90 d', () => {
    expect(renderIndexLifecyclePolicy()).toEqual({
      policy: {
        phases: {
          hot: { min_age: '0d', actions: { rollover: { max_primary_shard_size: '50gb', max_age: '1d' }, set_priority: { priority: 100 } } },
          warm: { min_age: '7d', actions: { set_priority: { priority: 50 }, forcemerge: { max_num_segments: 1 } } },
          cold: { min_age: '30d', actions: { set_priority: { priority: 0 }, searchable_snapshot: { snapshot_repository: 's3-repository' } } },
          delete: { min_age: '90d', actions: { delete: {} } },
        },
      },
    });
    expect(DEFAULT_LOG_TIERS.warm.minAge).toBe('7d');
  });

  test('out of order or malformed tiers are rejected', () => {
    const e = errorOf(() => renderIndexLifecyclePolicy({ warm: { minAge: '40d' }, delete: { minAge: '3 months' as any }, cold: { snapshotRepository: 'S3' } }));
    expect(e.message).toBe([
      "renderIndexLifecyclePolicy 'tiers': 3 problems:",
      ' - delete.minAge ("3 months") is not a positive number of days; use e.g. "7d"',
      ' - cold.snapshotRepository ("S3") is not a snapshot repository name; use e.g. "s3-repository"',
      ' - cold.minAge ("30d") must be later than warm.minAge (40d); order the tiers hot < warm < cold < delete',
    ].join('\n'));
  });

  test('property: any increasing warm < cold < delete renders in order', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }), (w, dc, dd) => {
      const p = renderIndexLifecyclePolicy({ warm: { minAge: `${w}d` }, cold: { minAge: `${w + dc}d` }, delete: { minAge: `${w + dc + dd}d` } });
      const ages = ['warm', 'cold', 'delete'].map(k => parseInt(p.policy.phases[k].min_age, 10));
      expect(ages).toEqual([w, w + dc, w + dc + dd]);
    }), { numRuns: 100 });
  });
});
