/**
 * Maps DuckDB's error messages (`<Kind> Error: <text>`) to SqlErrors with a real SQLSTATE
 * and a message in PostgreSQL style. The engine's wording is kept where it is already
 * clear; only the kind prefix, trailing `!` and the `LINE n:` excerpt are removed, and the
 * most common catalog errors are phrased as Materialize phrases them.
 */
import { SqlError, type SqlState } from '../errors/index.js';

const KIND_CODES: Record<string, SqlState> = {
  Parser: '42601',
  Syntax: '42601',
  Binder: '42703',
  Catalog: '42P01',
  Conversion: '22P02',
  'Out of Range': '22003',
  Constraint: '23505',
  'Invalid Input': '22023',
  Invalid: '22023',
  'Not implemented': '0A000',
  Transaction: '25000',
  TransactionContext: '40001',
  Interrupt: '57014',
  'Out of Memory': '53200',
  IO: '58030',
  Dependency: '2BP01',
  Permission: '42501',
  Sequence: '2200H',
  'Mismatch Type': '42804',
  'Type Mismatch': '42804',
  Serialization: '22000',
  'Invalid Type': '42804',
  Decimal: '22003',
  HTTP: '58000',
  Fatal: 'XX000',
  INTERNAL: 'XX000',
};

/** PostgreSQL's names of the engine's types, for input errors. */
const INPUT_TYPE_NAMES: Record<string, string> = {
  INT16: 'smallint',
  INT32: 'integer',
  INT64: 'bigint',
  UINT16: 'uint2',
  UINT32: 'uint4',
  UINT64: 'uint8',
  FLOAT: 'real',
  DOUBLE: 'double precision',
  BOOL: 'boolean',
  DECIMAL: 'numeric',
};

const NUMERIC_LIMIT = 'numeric holds at most 28 digits before the decimal point and 10 after';

const INTEGER_TYPES = new Set(['INT16', 'INT32', 'INT64', 'UINT16', 'UINT32', 'UINT64']);

/**
 * A cast of text the engine could not read, in Materialize's words: for integers the
 * reason as Materialize's parser gives it (`invalid input syntax for type integer: invalid
 * digit found in string: "abc"`), a well-formed integer too large being `22003 "…" integer
 * out of range`; other types `invalid input syntax for type <t>: "…"`. Null for types not
 * listed, whose engine message stays.
 */
function inputSyntaxError(value: string, engineType: string): { code: SqlState; text: string } | null {
  const name = INPUT_TYPE_NAMES[engineType];
  if (name === undefined) return null;
  // NaN and Infinity are valid numerics elsewhere; the engine's own message, which names
  // its storage type, says why they fail here (docs/compat.md, "Types").
  if (engineType === 'DECIMAL' && /^\s*[+-]?(nan|inf|infinity)\s*$/i.test(value)) return null;
  const quoted = `"${value}"`;
  // A well-formed number the engine could not read does not fit DECIMAL(38, 10).
  if (engineType === 'DECIMAL' && /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(value))
    return { code: '22003', text: 'numeric field overflow' };
  if (INTEGER_TYPES.has(engineType)) {
    const v = value.trim();
    if (v === '')
      return {
        code: '22P02',
        text: `invalid input syntax for type ${name}: cannot parse integer from empty string: ${quoted}`,
      };
    if (/^[+-]?\d+$/.test(v)) return { code: '22003', text: `${quoted} ${name} out of range` };
    return { code: '22P02', text: `invalid input syntax for type ${name}: invalid digit found in string: ${quoted}` };
  }
  return { code: '22P02', text: `invalid input syntax for type ${name}: ${quoted}` };
}

