/**
 * PostgreSQL's own grammar, from libpg-query (the server's parser compiled to WebAssembly
 * inside the npm package; nothing is downloaded). Ferry parses every statement a user
 * sends with it, so a statement means what it means in PostgreSQL, and multi-statement
 * strings are split by the grammar, never by the engine.
 *
 * `initPgParser()` loads the WebAssembly module once at start-up; afterwards parsing is
 * synchronous.
 */
import { RESERVED_KEYWORDS } from '@pgsql/quotes';
import { loadModule, parseSync } from 'libpg-query';
import { SqlError } from '../../errors/index.js';

let loaded = false;

/**
 * Words PostgreSQL lets a user name a column or table with, unquoted, but that the engine
 * reads as keywords (DuckDB 1.5's `duckdb_keywords()` categories reserved, type_function
 * and column_name, minus PostgreSQL's reserved ones). The printer (pgsql-deparser, through
 * @pgsql/quotes) quotes an identifier that is a reserved keyword, so these join that set:
 * `CREATE TABLE t (at timestamptz)` prints `"at"`, which both read as the same name.
 */
export const ENGINE_ONLY_KEYWORDS = [
  'anti',
  'asof',
  'at',
  'by',
  'columns',
  'describe',
  'generated',
  'glob',
  'grouping_id',
  'lambda',
  'map',
  'pivot',
  'pivot_longer',
  'pivot_wider',
  'positional',
  'qualify',
  'semi',
  'show',
  'struct',
  'summarize',
  'try_cast',
  'unpack',
  'unpivot',
] as const;

export async function initPgParser(): Promise<void> {
  if (loaded) return;
  await loadModule();
  for (const w of ENGINE_ONLY_KEYWORDS) RESERVED_KEYWORDS.add(w);
  loaded = true;
}

/** A node of the parse tree as libpg-query gives it: `{ NodeType: { …fields } }`. */
export type PgNode = Record<string, unknown>;

export interface PgStatement {
  /** The statement node, e.g. `{ SelectStmt: {…} }`. */
  stmt: PgNode;
  /** Offset and length of the statement in the text it came from. */
  location: number;
  length: number;
}

interface RawParse {
  stmts?: { stmt?: PgNode; stmt_location?: number; stmt_len?: number }[];
}

interface ParserError {
  message: string;
  sqlDetails?: { cursorPosition?: number };
}

/** Parses `sql` into statements; a syntax error is `42601` with PostgreSQL's wording and position. */
export function parsePg(sql: string): PgStatement[] {
  if (!loaded) throw new Error('initPgParser() was not awaited');
  let raw: RawParse;
  try {
    raw = parseSync(sql);
  } catch (err) {
    const e = err as ParserError;
    const pos = e.sqlDetails?.cursorPosition;
    throw new SqlError('42601', e.message, pos !== undefined ? { position: pos + 1 } : {});
  }
  const out: PgStatement[] = [];
  for (const s of raw.stmts ?? []) {
    if (!s.stmt) continue;
    const location = s.stmt_location ?? 0;
    out.push({ stmt: s.stmt, location, length: s.stmt_len ?? sql.length - location });
  }
  return out;
}
