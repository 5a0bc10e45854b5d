/**
 * Planning of `CREATE SOURCE … FROM LOAD GENERATOR <gen> (<options>) [FOR ALL TABLES]`:
 * raw options → typed `LoadGenPlan`, with Materialize's rules (which options each
 * generator accepts, the TPCH scale-factor checks, FOR ALL TABLES only for multi-output
 * generators). Pure: no I/O, no clock.
 */
import { SqlError, unsupported } from '../errors/index.js';
import type { RawOption } from '../sql/ast.js';
import { DEFAULT_SCALE_FACTOR } from './tpch.js';

export type Generator = 'COUNTER' | 'AUCTION' | 'TPCH';

export interface LoadGenPlan {
  generator: Generator;
  /** Microseconds between two ticks (TICK INTERVAL, default 1s). */
  tickMicros: number;
  /** The tick at which production starts (AS OF, default 0). */
  asOf: number;
  /** The tick before which production stops (UP TO), or null for never. */
  upTo: number | null;
  /** COUNTER only: how many values are kept (MAX CARDINALITY), or null for all. */
  maxCardinality: number | null;
  /** TPCH only (default 0.01). */
  scaleFactor: number;
  /** The options as written, normalized for the catalog's CREATE text. */
  normalized: string[];
}

/** Every option Materialize's grammar has for load generators. */
const ALL_OPTIONS = [
  'TICK INTERVAL',
  'AS OF',
  'UP TO',
  'SCALE FACTOR',
  'MAX CARDINALITY',
  'KEYS',
  'SNAPSHOT ROUNDS',
  'TRANSACTIONAL SNAPSHOT',
  'VALUE SIZE',
  'SEED',
  'PARTITIONS',
  'BATCH SIZE',
];

const PERMITTED: Record<Generator, string[]> = {
  AUCTION: ['TICK INTERVAL', 'AS OF', 'UP TO'],
  COUNTER: ['TICK INTERVAL', 'AS OF', 'UP TO', 'MAX CARDINALITY'],
  TPCH: ['TICK INTERVAL', 'AS OF', 'UP TO', 'SCALE FACTOR'],
};

/** Generators Materialize has and Ferry does not implement. */
const NOT_IMPLEMENTED = ['MARKETING', 'DATUMS', 'CLOCK', 'KEY', 'KEY VALUE', 'KEYVALUE'];

export const MULTI_OUTPUT: Record<Generator, boolean> = { COUNTER: false, AUCTION: true, TPCH: true };

export function planLoadGenerator(generatorWord: string, options: RawOption[], forAllTables: boolean): LoadGenPlan {
  const gen = generatorWord.toUpperCase();
  if (NOT_IMPLEMENTED.includes(gen))
    throw unsupported(`LOAD GENERATOR ${gen === 'KEY' || gen === 'KEYVALUE' ? 'KEY VALUE' : gen}`);
  if (gen !== 'COUNTER' && gen !== 'AUCTION' && gen !== 'TPCH') {
    throw new SqlError('42601', `unknown load generator ${gen}`, {
      hint: 'Ferry implements COUNTER, AUCTION and TPCH.',
    });
  }
  const generator = gen;
  const seen = new Map<string, RawOption>();
  for (const o of options) {
    if (!ALL_OPTIONS.includes(o.name))
      throw new SqlError('42601', `unrecognized load generator option: ${o.name}`, { position: o.position });
    if (seen.has(o.name)) throw new SqlError('42601', `${o.name} specified more than once`, { position: o.position });
    seen.set(o.name, o);
  }
  const rejected = [...seen.keys()].filter((n) => !PERMITTED[generator].includes(n));
  if (rejected.length)
    throw new SqlError('22023', `${generator} load generators do not support ${rejected.join(', ')} values`);

  if (forAllTables && !MULTI_OUTPUT[generator])
    throw new SqlError('42601', 'FOR ALL TABLES is only valid for multi-output sources');
  if (!forAllTables && MULTI_OUTPUT[generator])
    throw new SqlError('42601', 'multi-output sources require a FOR TABLES (..) or FOR ALL TABLES statement');

  const normalized: string[] = [];
  let tickMicros = 1_000_000;
  const tick = seen.get('TICK INTERVAL');
  if (tick) {
    tickMicros = parseInterval(valueText(tick));
    normalized.push(`TICK INTERVAL = '${valueText(tick).replace(/'/g, "''")}'`);
  }
  const asOf = seen.has('AS OF') ? nonNegativeInt(seen.get('AS OF')!) : 0;
  if (seen.has('AS OF')) normalized.push(`AS OF = ${asOf}`);
  const upTo = seen.has('UP TO') ? nonNegativeInt(seen.get('UP TO')!) : null;
  if (upTo !== null) normalized.push(`UP TO = ${upTo}`);
  if (upTo !== null && upTo < asOf)
    throw new SqlError('22023', `UP TO (${upTo}) must be greater than or equal to AS OF (${asOf})`);
  const maxCardinality = seen.has('MAX CARDINALITY') ? nonNegativeInt(seen.get('MAX CARDINALITY')!) : null;
  if (maxCardinality !== null) normalized.push(`MAX CARDINALITY = ${maxCardinality}`);
  let scaleFactor = DEFAULT_SCALE_FACTOR;
  const sfOpt = seen.get('SCALE FACTOR');
  if (sfOpt) {
    const text = valueText(sfOpt);
    scaleFactor = Number(text);
    if (text.trim() === '' || !Number.isFinite(scaleFactor) || scaleFactor < 0)
      throw new SqlError('22023', `unsupported scale factor ${text}`);
    if (Math.floor(scaleFactor * 1_500_000) > 2 ** 40) throw new SqlError('22023', `unsupported scale factor ${text}`);
    normalized.push(`SCALE FACTOR = ${text}`);
  }
  return { generator, tickMicros, asOf, upTo, maxCardinality, scaleFactor, normalized };
}

