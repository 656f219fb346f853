/**
 * Reliability analysis of a dependency graph, as pure data in and out (no cdk8s or Pulumi
 * import): single points of failure with reasons, critical paths from each entry point,
 * composite availability per path, whether each SLO is reachable, and each objective's error
 * budget. `lib/k8s/reliability-report.ts` feeds it from an app's ServiceGraph.
 *
 * **Model (stated in the report).**
 * - A component with a given `availability` (an external endpoint's SLA) has exactly that.
 * - Otherwise each replica is up with probability `instanceAvailability` and each zone with
 *   `zoneAvailability`, all independent; replicas spread evenly over zones. A zone serves when it
 *   is up and one of its `r/z` replicas is: `a_zone × (1 - (1 - a_instance)^(r/z))`; the component
 *   serves when one zone does: `1 - (1 - a_zoneServes)^z` (redundancy over independent zones and
 *   replicas).
 * - A component without automatic failover (a single-primary database) serves only through its
 *   one primary: `a_zone × a_instance`, whatever its replica count.
 * - A request through a path needs every component on it (serial product). Dependencies marked
 *   `fallback` are left out of paths: the caller degrades instead of failing.
 * - Failover time, correlated failures (a bad deploy, a region outage) and load are not modelled:
 *   the figures are upper bounds on what the topology allows.
 *
 * @see https://sre.google/sre-book/availability-table/ (composite availability)
 */
import { ErrorBudget, errorBudget, Objective, ObjectiveLike, successThresholdProblems, validateObjective } from './error-budget';
import { ALL_TIERS, tierDefaults } from '../core/criticality';
import { ValidationError } from '../core/errors';

/** One component of the graph. */
export interface ReliabilityNode {
  /** Unique id, e.g. `orders/order-service`. */
  readonly id: string;
  /** `service`, `database`, `cache`, `queue`, `external`. */
  readonly kind: string;
  /** Criticality tier (`critical`, `high`, `medium`, `low`), when it has one. */
  readonly tier?: string;
  /** Replicas that can serve (a database's members). */
  readonly replicas: number;
  /** Zones the replicas spread over. */
  readonly zones: number;
  /** Losing the active instance fails over automatically (stateless replicas count). */
  readonly automaticFailover: boolean;
  /** The component's own availability (e.g. an external SLA); replaces the replica model. */
  readonly availability?: number;
}

/** One dependency: `from` calls `to`. */
export interface ReliabilityEdge {
  readonly from: string;
  readonly to: string;
  /** The caller degrades gracefully without `to`. */
  readonly fallback: boolean;
}

/** An SLO to test against the topology. */
export interface ReliabilityObjective {
  /** The SLO's name, e.g. `order-service-availability`. */
  readonly name: string;
  /** Node id of the service the SLO is about. */
  readonly node: string;
  readonly objective: ObjectiveLike;
}

/** Model assumptions. */
export interface AvailabilityAssumptions {
  /**
   * Probability one replica (pod, node, process) is up: a fraction in (0, 1), at least 0.9 (a
   * lower value, e.g. 0.015, is refused as a likely typo).
   * @default 0.99
   */
  readonly instanceAvailability?: number;
  /**
   * Probability one availability zone is up: a fraction in (0, 1), at least 0.9 (a lower value,
   * e.g. 0.015, is refused as a likely typo).
   * @default 0.9999
   */
  readonly zoneAvailability?: number;
}

/** The whole input. */
export interface ReliabilityInput {
  readonly nodes: readonly ReliabilityNode[];
  readonly edges: readonly ReliabilityEdge[];
  /** Node ids where user traffic enters. */
  readonly entryPoints: readonly string[];
  readonly objectives?: readonly ReliabilityObjective[];
  readonly assumptions?: AvailabilityAssumptions;
}

/** Why a component is a single point of failure. */
export type SpofReason = 'one-replica' | 'single-zone' | 'database-without-failover' | 'weaker-tier-without-fallback' | 'external-without-fallback';

/** A single point of failure. */
export interface SinglePointOfFailure {
  readonly id: string;
  readonly reason: SpofReason;
  /** The reason in words. */
  readonly detail: string;
  /** Entry points whose requests fail with it. */
  readonly affects: readonly string[];
}

/** One path from an entry point through hard dependencies to a leaf. */
export interface CriticalPath {
  readonly entryPoint: string;
  readonly nodes: readonly string[];
  /** Serial product of the nodes' availabilities. */
  readonly availability: number;
}

