/**
 * Text <-> binary format conversion for the types clients commonly request in binary.
 * The adapter speaks PostgreSQL text format only; this module turns a text value into the
 * binary "send" representation for result columns, and a binary parameter into text for
 * Bind. Layouts are those of PostgreSQL's *send/*recv functions (src/backend/utils/adt).
 */
import { SqlError, unsupported } from '../errors/index.js';
import { civilFromDays, daysFromCivil } from '../types/calendar.js';

export const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

interface Codec {
  name: string;
  encode(text: string): Buffer;
  decode(bin: Buffer): string;
}

const USEC_PER_DAY = 86_400_000_000n;
/** PostgreSQL's binary dates and timestamps count from 2000-01-01. */
const PG_EPOCH_DAYS = 10_957;
const INT64_MAX = 0x7fffffffffffffffn;
const INT64_MIN = -0x8000000000000000n;
const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;

function bad(type: string, text: string): SqlError {
  return new SqlError('22P02', `invalid input syntax for type ${type}: "${text}"`);
}

function fixed(n: number, write: (b: Buffer) => void): Buffer {
  const b = Buffer.allocUnsafe(n);
  write(b);
  return b;
}

function wantLength(bin: Buffer, n: number): void {
  if (bin.length !== n) throw new SqlError('22P03', 'incorrect binary data format');
}

/** Big-endian two's complement integers; oid is the one unsigned 4-byte type. */
function intCodec(name: string, bytes: 2 | 4 | 8, unsigned = false): Codec {
  const min = unsigned ? 0n : -(1n << BigInt(bytes * 8 - 1));
  const max = unsigned ? (1n << BigInt(bytes * 8)) - 1n : (1n << BigInt(bytes * 8 - 1)) - 1n;
  return {
    name,
    encode(text) {
      const t = text.trim();
      if (!/^[+-]?\d+$/.test(t)) throw bad(name, text);
      const v = BigInt(t);
      if (v < min || v > max) throw new SqlError('22003', `value "${text}" is out of range for type ${name}`);
      return fixed(bytes, (b) => {
        if (bytes === 2) b.writeInt16BE(Number(v));
        else if (bytes === 4 && unsigned) b.writeUInt32BE(Number(v));
        else if (bytes === 4) b.writeInt32BE(Number(v));
        else b.writeBigInt64BE(v);
      });
    },
    decode(bin) {
      wantLength(bin, bytes);
      if (bytes === 2) return String(bin.readInt16BE(0));
      if (bytes === 4) return String(unsigned ? bin.readUInt32BE(0) : bin.readInt32BE(0));
      return bin.readBigInt64BE(0).toString();
    },
  };
}

/** float4out / float8out spelling, including the special values. */
function floatText(v: number, bits: 32 | 64): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (bits === 64) return String(v);
  // Shortest decimal that reads back as the same float4, like PostgreSQL's float4out.
  for (let p = 1; p < 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(Number(v.toPrecision(9)));
}

function parseFloatText(name: string, text: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'nan') return NaN;
  if (t === 'infinity' || t === '+infinity' || t === 'inf' || t === '+inf') return Infinity;
  if (t === '-infinity' || t === '-inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) throw bad(name, text);
  return Number(t);
}

/** Textual types send their UTF-8 bytes (the server encoding is always UTF8). */
function utf8Codec(name: string): Codec {
  return { name, encode: (t) => Buffer.from(t, 'utf8'), decode: (b) => b.toString('utf8') };
}

// ---- bytea: text is hex (`\x0102`) or the legacy escape format.

