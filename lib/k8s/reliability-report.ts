/**
 * The reliability report: reads an app's ServiceGraph (the dependencies declared with
 * `dependOn`, each component's replicas, zones, failover and tier), its SLOs, and writes
 * `reliability-report.md` (tables and a Mermaid graph with single points of failure
 * highlighted) and `reliability-report.json`, with a one-paragraph console summary.
 *
 * The analysis itself is pure (lib/reliability/analysis.ts); this file only extracts the data.
 */
import * as fs from 'fs';
import * as path from 'path';
import { IConstruct } from 'constructs';
import { IDependable, ServiceGraph } from './dependency';
import { Problem, ValidationError } from '../core/errors';
import { PropTypes, propTypeProblems, typedProps, withTypeProblems } from '../core/prop-types';
import {
  analyzeReliability, AvailabilityAssumptions, formatAvailability, ReliabilityAnalysis, ReliabilityInput, ReliabilityNode, ReliabilityObjective,
} from '../reliability/analysis';
import { Objective } from '../reliability/error-budget';

/** Options of {@link reliabilityInput}. */
export interface ReliabilityInputOptions {
  /**
   * Entry points (node ids).
   * @default - every component with `entryPoint: true` (a ResilientService's prop)
   */
  readonly entryPoints?: readonly string[];
  /**
   * Objectives besides those found in the app.
   * @default - every construct in the app with an `objective` (an Objective) and a `service` in the graph (ServiceLevelObjective)
   */
  readonly objectives?: readonly ReliabilityObjective[];
  /** Model assumptions. @default DEFAULT_ASSUMPTIONS (0.99 per replica, 0.9999 per zone) */
  readonly assumptions?: AvailabilityAssumptions;
}

/** The analysis input of the app `scope` belongs to. */
export function reliabilityInput(scope: IConstruct, options: ReliabilityInputOptions = {}): ReliabilityInput {
  const graph = ServiceGraph.of(scope);
  const nodes: ReliabilityNode[] = graph.nodes.map(n => {
    const f = n.dependencyFacts;
    const availability = (n as unknown as { availability?: unknown }).availability;
    return {
      id: f.id,
      kind: f.kind,
      tier: f.tier,
      replicas: f.replicas,
      zones: f.zones,
      automaticFailover: f.automaticFailover,
      ...(typeof availability === 'number' ? { availability } : {}),
    };
  });
  const edges = graph.edges.map(e => ({ from: e.from.dependencyFacts.id, to: e.to.dependencyFacts.id, fallback: e.fallback }));
  const entryPoints = options.entryPoints
    ?? graph.nodes.filter(n => (n as unknown as { entryPoint?: unknown }).entryPoint === true).map(n => n.dependencyFacts.id);
  const ids = new Set(nodes.map(n => n.id));
  const found: ReliabilityObjective[] = [];
  for (const c of scope.node.root.node.findAll()) {
    const slo = c as unknown as { objective?: unknown; service?: Partial<IDependable>; name?: unknown };
    if (slo.objective instanceof Objective && slo.service?.dependencyFacts && ids.has(slo.service.dependencyFacts.id)) {
      found.push({ name: typeof slo.name === 'string' ? slo.name : c.node.path, node: slo.service.dependencyFacts.id, objective: slo.objective });
    }
  }
  return { nodes, edges, entryPoints, objectives: [...found, ...(options.objectives ?? [])], assumptions: options.assumptions };
}

/** One analysed app (e.g. one region). */
export interface ReliabilitySource {
  /** Section title, e.g. the region's name. */
  readonly name: string;
  /** Any construct of the app. */
  readonly scope: IConstruct;
}

/** Options of {@link writeReliabilityReport}. */
export interface ReliabilityReportOptions extends ReliabilityInputOptions {
  /**
   * Directory of the two files.
   * @default 'dist'
   */
  readonly outdir?: string;
  /**
   * Where the summary goes.
   * @default console.log
   */
  readonly log?: (line: string) => void;
  /**
   * Report title.
   * @default 'Reliability report'
   */
  readonly title?: string;
}

/** What {@link writeReliabilityReport} produced. */
export interface ReliabilityReportResult {
  readonly sections: ReadonlyArray<{ readonly name: string; readonly input: ReliabilityInput; readonly analysis: ReliabilityAnalysis }>;
  readonly markdownPath: string;
  readonly jsonPath: string;
  readonly markdown: string;
  readonly summary: string;
}

/**
 * Analyses each source's graph and writes `<outdir>/reliability-report.md` and `.json`.
 * Call it after `app.synth()` (or instead of it, for the report alone).
 */
