import * as fc from 'fast-check';
import { ValidationError } from '../../lib/core/errors';
import {
  allowedDowntime,
  BURN_RATE_TIERS,
  burnRateThreshold,
  burnRateWindows,
  detectionTimeSeconds,
  durationSeconds,
  errorBudget,
  MINUTES_PER_YEAR,
  Objective,
  validateObjective,
} from '../../lib/reliability/error-budget';

/** Rounds half up in decimal, as a table written by hand does (1.825 → 1.83, which toFixed gets wrong). */
function round(value: number, digits: number): number {
  return Number(`${Math.round(Number(`${value}e${digits}`))}e-${digits}`);
}

/** Objectives from one part per billion to 1 - 1 ppb, as exact integers. */
const objectivePpb = fc.integer({ min: 1, max: 999_999_999 });
/** The properties range over every objective, the low ones included. */
const LOW = { allowLowObjective: true };

describe('errorBudget: the case study\'s table, exactly', () => {
  // | Uptime % | Minutes/Year | Hours/Year | Days/Year | Days/Month |, with the table's own rounding per cell
  const table: Array<[number, number, number, number, number, number, number, number, number]> = [
    // percent, exact min/yr, exact h/yr, table min/yr (digits), table h/yr (digits), table days/yr, table days/month
    [99.0, 5256, 87.6, 5256, 0, 87.6, 3.65, 0.30, 2],
    [99.5, 2628, 43.8, 2628, 0, 43.8, 1.83, 0.15, 2],
    [99.9, 525.6, 8.76, 526, 0, 8.76, 0.37, 0.03, 2],
    [99.95, 262.8, 4.38, 263, 0, 4.4, 0.18, 0.015, 3],
    [99.99, 52.56, 0.876, 52.6, 1, 0.88, 0.04, 0.003, 3],
  ];

  test.each(table)('%s%%: %s min/year, %s h/year', (pct, minutes, hours, tableMinutes, minuteDigits, tableHours, daysYear, daysMonth, monthDigits) => {
    const b = errorBudget(Objective.percent(pct));
    expect(b.perYear.minutes).toBe(minutes);
    expect(b.perYear.hours).toBe(hours);
    expect(round(b.perYear.minutes, minuteDigits)).toBe(tableMinutes);
    expect(round(b.perYear.hours, String(tableHours).split('.')[1]?.length ?? 0)).toBe(tableHours);
    expect(round(b.perYear.days, 2)).toBe(daysYear);
    expect(round(b.perMonth.days, monthDigits)).toBe(daysMonth);
  });

  test('99.95%: the worked example (0.0005 × 525,600 = 262.8 min, 4.38 h; month 21.9 min; week 5.05 min)', () => {
    const b = errorBudget(Objective.percent(99.95));
    expect(MINUTES_PER_YEAR).toBe(525_600);
    expect(b.budget).toBe(0.0005);
    expect(b.objective.fraction).toBe(0.9995);
    expect(b.objective.toString()).toBe('99.95%');
    expect(b.perYear).toEqual({ minutes: 262.8, hours: 4.38, days: 0.1825 });
    expect(b.perMonth.minutes).toBe(21.9);
    expect(b.perMonth.hours).toBe(0.365);
    expect(round(b.perWeek.minutes, 2)).toBe(5.05);
    expect(round(b.perWeek.hours, 3)).toBe(0.084);
  });

  test('a plain number is a fraction: 0.9995 and Objective.percent(99.95) are the same objective', () => {
    expect(errorBudget(0.9995)).toEqual(errorBudget(Objective.percent(99.95)));
    expect(Objective.fraction(0.9995).partsPerBillion).toBe(999_500_000);
    expect(Objective.percent(99.95).budgetPartsPerBillion).toBe(500_000);
  });

  test('no floating noise: 1 - 0.9995 is 0.0005 here, not 0.000499999…', () => {
    expect(1 - 0.9995).not.toBe(0.0005);
    expect(Objective.fraction(0.9995).budget).toBe(0.0005);
    expect(Objective.percent(99.9).budget).toBe(0.001);
  });

  test('allowedDowntime over the 30-day SLO window: 21.6 min at 99.95%', () => {
    expect(allowedDowntime(Objective.percent(99.95), '30d')).toEqual({ minutes: 21.6, hours: 0.36, days: 0.015 });
    expect(allowedDowntime(0.999, '1w').minutes).toBe(10.08);
  });
});

