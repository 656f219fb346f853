/**
 * Error budgets and the multi-window, multi-burn-rate alerting table, as pure arithmetic.
 *
 * No cdk8s or Pulumi import: the SLO rule renderer and the reliability report both read these
 * numbers, and the tests check them against the case study's table.
 *
 * **Exact numbers.** An objective is held as an integer count of parts per billion
 * (99.95% is 999,500,000 ppb), so its error budget is an exact integer too (500,000 ppb) and
 * `1 - 0.9995 = 0.000499999…` never happens. Every downtime figure is computed as one division of
 * two exact integers (e.g. `525,600 × 500,000 / 10⁹`), so it is the double nearest the true
 * value and prints as the case study writes it (`262.8`, not `262.80000000000001`). Objectives
 * finer than one part per billion (7 decimals of a percent) are rejected, not rounded.
 *
 * **Units.** A plain number is an objective as a fraction (`0.9995`); a percentage goes through
 * `Objective.percent(99.95)`. A plain number above 1 is refused with that fix rather than guessed.
 *
 * **The case study's year.** 365 × 24 × 60 = 525,600 minutes; a month is a twelfth of it and a
 * week a fifty-second, as the case study divides. (Its prose also says "26.3 hours of downtime per
 * year" for 99.95%: that is 0.3% of a year, i.e. 99.7%, and contradicts its own calculation and
 * table; this module follows the calculation: 262.8 minutes, 4.38 hours.)
 *
 * @see https://sre.google/workbook/alerting-on-slos/
 */
import { formatValue, Problem, ValidationError } from '../core/errors';

/** One billion: objectives are held in parts per billion. */
const PPB = 1_000_000_000;

/** Minutes in the case study's year: 365 days × 24 hours × 60 minutes = 525,600. */
export const MINUTES_PER_YEAR = 365 * 24 * 60;

/**
 * A duration as Prometheus writes it, in one unit: `30s`, `5m`, `1h`, `3d`, `1w`.
 *
 * @see https://prometheus.io/docs/prometheus/latest/querying/basics/#time-durations
 */
export type PromDuration = `${number}${'s' | 'm' | 'h' | 'd' | 'w'}`;

const DURATION = /^(0|[1-9][0-9]*)(s|m|h|d|w)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * The length of a Prometheus duration in seconds, or `undefined` when `text` is not a whole
 * number followed by one unit (`s`, `m`, `h`, `d`, `w`).
 */
export function durationSeconds(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_SECONDS[m[2]] : undefined;
}

/** What to type instead of a malformed duration. */
export const DURATION_FIX = 'write a Prometheus duration: a whole number and one unit of s, m, h, d or w, e.g. "5m" or "30d"';

/**
 * Objectives below this share are refused unless asked for: the case study's tiers promise 99%
 * to 99.99%, and a value like 1.5 is far likelier a typo for 99.5 than a real target.
 */
export const LOW_OBJECTIVE = 0.9;

/** Options of {@link Objective.percent} and {@link Objective.fraction}. */
export interface ObjectiveOptions {
  /**
   * Accept an objective below 90% (e.g. a best-effort batch pipeline at 50%).
   * @default false
   */
  readonly allowLowObjective?: boolean;
}

/** A plain number is an objective only as a fraction in (0, 1); percentages go through {@link Objective.percent}. */
export type ObjectiveLike = Objective | number;

/**
 * Validates an objective given as a fraction (`0.9995`), or as a percentage (`99.95`) when
 * `unit` is `'percent'`. Returns every problem; empty when the value is usable.
 *
 * An {@link Objective} built from a bad value (`Objective.percent(1.5)`) returns the problems it
 * was built with, each under `prop` and with the objective as the value
 * (`objective (Objective.percent(1.5)) is 1.5%, below 90%: …`); `unit` and `options` apply to
 * plain numbers only.
 */
