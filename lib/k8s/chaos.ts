/**
 * Chaos experiments (Chaos Mesh v1alpha1) whose targets are constructs, never hand-typed labels.
 *
 * - {@link ChaosTarget}: the pods of a construct (`namespace` + pod labels + its disruption budget);
 *   `ChaosTarget.of(orderService)` reads a ResilientService's `namespace`, `selectorLabels`,
 *   `minReplicas` and `disruption`.
 * - {@link Fault}: pure builders of one fault (PodChaos, NetworkChaos, IOChaos spec), validated.
 * - {@link ChaosExperiment}: a construct that runs one fault now, or on a cron through a Schedule.
 * - {@link ChaosPresets}: the case study's four experiments.
 *
 * @see https://chaos-mesh.org/docs/
 */
import { Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { notBuilt, recordAppProblem } from '../core/app-problems';
import { cronScheduleProblems } from '../core/cron';
import { Problem, Problems, ValidationError } from '../core/errors';
import { isDnsLabel, podLabelProblems } from '../core/labels';
import { timeZoneProblems } from '../core/platform';
import { PropTypes, propTypeProblems, typedProps, withTypeProblems } from '../core/prop-types';
import {
  ChaosCommonSpec, ChaosKind, ChaosSchedule, ChaosSelectorMode, IOChaos, IOChaosSpec, NetworkChaos, NetworkChaosSpec,
  PodChaos, PodChaosSpec, ScheduleSpec,
} from './crds/chaos-mesh';
import { platformContext } from './private/context';

/** Annotation keys the chaos objects carry. */
export const CHAOS_ANNOTATIONS = {
  hypothesis: 'nines.dev/chaos-hypothesis',
  expectedBehavior: 'nines.dev/chaos-expected-behavior',
  scenario: 'nines.dev/chaos-scenario',
  target: 'nines.dev/chaos-target',
  guard: 'nines.dev/chaos-guard',
} as const;

/** The voluntary-disruption budget of a target, as its PodDisruptionBudget states it. */
export interface DisruptionBudget {
  /** Pods the target runs (the PDB's denominator for percentages). */
  readonly replicas: number;
  /** PDB `maxUnavailable` (a count or `"25%"`, rounded up as Kubernetes does). */
  readonly maxUnavailable?: number | string;
  /** PDB `minAvailable` (a count). */
  readonly minAvailable?: number;
}

/** The pods of some construct, as a chaos experiment selects them. */
export interface IChaosTarget {
  /** Namespace of the pods. */
  readonly namespace: string;
  /** Labels that select exactly the target's pods (for a database primary: its role label too). */
  readonly podLabels: Readonly<Record<string, string>>;
  /** The target's PodDisruptionBudget; without one no pod-count guard is possible. */
  readonly disruptionBudget?: DisruptionBudget;
  /** A short name for object names and annotations. @default - the `app.kubernetes.io/name` label, else the namespace */
  readonly name?: string;
}

/** What a ResilientService exposes to the adapter (structural, so no import cycle). */
export interface ChaosServiceLike {
  readonly name: string;
  readonly namespace: string;
  readonly selectorLabels: Record<string, string>;
  /** Labels every pod of the service keeps whoever runs it (Flagger's `-primary` included); used instead of selectorLabels when given. */
  readonly podSelector?: Record<string, string>;
  readonly minReplicas: number;
  readonly disruption: { readonly maxUnavailable?: number | string; readonly minAvailable?: number };
}

/** A target: an {@link IChaosTarget} or a ResilientService. */
export type ChaosTargetLike = IChaosTarget | ChaosServiceLike;

/** Adapters and arithmetic for chaos targets. */
export class ChaosTarget {
  /** A ResilientService's pods: its namespace, pod selector (which survives Flagger's rename to `<name>-primary`) and PDB. */
  public static fromService(service: ChaosServiceLike): IChaosTarget {
    return {
      name: service.name,
      namespace: service.namespace,
      podLabels: { ...(service.podSelector ?? service.selectorLabels) },
      disruptionBudget: { replicas: service.minReplicas, ...service.disruption },
    };
  }

  /**
   * The primary of a replicated database construct: its pod labels plus the role label its
   * failover manager sets on the leader, and a PodDisruptionBudget of `maxUnavailable` over its members.
   * @param options.roleLabel @default 'role' (PatroniCluster's; Spilo uses 'spilo-role')
   * @param options.primaryValue @default 'master' (PatroniCluster's read-write Service selector)
   * @param options.maxUnavailable @default 1 (PatroniCluster's PDB)
   */
  public static databasePrimary(
    db: { readonly name: string; readonly namespace: string; readonly selectorLabels: Readonly<Record<string, string>>; readonly members: number },
    options: { readonly roleLabel?: string; readonly primaryValue?: string; readonly maxUnavailable?: number } = {},
  ): IChaosTarget {
    return {
      name: `${db.name}-primary`,
      namespace: db.namespace,
      podLabels: { ...db.selectorLabels, [options.roleLabel ?? 'role']: options.primaryValue ?? 'master' },
      disruptionBudget: { replicas: db.members, maxUnavailable: options.maxUnavailable ?? 1 },
    };
  }

  /** Any accepted target as an {@link IChaosTarget}. */
  public static of(target: ChaosTargetLike): IChaosTarget {
    if ('selectorLabels' in target && 'minReplicas' in target) return ChaosTarget.fromService(target);
    return target as IChaosTarget;
  }

  /** The target's name: `name`, else its `app.kubernetes.io/name` label, else its namespace. */
  public static nameOf(target: IChaosTarget): string {
    // `podLabels` may be missing from a target built from casts (reported by chaosTargetProblems).
    return target.name ?? target.podLabels?.['app.kubernetes.io/name'] ?? target.namespace;
  }

  /**
   * Pods the target's PDB lets be down at once: `maxUnavailable` (a percentage rounds up, as the
   * disruption controller does) or `replicas - minAvailable`. `undefined` without a budget.
   */
  public static allowedDisruptions(target: IChaosTarget): number | undefined {
    const b = target.disruptionBudget;
    if (!b) return undefined;
    if (b.minAvailable !== undefined) return Math.max(0, b.replicas - b.minAvailable);
    const mu = b.maxUnavailable ?? 1;
    if (typeof mu === 'number') return mu;
    const pct = /^(\d+)%$/.exec(mu);
    return pct ? Math.ceil(b.replicas * Number(pct[1]) / 100) : undefined;
  }
}

/**
 * Pods an experiment selects out of `replicas`, as Chaos Mesh counts them: `one` 1, `all` every
 * pod, `fixed` the count, `fixed-percent` and `random-max-percent` the percentage rounded down
 * (the latter at most that many).
 */
export function selectedPods(mode: ChaosSelectorMode, value: string | undefined, replicas: number): number {
  switch (mode) {
    case 'one': return Math.min(1, replicas);
    case 'all': return replicas;
    case 'fixed': return Math.min(Number(value), replicas);
    default: return Math.floor(replicas * Number(value) / 100);
  }
}

/** Runtime types of an {@link IChaosTarget}'s fields. */
const CHAOS_TARGET_TYPES: PropTypes = {
  namespace: 'string',
  podLabels: { record: 'string' },
  name: 'string',
  disruptionBudget: { replicas: 'number', maxUnavailable: { anyOf: ['number', 'string'] }, minAvailable: 'number' },
};

/**
 * Every problem with a chaos target given as `prop` (a fault's `target` or `peer`, a game day's
 * `service`, ...): not an object, a field of the wrong runtime type (a cast), a namespace that is
 * not a namespace name, pod labels that select every pod of the namespace. Named under `prop`.
 * @internal
 */
export function chaosTargetProblems(prop: string, targetLike: unknown): Problem[] {
  if (typeof targetLike !== 'object' || targetLike === null || Array.isArray(targetLike)) {
    return [{ prop, value: targetLike, why: 'is not a chaos target', fix: 'pass a ResilientService, or an IChaosTarget such as ChaosTarget.databasePrimary(db)' }];
  }
  const target = ChaosTarget.of(targetLike as ChaosTargetLike);
  const problems = propTypeProblems(target, CHAOS_TARGET_TYPES, prop);
  const typed = (field: string) => !problems.some(t => t.prop === `${prop}.${field}`);
  if (typed('namespace') && !isDnsLabel(target.namespace)) {
    problems.push({ prop: `${prop}.namespace`, value: target.namespace, why: 'is not a namespace name', fix: 'use the namespace of the target construct' });
  }
  const budget = target.disruptionBudget;
  if (typed('disruptionBudget') && budget !== undefined) {
    // A PDB's maxUnavailable is a count or a percentage ("25%"): https://kubernetes.io/docs/tasks/run-application/configure-pdb/
    if (typed('disruptionBudget.maxUnavailable') && typeof budget.maxUnavailable === 'string' && !/^\d+%$/.test(budget.maxUnavailable)) {
      problems.push({
        prop: `${prop}.disruptionBudget.maxUnavailable`, value: budget.maxUnavailable, why: 'is not a count or a percentage', fix: 'give a number of pods or e.g. "25%"',
      });
    }
    if (typed('disruptionBudget.replicas') && budget.replicas === undefined) {
      problems.push({ prop: `${prop}.disruptionBudget.replicas`, value: undefined, why: 'is not set', fix: 'give the pods the target runs (the PDB\'s denominator)' });
    }
  }
  if (typed('podLabels') && Object.keys(target.podLabels ?? {}).length === 0) {
    problems.push({
      prop: `${prop}.podLabels`,
      value: target.podLabels,
      why: 'is empty, which would select every pod of the namespace',
      fix: 'give the labels that select exactly the target\'s pods (e.g. a ResilientService\'s selectorLabels)',
    });
  } else if (typed('podLabels')) {
    const typedLabels = Object.entries(target.podLabels ?? {}).filter(([k]) => typed(`podLabels.${k}`));
    problems.push(...podLabelProblems(`${prop}.podLabels`, Object.fromEntries(typedLabels), {
      key: 'use a label key of the target\'s pods (e.g. from a ResilientService\'s selectorLabels)',
      value: 'use the label value the target\'s pods carry (e.g. from a ResilientService\'s selectorLabels)',
    }));
  }
  return problems;
}

/** Which pods of the target a fault hits. */
export interface SelectionOptions {
  /**
   * Chaos Mesh's selector mode.
   * @default 'one'
   * @see https://chaos-mesh.org/docs/define-chaos-experiment-scope/
   */
  readonly mode?: ChaosSelectorMode;
  /** Count (`fixed`) or percent (`fixed-percent`, `random-max-percent`). Required for those modes. @default - none */
  readonly value?: number;
  /**
   * How long the fault lasts (Go duration, e.g. `5m`, `500ms`).
   * @default - per fault: 5m (pod-failure, network loss and partition), 10m (network delay, bandwidth), 3m (IO), none for kills
   */
  readonly duration?: string;
}

/** One fault: the kind, the spec, the target. Build with {@link Fault}. */
export interface ChaosFault {
  readonly kind: ChaosKind;
  /** A DNS-label name, e.g. `pod-kill-order-service`. */
  readonly name: string;
  readonly spec: PodChaosSpec | NetworkChaosSpec | IOChaosSpec;
  /** The pods the fault selects. */
  readonly target: IChaosTarget;
  /** Pods of the target the fault touches at most (the guard compares it with the PDB). */
  readonly podsAffected: number | undefined;
}

const GO_DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

function percentOk(v: number | undefined, min: number): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= min && v <= 100;
}

