/**
 * Session variables: a registry of definitions (name, default, whether the client is told
 * of changes through ParameterStatus, description). SET / RESET / SHOW go through it;
 * unknown names are an error, as in PostgreSQL and Materialize.
 */
import { SqlError } from '../errors/index.js';

export interface VarDef {
  name: string;
  default: string;
  /** Reported in ParameterStatus at start-up and on change (PostgreSQL's GUC_REPORT). */
  report: boolean;
  description: string;
  /** Normalises and validates a new value; throws SqlError when invalid. */
  check?: (v: string) => string;
  /** Read-only variables cannot be SET. */
  readOnly?: boolean;
}

const onOff =
  (name: string) =>
  (v: string): string => {
    const l = v.toLowerCase();
    if (['on', 'true', 't', '1', 'yes'].includes(l)) return 'on';
    if (['off', 'false', 'f', '0', 'no'].includes(l)) return 'off';
    throw new SqlError('22023', `parameter "${name}" requires a Boolean value`);
  };

const DURATION_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration setting in milliseconds: `1500`, `1.5s`, `2 min`, `0` (off); PostgreSQL's units. */
export function durationMs(name: string, v: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]*)?)\s*(us|ms|s|min|h|d)?\s*$/i.exec(v);
  const ms = m ? Number(m[1]) * DURATION_UNITS[(m[2] ?? 'ms').toLowerCase()]! : NaN;
  // Timer delays above 2^31-1 ms fire at once in Node; PostgreSQL's limit is the same.
  if (!Number.isFinite(ms) || ms > 2_147_483_647)
    throw new SqlError('22023', `invalid value for parameter "${name}": "${v}"`);
  return Math.round(ms);
}

const duration =
  (name: string) =>
  (v: string): string => {
    const ms = durationMs(name, v);
    if (ms === 0) return '0';
    for (const [unit, f] of [
      ['d', 86_400_000],
      ['h', 3_600_000],
      ['min', 60_000],
      ['s', 1000],
    ] as const)
      if (ms % f === 0) return `${ms / f}${unit}`;
    return `${ms}ms`;
  };