function byteaFromText(text: string): Buffer {
  if (text.startsWith('\\x')) {
    const hex = text.slice(2);
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw bad('bytea', text);
    return Buffer.from(hex, 'hex');
  }
  // Escape format: `\\` is a backslash, `\ooo` an octal byte, anything else stands for itself.
  const parts: Buffer[] = [];
  for (const m of text.matchAll(/\\\\|\\([0-3][0-7]{2})|\\|[^\\]+/g)) {
    if (m[0] === '\\\\') parts.push(Buffer.from([0x5c]));
    else if (m[1] !== undefined) parts.push(Buffer.from([parseInt(m[1], 8)]));
    else if (m[0] === '\\') throw bad('bytea', text);
    else parts.push(Buffer.from(m[0], 'utf8'));
  }
  return Buffer.concat(parts);
}

// ---- dates: civil <-> day number (types/calendar.ts), so years 0..99 and BC stay exact.

const pad = (n: number | bigint, w: number): string => String(n).padStart(w, '0');

function formatDate(days: number): string {
  const { y, m, d } = civilFromDays(days);
  // Year 0 is 1 BC in PostgreSQL's output.
  const bc = y <= 0;
  return `${pad(bc ? 1 - y : y, 4)}-${pad(m, 2)}-${pad(d, 2)}${bc ? ' BC' : ''}`;
}

const DATE_RE = /^(\d{4,})-(\d{1,2})-(\d{1,2})/;

/** Parses `YYYY-MM-DD`, returning days since 1970 and the unparsed rest. */
function parseDate(type: string, text: string): { days: number; rest: string } {
  const m = DATE_RE.exec(text);
  if (!m) throw bad(type, text);
  let rest = text.slice(m[0].length);
  const bc = / BC$/i.test(rest);
  if (bc) rest = rest.slice(0, -3);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) throw bad(type, text);
  return { days: daysFromCivil(bc ? 1 - year : year, month, day), rest };
}

const TIME_RE = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?/;

/** Parses `HH:MM[:SS[.ffffff]]` to microseconds, returning the unparsed rest. */
function parseTime(type: string, text: string, whole: string): { usec: bigint; rest: string } {
  const m = TIME_RE.exec(text);
  if (!m) throw bad(type, whole);
  const h = BigInt(m[1]!);
  const mi = BigInt(m[2]!);
  const s = BigInt(m[3] ?? '0');
  const frac = BigInt((m[4] ?? '').padEnd(6, '0'));
  if (h > 24n || mi > 59n || s > 60n) throw bad(type, whole);
  return { usec: ((h * 60n + mi) * 60n + s) * 1_000_000n + frac, rest: text.slice(m[0].length) };
}

function formatTime(usec: bigint): string {
  const frac = usec % 1_000_000n;
  const secs = usec / 1_000_000n;
  let out = `${pad(secs / 3600n, 2)}:${pad((secs / 60n) % 60n, 2)}:${pad(secs % 60n, 2)}`;
  if (frac !== 0n) out += '.' + pad(frac, 6).replace(/0+$/, '');
  return out;
}

/** Microseconds since 2000-01-01 00:00 of a `date[ T]time` text, plus the unparsed rest. */
function parseTimestamp(type: string, text: string): { usec: bigint; rest: string } {
  const t = text.trim();
  const d = parseDate(type, t);
  let rest = d.rest;
  let usec = 0n;
  if (rest.startsWith(' ') || rest.startsWith('T')) {
    const tm = parseTime(type, rest.slice(1), text);
    usec = tm.usec;
    rest = tm.rest;
  }
  return { usec: BigInt(d.days - PG_EPOCH_DAYS) * USEC_PER_DAY + usec, rest };
}

function formatTimestamp(usec: bigint): string {
  let days = usec / USEC_PER_DAY;
  let rem = usec % USEC_PER_DAY;
  if (rem < 0n) {
    rem += USEC_PER_DAY;
    days -= 1n;
  }
  const date = formatDate(Number(days) + PG_EPOCH_DAYS);
  const bc = date.endsWith(' BC');
  return `${bc ? date.slice(0, -3) : date} ${formatTime(rem)}${bc ? ' BC' : ''}`;
}