const SELECTOR_MODES: readonly ChaosSelectorMode[] = ['one', 'all', 'fixed', 'fixed-percent', 'random-max-percent'];

/** Validated common spec fields. */
function common(p: Problems, target: IChaosTarget, options: SelectionOptions, defaultDuration: string | undefined): ChaosCommonSpec {
  const mode = options.mode ?? 'one';
  const value = options.value;
  // The selector modes Chaos Mesh accepts (https://chaos-mesh.org/docs/define-chaos-experiment-scope/, "mode").
  if (!SELECTOR_MODES.includes(mode)) {
    p.add('mode', mode, 'is not a Chaos Mesh selector mode', `use one of ${SELECTOR_MODES.map(m => `"${m}"`).join(', ')}`);
  } else if (mode === 'fixed') {
    p.when(!(Number.isInteger(value) && value! >= 1), 'value', value, 'must be a whole number of pods >= 1 for mode "fixed"', 'use e.g. 1');
  } else if (mode === 'fixed-percent' || mode === 'random-max-percent') {
    p.when(!percentOk(value, 1) || !Number.isInteger(value), 'value', value, `must be a whole percentage between 1 and 100 for mode "${mode}"`, 'use e.g. 50');
  } else {
    p.when(value !== undefined, 'value', value, `is ignored by mode "${mode}"`, 'remove it, or use mode "fixed" / "fixed-percent"');
  }
  const duration = options.duration ?? defaultDuration;
  p.when(duration !== undefined && !GO_DURATION.test(duration), 'duration', duration, 'is not a Go duration', 'use e.g. "5m" or "30s"');
  return {
    selector: { namespaces: [target.namespace], labelSelectors: { ...target.podLabels } },
    mode,
    ...(value !== undefined && mode !== 'one' && mode !== 'all' ? { value: String(value) } : {}),
    ...(duration !== undefined ? { duration } : {}),
  };
}