export function validateObjective(value: unknown, prop = 'objective', unit: 'fraction' | 'percent' = 'fraction', options: ObjectiveOptions = {}): Problem[] {
  const scale = unit === 'percent' ? 100 : 1;
  const range = unit === 'percent' ? 'between 0 and 100 (exclusive)' : 'between 0 and 1 (exclusive)';
  const example = unit === 'percent' ? 'e.g. Objective.percent(99.95)' : 'e.g. 0.9995, or Objective.percent(99.95) for a percentage';
  // An Objective built from a bad value carries its problems: reported here under the construct's prop.
  if (value instanceof Objective) return Objective.problemsOf(value).map(p => ({ prop, value, why: p.why, fix: p.fix }));
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return [{ prop, value, why: `must be a finite number ${range}`, fix: `give the objective as a number, ${example}` }];
  }
  if (unit === 'fraction' && value > 1 && value < 100) {
    return [{
      prop,
      value,
      why: 'is a plain number, which is read as a fraction between 0 and 1 (exclusive)',
      // Digits below the typo floor (1.5) would only move the problem: Objective.percent(1.5) is refused too.
      fix: value >= LOW_OBJECTIVE * 100
        ? `for a percentage write Objective.percent(${value}), or give the fraction ${formatExact(value / 100)}`
        : `write the objective you mean, e.g. Objective.percent(99.5) or the fraction 0.995 (${value}% itself is below ${LOW_OBJECTIVE * 100}%: Objective.percent(${value}, { allowLowObjective: true }) if intended)`,
    }];
  }
  if (value <= 0 || value >= scale) {
    const why = value >= scale
      ? `must be below ${unit === 'percent' ? '100%' : '1'}: a ${unit === 'percent' ? '100%' : '1.0'} objective leaves no error budget`
      : `must be above 0: an objective is the share of good events, ${range}`;
    return [{ prop, value, why, fix: `pick an achievable objective, ${example}` }];
  }
  if (value < LOW_OBJECTIVE * scale && options.allowLowObjective !== true) {
    const asPercent = unit === 'percent' ? value : value * 100;
    return [{
      prop,
      value,
      why: `is ${formatExact(asPercent)}%, below ${LOW_OBJECTIVE * 100}%: an objective that low (over ${Math.round((1 - LOW_OBJECTIVE) * 30 * 24)} hours of downtime a month) is almost certainly a typo (1.5 for 99.5?)`,
      fix: `write the objective you mean, e.g. Objective.percent(99.5), or pass { allowLowObjective: true } if ${formatExact(asPercent)}% is intended`,
    }];
  }
  const ppb = value * (PPB / scale);
  if (Math.abs(ppb - Math.round(ppb)) > 1e-3) {
    return [{
      prop,
      value,
      why: 'is finer than one part per billion, which the error-budget arithmetic cannot hold exactly',
      fix: `round it to at most ${unit === 'percent' ? 7 : 9} decimal places`,
    }];
  }
  return [];
}

/**
 * Problems with a threshold that is a share of good events without being an objective (a canary's
 * minimum request success rate in percent, an external dependency's availability as a fraction):
 * inside its range and, like an {@link Objective}, not below {@link LOW_OBJECTIVE}: a canary
 * passing with over 10% of its requests failing, or a dependency down 3 days a month, is almost
 * certainly a typo (1.5 for 99.5, 0.99 written where 99 was meant).
 */
export function successThresholdProblems(prop: string, value: unknown, unit: 'percent' | 'fraction', example: number): Problem[] {
  const scale = unit === 'percent' ? 100 : 1;
  // A canary may demand every request succeed (100); an availability of 1 promises what nothing delivers.
  const inRange = typeof value === 'number' && Number.isFinite(value) && value > 0 && (unit === 'percent' ? value <= 100 : value < 1);
  if (!inRange) {
    if (unit === 'fraction' && typeof value === 'number' && value > 1 && value < 100) {
      // The fraction of these digits is itself below the typo floor (1.5 -> 0.015): suggest the example, not it.
      const fix = value >= LOW_OBJECTIVE * 100 ? `give the fraction ${formatExact(value / 100)}` : `give the fraction you mean, e.g. ${example}`;
      return [{ prop, value, why: 'is a percentage, but this is a fraction between 0 and 1 (exclusive)', fix }];
    }
    return [{
      prop,
      value,
      why: unit === 'percent' ? 'must be a percentage above 0 and at most 100' : 'must be a fraction between 0 and 1 (exclusive)',
      fix: `use e.g. ${example}`,
    }];
  }
  if ((value as number) >= LOW_OBJECTIVE * scale) return [];
  const asPercent = formatExact(unit === 'percent' ? value as number : (value as number) * 100);
  return [{
    prop,
    value,
    why: `is ${asPercent}%, below ${LOW_OBJECTIVE * 100}%, which is almost certainly a typo (${unit === 'percent' ? '1.5 for 99.5, or the fraction 0.99 for 99' : '0.015 for 0.9985'}?)`,
    fix: `write the ${unit === 'percent' ? 'percentage' : 'fraction'} you mean, e.g. ${example}`,
  }];
}