/** Per entry point: all hard dependencies at once. */
export interface EntryPointAvailability {
  readonly entryPoint: string;
  /** The entry point and every component reached without a fallback (each once). */
  readonly hardDependencies: readonly string[];
  /** Product over `hardDependencies`: the availability a request touching all of them can reach. */
  readonly availability: number;
  /** The path with the lowest availability. */
  readonly weakestPath: CriticalPath;
}

/** One objective's verdict and budget. */
export interface ObjectiveResult {
  readonly name: string;
  readonly node: string;
  readonly objective: Objective;
  /** Availability of the node and its hard dependencies. */
  readonly achievable: number;
  readonly reachable: boolean;
  /** Components whose own availability is below the objective. */
  readonly limitedBy: readonly string[];
  readonly errorBudget: ErrorBudget;
}

/** The result. */
export interface ReliabilityAnalysis {
  readonly assumptions: Required<AvailabilityAssumptions>;
  /** Availability of each component under the model. */
  readonly componentAvailability: Readonly<Record<string, number>>;
  readonly singlePointsOfFailure: readonly SinglePointOfFailure[];
  readonly criticalPaths: readonly CriticalPath[];
  readonly entryPoints: readonly EntryPointAvailability[];
  readonly objectives: readonly ObjectiveResult[];
}

/** The defaults of {@link AvailabilityAssumptions}. */
export const DEFAULT_ASSUMPTIONS: Required<AvailabilityAssumptions> = { instanceAvailability: 0.99, zoneAvailability: 0.9999 };

/** Availability of one component under the model (see the module documentation). */
export function componentAvailability(node: ReliabilityNode, assumptions: AvailabilityAssumptions = {}): number {
  if (node.availability !== undefined) return node.availability;
  const { instanceAvailability: ai, zoneAvailability: az } = { ...DEFAULT_ASSUMPTIONS, ...assumptions };
  if (!node.automaticFailover || node.replicas <= 1) return az * ai;
  const zones = Math.max(1, Math.min(node.zones, node.replicas));
  const perZone = node.replicas / zones;
  const zoneServes = az * (1 - Math.pow(1 - ai, perZone));
  return 1 - Math.pow(1 - zoneServes, zones);
}

function rank(tier: string | undefined): number | undefined {
  return tier !== undefined && (ALL_TIERS as readonly string[]).includes(tier) ? tierDefaults(tier as any).rank : undefined;
}

/**
 * Analyses a dependency graph.
 * @throws ValidationError listing every problem at once: an edge, entry point or objective naming an
 *   unknown node, an objective that is not a fraction in (0, 1) or was built from a bad value
 *   (`Objective.percent(1.5)`), an availability (assumption or node) outside (0, 1) or below 0.9
 */
