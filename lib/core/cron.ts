/**
 * Five-field cron expressions, checked the way the Kubernetes CronJob controller and Chaos Mesh
 * parse them (robfig/cron v3's standard parser): shape and field ranges, so `"0 25 * * *"`
 * (hour 25) or `"0 3 31 2 *"`'s malformed cousins are refused at synth instead of by the
 * controller after the apply.
 *
 * @see https://github.com/robfig/cron/blob/v3/constantdelay.go (`@every`: under a second runs every second)
 * @see https://github.com/robfig/cron/blob/v3/spec.go (bounds: minute 0-59, hour 0-23, day of month 1-31, month 1-12 or jan-dec, day of week 0-6 or sun-sat)
 * @see https://github.com/robfig/cron/blob/v3/parser.go (getRange: `*` and `?`, `a-b`, `/step` with step >= 1, `a` > `b` refused; descriptors such as `@daily` and `@every <duration>`)
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax
 */
import { Problem } from './errors';

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'], offset: 1 },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], offset: 0 },
] as const;

/** True for a Go duration as time.ParseDuration reads it (`1h30m`, `90s`, `1.5h`, `0`). */
function isGoDuration(text: string): boolean {
  return text === '0' || /^[-+]?(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))*$/.test(text);
}

const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** Why one field is wrong, or undefined. */
function fieldProblem(text: string, f: typeof FIELDS[number]): string | undefined {
  const value = (v: string): number | undefined => {
    if (/^\d+$/.test(v)) return Number(v);
    const i = 'names' in f ? (f.names as readonly string[]).indexOf(v.toLowerCase()) : -1;
    return i >= 0 && 'offset' in f ? i + f.offset : undefined;
  };
  for (const part of text.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(part);
    if (!m) return `${f.name} "${part}" is not a value, range or step`;
    if (m[2] !== undefined && Number(m[2]) < 1) return `${f.name} step "/${m[2]}" must be at least 1`;
    if (m[1] === '*' || m[1] === '?') continue;
    const [a, b, ...rest] = m[1].split('-');
    const lo = value(a);
    const hi = b === undefined ? lo : value(b);
    if (rest.length > 0 || lo === undefined || hi === undefined) return `${f.name} "${part}" is not a number${'names' in f ? ' or name' : ''}`;
    if (lo < f.min || hi > f.max) return `${f.name} "${part}" is outside ${f.min}-${f.max}`;
    if (lo > hi) return `${f.name} range "${m[1]}" runs backwards`;
  }
  return undefined;
}

/**
 * Problems with a five-field cron expression (minute, hour, day of month, month, day of week)
 * or a descriptor (`@daily`): empty when the CronJob controller would accept it.
 */
export function cronScheduleProblems(prop: string, cron: unknown, example = '"0 11 * * 1-5" (weekdays at 11:00)'): Problem[] {
  const fields = typeof cron === 'string' ? cron.trim().split(/\s+/) : [];
  if (typeof cron === 'string' && fields.length === 1 && DESCRIPTORS.has(fields[0])) return [];
  // `@every <Go duration>` (parser.go parseDescriptor: time.ParseDuration; constantdelay.go Every
  // rounds anything under a second up to one).
  if (fields.length === 2 && fields[0] === '@every') {
    return isGoDuration(fields[1]) ? [] : [{ prop, value: cron, why: `has "${fields[1]}", which is not a Go duration`, fix: 'write e.g. "@every 1h30m"' }];
  }
  if (fields.length !== 5) {
    return [{ prop, value: cron, why: 'is not a five-field cron expression', fix: `use e.g. ${example}` }];
  }
  const wrong = fields.map((t, i) => fieldProblem(t, FIELDS[i])).filter((w): w is string => w !== undefined);
  return wrong.length === 0 ? [] : [{ prop, value: cron, why: `has ${wrong.join(', ')}`, fix: `keep every field in range (minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-6), e.g. ${example}` }];
}
