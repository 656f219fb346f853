/**
 * The case study's game day (section 4.2, "Game Days and Disaster Recovery Drills"): five
 * scenarios, each a guarded, scheduled Chaos Mesh Workflow carrying its hypothesis and expected
 * behaviour, in business hours only.
 *
 * Guards, all checked at synth:
 * - the workflow aborts when the target's SLO burn-rate alert fires (a StatusCheck on
 *   `ALERTS{alertname=...}`, see {@link alertGuardQuery});
 * - no fault selects more pods than the target's PodDisruptionBudget allows to be down;
 * - production (environment or namespace) is refused unless `allowProduction: true`;
 * - every scenario starts and ends inside the weekday business-hours window.
 *
 * The case study's table kills the entire payment service and the API gateway with auth; the PDB
 * guard forbids that, so a dependency failure is injected at the caller (a partition of one
 * order-service pod from payment-service: every request that pod serves meets a dead dependency)
 * and the cascade kills one gateway and one auth pod at once.
 */
import { Construct } from 'constructs';
import {
  CHAOS_ANNOTATIONS, CHAOS_PLACEMENT_TYPES, ChaosFault, ChaosPlacementOptions, ChaosTarget, ChaosTargetLike, Fault, IChaosTarget, chaosTargetProblems,
  productionProblems,
} from './chaos';
import { AlertGuardOptions, ChaosStep, goDurationSeconds, GuardedWorkflow, ChaosSteps } from './chaos-workflow';
import { PlatformContext } from './private/context';
import { Resolution, adopt, resolution, resolveConstruct } from './private/resolve';
import { cronScheduleProblems } from '../core/cron';
import { Problems } from '../core/errors';
import { timeZoneProblems } from '../core/platform';
import { PropTypes, typedProps, withTypeProblems } from '../core/prop-types';
import { toAlertName } from '../render/slo-rules';

/** One row of the scenario table. */
export interface GameDayScenario {
  /** DNS-label id, e.g. `pod-failure`. */
  readonly id: string;
  /** The case study's scenario name. */
  readonly title: string;
  /** What we believe will happen. */
  readonly hypothesis: string;
  /** The behaviour the case study expects (and what it found). */
  readonly expectedBehavior: string;
  /** The step (fault or parallel faults). */
  readonly step: ChaosStep;
  /** The targets whose SLO alerts guard the scenario. */
  readonly guardedTargets: readonly IChaosTarget[];
}

/** Props of {@link GameDay}. */
export interface GameDayProps extends ChaosPlacementOptions {
  /** The service of the pod-failure, dependency-failure and latency scenarios (the case study's order-service). */
  readonly service: ChaosTargetLike;
  /** The dependency that fails (the case study's payment-service). */
  readonly dependency: ChaosTargetLike;
  /** The PostgreSQL primary (pod labels including the role label) with its disruption budget. */
  readonly databasePrimary: ChaosTargetLike;
  /** The API gateway. */
  readonly gateway: ChaosTargetLike;
  /** The auth service. */
  readonly auth: ChaosTargetLike;
  /**
   * Cron day-of-week field: the days the game day runs (only 1-5 allowed).
   * @default '2' (Tuesdays)
   */
  readonly daysOfWeek?: string;
  /**
   * IANA time zone of `start` and `businessHours` (the region's local time).
   * @default - the enclosing region's `timeZone` (platform description), else the Chaos Mesh
   * controller's zone (UTC unless configured)
   */
  readonly timeZone?: string;
  /**
   * Start of the first scenario, in `timeZone`.
   * @default { hour: 9, minute: 15 } (the case study's "9:15 AM - Chaos Mesh starts")
   */
  readonly start?: { readonly hour: number; readonly minute: number };
  /**
   * Minutes between scenario starts; each scenario (5 min) must fit in its slot.
   * @default 15 (the five scenarios end by 10:30, the case study's "Chaos stops")
   */
  readonly slotMinutes?: number;
  /**
   * Business hours (hours, end exclusive) every scenario must start and end within.
   * @default { startHour: 9, endHour: 17 }
   */
  readonly businessHours?: { readonly startHour: number; readonly endHour: number };
  /**
   * Alert names per target name; any firing aborts that target's scenarios.
   * @default - `<Target>AvailabilityBurnRateFastPage` for each target, the fast-page alert that
   * lib/render/slo-rules.ts names for the SLO `<target>-availability`
   */
  readonly alertNames?: Readonly<Record<string, string>>;
  /** Prometheus, interval and threshold of the guard. @default - see AlertGuardOptions */
  readonly guard?: Omit<AlertGuardOptions, 'alertName'>;
  /**
   * Duration of each fault (and the observation window).
   * @default '5m'
   */
  readonly faultDuration?: string;
}

