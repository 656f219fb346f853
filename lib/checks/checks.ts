import { ApiObject, Chart, DependencyGraph } from 'cdk8s';
import { IConstruct } from 'constructs';
import { CausedFinding, FindingCause, mergeCauses } from './causes';
import { buildIndex, CheckedObject } from './object-index';
import { ProvidedObjects, declareProvided, providedObjectsProblems } from './references';
import { DEFAULT_RULES, Rule } from './rules';
import { AppRule, RUNTIME_RULES, RuntimeModel } from './runtime';
import { throwIfAppInvalid } from '../core/app-problems';
import { ValidationError } from '../core/errors';
import { PlatformSettings, Region } from '../core/platform';
import { PerApp } from '../core/private/per-app';

/** How bad a finding is: errors fail synth, warnings are reported. */
export type FindingSeverity = 'error' | 'warning';

/** One finding of one rule on one object. */
export interface Finding {
  readonly ruleId: string;
  readonly severity: FindingSeverity;
  /** Construct path of the object. */
  readonly path: string;
  /** `Kind/namespace/name` of the object. */
  readonly object: string;
  readonly message: string;
  readonly fix: string;
}

/** A finding that was suppressed, with the reason given. */
export interface SuppressedFinding extends Finding {
  readonly reason: string;
}

/** The outcome of one pass over an app. */
export interface CheckReport {
  /** Objects checked. */
  readonly objects: number;
  /** Findings not suppressed. */
  readonly findings: readonly Finding[];
  /** Findings suppressed, each with its reason. */
  readonly suppressed: readonly SuppressedFinding[];
}

interface Suppression {
  readonly ruleId: string;
  readonly reason: string;
}

const SUPPRESSIONS = new WeakMap<IConstruct, Suppression[]>();
/** Bumped by every suppression, so a report made before one is not reused after it. */
let suppressionVersion = 0;

/**
 * Synth-time checks for availability and hardening, like cdk-nag for AWS CDK: one pass over
 * every Kubernetes object in the app (ours, cdk8s-plus ones and raw ApiObjects) before anything
 * is written. Errors fail synth; a finding can be silenced only with a written reason, and
 * suppressions are listed in the output.
 *
 * Turned on for an app by any RegionChart or ResilientService in it; call `Checks.of(app)` to
 * turn it on for an app without them.
 */
export class Checks {
  /** The checks of the app `scope` belongs to (created and attached on first use). */
  public static of(scope: IConstruct): Checks {
    return Checks.APPS.of(scope);
  }

  /**
   * Silences `ruleId` for `scope` and every object below it.
   * @param reason why the finding does not apply here (at least 10 characters); printed at synth.
   */
  public static suppress(scope: IConstruct, ruleId: string, reason: string): void {
    if (typeof reason !== 'string' || reason.trim().length < 10) {
      throw new Error(`Checks.suppress '${scope.node.path}': reason (${JSON.stringify(reason)}) must explain why ${ruleId} does not apply (at least 10 characters); write the reason a reviewer needs`);
    }
    const ids = [...Checks.of(scope).rules, ...Checks.of(scope).appRules].map(r => r.id);
    if (!ids.includes(ruleId)) {
      throw new Error(`Checks.suppress '${scope.node.path}': ruleId (${JSON.stringify(ruleId)}) is not a known rule; use one of: ${ids.join(', ')}`);
    }
    const list = SUPPRESSIONS.get(scope) ?? [];
    list.push({ ruleId, reason: reason.trim() });
    SUPPRESSIONS.set(scope, list);
    suppressionVersion++;
  }

  /** True when `ruleId` is suppressed for `scope` (on it or an ancestor). */
  public static isSuppressed(scope: IConstruct, ruleId: string): boolean {
    return suppressionFor(scope, ruleId) !== undefined;
  }

  private static readonly APPS = new PerApp(root => new Checks(root));