export function engineError(err: unknown): SqlError {
  if (err instanceof SqlError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const m = /^([A-Za-z ]+?) Error: ([\s\S]*)$/.exec(raw);
  if (!m) return new SqlError('XX000', 'internal error', { cause: err });
  // DuckDB spells some kinds in capitals (`INTERRUPT Error: Interrupted!`).
  const raw0 = m[1]!;
  const kind = KIND_CODES[raw0] !== undefined ? raw0 : raw0.charAt(0) + raw0.slice(1).toLowerCase();
  let text = m[2]!.split(/\n\s*\nLINE \d+:|\nLINE \d+:/)[0]!.trim();
  text = text.replace(/!$/, '');
  let code: SqlState = KIND_CODES[kind] ?? 'XX000';
  if (code === 'XX000') return new SqlError('XX000', 'internal error', { cause: err });
  let detail: string | undefined;
  let hint: string | undefined;
  const nl = text.indexOf('\n');
  if (nl !== -1) {
    const rest = text.slice(nl + 1).trim();
    text = text.slice(0, nl).trim();
    if (/^(Did you mean|Candidate)/.test(rest)) hint = rest.split('\n')[0];
    else detail = rest.split('\n')[0];
  }
  let mm: RegExpExecArray | null;
  if (
    (mm =
      /^(Table|View|Table Function|Schema|Type|Macro Function|Scalar Function|Function|Index|Sequence) with name "?([^"]+?)"? does not exist/i.exec(
        text,
      ))
  ) {
    const what = mm[1]!.toLowerCase();
    if (what === 'schema') code = '3F000';
    else if (what.includes('function')) code = '42883';
    else if (what === 'type') code = '42704';
    else code = '42P01';
    text =
      what === 'schema'
        ? `unknown schema '${mm[2]}'`
        : what.includes('function')
          ? `function ${mm[2]} does not exist`
          : code === '42P01'
            ? `unknown catalog item '${mm[2]}'`
            : `type "${mm[2]}" does not exist`;
    const h = /Did you mean "([^"]+)"/.exec(raw);
    hint = h ? `Did you mean "${h[1]}"?` : undefined;
  } else if (/already exists/i.test(text)) {
    code = kind === 'Catalog' ? '42P07' : code;
    const n = /with name "?([^"]+?)"? already exists/.exec(text);
    if (n) text = `catalog item '${n[1]}' already exists`;
  } else if (kind === 'Binder' && /Referenced column "?([^"]+?)"? not found/.test(text)) {
    const n = /Referenced column "?([^"]+?)"? not found/.exec(text)!;
    text = `column "${n[1]}" does not exist`;
  } else if (kind === 'Binder' && /No function matches/.test(text)) {
    code = '42883';
  } else if (kind === 'Binder') {
    code = '42804';
  } else if (kind === 'Constraint' && /NOT NULL/i.test(text)) {
    code = '23502';
  } else if (kind === 'Constraint' && /CHECK/i.test(text)) {
    code = '23514';
  } else if (kind === 'Constraint' && /foreign key/i.test(text)) {
    code = '23503';
  } else if (kind === 'Conversion' && (mm = /^Could not convert string (['"])([\s\S]*)\1 to ([A-Z0-9]+)/.exec(text))) {
    ({ code, text } = inputSyntaxError(mm[2]!, mm[3]!) ?? { code, text });
    if (text === 'numeric field overflow') detail = NUMERIC_LIMIT;
  } else if (
    /^Overflow in (addition|subtraction|multiplication|division) of DECIMAL/i.test(text) ||
    /^Could not cast value \S+ to DECIMAL\(38,10\)/i.test(text)
  ) {
    // Ferry's numeric is DECIMAL(38, 10) (docs/compat.md, "Types"): a result with more than
    // 28 digits before the decimal point is PostgreSQL's overflow of a bounded numeric.
    code = '22003';
    text = 'numeric field overflow';
    detail = NUMERIC_LIMIT;
  } else if (kind === 'Conversion' && /out of range/i.test(text)) {
    code = '22003';
  } else if (kind === 'Invalid Input' && /^invalid input syntax for type /.test(text)) {
    // Raised by Ferry's int_text macro (src/catalog/pg-compat.ts).
    code = '22P02';
  } else if (kind === 'Invalid Input' && /^operator does not exist: /.test(text)) {
    // Raised by Ferry's neg macro (src/catalog/pg-compat.ts).
    code = '42883';
  } else if (kind === 'Invalid Input' && /^argument of NOT must be type boolean/.test(text)) {
    // Raised by Ferry's bool_arg macro (src/catalog/pg-compat.ts).
    code = '42804';
  } else if (
    kind === 'Invalid Input' &&
    /^timestamps cannot be binned into intervals containing months or years$/.test(text)
  ) {
    // Raised by Ferry's date_bin macro (src/catalog/pg-compat.ts), as the next one.
    code = '0A000';
  } else if (kind === 'Invalid Input' && /^stride must be greater than zero$/.test(text)) {
    code = '22023';
  } else if (kind === 'Invalid Input' && /division by zero/i.test(text)) {
    code = '22012';
  } else if (kind === 'Invalid Input' && /^negative substring length not allowed$/.test(text)) {
    // Raised by Ferry's pg_substring macro (src/catalog/pg-compat.ts).
    code = '22011';
  } else if (/^relation "[^"]*" does not exist$/.test(text)) {
    // Raised by Ferry's regclass_in macro (src/catalog/pg-compat.ts) for 'name'::regclass.
    code = '42P01';
  } else if (kind === 'Interrupt') {
    text = 'canceling statement due to user request';
  } else if (kind === 'TransactionContext' && /aborted/i.test(text)) {
    code = '25P02';
    text = 'current transaction is aborted, commands ignored until end of transaction block';
  } else if (kind === 'TransactionContext' && /conflict/i.test(text)) {
    code = '40001';
  }
  if (/^[A-Z][a-z]/.test(text) && !/^[A-Z][a-z]+[A-Z]/.test(text)) text = text[0]!.toLowerCase() + text.slice(1);
  return new SqlError(code, text, { detail, hint });
}