/** PostgreSQL stores +-infinity timestamps as the int64 extremes (DT_NOEND / DT_NOBEGIN). */
function specialTimestamp(text: string): bigint | null {
  const t = text.trim().toLowerCase();
  if (t === 'infinity' || t === '+infinity') return INT64_MAX;
  if (t === '-infinity') return INT64_MIN;
  return null;
}

/**
 * timestamp_send / timestamptz_send: int64 microseconds since 2000-01-01 00:00:00, with
 * +-infinity as the int64 extremes. The two types differ only in the text after the
 * date and time: `toUtc` turns the parsed local value and that rest into the UTC count
 * (or refuses the text), `format` writes a finite count back as text.
 */
function timestampCodecOf(
  name: string,
  toUtc: (usec: bigint, rest: string, text: string) => bigint,
  format: (usec: bigint) => string,
): Codec {
  return {
    name,
    encode(text) {
      const special = specialTimestamp(text);
      if (special !== null) return fixed(8, (b) => b.writeBigInt64BE(special));
      const { usec, rest } = parseTimestamp(name, text);
      const utc = toUtc(usec, rest, text);
      return fixed(8, (b) => b.writeBigInt64BE(utc));
    },
    decode(bin) {
      wantLength(bin, 8);
      const v = bin.readBigInt64BE(0);
      if (v === INT64_MAX) return 'infinity';
      if (v === INT64_MIN) return '-infinity';
      return format(v);
    },
  };
}

/** timestamp: nothing may follow the time. */
const timestampCodec = timestampCodecOf(
  'timestamp',
  (usec, rest, text) => {
    if (rest.trim() !== '') throw bad('timestamp', text);
    return usec;
  },
  formatTimestamp,
);

const OFFSET_RE = /^\s*(?:Z|(?:UTC)|([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?)$/i;

/**
 * timestamptz: the same count, in UTC. The text side is always written with `+00`,
 * as the session TimeZone Ferry reports is UTC.
 */
const timestamptzCodec = timestampCodecOf(
  'timestamp with time zone',
  (usec, rest, text) => {
    const m = OFFSET_RE.exec(rest);
    if (!m) throw bad('timestamp with time zone', text);
    if (m[1] === undefined) return usec;
    const off = (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0)) * 1_000_000;
    // The text is local time at that offset; the binary value is UTC.
    return usec - BigInt(m[1] === '-' ? -off : off);
  },
  (usec) => {
    const s = formatTimestamp(usec);
    return s.endsWith(' BC') ? s.slice(0, -3) + '+00 BC' : s + '+00';
  },
);

/** date_send: int32 days since 2000-01-01; +-infinity are the int32 extremes. */
const dateCodec: Codec = {
  name: 'date',
  encode(text) {
    const t = text.trim().toLowerCase();
    if (t === 'infinity') return fixed(4, (b) => b.writeInt32BE(INT32_MAX));
    if (t === '-infinity') return fixed(4, (b) => b.writeInt32BE(INT32_MIN));
    const { days, rest } = parseDate('date', text.trim());
    if (rest.trim() !== '') throw bad('date', text);
    return fixed(4, (b) => b.writeInt32BE(days - PG_EPOCH_DAYS));
  },
  decode(bin) {
    wantLength(bin, 4);
    const v = bin.readInt32BE(0);
    if (v === INT32_MAX) return 'infinity';
    if (v === INT32_MIN) return '-infinity';
    return formatDate(v + PG_EPOCH_DAYS);
  },
};

/** time_send: int64 microseconds since midnight. */
const timeCodec: Codec = {
  name: 'time without time zone',
  encode(text) {
    const { usec, rest } = parseTime('time without time zone', text.trim(), text);
    if (rest.trim() !== '') throw bad('time without time zone', text);
    return fixed(8, (b) => b.writeBigInt64BE(usec));
  },
  decode(bin) {
    wantLength(bin, 8);
    return formatTime(bin.readBigInt64BE(0));
  },
};

// ---- interval: binary is (int64 microseconds, int32 days, int32 months).

const UNIT_MONTHS: Record<string, number> = { year: 12, years: 12, mon: 1, mons: 1, month: 1, months: 1 };
const UNIT_DAYS: Record<string, number> = { day: 1, days: 1, week: 7, weeks: 7 };
const UNIT_USEC: Record<string, bigint> = {
  hour: 3_600_000_000n,
  hours: 3_600_000_000n,
  minute: 60_000_000n,
  minutes: 60_000_000n,
  min: 60_000_000n,
  mins: 60_000_000n,
  second: 1_000_000n,
  seconds: 1_000_000n,
  sec: 1_000_000n,
  secs: 1_000_000n,
};

/** Parses PostgreSQL's `postgres` interval style (also DuckDB's, which uses the same words). */
function parseInterval(text: string): { usec: bigint; days: number; months: number } {
  let months = 0;
  let days = 0;
  let usec = 0n;
  const tokens = text
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t !== '');
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    // The clock part: [+-]H:MM[:SS[.ffffff]], hours unbounded (e.g. '100:00:00').
    const clock = /^([+-])?(\d+):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?$/.exec(tok);
    if (clock) {
      const v =
        ((BigInt(clock[2]!) * 60n + BigInt(clock[3]!)) * 60n + BigInt(clock[4] ?? '0')) * 1_000_000n +
        BigInt((clock[5] ?? '').padEnd(6, '0'));
      usec += clock[1] === '-' ? -v : v;
      continue;
    }
    const unit = tokens[i + 1];
    if (!/^[+-]?\d+$/.test(tok) || unit === undefined) throw bad('interval', text);
    const n = Number(tok);
    i++;
    if (unit in UNIT_MONTHS) months += n * UNIT_MONTHS[unit]!;
    else if (unit in UNIT_DAYS) days += n * UNIT_DAYS[unit]!;
    else if (unit in UNIT_USEC) usec += BigInt(n) * UNIT_USEC[unit]!;
    else throw bad('interval', text);
  }
  return { usec, days, months };
}