/**
 * The problems of each fault built with problems. A fault builder never throws: the construct the
 * fault is given to (ChaosExperiment, GuardedWorkflow, GameDay) reports them with its own
 * problems in the app's one error, so every bad fault of an app is listed at once.
 */
const FAULT_PROBLEMS = new WeakMap<ChaosFault, readonly Problem[]>();
/** The faults {@link Fault} built (their fields are checked as they are built). */
const BUILT_FAULTS = new WeakSet<object>();
const FAULT_KINDS: readonly ChaosKind[] = ['PodChaos', 'NetworkChaos', 'IOChaos'];

/**
 * Every problem with the fields of a fault given as `prop` that {@link Fault} did not build (a
 * copy, or a cast object): its kind, name, spec and target, each named under `prop`. Empty for a
 * fault Fault built (its own problems are {@link Fault.problemsOf}).
 * @internal
 */
export function faultFieldProblems(prop: string, fault: ChaosFault): Problem[] {
  if (BUILT_FAULTS.has(fault)) return [];
  const problems = propTypeProblems(fault, { kind: 'string', name: 'string', spec: 'object', podsAffected: 'number' }, prop);
  const typed = (field: string) => !problems.some(t => t.prop === `${prop}.${field}`);
  if (typed('kind') && !FAULT_KINDS.includes(fault.kind)) {
    problems.push({ prop: `${prop}.kind`, value: fault.kind, why: 'is not a Chaos Mesh fault kind', fix: `use ${FAULT_KINDS.map(k => `"${k}"`).join(', ')} (build the fault with Fault)` });
  }
  if (typed('name') && !isDnsLabel(fault.name)) {
    problems.push({ prop: `${prop}.name`, value: fault.name, why: 'is not a DNS label (the chaos object is named after it)', fix: 'build the fault with Fault, which names it' });
  }
  return [...problems, ...chaosTargetProblems(`${prop}.target`, fault.target)];
}

/** Stands in for a target that is not an object (its problem is reported), so the fault's other props are still checked. */
const NO_TARGET: IChaosTarget = { namespace: 'default', podLabels: { 'nines.dev/no-target': 'true' } };