export function analyzeReliability(input: ReliabilityInput): ReliabilityAnalysis {
  const assumptions = { ...DEFAULT_ASSUMPTIONS, ...input.assumptions };
  const byId = new Map(input.nodes.map(n => [n.id, n]));
  const problems: { prop: string; value: unknown; why: string; fix: string }[] = [];
  const known = (prop: string, id: string) => {
    if (!byId.has(id)) problems.push({ prop, value: id, why: 'names no node of the graph', fix: 'add the node or fix the id' });
  };
  input.edges.forEach((e, i) => {
    known(`edges[${i}].from`, e.from); known(`edges[${i}].to`, e.to);
  });
  input.entryPoints.forEach((e, i) => known(`entryPoints[${i}]`, e));
  (input.objectives ?? []).forEach((o, i) => {
    known(`objectives[${i}].node`, o.node);
    // A plain number is a fraction in (0, 1), as for a ServiceLevelObjective: 1.5 (meant as 1.5% or 99.5%), 150 or 0 is a problem.
    problems.push(...validateObjective(o.objective, `objectives[${i}].objective`));
  });
  // An availability is a fraction in (0, 1) and, below 0.9, almost certainly a typo (0.015 for
  // 0.9985, a percentage's digits): checked like an external dependency's availability.
  const defaults: Record<string, number> = DEFAULT_ASSUMPTIONS;
  for (const [k, v] of Object.entries(assumptions)) {
    if (!(k in defaults)) {
      // A misspelled key (a JavaScript caller, or a cast) would leave the model on its default silently.
      problems.push({ prop: `assumptions.${k}`, value: v, why: 'is not an assumption the model reads', fix: `use one of ${Object.keys(defaults).join(', ')}` });
      continue;
    }
    problems.push(...successThresholdProblems(`assumptions.${k}`, v, 'fraction', defaults[k]));
  }
  for (const n of input.nodes) {
    if (n.availability !== undefined) problems.push(...successThresholdProblems(`nodes.${n.id}.availability`, n.availability, 'fraction', 0.9995));
    if (!(Number.isInteger(n.replicas) && n.replicas >= 0)) problems.push({ prop: `nodes.${n.id}.replicas`, value: n.replicas, why: 'must be a whole number', fix: 'use e.g. 3' });
  }
  if (problems.length > 0) throw new ValidationError('ReliabilityAnalysis', 'input', problems);

  const avail = Object.fromEntries(input.nodes.map(n => [n.id, componentAvailability(n, assumptions)]));
  const hardOut = new Map<string, string[]>();
  for (const e of input.edges) if (!e.fallback) hardOut.set(e.from, [...(hardOut.get(e.from) ?? []), e.to]);

  // Paths from each entry point through hard edges to leaves (the graph is acyclic by construction).
  const criticalPaths: CriticalPath[] = [];
  const entryPoints: EntryPointAvailability[] = [];
  const closureOf = (start: string): string[] => {
    const seen = new Set<string>([start]);
    const stack = [start];
    while (stack.length > 0) for (const t of hardOut.get(stack.pop()!) ?? []) if (!seen.has(t)) { seen.add(t); stack.push(t); }
    return [...seen];
  };
  for (const entry of input.entryPoints) {
    const paths: CriticalPath[] = [];
    const walk = (path: string[]) => {
      const next = (hardOut.get(path[path.length - 1]) ?? []).filter(t => !path.includes(t));
      if (next.length === 0) {
        paths.push({ entryPoint: entry, nodes: path, availability: path.reduce((a, id) => a * avail[id], 1) });
        return;
      }
      for (const t of next) walk([...path, t]);
    };
    walk([entry]);
    criticalPaths.push(...paths);
    const closure = closureOf(entry);
    const weakestPath = paths.reduce((w, p) => (p.availability < w.availability ? p : w));
    entryPoints.push({ entryPoint: entry, hardDependencies: closure, availability: closure.reduce((a, id) => a * avail[id], 1), weakestPath });
  }

  // Single points of failure.
  const affects = (id: string) => entryPoints.filter(e => e.hardDependencies.includes(id)).map(e => e.entryPoint);
  const spofs: SinglePointOfFailure[] = [];
  for (const n of input.nodes) {
    const add = (reason: SpofReason, detail: string) => spofs.push({ id: n.id, reason, detail, affects: affects(n.id) });
    if (n.kind === 'external') continue;
    if (n.kind === 'database' && !n.automaticFailover) {
      add('database-without-failover', n.replicas <= 1 ? 'a single-instance database: losing it stops every write' : `a database of ${n.replicas} members without automatic failover`);
    } else if (n.replicas <= 1) {
      add('one-replica', 'runs one replica: a pod or node failure takes it down');
    } else if (n.zones <= 1) {
      add('single-zone', `all ${n.replicas} replicas run in one zone: a zone failure takes it down`);
    }
  }
  for (const e of input.edges) {
    if (e.fallback) continue;
    const from = byId.get(e.from)!;
    const to = byId.get(e.to)!;
    if (to.kind === 'external') {
      spofs.push({ id: to.id, reason: 'external-without-fallback', detail: `${from.id} calls it without a fallback`, affects: affects(to.id) });
      continue;
    }
    const rf = rank(from.tier);
    const rt = rank(to.tier);
    if (rf !== undefined && rt !== undefined && rt < rf) {
      spofs.push({
        id: to.id, reason: 'weaker-tier-without-fallback', detail: `${from.id} (${from.tier}) depends on it (${to.tier}) without a fallback`, affects: affects(to.id),
      });
    }
  }

  const objectives: ObjectiveResult[] = (input.objectives ?? []).map(o => {
    const objective = Objective.of(o.objective);
    const closure = closureOf(o.node);
    const achievable = closure.reduce((a, id) => a * avail[id], 1);
    return {
      name: o.name,
      node: o.node,
      objective,
      achievable,
      reachable: achievable >= objective.fraction,
      limitedBy: closure.filter(id => avail[id] < objective.fraction),
      errorBudget: errorBudget(objective),
    };
  });

  return { assumptions, componentAvailability: avail, singlePointsOfFailure: spofs, criticalPaths, entryPoints, objectives };
}

/** An availability as a percentage with enough digits to compare with nines (99.9512%). */
export function formatAvailability(a: number): string {
  return `${(Math.floor(a * 1e6) / 1e4).toFixed(4)}%`;
}