/** interval_out in the default `postgres` IntervalStyle. */
function formatInterval(usec: bigint, days: number, months: number): string {
  const parts: string[] = [];
  const years = Math.trunc(months / 12);
  const mons = months % 12;
  const plural = (n: number, unit: string, many: string): string => `${n} ${n === 1 ? unit : many}`;
  if (years !== 0) parts.push(plural(years, 'year', 'years'));
  if (mons !== 0) parts.push(plural(mons, 'mon', 'mons'));
  if (days !== 0) parts.push(plural(days, 'day', 'days'));
  if (usec !== 0n || parts.length === 0) {
    const neg = usec < 0n;
    const clock = formatTime(neg ? -usec : usec);
    // After a negative date part PostgreSQL marks a positive clock with '+'.
    const sign = neg ? '-' : parts.length > 0 && (months < 0 || days < 0) ? '+' : '';
    parts.push(sign + clock);
  }
  return parts.join(' ');
}

/** interval_send: int64 microseconds, int32 days, int32 months, kept apart as PostgreSQL does. */
const intervalCodec: Codec = {
  name: 'interval',
  encode(text) {
    const { usec, days, months } = parseInterval(text);
    return fixed(16, (b) => {
      b.writeBigInt64BE(usec, 0);
      b.writeInt32BE(days, 8);
      b.writeInt32BE(months, 12);
    });
  },
  decode(bin) {
    wantLength(bin, 16);
    return formatInterval(bin.readBigInt64BE(0), bin.readInt32BE(8), bin.readInt32BE(12));
  },
};

// ---- numeric: sign, weight and base-10000 digits, as in numeric_send.

const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;