function build(kind: ChaosKind, action: string, targetLike: ChaosTargetLike, given: SelectionOptions, defaultDuration: string | undefined,
  body: (p: Problems, base: ChaosCommonSpec, options: any) => Record<string, unknown>, types: PropTypes = {}, name?: string): ChaosFault {
  const typed = typedProps(given ?? {}, { ...SELECTION_TYPES, ...types });
  const options = typed.props;
  const isTarget = typeof targetLike === 'object' && targetLike !== null && !Array.isArray(targetLike);
  const target = isTarget ? ChaosTarget.of(targetLike) : NO_TARGET;
  const faultName = name ?? `${action}-${isTarget ? ChaosTarget.nameOf(target) : 'target'}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 50).replace(/-+$/, '');
  const p = new Problems('Fault', faultName);
  p.addAll(chaosTargetProblems('target', targetLike));
  const base = common(p, target, options, defaultDuration);
  const spec = { ...base, ...body(p, base, options) } as unknown as ChaosFault['spec'];
  const replicas = target.disruptionBudget?.replicas;
  const podsAffected = replicas === undefined ? undefined : selectedPods(base.mode, base.value, replicas);
  const fault: ChaosFault = { kind, name: faultName, spec, target, podsAffected };
  BUILT_FAULTS.add(fault);
  const problems = withTypeProblems(typed.problems, p.all);
  if (problems.length > 0) FAULT_PROBLEMS.set(fault, problems);
  return fault;
}

/** Runtime types of the options every fault reads. */
const SELECTION_TYPES: PropTypes = { mode: 'string', value: 'number', duration: 'string' };
const PEER_TYPES: PropTypes = { peer: 'object', direction: 'string' };

/** NetworkChaos direction and peer. */
export interface NetworkPeerOptions {
  /**
   * The other side of the fault: only traffic between the target and these pods is affected.
   * @default - all traffic of the target
   */
  readonly peer?: ChaosTargetLike;
  /**
   * Direction relative to the target: `to` the peer, `from` the peer, `both`.
   * @default 'to'
   */
  readonly direction?: 'to' | 'from' | 'both';
}

/** Options of {@link Fault.networkDelay}. */
export interface NetworkDelayOptions extends SelectionOptions, NetworkPeerOptions {
  /** Added latency (e.g. `500ms`). */
  readonly latency: string;
  /** Jitter (e.g. `100ms`). @default '0ms' */
  readonly jitter?: string;
}

/** Options of {@link Fault.networkLoss}. */
export interface NetworkLossOptions extends SelectionOptions, NetworkPeerOptions {
  /** Percent of packets dropped, 1-100. */
  readonly lossPercent: number;
}

/** Options of {@link Fault.networkBandwidth}. */
export interface NetworkBandwidthOptions extends SelectionOptions, NetworkPeerOptions {
  /** Rate, e.g. `1mbps`. */
  readonly rate: string;
  /** Bytes queued. @default 20971520 */
  readonly limit?: number;
  /** Burst bytes. @default 10000 */
  readonly buffer?: number;
}

/** Options of the IO faults. */
export interface IOFaultOptions extends SelectionOptions {
  /** The mount point (e.g. the PostgreSQL data volume `/home/postgres/pgdata`). */
  readonly volumePath: string;
  /** Glob of affected files. @default - every file under volumePath */
  readonly path?: string;
  /** Share of operations affected, 1-100. @default 100 */
  readonly percent?: number;
}

const LATENCY = /^\d+(\.\d+)?(ns|us|ms|s)$/;
const RATE = /^\d+(bps|kbps|mbps|gbps|tbps)$/;

function peerSpec(p: Problems, o: NetworkPeerOptions): Record<string, unknown> {
  const direction = o.direction ?? 'to';
  // NetworkChaos directions (PartitionDirection: to, from, both): chaos-mesh/chaos-mesh api/v1alpha1/networkchaos_types.go
  p.when(!['to', 'from', 'both'].includes(direction), 'direction', direction, 'is not a NetworkChaos direction', 'use "to", "from" or "both"');
  if (!o.peer) return { direction };
  const peer = ChaosTarget.of(o.peer);
  p.addAll(chaosTargetProblems('peer', o.peer));
  return { direction, target: { selector: { namespaces: [peer.namespace], labelSelectors: { ...peer.podLabels } }, mode: 'all' } };
}

/**
 * Builders of single faults (pure data, validated; nothing is created). A builder never throws:
 * the problems of a bad fault travel with it ({@link Fault.problemsOf}) and the construct it is
 * given to reports them with its own, in the app's one error.
 */
export class Fault {
  /** The problems of `fault` (empty for a valid one), each under the option's name. */
  public static problemsOf(fault: ChaosFault): readonly Problem[] {
    return FAULT_PROBLEMS.get(fault) ?? [];
  }

  /** PodChaos `pod-kill`: deletes pods; the controller replaces them. */
  public static podKill(target: ChaosTargetLike, options: SelectionOptions & { readonly gracePeriod?: number } = {}): ChaosFault {
    return build('PodChaos', 'pod-kill', target, options, undefined, (p, _base, o) => {
      p.when(o.gracePeriod !== undefined && !(Number.isInteger(o.gracePeriod) && o.gracePeriod >= 0), 'gracePeriod', o.gracePeriod,
        'must be whole seconds >= 0', 'use e.g. 0 for an abrupt kill');
      return { action: 'pod-kill', ...(o.gracePeriod !== undefined ? { gracePeriod: o.gracePeriod } : {}) };
    }, { gracePeriod: 'number' });
  }

  /** PodChaos `pod-failure`: pods stay scheduled but unavailable for `duration`. */
  public static podFailure(target: ChaosTargetLike, options: SelectionOptions = {}): ChaosFault {
    return build('PodChaos', 'pod-failure', target, options, '5m', () => ({ action: 'pod-failure' }));
  }

  /** PodChaos `container-kill` of the named containers. */
  public static containerKill(target: ChaosTargetLike, options: SelectionOptions & { readonly containerNames: readonly string[] }): ChaosFault {
    return build('PodChaos', 'container-kill', target, options, undefined, (p, _base, o) => {
      p.when(!(o.containerNames?.length > 0), 'containerNames', o.containerNames, 'must name at least one container', 'give e.g. the service\'s name');
      return { action: 'container-kill', containerNames: [...(o.containerNames ?? [])] };
    }, { containerNames: ['string'] });
  }

  /** NetworkChaos `delay`, with jitter. */
  public static networkDelay(target: ChaosTargetLike, options: NetworkDelayOptions): ChaosFault {
    return build('NetworkChaos', 'delay', target, options, '10m', (p, _base, o) => {
      const jitter = o.jitter ?? '0ms';
      p.when(!LATENCY.test(String(o.latency)), 'latency', o.latency, 'is not a duration', 'use e.g. "500ms"');
      p.when(!LATENCY.test(String(jitter)), 'jitter', jitter, 'is not a duration', 'use e.g. "100ms"');
      return { action: 'delay', ...peerSpec(p, o), delay: { latency: o.latency, jitter } };
    }, { ...PEER_TYPES, latency: 'string', jitter: 'string' });
  }

  /** NetworkChaos `loss`. */
  public static networkLoss(target: ChaosTargetLike, options: NetworkLossOptions): ChaosFault {
    return build('NetworkChaos', 'loss', target, options, '5m', (p, _base, o) => {
      p.when(!percentOk(o.lossPercent, 1), 'lossPercent', o.lossPercent, 'must be a percentage between 1 and 100', 'use e.g. 20');
      return { action: 'loss', ...peerSpec(p, o), loss: { loss: String(o.lossPercent) } };
    }, { ...PEER_TYPES, lossPercent: 'number' });
  }

  /** NetworkChaos `partition`: no traffic between the target and the peer. */
  public static networkPartition(target: ChaosTargetLike,
    options: SelectionOptions & NetworkPeerOptions & { readonly peer: ChaosTargetLike }): ChaosFault {
    return build('NetworkChaos', 'partition', target, options, '5m', (p, _base, o) => ({ action: 'partition', ...peerSpec(p, o) }), PEER_TYPES);
  }

  /** NetworkChaos `bandwidth` limit. */
  public static networkBandwidth(target: ChaosTargetLike, options: NetworkBandwidthOptions): ChaosFault {
    return build('NetworkChaos', 'bandwidth', target, options, '10m', (p, _base, o) => {
      const limit = o.limit ?? 20_971_520;
      const buffer = o.buffer ?? 10_000;
      p.when(!RATE.test(String(o.rate)), 'rate', o.rate, 'is not a rate', 'use e.g. "1mbps"');
      p.when(!(Number.isInteger(limit) && limit > 0), 'limit', limit, 'must be a positive number of bytes', 'use e.g. 20971520');
      p.when(!(Number.isInteger(buffer) && buffer > 0), 'buffer', buffer, 'must be a positive number of bytes', 'use e.g. 10000');
      return { action: 'bandwidth', ...peerSpec(p, o), bandwidth: { rate: o.rate, limit, buffer } };
    }, { ...PEER_TYPES, rate: 'string', limit: 'number', buffer: 'number' });
  }

  /** IOChaos `latency` on file operations under `volumePath`. */
  public static ioLatency(target: ChaosTargetLike, options: IOFaultOptions & { readonly delay: string }): ChaosFault {
    return build('IOChaos', 'io-latency', target, options, '3m', (p, _base, o) => {
      p.when(!LATENCY.test(String(o.delay)), 'delay', o.delay, 'is not a duration', 'use e.g. "500ms"');
      return { action: 'latency', ...ioBody(p, o), delay: o.delay };
    }, { ...IO_TYPES, delay: 'string' });
  }

  /** IOChaos `fault`: file operations fail with `errno`. */
  public static ioFault(target: ChaosTargetLike, options: IOFaultOptions & { readonly errno?: number }): ChaosFault {
    return build('IOChaos', 'io-fault', target, options, '3m', (p, _base, o) => {
      const errno = o.errno ?? 5;
      p.when(!(Number.isInteger(errno) && errno > 0), 'errno', errno, 'must be a positive errno', 'use e.g. 5 (EIO)');
      return { action: 'fault', ...ioBody(p, o), errno };
    }, { ...IO_TYPES, errno: 'number' });
  }
}

const IO_TYPES: PropTypes = { volumePath: 'string', path: 'string', percent: 'number' };

function ioBody(p: Problems, o: IOFaultOptions): Record<string, unknown> {
  const percent = o.percent ?? 100;
  p.when(!(typeof o.volumePath === 'string' && o.volumePath.startsWith('/')), 'volumePath', o.volumePath, 'must be an absolute mount path', 'use the data volume\'s mountPath');
  p.when(!percentOk(percent, 1) || !Number.isInteger(percent), 'percent', percent, 'must be a whole percentage between 1 and 100', 'use e.g. 100');
  return { volumePath: o.volumePath, ...(o.path !== undefined ? { path: o.path } : {}), percent };
}

/** A cron schedule (Chaos Mesh `Schedule`). */
export interface ChaosScheduleOptions {
  /** Five-field cron, evaluated in `timeZone`. */
  readonly cron: string;
  /**
   * IANA time zone of the cron (rendered as robfig/cron's `CRON_TZ=` prefix, which Chaos Mesh's
   * standard cron parser reads), so "11:00" is local business time in every region.
   * @default - the Chaos Mesh controller's zone (UTC unless configured)
   */
  readonly timeZone?: string;
  /**
   * Finished runs kept.
   * @default 5
   */
  readonly historyLimit?: number;
  /**
   * Seconds after the scheduled time a missed run may still start; later it is skipped, so a
   * controller outage never moves an 11:00 experiment into the evening.
   * @default 300
   */
  readonly startingDeadlineSeconds?: number;
}

/** Problems with a cron expression: five fields, each in range (see {@link cronScheduleProblems}). */
export function cronProblems(prop: string, cron: unknown): { prop: string; value: unknown; why: string; fix: string }[] {
  return cronScheduleProblems(prop, cron);
}

/**
 * Schedules whose cron and time zone the construct that built them has checked under its own
 * props (ChaosPresets' `podKillCron`, `crons.*`, `timeZone`): not reported again as `schedule.*`.
 */
const CHECKED_SCHEDULES = new WeakSet<ChaosScheduleOptions>();

/** Resolved schedule fields. */
export function resolveSchedule(p: Problems, s: ChaosScheduleOptions, prop = 'schedule'): Pick<ScheduleSpec, 'schedule' | 'historyLimit' | 'startingDeadlineSeconds' | 'concurrencyPolicy'> {
  if (!CHECKED_SCHEDULES.has(s)) {
    p.addAll(cronProblems(`${prop}.cron`, s.cron));
    p.addAll(timeZoneProblems(`${prop}.timeZone`, s.timeZone));
  }
  const historyLimit = s.historyLimit ?? 5;
  const startingDeadlineSeconds = s.startingDeadlineSeconds ?? 300;
  p.when(!(Number.isInteger(historyLimit) && historyLimit >= 1), `${prop}.historyLimit`, historyLimit, 'must keep at least one run', 'use e.g. 5');
  p.when(!(Number.isInteger(startingDeadlineSeconds) && startingDeadlineSeconds >= 1), `${prop}.startingDeadlineSeconds`, startingDeadlineSeconds,
    'must be whole seconds >= 1', 'use e.g. 300');
  const schedule = s.timeZone ? `CRON_TZ=${s.timeZone} ${s.cron}` : s.cron;
  return { schedule, concurrencyPolicy: 'Forbid', historyLimit, startingDeadlineSeconds };
}

/** The Schedule field that embeds a kind's spec. */
export function scheduleField(kind: ChaosKind | 'Workflow'): 'podChaos' | 'networkChaos' | 'ioChaos' | 'workflow' {
  return ({ PodChaos: 'podChaos', NetworkChaos: 'networkChaos', IOChaos: 'ioChaos', Workflow: 'workflow' } as const)[kind];
}

/** Where chaos objects live and whether production may be hit. */
export interface ChaosPlacementOptions {
  /**
   * Namespace of the chaos objects (not of the targets).
   * @default 'chaos' (the case study's)
   */
  readonly namespace?: string;
  /**
   * Allow targets in a production environment or namespace.
   * @default false
   */
  readonly allowProduction?: boolean;
  /**
   * The environment the chaos runs in.
   * @default - the enclosing RegionChart's platform environment, else 'unknown'
   */
  readonly environment?: string;
}

/** Problems when production would be hit without `allowProduction`. */
export function productionProblems(p: Problems, environment: string, targets: readonly IChaosTarget[], allow: boolean): void {
  if (allow) return;
  const prod = (s: string) => /^prod(uction)?$/i.test(s) || /(^|-)prod(uction)?(-|$)/i.test(s);
  p.when(prod(environment), 'environment', environment, 'is production, where chaos is refused by default',
    'set allowProduction: true once the experiment has passed in staging and its guards are reviewed');
  for (const t of targets) {
    p.when(prod(t.namespace), 'target.namespace', t.namespace, 'is a production namespace, where chaos is refused by default', 'set allowProduction: true to run it deliberately');
  }
}

/** Props of {@link ChaosExperiment}. */
export interface ChaosExperimentProps extends ChaosPlacementOptions {
  /** The fault (see {@link Fault}). */
  readonly fault: ChaosFault;
  /** Run on a cron through a Schedule. @default - run once, now */
  readonly schedule?: ChaosScheduleOptions;
  /** Extra annotations (e.g. the hypothesis). @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Options of the `ChaosExperiment.*` shortcuts. */
export interface ExperimentPlacement extends Omit<ChaosExperimentProps, 'fault'> {
  /** Parent. @default - the target's chart (the target must then be a construct) */
  readonly scope?: Construct;
  /** Construct id. @default - the fault's name */
  readonly id?: string;
}

/**
 * One Chaos Mesh experiment against a construct's pods: the chaos object, or a Schedule
 * (`concurrencyPolicy: Forbid`) that creates it on a cron.
 *
 * ```ts
 * ChaosExperiment.podKill(orderService, { schedule: { cron: '0 11 * * 1-5' } });
 * ```
 */
export class ChaosExperiment extends Construct {
  /** PodChaos pod-kill against `target` (see {@link Fault.podKill}). */
  public static podKill(target: ChaosTargetLike, options: SelectionOptions & ExperimentPlacement = {}): ChaosExperiment {
    return ChaosExperiment.place(target, Fault.podKill(target, options), options);
  }

  /** PodChaos pod-failure against `target`. */
  public static podFailure(target: ChaosTargetLike, options: SelectionOptions & ExperimentPlacement = {}): ChaosExperiment {
    return ChaosExperiment.place(target, Fault.podFailure(target, options), options);
  }

  /** NetworkChaos delay against `target`. */
  public static networkDelay(target: ChaosTargetLike, options: NetworkDelayOptions & ExperimentPlacement): ChaosExperiment {
    return ChaosExperiment.place(target, Fault.networkDelay(target, options), options);
  }

  /** NetworkChaos loss against `target`. */
  public static networkLoss(target: ChaosTargetLike, options: NetworkLossOptions & ExperimentPlacement): ChaosExperiment {
    return ChaosExperiment.place(target, Fault.networkLoss(target, options), options);
  }

  /** IOChaos latency against `target`. */
  public static ioLatency(target: ChaosTargetLike, options: IOFaultOptions & { readonly delay: string } & ExperimentPlacement): ChaosExperiment {
    return ChaosExperiment.place(target, Fault.ioLatency(target, options), options);
  }

  private static place(target: ChaosTargetLike, fault: ChaosFault, o: ExperimentPlacement): ChaosExperiment {
    const scope = o?.scope ?? (isConstruct(target) ? Chart.of(target) : undefined);
    if (!scope) {
      // No app to record the problems on: the fault's problems come with this one.
      throw new ValidationError('ChaosExperiment', fault.name, [...Fault.problemsOf(fault), {
        prop: 'scope', value: undefined, why: 'is required when the target is not a construct', fix: 'pass options.scope (e.g. the chart)',
      }]);
    }
    const { scope: _s, id, ...props } = o;
    // The options given to the shortcut are the fault's and the experiment's at once: the fault's problems keep their names.
    const experimentProps = { ...props, fault };
    SHORTCUT_PROPS.add(experimentProps);
    return new ChaosExperiment(scope, typeof id === 'string' ? id : fault.name, experimentProps);
  }

  /** The fault. */
  public readonly fault: ChaosFault;
  /** Namespace of the chaos object. */
  public readonly namespace: string;
  public readonly environment: string;
  public readonly allowProduction: boolean;
  /** The resolved schedule, when scheduled. */
  public readonly schedule?: Pick<ScheduleSpec, 'schedule' | 'historyLimit' | 'startingDeadlineSeconds' | 'concurrencyPolicy'>;
  /** The chaos object, or the Schedule. */
  public readonly apiObject!: PodChaos | NetworkChaos | IOChaos | ChaosSchedule;

  constructor(scope: Construct, id: string, given: ChaosExperimentProps) {
    super(scope, id);
    const p = new Problems('ChaosExperiment', this.node.path);
    const { props, problems: typeProblems } = typedProps(given, CHAOS_EXPERIMENT_PROP_TYPES);
    const fault = isFault(props.fault) ? props.fault : undefined;
    p.when(fault === undefined && !typeProblems.some(t => t.prop === 'fault'), 'fault', props.fault, 'is not a fault',
      'build one with Fault (e.g. Fault.podKill(orderService))');
    // A fault built with problems: reported here, with the experiment's own (under `fault.` unless given through a shortcut).
    if (fault) p.addAll(faultFieldProblems('fault', fault));
    if (fault) p.addAll(Fault.problemsOf(fault), SHORTCUT_PROPS.has(given) ? undefined : 'fault');
    this.fault = fault!;
    this.namespace = props.namespace ?? 'chaos';
    this.allowProduction = props.allowProduction ?? false;
    this.environment = props.environment ?? platformContext(this).environment;
    p.when(!isDnsLabel(this.namespace), 'namespace', this.namespace, 'is not a namespace name', 'use e.g. "chaos"');
    if (fault) productionProblems(p, this.environment, [fault.target], this.allowProduction);
    if (props.schedule) this.schedule = resolveSchedule(p, props.schedule);
    const problems = withTypeProblems(typeProblems, p.all);
    if (problems.length > 0) return notBuilt(this, 'ChaosExperiment', problems);
    const metadata = {
      name: this.fault.name,
      namespace: this.namespace,
      annotations: { [CHAOS_ANNOTATIONS.target]: `${this.fault.target.namespace}/${ChaosTarget.nameOf(this.fault.target)}`, ...props.annotations },
    };
    if (this.schedule) {
      this.apiObject = new ChaosSchedule(this, 'Schedule', {
        metadata,
        spec: { ...this.schedule, type: this.fault.kind, [scheduleField(this.fault.kind)]: this.fault.spec } as ScheduleSpec,
      });
    } else {
      type Ctor = new (s: Construct, i: string, p: { metadata: object; spec: unknown }) => PodChaos;
      const Kind = { PodChaos, NetworkChaos, IOChaos }[this.fault.kind] as Ctor;
      this.apiObject = new Kind(this, this.fault.kind, { metadata, spec: this.fault.spec });
    }
  }
}

/** Runtime types of a chaos target (an IChaosTarget, or a construct with the same fields). */
const TARGET_TYPES: PropTypes = { namespace: 'string', podLabels: { record: 'string' }, name: 'string' };

/** Props built by a `ChaosExperiment.*` shortcut (its options name the fault's props directly). */
const SHORTCUT_PROPS = new WeakSet<object>();

/** Runtime types of a schedule's options. */
export const CHAOS_SCHEDULE_TYPES: PropTypes = { cron: 'string', timeZone: 'string', historyLimit: 'number', startingDeadlineSeconds: 'number' };
/** Runtime types of where chaos objects live. */
export const CHAOS_PLACEMENT_TYPES: PropTypes = { namespace: 'string', allowProduction: 'boolean', environment: 'string' };
const CHAOS_EXPERIMENT_PROP_TYPES: PropTypes = {
  ...CHAOS_PLACEMENT_TYPES, fault: 'object', schedule: CHAOS_SCHEDULE_TYPES, annotations: { record: 'string' },
};

/** Whether `x` is a fault (as {@link Fault} builds them). */
export function isFault(x: unknown): x is ChaosFault {
  return typeof x === 'object' && x !== null && typeof (x as ChaosFault).kind === 'string' && typeof (x as ChaosFault).spec === 'object'
    && typeof (x as ChaosFault).target === 'object';
}

function isConstruct(x: unknown): x is IConstruct {
  return typeof x === 'object' && x !== null && 'node' in x;
}

/** Options of {@link ChaosPresets}. */
export interface ChaosPresetsProps extends ChaosPlacementOptions {
  /** The order service (pod kill and latency). */
  readonly orderService: ChaosTargetLike;
  /** The payment service (packet loss). */
  readonly paymentService: ChaosTargetLike;
  /**
   * The PostgreSQL primary: the database construct's pod labels plus its role label, e.g.
   * `{ 'application': 'spilo', 'cluster-name': 'orders-db', 'spilo-role': 'master' }`.
   */
  readonly databasePrimary: ChaosTargetLike;
  /**
   * The database's data volume mount path.
   * @default '/home/postgres/pgdata' (Spilo's)
   */
  readonly databaseVolumePath?: string;
  /**
   * Cron of the order-service pod kill.
   * @default '0 11 * * 1-5' (weekdays at 11:00, the case study's)
   */
  readonly podKillCron?: string;
  /**
   * Crons for the other three presets; each one given turns that experiment into a Schedule.
   * Give all three for GitOps, where a one-shot object would run again on every re-create.
   * @default - none: the three run once, when applied
   */
  readonly crons?: { readonly latency?: string; readonly packetLoss?: string; readonly databaseIoLatency?: string };
  /**
   * Time zone of the crons (see {@link ChaosScheduleOptions.timeZone}).
   * @default - the enclosing region's `timeZone` (platform description), else the Chaos Mesh controller's
   */
  readonly timeZone?: string;
}

/**
 * The case study's four experiments (section 4.2): kill one order-service pod on weekdays at
 * 11:00 (scheduled); 500 ms +- 100 ms latency on 50% of order-service pods for 10 min; 20%
 * packet loss on payment-service for 5 min; 500 ms IO latency on the PostgreSQL primary for 3 min.
 * Without `crons` the last three are one-shot and run when applied; apply them deliberately.
 */
export class ChaosPresets extends Construct {
  public readonly podKill: ChaosExperiment;
  public readonly latency: ChaosExperiment;
  public readonly packetLoss: ChaosExperiment;
  public readonly databaseIoLatency: ChaosExperiment;

  constructor(scope: Construct, id: string, given: ChaosPresetsProps) {
    super(scope, id);
    // Each experiment reports its own problems (the four together in the app's one error); the presets' own
    // props of the wrong type are reported here and read as unset.
    const { props, problems } = typedProps(given, {
      ...CHAOS_PLACEMENT_TYPES,
      orderService: TARGET_TYPES,
      paymentService: TARGET_TYPES,
      databasePrimary: TARGET_TYPES,
      databaseVolumePath: 'string',
      podKillCron: 'string',
      crons: { latency: 'string', packetLoss: 'string', databaseIoLatency: 'string' },
      timeZone: 'string',
    });
    // The crons and the time zone are the presets' props: reported under their names, once (not as each experiment's schedule).
    const scheduleProblems = presetScheduleProblems(props);
    if (problems.length + scheduleProblems.length > 0) recordAppProblem(this, new ValidationError('ChaosPresets', this.node.path, [...problems, ...scheduleProblems]));
    const placement = { scope: this, namespace: props.namespace, allowProduction: props.allowProduction, environment: props.environment };
    const timeZone = props.timeZone ?? platformContext(this).timeZone;
    const checked = (cron: string): ChaosScheduleOptions => {
      const schedule = { cron, timeZone };
      CHECKED_SCHEDULES.add(schedule);
      return schedule;
    };
    this.podKill = ChaosExperiment.podKill(props.orderService, {
      ...placement, id: 'pod-kill', mode: 'fixed', value: 1, schedule: checked(props.podKillCron ?? '0 11 * * 1-5'),
    });
    const at = (cron?: string) => (cron ? { schedule: checked(cron) } : {});
    this.latency = ChaosExperiment.networkDelay(props.orderService, {
      ...placement, ...at(props.crons?.latency), id: 'latency', mode: 'fixed-percent', value: 50, latency: '500ms', jitter: '100ms', duration: '10m',
    });
    this.packetLoss = ChaosExperiment.networkLoss(props.paymentService, { ...placement, ...at(props.crons?.packetLoss), id: 'packet-loss', mode: 'all', lossPercent: 20, duration: '5m' });
    this.databaseIoLatency = ChaosExperiment.ioLatency(props.databasePrimary, {
      ...placement, ...at(props.crons?.databaseIoLatency), id: 'database-io-latency', mode: 'fixed', value: 1, delay: '500ms', duration: '3m', volumePath: props.databaseVolumePath ?? '/home/postgres/pgdata',
    });
  }
}

/**
 * Problems with ChaosPresets' schedule props, each under its own name: `podKillCron`, `crons.*`
 * (five-field crons in range) and `timeZone` (IANA; the region's, when unset, was checked by Platform).
 */
function presetScheduleProblems(props: ChaosPresetsProps): Problem[] {
  return [
    ...(props.podKillCron === undefined ? [] : cronProblems('podKillCron', props.podKillCron)),
    ...(['latency', 'packetLoss', 'databaseIoLatency'] as const).flatMap(k => {
      const cron = props.crons?.[k];
      return cron === undefined ? [] : cronProblems(`crons.${k}`, cron);
    }),
    ...timeZoneProblems('timeZone', props.timeZone),
  ];
}