/** The problems an {@link Objective} was built with, and the call that built it (`percent(1.5)`). */
const OBJECTIVE_PROBLEMS = new WeakMap<Objective, { readonly call: string; readonly problems: readonly Problem[] }>();

/** The numeric fields of an {@link Objective}: reading one on an objective built from a bad value throws. */
const OBJECTIVE_FIELDS = ['partsPerBillion', 'budgetPartsPerBillion', 'fraction', 'percent', 'budget'] as const;

/**
 * A service level objective: the share of good events (requests, minutes) a service promises.
 *
 * Create with {@link Objective.percent} (`Objective.percent(99.95)`) or {@link Objective.fraction}
 * (`Objective.fraction(0.9995)`); both hold the same exact value.
 *
 * **Bad values.** The factories never throw: an objective built from a bad value
 * (`Objective.percent(1.5)`, a likely typo for 99.5) carries its problems
 * ({@link Objective.problemsOf}), and the construct it is given to (ServiceLevelObjective, the
 * reliability report) reports them with its own problems and every other construct's, in the app's
 * one error. Outside a construct, reading any of its numbers (and so {@link errorBudget},
 * {@link allowedDowntime}, {@link burnRateThreshold}, {@link detectionTimeSeconds}) throws a
 * ValidationError naming the value and the fix; no number of it is ever NaN.
 *
 * @see https://sre.google/workbook/implementing-slos/
 */
export class Objective {
  /**
   * An objective as a percentage, e.g. `Objective.percent(99.95)` (the case study's target).
   *
   * Never throws. Unless 0 < percent < 100 with at most 7 decimals, and at least 90 unless
   * `options.allowLowObjective`, the objective carries the problem ({@link Objective.problemsOf})
   * and reading its numbers throws a ValidationError.
   */
  public static percent(percent: number, options: ObjectiveOptions = {}): Objective {
    return Objective.build(percent, 'percent', options, `percent(${formatValue(percent)})`);
  }

  /**
   * An objective as a fraction, e.g. `Objective.fraction(0.9995)`.
   *
   * Never throws. Unless 0 < fraction < 1 with at most 9 decimals, and at least 0.9 unless
   * `options.allowLowObjective`, the objective carries the problem ({@link Objective.problemsOf})
   * and reading its numbers throws a ValidationError.
   */
  public static fraction(fraction: number, options: ObjectiveOptions = {}): Objective {
    return Objective.build(fraction, 'fraction', options, `fraction(${formatValue(fraction)})`);
  }

  /**
   * An {@link Objective} as is, or a plain number read as a fraction ({@link Objective.fraction}).
   *
   * Never throws: a number that is not a fraction in (0, 1) gives an objective that carries the
   * problem (`99.95`: "for a percentage write Objective.percent(99.95)"), and reading its numbers
   * throws a ValidationError.
   */
  public static of(objective: ObjectiveLike): Objective {
    return objective instanceof Objective ? objective : Objective.fraction(objective);
  }

  /**
   * The problems `objective` was built with, each under the factory's parameter (`percent`,
   * `fraction`); empty for a valid objective. A construct reports them through
   * {@link validateObjective}, under its own prop.
   */
  public static problemsOf(objective: Objective): readonly Problem[] {
    return OBJECTIVE_PROBLEMS.get(objective)?.problems ?? [];
  }