describe('errorBudget: properties', () => {
  test('a higher objective leaves a smaller budget, in every unit', () => {
    fc.assert(fc.property(objectivePpb, objectivePpb, (a, b) => {
      fc.pre(a !== b);
      const [lo, hi] = a < b ? [a, b] : [b, a];
      const low = errorBudget(Objective.fraction(lo / 1e9, LOW));
      const high = errorBudget(Objective.fraction(hi / 1e9, LOW));
      return high.perYear.minutes < low.perYear.minutes && high.perWeek.hours < low.perWeek.hours && high.budget < low.budget;
    }));
  });

  test('month × 12 and week × 52 give the year back; hours × 60 = minutes; days × 24 = hours', () => {
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
    fc.assert(fc.property(objectivePpb, ppb => {
      const b = errorBudget(Objective.fraction(ppb / 1e9, LOW));
      return close(b.perMonth.minutes * 12, b.perYear.minutes)
        && close(b.perWeek.minutes * 52, b.perYear.minutes)
        && close(b.perYear.hours * 60, b.perYear.minutes)
        && close(b.perYear.days * 24, b.perYear.hours);
    }));
  });

  test('objective and budget add up to exactly one part per part; percent and fraction agree', () => {
    fc.assert(fc.property(objectivePpb, ppb => {
      const o = Objective.fraction(ppb / 1e9, LOW);
      return o.partsPerBillion === ppb
        && o.partsPerBillion + o.budgetPartsPerBillion === 1e9
        && Objective.percent(o.percent, LOW).partsPerBillion === ppb
        && errorBudget(o).perYear.minutes === MINUTES_PER_YEAR * o.budgetPartsPerBillion / 1e9;
    }));
  });
});

