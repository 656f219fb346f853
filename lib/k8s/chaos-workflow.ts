/**
 * Chaos Mesh Workflows: serial and parallel steps of faults, guarded by a StatusCheck that
 * aborts the whole workflow when an alert fires.
 *
 * @see https://chaos-mesh.org/docs/create-chaos-mesh-workflow/
 * @see https://chaos-mesh.org/docs/status-check-in-workflow/
 */
import { Construct } from 'constructs';
import {
  CHAOS_ANNOTATIONS, CHAOS_PLACEMENT_TYPES, CHAOS_SCHEDULE_TYPES, ChaosFault, ChaosPlacementOptions, ChaosScheduleOptions, Fault, faultFieldProblems,
  isFault, productionProblems, resolveSchedule,
} from './chaos';
import { notBuilt } from '../core/app-problems';
import { Problems } from '../core/errors';
import { isDnsLabel } from '../core/labels';
import { PropTypes, typedProps, withTypeProblems } from '../core/prop-types';
import { ChaosSchedule, ChaosWorkflow, ScheduleSpec, StatusCheckSpec, WorkflowSpec, WorkflowTemplate } from './crds/chaos-mesh';
import { platformContext } from './private/context';

/** A step of a workflow: a fault, steps in series or in parallel, or a pause. */
export type ChaosStep =
  | { readonly fault: ChaosFault; readonly name?: string; readonly deadline?: string }
  | { readonly serial: readonly ChaosStep[]; readonly name: string }
  | { readonly parallel: readonly ChaosStep[]; readonly name: string }
  | { readonly suspend: string; readonly name: string };

/** Step builders. */
export class ChaosSteps {
  /** A fault; the node's deadline is the fault's duration (1m for instant kills) unless given. */
  public static fault(fault: ChaosFault, options: { readonly name?: string; readonly deadline?: string } = {}): ChaosStep {
    return { fault, ...options };
  }
  /** Children one after another. */
  public static serial(name: string, ...steps: ChaosStep[]): ChaosStep {
    return { serial: steps, name };
  }
  /** Children at once. */
  public static parallel(name: string, ...steps: ChaosStep[]): ChaosStep {
    return { parallel: steps, name };
  }
  /** A pause (e.g. recovery time between scenarios). */
  public static suspend(name: string, duration: string): ChaosStep {
    return { suspend: duration, name };
  }
}

/** The alert guard: abort when the alert fires. */
export interface AlertGuardOptions {
  /**
   * The Prometheus that evaluates the alert (its HTTP API base URL).
   * @default - `http://prometheus-operated.<monitoring namespace>.svc:9090` (prometheus-operator's service)
   */
  readonly prometheusUrl?: string;
  /** The alert's name (or several: any of them aborts), e.g. `OrderServiceAvailabilityBurnRateFastPage`. */
  readonly alertName: string | readonly string[];
  /** Extra label matchers on `ALERTS`, e.g. `{ namespace: 'orders' }`. @default - none */
  readonly matchers?: Readonly<Record<string, string>>;
  /**
   * Seconds between checks.
   * @default 10
   */
  readonly intervalSeconds?: number;
  /**
   * Consecutive failed checks that abort. 1: abort on the first firing (or unreachable Prometheus).
   * @default 1
   */
  readonly failureThreshold?: number;
}

/**
 * The PromQL of the guard: it returns nothing (HTTP 200) while the alert is silent and fails to
 * execute (HTTP 422) once `ALERTS{alertname=...,alertstate="firing"}` has a series, because the
 * right-hand side then holds two series with the same (empty) match group. Chaos Mesh's HTTP
 * StatusCheck only judges the status code, so the alert has to become one.
 */
export function alertGuardQuery(alertName: string | readonly string[], matchers: Readonly<Record<string, string>> = {}): string {
  const names = typeof alertName === 'string' ? [alertName] : [...alertName];
  const nameMatcher = names.length === 1 ? `alertname=${JSON.stringify(names[0])}` : `alertname=~${JSON.stringify(names.join('|'))}`;
  const sel = [nameMatcher, ...Object.entries({ alertstate: 'firing', ...matchers }).map(([k, v]) => `${k}=${JSON.stringify(v)}`)].join(',');
  const alerts = `ALERTS{${sel}}`;
  return `vector(1) + on() (${alerts} or label_replace(${alerts}, "guard", "duplicate", "", ""))`;
}

/** The StatusCheck spec of an alert guard. */
export function alertStatusCheck(prometheusUrl: string, o: AlertGuardOptions): StatusCheckSpec {
  return {
    mode: 'Continuous',
    type: 'HTTP',
    intervalSeconds: o.intervalSeconds ?? 10,
    timeoutSeconds: 5,
    failureThreshold: o.failureThreshold ?? 1,
    successThreshold: 1,
    http: {
      url: `${prometheusUrl.replace(/\/$/, '')}/api/v1/query?query=${encodeURIComponent(alertGuardQuery(o.alertName, o.matchers))}`,
      method: 'GET',
      criteria: { statusCode: '200' },
    },
  };
}