export function writeReliabilityReport(sources: readonly ReliabilitySource[], given: ReliabilityReportOptions = {}): ReliabilityReportResult {
  const { props: options, problems: typeProblems } = typedProps(given ?? {}, REPORT_OPTION_TYPES);
  const sourceProblems = reliabilitySourceProblems(sources);
  // Every section is analysed (its problems reported with the others) before anything is written.
  const analysisProblems: Problem[] = [];
  const sections = (sourceProblems.length > 0 ? [] : sources).flatMap((s, i) => {
    const input = reliabilityInput(s.scope, options);
    try {
      return [{ name: s.name, input, analysis: analyzeReliability(input) }];
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      // Entry points, objectives and assumptions come from the options (the objectives after the
      // SLOs found in the app), nodes and edges from the source.
      const found = (input.objectives ?? []).length - (options.objectives ?? []).length;
      const prop = (p: string) => /^(entryPoints|assumptions)\b/.test(p) ? p
        : /^objectives\[\d+\]/.test(p) ? p.replace(/^objectives\[(\d+)\]/, (_m, n) => `objectives[${Number(n) - found}]`) : `sources[${i}].${p}`;
      // The options' problems are the same for every source: each is listed once.
      for (const p of e.problems.map(q => ({ ...q, prop: prop(q.prop) }))) {
        if (!analysisProblems.some(q => q.prop === p.prop && q.why === p.why && q.value === p.value)) analysisProblems.push(p);
      }
      return [];
    }
  });
  const problems = [...sourceProblems, ...withTypeProblems(typeProblems, analysisProblems)];
  if (problems.length > 0) throw new ValidationError('ReliabilityReport', 'writeReliabilityReport', problems);
  const outdir = options.outdir ?? 'dist';
  const log = options.log ?? ((line: string) => console.log(line));
  const markdown = renderReliabilityMarkdown(sections, options.title ?? 'Reliability report');
  fs.mkdirSync(outdir, { recursive: true });
  const markdownPath = path.join(outdir, 'reliability-report.md');
  const jsonPath = path.join(outdir, 'reliability-report.json');
  fs.writeFileSync(markdownPath, markdown);
  fs.writeFileSync(jsonPath, JSON.stringify({ sections: sections.map(s => ({ name: s.name, input: s.input, analysis: toJson(s.analysis) })) }, null, 2) + '\n');
  const summary = sections.map(s => summarizeReliability(s.name, s.analysis)).join('\n') + `\nreliability report: ${markdownPath}, ${jsonPath}`;
  log(summary);
  return { sections, markdownPath, jsonPath, markdown, summary };
}

/** Runtime types of the report's options (casts are problems, not TypeErrors). */
const REPORT_OPTION_TYPES: PropTypes = {
  outdir: 'string',
  log: 'function',
  title: 'string',
  entryPoints: ['string'],
  objectives: [{ name: 'string', node: 'string', objective: { anyOf: ['number', 'object'] } }],
  assumptions: { instanceAvailability: 'number', zoneAvailability: 'number' },
};

/** A problem for every source that is not `{ name, scope }` with a construct as scope. */
function reliabilitySourceProblems(sources: unknown): Problem[] {
  if (!Array.isArray(sources)) {
    return [{ prop: 'sources', value: sources, why: 'is not a list', fix: 'give a list (an array) of { name, scope }, even of one source' }];
  }
  return sources.flatMap((s, i) => {
    const problems = propTypeProblems(s, { name: 'string', scope: 'object' }, `sources[${i}]`);
    if (problems.some(p => p.prop === `sources[${i}]`)) return problems;
    const { name, scope } = s as { name?: unknown; scope?: { node?: unknown } };
    if (name === undefined) problems.push({ prop: `sources[${i}].name`, value: undefined, why: 'is not set', fix: 'name the section, e.g. the region' });
    if (!problems.some(p => p.prop === `sources[${i}].scope`) && typeof scope?.node !== 'object') {
      problems.push({ prop: `sources[${i}].scope`, value: scope, why: 'is not a construct', fix: 'give the chart (or app) the section describes' });
    }
    return problems;
  });
}

function toJson(a: ReliabilityAnalysis): unknown {
  return {
    ...a,
    objectives: a.objectives.map(o => ({
      ...o, objective: o.objective.fraction, errorBudget: { ...o.errorBudget, objective: o.errorBudget.objective.fraction },
    })),
  };
}

/** One line per source: SPOFs and SLO verdicts. */
export function summarizeReliability(name: string, a: ReliabilityAnalysis): string {
  const spofIds = [...new Set(a.singlePointsOfFailure.map(s => s.id))];
  const reachable = a.objectives.filter(o => o.reachable).length;
  return `${name}: ${Object.keys(a.componentAvailability).length} components, ${spofIds.length} single point(s) of failure`
    + `${spofIds.length > 0 ? ` (${spofIds.join(', ')})` : ''}; ${reachable}/${a.objectives.length} SLO(s) reachable`
    + a.entryPoints.map(e => `; ${e.entryPoint} at most ${formatAvailability(e.availability)}`).join('');
}

const esc = (s: string) => s.replace(/\|/g, '\\|');
const minutes = (m: number) => `${Number(m.toPrecision(6))} min`;