describe('objective validation', () => {
  test('an objective below 90% is refused as a likely typo unless asked for by name', () => {
    // The factory never throws: the objective carries its problem, and reading any number of it throws it.
    const typo = Objective.percent(1.5);
    const problem = {
      prop: 'percent',
      value: 1.5,
      why: 'is 1.5%, below 90%: an objective that low (over 72 hours of downtime a month) is almost certainly a typo (1.5 for 99.5?)',
      fix: 'write the objective you mean, e.g. Objective.percent(99.5), or pass { allowLowObjective: true } if 1.5% is intended',
    };
    expect(Objective.problemsOf(typo)).toEqual([problem]);
    expect(String(typo)).toBe('Objective.percent(1.5)');
    expect(() => typo.fraction).toThrow(new ValidationError('Objective', 'percent(1.5)', [problem]).message);
    expect(validateObjective(0.5, 'slo.objective')[0].why).toBe('is 50%, below 90%: an objective that low (over 72 hours of downtime a month) is almost certainly a typo (1.5 for 99.5?)');
    expect(Objective.percent(1.5, { allowLowObjective: true }).fraction).toBe(0.015);
    expect(Objective.percent(90).percent).toBe(90);
  });

  test('property: every objective below 90% needs the opt-in, every one from 90% does not', () => {
    fc.assert(fc.property(objectivePpb, ppb => {
      const fraction = ppb / 1e9;
      const refused = validateObjective(fraction).length > 0;
      return refused === (fraction < 0.9) && validateObjective(fraction, 'objective', 'fraction', LOW).length === 0;
    }));
  });

  test('a percentage given as a plain number is caught, with the fix', () => {
    expect(() => errorBudget(99.95)).toThrow(new ValidationError('Objective', 'fraction(99.95)', [{
      prop: 'fraction',
      value: 99.95,
      why: 'is a plain number, which is read as a fraction between 0 and 1 (exclusive)',
      fix: 'for a percentage write Objective.percent(99.95), or give the fraction 0.9995',
    }]));
    expect(() => errorBudget(99.95)).toThrow(
      "Objective 'fraction(99.95)': 1 problem:\n"
      + ' - fraction (99.95) is a plain number, which is read as a fraction between 0 and 1 (exclusive); '
      + 'for a percentage write Objective.percent(99.95), or give the fraction 0.9995');
  });

  test('exact messages for 100%, 0%, NaN, Infinity and too many decimals', () => {
    expect(() => errorBudget(Objective.percent(100))).toThrow(
      "Objective 'percent(100)': 1 problem:\n"
      + ' - percent (100) must be below 100%: a 100% objective leaves no error budget; pick an achievable objective, e.g. Objective.percent(99.95)');
    expect(() => errorBudget(Objective.percent(0))).toThrow(
      ' - percent (0) must be above 0: an objective is the share of good events, between 0 and 100 (exclusive); pick an achievable objective, e.g. Objective.percent(99.95)');
    expect(() => errorBudget(Objective.fraction(1))).toThrow(
      ' - fraction (1) must be below 1: a 1.0 objective leaves no error budget; pick an achievable objective, e.g. 0.9995, or Objective.percent(99.95) for a percentage');
    expect(() => errorBudget(Objective.percent(NaN))).toThrow(
      ' - percent (NaN) must be a finite number between 0 and 100 (exclusive); give the objective as a number, e.g. Objective.percent(99.95)');
    expect(() => errorBudget(Objective.fraction(Infinity))).toThrow(' - fraction (Infinity) must be a finite number between 0 and 1 (exclusive)');
    expect(() => errorBudget(Objective.percent(99.123456789))).toThrow(
      ' - percent (99.123456789) is finer than one part per billion, which the error-budget arithmetic cannot hold exactly; round it to at most 7 decimal places');
  });

  test('a bad objective never throws where it is built; validateObjective reports it under the caller\'s prop; the arithmetic throws', () => {
    const typo = Objective.percent(1.5);
    expect(validateObjective(typo, 'slos[0].objective')).toEqual([{
      prop: 'slos[0].objective',
      value: typo,
      why: 'is 1.5%, below 90%: an objective that low (over 72 hours of downtime a month) is almost certainly a typo (1.5 for 99.5?)',
      fix: 'write the objective you mean, e.g. Objective.percent(99.5), or pass { allowLowObjective: true } if 1.5% is intended',
    }]);
    const message = new ValidationError('Objective', 'percent(1.5)', [...Objective.problemsOf(typo)]).message;
    expect(() => errorBudget(typo)).toThrow(message);
    expect(() => allowedDowntime(typo, '30d')).toThrow(message);
    expect(() => burnRateThreshold(burnRateWindows()[0], typo)).toThrow(message);
    expect(() => detectionTimeSeconds(burnRateWindows()[0], typo)).toThrow(message);
    // No number of it leaks as NaN, not even through serialization.
    for (const field of ['partsPerBillion', 'budgetPartsPerBillion', 'fraction', 'percent', 'budget'] as const) {
      expect(() => typo[field]).toThrow(message);
    }
    expect(() => JSON.stringify(typo)).toThrow(message);
    // Objective.of is a factory too: a percentage given as a plain number carries its problem.
    const plain = Objective.of(99.95);
    expect(String(plain)).toBe('Objective.fraction(99.95)');
    expect(Objective.of(typo)).toBe(typo);
    expect(validateObjective(plain)).toEqual([{
      prop: 'objective',
      value: plain,
      why: 'is a plain number, which is read as a fraction between 0 and 1 (exclusive)',
      fix: 'for a percentage write Objective.percent(99.95), or give the fraction 0.9995',
    }]);
    expect(() => plain.fraction).toThrow("Objective 'fraction(99.95)': 1 problem:");
    // A value cast past the types is named as given.
    expect(String(Objective.percent('99.9' as unknown as number))).toBe('Objective.percent("99.9")');
    // A valid objective is unchanged: plain fields, no problems.
    const good = Objective.percent(99.95);
    expect(Objective.problemsOf(good)).toEqual([]);
    expect(JSON.parse(JSON.stringify(good))).toEqual({
      partsPerBillion: 999_500_000, budgetPartsPerBillion: 500_000, fraction: 0.9995, percent: 99.95, budget: 0.0005,
    });
    expect(String(good)).toBe('99.95%');
  });

  test('validateObjective returns problems instead of throwing, and accepts an Objective', () => {
    expect(validateObjective(Objective.percent(99.9))).toEqual([]);
    expect(validateObjective(0.999)).toEqual([]);
    expect(validateObjective('99.9', 'slo.objective')).toEqual([{
      prop: 'slo.objective',
      value: '99.9',
      why: 'must be a finite number between 0 and 1 (exclusive)',
      fix: 'give the objective as a number, e.g. 0.9995, or Objective.percent(99.95) for a percentage',
    }]);
  });

  test('every valid percentage with up to 7 decimals round-trips', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 999_999_999 }), ppb => {
      const pct = ppb / 1e7;
      return validateObjective(pct, 'percent', 'percent', LOW).length === 0 && Objective.percent(pct, LOW).partsPerBillion === ppb;
    }));
  });
});