  /** The rules this pass runs. */
  public readonly rules: readonly Rule[];
  /** The rules over the running system (lib/checks/runtime), run once per pass on the runtime model. */
  public readonly appRules: readonly AppRule[] = RUNTIME_RULES;
  /** The report of the last pass (after synth). */
  public lastReport?: CheckReport;
  /**
   * The report of the synth in progress, reused by the validations cdk8s runs inside it (see
   * `validate`), how many of them are still to come, and the JSON the pass resolved for each
   * object that no chart has rendered yet (see `renderChart`).
   */
  private synthReport?: {
    readonly report: CheckReport;
    readonly treeSize: number;
    readonly suppressions: number;
    remaining: number;
    readonly resolved?: Map<IConstruct, any>;
  };
  private constructor(private readonly root: IConstruct, rules: readonly Rule[] = DEFAULT_RULES) {
    this.rules = rules;
    root.node.addValidation({ validate: () => this.validate() });
  }

  /**
   * Tells how many zones an object's region has (set by RegionChart); rules that compare
   * replicas with zones skip objects for which it returns undefined.
   */
  public zonesOf: (c: IConstruct) => number | undefined = () => undefined;
  /**
   * Tells the platform facts (mesh mode, Kubernetes version, namespaces) of an object's region
   * (set by RegionChart); the runtime model uses the platform defaults where it returns undefined.
   */
  public platformOf: (c: IConstruct) => PlatformSettings | undefined = () => undefined;
  /**
   * Tells the region (and platform) an object belongs to (set by RegionChart); the contract rule
   * (NINES-CAP-01) checks objects of a region against that platform's capabilities, and the version
   * rule (NINES-VER-01) reads the platform's Kubernetes version (the default one outside a region).
   */
  public regionOf: (c: IConstruct) => Region | undefined = () => undefined;
  /** Where the summary goes; `() => {}` to silence. */
  public log: (line: string) => void = line => console.error(line);

  /**
   * Declares objects that exist in the cluster without being part of this app (created by
   * another app, an operator, the AWS side, or by hand, like the Secrets holding credentials),
   * so NINES-REF-01 accepts pods that use them.
   * @throws ValidationError when a name is not `name` (cluster-scoped) or `namespace/name`.
   */
  public provide(objects: ProvidedObjects): this {
    const problems = providedObjectsProblems(objects);
    if (problems.length > 0) throw new ValidationError('Checks.provide', this.root.node.path || '<app>', problems);
    declareProvided(this.root, objects);
    return this;
  }

  /** Runs every rule over every object now and returns the report. */
  public run(): CheckReport {
    return this.pass().report;
  }

