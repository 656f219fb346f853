/**
 * `promtool check rules` on every rule the constructs generate for the reference platform, in
 * each of the four regions (SLOs, alert packs, databases, cache, event log, ...).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments, stringify } from 'yaml';
import { promtool } from './promtool/scenarios';
import { Checks, Platform } from '../../lib';
import { PRODUCTION } from '../../stacks/platform';
import { buildRegion } from '../../stacks/reference-platform';

const WORK_DIR = path.join(__dirname, '.work', `promtool-platform-${process.pid}`);
const platform = Platform.fromDescription(PRODUCTION);

afterAll(() => fs.rmSync(WORK_DIR, { recursive: true, force: true }));

test.each(platform.regions.map(r => r.name))('%s: promtool accepts every rule of every PrometheusRule', async regionName => {
  fs.mkdirSync(WORK_DIR, { recursive: true });
  const { app } = buildRegion(platform, regionName);
  Checks.of(app).log = () => {};
  const rules = parseAllDocuments(app.synthYaml()).map(d => d.toJS()).filter(o => o.kind === 'PrometheusRule');
  // One rule file per PrometheusRule, as the operator loads them (group names are unique per file).
  const files = rules.map(r => {
    const file = path.join(WORK_DIR, `${regionName}-${r.metadata.namespace}-${r.metadata.name}.yaml`);
    fs.writeFileSync(file, stringify({ groups: r.spec.groups }, { lineWidth: 0 }));
    return file;
  });
  const ruleCount = rules.reduce((n, r) => n + r.spec.groups.reduce((m: number, g: any) => m + g.rules.length, 0), 0);
  const run = await promtool(['check', 'rules', ...files]);
  console.log(`promtool-platform ${regionName}: ${ruleCount} rules in ${rules.length} PrometheusRules checked in ${run.seconds.toFixed(1)} s`);
  expect(rules.length).toBeGreaterThan(20);
  expect(run.exitCode).toBe(0);
  const found = [...run.output.matchAll(/SUCCESS: (\d+) rules found/g)].reduce((n, m) => n + Number(m[1]), 0);
  expect(found).toBe(ruleCount);
}, 120_000);