/** Props of {@link GuardedWorkflow}. */
export interface GuardedWorkflowProps extends ChaosPlacementOptions {
  /** Workflow name (a DNS label; at most 51 characters when scheduled). */
  readonly name: string;
  /** The steps (run in series). */
  readonly steps: readonly ChaosStep[];
  /** Abort when this alert fires. @default - no guard */
  readonly guard?: AlertGuardOptions;
  /** Run on a cron through a Schedule. @default - run once, when applied */
  readonly schedule?: ChaosScheduleOptions;
  /** Annotations of the Workflow (or Schedule). @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
}

const GO_DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

/** Runtime types of the props the workflow reads (casts are problems, not TypeErrors). */
const GUARDED_WORKFLOW_PROP_TYPES: PropTypes = {
  ...CHAOS_PLACEMENT_TYPES,
  name: 'string',
  steps: [{ name: 'string', deadline: 'string', fault: 'object' }],
  guard: {
    prometheusUrl: 'string', alertName: { anyOf: ['string', ['string']] }, matchers: { record: 'string' }, intervalSeconds: 'number', failureThreshold: 'number',
  },
  schedule: CHAOS_SCHEDULE_TYPES,
  annotations: { record: 'string' },
};

/** Seconds of a Go duration (`1h30m`, `500ms`). */
export function goDurationSeconds(d: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * units[m[2]];
  return total;
}

function formatSeconds(s: number): string {
  return s % 60 === 0 ? `${s / 60}m` : `${Math.ceil(s)}s`;
}

/**
 * A Chaos Mesh Workflow of serial/parallel steps. With a guard the entry is a Parallel node of
 * the steps and a Continuous StatusCheck with `abortWithStatusCheck: true` whose deadline covers
 * every step, so the workflow aborts (and every injected fault is recovered) when the alert fires.
 */
export class GuardedWorkflow extends Construct {
  public readonly name: string;
  public readonly namespace: string;
  public readonly environment: string;
  public readonly allowProduction: boolean;
  /** Every fault of the workflow. */
  public readonly faults: readonly ChaosFault[];
  /** The workflow spec. */
  public readonly spec!: WorkflowSpec;
  /** Upper bound of the run, in seconds (sum of serial steps, max of parallel ones). */
  public readonly deadlineSeconds: number;
  /** The Workflow, or the Schedule that creates it. */
  public readonly apiObject!: ChaosWorkflow | ChaosSchedule;