const numericCodec: Codec = {
  name: 'numeric',
  encode(text) {
    const t = text.trim();
    const special = { nan: NUMERIC_NAN, infinity: NUMERIC_PINF, '+infinity': NUMERIC_PINF, '-infinity': NUMERIC_NINF }[
      t.toLowerCase()
    ];
    if (special !== undefined) return fixed(8, (b) => (b.fill(0), b.writeUInt16BE(special, 4)));
    const m = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw bad('numeric', text);
    let intPart = m[2]!;
    let fracPart = m[3] ?? '';
    const exp = Number(m[4] ?? '0');
    // Apply an exponent by moving the decimal point within the digit string.
    if (exp > 0) {
      fracPart = fracPart.padEnd(exp, '0');
      intPart += fracPart.slice(0, exp);
      fracPart = fracPart.slice(exp);
    } else if (exp < 0) {
      intPart = intPart.padStart(-exp, '0');
      fracPart = intPart.slice(intPart.length + exp) + fracPart;
      intPart = intPart.slice(0, intPart.length + exp);
    }
    // dscale keeps the digits the text showed after the point, trailing zeros included
    // ('1.10' stays '1.10'), while the digit groups themselves drop trailing zeros.
    const dscale = fracPart.length;
    // Group digits in fours around the decimal point.
    const intPadded = intPart.replace(/^0+/, '');
    const ip = intPadded.padStart(Math.ceil(intPadded.length / 4) * 4, '0');
    const fp = fracPart.padEnd(Math.ceil(fracPart.length / 4) * 4, '0');
    const groups: number[] = [];
    for (let i = 0; i < ip.length; i += 4) groups.push(Number(ip.slice(i, i + 4)));
    for (let i = 0; i < fp.length; i += 4) groups.push(Number(fp.slice(i, i + 4)));
    // weight: the power of 10000 of the first group; leading zero groups only lower it.
    let weight = ip.length / 4 - 1;
    while (groups.length > 0 && groups[0] === 0) {
      groups.shift();
      weight--;
    }
    while (groups.length > 0 && groups[groups.length - 1] === 0) groups.pop();
    if (groups.length === 0) weight = 0;
    const sign = m[1] === '-' && groups.length > 0 ? NUMERIC_NEG : NUMERIC_POS;
    return fixed(8 + groups.length * 2, (b) => {
      b.writeInt16BE(groups.length, 0);
      b.writeInt16BE(weight, 2);
      b.writeUInt16BE(sign, 4);
      b.writeInt16BE(dscale, 6);
      groups.forEach((g, i) => b.writeUInt16BE(g, 8 + i * 2));
    });
  },
  decode(bin) {
    if (bin.length < 8) throw new SqlError('22P03', 'incorrect binary data format');
    const ndigits = bin.readInt16BE(0);
    const weight = bin.readInt16BE(2);
    const sign = bin.readUInt16BE(4);
    const dscale = bin.readInt16BE(6);
    wantLength(bin, 8 + ndigits * 2);
    if (sign === NUMERIC_NAN) return 'NaN';
    if (sign === NUMERIC_PINF) return 'Infinity';
    if (sign === NUMERIC_NINF) return '-Infinity';
    if ((sign !== NUMERIC_POS && sign !== NUMERIC_NEG) || dscale < 0) {
      throw new SqlError('22P03', 'invalid sign in external "numeric" value');
    }
    let intPart = '';
    let fracPart = '';
    for (let i = 0; i < ndigits; i++) {
      const g = pad(bin.readUInt16BE(8 + i * 2), 4);
      if (i <= weight) intPart += g;
      else fracPart += g;
    }
    // Groups between the last digit and the decimal point, or between it and the first digit.
    if (weight >= ndigits) intPart += '0000'.repeat(weight - ndigits + 1);
    if (weight < -1) fracPart = '0000'.repeat(-weight - 1) + fracPart;
    intPart = intPart.replace(/^0+/, '') || '0';
    fracPart = fracPart.padEnd(dscale, '0').slice(0, dscale);
    const neg = sign === NUMERIC_NEG ? '-' : '';
    return neg + intPart + (dscale > 0 ? '.' + fracPart : '');
  },
};