/** The default guard alert of a target: its availability SLO's fast-page burn-rate alert. */
export function defaultGuardAlert(targetName: string): string {
  return toAlertName(`${targetName}-availability-burn-rate-fast-page`);
}

/** The props naming the game day's targets. */
const TARGET_PROPS = ['service', 'dependency', 'databasePrimary', 'gateway', 'auth'] as const;

/** Runtime types of the props the game day reads (casts are problems, not TypeErrors). */
const GAME_DAY_PROP_TYPES: PropTypes = {
  ...CHAOS_PLACEMENT_TYPES,
  ...Object.fromEntries(TARGET_PROPS.map(t => [t, 'object'])),
  daysOfWeek: 'string',
  timeZone: 'string',
  start: { hour: 'number', minute: 'number' },
  slotMinutes: 'number',
  businessHours: { startHour: 'number', endHour: 'number' },
  alertNames: { record: 'string' },
  guard: { prometheusUrl: 'string', matchers: { record: 'string' }, intervalSeconds: 'number', failureThreshold: 'number' },
  faultDuration: 'string',
};

const DOW = /^[1-5](-[1-5])?(,[1-5](-[1-5])?)*$/;

/**
 * The game day: one scheduled, guarded Workflow per scenario of the case study's table.
 */
export class GameDay extends Construct {
  public readonly scenarios!: readonly GameDayScenario[];
  /** One guarded workflow per scenario, in table order. */
  public readonly workflows!: readonly GuardedWorkflow[];
  public readonly daysOfWeek!: string;
  public readonly start!: { readonly hour: number; readonly minute: number };
  public readonly slotMinutes!: number;
  public readonly businessHours!: { readonly startHour: number; readonly endHour: number };
  public readonly faultDuration!: string;
  public readonly timeZone?: string;

  constructor(scope: Construct, id: string, props: GameDayProps) {
    super(scope, id);
    const r = resolveConstruct(this, 'GameDay', c => resolveGameDayProps(props, c), props);
    if (!r.built) return r.placeholder;
    const resolved = r.settings;
    adopt(this, resolved, ['daysOfWeek', 'start', 'slotMinutes', 'businessHours', 'faultDuration', 'timeZone']);
    const { scenarios, environment, startMinute: startMin } = resolved;
    this.scenarios = scenarios;
    this.workflows = scenarios.map((s, i) => {
      const at = startMin + i * this.slotMinutes;
      return new GuardedWorkflow(this, s.id, {
        name: `game-day-${s.id}`,
        steps: [s.step],
        namespace: props.namespace,
        environment,
        allowProduction: props.allowProduction,
        guard: { ...props.guard, alertName: [...resolved.guardAlerts[i]] },
        schedule: { cron: `${at % 60} ${Math.floor(at / 60)} * * ${this.daysOfWeek}`, historyLimit: 5, timeZone: this.timeZone },
        annotations: {
          [CHAOS_ANNOTATIONS.scenario]: s.title,
          [CHAOS_ANNOTATIONS.hypothesis]: s.hypothesis,
          [CHAOS_ANNOTATIONS.expectedBehavior]: s.expectedBehavior,
        },
      });
    });
  }
}

function clock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** A GameDay's props with every default resolved (see {@link resolveGameDayProps}). */
export interface ResolvedGameDayProps {
  readonly daysOfWeek: string;
  readonly start: { readonly hour: number; readonly minute: number };
  readonly slotMinutes: number;
  readonly businessHours: { readonly startHour: number; readonly endHour: number };
  readonly faultDuration: string;
  readonly timeZone?: string;
  readonly environment: string;
  /** The scenarios in table order, each with the guard alerts of its targets. */
  readonly scenarios: readonly GameDayScenario[];
  readonly guardAlerts: readonly (readonly string[])[];
  /** Minute of the day the first scenario starts. */
  readonly startMinute: number;
}

/**
 * Resolves a GameDay's props against the platform (environment, the region's time zone): the
 * scenarios and their schedule, or every problem at once (bad times, a fault beyond a target's
 * PDB, a slot outside business hours, production not allowed). Pure: builds nothing.
 */