  private static build(value: number, unit: 'percent' | 'fraction', options: ObjectiveOptions, call: string): Objective {
    const problems = validateObjective(value, unit, unit, options);
    if (problems.length > 0) return new Objective(0, { call, problems });
    return new Objective(Math.round(value * (unit === 'percent' ? PPB / 100 : PPB)));
  }

  /**
   * The objective in parts per billion (99.95% is 999,500,000).
   * @throws ValidationError when the objective was built from a bad value
   */
  public readonly partsPerBillion: number;
  /**
   * The error budget in parts per billion (99.95% leaves 500,000).
   * @throws ValidationError when the objective was built from a bad value
   */
  public readonly budgetPartsPerBillion: number;
  /**
   * The objective as a fraction (0.9995).
   * @throws ValidationError when the objective was built from a bad value
   */
  public readonly fraction: number;
  /**
   * The objective as a percentage (99.95).
   * @throws ValidationError when the objective was built from a bad value
   */
  public readonly percent: number;
  /**
   * The error budget as a fraction of events: `1 - objective` (0.0005), computed exactly.
   * @throws ValidationError when the objective was built from a bad value
   */
  public readonly budget: number;

  private constructor(partsPerBillion: number, invalid?: { readonly call: string; readonly problems: readonly Problem[] }) {
    this.partsPerBillion = partsPerBillion;
    this.budgetPartsPerBillion = PPB - partsPerBillion;
    this.fraction = partsPerBillion / PPB;
    this.percent = partsPerBillion / (PPB / 100);
    this.budget = this.budgetPartsPerBillion / PPB;
    if (invalid) {
      OBJECTIVE_PROBLEMS.set(this, invalid);
      // No number of a bad objective is usable: each read throws the problems, with the call that built it.
      for (const field of OBJECTIVE_FIELDS) {
        Object.defineProperty(this, field, {
          enumerable: true,
          get: () => { throw new ValidationError('Objective', invalid.call, [...invalid.problems]); },
        });
      }
    }
  }

  /** The objective as a percentage string, e.g. `99.95%`; for one built from a bad value, the call, e.g. `Objective.percent(1.5)`. */
  public toString(): string {
    const invalid = OBJECTIVE_PROBLEMS.get(this);
    return invalid ? `Objective.${invalid.call}` : `${this.percent}%`;
  }
}

/** Allowed downtime over one period, in three units (all computed exactly, never rounded). */
export interface Downtime {
  /** Minutes of allowed downtime. */
  readonly minutes: number;
  /** Hours of allowed downtime (`minutes / 60`). */
  readonly hours: number;
  /** Days of allowed downtime (`minutes / 1440`). */
  readonly days: number;
}

/**
 * The error budget of an objective as allowed downtime, the way the case study computes it:
 * a year of 525,600 minutes, a month of one twelfth of that year and a week of one fifty-second.
 *
 * Note that the case study's month (30.42 days) is not the 30-day window the burn-rate alerts
 * use; {@link allowedDowntime} gives the budget over any window (`'30d'` is 21.6 min at 99.95%).
 */
export interface ErrorBudget {
  /** The objective the budget belongs to. */
  readonly objective: Objective;
  /** The share of events allowed to fail: `1 - objective` (0.0005 for 99.95%). */
  readonly budget: number;
  /** Allowed downtime per 365-day year (262.8 minutes, 4.38 hours at 99.95%). */
  readonly perYear: Downtime;
  /** Allowed downtime per month, one twelfth of the year (21.9 minutes at 99.95%). */
  readonly perMonth: Downtime;
  /** Allowed downtime per week, one fifty-second of the year (5.05 minutes at 99.95%). */
  readonly perWeek: Downtime;
}

/** Minutes × budget, as one exact division: `minutesNumerator × budgetPpb / (divisor × 10⁹)`. */
function downtime(minutesNumerator: number, divisor: number, budgetPpb: number): Downtime {
  const scaled = minutesNumerator * budgetPpb;
  return {
    minutes: scaled / (divisor * PPB),
    hours: scaled / (divisor * 60 * PPB),
    days: scaled / (divisor * 1440 * PPB),
  };
}