function valueText(o: RawOption): string {
  const v = o.value;
  switch (v.kind) {
    case 'string':
    case 'number':
    case 'ident':
    case 'bool':
      return v.text;
    default:
      throw new SqlError('22023', `invalid ${o.name} value`, { position: o.position });
  }
}

function nonNegativeInt(o: RawOption): number {
  const text = valueText(o);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new SqlError('22023', `invalid ${o.name}: expected a non-negative integer, got ${text}`, {
      position: o.position,
    });
  }
  return Number(text);
}

const UNIT_MICROS: Record<string, number> = {
  us: 1,
  usec: 1,
  usecs: 1,
  microsecond: 1,
  microseconds: 1,
  ms: 1_000,
  msec: 1_000,
  msecs: 1_000,
  millisecond: 1_000,
  milliseconds: 1_000,
  s: 1_000_000,
  sec: 1_000_000,
  secs: 1_000_000,
  second: 1_000_000,
  seconds: 1_000_000,
  m: 60_000_000,
  min: 60_000_000,
  mins: 60_000_000,
  minute: 60_000_000,
  minutes: 60_000_000,
  h: 3_600_000_000,
  hr: 3_600_000_000,
  hrs: 3_600_000_000,
  hour: 3_600_000_000,
  hours: 3_600_000_000,
  d: 86_400_000_000,
  day: 86_400_000_000,
  days: 86_400_000_000,
};

/**
 * An interval as Materialize writes tick intervals: `'1s'`, `'500ms'`, `'2 minutes'`,
 * `'1m 30s'`, or `HH:MM:SS[.fff]`. Must be positive.
 */
export function parseInterval(text: string): number {
  const t = text.trim().toLowerCase();
  let micros = 0;
  const hms = /^(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(t);
  if (hms) {
    micros = (Number(hms[1]) * 3600 + Number(hms[2]) * 60) * 1_000_000 + Math.round(Number(hms[3]) * 1_000_000);
  } else {
    const re = /(\d+(?:\.\d+)?)\s*([a-z]+)/gy;
    let pos = 0;
    let any = false;
    while (pos < t.length) {
      while (t[pos] === ' ') pos++;
      if (pos >= t.length) break;
      re.lastIndex = pos;
      const m = re.exec(t);
      const unit = m ? UNIT_MICROS[m[2]!] : undefined;
      if (!m || unit === undefined) throw new SqlError('22007', `invalid input syntax for type interval: "${text}"`);
      micros += Math.round(Number(m[1]) * unit);
      pos = re.lastIndex;
      any = true;
    }
    if (!any) throw new SqlError('22007', `invalid input syntax for type interval: "${text}"`);
  }
  if (micros <= 0) throw new SqlError('22023', 'TICK INTERVAL must be positive');
  return micros;
}
