/**
 * Synthesis benchmark: nines ResilientService (checks on) against the floor (the same objects
 * as plain cdk8s ApiObjects) and against cdk8s-plus-28 (Deployment + Service per service).
 *
 * Run with `npm run bench` (node --expose-gc). Prints a table, the ratios and a verdict line.
 * No assertions on time: it is a benchmark, not a test. See bench/README.md.
 */
import * as os from 'os';
import { ApiObject, App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { parseAllDocuments } from 'yaml';
import { Bulkhead, Checks, Criticality, Platform, PriorityClasses, Region, RegionChart, ResilientService } from '../lib';

// ---------------------------------------------------------------------------------------------
// Setup

const gc: () => void = (globalThis as any).gc ?? (() => {
  throw new Error('run with node --expose-gc (npm run bench)');
});

/** Runs per size after one warm-up; large sizes may use fewer (printed). */
const RUNS_SMALL = Number(process.env.BENCH_RUNS ?? 5);
const RUNS_LARGE = Number(process.env.BENCH_RUNS_LARGE ?? process.env.BENCH_RUNS ?? 5);
/** Sizes whose total object count is at or above this use RUNS_LARGE. */
const LARGE_FROM_OBJECTS = 4000;

/** The case study's scale: 4 regions, 3 zones each. */
const PLATFORM = Platform.fromDescription({
  environment: 'production',
  regions: [
    { name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] },
    { name: 'us-west-2', zones: ['us-west-2a', 'us-west-2b', 'us-west-2c'] },
    { name: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
    { name: 'ap-southeast-1', zones: ['ap-southeast-1a', 'ap-southeast-1b', 'ap-southeast-1c'] },
  ],
});

const TIERS = [Criticality.CRITICAL, Criticality.HIGH, Criticality.MEDIUM, Criticality.LOW];
const NAMESPACES = 8;

/** Deterministic service i: name, namespace (8 bulkheads), tier, pinned image. */
function spec(i: number) {
  const namespace = `team-${i % NAMESPACES}`;
  const name = `svc-${String(i).padStart(4, '0')}`;
  return { name, namespace, tier: TIERS[i % TIERS.length], image: `registry.example.com/${namespace}/${name}:1.${i}.0` };
}

/**
 * Earlier services that service i calls: its binary-tree parent (i-1)/2, and for even i also
 * i-1. Every service but the first has 1 or 2 edges (mostly across namespaces), callers have
 * up to 3 callers, and the graph stays a DAG of logarithmic depth.
 */
function dependenciesOf(i: number): number[] {
  if (i === 0) return [];
  const deps = [Math.floor((i - 1) / 2)];
  if (i % 2 === 0 && i - 1 !== deps[0]) deps.push(i - 1);
  return deps;
}

// ---------------------------------------------------------------------------------------------
// The three variants. Each builds one fresh app per region and synthesizes it; returns the apps
// (kept referenced until memory is sampled) and the YAML.

interface Built {
  readonly apps: App[];
  readonly yaml: string[];
}

function buildNines(regions: readonly Region[], n: number): Built {
  const apps: App[] = [];
  const yaml: string[] = [];
  for (const region of regions) {
    const app = new App();
    Checks.of(app).log = () => {};
    const chart = new RegionChart(app, 'services', { region, disableResourceNameHashes: true });
    // What a real app holds around its services (and the full check pass reads): the bulkhead
    // namespaces (meshed, PSA restricted) and the tiers' PriorityClasses.
    new PriorityClasses(chart, 'priority');
    for (let k = 0; k < NAMESPACES; k++) new Bulkhead(chart, `team-${k}`);
    const services: ResilientService[] = [];
    for (let i = 0; i < n; i++) {
      const s = spec(i);
      const svc = new ResilientService(chart, s.name, { image: s.image, tier: s.tier, namespace: s.namespace });
      for (const d of dependenciesOf(i)) svc.dependOn(services[d]);
      services.push(svc);
    }
    yaml.push(app.synthYaml());
    apps.push(app);
  }
  return { apps, yaml };
}

/** The exact objects a nines run produced, per region, as parsed JSON. */
function parseObjects(yaml: readonly string[]): any[][] {
  return yaml.map(y => parseAllDocuments(y).map(d => d.toJSON()).filter(d => d));
}

function buildFloor(input: readonly any[][]): Built {
  const apps: App[] = [];
  const yaml: string[] = [];
  for (const objects of input) {
    const app = new App();
    const chart = new Chart(app, 'services', { disableResourceNameHashes: true });
    objects.forEach((json, k) => new ApiObject(chart, `o${k}`, json));
    yaml.push(app.synthYaml());
    apps.push(app);
  }
  return { apps, yaml };
}

function buildPlus(regions: readonly Region[], n: number): Built {
  const apps: App[] = [];
  const yaml: string[] = [];
  for (const _region of regions) {
    const app = new App();
    const chart = new Chart(app, 'services', { disableResourceNameHashes: true });
    for (let i = 0; i < n; i++) {
      const s = spec(i);
      const probe = (path: string) => kplus.Probe.fromHttpGet(path, { port: 8080 });
      const deployment = new kplus.Deployment(chart, s.name, {
        metadata: { name: s.name, namespace: s.namespace },
        replicas: 3,
        securityContext: { ensureNonRoot: true, user: 10001, group: 10001, fsGroup: 10001 },
        containers: [{
          name: s.name,
          image: s.image,
          portNumber: 8080,
          readiness: probe('/health/ready'),
          liveness: probe('/health/live'),
          securityContext: { ensureNonRoot: true, user: 10001, group: 10001, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
          resources: {
            cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.millis(1000) },
            memory: { request: Size.mebibytes(512), limit: Size.gibibytes(1) },
          },
        }],
      });
      deployment.exposeViaService({ name: s.name, ports: [{ port: 80, targetPort: 8080 }] });
    }
    yaml.push(app.synthYaml());
    apps.push(app);
  }
  return { apps, yaml };
}

// ---------------------------------------------------------------------------------------------
// Measurement

interface Sample {
  /** Wall time of construction + synth. */
  readonly ms: number;
  /** CPU time (user + system, all threads: GC helpers included) over the same interval. */
  readonly cpuMs: number;
  /** heapUsed right after synth (app still referenced, no GC in between) minus the baseline. */
  readonly heapAfterSynth: number;
  /** heapUsed after a forced full GC with the apps and YAML still referenced, minus the baseline. */
  readonly retained: number;
  readonly objects: number;
  readonly docs: number;
}

/**
 * ApiObjects in the apps. A plain walk, not node.findAll(): V8 may specialise findAll's inner
 * closure to the context of its last call, which keeps that whole tree alive into the next
 * run's baseline and makes the next heap delta come out too small.
 */
function countObjects(apps: readonly App[]): number {
  let n = 0;
  const stack: IConstruct[] = [...apps];
  while (stack.length > 0) {
    const c = stack.pop()!;
    if (c instanceof ApiObject) n++;
    stack.push(...c.node.children);
  }
  return n;
}

/** YAML documents (cdk8s joins them with `---\n`); no RegExp, see `measure`. */
function countDocs(yaml: readonly string[]): number {
  let docs = 0;
  for (const y of yaml) {
    if (y.trim() === '') continue;
    docs++;
    for (let at = y.indexOf('\n---\n'); at >= 0; at = y.indexOf('\n---\n', at + 1)) docs++;
  }
  return docs;
}

/**
 * One run: full GCs, baseline heap, build + synth (timed), heap sample, full GCs, heap sample.
 * A single gc() leaves the counters noisy (garbage from the burst is not all accounted yet);
 * two in a row give stable numbers.
 * The RegExp statics (RegExp.input / lastMatch) pin the last string any regex ran on, which can
 * be a previous run's output; one tiny exec resets them before the baseline.
 */
function measure(run: () => Built): Sample {
  /x/.exec('x');
  gc();
  gc();
  const baseline = process.memoryUsage().heapUsed;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const built = run();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(c0);
  const heapAfterSynth = process.memoryUsage().heapUsed - baseline;
  gc();
  gc();
  const retained = process.memoryUsage().heapUsed - baseline;
  // Counting comes after both samples and keeps `built` referenced through them.
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, heapAfterSynth, retained, objects: countObjects(built.apps), docs: countDocs(built.yaml) };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

type Variant = 'nines' | 'floor' | 'cdk8s-plus';
const VARIANTS: readonly Variant[] = ['nines', 'floor', 'cdk8s-plus'];

interface Result {
  readonly ms: number;
  readonly min: number;
  readonly max: number;
  readonly cpuMs: number;
  readonly heapAfterSynth: number;
  readonly retained: number;
  readonly objects: number;
  readonly runs: number;
}

interface Case {
  readonly label: string;
  /** Services per app. */
  readonly n: number;
  readonly regions: readonly Region[];
}

const ALL_CASES: readonly Case[] = [
  { label: '50', n: 50, regions: PLATFORM.regions.slice(0, 1) },
  { label: '100', n: 100, regions: PLATFORM.regions.slice(0, 1) },
  { label: '200', n: 200, regions: PLATFORM.regions.slice(0, 1) },
  { label: '400', n: 400, regions: PLATFORM.regions.slice(0, 1) },
  { label: '200x4', n: 200, regions: PLATFORM.regions },
];
/** BENCH_CASES=50,400 runs a subset (e.g. for profiling); the verdict needs 50, 400 and 200x4. */
const CASES = process.env.BENCH_CASES ? ALL_CASES.filter(c => process.env.BENCH_CASES!.split(',').includes(c.label)) : ALL_CASES;

interface CaseResult {
  readonly results: Record<Variant, Result>;
  /** The floor's YAML equals the nines YAML, byte for byte. */
  readonly identical: boolean;
  /** The nines checks' report of the warm-up synth. */
  readonly checked: string;
}

interface Prepared {
  readonly c: Case;
  readonly runners: Record<Variant, () => Built>;
  readonly runs: number;
  readonly identical: boolean;
  readonly checked: string;
  readonly samples: Record<Variant, Sample[]>;
}

/**
 * The size's warm-up run, one per variant. The nines warm-up's output is the floor's input,
 * and the floor warm-up's output must equal it byte for byte.
 */
function prepare(c: Case): Prepared {
  const warm = buildNines(c.regions, c.n);
  const checks = warm.apps.map(app => Checks.of(app).lastReport!);
  const checked = `${sum(checks.map(r => r.objects))} objects checked, `
    + `${sum(checks.map(r => r.findings.filter(f => f.severity === 'error').length))} errors, `
    + `${sum(checks.map(r => r.findings.filter(f => f.severity === 'warning').length))} warnings`;
  const input = parseObjects(warm.yaml);
  const floorYaml = buildFloor(input).yaml;
  const identical = warm.yaml.length === floorYaml.length && warm.yaml.every((y, i) => y === floorYaml[i]);
  buildPlus(c.regions, c.n);
  return {
    c,
    runners: {
      'nines': () => buildNines(c.regions, c.n),
      'floor': () => buildFloor(input),
      'cdk8s-plus': () => buildPlus(c.regions, c.n),
    },
    runs: c.n * c.regions.length * 10 >= LARGE_FROM_OBJECTS ? RUNS_LARGE : RUNS_SMALL,
    identical,
    checked,
    samples: { 'nines': [], 'floor': [], 'cdk8s-plus': [] },
  };
}

/**
 * Round r measures every size and every variant once, so drift (other processes on the
 * machine, thermal) hits all sizes and variants alike: the ratios and growth factors compare
 * samples taken close together.
 */
function runRounds(prepared: readonly Prepared[]): void {
  const rounds = Math.max(...prepared.map(p => p.runs));
  for (let r = 0; r < rounds; r++) {
    for (const p of prepared) {
      if (r >= p.runs) continue;
      for (const v of VARIANTS) {
        const sample = measure(p.runners[v]);
        p.samples[v].push(sample);
        if (process.env.BENCH_DEBUG) console.log(`    round ${r} ${p.c.label} ${v} ${JSON.stringify(sample)}`);
      }
    }
  }
}

function summarize(p: Prepared): CaseResult {
  const results = {} as Record<Variant, Result>;
  for (const v of VARIANTS) {
    const s = p.samples[v];
    const objects = s[0].objects;
    if (s.some(x => x.objects !== objects || x.docs !== objects)) {
      throw new Error(`${v} at ${p.c.label}: object counts differ between runs, or from the YAML documents`);
    }
    results[v] = {
      ms: median(s.map(x => x.ms)),
      min: Math.min(...s.map(x => x.ms)),
      max: Math.max(...s.map(x => x.ms)),
      cpuMs: median(s.map(x => x.cpuMs)),
      heapAfterSynth: median(s.map(x => x.heapAfterSynth)),
      retained: median(s.map(x => x.retained)),
      objects,
      runs: s.length,
    };
  }
  if (results.nines.objects !== results.floor.objects) {
    throw new Error(`object counts differ at ${p.c.label}: nines ${results.nines.objects}, floor ${results.floor.objects}`);
  }
  return { results, identical: p.identical, checked: p.checked };
}

// ---------------------------------------------------------------------------------------------
// Report

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const x = (r: number) => `${r.toFixed(2)}x`;

/** A markdown table with right-aligned cells (the first two left-aligned). */
function table(head: readonly string[], rows: readonly string[][], left = 1): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (i < left ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ')} |`;
  const sep = `|${w.map((n, i) => (i < left ? `${'-'.repeat(n + 1)}-` : `${'-'.repeat(n + 1)}:`)).join('|')}|`;
  return [line(head), sep, ...rows.map(line)].join('\n');
}

function main(): void {
  const started = Date.now();
  const load = () => os.loadavg().map(l => l.toFixed(1)).join(' ');
  console.log(`nines synth benchmark: node ${process.version}, ${os.cpus().length} CPUs, load average ${load()}`);
  console.log(`each run builds fresh app(s) from scratch and calls app.synthYaml() (nothing written to disk); median of ${RUNS_SMALL} runs `
    + `after a global JIT warm-up and 1 warm-up run per size and variant${RUNS_LARGE !== RUNS_SMALL ? ` (${RUNS_LARGE} runs for >= ${LARGE_FROM_OBJECTS} objects: 400 and 200x4)` : ''};\nruns are interleaved: each round measures every size and variant once`);
  console.log('');

  // JIT warm-up for the whole benchmark, so the small sizes do not run on colder code than the
  // large ones (that would flatter the growth factors). Each case then has its own warm-up run.
  const warmRegion = PLATFORM.regions.slice(0, 1);
  for (let i = 0; i < 2; i++) {
    buildFloor(parseObjects(buildNines(warmRegion, 200).yaml));
    buildPlus(warmRegion, 200);
  }

  const prepared = CASES.map(prepare);
  runRounds(prepared);
  const all = new Map<string, CaseResult>();
  for (const p of prepared) {
    const cr = summarize(p);
    all.set(p.c.label, cr);
    const r = cr.results;
    console.log(`  ${p.c.label.padEnd(6)} objects: nines=${r.nines.objects} floor=${r.floor.objects} cdk8s-plus=${r['cdk8s-plus'].objects}`
      + ` (${r.nines.objects === r.floor.objects ? 'equal' : 'DIFFERENT'}); floor YAML identical to nines: ${cr.identical ? 'yes' : 'NO'}; nines checks: ${cr.checked}`);
  }

  console.log('');
  console.log(table(
    ['N', 'variant', 'objects', 'wall ms (median)', 'min-max ms', 'cpu ms', 'us/object', 'heap Δ MB', 'retained MB', 'runs'],
    [...all].flatMap(([label, { results }]) => VARIANTS.map(v => {
      const r = results[v];
      return [label, v, String(r.objects), r.ms.toFixed(1), `${r.min.toFixed(0)}-${r.max.toFixed(0)}`, r.cpuMs.toFixed(0),
        (r.ms * 1000 / r.objects).toFixed(0), mb(r.heapAfterSynth), mb(r.retained), String(r.runs)];
    })), 2));

  // Ratios, all from this run.
  const half: Record<string, string> = { '100': '50', '200': '100', '400': '200', '200x4': '200' };
  console.log('');
  console.log(table(
    ['N', 'nines/floor wall', 'nines/floor cpu', 'nines/floor heap Δ', 'nines/floor retained', 'nines/plus wall', 'growth nines', 'growth floor', 'growth plus'],
    [...all].map(([label, { results: r }]) => {
      const prev = all.get(half[label])?.results;
      const growth = (v: Variant) => (prev ? x(r[v].ms / prev[v].ms) : '-');
      return [label, x(r.nines.ms / r.floor.ms), x(r.nines.cpuMs / r.floor.cpuMs), x(r.nines.heapAfterSynth / r.floor.heapAfterSynth),
        x(r.nines.retained / r.floor.retained), x(r.nines.ms / r['cdk8s-plus'].ms), growth('nines'), growth('floor'), growth('cdk8s-plus')];
    })));
  console.log('growth = wall(N) / wall(N/2), ideal 2.00; for 200x4 it is wall(200x4) / wall(200), ideal 4.00 (four independent apps).');
  console.log('nines/plus compares the same number of services: nines emits 10 objects per service, cdk8s-plus 2 (Deployment + Service).');

  const r50 = all.get('50')?.results;
  const r200 = all.get('200')?.results;
  const r400 = all.get('400')?.results;
  const r200x4 = all.get('200x4')?.results;
  console.log('');
  if (r50 && r400) {
    const vsFloor = r400.nines.ms / r400.floor.ms;
    const objGrowth = r400.nines.objects / r50.nines.objects;
    const timeGrowth = r400.nines.ms / r50.nines.ms;
    const perObject = timeGrowth / objGrowth;
    const shape = perObject <= 1.25 ? 'linear' : perObject <= 1.6 ? 'slightly superlinear' : 'superlinear';
    const regions = r200 && r200x4 ? `; 200x4: ${(r200x4.nines.ms / r200.nines.ms).toFixed(1)}x the time of 200 for 4x the objects` : '';
    console.log(`nines vs floor: ${vsFloor.toFixed(1)}x time at N=400 (goal <= 2x: ${vsFloor <= 2 ? 'met' : 'NOT met'}; cpu ${(r400.nines.cpuMs / r400.floor.cpuMs).toFixed(1)}x), `
      + `${(r400.nines.heapAfterSynth / r400.floor.heapAfterSynth).toFixed(1)}x heap after synth (${(r400.nines.retained / r400.floor.retained).toFixed(1)}x retained); `
      + `growth 50->400: ${timeGrowth.toFixed(1)}x for ${objGrowth.toFixed(0)}x objects (${shape})${regions}; `
      + `nines vs cdk8s-plus: ${(r400.nines.ms / r400['cdk8s-plus'].ms).toFixed(1)}x time for ${(r400.nines.objects / r400['cdk8s-plus'].objects).toFixed(0)}x objects`);
  } else {
    console.log('verdict skipped: needs the 50 and 400 cases (BENCH_CASES is set)');
  }
  console.log(`total benchmark time: ${((Date.now() - started) / 1000).toFixed(0)} s; load average at the end ${load()}`);
}

main();