export function resolveGameDayProps(given: GameDayProps, context: Pick<PlatformContext, 'environment' | 'timeZone'>): Resolution<ResolvedGameDayProps> {
  const p = new Problems('GameDay', '');
  const { props, problems: typeProblems } = typedProps(given, GAME_DAY_PROP_TYPES);
  // A target of the wrong type (taken out) stops the scenarios: its problem is reported with the others.
  const targetsTyped = TARGET_PROPS.every(t => props[t] !== undefined || given?.[t] === undefined);
  const daysOfWeek: ResolvedGameDayProps['daysOfWeek'] = props.daysOfWeek ?? '2';
  const start: ResolvedGameDayProps['start'] = props.start ?? { hour: 9, minute: 15 };
  const slotMinutes: ResolvedGameDayProps['slotMinutes'] = props.slotMinutes ?? 15;
  const businessHours: ResolvedGameDayProps['businessHours'] = props.businessHours ?? { startHour: 9, endHour: 17 };
  const faultDuration: ResolvedGameDayProps['faultDuration'] = props.faultDuration ?? '5m';
  const timeZone: ResolvedGameDayProps['timeZone'] = props.timeZone ?? context.timeZone;

  const dowOk = !p.when(!DOW.test(daysOfWeek), 'daysOfWeek', daysOfWeek, 'must name weekdays only (1-5, Monday to Friday)', 'use e.g. "2" or "1-5"');
  const bh = businessHours;
  p.when(!(Number.isInteger(bh.startHour) && Number.isInteger(bh.endHour) && bh.startHour >= 0 && bh.endHour <= 24 && bh.startHour < bh.endHour),
    'businessHours', bh, 'must be whole hours with 0 <= startHour < endHour <= 24', 'use e.g. { startHour: 9, endHour: 17 }');
  p.when(!(Number.isInteger(slotMinutes) && slotMinutes >= 1), 'slotMinutes', slotMinutes, 'must be a whole number of minutes >= 1', 'use e.g. 15');
  const startOk = !p.when(!(Number.isInteger(start.hour) && Number.isInteger(start.minute) && start.hour >= 0 && start.hour < 24
    && start.minute >= 0 && start.minute < 60), 'start', start, 'is not a time of day', 'use e.g. { hour: 9, minute: 15 }');
  // The props the schedule is built from, each under its own name: the cron built from a valid
  // daysOfWeek and start is valid, and the time zone is the user's (the platform's was checked by Platform).
  if (dowOk && startOk) p.addAll(cronScheduleProblems('start', `${start.minute} ${start.hour} * * ${daysOfWeek}`));
  p.addAll(timeZoneProblems('timeZone', props.timeZone));
  // Each target's own fields (a cast `{}` has no namespace and no pod labels), named under its prop.
  let targetsOk = targetsTyped;
  for (const t of TARGET_PROPS) {
    if (given?.[t] === undefined) {
      p.add(t, undefined, 'is not set', 'pass a ResilientService, or an IChaosTarget such as ChaosTarget.databasePrimary(db)');
      targetsOk = false;
    } else if (props[t] !== undefined) {
      const problems = chaosTargetProblems(t, props[t]);
      p.addAll(problems);
      targetsOk &&= problems.length === 0;
    }
  }
  if (!targetsOk) return resolution(withTypeProblems(typeProblems, p.all), () => undefined as never);

  const svc = ChaosTarget.of(props.service);
  const dep = ChaosTarget.of(props.dependency);
  const db = ChaosTarget.of(props.databasePrimary);
  const gw = ChaosTarget.of(props.gateway);
  const auth = ChaosTarget.of(props.auth);
  const d = faultDuration;

  const scenarios: GameDayScenario[] = [];
  // A fault built with problems (a target that selects nothing, ...) is reported under the prop that gave its target.
  const safe = (name: string, f: () => ChaosFault): ChaosFault | undefined => {
    try {
      const fault = f();
      const problems = Fault.problemsOf(fault);
      p.addAll(problems, name);
      return problems.length > 0 ? undefined : fault;
    } catch (e) {
      p.addAll((e as any).problems ?? [{ prop: name, value: undefined, why: String(e), fix: 'fix the target' }], name);
      return undefined;
    }
  };
  const podFailure = safe('service', () => Fault.podKill(svc, { mode: 'one' }));
  const partition = safe('dependency', () => Fault.networkPartition(svc, { mode: 'one', peer: dep, direction: 'to', duration: d }));
  const primary = safe('databasePrimary', () => Fault.podKill(db, { mode: 'one' }));
  const latency = safe('service', () => Fault.networkDelay(svc, { mode: 'one', latency: '1s', duration: d }));
  const gwFail = safe('gateway', () => Fault.podFailure(gw, { mode: 'one', duration: d }));
  const authFail = safe('auth', () => Fault.podFailure(auth, { mode: 'one', duration: d }));
  const name = (t: IChaosTarget) => ChaosTarget.nameOf(t);

  if (podFailure && partition && primary && latency && gwFail && authFail) {
    scenarios.push(
      {
        id: 'pod-failure',
        title: 'Pod failure',
        hypothesis: `Killing one ${name(svc)} pod keeps ${name(svc)} available: the other replicas serve and the pod is replaced`,
        expectedBehavior: 'Service remains available (the case study: 8 other pods kept serving; PASS)',
        step: ChaosSteps.fault(podFailure, { deadline: d }),
        guardedTargets: [svc],
      },
      {
        id: 'dependency-failure',
        title: 'Service dependency failure',
        hypothesis: `When ${name(dep)} is unreachable, ${name(svc)} fails its requests with a graceful error and stays up`,
        expectedBehavior: 'Orders fail with a graceful error (the case study: PASS); injected as a partition of one caller pod, within the PDB',
        step: ChaosSteps.fault(partition),
        guardedTargets: [svc, dep],
      },
      {
        id: 'database-primary-failure',
        title: 'Database primary failure',
        hypothesis: `Killing the ${name(db)} primary promotes a replica automatically in under 30 s`,
        expectedBehavior: 'Automatic failover to a replica (<30s) (the case study: PASS / manual failover needed before automation)',
        step: ChaosSteps.fault(primary, { name: 'kill-primary', deadline: d }),
        guardedTargets: [svc, db],
      },
      {
        id: 'network-latency',
        title: 'Network latency',
        hypothesis: `1 s of added latency on one ${name(svc)} pod trips timeouts and the circuit breaker ejects it; callers retry elsewhere`,
        expectedBehavior: 'Requests time out, the circuit breaker trips (the case study: FAIL, no fallback)',
        step: ChaosSteps.fault(latency),
        guardedTargets: [svc],
      },
      {
        id: 'cascading-failure',
        title: 'Cascading failure',
        hypothesis: `Losing one ${name(gw)} and one ${name(auth)} pod at once keeps the system available: both run replicas in every zone`,
        expectedBehavior: 'The case study killed the whole gateway and auth: entire system unavailable (FAIL, need a backup gateway); '
          + 'guarded here to the PDB: one pod of each',
        step: ChaosSteps.parallel('gateway-and-auth', ChaosSteps.fault(gwFail), ChaosSteps.fault(authFail)),
        guardedTargets: [gw, auth],
      },
    );
  }

  // PDB guard: never select more pods than the target's budget lets be down.
  // Each under the prop that gave the target (once per prop).
  const reported = new Set<string>();
  for (const [prop, f] of [['service', podFailure], ['service', partition], ['databasePrimary', primary], ['service', latency], ['gateway', gwFail], ['auth', authFail]] as const) {
    if (!f) continue;
    const allowed = ChaosTarget.allowedDisruptions(f.target);
    if (allowed === undefined) {
      if (!reported.has(prop)) {
        p.add(`${prop}.disruptionBudget`, undefined, `is missing (${name(f.target)}), so the guard cannot bound the pods the game day disrupts`,
          'give the target\'s PodDisruptionBudget (a ResilientService carries it)');
      }
      reported.add(prop);
    } else if (f.podsAffected! > allowed) {
      p.add(prop, `${f.podsAffected} pod(s)`, `is disrupted by ${f.name} beyond what ${name(f.target)}'s PodDisruptionBudget allows (${allowed})`,
        'lower the count (mode "one") or raise the budget');
    }
  }

  // Business hours: every slot starts and ends inside the window.
  const startMin = start.hour * 60 + start.minute;
  const faultMin = Math.ceil(goDurationSeconds(d) / 60);
  p.when(faultMin > slotMinutes, 'faultDuration', d, `is longer than a slot (${slotMinutes} min), so scenarios would overlap`, 'shorten it or raise slotMinutes');
  const endMin = startMin + (scenarios.length - 1) * slotMinutes + faultMin;
  p.when(startOk && (startMin < bh.startHour * 60 || endMin > bh.endHour * 60), 'start', start,
    `runs the game day from ${clock(startMin)} to ${clock(endMin)}, outside business hours (${clock(bh.startHour * 60)}-${clock(bh.endHour * 60)})`,
    'start later or earlier inside the window, or shorten slotMinutes');

  // Production.
  const environment = props.environment ?? context.environment;
  productionProblems(p, environment, [...new Map([svc, dep, db, gw, auth].map(t => [t.namespace, t])).values()], props.allowProduction ?? false);

  // Guard alerts.
  const alertOf = (t: IChaosTarget) => props.alertNames?.[name(t)] ?? defaultGuardAlert(name(t));

  return resolution(withTypeProblems(typeProblems, p.all), () => ({
    daysOfWeek,
    start,
    slotMinutes,
    businessHours,
    faultDuration,
    timeZone,
    environment,
    scenarios,
    guardAlerts: scenarios.map(s => [...new Set(s.guardedTargets.map(alertOf))]),
    startMinute: startMin,
  }));
}
