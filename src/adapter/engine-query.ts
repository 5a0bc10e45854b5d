/**
 * Running standard SQL on the engine and presenting the results as PostgreSQL would:
 * parameter binding from text values, the result shape (FieldDesc), and values in
 * PostgreSQL text format. SELECT-shaped statements are wrapped so that DuckDB itself
 * formats every value (src/types textExpr, vectorized); other statements that return rows
 * (RETURNING, EXPLAIN, PRAGMA) are formatted in TypeScript with the same rules.
 */
import {
  type DuckDBConnection,
  type DuckDBDataChunk,
  type DuckDBPreparedStatement,
  DuckDBMaterializedResult,
  type DuckDBResult,
  type DuckDBType,
  DuckDBTypeId,
  LIST,
  StatementType,
  VARCHAR,
} from '@duckdb/node-api';
import { SqlError } from '../errors/index.js';
import { engineError } from '../engine/errors.js';
import { formatValue, pgTypeOf, textExpr } from '../types/index.js';
import { parsePgArray } from '../types/array-literal.js';
import type { FieldDesc, RowStream } from './api.js';

export interface EngineShape {
  fields: FieldDesc[];
  types: DuckDBType[];
  /** Whether the statement is SELECT-shaped and can be wrapped for text formatting. */
  wrappable: boolean;
  returnsRows: boolean;
  statementType: StatementType;
  paramCount: number;
  paramTypes: (DuckDBType | null)[];
}

const ROWS_STATEMENTS = new Set<StatementType>([
  StatementType.SELECT,
  StatementType.EXPLAIN,
  StatementType.PRAGMA,
  StatementType.CALL,
  StatementType.RELATION,
  StatementType.LOGICAL_PLAN,
]);

function describePrepared(p: DuckDBPreparedStatement, sqlVerb: string, hasReturning: boolean, sql = ''): EngineShape {
  const types: DuckDBType[] = [];
  const fields: FieldDesc[] = [];
  const statementType = p.statementType;
  const returnsRows = ROWS_STATEMENTS.has(statementType) || hasReturning;
  if (returnsRows) {
    for (let i = 0; i < p.columnCount; i++) {
      let t: DuckDBType;
      try {
        t = p.columnType(i);
      } catch {
        // The column's type depends on a parameter whose type nothing fixes, as in
        // `SELECT length($1)` with an untyped $1 (PostgreSQL refuses those too).
        throw new SqlError('42P18', 'could not determine data type of parameter', {
          hint: 'Give the parameter a type, as in $1::text.',
        });
      }
      const pg = pgTypeOf(t);
      types.push(t);
      fields.push({
        name: pgColumnName(p.columnName(i), sql),
        tableOid: 0,
        columnAttr: 0,
        typeOid: pg.oid,
        typeSize: pg.typlen,
        typeMod: pg.typmod,
      });
    }
  }
  const paramTypes: (DuckDBType | null)[] = [];
  for (let i = 1; i <= p.parameterCount; i++) {
    try {
      paramTypes.push(p.parameterType(i));
    } catch {
      // DuckDB cannot infer this parameter's type from context (e.g. `SELECT $1`).
      paramTypes.push(null);
    }
  }
  const wrappable =
    statementType === StatementType.SELECT && ['select', 'with', 'values', 'table', ''].includes(sqlVerb);
  return { fields, types, wrappable, returnsRows, statementType, paramCount: p.parameterCount, paramTypes };
}

/**
 * PostgreSQL names an unaliased expression column after its outermost function (`now`,
 * `count`) or `?column?`; DuckDB uses the expression's text. Plain column names and
 * aliases pass through unchanged; so does a name the statement spells as a quoted
 * identifier (`AS "Access privileges"`, as psql's describe queries do).
 */