/** uuid_send: the 16 raw bytes; braces and dashes are only text decoration. */
const uuidCodec: Codec = {
  name: 'uuid',
  encode(text) {
    const hex = text
      .trim()
      .replace(/^\{|\}$/g, '')
      .replace(/-/g, '');
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw bad('uuid', text);
    return Buffer.from(hex, 'hex');
  },
  decode(bin) {
    wantLength(bin, 16);
    const h = bin.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  },
};

const CODECS = new Map<number, Codec>([
  [
    OID.bool,
    {
      name: 'boolean',
      encode(text) {
        const t = text.trim().toLowerCase();
        if (['t', 'true', 'yes', 'on', '1'].includes(t)) return Buffer.from([1]);
        if (['f', 'false', 'no', 'off', '0'].includes(t)) return Buffer.from([0]);
        throw bad('boolean', text);
      },
      decode(bin) {
        wantLength(bin, 1);
        return bin[0] === 0 ? 'f' : 't';
      },
    },
  ],
  [OID.bytea, { name: 'bytea', encode: byteaFromText, decode: (b) => '\\x' + b.toString('hex') }],
  [OID.int8, intCodec('bigint', 8)],
  [OID.int2, intCodec('smallint', 2)],
  [OID.int4, intCodec('integer', 4)],
  [OID.oid, intCodec('oid', 4, true)],
  [OID.text, utf8Codec('text')],
  [OID.varchar, utf8Codec('character varying')],
  [OID.bpchar, utf8Codec('character')],
  [OID.json, utf8Codec('json')],
  [
    OID.jsonb,
    {
      name: 'jsonb',
      // jsonb_send: a version byte (1) followed by the JSON text.
      encode: (t) => Buffer.concat([Buffer.from([1]), Buffer.from(t, 'utf8')]),
      decode(b) {
        if (b[0] !== 1) throw new SqlError('22P03', `unsupported jsonb version number ${b[0] ?? 'none'}`);
        return b.toString('utf8', 1);
      },
    },
  ],
  [
    OID.float4,
    {
      name: 'real',
      encode: (t) => fixed(4, (b) => b.writeFloatBE(parseFloatText('real', t))),
      decode: (b) => (wantLength(b, 4), floatText(b.readFloatBE(0), 32)),
    },
  ],
  [
    OID.float8,
    {
      name: 'double precision',
      encode: (t) => fixed(8, (b) => b.writeDoubleBE(parseFloatText('double precision', t))),
      decode: (b) => (wantLength(b, 8), floatText(b.readDoubleBE(0), 64)),
    },
  ],
  [OID.date, dateCodec],
  [OID.time, timeCodec],
  [OID.timestamp, timestampCodec],
  [OID.timestamptz, timestamptzCodec],
  [OID.interval, intervalCodec],
  [OID.numeric, numericCodec],
  [OID.uuid, uuidCodec],
]);

export function binarySupported(oid: number): boolean {
  return CODECS.has(oid);
}

function codecFor(oid: number): Codec {
  const c = CODECS.get(oid);
  if (!c) throw unsupported(`binary format for type ${oid}`);
  return c;
}

/** Text value of a result column -> its binary representation. */
export function textToBinary(oid: number, text: string): Buffer {
  return codecFor(oid).encode(text);
}

/**
 * Binary Bind parameter -> text for the adapter. Malformed input is reported like
 * PostgreSQL does, naming the 1-based parameter.
 */
export function binaryToText(oid: number, bin: Buffer, paramIndex: number): string {
  const c = codecFor(oid);
  try {
    return c.decode(bin);
  } catch (err) {
    if (err instanceof SqlError && err.code === '22P03') {
      throw new SqlError('22P03', `incorrect binary data format in bind parameter ${paramIndex + 1}`);
    }
    throw err;
  }
}