  constructor(scope: Construct, id: string, given: GuardedWorkflowProps) {
    super(scope, id);
    const p = new Problems('GuardedWorkflow', this.node.path);
    const { props, problems: typeProblems } = typedProps(given, GUARDED_WORKFLOW_PROP_TYPES);
    const ctx = platformContext(this);
    this.name = props.name;
    this.namespace = props.namespace ?? 'chaos';
    this.allowProduction = props.allowProduction ?? false;
    this.environment = props.environment ?? ctx.environment;
    const maxName = props.schedule ? 51 : 63;
    p.when(!isDnsLabel(this.name) || this.name.length > maxName, 'name', this.name,
      `must be a DNS label of at most ${maxName} characters${props.schedule ? ' (Chaos Mesh appends 6 to a scheduled workflow)' : ''}`, 'shorten it');
    p.when(!isDnsLabel(this.namespace), 'namespace', this.namespace, 'is not a namespace name', 'use e.g. "chaos"');
    const steps = props.steps ?? [];
    p.when(steps.length === 0 && !typeProblems.some(t => t.prop.startsWith('steps')), 'steps', steps, 'is empty', 'add at least one step');
    const templates: WorkflowTemplate[] = [];
    const faults: ChaosFault[] = [];
    const names = new Set<string>();
    const unique = (n: string) => {
      p.when(names.has(n), 'steps', n, 'repeats a step name, which a Workflow rejects', 'name each step uniquely');
      names.add(n);
      return n;
    };
    const walk = (s: ChaosStep): { name: string; seconds: number } => {
      if ('fault' in s && !isFault(s.fault)) {
        p.add(`steps.${s.name ?? ''}.fault`, s.fault, 'is not a fault', 'build one with Fault (e.g. Fault.podKill(orderService))');
        return { name: s.name ?? '', seconds: 0 };
      }
      if ('fault' in s) {
        const name = unique(s.name ?? s.fault.name);
        // A fault built with problems (or not built by Fault): reported here, under its step, with the workflow's own.
        const fieldProblems = faultFieldProblems(`steps.${name}.fault`, s.fault);
        p.addAll(fieldProblems);
        p.addAll(Fault.problemsOf(s.fault), `steps.${name}`);
        if (fieldProblems.length > 0) return { name, seconds: 0 };
        const deadline = s.deadline ?? s.fault.spec.duration ?? '1m';
        p.when(typeof deadline !== 'string' || !GO_DURATION.test(deadline), `steps.${name}.deadline`, deadline, 'is not a Go duration', 'use e.g. "5m"');
        faults.push(s.fault);
        const field = ({ PodChaos: 'podChaos', NetworkChaos: 'networkChaos', IOChaos: 'ioChaos' } as const)[s.fault.kind];
        templates.push({ name, templateType: s.fault.kind, deadline, [field]: s.fault.spec });
        return { name, seconds: typeof deadline === 'string' && GO_DURATION.test(deadline) ? goDurationSeconds(deadline) : 0 };
      }
      if ('suspend' in s) {
        const name = unique(s.name);
        p.when(!GO_DURATION.test(s.suspend), `steps.${name}.suspend`, s.suspend, 'is not a Go duration', 'use e.g. "5m"');
        templates.push({ name, templateType: 'Suspend', deadline: s.suspend });
        return { name, seconds: goDurationSeconds(s.suspend) };
      }
      const name = unique(s.name);
      const serial = 'serial' in s;
      const group: unknown = serial ? s.serial : s.parallel;
      if (!Array.isArray(group)) {
        p.add(`steps.${name}`, s, 'is not a step', 'build steps with ChaosSteps (fault, serial, parallel, suspend)');
        return { name, seconds: 0 };
      }
      const children = (group as ChaosStep[]).map(walk);
      p.when(children.length === 0, `steps.${name}`, [], 'has no children', 'add a step or remove the group');
      templates.push({ name, templateType: serial ? 'Serial' : 'Parallel', children: children.map(c => c.name) });
      const seconds = serial ? children.reduce((a, c) => a + c.seconds, 0) : Math.max(0, ...children.map(c => c.seconds));
      return { name, seconds };
    };
    const root = walk(steps.length === 1 ? steps[0] : ChaosSteps.serial('scenarios', ...steps));
    this.faults = faults;
    this.deadlineSeconds = root.seconds;
    productionProblems(p, this.environment, faults.map(f => f.target), this.allowProduction);
    let entry = root.name;
    if (props.guard) {
      const g = props.guard;
      const alertNames = typeof g.alertName === 'string' ? [g.alertName] : [...(g.alertName ?? [])];
      p.when(alertNames.length === 0 || !alertNames.every(a => /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(String(a))), 'guard.alertName', g.alertName,
        'is not a Prometheus alert name (or a non-empty list of them)', 'use e.g. "OrderServiceAvailabilityBurnRateFastPage"');
      p.when(g.intervalSeconds !== undefined && !(Number.isInteger(g.intervalSeconds) && g.intervalSeconds >= 1), 'guard.intervalSeconds', g.intervalSeconds,
        'must be whole seconds >= 1', 'use e.g. 10');
      p.when(g.failureThreshold !== undefined && !(Number.isInteger(g.failureThreshold) && g.failureThreshold >= 1), 'guard.failureThreshold', g.failureThreshold,
        'must be a whole number >= 1', 'use 1 to abort on the first firing');
      const url = g.prometheusUrl ?? ctx.prometheusUrl;
      p.when(!/^https?:\/\/[^\s/]+/.test(url), 'guard.prometheusUrl', url, 'is not an http(s) URL', 'use e.g. "http://prometheus-operated.monitoring.svc:9090"');
      const check = unique('slo-guard');
      templates.push({ name: check, templateType: 'StatusCheck', deadline: formatSeconds(root.seconds), abortWithStatusCheck: true, statusCheck: alertStatusCheck(url, { ...g, alertName: alertNames }) });
      entry = unique('guarded');
      templates.push({ name: entry, templateType: 'Parallel', children: [check, root.name] });
    }
    const schedule = props.schedule ? resolveSchedule(p, props.schedule) : undefined;
    const problems = withTypeProblems(typeProblems, p.all);
    if (problems.length > 0) return notBuilt(this, 'GuardedWorkflow', problems);
    this.spec = { entry, templates };
    const annotations = {
      ...(props.guard ? { [CHAOS_ANNOTATIONS.guard]: `aborts when ${[props.guard.alertName].flat().join(' or ')} fires` } : {}),
      ...props.annotations,
    };
    const metadata = { name: this.name, namespace: this.namespace, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) };
    this.apiObject = schedule
      ? new ChaosSchedule(this, 'Schedule', { metadata, spec: { ...schedule, type: 'Workflow', workflow: this.spec } as ScheduleSpec })
      : new ChaosWorkflow(this, 'Workflow', { metadata, spec: this.spec });
  }
}
