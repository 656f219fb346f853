import { ApiObject, Chart, JsonPatch, Lazy, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { Checks, Criticality, DEFAULT_RULES, RegionChart, ResilientService, formatFinding } from '../../lib';
import { errorOf, regionChart } from '../k8s/helpers';

function ids(findings: readonly { ruleId: string }[]): string[] {
  return [...new Set(findings.map(f => f.ruleId))].sort();
}

describe('synth-time checks', () => {
  test('a cdk8s-plus-28 Deployment written "the right way" still fails the hardening and availability rules', () => {
    const { app, chart } = regionChart();
    const d = new kplus.Deployment(chart, 'web', {
      replicas: 3,
      spread: true,
      securityContext: { ensureNonRoot: true },
      containers: [{
        image: 'registry.example.com/web:1.0.0',
        portNumber: 8080,
        readiness: kplus.Probe.fromHttpGet('/ready'),
        liveness: kplus.Probe.fromHttpGet('/live'),
        securityContext: { ensureNonRoot: true, user: 10001, group: 10001 },
      }],
    });
    d.exposeViaService();
    const report = Checks.of(app).run();
    expect(ids(report.findings)).toEqual([
      'NINES-AV-02', // no PDB
      'NINES-AV-04', // maxUnavailable 25%
      'NINES-AV-06', // no preStop drain
      'NINES-PSS-03', // capabilities not dropped
      'NINES-PSS-09', // no seccomp profile
      'NINES-WL-03', // no ephemeral-storage (warning)
      'NINES-WL-09', // no NetworkPolicy
    ]);
    expect(() => app.synthYaml()).toThrow(/Validation failed[\s\S]*\[NINES-AV-02\] test\/web\/Resource \(Deployment\/test-web-c8[a-z0-9]+\): no PodDisruptionBudget covers these pods/);
  });

  test('cdk8s-plus `spread: true` cannot place a 4th replica on 3 zones: AV-03 says so', () => {
    const { app, chart } = regionChart();
    new kplus.Deployment(chart, 'web', { replicas: 4, spread: true, containers: [{ image: 'r/web:1.0.0', portNumber: 8080 }] });
    const f = Checks.of(app).run().findings.filter(x => x.ruleId === 'NINES-AV-03');
    expect(f).toHaveLength(1);
    expect(f[0].message).toBe('a required zone anti-affinity allows one pod per zone, but up to 4 replicas must run on 3 zones, so the rest stay Pending');
  });

  test('raw ApiObjects beside ours are checked: every bad field reported with path, object and fix', () => {
    const { app, chart } = regionChart();
    new ApiObject(chart, 'legacy', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'legacy', namespace: 'old' },
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { app: 'legacy' } },
        template: {
          metadata: { labels: { app: 'legacy' } },
          spec: {
            hostNetwork: true,
            terminationGracePeriodSeconds: 10,
            containers: [{
              name: 'app',
              image: 'legacy:latest',
              ports: [{ containerPort: 80, hostPort: 80 }],
              securityContext: { privileged: true, runAsUser: 0, capabilities: { add: ['SYS_ADMIN'] } },
              resources: { requests: { cpu: '2' }, limits: { cpu: '1' } },
              livenessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 1, failureThreshold: 1 },
              readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 1 },
              lifecycle: { preStop: { exec: { command: ['sleep', '20'] } } },
            }],
            volumes: [{ name: 'host', hostPath: { path: '/var/run' } }],
          },
        },
      },
    });
    new ApiObject(chart, 'svc', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'legacy', namespace: 'old' }, spec: { selector: { app: 'legacy-typo' }, ports: [{ port: 80 }] } });
    new ApiObject(chart, 'pdb', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'legacy', namespace: 'old' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'legacy' } } } });
    const report = Checks.of(app).run();
    expect(ids(report.findings)).toEqual([
      'NINES-AV-01', 'NINES-AV-02', 'NINES-AV-03', 'NINES-AV-04', 'NINES-AV-05',
      'NINES-HARD-01', 'NINES-HARD-02', 'NINES-HARD-03', 'NINES-HARD-04',
      'NINES-PSS-01', 'NINES-PSS-02', 'NINES-PSS-03', 'NINES-PSS-04', 'NINES-PSS-05', 'NINES-PSS-06', 'NINES-PSS-07', 'NINES-PSS-08', 'NINES-PSS-09',
      'NINES-RT-CTL-01', // the Service's selector (app=legacy-typo) selects no pod after the controllers act either
      'NINES-WL-01', 'NINES-WL-02', 'NINES-WL-03', 'NINES-WL-04', 'NINES-WL-05', 'NINES-WL-06', 'NINES-WL-09',
    ]);
    const byRule = (id: string) => report.findings.find(f => f.ruleId === id)!;
    expect(formatFinding(byRule('NINES-AV-02'))).toBe('[NINES-AV-02] test/legacy (Deployment/old/legacy): PodDisruptionBudget/old/legacy (minAvailable 1, maxUnavailable -) never allows an eviction with 1 replicas, so nodes cannot be drained; fix: use maxUnavailable: 1 or minAvailable <= 0');
    expect(byRule('NINES-AV-05').message).toBe('container "app" drains 20 s but the grace period is 10 s, so it is killed mid-drain');
    expect(byRule('NINES-WL-06').path).toBe('test/svc');
    expect(byRule('NINES-WL-05').message).toContain('livenessProbe.periodSeconds 1 < 5');
    expect(byRule('NINES-WL-05').message).toContain('livenessProbe.failureThreshold 1 < 2');
    expect(byRule('NINES-PSS-04').message).toBe('volume "host" is of type hostPath');
  });

  test('a ResilientService app has zero findings, and HPA/PDB/Service selectors are cross-checked', () => {
    const { app, chart } = regionChart();
    new ResilientService(chart, 'a', { image: 'r/a:1.0.0', tier: Criticality.HIGH, namespace: 'ns' });
    expect(Checks.of(app).run().findings).toEqual([]);
    new ApiObject(chart, 'orphan-hpa', {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'x', namespace: 'ns' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'missing' }, minReplicas: 2, maxReplicas: 3 },
    });
    new ApiObject(chart, 'orphan-pdb', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'y', namespace: 'ns' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'nothing' } } } });
    const report = Checks.of(app).run();
    expect(report.findings.map(f => `${f.ruleId} ${f.object}`).sort()).toEqual([
      'NINES-RT-CTL-01 PodDisruptionBudget/ns/y',
      'NINES-WL-07 PodDisruptionBudget/ns/y',
      'NINES-WL-08 HorizontalPodAutoscaler/ns/x',
    ]);
  });

  test('two PDBs over one workload are reported (the eviction API refuses such pods)', () => {
    const { app, chart } = regionChart();
    new ResilientService(chart, 'a', { image: 'r/a:1.0.0', tier: Criticality.HIGH, namespace: 'ns' });
    new ApiObject(chart, 'extra', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'extra', namespace: 'ns' }, spec: { maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'a' } } } });
    const f = Checks.of(app).run().findings.filter(x => x.ruleId === 'NINES-AV-02');
    expect(f.map(x => x.message)).toEqual(['2 PodDisruptionBudgets select these pods; the eviction API refuses such pods']);
  });

  test('suppressions need a reason, are listed, and let synth pass', () => {
    const { app, chart } = regionChart();
    const lines: string[] = [];
    Checks.of(app).log = l => lines.push(l);
    Checks.of(app).provide({ namespaces: ['ns'] }); // the namespace exists: no NINES-REF-01 finding to suppress
    const raw = new ApiObject(chart, 'job-runner', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate', namespace: 'ns' },
      spec: { template: { metadata: { labels: { job: 'migrate' } }, spec: { restartPolicy: 'Never', automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } }, containers: [{ name: 'm', image: 'r/m:1.0.0', resources: { requests: { 'cpu': '100m', 'memory': '64Mi', 'ephemeral-storage': '64Mi' }, limits: { 'memory': '64Mi', 'ephemeral-storage': '64Mi' } }, securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } } }] } } },
    });
    expect(ids(Checks.of(app).run().findings)).toEqual(['NINES-WL-09']);
    expect(errorOf(() => Checks.suppress(raw, 'NINES-WL-09', 'ok')).message).toBe(
      'Checks.suppress \'test/job-runner\': reason ("ok") must explain why NINES-WL-09 does not apply (at least 10 characters); write the reason a reviewer needs');
    expect(errorOf(() => Checks.suppress(raw, 'NINES-NOPE', 'a reason long enough')).message).toMatch(/ruleId \("NINES-NOPE"\) is not a known rule; use one of: NINES-PSS-01,/);
    Checks.suppress(chart, 'NINES-WL-09', 'migration job talks only to the database, isolated by the namespace default-deny');
    app.synthYaml();
    const report = Checks.of(app).lastReport!;
    expect(report.findings).toEqual([]);
    expect(report.suppressed).toEqual([expect.objectContaining({ ruleId: 'NINES-WL-09', path: 'test/job-runner', reason: 'migration job talks only to the database, isolated by the namespace default-deny' })]);
    expect(lines).toContain('  suppressed [NINES-WL-09] test/job-runner (Job/ns/migrate): migration job talks only to the database, isolated by the namespace default-deny');
    expect(lines[0]).toBe('nines checks: 1 objects, 0 errors, 0 warnings, 1 suppressed');
  });

  test('the pass runs once per synth even though cdk8s validates once more per chart', () => {
    const { app, chart } = regionChart();
    new Chart(app, 'second');
    new ResilientService(chart, 'a', { image: 'r/a:1.0.0', tier: Criticality.HIGH, namespace: 'ns' });
    const lines: string[] = [];
    Checks.of(app).log = l => lines.push(l);
    app.synthYaml();
    expect(lines.filter(l => l.startsWith('nines checks:'))).toHaveLength(1);
    app.synthYaml();
    expect(lines.filter(l => l.startsWith('nines checks:'))).toHaveLength(2);
  });

  test('the checks run through the app\'s cdk8s validation: no method of the app is replaced', () => {
    const { app } = regionChart();
    Checks.of(app).log = () => {};
    expect(Object.prototype.hasOwnProperty.call(app, 'synth')).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(app, 'synthYaml')).toBe(false);
    expect(app.node.validate()).toEqual([]);
  });

  test('a chart synthesized on its own, then changed and given a suppression, is checked again (no stale report)', () => {
    const { app, chart } = regionChart();
    const lines: string[] = [];
    Checks.of(app).log = l => lines.push(l);
    Checks.of(app).provide({ namespaces: ['ns'] }); // the namespace exists: no NINES-REF-01 finding to suppress
    const raw = new ApiObject(chart, 'job-runner', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate', namespace: 'ns' },
      spec: { template: { metadata: { labels: { job: 'migrate' } }, spec: { restartPolicy: 'Never', automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } }, containers: [{ name: 'm', image: 'r/m:1.0.0', resources: { requests: { 'cpu': '100m', 'memory': '64Mi', 'ephemeral-storage': '64Mi' }, limits: { 'memory': '64Mi', 'ephemeral-storage': '64Mi' } }, securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } } }] } } },
    });
    Checks.suppress(raw, 'NINES-WL-09', 'migration job talks only to the database, isolated by the namespace default-deny');
    Testing.synth(chart);
    expect(lines[0]).toBe('nines checks: 1 objects, 0 errors, 0 warnings, 1 suppressed');
    raw.addJsonPatch(JsonPatch.remove('/spec/template/spec/securityContext/runAsNonRoot'));
    Checks.suppress(chart, 'NINES-AV-01', 'a one-off migration job, not a serving workload, in this test');
    expect(() => Testing.synth(chart)).toThrow(/NINES-PSS/);
  });

  test('synth writes the JSON the pass resolved, identical to a fresh resolve', () => {
    const { app, chart } = regionChart();
    new ResilientService(chart, 'a', { image: 'r/a:1.0.0', tier: Criticality.HIGH, namespace: 'ns' });
    const written = app.synthYaml();
    const fresh = Testing.synth(chart);
    expect(written).toBe(fresh.map(o => stringify(o)).join('---\n'));
  });

  test('one synth resolves each object of a RegionChart once: the chart renders the JSON the pass resolved', () => {
    const { app, chart } = regionChart();
    new Chart(app, 'second');
    Checks.of(app).provide({ namespaces: ['ns'] });
    let resolved = 0;
    class Counted extends ApiObject {
      public toJson(): any {
        resolved++;
        return super.toJson();
      }
    }
    const o = new Counted(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'ns' }, data: { a: '1' } });
    const first = app.synthYaml();
    expect(resolved).toBe(1);
    // The JSON was taken: a change in the same task is written by the next synth.
    o.addJsonPatch(JsonPatch.add('/data/b', '2'));
    const second = app.synthYaml();
    expect(resolved).toBe(2);
    expect(first).toContain('a: "1"');
    expect(second).toContain('b: "2"');
    expect(o.toJson().data).toEqual({ a: '1', b: '2' });
    expect(resolved).toBe(3);
  });

  test('a plain Chart resolves its objects twice per synth (once for the pass, once to render)', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'plain');
    Checks.of(app).log = () => {};
    Checks.of(app).provide({ namespaces: ['ns'] });
    let resolved = 0;
    class Counted extends ApiObject {
      public toJson(): any {
        resolved++;
        return super.toJson();
      }
    }
    new Counted(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'ns' }, data: { a: '1' } });
    expect(app.synthYaml()).toContain('a: "1"');
    expect(resolved).toBe(2);
  });

  test('no ApiObject gets a toJson of its own during synth: the checks replace no method of any object', () => {
    const { app, chart } = regionChart();
    const plain = new Chart(app, 'plain');
    new ResilientService(chart, 'a', { image: 'r/a:1.0.0', tier: Criticality.HIGH, namespace: 'ns' });
    new ResilientService(plain, 'b', { image: 'r/b:1.0.0', tier: Criticality.HIGH, namespace: 'ns', zones: ['a', 'b', 'c'] });
    const patched: string[] = [];
    const look = (when: string) => {
      for (const c of app.node.findAll()) {
        if (c instanceof ApiObject && Object.prototype.hasOwnProperty.call(c, 'toJson')) patched.push(`${when}: ${c.node.path}`);
      }
    };
    // Seen by cdk8s's validation right after the app's own (the check pass) ...
    new Construct(chart, 'probe').node.addValidation({ validate: () => { look('validation'); return []; } });
    // ... and while the charts render (a value resolved when its object is rendered).
    new ApiObject(plain, 'render-probe', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe', namespace: 'ns' }, data: { at: Lazy.any({ produce: () => { look('render'); return 'render'; } }) } });
    let validations = 0;
    new Construct(chart, 'counter').node.addValidation({ validate: () => { validations++; return []; } });
    expect(app.synthYaml()).toContain('at: render');
    expect(validations).toBe(3); // cdk8s's count: once for the app, once per chart (2)
    Testing.synth(chart);
    app.synth();
    look('after');
    expect(patched).toEqual([]);
  });

  test('a RegionChart renders its objects in cdk8s\'s dependency order, reusing the JSON when dependencies are between objects', () => {
    const render = (withConstructDependency: boolean) => {
      const { app, chart } = regionChart();
      let resolved = 0;
      class Counted extends ApiObject {
        public toJson(): any {
          resolved++;
          return super.toJson();
        }
      }
      const cm = (id: string) => new Counted(chart, id, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: id, namespace: 'ns' }, data: { a: '1' } });
      const [first, second, third] = [cm('first'), cm('second'), cm('third')];
      first.addDependency(third);
      if (withConstructDependency) {
        // A construct above objects: cdk8s turns it into dependencies of the objects below it.
        const group = new Construct(chart, 'group');
        const inner = new Counted(group, 'inner', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inner', namespace: 'ns' }, data: { a: '1' } });
        second.addDependency(group);
        expect(inner.node.path).toBe('test/group/inner');
      }
      const names = app.synthYaml().split('---\n').map(d => /\n {2}name: (\S+)/.exec(d)![1]);
      return { names, resolved, objects: names.length };
    };
    // first depends on third: cdk8s writes third before first; each object resolved once.
    expect(render(false)).toEqual({ names: ['third', 'first', 'second'], resolved: 3, objects: 3 });
    // second depends on a construct holding `inner`: cdk8s's own path (each object resolved twice), inner before second.
    expect(render(true)).toEqual({ names: ['third', 'first', 'inner', 'second'], resolved: 8, objects: 4 });
  });

  test('JSON the pass resolved and no chart took (a validation that renders nothing) is dropped at the end of the task', async () => {
    const { app, chart } = regionChart();
    Checks.of(app).provide({ namespaces: ['ns'] });
    const o = new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'ns' }, data: { a: '1' } });
    expect(app.node.validate()).toEqual([]);
    await Promise.resolve();
    o.addJsonPatch(JsonPatch.add('/data/b', '2'));
    expect(app.synthYaml()).toContain('b: "2"');
  });

  test('a pass with errors keeps no JSON, and Checks.run() keeps none', () => {
    const { app, chart } = regionChart();
    const bad = new ApiObject(chart, 'd', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' }, spec: { replicas: 2, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } } });
    expect(() => app.synthYaml()).toThrow(/NINES-PSS-07/);
    expect(Checks.of(app).renderChart(chart)).toBeUndefined();
    Checks.of(app).provide({ namespaces: ['ns'] });
    const cm = new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'ns' }, data: { a: '1' } });
    bad.node.scope!.node.tryRemoveChild(bad.node.id);
    Checks.of(app).run();
    expect(Checks.of(app).renderChart(chart)).toBeUndefined();
    cm.addJsonPatch(JsonPatch.add('/data/b', '2'));
    expect(app.synthYaml()).toContain('b: "2"');
  });

  test('objects of a plain Chart beside a RegionChart have no region (a Chart is not taken for a RegionChart)', () => {
    const { app, chart } = regionChart();
    const cm = new ApiObject(new Chart(app, 'plain'), 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'ns' } });
    expect(RegionChart.isRegionChart(chart)).toBe(true);
    expect(RegionChart.isRegionChart(cm.chart)).toBe(false);
    expect(RegionChart.find(cm)).toBeUndefined();
    expect(Checks.of(app).zonesOf(cm)).toBeUndefined();
    expect(Checks.of(app).regionOf(cm)).toBeUndefined();
    expect(Checks.of(app).run().objects).toBe(1);
  });

  test('every rule has a unique id and a description', () => {
    const seen = new Set(DEFAULT_RULES.map(r => r.id));
    expect(seen.size).toBe(DEFAULT_RULES.length);
    for (const r of DEFAULT_RULES) expect(r.description.length).toBeGreaterThan(10);
  });

  test('apps without our constructs can turn the checks on explicitly', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    Checks.of(app).log = () => {};
    new ApiObject(chart, 'd', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 2, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } } });
    expect(() => app.synthYaml()).toThrow(/NINES-PSS-07/);
  });
});