  /** The runtime model of the app as it stands now (what the app rules read). */
  public model(): RuntimeModel {
    const objects = this.root.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject)
      .map(c => toChecked(c, this.zonesOf(c), this.regionOf(c)));
    return new RuntimeModel(objects, this.platformOf);
  }

  /**
   * One pass over the constructs `all` (the app's tree): the report and the objects it resolved.
   */
  private pass(all: readonly IConstruct[] = this.root.node.findAll()): { report: CheckReport; objects: readonly CheckedObject[] } {
    // Constructs that were not built (their props had problems) leave the app incomplete: their
    // problems, all of them at once, come before any finding on what remains.
    throwIfAppInvalid(this.root);
    const objects: CheckedObject[] = [];
    for (const c of all) {
      if (c instanceof ApiObject) objects.push(toChecked(c, this.zonesOf(c), this.regionOf(c)));
    }
    const index = buildIndex(objects);
    const findings: CausedFinding[] = [];
    const suppressed: SuppressedFinding[] = [];
    const file = (rule: Rule | AppRule, obj: CheckedObject, r: { message: string; fix: string; cause?: FindingCause }) => {
      const finding: Finding = { ruleId: rule.id, severity: rule.severity, path: obj.path, object: obj.ref, message: r.message, fix: r.fix };
      const s = suppressionFor(obj.construct, rule.id);
      if (s) suppressed.push({ ...finding, reason: s.reason });
      else findings.push(r.cause ? { ...finding, cause: r.cause } : finding);
    };
    for (const obj of objects) {
      for (const rule of this.rules) {
        if (rule.appliesTo && !rule.appliesTo.has(obj.kind)) continue;
        for (const r of rule.check(obj, index)) file(rule, obj, r);
      }
    }
    if (this.appRules.length > 0) {
      const model = new RuntimeModel(objects, this.platformOf);
      for (const rule of this.appRules) for (const f of rule.checkApp(model)) file(rule, f.object, f);
    }
    // One finding per cause (an over-long derived label on every object of a service), listing the objects.
    const report = { objects: objects.length, findings: mergeCauses(findings), suppressed };
    this.lastReport = report;
    return { report, objects };
  }

  /**
   * Renders `chart` as cdk8s's `Chart.toJson()` does (every construct of the app validated, then
   * the chart's own objects in dependency order), with the JSON the check pass of the synth in
   * progress resolved, so that a synth resolves each object once; or returns undefined when there
   * is none to reuse, and the caller renders through `Chart.toJson()`, which resolves every object
   * again. A Chart subclass opts in by overriding `toJson()`:
   * `return Checks.of(this).renderChart(this) ?? super.toJson();` (`RegionChart` does;
   * a plain `Chart` resolves each object twice per synth, once for the pass and once to render).
   *
   * There is JSON to reuse when a validation of this synth ran the pass without errors (see
   * `validate`: the same task, tree and suppressions, and a validation still to come), and cdk8s's
   * dependency resolution before rendering adds nothing (`cdk8sAddsNoDependencies`, checked when the
   * pass ran);
   * otherwise cdk8s's own path must run. Each object's JSON is taken once: a later rendering in
   * the same task resolves the object again.
   * @see node_modules/cdk8s/lib/app.js (cdk8s 2.70: `App._synthChart`, `validate`, `chartToKube`)
   */
  public renderChart(chart: Chart): any[] | undefined {
    const memo = this.synthReport;
    if (!memo?.resolved) return undefined;
    const all = this.root.node.findAll();
    if (!this.reusable(memo, all)) return undefined;
    validateApp(all); // runs `validate` below, which reuses the report
    const resolved = memo.resolved;
    return objectsOf(chart).map(o => {
      const json = resolved.get(o);
      resolved.delete(o);
      return json ?? o.toJson();
    });
  }

  /**
   * The app's validation (cdk8s `node.addValidation`). cdk8s validates the whole app once at the
   * start of `App.synth()` / `App.synthYaml()` and once more before it renders each chart
   * (`App._synthChart`, reached through every `Chart.toJson()`; `renderChart` does the same):
   * 1 + charts validations per synth. The tree cannot change inside one synth, so the pass runs
   * at the first of them and the next `charts` validations reuse its report. A reuse also
   * requires the same tree (construct count) and the same suppressions, and ends with the current
   * task (a microtask clears it). A pass with errors stops the synth, so it is never reused.
   *
   * A pass without errors keeps the JSON it resolved (the rules and the runtime model read it) for
   * `renderChart`, until each object's JSON is taken or the reuse ends.
   *
   * Limit: cdk8s does not tell a validation which synth called it, so a validation that renders
   * no chart or not all of them (`app.node.validate()`, one chart's `Chart.toJson()` such as
   * `Testing.synth(chart)` in an app of several charts), followed in the same synchronous task by
   * a change that adds no construct and no suppression (a JSON patch, a label, a dependency) and
   * another synth,
   * reuses the first report and, in charts that render through `renderChart`, the JSON of the
   * objects not rendered yet. `Checks.of(app).run()` always runs a fresh pass and keeps nothing.
   * @see node_modules/cdk8s/lib/app.js (cdk8s 2.70: `App.synth`, `App.synthYaml`, `App._synthChart`, `validate`)
   */
  private validate(): string[] {
    throwIfAppInvalid(this.root);
    const all = this.root.node.findAll();
    const memo = this.synthReport;
    if (memo && this.reusable(memo, all)) {
      memo.remaining--;
      return [];
    }
    this.synthReport = undefined;
    const { report, objects } = this.pass(all);
    const errors = report.findings.filter(f => f.severity === 'error');
    const warnings = report.findings.filter(f => f.severity === 'warning');
    this.log(`nines checks: ${report.objects} objects, ${errors.length} errors, ${warnings.length} warnings, ${report.suppressed.length} suppressed`);
    for (const w of warnings) this.log(`  warning ${formatFinding(w)}`);
    for (const s of report.suppressed) this.log(`  suppressed [${s.ruleId}] ${s.path} (${s.object}): ${s.reason}`);
    if (errors.length === 0) {
      const resolved = cdk8sAddsNoDependencies(all) ? new Map(objects.map(o => [o.construct, o.json])) : undefined;
      const charts = all.filter(c => Chart.isChart(c)).length;
      const memoNow = { report, treeSize: all.length, suppressions: suppressionVersion, remaining: charts, resolved };
      this.synthReport = memoNow;
      queueMicrotask(() => {
        if (this.synthReport === memoNow) this.synthReport = undefined;
      });
    }
    return errors.map(formatFinding);
  }

  /** True when `memo` may serve a validation of the app whose constructs are `all` (see `validate`). */
  private reusable(memo: NonNullable<Checks['synthReport']>, all: readonly IConstruct[]): boolean {
    return memo.remaining > 0 && memo.treeSize === all.length && memo.suppressions === suppressionVersion;
  }
}