/**
 * The error budget of `objective` as allowed downtime per year, month and week.
 *
 * A plain number is a fraction (`0.9995`); for a percentage use `Objective.percent(99.95)`.
 * At 99.95%: 262.8 min (4.38 h) a year, 21.9 min a month, 5.05 min a week.
 *
 * @throws ValidationError when a plain number is not a fraction in (0, 1), or the objective was
 *   built from a bad value (`Objective.percent(1.5)`)
 * @see https://sre.google/workbook/implementing-slos/ (error budget = 1 - SLO)
 */
export function errorBudget(objective: ObjectiveLike): ErrorBudget {
  const o = Objective.of(objective);
  return {
    objective: o,
    budget: o.budget,
    perYear: downtime(MINUTES_PER_YEAR, 1, o.budgetPartsPerBillion),
    perMonth: downtime(MINUTES_PER_YEAR, 12, o.budgetPartsPerBillion),
    perWeek: downtime(MINUTES_PER_YEAR, 52, o.budgetPartsPerBillion),
  };
}

/**
 * Allowed downtime over any window, e.g. the 30-day SLO window: `allowedDowntime(Objective.percent(99.95), '30d')`
 * is 21.6 minutes.
 *
 * @throws ValidationError when the objective or the window is malformed (an objective built from
 *   a bad value, `Objective.percent(1.5)`, included)
 */
export function allowedDowntime(objective: ObjectiveLike, window: PromDuration): Downtime {
  const o = Objective.of(objective);
  const seconds = durationSeconds(window);
  if (seconds === undefined) {
    throw new ValidationError('allowedDowntime', String(window), [{ prop: 'window', value: window, why: 'is not a Prometheus duration', fix: DURATION_FIX }]);
  }
  return downtime(seconds, 60, o.budgetPartsPerBillion);
}

/** Rounds away binary noise from a product of decimals (14.4 × 0.0005 → 0.0072), keeping 12 significant digits. */
export function formatExact(value: number): number {
  return Number(value.toPrecision(12));
}

/** The tiers of the multi-window, multi-burn-rate table, fastest first. */
export type BurnRateTier = 'fastPage' | 'slowPage' | 'fastTicket' | 'slowTicket';

/** Every tier, fastest first. */
export const BURN_RATE_TIERS: readonly BurnRateTier[] = ['fastPage', 'slowPage', 'fastTicket', 'slowTicket'];

/** One row of the multi-window, multi-burn-rate table. */
export interface BurnRateWindow {
  /** The tier's name. */
  readonly tier: BurnRateTier;
  /** Whether the workbook pages a human (`page`) or opens a ticket (`ticket`). */
  readonly action: 'page' | 'ticket';
  /** How many times faster than "exactly on budget" errors arrive (14.4 = budget gone in 30d / 14.4 ≈ 2 days). */
  readonly burnRate: number;
  /** The long window: the alert fires only when its error ratio exceeds `burnRate × (1 - objective)`. */
  readonly longWindow: PromDuration;
  /** The short window (1/12 of the long one): it must exceed the same threshold, so the alert resets quickly after recovery. */
  readonly shortWindow: PromDuration;
  /** The share of the SLO window's budget spent when the long window alone reaches the threshold: `burnRate × long / sloWindow`. */
  readonly budgetConsumed: number;
}

const TABLE: ReadonlyArray<Omit<BurnRateWindow, 'budgetConsumed'>> = [
  { tier: 'fastPage', action: 'page', burnRate: 14.4, longWindow: '1h', shortWindow: '5m' },
  { tier: 'slowPage', action: 'page', burnRate: 6, longWindow: '6h', shortWindow: '30m' },
  { tier: 'fastTicket', action: 'ticket', burnRate: 3, longWindow: '1d', shortWindow: '2h' },
  { tier: 'slowTicket', action: 'ticket', burnRate: 1, longWindow: '3d', shortWindow: '6h' },
];

/** The longest long window of the table (3d): an SLO window must be at least this long. */
export const LONGEST_WINDOW_SECONDS = Math.max(...TABLE.map(row => durationSeconds(row.longWindow)!));