export const VARIABLES: VarDef[] = [
  {
    name: 'application_name',
    default: '',
    report: true,
    description: 'Sets the application name to be reported in statistics and logs.',
  },
  {
    name: 'client_encoding',
    default: 'UTF8',
    report: true,
    description: "Sets the client's character set encoding (only UTF8).",
    check: (v) => {
      if (!/^utf-?8$/i.test(v) && !/^unicode$/i.test(v))
        throw new SqlError('22023', `invalid value for parameter "client_encoding": "${v}"`, {
          hint: 'Ferry only supports UTF8.',
        });
      return 'UTF8';
    },
  },
  {
    name: 'server_encoding',
    default: 'UTF8',
    report: true,
    readOnly: true,
    description: "The server's character set encoding.",
  },
  {
    name: 'server_version',
    default: '9.5.0',
    report: true,
    readOnly: true,
    description: 'The PostgreSQL version Ferry reports to clients (as Materialize does).',
  },
  {
    name: 'server_version_num',
    default: '90500',
    report: false,
    readOnly: true,
    description: 'server_version as an integer.',
  },
  {
    name: 'DateStyle',
    default: 'ISO, MDY',
    report: true,
    description: 'Sets the display format for date and time values (only ISO).',
    check: (v) => {
      if (!/iso/i.test(v) && !/^\s*(mdy|dmy|ymd)\s*$/i.test(v))
        throw new SqlError('22023', `invalid value for parameter "DateStyle": "${v}"`);
      return 'ISO, MDY';
    },
  },
  {
    name: 'IntervalStyle',
    default: 'postgres',
    report: true,
    description: 'Sets the display format for interval values (only postgres).',
  },
  {
    name: 'TimeZone',
    default: 'UTC',
    report: true,
    description: 'Sets the time zone for displaying timestamps (only UTC).',
    check: (v) => {
      if (!/^(utc|gmt|etc\/utc|\+?0+(:00)?|z)$/i.test(v.trim()))
        throw new SqlError('22023', `invalid value for parameter "TimeZone": "${v}"`, {
          hint: 'Ferry supports only UTC.',
        });
      return 'UTC';
    },
  },
  {
    name: 'integer_datetimes',
    default: 'on',
    report: true,
    readOnly: true,
    description: 'Datetimes are integer based.',
  },
  {
    name: 'standard_conforming_strings',
    default: 'on',
    report: true,
    description: "Causes '...' strings to treat backslashes literally.",
    check: (v) => {
      if (onOff('standard_conforming_strings')(v) !== 'on')
        throw new SqlError('0A000', 'standard_conforming_strings = off not yet supported');
      return 'on';
    },
  },
  {
    name: 'is_superuser',
    default: 'off',
    report: true,
    readOnly: true,
    description: 'Whether the current role is a superuser.',
  },
  {
    name: 'extra_float_digits',
    default: '1',
    report: false,
    description: 'Accepted for compatibility; floats always print in shortest round-trip form.',
  },
  {
    name: 'search_path',
    default: 'public',
    report: false,
    description: 'Sets the schema search order for names that are not schema-qualified.',
  },
  {
    name: 'cluster',
    default: 'quickstart',
    report: false,
    description: 'Sets the current cluster (recorded; one engine runs all work).',
  },
  { name: 'cluster_replica', default: '', report: false, description: 'Accepted for compatibility.' },
  {
    name: 'database',
    default: 'materialize',
    report: false,
    description: 'Sets the current database (only materialize).',
  },
  {
    name: 'transaction_isolation',
    default: 'serializable',
    report: false,
    description: 'Transaction isolation level (the engine provides snapshot isolation).',
  },
  {
    name: 'statement_timeout',
    default: '0',
    report: false,
    description: 'Cancels a statement that runs longer than this (57014); 0 turns it off.',
    check: duration('statement_timeout'),
  },
  {
    name: 'idle_in_transaction_session_timeout',
    default: '2min',
    report: false,
    description: 'Ends a session idle inside a transaction for longer than this (25P03); 0 turns it off.',
    check: duration('idle_in_transaction_session_timeout'),
  },
  { name: 'lock_timeout', default: '0', report: false, description: 'Accepted for compatibility.' },
  {
    name: 'client_min_messages',
    default: 'notice',
    report: false,
    description: 'Sets the message levels that are sent to the client.',
  },
  {
    name: 'emit_progress_notices',
    default: 'on',
    report: false,
    description: 'Send NoticeResponse progress messages during long exports.',
    check: onOff('emit_progress_notices'),
  },
  {
    name: 'auto_route_introspection_queries',
    default: 'on',
    report: false,
    description: 'Accepted for compatibility.',
  },
  { name: 'welcome_message', default: 'on', report: false, description: 'Accepted for compatibility.' },
  {
    name: 'max_identifier_length',
    default: '255',
    report: false,
    readOnly: true,
    description: 'Maximum identifier length.',
  },
];

const BY_NAME = new Map(VARIABLES.map((v) => [v.name.toLowerCase(), v]));

export function varDef(name: string): VarDef {
  const def = BY_NAME.get(name.toLowerCase());
  if (!def) throw new SqlError('42704', `unrecognized configuration parameter "${name}"`);
  return def;
}

export class SessionVars {
  private values = new Map<string, string>();
  private changed = new Set<string>();

  constructor(initial: Record<string, string>) {
    for (const v of VARIABLES) this.values.set(v.name, v.default);
    for (const [k, val] of Object.entries(initial)) {
      const def = BY_NAME.get(k.toLowerCase());
      if (def && !def.readOnly) this.values.set(def.name, def.check ? def.check(val) : val);
    }
    this.changed.clear();
  }

  get(name: string): string {
    return this.values.get(varDef(name).name) ?? '';
  }

  set(name: string, value: string | null): void {
    const def = varDef(name);
    if (def.readOnly) throw new SqlError('55P02', `parameter "${def.name}" cannot be changed`);
    const v = value === null ? def.default : def.check ? def.check(value) : value;
    if (this.values.get(def.name) !== v) {
      this.values.set(def.name, v);
      if (def.report) this.changed.add(def.name);
    }
  }

  /** Sets a read-only variable from the server side (e.g. is_superuser at login). */
  force(name: string, value: string): void {
    this.values.set(varDef(name).name, value);
  }

  reported(): [string, string][] {
    return VARIABLES.filter((v) => v.report).map((v) => [v.name, this.values.get(v.name) ?? v.default]);
  }

  takeChanged(): [string, string][] {
    const out = [...this.changed].map((n) => [n, this.values.get(n) ?? ''] as [string, string]);
    this.changed.clear();
    return out;
  }

  all(): { name: string; setting: string; description: string }[] {
    return VARIABLES.map((v) => ({
      name: v.name,
      setting: this.values.get(v.name) ?? v.default,
      description: v.description,
    }));
  }
}