/** The Markdown report (pure). */
export function renderReliabilityMarkdown(sections: ReliabilityReportResult['sections'], title: string): string {
  const out: string[] = [`# ${title}`, ''];
  const first = sections[0]?.analysis.assumptions;
  out.push('## Assumptions', '',
    `- Each replica is up with probability ${first?.instanceAvailability} and each availability zone with ${first?.zoneAvailability}, independently; replicas spread evenly over zones.`,
    '- Redundancy: a zone serves when it is up and one of its replicas is, `a_zone × (1 - (1 - a_replica)^(replicas/zones))`; a component serves when one zone does, `1 - (1 - a_zoneServes)^zones`.',
    '- A component without automatic failover (a single-primary database) serves through one instance: `a_zone × a_replica`.',
    '- An external endpoint has its stated availability (its SLA).',
    '- A path needs every component on it: serial product. Dependencies with a fallback are left out of paths.',
    '- Not modelled: failover time, correlated failures (bad deploys, region outages), load. The figures are upper bounds of what the topology allows.',
    '');
  for (const { name, input, analysis: a } of sections) {
    out.push(`## ${name}`, '');
    out.push('### Single points of failure', '');
    if (a.singlePointsOfFailure.length === 0) {out.push('None.', '');} else {
      out.push('| Component | Reason | Detail | Affects entry points |', '|---|---|---|---|');
      for (const s of a.singlePointsOfFailure) out.push(`| ${esc(s.id)} | ${s.reason} | ${esc(s.detail)} | ${s.affects.join(', ') || '-'} |`);
      out.push('');
    }
    out.push('### Components', '', '| Component | Kind | Tier | Replicas | Zones | Automatic failover | Availability |', '|---|---|---|---|---|---|---|');
    for (const n of input.nodes) {
      out.push(`| ${esc(n.id)} | ${n.kind} | ${n.tier ?? '-'} | ${n.replicas} | ${n.zones} | ${n.automaticFailover ? 'yes' : 'no'} | `
        + `${formatAvailability(a.componentAvailability[n.id])}${n.availability !== undefined ? ' (stated)' : ''} |`);
    }
    out.push('');
    out.push('### Entry points', '', '| Entry point | Hard dependencies | Composite availability | Weakest path |', '|---|---|---|---|');
    for (const e of a.entryPoints) {
      out.push(`| ${esc(e.entryPoint)} | ${e.hardDependencies.length} | ${formatAvailability(e.availability)} | ${e.weakestPath.nodes.join(' → ')} (${formatAvailability(e.weakestPath.availability)}) |`);
    }
    out.push('', '### Critical paths', '', '| Entry point | Path | Availability (serial product) |', '|---|---|---|');
    for (const p of a.criticalPaths) out.push(`| ${esc(p.entryPoint)} | ${p.nodes.join(' → ')} | ${formatAvailability(p.availability)} |`);
    out.push('', '### Objectives', '');
    if (a.objectives.length === 0) {out.push('No SLO declared.', '');} else {
      out.push('| SLO | Service | Objective | Achievable (service + hard dependencies) | Reachable | Limited by |', '|---|---|---|---|---|---|');
      for (const o of a.objectives) {
        out.push(`| ${esc(o.name)} | ${esc(o.node)} | ${o.objective} | ${formatAvailability(o.achievable)} | ${o.reachable ? 'yes' : '**no**'} | ${o.limitedBy.join(', ') || '-'} |`);
      }
      out.push('', '### Error budgets', '', '| SLO | Objective | Budget | Per year | Per month | Per week |', '|---|---|---|---|---|---|');
      for (const o of a.objectives) {
        const b = o.errorBudget;
        out.push(`| ${esc(o.name)} | ${o.objective} | ${Number((b.budget * 100).toPrecision(6))}% | ${minutes(b.perYear.minutes)} (${Number(b.perYear.hours.toPrecision(6))} h) `
          + `| ${minutes(b.perMonth.minutes)} | ${minutes(b.perWeek.minutes)} |`);
      }
      out.push('');
    }
    out.push('### Dependency graph', '', 'Single points of failure in red; dashed edges have a fallback.', '', '```mermaid', reliabilityMermaid(input, a), '```', '');
  }
  return out.join('\n');
}

/** A Mermaid flowchart of the graph, single points of failure highlighted. */
export function reliabilityMermaid(input: ReliabilityInput, a: ReliabilityAnalysis): string {
  const key = new Map(input.nodes.map((n, i) => [n.id, `n${i}`]));
  const spof = new Set(a.singlePointsOfFailure.map(s => s.id));
  const lines = ['flowchart LR'];
  for (const n of input.nodes) {
    const label = `${n.id}<br/>${n.kind}${n.tier ? ` · ${n.tier}` : ''} · ${n.replicas}×${n.zones}z`;
    const shape = n.kind === 'database' ? ['[(', ')]'] : n.kind === 'external' ? ['{{', '}}'] : ['[', ']'];
    lines.push(`  ${key.get(n.id)}${shape[0]}"${label.replace(/"/g, '#quot;')}"${shape[1]}`);
  }
  for (const e of input.edges) lines.push(`  ${key.get(e.from)} ${e.fallback ? '-. fallback .->' : '-->'} ${key.get(e.to)}`);
  lines.push('  classDef spof fill:#fdd,stroke:#c00,stroke-width:3px');
  if (spof.size > 0) lines.push(`  class ${[...spof].map(id => key.get(id)).join(',')} spof`);
  return lines.join('\n');
}