/**
 * The Google SRE workbook's multi-window, multi-burn-rate table, with the budget each tier has
 * spent when it fires, relative to `sloWindow`. For the workbook's 30-day window:
 *
 * | tier       | action | burn | long | short | budget spent |
 * |------------|--------|------|------|-------|--------------|
 * | fastPage   | page   | 14.4 | 1h   | 5m    | 2%           |
 * | slowPage   | page   | 6    | 6h   | 30m   | 5%           |
 * | fastTicket | ticket | 3    | 1d   | 2h    | 10%          |
 * | slowTicket | ticket | 1    | 3d   | 6h    | 10%          |
 *
 * @param sloWindow the SLO (budget) window the burn rates are measured against
 * @default sloWindow '30d'
 * @throws ValidationError when `sloWindow` is malformed or shorter than the 3d long window
 * @see https://sre.google/workbook/alerting-on-slos/#6-multiwindow-multi-burn-rate-alerts
 */
export function burnRateWindows(sloWindow: PromDuration = '30d'): readonly BurnRateWindow[] {
  const windowSeconds = durationSeconds(sloWindow);
  if (windowSeconds === undefined || windowSeconds < LONGEST_WINDOW_SECONDS) {
    throw new ValidationError('burnRateWindows', String(sloWindow), [{
      prop: 'sloWindow',
      value: sloWindow,
      why: windowSeconds === undefined ? 'is not a Prometheus duration' : 'is shorter than the longest alert window (3d)',
      fix: windowSeconds === undefined ? DURATION_FIX : 'use a window of at least "3d"; the workbook uses "30d"',
    }]);
  }
  return TABLE.map(row => ({
    ...row,
    budgetConsumed: formatExact(row.burnRate * durationSeconds(row.longWindow)! / windowSeconds),
  }));
}

/**
 * The error-ratio threshold a tier's windows must both exceed: `burnRate × (1 - objective)`,
 * e.g. 14.4 × 0.0005 = 0.0072 at 99.95%.
 *
 * @throws ValidationError when a plain-number objective is not a fraction in (0, 1), or the
 *   objective was built from a bad value (`Objective.percent(1.5)`)
 */
export function burnRateThreshold(window: Pick<BurnRateWindow, 'burnRate'>, objective: ObjectiveLike): number {
  return formatExact(window.burnRate * Objective.of(objective).budget);
}

/**
 * Seconds from the start of an incident until a tier fires, for a constant error ratio
 * `errorRatio` starting from a clean history: the long window's error ratio grows as
 * `errorRatio × t / long` and crosses the threshold at `t = burnRate × (1 - objective) × long / errorRatio`
 * (the short window crosses sooner). `Infinity` when the error ratio never exceeds the threshold.
 *
 * A total outage (`errorRatio` 1) at 99.95% fires the 14.4x page after 25.92 s of errors, having
 * spent 2% of the 30-day budget; in Prometheus add up to one evaluation interval and the rule's `for`.
 *
 * @param errorRatio the share of events failing during the incident
 * @default errorRatio 1 (a total outage)
 * @throws ValidationError when `errorRatio` is not in [0, 1], a plain-number objective is not a
 *   fraction in (0, 1), or the objective was built from a bad value (`Objective.percent(1.5)`)
 * @see https://sre.google/workbook/alerting-on-slos/ ("detection time")
 */
export function detectionTimeSeconds(window: Pick<BurnRateWindow, 'burnRate' | 'longWindow'>, objective: ObjectiveLike, errorRatio = 1): number {
  if (!(errorRatio >= 0 && errorRatio <= 1)) {
    throw new ValidationError('detectionTimeSeconds', window.longWindow, [{
      prop: 'errorRatio', value: errorRatio, why: 'must be a share of events between 0 and 1', fix: 'give e.g. 1 for a total outage or 0.002 for 0.2% errors',
    }]);
  }
  const threshold = burnRateThreshold(window, objective);
  if (!(errorRatio > threshold)) return Infinity;
  return formatExact(threshold * durationSeconds(window.longWindow)! / errorRatio);
}