/**
 * Validates every construct of the app as cdk8s does before it renders a chart: each error
 * prefixed with its construct's path, all of them in one Error.
 * @see node_modules/cdk8s/lib/app.js (cdk8s 2.70: `validate`)
 */
function validateApp(all: readonly IConstruct[]): void {
  const errors = all.flatMap(c => c.node.validate().map(e => `[${c.node.path}] ${e}`));
  if (errors.length > 0) throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
}

/**
 * The objects cdk8s renders for `chart`, in its order: the chart's dependency graph sorted
 * topologically, keeping each ApiObject in its closest chart only.
 * @see node_modules/cdk8s/lib/app.js (cdk8s 2.70: `chartToKube`)
 */
function objectsOf(chart: Chart): ApiObject[] {
  return new DependencyGraph(chart.node).topology().filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === chart);
}

/**
 * True when cdk8s's dependency resolution before a chart renders would add no dependency to the
 * app's constructs `all`, so that the order `objectsOf` reads now is the order cdk8s renders in:
 * no chart holds another (a parent chart is made to depend on its children), and every declared
 * dependency is between two ApiObjects of one chart with no constructs below them (cdk8s turns a
 * dependency of constructs into dependencies between all the ApiObjects below them, across
 * charts into one between the charts).
 * @see node_modules/cdk8s/lib/app.js (cdk8s 2.70: `resolveDependencies`)
 */
function cdk8sAddsNoDependencies(all: readonly IConstruct[]): boolean {
  const bare = (c: IConstruct) => c instanceof ApiObject && c.node.children.length === 0;
  for (const c of all) {
    if (Chart.isChart(c) && c.node.scope && hasChartAbove(c.node.scope)) return false;
    const deps = c.node.dependencies;
    if (deps.length === 0) continue;
    if (!bare(c)) return false;
    for (const d of deps) if (!bare(d) || Chart.of(d) !== Chart.of(c)) return false;
  }
  return true;
}

function hasChartAbove(scope: IConstruct): boolean {
  for (let s: IConstruct | undefined = scope; s; s = s.node.scope) if (Chart.isChart(s)) return true;
  return false;
}

/** One line per finding: rule, path, object, message and fix. */
export function formatFinding(f: Finding): string {
  return `[${f.ruleId}] ${f.path} (${f.object}): ${f.message}; fix: ${f.fix}`;
}

function toChecked(o: ApiObject, zones: number | undefined, region: Region | undefined): CheckedObject {
  const json = o.toJson();
  const kind = String(json.kind);
  const md = json.metadata ?? {};
  return {
    construct: o,
    path: o.node.path,
    json,
    kind,
    name: String(md.name ?? ''),
    namespace: String(md.namespace ?? 'default'),
    ref: `${kind}/${md.namespace ? md.namespace + '/' : ''}${md.name}`,
    zones,
    region,
  };
}

function suppressionFor(c: IConstruct, ruleId: string): Suppression | undefined {
  for (let s: IConstruct | undefined = c; s; s = s.node.scope) {
    const hit = SUPPRESSIONS.get(s)?.find(x => x.ruleId === ruleId);
    if (hit) return hit;
  }
  return undefined;
}