export function pgColumnName(name: string, sql = ''): string {
  if (sql.includes(`"${name.replace(/"/g, '""')}"`)) return name;
  // A bare literal (`SELECT 1`) has no name in PostgreSQL.
  if (/^(-?\d|'|true$|false$|NULL$)/.test(name)) return '?column?';
  // DuckDB rewrites count(*) to count_star().
  if (/^count_star\(\)$/.test(name)) return 'count';
  // Operators DuckDB names after their function (`~` is regexp_full_match) are unnamed in PostgreSQL.
  if (/^\(?(NOT )?regexp_full_match\(/.test(name)) return '?column?';
  if (/^[A-Za-z_][A-Za-z0-9_$]*$/.test(name) || !/[()'\s:+\-*/|]/.test(name)) return name;
  // PostgreSQL names a cast after what it casts: a column keeps its name (`a::text` → a),
  // a function its function, and a literal takes the type's name (`1::int4` → int4).
  const cast = /^CAST\((.*) AS ([^()]*(?:\(\d+,\s*\d+\))?(?:\[\])?)\)$/s.exec(name);
  const inner = cast ? cast[1]! : name;
  if (cast) {
    if (/^CAST\(/.test(inner)) return pgColumnName(inner);
    const col = /^(?:"?[A-Za-z_][A-Za-z0-9_$]*"?\.)*"?([A-Za-z_][A-Za-z0-9_$]*)"?$/.exec(inner);
    if (col && !/^(true|false|null)$/i.test(col[1]!)) return col[1]!;
    if (/^(-?\d|')/.test(inner)) return CAST_NAMES[cast[2]!.replace(/\(.*$/, '')] ?? '?column?';
  }
  const fn = /^(?:"?[A-Za-z_][A-Za-z0-9_]*"?\.)?"?([A-Za-z_][A-Za-z0-9_]*)"?\(/.exec(inner);
  if (fn && fn[1] === 'count_star') return 'count';
  if (fn && !/^(strftime)$/i.test(fn[1]!)) return fn[1]!.toLowerCase();
  if (/^strftime\(/i.test(inner)) return 'to_char';
  return '?column?';
}

/** PostgreSQL's names (pg_type.typname) for DuckDB cast targets, for `SELECT '…'::type` columns. */
const CAST_NAMES: Record<string, string> = {
  INTEGER: 'int4',
  BIGINT: 'int8',
  SMALLINT: 'int2',
  VARCHAR: 'text',
  DOUBLE: 'float8',
  FLOAT: 'float4',
  BOOLEAN: 'bool',
  DATE: 'date',
  TIME: 'time',
  TIMESTAMP: 'timestamp',
  'TIMESTAMP WITH TIME ZONE': 'timestamptz',
  INTERVAL: 'interval',
  DECIMAL: 'numeric',
  JSON: 'jsonb',
  BLOB: 'bytea',
  UUID: 'uuid',
  USMALLINT: 'uint2',
  UINTEGER: 'uint4',
  UBIGINT: 'uint8',
};

function hexToBytes(text: string): Uint8Array {
  if (!/^\\x([0-9a-fA-F]{2})*$/.test(text)) {
    throw new SqlError('22P02', 'invalid input syntax for type bytea');
  }
  return Buffer.from(text.slice(2), 'hex');
}

/** Binds PostgreSQL text-format parameter values, converting by the inferred type. */
export function bindParams(p: DuckDBPreparedStatement, shape: EngineShape, params: (string | null)[]): void {
  if (params.length !== shape.paramCount) {
    throw new SqlError(
      '08P01',
      `bind message supplies ${params.length} parameters, but prepared statement requires ${shape.paramCount}`,
    );
  }
  // Every parameter is bound below, replacing what an earlier execution bound.
  if (params.length === 0) return;
  params.forEach((v, k) => {
    const i = k + 1;
    if (v === null) {
      p.bindNull(i);
      return;
    }
    const t = shape.paramTypes[k];
    if (t === null || t === undefined) {
      // Unknown type: integers as BIGINT so arithmetic and comparisons resolve; anything
      // else as text, which DuckDB casts where the context needs another type.
      if (/^-?\d{1,18}$/.test(v)) p.bindBigInt(i, BigInt(v));
      else p.bindVarchar(i, v);
      return;
    }
    switch (t.typeId) {
      case DuckDBTypeId.LIST: {
        // PostgreSQL array text (`{a,"b c",NULL}`), as drivers send array parameters; DuckDB
        // casts only its own `[…]` spelling, so the elements are bound as a text list that
        // DuckDB casts to the parameter's element type.
        const items = parsePgArray(v);
        if (items === null) p.bindVarchar(i, v);
        else p.bindList(i, items, LIST(VARCHAR));
        return;
      }
      case DuckDBTypeId.BLOB:
        p.bindBlob(i, hexToBytes(v));
        return;
      case DuckDBTypeId.BOOLEAN: {
        const l = v.trim().toLowerCase();
        if (['t', 'true', 'on', 'yes', 'y', '1'].includes(l)) p.bindBoolean(i, true);
        else if (['f', 'false', 'off', 'no', 'n', '0'].includes(l)) p.bindBoolean(i, false);
        else throw new SqlError('22P02', `invalid input syntax for type boolean: "${v}"`);
        return;
      }
      default:
        p.bindVarchar(i, v);
    }
  });
}

/** A prepared engine statement with its text-formatting twin. */
export class EngineStatement {
  private wrapped: DuckDBPreparedStatement | null = null;
  /** Schema epoch (Services.schemaEpoch) at preparation; set by the session's cache. */
  epoch = -1;
  private constructor(
    readonly sql: string,
    readonly prepared: DuckDBPreparedStatement,
    readonly shape: EngineShape,
  ) {}

  static async prepare(
    conn: DuckDBConnection,
    sql: string,
    verb: string,
    hasReturning: boolean,
  ): Promise<EngineStatement> {
    let p: DuckDBPreparedStatement;
    try {
      p = await conn.prepare(sql);
    } catch (err) {
      throw engineError(err);
    }
    return new EngineStatement(sql, p, describePrepared(p, verb, hasReturning, sql));
  }

  /** The statement whose every column is the PostgreSQL text of the original column. */
  async textStatement(conn: DuckDBConnection): Promise<DuckDBPreparedStatement> {
    if (this.wrapped) return this.wrapped;
    const n = this.shape.types.length;
    const aliases = Array.from({ length: n }, (_, i) => `c${i}`);
    const exprs = this.shape.types.map((t, i) => `${textExpr(`__q.c${i}`, t)} AS c${i}`);
    const sql = `SELECT ${exprs.join(', ') || '1'} FROM (${this.sql}\n) AS __q(${aliases.join(', ')})`;
    try {
      this.wrapped = await conn.prepare(sql);
    } catch (err) {
      throw engineError(err);
    }
    return this.wrapped;
  }

  destroy(): void {
    this.prepared.destroySync();
    this.wrapped?.destroySync();
  }
}

/**
 * Runs a small engine query (the front end's compiled form) and returns its rows, each
 * column as PostgreSQL text, up to `limit` rows. For answers Ferry computes over a user's
 * expression (SHOW … WHERE, EXECUTE's arguments), never for a result streamed to a client.
 */
export async function textRowsOf(
  conn: DuckDBConnection,
  engineSql: string,
  limit = Infinity,
): Promise<(string | null)[][]> {
  const es = await EngineStatement.prepare(conn, engineSql, 'select', false);
  try {
    const stream = rowStreamOf(async () => (await es.textStatement(conn)).run(), 'text');
    const rows: (string | null)[][] = [];
    while (rows.length < limit) {
      const batch = await stream.next(Math.min(1024, limit - rows.length));
      if (batch === null) break;
      rows.push(...batch);
    }
    return rows;
  } finally {
    es.destroy();
  }
}

/**
 * Pulls rows from a streaming DuckDB result, `max` at a time, as text values. Each engine
 * call is a thread-pool round trip that costs more than converting a chunk (bench/wire-only.ts),
 * so the next chunk is requested as soon as one arrives: its round trip overlaps the
 * conversion and sending of the current one. At most one chunk is held ahead, so memory
 * stays bounded however large the result.
 */
export function rowStreamOf(
  start: () => Promise<DuckDBResult>,
  format: 'text' | DuckDBType[],
  onDone?: (rows: number) => void,
): RowStream {
  let result: DuckDBResult | null = null;
  let ahead: Promise<DuckDBDataChunk | null> | null = null;
  let buffered: (string | null)[][] = [];
  let exhausted = false;
  let count = 0;
  let nextChunk = 0;
  const fetchAhead = (): void => {
    // A materialized result hands its chunks over without a round trip.
    if (result instanceof DuckDBMaterializedResult) {
      ahead = Promise.resolve(nextChunk < result.chunkCount ? result.getChunk(nextChunk++) : null);
      return;
    }
    ahead = result!.fetchChunk();
    // Its error is reported by the next() that awaits it, not as an unhandled rejection
    // while the connection waits for the client to read.
    ahead.catch(() => undefined);
  };
  return {
    async next(max: number) {
      try {
        if (!result && !exhausted) {
          result = await start();
          fetchAhead();
        }
        while (buffered.length === 0 && !exhausted) {
          const chunk = await ahead!;
          if (!chunk || chunk.rowCount === 0) {
            exhausted = true;
            ahead = null;
            onDone?.(count);
            break;
          }
          fetchAhead();
          const rows = chunk.getRows();
          buffered =
            format === 'text'
              ? (rows as (string | null)[][])
              : rows.map((r) => r.map((v, i) => (v === null ? null : formatValue(v, format[i]!))));
        }
      } catch (err) {
        exhausted = true;
        ahead = null;
        throw engineError(err);
      }
      if (buffered.length === 0) return null;
      const out = buffered.length <= max ? buffered : buffered.slice(0, max);
      buffered = buffered.length <= max ? [] : buffered.slice(max);
      count += out.length;
      return out;
    },
    close() {
      // A request still in flight finishes on its own; the result is dropped with it.
      exhausted = true;
      ahead = null;
      buffered = [];
      result = null;
      return Promise.resolve();
    },
  };
}