describe('burnRateWindows: the SRE workbook\'s multi-window, multi-burn-rate table', () => {
  test('four tiers with the workbook\'s burn rates, windows and budget spent (30d)', () => {
    expect(burnRateWindows()).toEqual([
      { tier: 'fastPage', action: 'page', burnRate: 14.4, longWindow: '1h', shortWindow: '5m', budgetConsumed: 0.02 },
      { tier: 'slowPage', action: 'page', burnRate: 6, longWindow: '6h', shortWindow: '30m', budgetConsumed: 0.05 },
      { tier: 'fastTicket', action: 'ticket', burnRate: 3, longWindow: '1d', shortWindow: '2h', budgetConsumed: 0.1 },
      { tier: 'slowTicket', action: 'ticket', burnRate: 1, longWindow: '3d', shortWindow: '6h', budgetConsumed: 0.1 },
    ]);
    expect(burnRateWindows().map(w => w.tier)).toEqual(BURN_RATE_TIERS);
  });

  test('the short window is 1/12 of the long one in every tier', () => {
    for (const w of burnRateWindows()) expect(durationSeconds(w.longWindow)! / durationSeconds(w.shortWindow)!).toBe(12);
  });

  test('budget spent scales with the SLO window; windows shorter than 3d are refused', () => {
    expect(burnRateWindows('4w')[0].budgetConsumed).toBe(Number((14.4 / (28 * 24)).toPrecision(12)));
    expect(() => burnRateWindows('1d')).toThrow(
      "burnRateWindows '1d': 1 problem:\n - sloWindow (\"1d\") is shorter than the longest alert window (3d); use a window of at least \"3d\"; the workbook uses \"30d\"");
    expect(() => burnRateWindows('30 days' as any)).toThrow(' - sloWindow ("30 days") is not a Prometheus duration');
  });

  test('thresholds are burn × (1 - objective): 14.4 × 0.0005 = 0.0072 exactly', () => {
    const [fast, slow, ticket, slowTicket] = burnRateWindows();
    const o = Objective.percent(99.95);
    expect(14.4 * 0.0005).not.toBe(0.0072);
    expect(burnRateThreshold(fast, o)).toBe(0.0072);
    expect(burnRateThreshold(slow, o)).toBe(0.003);
    expect(burnRateThreshold(ticket, o)).toBe(0.0015);
    expect(burnRateThreshold(slowTicket, o)).toBe(0.0005);
  });

  test('detection time of a total outage at 99.95%: 25.92 s, 64.8 s, 129.6 s, 129.6 s', () => {
    const o = Objective.percent(99.95);
    expect(burnRateWindows().map(w => detectionTimeSeconds(w, o))).toEqual([25.92, 64.8, 129.6, 129.6]);
  });

  test('detection time: a slow burn takes longer, a burn at or below the threshold never fires', () => {
    const [fast, , ticket] = burnRateWindows();
    const o = Objective.percent(99.95);
    // 0.2% errors = 4x burn: the 3x ticket's 1d window crosses 0.15% after 3/4 of a day
    expect(detectionTimeSeconds(ticket, o, 0.002)).toBe(64_800);
    expect(detectionTimeSeconds(fast, o, 0.002)).toBe(Infinity);
    expect(detectionTimeSeconds(fast, o, 0.0072)).toBe(Infinity);
    expect(detectionTimeSeconds(fast, o, 0)).toBe(Infinity);
    expect(() => detectionTimeSeconds(fast, o, 1.5)).toThrow(
      "detectionTimeSeconds '1h': 1 problem:\n - errorRatio (1.5) must be a share of events between 0 and 1; give e.g. 1 for a total outage or 0.002 for 0.2% errors");
  });

  test('properties: detection time × error ratio is constant, and the budget spent by then is the tier\'s budgetConsumed', () => {
    const ppbs = fc.integer({ min: 900_000_000, max: 999_999_000 });
    const ratios = fc.double({ min: 0.01, max: 1, noNaN: true });
    fc.assert(fc.property(ppbs, ratios, fc.constantFrom(...burnRateWindows()),
      (ppb, errorRatio, w) => {
        const o = Objective.fraction(ppb / 1e9, LOW);
        const threshold = burnRateThreshold(w, o);
        fc.pre(errorRatio > threshold * 1.000001);
        const t = detectionTimeSeconds(w, o, errorRatio);
        const spent = errorRatio * t / (30 * 86_400) / o.budget;
        return Math.abs(t * errorRatio - threshold * durationSeconds(w.longWindow)!) <= 1e-6 * t * errorRatio
          && Math.abs(spent - w.budgetConsumed) <= 1e-6;
      }));
  });
});
