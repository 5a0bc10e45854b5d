/**
 * When an export is due (docs/scheduling.md): `REFRESH EVERY '<interval>' [ALIGNED
 * TO '<timestamptz>']` and `REFRESH CRON '<5-field>' [TIME ZONE '<tz>']`. Pure: no clock,
 * no engine — callers pass the instants. Cron expressions are croner's, not home-made.
 */
import { Cron } from 'croner';
import { SqlError, unsupported } from '../errors/index.js';

/** A resolved schedule, as stored in the export's catalog details. */
export type ScheduleSpec =
  | {
      kind: 'every';
      /** Interval text as written. */ interval: string;
      intervalMs: number;
      /** Epoch ms of one due time. */ alignedToMs: number;
    }
  | { kind: 'cron'; expr: string; timeZone: string };

/** Shortest REFRESH EVERY interval: a shorter one would only ever record `skipped` runs. */
export const MIN_INTERVAL_MS = 1000;

const UNIT_MS: Record<string, number> = {
  microsecond: 0.001,
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
};
/** PostgreSQL's unit spellings (interval input accepts these abbreviations and plurals). */
const UNIT_ALIASES: Record<string, string> = {
  us: 'microsecond',
  usec: 'microsecond',
  usecs: 'microsecond',
  microseconds: 'microsecond',
  ms: 'millisecond',
  msec: 'millisecond',
  msecs: 'millisecond',
  milliseconds: 'millisecond',
  s: 'second',
  sec: 'second',
  secs: 'second',
  seconds: 'second',
  m: 'minute',
  min: 'minute',
  mins: 'minute',
  minutes: 'minute',
  h: 'hour',
  hr: 'hour',
  hrs: 'hour',
  hours: 'hour',
  d: 'day',
  days: 'day',
  w: 'week',
  weeks: 'week',
};
const CALENDAR_UNITS = new Set([
  'mon',
  'mons',
  'month',
  'months',
  'y',
  'yr',
  'yrs',
  'year',
  'years',
  'decade',
  'decades',
  'century',
  'centuries',
]);

/**
 * The length of a REFRESH EVERY interval in ms. Accepts PostgreSQL's `<n> <unit> …` form
 * (`'1 day'`, `'2 seconds'`, `'1h 30m'`) and `HH:MM:SS[.fff]`. Months and years have no
 * fixed length, so they are refused in favour of REFRESH CRON.
 */
export function parseInterval(text: string): number {
  const bad = (): never => {
    throw new SqlError('22007', `invalid input syntax for type interval: "${text}"`);
  };
  let rest = text.trim().toLowerCase();
  if (rest === '') bad();
  let ms = 0;
  const clock = /^(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?$/.exec(rest);
  if (clock) {
    ms = Number(clock[1]) * 3_600_000 + Number(clock[2]) * 60_000 + Number(clock[3] ?? 0) * 1000;
    rest = '';
  }
  while (rest !== '') {
    const m = /^([+-]?\d+(?:\.\d+)?)\s*([a-z]+)\s*/.exec(rest);
    if (!m) bad();
    const unit = m![2]!;
    if (CALENDAR_UNITS.has(unit)) {
      throw unsupported('REFRESH EVERY with months or years', {
        hint: 'Months and years have no fixed length; use REFRESH CRON.',
      });
    }
    const canonical = UNIT_MS[unit] !== undefined ? unit : UNIT_ALIASES[unit];
    if (canonical === undefined) bad();
    ms += Number(m![1]) * UNIT_MS[canonical!]!;
    rest = rest.slice(m![0].length);
  }
  if (!Number.isFinite(ms) || ms < MIN_INTERVAL_MS) {
    throw new SqlError('22023', `REFRESH EVERY interval must be at least 1 second, not "${text}"`);
  }
  return Math.round(ms);
}

/** Checks a time zone name against the IANA database the runtime ships. */
export function checkTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new SqlError('22023', `invalid TIME ZONE: "${tz}"`, {
      hint: "Use an IANA time zone name such as 'UTC' or 'Europe/Berlin'.",
    });
  }
  return tz;
}

function cronOf(spec: ScheduleSpec & { kind: 'cron' }): Cron {
  // paused: the Cron object is only a calculator here; the scheduler owns the timers.
  return new Cron(spec.expr, { timezone: spec.timeZone, mode: '5-part', paused: true });
}

/** Validates a cron expression: exactly five fields (minute hour day-of-month month day-of-week). */
export function checkCron(expr: string, timeZone: string): ScheduleSpec & { kind: 'cron' } {
  const spec = { kind: 'cron' as const, expr: expr.trim().replace(/\s+/g, ' '), timeZone: checkTimeZone(timeZone) };
  try {
    if (spec.expr.split(' ').length !== 5)
      throw new Error('exactly five fields are required (minute hour day-of-month month day-of-week)');
    if (cronOf(spec).nextRun(new Date(0)) === null) throw new Error('it never fires');
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^CronPattern: /, '') : String(err);
    throw new SqlError('22023', `invalid REFRESH CRON expression "${expr}": ${reason}`);
  }
  return spec;
}

/** The first due time strictly after `t` (epoch ms), or null if there is none. */
export function nextDueAfter(spec: ScheduleSpec, t: number): number | null {
  if (spec.kind === 'every') {
    return spec.alignedToMs + (Math.floor((t - spec.alignedToMs) / spec.intervalMs) + 1) * spec.intervalMs;
  }
  return cronOf(spec).nextRun(new Date(t))?.getTime() ?? null;
}

/**
 * Due times in [from, to], oldest first, at most `limit` of them (the most recent ones);
 * `omitted` counts the older ones left out. Used to tell the catch-up run from `missed` ones.
 */
export function dueTimesBetween(
  spec: ScheduleSpec,
  from: number,
  to: number,
  limit: number,
): { times: number[]; omitted: number } {
  if (to < from) return { times: [], omitted: 0 };
  if (spec.kind === 'every') {
    const first = spec.alignedToMs + Math.ceil((from - spec.alignedToMs) / spec.intervalMs) * spec.intervalMs;
    if (first > to) return { times: [], omitted: 0 };
    const count = Math.floor((to - first) / spec.intervalMs) + 1;
    const kept = Math.min(count, limit);
    const times = Array.from({ length: kept }, (_, i) => first + (count - kept + i) * spec.intervalMs);
    return { times, omitted: count - kept };
  }
  const times: number[] = [];
  let omitted = 0;
  let t: number | null = nextDueAfter(spec, from - 1);
  while (t !== null && t <= to) {
    times.push(t);
    if (times.length > limit) {
      times.shift();
      omitted++;
    }
    t = nextDueAfter(spec, t);
  }
  return { times, omitted };
}

/** How the schedule reads in SHOW EXPORTS and SHOW CREATE EXPORT. */
export function describeSchedule(spec: ScheduleSpec): string {
  const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;
  if (spec.kind === 'every')
    return `EVERY ${q(spec.interval)} ALIGNED TO ${q(new Date(spec.alignedToMs).toISOString())}`;
  return `CRON ${q(spec.expr)} TIME ZONE ${q(spec.timeZone)}`;
}
